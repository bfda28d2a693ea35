"""An incident's whole record, as `warroom show --json` writes it and `warroom import` reads
it back: the incident and everything recorded about it. Pure data. Each timeline entry
carries its corrections (`TimelineEntry.revisions`, schema 8; none in older files)."""

from __future__ import annotations

from dataclasses import dataclass

from warroom.domain.model import ActionItem, ChecklistItem, Incident, RoleAssignment, TimelineEntry


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    incident: Incident
    timeline: list[TimelineEntry]
    roles: list[RoleAssignment]
    """Every assignment, handoffs included (`ended_at` set on the ones handed off)."""
    checklist: list[ChecklistItem]
    action_items: list[ActionItem]
