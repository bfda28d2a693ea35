"""The runbook as validated data: severities, clocks, roles, checklists, priorities."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class Playbook(_Model):
    name: str
    version: str
    warn_minutes: int = Field(default=5, gt=0)
    alert_repeat_seconds: int = Field(default=60, gt=0)
    severities: list[Severity]
    roles: list[Role]
    checklists: list[ChecklistSection]
    priorities: list[Priority]

    @model_validator(mode="after")
    def _unique_keys(self) -> Playbook:
        for label, keys in (
            ("severities.level", [s.level for s in self.severities]),
            ("roles.key", [r.key for r in self.roles]),
            ("checklists.key", [c.key for c in self.checklists]),
            ("priorities.name", [p.name for p in self.priorities]),
        ):
            if len(set(keys)) != len(keys):
                raise ValueError(f"duplicate {label}")
        if not self.severities:
            raise ValueError("at least one severity is required")
        return self

    def severity(self, level: int) -> Severity:
        for sev in self.severities:
            if sev.level == level:
                return sev
        known = ", ".join(str(s.level) for s in self.severities)
        raise KeyError(f"no severity {level} (known: {known})")

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
