"""The incident's clocks, derived from stored timestamps and `now`, never from counting ticks."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from warroom.domain.model import ClockValues, Incident, RoleAssignment
from warroom.domain.timefmt import hhmm
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


SNOOZABLE = {
    "internal": ClockKind.INTERNAL_UPDATE,
    "stakeholder": ClockKind.STAKEHOLDER_UPDATE,
    "customer": ClockKind.CUSTOMER_COMMS,
    "sla": ClockKind.RESOLVE,
}
"""The clocks `/snooze` takes, by the word typed. Not the acknowledgement: F8 is one key."""

MAX_SNOOZE = timedelta(hours=24)


class Action(enum.StrEnum):
    """What the IC does about a clock that is due: each clock has its own."""

    COMPOSE_STATUS_UPDATE = "status_update"
    COMPOSE_STAKEHOLDER_UPDATE = "stakeholder_update"
    COMPOSE_CUSTOMER = "customer"
    ACKNOWLEDGE = "ack"
    NOTHING_TO_SEND = "nothing"


ACTIONS = {
    ClockKind.INTERNAL_UPDATE: Action.COMPOSE_STATUS_UPDATE,
    ClockKind.STAKEHOLDER_UPDATE: Action.COMPOSE_STAKEHOLDER_UPDATE,
    ClockKind.CUSTOMER_COMMS: Action.COMPOSE_CUSTOMER,
    ClockKind.ACKNOWLEDGE: Action.ACKNOWLEDGE,
    ClockKind.RESOLVE: Action.NOTHING_TO_SEND,
}


def snooze_word(kind: ClockKind) -> str | None:
    """The word `/snooze` takes for `kind`, or None if it cannot be snoozed."""
    return next((word for word, k in SNOOZABLE.items() if k is kind), None)


@dataclass(frozen=True, slots=True)
class Snooze:
    """The IC silenced a clock's alerts until `until`, saying why. Logged, never silent."""

    clock: ClockKind
    at: datetime
    until: datetime
    reason: str
    author: str = ""


@dataclass(frozen=True, slots=True)
class Clock:
    kind: ClockKind
    due_at: datetime | None
    state: ClockState
    remaining: float  # seconds until due; negative when overdue; 0 when met/stopped
    note: str = ""
    snoozed_until: datetime | None = None  # set while a snooze is in force (it is not hidden)
    snooze_reason: str = ""

    @property
    def label(self) -> str:
        return LABELS[self.kind]

    @property
    def short_label(self) -> str:
        return SHORT_LABELS[self.kind]

    @property
    def action(self) -> Action:
        return ACTIONS[self.kind]

    @property
    def snoozed(self) -> bool:
        return self.snoozed_until is not None

    @property
    def late(self) -> bool:
        """Past due, snoozed or not."""
        return self.state is ClockState.OVERDUE

    @property
    def alerting(self) -> bool:
        """Past due and not snoozed: rings and notifies."""
        return self.state is ClockState.OVERDUE and not self.snoozed

    @property
    def warning(self) -> bool:
        """Due soon and not snoozed."""
        return self.state is ClockState.WARNING and not self.snoozed


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


def compute_clocks(
    incident: Incident, playbook: Playbook, now: datetime, snoozes: Sequence[Snooze] = ()
) -> list[Clock]:
    """Every clock of the incident at `now`, the internal update first.

    The minutes come from the incident's captured clock values when it has them (so a
    playbook reloaded mid-incident changes nothing until the severity changes); only the
    warning window comes from `playbook` in every case.

    A snooze in force (`snoozes`, the incident's, any order) marks its clock `snoozed_until`:
    the clock keeps its state and countdown, it stops alerting until then. A snooze ends at
    its time, or when its clock restarts (the update it put off was sent).
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
    restarted = {
        ClockKind.INTERNAL_UPDATE: incident.last_internal_update_at or incident.declared_at,
        ClockKind.STAKEHOLDER_UPDATE: incident.last_stakeholder_update_at or incident.declared_at,
    }
    return [_snoozed(c, snoozes, now, restarted.get(c.kind)) for c in clocks]


def _snoozed(
    clock: Clock, snoozes: Sequence[Snooze], now: datetime, restarted: datetime | None
) -> Clock:
    if clock.state in (ClockState.MET, ClockState.STOPPED):
        return clock
    current = [
        s
        for s in snoozes
        if s.clock is clock.kind
        and s.at <= now < s.until
        and (restarted is None or s.at >= restarted)
    ]
    if not current:
        return clock
    latest = max(current, key=lambda s: s.at)
    return replace(clock, snoozed_until=latest.until, snooze_reason=latest.reason)


def snooze_until(kind: ClockKind, now: datetime, length: timedelta) -> datetime:
    """When a snooze of `length` from `now` ends; a ValueError for what cannot be snoozed."""
    if snooze_word(kind) is None:
        raise ValueError(f"{LABELS[kind]} cannot be snoozed")
    if length <= timedelta(0):
        raise ValueError("a snooze needs a length: 15m, 1h")
    if length > MAX_SNOOZE:
        raise ValueError("a snooze lasts at most 24h")
    return now + length


# -- nudges --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Nudge:
    """Something the incident lacks that the runbook asks for: a warning, rung once."""

    key: str  # what it is about ("no-ic", "roles"): one notification each
    text: str
    roles: tuple[str, ...] = ()  # the role keys it is about


def nudges(
    incident: Incident,
    roles: Mapping[str, RoleAssignment],
    playbook: Playbook,
    now: datetime,
) -> list[Nudge]:
    """What to nudge the IC about at `now`.

    - SEV-1 and SEV-2 need an Incident Commander once the acknowledge time has passed.
    - SEV-1 has every role filled (all hands on deck) `role_nudge_minutes` after declaring.
    Nothing once the incident is resolved.
    """
    if not incident.status.is_active:
        return []
    values = incident_clock_values(incident, playbook)
    found: list[Nudge] = []
    commander = playbook.commander()
    ack_due = _after(incident.started_at, values.acknowledge_minutes)
    no_ic = commander is not None and commander.key not in roles
    if commander is not None and no_ic and incident.severity <= 2 and now >= ack_due:
        found.append(
            Nudge(
                "no-ic",
                f"No {commander.name} at SEV-{incident.severity} since {hhmm(ack_due)}:"
                " F3 assigns one",
                (commander.key,),
            )
        )
    role_due = _after(incident.declared_at, playbook.role_nudge_minutes)
    if incident.severity == 1 and now >= role_due:
        nudged = {role for n in found for role in n.roles}
        unassigned = [r for r in playbook.roles if r.key not in roles and r.key not in nudged]
        if unassigned:
            names = [r.name for r in unassigned]
            listed = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
            found.append(
                Nudge(
                    "roles",
                    f"{listed} unassigned {playbook.role_nudge_minutes}m into a SEV-1"
                    " (all hands): F3 assigns",
                    tuple(r.key for r in unassigned),
                )
            )
    return found
