"""The incident's clocks: pure functions of the incident's timestamps, the playbook and `now`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from warroom.domain import (
    Clock,
    ClockKind,
    ClockState,
    Incident,
    Status,
    compute_clocks,
    next_update_due,
)
from warroom.playbook import default_playbook

PLAYBOOK = default_playbook()
ACTIVE = [Status.INVESTIGATING, Status.IDENTIFIED, Status.MITIGATING, Status.MONITORING]
INACTIVE = [Status.RESOLVED, Status.CLOSED]


def t(hour: int, minute: int = 0, second: int = 0, day: int = 27) -> datetime:
    """A fake clock reading: 2026-11-<day> hour:minute:second UTC."""
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


def incident(severity: int = 1, status: Status = Status.INVESTIGATING, **kw: Any) -> Incident:
    """A SEV-`severity` incident detected and declared at 10:00 with nothing else recorded."""
    fields: dict[str, Any] = {
        "id": "INC-2026-11-27-1",
        "title": "Checkout returns 500",
        "severity": severity,
        "status": status,
        "impact_users": "all",
        "impact_features": "payments",
        "detected_at": t(10),
        "declared_at": t(10),
    }
    fields.update(kw)
    return Incident(**fields)


def clock(inc: Incident, kind: ClockKind, now: datetime, playbook: Any = PLAYBOOK) -> Clock:
    clocks = compute_clocks(inc, playbook, now)
    found = [c for c in clocks if c.kind is kind]
    assert len(found) == 1, f"expected exactly one {kind} clock, got {clocks}"
    return found[0]


# --- the runbook's example: SEV-1 declared at 10:00, no update yet -------------------------


def test_sev1_internal_update_is_due_30_minutes_after_declaration() -> None:
    c = clock(incident(), ClockKind.INTERNAL_UPDATE, t(10))
    assert c.due_at == t(10, 30)
    assert c.state is ClockState.OK
    assert c.remaining == 30 * 60
    assert c.label == "Internal update"


@pytest.mark.parametrize(
    ("now", "state", "remaining"),
    [
        (t(10, 0), ClockState.OK, 1800),
        (t(10, 24), ClockState.OK, 360),
        (t(10, 24, 59), ClockState.OK, 301),
        (t(10, 25), ClockState.WARNING, 300),
        (t(10, 27, 30), ClockState.WARNING, 150),
        (t(10, 30), ClockState.WARNING, 0),
        (t(10, 30, 1), ClockState.OVERDUE, -1),
        (t(10, 31), ClockState.OVERDUE, -60),
        (t(12, 30), ClockState.OVERDUE, -7200),
    ],
)
def test_sev1_internal_update_states_around_the_deadline(
    now: datetime, state: ClockState, remaining: float
) -> None:
    c = clock(incident(), ClockKind.INTERNAL_UPDATE, now)
    assert c.due_at == t(10, 30)
    assert c.state is state
    assert c.remaining == remaining
    assert c.alerting is (state is ClockState.OVERDUE)


def test_severity_change_to_sev2_recomputes_the_internal_update_due() -> None:
    sev1 = incident(severity=1)
    assert clock(sev1, ClockKind.INTERNAL_UPDATE, t(10, 31)).state is ClockState.OVERDUE
    sev2 = replace(sev1, severity=2)
    c = clock(sev2, ClockKind.INTERNAL_UPDATE, t(10, 31))
    assert c.due_at == t(11, 0)
    assert c.state is ClockState.OK
    assert c.remaining == 29 * 60


def test_internal_update_at_1040_moves_the_due_to_1110() -> None:
    inc = incident(severity=1, last_internal_update_at=t(10, 40))
    assert clock(inc, ClockKind.INTERNAL_UPDATE, t(10, 41)).due_at == t(11, 10)
    assert clock(inc, ClockKind.INTERNAL_UPDATE, t(10, 41)).state is ClockState.OK
    assert clock(inc, ClockKind.INTERNAL_UPDATE, t(11, 4)).state is ClockState.OK
    assert clock(inc, ClockKind.INTERNAL_UPDATE, t(11, 5)).state is ClockState.WARNING
    assert clock(inc, ClockKind.INTERNAL_UPDATE, t(11, 11)).state is ClockState.OVERDUE


def test_internal_update_does_not_restart_the_stakeholder_clock() -> None:
    inc = incident(severity=1, last_internal_update_at=t(10, 40))
    c = clock(inc, ClockKind.STAKEHOLDER_UPDATE, t(10, 41))
    assert c.due_at == t(11, 0)


@pytest.mark.parametrize(("severity", "minutes"), [(1, 30), (2, 60), (3, 1440)])
def test_next_update_due_matches_the_internal_clock(severity: int, minutes: int) -> None:
    inc = incident(severity=severity)
    sev = PLAYBOOK.severity(severity)
    assert next_update_due(inc, sev) == t(10) + timedelta(minutes=minutes)
    assert next_update_due(inc, sev) == clock(inc, ClockKind.INTERNAL_UPDATE, t(10)).due_at
    updated = replace(inc, last_internal_update_at=t(10, 40))
    assert next_update_due(updated, sev) == t(10, 40) + timedelta(minutes=minutes)


# --- stakeholder updates: 60 / 120 / 1440 minutes ------------------------------------------


@pytest.mark.parametrize(("severity", "minutes"), [(1, 60), (2, 120), (3, 1440)])
def test_stakeholder_update_cadence(severity: int, minutes: int) -> None:
    inc = incident(severity=severity)
    due = t(10) + timedelta(minutes=minutes)
    c = clock(inc, ClockKind.STAKEHOLDER_UPDATE, t(10))
    assert c.due_at == due
    assert c.state is ClockState.OK
    assert clock(inc, ClockKind.STAKEHOLDER_UPDATE, due - timedelta(minutes=5)).state is (
        ClockState.WARNING
    )
    assert clock(inc, ClockKind.STAKEHOLDER_UPDATE, due + timedelta(seconds=1)).state is (
        ClockState.OVERDUE
    )


@pytest.mark.parametrize(("severity", "minutes"), [(1, 60), (2, 120), (3, 1440)])
def test_stakeholder_update_restarts_from_the_last_one_sent(severity: int, minutes: int) -> None:
    inc = incident(severity=severity, last_stakeholder_update_at=t(10, 50))
    c = clock(inc, ClockKind.STAKEHOLDER_UPDATE, t(10, 51))
    assert c.due_at == t(10, 50) + timedelta(minutes=minutes)
    # The internal clock is not touched by a stakeholder update.
    internal = clock(inc, ClockKind.INTERNAL_UPDATE, t(10, 51))
    assert internal.due_at == t(10) + timedelta(
        minutes=PLAYBOOK.severity(severity).internal_update_minutes
    )


# --- acknowledge: 5 / 15 / 60 minutes from the start ---------------------------------------


@pytest.mark.parametrize(("severity", "minutes"), [(1, 5), (2, 15), (3, 60)])
def test_acknowledge_due_from_declaration(severity: int, minutes: int) -> None:
    inc = incident(severity=severity)
    due = t(10) + timedelta(minutes=minutes)
    c = clock(inc, ClockKind.ACKNOWLEDGE, t(10))
    assert c.due_at == due
    assert c.note == ""
    assert clock(inc, ClockKind.ACKNOWLEDGE, due).state is ClockState.WARNING
    assert clock(inc, ClockKind.ACKNOWLEDGE, due + timedelta(seconds=1)).state is (
        ClockState.OVERDUE
    )


@pytest.mark.parametrize(("severity", "minutes"), [(1, 5), (2, 15), (3, 60)])
def test_acknowledge_counts_from_detection_when_detected_before_declared(
    severity: int, minutes: int
) -> None:
    inc = incident(severity=severity, detected_at=t(9, 40), declared_at=t(10))
    c = clock(inc, ClockKind.ACKNOWLEDGE, t(10))
    assert c.due_at == t(9, 40) + timedelta(minutes=minutes)


def test_sev1_acknowledge_detected_ten_minutes_before_declaration_is_already_overdue() -> None:
    inc = incident(severity=1, detected_at=t(9, 50), declared_at=t(10))
    c = clock(inc, ClockKind.ACKNOWLEDGE, t(10))
    assert c.due_at == t(9, 55)
    assert c.state is ClockState.OVERDUE
    assert c.remaining == -5 * 60


def test_acknowledge_uses_declared_time_if_detected_is_later() -> None:
    inc = incident(severity=1, detected_at=t(10, 3), declared_at=t(10))
    assert clock(inc, ClockKind.ACKNOWLEDGE, t(10)).due_at == t(10, 5)


@pytest.mark.parametrize(
    ("acked", "note"),
    [(t(10, 2), "in time"), (t(10, 5), "in time"), (t(10, 5, 1), "late"), (t(11), "late")],
)
def test_acknowledge_met_once_acknowledged(acked: datetime, note: str) -> None:
    inc = incident(severity=1, acknowledged_at=acked)
    # Whatever `now` is, an acknowledged incident's clock is met for good.
    for now in (t(10, 6), t(12), t(23, 59)):
        c = clock(inc, ClockKind.ACKNOWLEDGE, now)
        assert c.state is ClockState.MET
        assert c.note == note
        assert c.remaining == 0
        assert c.due_at == t(10, 5)
        assert not c.alerting


# --- resolve SLA: 1 h / 4 h / 24 h ---------------------------------------------------------


@pytest.mark.parametrize(("severity", "hours"), [(1, 1), (2, 4), (3, 24)])
def test_resolve_sla(severity: int, hours: int) -> None:
    inc = incident(severity=severity)
    due = t(10) + timedelta(hours=hours)
    c = clock(inc, ClockKind.RESOLVE, t(10))
    assert c.due_at == due
    assert c.state is ClockState.OK
    assert c.label == "Resolve (SLA)"
    assert clock(inc, ClockKind.RESOLVE, due + timedelta(minutes=1)).state is ClockState.OVERDUE


def test_resolve_sla_counts_from_detection() -> None:
    inc = incident(severity=1, detected_at=t(9, 30), declared_at=t(10))
    assert clock(inc, ClockKind.RESOLVE, t(10)).due_at == t(10, 30)


@pytest.mark.parametrize(("resolved", "note"), [(t(10, 59), "in time"), (t(11, 1), "late")])
def test_resolve_met_when_resolved(resolved: datetime, note: str) -> None:
    inc = incident(severity=1, status=Status.RESOLVED, resolved_at=resolved)
    c = clock(inc, ClockKind.RESOLVE, t(13))
    assert c.state is ClockState.MET
    assert c.note == note


# --- customer communication ----------------------------------------------------------------


@pytest.mark.parametrize("severity", [1, 2])
def test_customer_comms_due_an_hour_after_start_for_sev1_and_sev2(severity: int) -> None:
    inc = incident(severity=severity)
    c = clock(inc, ClockKind.CUSTOMER_COMMS, t(10, 30))
    assert c.due_at == t(11)
    assert c.state is ClockState.OK
    assert clock(inc, ClockKind.CUSTOMER_COMMS, t(10, 55)).state is ClockState.WARNING
    assert clock(inc, ClockKind.CUSTOMER_COMMS, t(11, 1)).state is ClockState.OVERDUE


def test_customer_comms_counts_from_detection() -> None:
    inc = incident(severity=2, detected_at=t(9, 45), declared_at=t(10))
    assert clock(inc, ClockKind.CUSTOMER_COMMS, t(10)).due_at == t(10, 45)


def test_customer_comms_met_once_customers_are_told() -> None:
    inc = incident(severity=1, last_customer_update_at=t(10, 50))
    c = clock(inc, ClockKind.CUSTOMER_COMMS, t(12))
    assert c.state is ClockState.MET
    assert c.note == "in time"


def test_customer_comms_not_needed_for_sev3() -> None:
    for now in (t(10), t(11, 1), t(23)):
        c = clock(incident(severity=3), ClockKind.CUSTOMER_COMMS, now)
        assert c.state is ClockState.MET
        assert c.note == "not needed"
        assert c.due_at is None
        assert not c.alerting


# --- resolved / closed: recurring clocks stop ----------------------------------------------


@pytest.mark.parametrize("status", INACTIVE)
@pytest.mark.parametrize("severity", [1, 2, 3])
def test_recurring_clocks_stop_when_resolved_or_closed(status: Status, severity: int) -> None:
    inc = incident(
        severity=severity, status=status, resolved_at=t(10, 20), acknowledged_at=t(10, 1)
    )
    # Long after every deadline: nothing may alert once the incident is resolved.
    now = t(23, 0, day=28)
    for kind in (ClockKind.INTERNAL_UPDATE, ClockKind.STAKEHOLDER_UPDATE):
        c = clock(inc, kind, now)
        assert c.state is ClockState.STOPPED
        assert c.remaining == 0
        assert not c.alerting
    assert not any(c.alerting for c in compute_clocks(inc, PLAYBOOK, now))


@pytest.mark.parametrize("status", INACTIVE)
def test_unmet_one_off_clocks_stop_when_resolved(status: Status) -> None:
    inc = incident(severity=1, status=status, resolved_at=t(10, 20))
    ack = clock(inc, ClockKind.ACKNOWLEDGE, t(12))
    assert ack.state is ClockState.STOPPED
    customer = clock(inc, ClockKind.CUSTOMER_COMMS, t(12))
    assert customer.state is ClockState.STOPPED
    # Resolution met the SLA: that one is MET, not stopped.
    assert clock(inc, ClockKind.RESOLVE, t(12)).state is ClockState.MET


@pytest.mark.parametrize("status", ACTIVE)
def test_recurring_clocks_run_in_every_active_status(status: Status) -> None:
    inc = incident(severity=1, status=status)
    assert clock(inc, ClockKind.INTERNAL_UPDATE, t(10, 31)).state is ClockState.OVERDUE
    assert clock(inc, ClockKind.STAKEHOLDER_UPDATE, t(10, 31)).state is ClockState.OK


# --- purity --------------------------------------------------------------------------------


def test_clocks_are_a_pure_function_of_their_inputs() -> None:
    inc = incident(severity=1, last_internal_update_at=t(10, 40), acknowledged_at=t(10, 3))
    first = compute_clocks(inc, PLAYBOOK, t(10, 50))
    # Computing at other times in between (ticks, a suspended laptop) changes nothing.
    for minute in range(0, 60):
        compute_clocks(inc, PLAYBOOK, t(11, minute))
    compute_clocks(inc, PLAYBOOK, t(9))
    again = compute_clocks(inc, PLAYBOOK, t(10, 50))
    assert again == first
    # An equal incident built separately gives equal clocks: no hidden state per object.
    twin = incident(severity=1, last_internal_update_at=t(10, 40), acknowledged_at=t(10, 3))
    assert compute_clocks(twin, PLAYBOOK, t(10, 50)) == first
    # The incident itself is untouched.
    assert inc == twin


def test_a_restart_shows_the_right_countdown_without_ticks() -> None:
    inc = incident(severity=1)
    # Jumping straight to 10:29:30 (e.g. after a restart) gives the same as being there.
    c = clock(inc, ClockKind.INTERNAL_UPDATE, t(10, 29, 30))
    assert c.remaining == 30
    assert c.state is ClockState.WARNING


def test_clock_order_and_kinds() -> None:
    kinds = [c.kind for c in compute_clocks(incident(), PLAYBOOK, t(10))]
    assert kinds == [
        ClockKind.INTERNAL_UPDATE,
        ClockKind.STAKEHOLDER_UPDATE,
        ClockKind.ACKNOWLEDGE,
        ClockKind.RESOLVE,
        ClockKind.CUSTOMER_COMMS,
    ]


def test_now_in_another_timezone_is_the_same_instant() -> None:
    plus_two = timezone(timedelta(hours=2))
    now = datetime(2026, 11, 27, 12, 31, tzinfo=plus_two)  # 10:31 UTC
    assert clock(incident(), ClockKind.INTERNAL_UPDATE, now).state is ClockState.OVERDUE


# --- values come from the playbook, not from code ------------------------------------------


def test_warning_window_comes_from_the_playbook() -> None:
    playbook = replace(PLAYBOOK, warn_minutes=10)
    assert clock(incident(), ClockKind.INTERNAL_UPDATE, t(10, 20), playbook).state is (
        ClockState.WARNING
    )
    assert clock(incident(), ClockKind.INTERNAL_UPDATE, t(10, 19), playbook).state is (
        ClockState.OK
    )


def test_cadences_come_from_the_playbook() -> None:
    sev1 = replace(PLAYBOOK.severity(1), internal_update_minutes=15, customer_comms_minutes=None)
    playbook = replace(PLAYBOOK, severities=[sev1, *PLAYBOOK.severities[1:]])
    assert clock(incident(), ClockKind.INTERNAL_UPDATE, t(10), playbook).due_at == t(10, 15)
    customer = clock(incident(), ClockKind.CUSTOMER_COMMS, t(10), playbook)
    assert customer.state is ClockState.MET
    assert customer.note == "not needed"


def test_unknown_severity_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="no severity 7"):
        compute_clocks(incident(severity=7), PLAYBOOK, t(10))
