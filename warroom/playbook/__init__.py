"""The incident runbook as validated data (no UI or network imports here)."""

from warroom.playbook.loader import PlaybookError, default_playbook, load_playbook
from warroom.playbook.models import ChecklistSection, Playbook, Priority, Role, Severity

__all__ = [
    "ChecklistSection",
    "Playbook",
    "PlaybookError",
    "Priority",
    "Role",
    "Severity",
    "default_playbook",
    "load_playbook",
]
