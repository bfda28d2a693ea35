"""The review's metrics, from a record made live with a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from warroom.domain.metrics import incident_metrics
from warroom.domain.model import Status, UpdateKind

MIN = 60.0


def at(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 27, hour, minute, tzinfo=UTC)


def play(store, clock) -> str:
    """SEV-2 declared 10:00 (detected 09:50), raised to SEV-1, resolved 11:30."""
    clock.now = at(10, 0)
    incident = store.declare("Checkout errors", 2, detected_at=at(9, 50))
    clock.now = at(10, 4)
    store.acknowledge(incident.id)
    clock.now = at(10, 10)
    store.record_update(incident.id, UpdateKind.INTERNAL, "first update")
    clock.now = at(10, 20)
    store.set_severity(incident.id, 1)
    clock.now = at(10, 25)
    store.set_status(incident.id, Status.IDENTIFIED)
    clock.now = at(10, 40)
    store.record_update(incident.id, UpdateKind.INTERNAL, "second update")
    clock.now = at(10, 50)
    store.set_status(incident.id, Status.MITIGATING)
    clock.now = at(11, 0)
    store.set_status(incident.id, Status.MONITORING)  # mitigated
    clock.now = at(11, 30)
    store.set_status(incident.id, Status.RESOLVED)
    return incident.id


def test_metrics_of_a_record(store, clock) -> None:
    incident_id = play(store, clock)
    incident = store.get(incident_id)
    metrics = incident_metrics(incident, store.timeline(incident_id), store.playbook, at(12, 0))
    assert metrics.time_to_acknowledge == 14 * MIN
    assert metrics.time_to_declare == 10 * MIN
    assert metrics.time_to_identify == 35 * MIN
    assert metrics.time_to_mitigate == 70 * MIN
    assert metrics.downtime == 70 * MIN  # no impact window given: detection to mitigation
    assert metrics.time_to_resolve == 100 * MIN
    assert metrics.time_to_detect is None  # no impact start known
    assert metrics.time_at_severity == {2: 20 * MIN, 1: 70 * MIN}  # from the declaration
    assert metrics.time_in_status == {
        "investigating": 25 * MIN,
        "identified": 25 * MIN,
        "mitigating": 10 * MIN,
        "monitoring": 30 * MIN,
        "resolved": 30 * MIN,  # until now (12:00): not closed yet
    }
    # SEV-2 when acknowledged: 15 minutes allowed, 14 taken. SEV-1 at the end: 1 h to resolve.
    assert (metrics.acknowledge.met, metrics.acknowledge.margin) == (True, 1 * MIN)
    assert (metrics.resolve.met, metrics.resolve.margin) == (False, -40 * MIN)


def test_cadence_follows_the_severity_in_force(store, clock) -> None:
    incident_id = play(store, clock)
    metrics = incident_metrics(
        store.get(incident_id), store.timeline(incident_id), store.playbook, at(12, 0)
    )
    internal = [
        (u.due_at, u.sent_at, u.late) for u in metrics.updates if u.kind is UpdateKind.INTERNAL
    ]
    assert internal == [
        (at(11, 0), at(10, 10), 0.0),  # SEV-2: every 60 min from the declaration
        (at(10, 40), at(10, 40), 0.0),  # SEV-1 from 10:20: 30 min after 10:10, as shown
        (at(11, 10), None, 20 * MIN),  # SEV-1 from 10:40: due 11:10, never sent by 11:30
    ]
    customer = [
        (u.due_at, u.sent_at, u.late) for u in metrics.updates if u.kind is UpdateKind.CUSTOMER
    ]
    assert customer == [(at(10, 50), None, 40 * MIN)]  # 60 min from detection
    # Stakeholders: every 2 h at SEV-2, hourly at SEV-1: from 10:20, due 11:00.
    stakeholder = [
        (u.due_at, u.sent_at) for u in metrics.updates if u.kind is UpdateKind.STAKEHOLDER
    ]
    assert stakeholder == [(at(11, 0), None)]
    assert metrics.cadence_compliance == 40.0  # 2 of 5 on time
    assert metrics.longest_silence == 50 * MIN  # 10:40 to resolution at 11:30


def test_impact_window_and_time_to_detect(store, clock) -> None:
    incident_id = play(store, clock)
    incident = store.get(incident_id)
    metrics = incident_metrics(
        incident,
        store.timeline(incident_id),
        store.playbook,
        at(12, 0),
        impact_start=at(9, 40),
        impact_end=at(11, 0),
    )
    assert metrics.time_to_detect == 10 * MIN
    assert metrics.downtime == 80 * MIN


def test_an_open_incident_counts_to_now(store, clock) -> None:
    clock.now = at(10, 0)
    incident = store.declare("Slow search", 3)
    now = at(10, 0) + timedelta(hours=2)
    metrics = incident_metrics(incident, store.timeline(incident.id), store.playbook, now)
    assert metrics.time_to_acknowledge is None and metrics.acknowledge.met is None
    assert metrics.time_to_resolve is None and metrics.resolve.met is None
    assert metrics.time_at_severity == {3: 120 * MIN}
    assert metrics.cadence_compliance is None  # SEV-3: daily updates, none due yet


def test_the_review_never_hides_a_short_time_as_0m(store, clock, tmp_path) -> None:
    from warroom.comms.review import load_review_data, render_review

    incident = store.declare("Blip", 1)
    clock.advance(seconds=40)
    store.acknowledge(incident.id)
    store.close(incident.id)
    text = render_review(load_review_data(store, incident.id))
    import re

    assert "| Time to acknowledge | 40s (target 5m: met, 4m to spare) |" in text
    section = text.split("## Metrics")[1].split("## Timeline")[0]
    assert not re.search(r"\b0m\b", section)
    assert "| Time in each status | Investigating 40s" in section


def test_live_and_backdated_give_the_same_metrics(tmp_path, clock) -> None:
    """The same incident entered as it happened (a fake clock) and afterwards with `at`."""
    from warroom.playbook import default_playbook
    from warroom.store.store import Store

    live = Store(tmp_path / "live.db", default_playbook(), clock=clock, author="ann")
    play(live, clock)  # as it happened, the clock moving
    later = Store(tmp_path / "later.db", default_playbook(), clock=clock, author="ann")
    clock.now = at(18, 0)  # the same day, hours after: everything typed with its time
    with later.at(at(10, 0)):
        incident = later.declare("Checkout errors", 2, detected_at=at(9, 50))
    steps = [
        (at(10, 4), lambda i: later.acknowledge(i)),
        (at(10, 10), lambda i: later.record_update(i, UpdateKind.INTERNAL, "first update")),
        (at(10, 20), lambda i: later.set_severity(i, 1)),
        (at(10, 25), lambda i: later.set_status(i, Status.IDENTIFIED)),
        (at(10, 40), lambda i: later.record_update(i, UpdateKind.INTERNAL, "second update")),
        (at(10, 50), lambda i: later.set_status(i, Status.MITIGATING)),
        (at(11, 0), lambda i: later.set_status(i, Status.MONITORING)),
        (at(11, 30), lambda i: later.set_status(i, Status.RESOLVED)),
    ]
    for when, step in steps:
        with later.at(when):
            step(incident.id)
    (first,) = live.incidents()
    now = at(18, 0)
    assert incident_metrics(first, live.timeline(first.id), live.playbook, now) == incident_metrics(
        later.get(incident.id), later.timeline(incident.id), later.playbook, now
    )
    live.dispose()
    later.dispose()
