"""`Store.at`: every action recorded with its own time, consequences included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from warroom.domain.model import EntryKind, ReviewNotes, Status, UpdateKind
from warroom.store.target import DatabaseTarget


@pytest.fixture
def db_path(any_db: Path | DatabaseTarget) -> Path | DatabaseTarget:
    """conftest's `store` on SQLite and on PostgreSQL (conftest.any_db)."""
    return any_db


def t(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_a_declaration_at_a_past_time_takes_that_date_in_its_id(store, clock) -> None:
    clock.now = t(27, 10)
    with store.at(t(25, 23, 50)):
        incident = store.declare("Old outage", 1, detected_at=t(25, 23, 40), commander="ann")
    assert incident.id == "INC-2026-11-25-1"
    assert (incident.declared_at, incident.detected_at) == (t(25, 23, 50), t(25, 23, 40))
    assert store.roles(incident.id)["ic"].assigned_at == t(25, 23, 50)
    declared = [e for e in store.timeline(incident.id) if e.kind is EntryKind.DECLARED]
    assert [e.at for e in declared] == [t(25, 23, 50)]
    assert declared[0].logged_at == t(27, 10)  # when it was typed, kept apart


def test_consequences_take_the_actions_time(store, clock) -> None:
    clock.now = t(27, 12)
    with store.at(t(27, 9)):
        incident = store.declare("Checkout", 2)
    with store.at(t(27, 9, 3)):
        store.acknowledge(incident.id)
    with store.at(t(27, 9, 20)):
        store.record_update(incident.id, UpdateKind.INTERNAL, "first")
    with store.at(t(27, 10)):
        store.set_status(incident.id, Status.RESOLVED)
    incident = store.get(incident.id)
    assert incident.acknowledged_at == t(27, 9, 3)
    assert incident.last_internal_update_at == t(27, 9, 20)
    assert incident.resolved_at == t(27, 10)
    ticked = {item.text: item.done_at for item in store.checklist(incident.id) if item.done}
    assert t(27, 9, 3) in ticked.values()  # acknowledging ticked its items then
    assert t(27, 10) in ticked.values()  # resolving too
    assert max(e.at for e in store.timeline(incident.id)) == t(27, 10)


def test_a_change_may_precede_the_declaration_but_not_detection(store, clock) -> None:
    clock.now = t(27, 12)
    with store.at(t(27, 10)):
        incident = store.declare("Checkout", 2, detected_at=t(27, 9, 30))
    with store.at(t(27, 9, 45)):  # identified before anyone declared: allowed
        store.set_status(incident.id, Status.IDENTIFIED)
    with (
        pytest.raises(ValueError, match="before the incident was detected"),
        store.at(t(27, 9, 20)),
    ):
        store.set_severity(incident.id, 1)
    with store.at(t(27, 8)):  # what led up to it: an entry may
        store.log(incident.id, "config push")
    assert store.get(incident.id).severity == 2
    texts = [e.text for e in store.timeline(incident.id)]
    assert texts[0] == "config push"  # ordered by time, whatever the order of entry


def test_the_future_is_refused(store, clock) -> None:
    incident = store.declare("Checkout", 2)
    with (
        pytest.raises(ValueError, match="in the future"),
        store.at(clock.now + timedelta(minutes=1)),
    ):
        store.acknowledge(incident.id)
    assert store.get(incident.id).acknowledged_at is None


def test_close_with_answers_and_items_is_one_transaction(store, clock, monkeypatch) -> None:
    incident = store.declare("Checkout", 2)
    with pytest.raises(KeyError):  # an unknown priority: nothing of the close is kept
        store.close(incident.id, ReviewNotes(root_cause="pool"), items=[("P9", "bob", "x")])
    kept = store.get(incident.id)
    assert (kept.status, kept.review.root_cause, store.action_items(incident.id)) == (
        Status.INVESTIGATING,
        "",
        [],
    )
    closed = store.close(
        incident.id, ReviewNotes(root_cause="pool"), items=[("P1", "bob", "alert on pool")]
    )
    assert closed.status is Status.CLOSED and closed.review.root_cause == "pool"
    assert [(a.priority, a.owner) for a in store.action_items(incident.id)] == [("P1", "bob")]


def test_reopen_a_closed_incident(store, clock) -> None:
    incident = store.declare("Checkout", 2)
    store.close(incident.id)
    clock.advance(minutes=30)
    reopened = store.reopen(incident.id)
    assert reopened.status is Status.INVESTIGATING and reopened.is_open
    assert reopened.closed_at is None and reopened.resolved_at is None
    assert any("reopened" in e.text for e in store.timeline(incident.id))
    with pytest.raises(ValueError, match="not closed or resolved"):
        store.reopen(incident.id)
