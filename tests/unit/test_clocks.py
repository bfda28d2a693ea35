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


# -- snoozes, actions, nudges (issue 8: alerts the IC can act on) ----------------------------


def _clock(kind: ClockKind, clocks: list[Clock]) -> Clock:
    return next(c for c in clocks if c.kind is kind)


def test_a_snoozed_late_clock_shows_but_does_not_alert_until_the_snooze_ends() -> None:
    from warroom.domain.clocks import Snooze

    inc = incident(1, acknowledged_at=t(10, 1))
    snooze = Snooze(ClockKind.INTERNAL_UPDATE, t(10, 31), t(10, 46), "waiting on Stripe")
    late = _clock(ClockKind.INTERNAL_UPDATE, compute_clocks(inc, PLAYBOOK, t(10, 35), [snooze]))
    assert late.state is ClockState.OVERDUE and late.late  # not hidden: still late
    assert not late.alerting and late.snoozed
    assert late.snoozed_until == t(10, 46) and late.snooze_reason == "waiting on Stripe"
    after = _clock(ClockKind.INTERNAL_UPDATE, compute_clocks(inc, PLAYBOOK, t(10, 46), [snooze]))
    assert after.alerting and not after.snoozed  # it resumes alerting
    # A snooze of one clock leaves the others alone.
    sla = _clock(ClockKind.RESOLVE, compute_clocks(inc, PLAYBOOK, t(11, 5), [snooze]))
    assert sla.alerting


def test_a_snooze_ends_when_its_clock_restarts() -> None:
    from warroom.domain.clocks import Snooze

    snooze = Snooze(ClockKind.INTERNAL_UPDATE, t(10, 31), t(11, 30), "waiting on Stripe")
    sent = incident(1, acknowledged_at=t(10, 1), last_internal_update_at=t(10, 40))
    clock = _clock(ClockKind.INTERNAL_UPDATE, compute_clocks(sent, PLAYBOOK, t(11, 15), [snooze]))
    assert clock.alerting and not clock.snoozed  # due 11:10: the old snooze does not cover it


def test_a_late_sla_can_be_snoozed_but_not_the_acknowledgement() -> None:
    from warroom.domain.clocks import SNOOZABLE, snooze_until

    assert set(SNOOZABLE) == {"internal", "stakeholder", "customer", "sla"}
    assert SNOOZABLE["sla"] is ClockKind.RESOLVE
    assert snooze_until(ClockKind.RESOLVE, t(11), timedelta(minutes=15)) == t(11, 15)
    with pytest.raises(ValueError, match="cannot be snoozed"):
        snooze_until(ClockKind.ACKNOWLEDGE, t(11), timedelta(minutes=15))
    with pytest.raises(ValueError, match="needs a length"):
        snooze_until(ClockKind.RESOLVE, t(11), timedelta(0))
    with pytest.raises(ValueError, match="at most 24h"):
        snooze_until(ClockKind.RESOLVE, t(11), timedelta(hours=25))


def test_each_clock_has_its_own_action() -> None:
    from warroom.domain.clocks import Action

    clocks = {c.kind: c for c in compute_clocks(incident(1), PLAYBOOK, t(12))}
    assert clocks[ClockKind.INTERNAL_UPDATE].action is Action.COMPOSE_STATUS_UPDATE
    assert clocks[ClockKind.STAKEHOLDER_UPDATE].action is Action.COMPOSE_STAKEHOLDER_UPDATE
    assert clocks[ClockKind.CUSTOMER_COMMS].action is Action.COMPOSE_CUSTOMER
    assert clocks[ClockKind.ACKNOWLEDGE].action is Action.ACKNOWLEDGE
    assert clocks[ClockKind.RESOLVE].action is Action.NOTHING_TO_SEND


def _role(key: str, person: str = "alice") -> Any:
    from warroom.domain.model import RoleAssignment

    return RoleAssignment(key, person, t(10), "alice")


@pytest.mark.parametrize("severity", [1, 2])
def test_no_commander_after_the_acknowledge_time_is_a_nudge(severity: int) -> None:
    from warroom.domain.clocks import nudges

    inc = incident(severity)
    ack = PLAYBOOK.severity(severity).acknowledge_minutes
    assert nudges(inc, {}, PLAYBOOK, t(10, ack - 1)) == []
    found = nudges(inc, {}, PLAYBOOK, t(10, ack))
    assert [n.key for n in found][:1] == ["no-ic"]
    assert "F3" in found[0].text
    assert all(n.key != "no-ic" for n in nudges(inc, {"ic": _role("ic")}, PLAYBOOK, t(10, 30)))


def test_no_commander_at_sev3_is_not_nudged() -> None:
    from warroom.domain.clocks import nudges

    assert nudges(incident(3), {}, PLAYBOOK, t(13)) == []


def test_unassigned_roles_of_a_sev1_are_nudged_after_ten_minutes() -> None:
    from warroom.domain.clocks import nudges

    inc = incident(1)
    roles = {"ic": _role("ic"), "ops": _role("ops", "bob")}
    assert nudges(inc, roles, PLAYBOOK, t(10, 9)) == []
    found = nudges(inc, roles, PLAYBOOK, t(10, 10))
    assert [(n.key, n.roles) for n in found] == [("roles", ("dev", "comms"))]
    assert found[0].text.startswith("Dev Engineer and Comms Lead unassigned 10m into a SEV-1")
    assert nudges(replace(inc, status=Status.RESOLVED), roles, PLAYBOOK, t(10, 30)) == []
    # SEV-2 needs an IC, not every role.
    assert nudges(replace(inc, severity=2), roles, PLAYBOOK, t(10, 30)) == []


def test_lateness_is_never_zero_minutes_and_cadences_read_in_hours() -> None:
    from warroom.domain.timefmt import cadence, lateness

    assert lateness(40) == "40s" and lateness(0.3) == "1s"
    assert lateness(61) == "1m" and lateness(3700) == "1h 01m"
    assert cadence(120) == "2 h" and cadence(30) == "30 min" and cadence(90) == "1 h 30 min"
    assert cadence(1440) == "24 h"
