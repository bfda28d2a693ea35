"""The Store's two sides: reads through sqlite3 (reader.py), writes through SQLModel.

The war room starts without importing the ORM. These tests hold the two sides to one schema
and check that the start-up path really stays free of it.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import FakeClock, python_c
from sqlalchemy import DateTime

from warroom.domain.model import Status
from warroom.playbook import default_playbook
from warroom.store import tables
from warroom.store.outbox import counts, get_message, list_outbox, pending_heads, send_message
from warroom.store.reader import TABLES, Reader, StoreError, is_time_column
from warroom.store.store import Store

PLAYBOOK = default_playbook()


def test_the_reader_knows_every_table() -> None:
    assert set(tables.METADATA.tables) == TABLES


@pytest.mark.parametrize("table", sorted(TABLES))
def test_timestamp_columns_are_the_ones_the_reader_parses(table: str) -> None:
    for column in tables.METADATA.tables[table].columns:
        stored_as_time = isinstance(getattr(column.type, "impl", column.type), DateTime)
        assert stored_as_time == is_time_column(column.name), f"{table}.{column.name}"


def test_reads_give_what_the_writes_returned(store: Store, clock: FakeClock) -> None:
    inc = store.declare("Checkout down", 1, impact_users="all", impact_features="payments")
    assert store.get(inc.id) == inc == store.current()
    clock.advance(minutes=3)
    note = store.log(inc.id, "a | b `c` {{ x }}", pinned=True)
    backdated = store.log(inc.id, "it started", at=datetime(2026, 11, 27, 9, 55, tzinfo=UTC))
    role = store.assign(inc.id, "ic", "alice")
    (item, *_) = store.checklist(inc.id)
    ticked = store.tick(item.id)
    action = store.add_action_item(inc.id, "Add an alert", "P1", "bob")
    updated = store.set_status(inc.id, Status.MITIGATING)

    timeline = store.timeline(inc.id)
    assert timeline[0] == backdated  # ordered by `at`
    assert note in timeline and note.pinned is True
    assert timeline[-1].data == {"from": "investigating", "to": "mitigating"}
    assert all(e.at.tzinfo is UTC and e.logged_at.tzinfo is UTC for e in timeline)
    typed = store.last_entry(inc.id)  # the last one typed (an action item is a TODO entry)
    assert typed is not None and typed.text == "Action item P1: Add an alert (@bob)"
    assert store.last_entry(inc.id, typed_only=False) == timeline[-1]
    assert store.entry_count(inc.id) == len(timeline)
    assert store.roles(inc.id) == {"ic": role}
    assert ticked in store.checklist(inc.id)
    assert store.action_items(inc.id) == [action]
    assert store.get(inc.id) == updated
    assert store.incidents() == [updated]


def test_timeline_windows_read_forwards_and_backwards_alike(store: Store) -> None:
    inc = store.declare("Many entries", 2)
    store.log_many(inc.id, (f"line {n}" for n in range(60)))
    everything = store.timeline(inc.id)
    total = len(everything)
    for offset, limit in ((0, 10), (5, 20), (40, 30), (total - 7, 7), (total - 3, 10)):
        window = store.timeline(inc.id, offset, limit, total)
        assert window == everything[offset : offset + limit], (offset, limit)


def test_outbox_reads(store: Store, clock: FakeClock) -> None:
    inc = store.declare("Checkout down", 1)
    first, second = send_message(store, inc.id, "status_update", "We are on it", ["ops", "eng"])
    (third,) = send_message(store, inc.id, "status_update", "Still on it", ["ops"])
    assert [m.id for m in list_outbox(store)] == [third, second, first]
    assert [m.id for m in list_outbox(store, inc.id, limit=1)] == [third]
    assert get_message(store, first).text == "We are on it"
    assert get_message(store, first).created_at == clock()
    assert {h.id for h in pending_heads(store)} == {first, second}  # one per channel, oldest
    found = counts(store, inc.id)
    assert (found["pending"], found["sent"]) == (3, 0)


def test_a_read_error_names_the_database(tmp_path: Path) -> None:
    bad = tmp_path / "not-a.db"
    bad.write_bytes(b"this is not SQLite " * 100)
    with pytest.raises(StoreError, match=r"not-a\.db: cannot open: file is not a database"):
        Store(bad, PLAYBOOK)
    reader = Reader(bad)
    with pytest.raises(StoreError, match=r"not-a\.db: cannot read: file is not a database"):
        reader.rows("SELECT * FROM incident")
    reader.close()


def test_writes_from_many_threads_at_once_all_land(db_path: Path) -> None:
    """The writing connections are shared between threads: each write takes one, alone."""
    store = Store(db_path, PLAYBOOK)
    try:
        inc = store.declare("Checkout down", 2)
        barrier = threading.Barrier(4)

        def write(n: int) -> None:
            store.prepare_writes()
            barrier.wait()
            for k in range(25):
                store.log(inc.id, f"thread {n} entry {k}")

        threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        texts = [e.text for e in store.timeline(inc.id) if e.text.startswith("thread")]
        assert sorted(texts) == sorted(f"thread {n} entry {k}" for n in range(4) for k in range(25))
    finally:
        store.dispose()


STARTUP = """
import sys
from warroom.playbook import default_playbook
from warroom.store.outbox import counts, list_outbox
from warroom.store.store import Store
import warroom.cli, warroom.tui.app
from warroom.domain.model import Status

store = Store(sys.argv[1], default_playbook())
inc = store.current()
shown = (
    inc.title,
    len(store.timeline(inc.id, 0, 50, store.entry_count(inc.id))),
    sorted(store.roles(inc.id)),
    len(store.checklist(inc.id)),
    counts(store, inc.id)["pending"],
    len(list_outbox(store)),
)
print(shown)
print("orm loaded:", "sqlalchemy" in sys.modules or "sqlmodel" in sys.modules)
store.log(inc.id, "first write")
print(store.timeline(inc.id)[-1].text)
store.acknowledge(inc.id)
store.set_severity(inc.id, 2)
store.assign(inc.id, "ops", "bob")
store.set_status(inc.id, Status.MONITORING)
store.add_action_item(inc.id, "Add an alert", "P1", "bob")
store.close(inc.id)
print("orm loaded:", "sqlalchemy" in sys.modules or "sqlmodel" in sys.modules)
"""


def test_the_war_room_starts_without_the_orm(store: Store, db_path: Path) -> None:
    inc = store.declare("Checkout down", 1)
    store.assign(inc.id, "ic", "alice")
    send_message(store, inc.id, "status_update", "We are on it", ["ops"])
    entries = store.entry_count(inc.id)
    shown, before, written, after = python_c(STARTUP, str(db_path)).splitlines()
    assert shown == f"('Checkout down', {entries}, ['ic'], {len(store.checklist(inc.id))}, 1, 1)"
    assert before == "orm loaded: False"
    # Nor for any write (sql.py says why): a one-shot command pays for none of it.
    assert (written, after) == ("first write", "orm loaded: False")
    assert store.get(inc.id).status is Status.CLOSED


def test_opening_a_database_that_needs_setting_up_uses_the_orm(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.db"
    code = (
        "import sys; from warroom.playbook import default_playbook;"
        "from warroom.store.store import Store;"
        "s = Store(sys.argv[1], default_playbook());"
        "print(s.incidents(), 'sqlmodel' in sys.modules)"
    )
    assert python_c(code, str(fresh)).strip() == "[] True"
    assert Store(fresh, PLAYBOOK).incidents() == []  # set up: the tables are there


def _open_files(path: Path) -> int:
    """How many file descriptors of this process are open on `path`."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}") == str(path)
        except OSError:
            continue
    return count


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_reads_from_passing_threads_do_not_pile_up_connections(store: Store) -> None:
    inc = store.declare("Checkout down", 1)
    store.current()
    before = _open_files(store.path)
    for _ in range(30):  # a worker thread per delivery round, say
        thread = threading.Thread(target=lambda: store.timeline(inc.id, 0, 10, 1))
        thread.start()
        thread.join()
    assert _open_files(store.path) <= before + 1


def test_the_write_side_fills_in_the_defaults_of_the_schema() -> None:
    """sql.DEFAULTS (plain SQL, no ORM) says what tables.py says, table by table."""
    from sqlmodel import SQLModel  # noqa: F401 (the tables' base)

    from warroom.store.sql import DEFAULTS

    assert set(DEFAULTS) == set(TABLES)
    for name, table in tables.METADATA.tables.items():
        declared = {
            column.name: column.default.arg
            for column in table.columns
            if column.default is not None and not callable(column.default.arg)
        }
        assert DEFAULTS[name] == declared, name


def test_a_time_written_by_plain_sql_reads_as_the_orm_writes_it(db_path: Path) -> None:
    """Times keep SQLAlchemy's SQLite format (microseconds always there), so that old and
    new rows sort and compare alike as text."""
    from sqlalchemy.dialects import sqlite

    from warroom.store.sql import db_value

    when = datetime(2026, 3, 1, 12, 5, 0, tzinfo=UTC)  # no microseconds: the tricky case
    processor = DateTime().dialect_impl(sqlite.dialect()).bind_processor(sqlite.dialect())
    assert processor is not None
    assert db_value(when) == processor(when) == "2026-03-01 12:05:00.000000"
