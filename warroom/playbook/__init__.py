"""The incident runbook as validated data (no UI or network imports here)."""

from warroom.playbook.loader import PlaybookError, default_playbook, load_playbook
from warroom.playbook.models import (
    ChecklistSection,
    Link,
    Mitigation,
    Playbook,
    Priority,
    Role,
    RootCause,
    Scenario,
    Severity,
    StatusPage,
    Templates,
)

__all__ = [
    "ChecklistSection",
    "Link",
    "Mitigation",
    "Playbook",
    "PlaybookError",
    "Priority",
    "Role",
    "RootCause",
    "Scenario",
    "Severity",
    "StatusPage",
    "Templates",
    "default_playbook",
    "load_playbook",
]
