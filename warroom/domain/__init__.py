"""The pure core: incidents, clocks and review facts. No I/O, no Textual, no network."""

from warroom.domain.clocks import Clock, ClockKind, ClockState, compute_clocks, next_update_due
from warroom.domain.model import (
    ActionItem,
    ChecklistItem,
    EntryKind,
    Incident,
    Now,
    ReviewNotes,
    RoleAssignment,
    Status,
    TimelineEntry,
    UpdateKind,
    system_clock,
)

__all__ = [
    "ActionItem",
    "ChecklistItem",
    "Clock",
    "ClockKind",
    "ClockState",
    "EntryKind",
    "Incident",
    "Now",
    "ReviewNotes",
    "RoleAssignment",
    "Status",
    "TimelineEntry",
    "UpdateKind",
    "compute_clocks",
    "next_update_due",
    "system_clock",
]
