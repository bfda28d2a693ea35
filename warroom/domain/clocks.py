"""The incident's clocks, derived from stored timestamps and `now`, never from counting ticks."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from warroom.domain.model import ClockValues, Incident
from warroom.playbook.models import Playbook, Severity


class ClockState(enum.StrEnum):
    OK = "ok"
    WARNING = "warning"  # due within the playbook's warn_minutes
    OVERDUE = "overdue"
    MET = "met"  # satisfied for good (acknowledged, resolved in time, customer told)
    STOPPED = "stopped"  # the incident is resolved: recurring clocks stop


class ClockKind(enum.StrEnum):
    INTERNAL_UPDATE = "internal_update"
    STAKEHOLDER_UPDATE = "stakeholder_update"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    CUSTOMER_COMMS = "customer_comms"


LABELS = {
    ClockKind.INTERNAL_UPDATE: "Internal update",
    ClockKind.STAKEHOLDER_UPDATE: "Stakeholder update",
    ClockKind.ACKNOWLEDGE: "Acknowledge",
    ClockKind.RESOLVE: "Resolve (SLA)",
    ClockKind.CUSTOMER_COMMS: "Customer comms",
}

SHORT_LABELS = {
    ClockKind.INTERNAL_UPDATE: "Internal",
    ClockKind.STAKEHOLDER_UPDATE: "Stakeholders",
    ClockKind.ACKNOWLEDGE: "Acknowledge",
    ClockKind.RESOLVE: "Resolve SLA",
    ClockKind.CUSTOMER_COMMS: "Customers",
}


@dataclass(frozen=True, slots=True)
class Clock:
    kind: ClockKind
    due_at: datetime | None
    state: ClockState
    remaining: float  # seconds until due; negative when overdue; 0 when met/stopped
    note: str = ""

    @property
    def label(self) -> str:
        return LABELS[self.kind]

    @property
    def short_label(self) -> str:
        return SHORT_LABELS[self.kind]

    @property
    def alerting(self) -> bool:
        return self.state is ClockState.OVERDUE


def _running(kind: ClockKind, due_at: datetime, now: datetime, warn: timedelta) -> Clock:
    remaining = (due_at - now).total_seconds()
    if remaining < 0:
        state = ClockState.OVERDUE
    elif remaining <= warn.total_seconds():
        state = ClockState.WARNING
    else:
        state = ClockState.OK
    return Clock(kind, due_at, state, remaining)


def _after(start: datetime, minutes: int) -> datetime:
    return start + timedelta(minutes=minutes)


def clock_values(severity: Severity) -> ClockValues:
    """The severity's clock minutes, to be captured on the incident when it takes it."""
    return ClockValues(
        acknowledge_minutes=severity.acknowledge_minutes,
        resolve_minutes=severity.resolve_minutes,
        internal_update_minutes=severity.internal_update_minutes,
        stakeholder_update_minutes=severity.stakeholder_update_minutes,
        customer_comms_minutes=severity.customer_comms_minutes,
    )


def incident_clock_values(incident: Incident, playbook: Playbook) -> ClockValues:
    """The values the incident's clocks run on: its captured ones, else the playbook's."""
    if incident.clock_values is not None:
        return incident.clock_values
    return clock_values(playbook.severity(incident.severity))


def next_update_due(incident: Incident, severity: Severity) -> datetime:
    """When the next internal status update is due: last update (or declaration) + cadence.

    The cadence is the incident's captured one when it has it, else `severity`'s.
    """
    values = incident.clock_values or clock_values(severity)
    since = incident.last_internal_update_at or incident.declared_at
    return _after(since, values.internal_update_minutes)


def compute_clocks(incident: Incident, playbook: Playbook, now: datetime) -> list[Clock]:
    """Every clock of the incident at `now`, the internal update first.

    The minutes come from the incident's captured clock values when it has them (so a
    playbook reloaded mid-incident changes nothing until the severity changes); only the
    warning window comes from `playbook` in every case.
    """
    values = incident_clock_values(incident, playbook)
    warn = timedelta(minutes=playbook.warn_minutes)
    active = incident.status.is_active

    def recurring(kind: ClockKind, since: datetime | None, minutes: int) -> Clock:
        due = _after(since or incident.declared_at, minutes)
        if not active:
            return Clock(kind, due, ClockState.STOPPED, 0.0)
        return _running(kind, due, now, warn)

    def one_off(kind: ClockKind, due: datetime, done_at: datetime | None) -> Clock:
        if done_at is not None:
            late = done_at > due
            note = "late" if late else "in time"
            return Clock(kind, due, ClockState.MET, 0.0, note)
        if not active:
            return Clock(kind, due, ClockState.STOPPED, 0.0)
        return _running(kind, due, now, warn)

    clocks = [
        recurring(
            ClockKind.INTERNAL_UPDATE,
            incident.last_internal_update_at,
            values.internal_update_minutes,
        ),
        recurring(
            ClockKind.STAKEHOLDER_UPDATE,
            incident.last_stakeholder_update_at,
            values.stakeholder_update_minutes,
        ),
        one_off(
            ClockKind.ACKNOWLEDGE,
            _after(incident.started_at, values.acknowledge_minutes),
            incident.acknowledged_at,
        ),
        one_off(
            ClockKind.RESOLVE,
            _after(incident.started_at, values.resolve_minutes),
            incident.resolved_at,
        ),
    ]
    if values.customer_comms_minutes is None:
        clocks.append(Clock(ClockKind.CUSTOMER_COMMS, None, ClockState.MET, 0.0, "not needed"))
    else:
        clock = one_off(
            ClockKind.CUSTOMER_COMMS,
            _after(incident.started_at, values.customer_comms_minutes),
            incident.last_customer_update_at,
        )
        clocks.append(clock)
    return clocks
