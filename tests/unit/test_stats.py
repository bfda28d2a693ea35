"""Numbers across incidents, from the review's metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from warroom.domain.metrics import incident_metrics
from warroom.domain.model import Status
from warroom.domain.stats import incident_stats, spread

MIN = 60.0


def test_spread_median_and_p90() -> None:
    assert spread([]).median is None
    values = [float(v) for v in range(1, 11)]  # 1..10
    s = spread(values)
    assert (s.count, s.median, s.p90) == (10, 5.5, 9.0)
    assert spread([7.0]).p90 == 7.0


def test_stats_by_severity_from_the_metrics(store, clock) -> None:
    start = datetime(2026, 11, 1, 10, tzinfo=UTC)
    measured = []
    for n, (ack, resolve) in enumerate([(3, 50), (8, 70), (4, 40)]):
        clock.now = start + timedelta(days=n)
        incident = store.declare(f"Outage {n}", 1)
        clock.advance(minutes=ack)
        store.acknowledge(incident.id)
        clock.advance(minutes=resolve - ack)
        store.set_status(incident.id, Status.RESOLVED)
        store.close(incident.id)
    for incident in store.incidents():
        entries = store.timeline(incident.id)
        measured.append((incident, incident_metrics(incident, entries, store.playbook, clock.now)))
    item = store.add_action_item(measured[0][0].id, "alert on pool", "P0", "bob")
    stats = incident_stats(measured, store.action_items(item.incident_id), clock.now)
    (sev1,) = stats.by_severity
    assert (sev1.level, sev1.incidents) == (1, 3)
    assert sev1.acknowledge.median == 4 * MIN and sev1.acknowledge.p90 == 8 * MIN
    assert sev1.resolve.median == 50 * MIN
    assert sev1.acknowledge_met == 100 * 2 / 3  # 5 minutes allowed: 8 is late
    assert sev1.resolve_met == 200 / 3  # 1 h allowed: 70 minutes is late
    assert (stats.action_items_open, stats.action_items_overdue) == (1, 0)
    later = incident_stats(
        measured, store.action_items(item.incident_id), clock.now + timedelta(days=3)
    )
    assert later.action_items_overdue == 1  # P0: due in 48 h


def test_search_across_incidents_marks_the_match(store, clock) -> None:
    first = store.declare("Checkout down", 1)
    store.log(first.id, "Connection pool exhausted on db-3")
    second = store.declare("Search slow", 3)
    store.log(second.id, "pool size doubled; 'quotes' and \"FTS\" OR syntax NOT special")
    found = store.search("POOL")
    assert {entry.incident_id for entry, _ in found} == {first.id, second.id}
    marked = dict((entry.incident_id, text) for entry, text in found)
    assert "[pool]" in marked[second.id] and "[Connection]" not in marked[first.id]
    assert [e.text for e, _ in store.search("pool db-3")] == ["Connection pool exhausted on db-3"]
    assert store.search('"FTS" OR') != []  # user text is words, never query syntax
    import pytest

    with pytest.raises(ValueError):
        store.search("   ")


def test_an_older_database_gets_the_search_index_filled(db_path, clock) -> None:
    import sqlite3

    from warroom.playbook import default_playbook
    from warroom.store.store import Store

    store = Store(db_path, default_playbook(), clock=clock)
    incident = store.declare("Old one", 2)
    store.log(incident.id, "kafka lag growing")
    store.dispose()
    with sqlite3.connect(db_path) as conn:  # as a schema-6 database: no index
        conn.execute("DROP TABLE timeline_search")
        for name in ("insert", "delete", "update"):
            conn.execute(f"DROP TRIGGER timeline_search_{name}")
        conn.execute("PRAGMA user_version = 6")
    again = Store(db_path, default_playbook(), clock=clock)
    assert [e.text for e, _ in again.search("kafka")] == ["kafka lag growing"]
    again.dispose()


def test_action_items_done_across_incidents(store, clock) -> None:
    incident = store.declare("Checkout down", 1)
    item = store.add_action_item(incident.id, "alert on pool", "P1", "bob")
    assert [i.status for i in store.all_action_items()] == ["Open"]
    store.set_action_item_done(item.id)
    assert [i.status for i in store.all_action_items()] == ["Done"]
    assert "Action item P1 done: alert on pool" in store.timeline(incident.id)[-1].text
    store.close(incident.id)
    store.set_action_item_done(item.id, done=False)  # after close: on the item only
    assert [i.status for i in store.all_action_items()] == ["Open"]
    import pytest

    from warroom.store.store import NotFound

    with pytest.raises(NotFound, match="no action item 99"):
        store.set_action_item_done(99)
