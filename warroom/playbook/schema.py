"""The playbook's schema: what a playbook file may say, validated with pydantic.

`validate` turns a parsed file into the records the rest of warroom uses (models.py: plain
frozen dataclasses, so that reading a playbook, which every start does, needs no pydantic;
loader.py keeps what was validated). The classes here mirror those records field for field,
adding the rules; `tests/unit/test_playbook.py` holds the two to the same fields and defaults.

Which sections a playbook file must have: the ones warroom cannot run without (severities,
roles, checklists, priorities) are required. The ones issue #4 added (root causes,
mitigations, scenarios, quick links, status pages, templates) are optional, so that a
playbook written for an earlier release still loads: a missing list is empty (the TUI
simply offers nothing to pick) and a missing ``[templates]`` table, or a missing name in
it, means warroom's own template file. The packaged default has every section; a test
keeps it so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from warroom.playbook import models

__all__ = [  # a class of rules for each record, and validate
    *(name for name in models.__all__ if isinstance(getattr(models, name), type)),
    "validate",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# A key becomes part of stored checklist section names ("scenario:<key>:diagnosis"), so it is
# restricted to characters that cannot be confused with the separators.
Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
# One checklist line or one list item: shown on one line, so it must say something.
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Url = Annotated[str, StringConstraints(pattern=r"^https?://[^\s/]+\S*$")]
# A template is looked up by name in the templates directories: no directories in the name.
TemplateName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")]


class Severity(_Model):
    """One severity level (SEV-1/2/3) with its clocks, in minutes."""

    level: int = Field(ge=1, le=9)
    name: str  # "SEV-1"
    title: str  # "Critical Outage"
    emoji: str = ""
    definition: str
    examples: list[str]
    response_time: str  # as the runbook says it: "Immediate (< 5 minutes)"
    acknowledge_minutes: int = Field(gt=0)
    resolve_minutes: int = Field(gt=0)  # the SLA
    internal_update_minutes: int = Field(gt=0)
    stakeholder_update_minutes: int = Field(gt=0)
    # None: customer communication is not needed at this severity.
    customer_comms_minutes: int | None = Field(default=None, gt=0)
    customer_comms: str  # the runbook's words: "required", "if prolonged (> 1 hour)"
    actions: list[str]


class Role(_Model):
    key: str  # "ic"
    name: str  # "Incident Commander"
    short: str  # "IC"
    responsibilities: list[str]
    tools: list[str] = []


class ChecklistSection(_Model):
    key: str
    title: str
    items: list[str]


class Priority(_Model):
    name: str  # "P0"
    label: str  # "Critical"
    description: str
    due_hours: int = Field(gt=0)


class RootCause(_Model):
    """One of the runbook's "Common Root Causes": how it shows, and what to look at next."""

    key: Key  # "recent_deployment"
    name: str  # "Recent Deployment"
    signs: list[Line] = []
    next_step: str = ""  # "Consider rollback"


class Mitigation(_Model):
    """A mitigation strategy; its steps and verification become checklist sections."""

    key: Key  # "rollback"
    name: str  # "Rollback deployment"
    when_to_use: list[Line] = []
    steps: list[Line] = Field(min_length=1)
    verification: list[Line] = []
    cautions: list[Line] = []


class Scenario(_Model):
    """A common incident scenario; its diagnosis and resolution become checklist sections."""

    key: Key  # "payments_failing"
    name: str  # "Payment processing failures"
    symptoms: list[Line] = []
    diagnosis: list[Line] = []  # at least one of diagnosis and resolution
    resolution: list[Line] = []

    @model_validator(mode="after")
    def _has_steps(self) -> Scenario:
        if not self.diagnosis and not self.resolution:
            raise ValueError("a scenario needs diagnosis or resolution steps")
        return self


class Link(_Model):
    """A Quick Link: a dashboard or page the responders open."""

    name: str
    url: Url
    group: str = ""  # the runbook's heading: "Monitoring & Logs", "Status Pages"


class StatusPage(_Model):
    """A third party's Atlassian Statuspage, polled through its v2 ``summary.json``."""

    name: str
    url: Url  # e.g. https://status.stripe.com/api/v2/summary.json


class Templates(_Model):
    """Which template file renders each communication; names, looked up in the templates dirs."""

    declaration: TemplateName = "declaration.md.j2"
    status_update: TemplateName = "status_update.md.j2"
    stakeholder_update: TemplateName = "stakeholder_update.md.j2"
    resolved: TemplateName = "resolved.md.j2"
    customer: TemplateName = "customer.md.j2"
    customer_resolved: TemplateName = "customer_resolved.md.j2"
    review: TemplateName = "review.md.j2"


_T = TypeVar("_T")


def _unique(attribute: str, what: Callable[[Any], object]) -> AfterValidator:
    """A list validator: no two entries share the same `attribute` (read by `what`).

    The error's context names the repeating entry and its attribute, so that the loader can
    point at the very line that repeats the value rather than at the top of the file.
    """

    def check(items: list[_T]) -> list[_T]:
        seen: dict[object, int] = {}
        for index, item in enumerate(items):
            value = what(item)
            if value in seen:
                raise PydanticCustomError(
                    "duplicate_key",
                    "duplicate {attribute} {value!r} (entries {first} and {index})",
                    {"attribute": attribute, "value": value, "index": index, "first": seen[value]},
                )
            seen[value] = index
        return items

    return AfterValidator(check)


class AutoTicks(_Model):
    """Checklist items that tick themselves when the record shows it (models.AutoTicks)."""

    declared: list[Line] = []
    acknowledged: list[Line] = []
    ic_assigned: list[Line] = []
    roles_assigned: list[Line] = []
    declaration_sent: list[Line] = []
    internal_update_sent: list[Line] = []  # not the declaration
    mitigated: list[Line] = []
    resolved: list[Line] = []
    review_written: list[Line] = []  # the final review, at close


class Playbook(_Model):
    name: str
    version: str
    warn_minutes: int = Field(default=5, gt=0)
    alert_repeat_seconds: int = Field(default=60, gt=0)
    role_nudge_minutes: int = Field(default=10, gt=0)
    severities: Annotated[list[Severity], Field(min_length=1), _unique("level", lambda s: s.level)]
    roles: Annotated[list[Role], _unique("key", lambda r: r.key)]
    checklists: Annotated[list[ChecklistSection], _unique("key", lambda c: c.key)]
    priorities: Annotated[list[Priority], _unique("name", lambda p: p.name)]
    root_causes: Annotated[list[RootCause], _unique("key", lambda r: r.key)] = []
    mitigations: Annotated[list[Mitigation], _unique("key", lambda m: m.key)] = []
    scenarios: Annotated[list[Scenario], _unique("key", lambda s: s.key)] = []
    quick_links: Annotated[list[Link], _unique("name", lambda q: q.name)] = []
    status_pages: Annotated[list[StatusPage], _unique("name", lambda s: s.name)] = []
    templates: Templates = Templates()
    auto_tick: AutoTicks = AutoTicks()

    @model_validator(mode="after")
    def _auto_ticks_name_items(self) -> Playbook:
        """An auto tick names an item some list has: a typo would silently never tick."""
        known = {item for c in self.checklists for item in c.items}
        known.update(action for s in self.severities for action in s.actions)
        for scenario in self.scenarios:
            known.update(scenario.diagnosis, scenario.resolution)
        for mitigation in self.mitigations:
            known.update(mitigation.steps, mitigation.verification)
        if self.auto_tick.ic_assigned and not any(r.key == models.COMMANDER for r in self.roles):
            raise PydanticCustomError(
                "unknown_item",
                "no role has key {quoted}, so no IC is ever assigned",
                {"condition": "ic_assigned", "index": 0, "quoted": repr(models.COMMANDER)},
            )
        for condition, texts in self.auto_tick:
            for index, text in enumerate(texts):
                if text not in known:
                    raise PydanticCustomError(
                        "unknown_item",
                        "no checklist item or severity action says {quoted}",
                        {"condition": condition, "index": index, "quoted": repr(text)},
                    )
        return self


def validate(data: dict[str, Any]) -> models.Playbook:
    """Validate a parsed playbook; the records it describes (raises pydantic's ValidationError)."""
    return models.Playbook.from_dict(Playbook.model_validate(data).model_dump())
