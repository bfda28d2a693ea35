"""PostgreSQL groundwork (warroom/store/pg.py), against a real server (tests/pgfixtures.py).

Schema on first use, a newer schema refused, the read twin's Records equal to the SQLite
reader's for the same rows, retries of a real serialization failure, NOTIFY reaching a
listener, a read-only role detected, and no password anywhere a person could see it.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import FakeClock, python_c, run_cli
from pgfixtures import PgDatabase

from warroom.store import pg as pgstore
from warroom.store.reader import SCHEMA_VERSION, TABLES, Reader, StoreError
from warroom.store.store import Store
from warroom.store.target import DatabaseTarget


def target(db: PgDatabase, observer: bool = False) -> DatabaseTarget:
    return DatabaseTarget.parse(db.observer_url if observer else db.url)


# -- the schema ------------------------------------------------------------------------------


def test_the_schema_is_created_on_first_use_and_left_alone_after(pg: PgDatabase) -> None:
    where = target(pg)
    reader = pgstore.PgReader(where)
    assert reader.schema() == (0, frozenset())
    assert pgstore.ensure_schema(where) == SCHEMA_VERSION
    version, tables = reader.schema()
    assert version == SCHEMA_VERSION
    assert tables == TABLES | {pgstore.META_TABLE}
    indexes = {r.indexname for r in reader.rows("SELECT indexname FROM pg_indexes")}
    assert {"ix_entry_incident_at", "ix_entry_text_search", "ux_draft"} <= indexes
    assert pgstore.ensure_schema(where) == SCHEMA_VERSION  # again: nothing to do
    reader.close()


def test_two_processes_setting_up_at_once_both_succeed(pg: PgDatabase) -> None:
    where = target(pg)
    results: list[object] = []
    barrier = threading.Barrier(3)

    def setup() -> None:
        barrier.wait()
        try:
            results.append(pgstore.ensure_schema(where))
        except Exception as exc:  # noqa: BLE001 (reported by the assert)
            results.append(exc)

    threads = [threading.Thread(target=setup) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [SCHEMA_VERSION] * 3


def test_a_newer_schema_is_refused_in_one_line(pg: PgDatabase) -> None:
    where = target(pg)
    pgstore.ensure_schema(where)
    conn = pgstore.connect(where)
    conn.execute("UPDATE warroom_meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(pgstore.SchemaTooNew) as caught:
        pgstore.ensure_schema(where)
    message = str(caught.value)
    assert "newer warroom (schema 99" in message and "\n" not in message
    assert "127.0.0.1" in message and pg.password not in message and "***" in message


# -- reads: the same Records as SQLite -------------------------------------------------------


def _fill_sqlite(store: Store, clock: FakeClock) -> None:
    from warroom.domain.model import Status
    from warroom.store.outbox import send_message

    inc = store.declare("Checkout down", 1, impact_users="all", impact_features="payments")
    clock.advance(minutes=3)
    store.log(inc.id, "a | b `c` {{ x }} 100% ? 'quoted'", pinned=True)
    store.log(inc.id, "it started", at=datetime(2026, 11, 27, 9, 55, tzinfo=UTC))
    store.assign(inc.id, "ic", "alice")
    (item, *_) = store.checklist(inc.id)
    store.tick(item.id)
    store.add_action_item(inc.id, "Add an alert", "P1", "bob")
    store.set_status(inc.id, Status.MITIGATING)
    send_message(store, inc.id, "status_update", "We are on it", ["ops"])


def _copy(reader: Reader, conn: pgstore.Connection, table: str) -> None:
    rows = reader.rows(f"SELECT * FROM {table}")  # noqa: S608
    for row in rows:
        fields = vars(row)
        names = ", ".join(fields)
        marks = ", ".join("?" for _ in fields)
        conn.execute(
            pgstore.qmark_to_pyformat(f"INSERT INTO {table} ({names}) VALUES ({marks})"),
            [bool(v) if k == "pinned" else v for k, v in fields.items()],
        )


def test_the_read_twin_gives_the_sqlite_readers_records(
    pg: PgDatabase, store: Store, clock: FakeClock, db_path: Path
) -> None:
    _fill_sqlite(store, clock)
    where = target(pg)
    pgstore.ensure_schema(where)
    lite = Reader(db_path)
    conn = pgstore.connect(where)
    order = ["incident", *sorted(TABLES - {"incident"})]
    for table in order:
        _copy(lite, conn, table)
    conn.commit()
    conn.close()
    twin = pgstore.PgReader(where)
    try:
        for table in sorted(TABLES):
            key = "id"
            ours = twin.rows(f"SELECT * FROM {table} ORDER BY {key}")  # noqa: S608
            theirs = lite.rows(f"SELECT * FROM {table} ORDER BY {key}")  # noqa: S608
            assert ours == theirs, table
            for mine, other in zip(ours, theirs, strict=True):
                assert list(vars(mine)) == list(vars(other)), table  # same columns, same order
                for name, value in vars(mine).items():
                    if isinstance(value, datetime):
                        assert value.tzinfo is UTC, (table, name)
        # `?` placeholders, a `?` and a `%` inside a literal, first/number as in reader.py
        found = twin.first(
            "SELECT text FROM timeline_entry WHERE text LIKE '%100% ?%' AND pinned = ?", (True,)
        )
        assert found is not None and found.text.startswith("a | b")
        assert twin.number("SELECT count(*) FROM timeline_entry WHERE incident_id = ?", ("x",)) == 0
        assert twin.number("SELECT count(*) FROM timeline_entry") == lite.number(
            "SELECT count(*) FROM timeline_entry"
        )
    finally:
        twin.close()
        lite.close()


def test_search_finds_entries_with_all_the_words_newest_first(pg: PgDatabase) -> None:
    where = target(pg)
    pgstore.ensure_schema(where)
    conn = pgstore.connect(where)
    now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    conn.execute(
        "INSERT INTO incident (id, title, severity, status, impact_users, impact_features,"
        " detected_at, declared_at, review_json) VALUES ('INC-1', 't', 1, 'investigating',"
        " '', '', %s, %s, '{}')",
        (now, now),
    )
    for text in ("Checkout DB failover started", "db is fine", "checkout: DB back", "&|!:*"):
        conn.execute(
            "INSERT INTO timeline_entry (incident_id, at, logged_at, kind, text, author, pinned,"
            " data_json) VALUES ('INC-1', %s, %s, 'note', %s, '', false, '{}')",
            (now, now, text),
        )
    conn.commit()
    conn.close()
    reader = pgstore.PgReader(where)
    try:
        rows = reader.rows(pgstore.SEARCH_SQL, ("checkout db", 10))
        assert [pgstore.highlight(r.text, "checkout db") for r in rows] == [
            "[checkout]: [DB] back",
            "[Checkout] [DB] failover started",
        ]
        assert reader.rows(pgstore.SEARCH_SQL, ("&|!:*", 10)) == []  # not syntax
        conn = pgstore.connect(where, autocommit=True)
        conn.execute("SET enable_seqscan = off")  # 4 rows: the index only if it can serve
        query = "EXPLAIN SELECT * FROM timeline_entry e WHERE " + pgstore.SEARCH_MATCH
        plan = conn.execute(pgstore.qmark_to_pyformat(query), ("db",)).fetchall()
        conn.close()
        assert "ix_entry_text_search" in " ".join(str(vars(r)) for r in plan)
    finally:
        reader.close()


# -- retries -------------------------------------------------------------------------------


def test_run_transaction_retries_a_real_serialization_failure(pg: PgDatabase) -> None:
    where = target(pg)
    setup = pgstore.connect(where)
    setup.execute("CREATE TABLE counter (id int PRIMARY KEY, v int NOT NULL)")
    setup.execute("INSERT INTO counter VALUES (1, 1)")
    setup.commit()
    other = pgstore.connect(where, autocommit=True)
    conn = pgstore.connect(where)
    conn.isolation_level = pgstore.psycopg.IsolationLevel.REPEATABLE_READ
    attempts: list[int] = []

    def add_ten(c: pgstore.Connection) -> int:
        attempts.append(1)
        row = c.execute("SELECT v FROM counter WHERE id = 1").fetchone()  # the snapshot
        assert row is not None
        if len(attempts) == 1:  # another writer commits between our read and our write
            other.execute("UPDATE counter SET v = v + 1 WHERE id = 1")
        c.execute("UPDATE counter SET v = %s WHERE id = 1", (row.v + 10,))
        return int(row.v) + 10

    assert pgstore.run_transaction(conn, add_ten) == 12
    assert len(attempts) == 2  # the first failed with 40001 and was run again
    final = other.execute("SELECT v FROM counter WHERE id = 1").fetchone()
    assert final is not None and final.v == 12

    def broken(c: pgstore.Connection) -> None:
        c.execute("SELECT * FROM no_such_table")

    with pytest.raises(StoreError) as caught:
        pgstore.run_transaction(conn, broken, target=where, what="log")
    assert "cannot log" in str(caught.value) and pg.password not in str(caught.value)
    for c in (setup, other, conn):
        c.close()


# -- LISTEN / NOTIFY -------------------------------------------------------------------------


def test_a_commit_wakes_a_listener_and_a_rollback_does_not(pg: PgDatabase) -> None:
    where = target(pg)
    pgstore.ensure_schema(where)
    listener = pgstore.Listener(where)
    writer = pgstore.connect(where)
    try:
        assert listener.wait(0.05) == []

        def write(c: pgstore.Connection) -> None:
            c.execute("SELECT 1")
            pgstore.notify(c, "INC-2026-11-27-1")

        started = time.monotonic()
        pgstore.run_transaction(writer, write)
        assert listener.wait(5.0) == ["INC-2026-11-27-1"]
        assert time.monotonic() - started < 1.0

        pgstore.notify(writer, "INC-rolled-back")
        writer.rollback()
        assert listener.wait(0.3) == []

        for n in range(3):  # several commits before the listener looks: all delivered
            pgstore.run_transaction(writer, lambda c, n=n: pgstore.notify(c, f"INC-{n}"))
        got: list[str] = []
        deadline = time.monotonic() + 5
        while len(got) < 3 and time.monotonic() < deadline:
            got += listener.wait(1.0)
        assert got == ["INC-0", "INC-1", "INC-2"]
    finally:
        writer.close()
        listener.close()


def test_data_version_moves_with_each_committed_write(pg: PgDatabase) -> None:
    where = target(pg)
    pgstore.ensure_schema(where)
    reader, writer = pgstore.PgReader(where), pgstore.connect(where)
    listener = pgstore.Listener(where)
    try:
        before = reader.data_version()
        assert reader.data_version() == before  # a read changes nothing
        pgstore.run_transaction(writer, lambda c: pgstore.mark_changed(c, "INC-1"))
        assert reader.data_version() == before + 1
        assert listener.wait(5.0) == ["INC-1"]
        pgstore.mark_changed(writer, "INC-1")
        writer.rollback()
        assert reader.data_version() == before + 1
        assert listener.wait(0.2) == []
        threads = [
            threading.Thread(
                target=lambda: _write_changed(where),
            )
            for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert reader.data_version() == before + 5  # concurrent writers: none lost
    finally:
        listener.close()
        writer.close()
        reader.close()


def _write_changed(where: DatabaseTarget) -> None:
    conn = pgstore.connect(where)
    try:
        pgstore.run_transaction(conn, lambda c: pgstore.mark_changed(c, "INC-2"))
    finally:
        conn.close()


# -- who may write ----------------------------------------------------------------------------


def test_a_read_only_role_is_detected(pg: PgDatabase) -> None:
    owner, observer = target(pg), target(pg, observer=True)
    conn = pgstore.connect(observer)
    assert "can only read" in (pgstore.read_only_reason(conn) or "")  # cannot create tables
    conn.close()
    with pytest.raises(StoreError, match="cannot set up the schema: permission denied"):
        pgstore.ensure_schema(observer)
    pgstore.ensure_schema(owner)
    pg.grant_read()
    assert pgstore.inspect(owner) == (SCHEMA_VERSION, None)
    version, reason = pgstore.inspect(observer)
    assert version == SCHEMA_VERSION
    assert reason is not None and "warroom_observer can only read" in reason
    reader = pgstore.PgReader(observer)  # and it can read
    assert reader.number("SELECT count(*) FROM incident") == 0
    reader.close()
    writer = pgstore.connect(observer)
    with pytest.raises(StoreError, match=r"cannot write: permission denied for table incident"):
        pgstore.run_transaction(
            writer, lambda c: c.execute("DELETE FROM incident"), target=observer
        )
    writer.close()


def test_a_read_only_session_is_detected(pg: PgDatabase) -> None:
    where = DatabaseTarget.parse(pg.url + "?options=-c%20default_transaction_read_only%3Don")
    pgstore.ensure_schema(target(pg))
    conn = pgstore.connect(where)
    assert "read-only" in (pgstore.read_only_reason(conn) or "")
    conn.close()


# -- no password anywhere ---------------------------------------------------------------------


def test_the_password_never_shows(
    pg: PgDatabase, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    password = pg.password
    assert password
    where = target(pg)
    wrong = DatabaseTarget.parse(pg.url.replace(password, "not-" + password))
    texts = [where.display, str(where), repr(where), repr([where]), f"{where}"]
    with pytest.raises(StoreError) as caught:
        pgstore.connect(wrong)
    texts.append(str(caught.value))
    assert "password authentication failed" in texts[-1]
    assert "127.0.0.1" in texts[-1]

    monkeypatch.setenv("WARROOM_DB", pg.url)
    code, out, err = run_cli(capsys, "--help")
    texts += [out, err]
    code, out, err = run_cli(capsys, "check")
    assert code == 0 and "not set up yet" in out and "read-write" in out
    texts += [out, err]
    code, out, err = run_cli(capsys, "list")  # the Store on PostgreSQL (sets the schema up)
    assert code == 0 and err == ""
    texts += [out, err]
    code, out, err = run_cli(capsys, "--db", wrong.url or "", "log", "hello")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "127.0.0.1" in err and "password authentication failed" in err
    texts += [out, err]
    code, out, err = run_cli(capsys, "--db", wrong.url or "", "check")
    assert code == 1 and "password authentication failed" in err
    texts += [out, err]
    for text in texts:
        assert password not in text, text
        assert "not-" + password not in text, text


def test_check_reports_the_schema_and_the_access(
    pg: PgDatabase, capsys: pytest.CaptureFixture[str]
) -> None:
    pgstore.ensure_schema(target(pg))
    pg.grant_read()
    code, out, _ = run_cli(capsys, "--db", pg.url, "check")
    assert (code, out.split(": ", 1)[1].strip()) == (
        0,
        f"ok, schema {SCHEMA_VERSION}, read-write",
    )
    code, out, _ = run_cli(capsys, "--db", pg.observer_url, "check")
    assert code == 0 and "read-only: database user warroom_observer can only read" in out
    conn = pgstore.connect(target(pg))
    conn.execute("UPDATE warroom_meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    code, out, _ = run_cli(capsys, "--db", pg.url, "check")
    assert code == 1 and f"schema 99 is newer than this warroom's ({SCHEMA_VERSION})" in out
    assert pg.password not in out


def test_psycopg_is_loaded_for_postgres_only(pg: PgDatabase, tmp_path: Path) -> None:
    code = (
        "import sys; import warroom.tui.app; from warroom.cli import main;"
        "code = main(['--db', sys.argv[1], sys.argv[2]]);"
        "print(code, 'psycopg' in sys.modules)"
    )
    lite = python_c(code, str(tmp_path / "lite.db"), "list")
    assert lite.splitlines()[-1] == "0 False"
    assert python_c(code, pg.url, "check").splitlines()[-1] == "0 True"


SEARCH_TEXTS = [
    "Checkout DB failover started",
    "db is fine",
    "checkout: DB back",
    "pool exhausted on api-7",
    "Rolled back deploy 4512",
    "500s from /v1/payments (5xx rate 12%)",
    "Café latency élevée",
    "alice@example.com paged",
]
SEARCH_QUERIES = ["checkout db", "DB", "pool exhausted", "deploy 4512", "café", "payments", "12"]


def test_search_finds_what_sqlite_search_finds(pg: PgDatabase, store: Store, db_path: Path) -> None:
    inc = store.declare("Search", 2)
    store.log_many(inc.id, SEARCH_TEXTS)
    where = target(pg)
    pgstore.ensure_schema(where)
    lite = Reader(db_path)
    conn = pgstore.connect(where)
    for table in ("incident", "timeline_entry"):
        _copy(lite, conn, table)
    conn.commit()
    conn.close()
    twin = pgstore.PgReader(where)
    try:
        for query in SEARCH_QUERIES:
            ours = [
                (r.id, pgstore.highlight(r.text, query))
                for r in twin.rows(pgstore.SEARCH_SQL, (query, 50))
            ]
            theirs = [(entry.id, marked) for entry, marked in store.search(query)]
            assert ours == theirs, query
    finally:
        twin.close()
        lite.close()


def test_run_transaction_retries_the_victim_of_a_real_deadlock(pg: PgDatabase) -> None:
    where = target(pg)
    setup = pgstore.connect(where)
    setup.execute("CREATE TABLE pair (id int PRIMARY KEY, v int NOT NULL)")
    setup.execute("INSERT INTO pair VALUES (1, 0), (2, 0)")
    setup.commit()
    setup.close()
    barrier = threading.Barrier(2)
    tries: dict[int, int] = {1: 0, 2: 0}
    errors: list[BaseException] = []

    def worker(first: int, second: int) -> None:
        conn = pgstore.connect(where)

        def both(c: pgstore.Connection) -> None:
            tries[first] += 1
            c.execute("UPDATE pair SET v = v + 1 WHERE id = %s", (first,))
            if tries[first] == 1:
                barrier.wait(10)  # each holds its first row: the second updates deadlock
            c.execute("UPDATE pair SET v = v + 1 WHERE id = %s", (second,))

        try:
            pgstore.run_transaction(conn, both)
        except BaseException as exc:  # noqa: BLE001 (asserted below)
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=pair) for pair in ((1, 2), (2, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(tries.values()) == [1, 2]  # PostgreSQL chose one victim; it ran again
    reader = pgstore.PgReader(where)
    assert [r.v for r in reader.rows("SELECT v FROM pair ORDER BY id")] == [2, 2]
    reader.close()
