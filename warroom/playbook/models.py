"""The runbook as data: severities, clocks, roles, checklists, scenarios, mitigations.

Plain frozen records. What a playbook file may contain, and its rules, is schema.py
(pydantic); a file is validated there once and kept (loader.py), so that reading the
playbook, which every start of the war room does, needs no pydantic. These records are
only ever made from validated data: `Playbook.from_dict` trusts what it is given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

__all__ = [
    "COMMANDER",
    "AutoTicks",
    "ChecklistSection",
    "Link",
    "Mitigation",
    "Playbook",
    "Priority",
    "Role",
    "RootCause",
    "Scenario",
    "Severity",
    "StatusPage",
    "Templates",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class Severity:
    """One severity level (SEV-1/2/3) with its clocks, in minutes."""

    level: int
    name: str  # "SEV-1"
    title: str  # "Critical Outage"
    emoji: str = ""
    definition: str
    examples: list[str]
    response_time: str  # as the runbook says it: "Immediate (< 5 minutes)"
    acknowledge_minutes: int
    resolve_minutes: int  # the SLA
    internal_update_minutes: int
    stakeholder_update_minutes: int
    # None: customer communication is not needed at this severity.
    customer_comms_minutes: int | None = None
    customer_comms: str  # the runbook's words: "required", "if prolonged (> 1 hour)"
    actions: list[str]


@dataclass(frozen=True, kw_only=True, slots=True)
class Role:
    key: str  # "ic"
    name: str  # "Incident Commander"
    short: str  # "IC"
    responsibilities: list[str]
    tools: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True, slots=True)
class ChecklistSection:
    key: str
    title: str
    items: list[str]


@dataclass(frozen=True, kw_only=True, slots=True)
class Priority:
    name: str  # "P0"
    label: str  # "Critical"
    description: str
    due_hours: int


@dataclass(frozen=True, kw_only=True, slots=True)
class RootCause:
    """One of the runbook's "Common Root Causes": how it shows, and what to look at next."""

    key: str  # "recent_deployment"
    name: str  # "Recent Deployment"
    signs: list[str] = field(default_factory=list)
    next_step: str = ""  # "Consider rollback"


@dataclass(frozen=True, kw_only=True, slots=True)
class Mitigation:
    """A mitigation strategy; its steps and verification become checklist sections."""

    key: str  # "rollback"
    name: str  # "Rollback deployment"
    when_to_use: list[str] = field(default_factory=list)
    steps: list[str]
    verification: list[str] = field(default_factory=list)
    cautions: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True, slots=True)
class Scenario:
    """A common incident scenario; its diagnosis and resolution become checklist sections."""

    key: str  # "payments_failing"
    name: str  # "Payment processing failures"
    symptoms: list[str] = field(default_factory=list)
    diagnosis: list[str] = field(default_factory=list)
    resolution: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True, slots=True)
class Link:
    """A Quick Link: a dashboard or page the responders open."""

    name: str
    url: str
    group: str = ""  # the runbook's heading: "Monitoring & Logs", "Status Pages"


@dataclass(frozen=True, kw_only=True, slots=True)
class StatusPage:
    """A third party's Atlassian Statuspage, polled through its v2 ``summary.json``."""

    name: str
    url: str  # e.g. https://status.stripe.com/api/v2/summary.json


@dataclass(frozen=True, kw_only=True, slots=True)
class Templates:
    """Which template file renders each communication; names, looked up in the templates dirs."""

    declaration: str = "declaration.md.j2"
    status_update: str = "status_update.md.j2"
    stakeholder_update: str = "stakeholder_update.md.j2"
    resolved: str = "resolved.md.j2"
    customer: str = "customer.md.j2"
    customer_resolved: str = "customer_resolved.md.j2"
    review: str = "review.md.j2"

    def name(self, communication: str) -> str:
        """The file that renders `communication` (a MessageKind's value, or "review")."""
        return str(getattr(self, communication))


@dataclass(frozen=True, kw_only=True, slots=True)
class AutoTicks:
    """Checklist items that tick themselves once the record shows what they ask for.

    Each field is a condition the Store can see (domain/incident.py: `auto_tick_conditions`);
    its list names checklist items by their text, in any section (a severity's actions too).
    """

    declared: list[str] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    ic_assigned: list[str] = field(default_factory=list)
    roles_assigned: list[str] = field(default_factory=list)  # every role has someone
    declaration_sent: list[str] = field(default_factory=list)
    internal_update_sent: list[str] = field(default_factory=list)  # not the declaration
    mitigated: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    review_written: list[str] = field(default_factory=list)  # the final review, at close

    def texts(self, conditions: Iterable[str]) -> set[str]:
        """The texts of the items that the conditions met tick."""
        found: set[str] = set()
        for condition in conditions:
            found.update(getattr(self, condition))
        return found


COMMANDER = "ic"
"""The key of the Incident Commander's role: the declaring responder's, the review's IC."""


class _Keyed(Protocol):
    @property
    def key(self) -> str: ...

    @property
    def name(self) -> str: ...


_K = TypeVar("_K", bound=_Keyed)


def _lookup(kind: str, items: Sequence[_K], wanted: str) -> _K:
    """Find by key or name (case-insensitive), else by a prefix that only one of them has."""
    text = wanted.strip().casefold()
    if text:
        for item in items:
            if text in (item.key.casefold(), item.name.casefold()):
                return item
        matches = [
            item
            for item in items
            if item.key.casefold().startswith(text) or item.name.casefold().startswith(text)
        ]
        if len(matches) == 1:
            return matches[0]
        if matches:
            names = ", ".join(m.key for m in matches)
            raise KeyError(f"{kind} {wanted!r} is ambiguous (matches: {names})")
    known = ", ".join(item.key for item in items) or "none in the playbook"
    raise KeyError(f"no {kind} {wanted!r} (known: {known})")


_NESTED: dict[str, type[Any]] = {  # Playbook's lists of records
    "severities": Severity,
    "roles": Role,
    "checklists": ChecklistSection,
    "priorities": Priority,
    "root_causes": RootCause,
    "mitigations": Mitigation,
    "scenarios": Scenario,
    "quick_links": Link,
    "status_pages": StatusPage,
}


@dataclass(frozen=True, kw_only=True, slots=True)
class Playbook:
    name: str
    version: str
    warn_minutes: int = 5
    alert_repeat_seconds: int = 60
    role_nudge_minutes: int = 10
    severities: list[Severity]
    roles: list[Role]
    checklists: list[ChecklistSection]
    priorities: list[Priority]
    root_causes: list[RootCause] = field(default_factory=list)
    mitigations: list[Mitigation] = field(default_factory=list)
    scenarios: list[Scenario] = field(default_factory=list)
    quick_links: list[Link] = field(default_factory=list)
    status_pages: list[StatusPage] = field(default_factory=list)
    templates: Templates = field(default_factory=Templates)
    auto_tick: AutoTicks = field(default_factory=AutoTicks)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Playbook:
        """The playbook of validated data (schema.py's dump): nothing is checked here."""
        fields = dict(data)
        for name, record in _NESTED.items():
            if name in fields:
                fields[name] = [record(**item) for item in fields[name]]
        if "templates" in fields:
            fields["templates"] = Templates(**fields["templates"])
        if "auto_tick" in fields:
            fields["auto_tick"] = AutoTicks(**fields["auto_tick"])
        return cls(**fields)

    def severity(self, level: int) -> Severity:
        for sev in self.severities:
            if sev.level == level:
                return sev
        known = ", ".join(str(s.level) for s in self.severities)
        raise KeyError(f"no severity {level} (known: {known})")

    def commander(self) -> Role | None:
        """The Incident Commander's role (key "ic"), if the playbook has one."""
        return next((role for role in self.roles if role.key == COMMANDER), None)

    def role(self, key: str) -> Role:
        wanted = key.casefold()
        for role in self.roles:
            if wanted in (role.key.casefold(), role.short.casefold(), role.name.casefold()):
                return role
        known = ", ".join(r.key for r in self.roles)
        raise KeyError(f"no role {key!r} (known: {known})")

    def priority(self, name: str) -> Priority:
        for prio in self.priorities:
            if prio.name.casefold() == name.casefold():
                return prio
        known = ", ".join(p.name for p in self.priorities)
        raise KeyError(f"no priority {name!r} (known: {known})")

    def scenario(self, key: str) -> Scenario:
        """By key or name, or a prefix of either: "payments", "Payment proc", "auth"."""
        return _lookup("scenario", self.scenarios, key)

    def mitigation(self, key: str) -> Mitigation:
        """By key or name, or a prefix of either: "rollback", "feature", "Hotfix"."""
        return _lookup("mitigation", self.mitigations, key)

    def root_cause(self, key: str) -> RootCause:
        """By key or name, or a prefix of either: "recent", "Database Issues", "security"."""
        return _lookup("root cause", self.root_causes, key)
