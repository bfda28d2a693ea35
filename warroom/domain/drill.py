"""Drills: the runbook's quarterly exercises, as data, and how one went.

A drill is a scenario written down (warroom/playbook/drills/*.toml): a title and severity,
what is detected, and injects (an alert, a status-page change, a teammate's message, a
deploy, a metric) at simulated times from the start. It is played on a simulated clock
(domain/simclock.py) in a database of its own. At the end, `drill_report` measures the
response against the playbook's targets, with the review's metrics (domain/metrics.py: one
definition) and the mitigation chosen against the one the scenario expects.

Pure: no I/O, no Textual; `now` is always passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from warroom.domain.metrics import Metrics, incident_metrics
from warroom.domain.model import (
    ChecklistItem,
    EntryKind,
    Incident,
    RoleAssignment,
    TimelineEntry,
    UpdateKind,
)
from warroom.domain.timefmt import utc
from warroom.playbook.drill_models import DRILL_MARK, Drill, Inject, InjectKind
from warroom.playbook.models import COMMANDER, Playbook

__all__ = [
    "DRILL_MARK",
    "Drill",
    "DrillReport",
    "Inject",
    "InjectKind",
    "Measure",
    "drill_report",
    "due_injects",
    "entry_kind",
]

FIRST_RESPONSE_MINUTES = 5
"""The runbook's First Response Checklist: "FIRST 5 MINUTES" ... "SEV-1/SEV-2: declare
immediately". The target for declaring."""


def entry_kind(kind: InjectKind) -> EntryKind:
    """How an inject shows in the timeline: what a person says is a note, the rest findings."""
    return EntryKind.NOTE if kind is InjectKind.MESSAGE else EntryKind.FINDING


def due_injects(drill: Drill, elapsed: timedelta, delivered: int) -> list[Inject]:
    """The injects due by ELAPSED simulated time that have not been delivered yet (the first
    DELIVERED, in time order, have been)."""
    ordered = sorted(drill.injects, key=lambda i: i.at)
    return [i for i in ordered[delivered:] if i.at <= elapsed]


# -- the report ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measure:
    """One response time against its target (seconds; taken None when never done)."""

    name: str
    taken: float | None
    target: float
    basis: str
    """Where the target comes from ("SEV-1 acknowledge: 5 min")."""

    @property
    def met(self) -> bool | None:
        return None if self.taken is None else self.taken <= self.target


@dataclass(frozen=True, slots=True)
class DrillReport:
    drill: Drill
    incident: Incident
    metrics: Metrics
    measures: tuple[Measure, ...]
    updates_on_time: int
    updates_required: int
    checklist_done: int
    checklist_total: int
    mitigations: tuple[str, ...]
    """The mitigation strategies started or applied, in order (keys)."""
    mitigation_applied: str | None
    injects_delivered: int

    @property
    def mitigation_matched(self) -> bool:
        expected = self.drill.expected_mitigation
        return self.mitigation_applied == expected or (
            self.mitigation_applied is None and expected in self.mitigations
        )

    @property
    def checklist_coverage(self) -> float | None:
        if not self.checklist_total:
            return None
        return 100.0 * self.checklist_done / self.checklist_total


def drill_report(
    drill: Drill,
    incident: Incident,
    entries: Sequence[TimelineEntry],
    roles: Sequence[RoleAssignment],
    checklist: Sequence[ChecklistItem],
    playbook: Playbook,
    now: datetime,
) -> DrillReport:
    """How the drill went: ROLES is the incident's role history, CHECKLIST its items."""
    metrics = incident_metrics(incident, entries, playbook, now)
    detected = utc(incident.detected_at)
    sev = playbook.severity(incident.severity)

    commanders = [utc(r.assigned_at) for r in roles if r.role == COMMANDER]
    first_ic = min(commanders, default=None)
    internal = sorted(
        utc(e.at)
        for e in entries
        if e.kind is EntryKind.UPDATE and e.data.get("update") == UpdateKind.INTERNAL.value
    )

    def since_detection(at: datetime | None) -> float | None:
        return None if at is None else max(0.0, (at - detected).total_seconds())

    declare_delay = (utc(incident.declared_at) - detected).total_seconds()
    measures = (
        Measure(
            "Time to acknowledge",
            metrics.time_to_acknowledge,
            metrics.acknowledge.seconds,
            f"{sev.name} acknowledge: {sev.acknowledge_minutes} min",
        ),
        Measure(
            "Time to declare",
            metrics.time_to_declare,
            FIRST_RESPONSE_MINUTES * 60.0,
            f"first response: {FIRST_RESPONSE_MINUTES} min",
        ),
        Measure(
            "Time to assign IC",
            since_detection(first_ic),
            sev.acknowledge_minutes * 60.0,
            f"{sev.name} response time: {sev.acknowledge_minutes} min",
        ),
        Measure(
            "Time to first internal update",
            since_detection(internal[0] if internal else None),
            max(0.0, declare_delay) + sev.internal_update_minutes * 60.0,
            f"{sev.name} internal updates: every {sev.internal_update_minutes} min"
            " from the declaration",
        ),
    )
    started = [e for e in entries if e.kind is EntryKind.MITIGATION and "mitigation" in e.data]
    keys: list[str] = []
    for entry in sorted(started, key=lambda e: e.at):
        key = str(entry.data["mitigation"])
        if key not in keys:
            keys.append(key)
    applied = next(
        (
            str(e.data["mitigation"])
            for e in sorted(started, key=lambda e: e.at)
            if e.data.get("phase") == "applied"
        ),
        None,
    )
    injected = sum(1 for e in entries if e.text.startswith(f"[{DRILL_MARK} "))
    return DrillReport(
        drill=drill,
        incident=incident,
        metrics=metrics,
        measures=measures,
        updates_on_time=sum(u.on_time for u in metrics.updates),
        updates_required=len(metrics.updates),
        checklist_done=sum(item.done for item in checklist),
        checklist_total=len(checklist),
        mitigations=tuple(keys),
        mitigation_applied=applied,
        injects_delivered=injected,
    )
