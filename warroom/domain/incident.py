"""Rules about incidents that need no storage: IDs, checklists, review facts."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from warroom.domain.model import EntryKind, Incident, Status, TimelineEntry
from warroom.playbook.models import Playbook, Priority

_ID = re.compile(r"^INC-(\d{4}-\d{2}-\d{2})-(\d+)$")


def incident_id(day: date, sequence: int) -> str:
    """The runbook's ID: INC-YYYY-MM-DD-N, N counting from 1 within the day."""
    return f"INC-{day.isoformat()}-{sequence}"


def next_incident_id(day: date, existing: Iterable[str]) -> str:
    prefix = day.isoformat()
    used = [int(m[2]) for m in map(_ID.match, existing) if m and m[1] == prefix]
    return incident_id(day, max(used, default=0) + 1)


SEVERITY_SECTION = "severity-{level}"


def severity_section(level: int) -> str:
    return SEVERITY_SECTION.format(level=level)


@dataclass(frozen=True, slots=True)
class SectionPlan:
    key: str
    title: str
    items: tuple[str, ...]


def checklist_plan(playbook: Playbook, severity: int) -> list[SectionPlan]:
    """A new incident's triage checklist: the playbook's lists, then the severity's actions."""
    plan = [SectionPlan(c.key, c.title, tuple(c.items)) for c in playbook.checklists]
    plan.append(severity_actions(playbook, severity))
    return plan


def severity_actions(playbook: Playbook, severity: int) -> SectionPlan:
    sev = playbook.severity(severity)
    return SectionPlan(severity_section(sev.level), f"{sev.name} actions", tuple(sev.actions))


def section_title(playbook: Playbook, key: str) -> str:
    for section in playbook.checklists:
        if section.key == key:
            return section.title
    match = re.fullmatch(r"severity-(\d+)", key)
    if match:
        return f"SEV-{match[1]} actions"
    return key.replace("_", " ").capitalize()


def action_due(priority: Priority, start: datetime) -> datetime:
    """An action item's due date from its priority (P0 48 h, P1 1 week, ...)."""
    return start + timedelta(hours=priority.due_hours)


@dataclass(frozen=True, slots=True)
class SeverityPeriod:
    level: int
    seconds: float


def severity_periods(
    incident: Incident, entries: Sequence[TimelineEntry], end: datetime
) -> list[SeverityPeriod]:
    """Time spent at each severity, in order, from the severity-change entries."""
    changes = sorted(
        (e for e in entries if e.kind is EntryKind.SEVERITY and isinstance(e.data.get("to"), int)),
        key=lambda e: e.at,
    )
    level = incident.severity
    if changes:
        first_from = changes[0].data.get("from")
        level = first_from if isinstance(first_from, int) else incident.severity
    periods: list[SeverityPeriod] = []
    since = incident.started_at
    for change in changes:
        to = change.data["to"]
        assert isinstance(to, int)
        periods.append(SeverityPeriod(level, max(0.0, (change.at - since).total_seconds())))
        level, since = to, change.at
    periods.append(SeverityPeriod(level, max(0.0, (end - since).total_seconds())))
    # Merge neighbours at the same level and drop empty spans (e.g. a change at declaration).
    merged: list[SeverityPeriod] = []
    for period in periods:
        if period.seconds <= 0:
            continue
        if merged and merged[-1].level == period.level:
            merged[-1] = SeverityPeriod(period.level, merged[-1].seconds + period.seconds)
        else:
            merged.append(period)
    return merged or [periods[-1]]


@dataclass(frozen=True, slots=True)
class KeyMoment:
    label: str
    at: datetime | None


def _first_status(entries: Sequence[TimelineEntry], status: Status) -> datetime | None:
    for entry in sorted(entries, key=lambda e: e.at):
        if entry.kind is EntryKind.STATUS and entry.data.get("to") == status.value:
            return entry.at
    return None


def key_moments(incident: Incident, entries: Sequence[TimelineEntry]) -> list[KeyMoment]:
    """The review's key moments, in the order the runbook's timeline lists them."""
    return [
        KeyMoment("Issue first detected", incident.detected_at),
        KeyMoment("Incident declared", incident.declared_at),
        KeyMoment("Acknowledged", incident.acknowledged_at),
        KeyMoment("Root cause identified", _first_status(entries, Status.IDENTIFIED)),
        KeyMoment("Mitigation started", _first_status(entries, Status.MITIGATING)),
        KeyMoment(
            "Service partially restored (monitoring)", _first_status(entries, Status.MONITORING)
        ),
        KeyMoment("Full resolution confirmed", incident.resolved_at),
        KeyMoment("Incident closed", incident.closed_at),
    ]
