"""The Store's write side: plain SQL in one transaction, on the standard library's sqlite3.

Every change and its timeline entry commit together (`Store._write` gives a `Tx`). No ORM
on this path: a one-shot command (`warroom log TEXT`, a deploy hook) pays for Python,
sqlite3 and its own modules, not for SQLAlchemy's import (about 0.3 s, fifteen times the
cost of the write). SQLModel stays where it earns its place: `tables.py` is the schema,
and it creates and upgrades a database, imported only when one needs it.

Rows read here are `Record`s, as the reader's are (reader.py): columns as attributes,
timestamps as aware UTC datetimes, so one set of converters serves both sides. Values are
written as SQLModel wrote them (timestamps as naive UTC text with microseconds, booleans
as 0/1), so a database written by either reads the same. `tests/store/test_reader.py` holds
`DEFAULTS` to the defaults of `tables.py`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any

from warroom.domain.timefmt import utc
from warroom.store.reader import BUSY_TIMEOUT_MS, Record, connect, make_record

DEFAULTS: dict[str, dict[str, Any]] = {
    "incident": {
        "impact_users": "",
        "impact_features": "",
        "review_json": "{}",
    },
    "timeline_entry": {"author": "", "pinned": False, "data_json": "{}"},
    "role_assignment": {"assigned_by": ""},
    "checklist_item": {},
    "action_item": {"owner": "", "status": "Open"},
    "clock_snooze": {"author": ""},
    "outbox_message": {
        "status": "pending",
        "attempts": 0,
        "last_error": "",
        "claimed_by": "",
        "author": "",
    },
    "form_draft": {"incident_id": "", "author": "", "fields_json": "{}"},
    "entry_revision": {"author": "", "reason": ""},
}
"""Each table's column defaults (those of tables.py), filled in by `Tx.insert`."""


def db_value(value: Any) -> Any:
    """A Python value as the database keeps it (SQLAlchemy's SQLite format for times)."""
    if isinstance(value, datetime):
        return utc(value).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool):
        return int(value)
    return value


def _params(values: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(db_value(v) for v in values)


NO_LIMIT = 2**62
"""`LIMIT ?` for "all of them": SQLite's `LIMIT -1` is an error on PostgreSQL."""


class Dialect:
    """The few SQL fragments that differ between SQLite and PostgreSQL (pg.PG_DIALECT)."""

    name = "sqlite"

    def day_of(self, column: str) -> str:
        """A timestamp column's UTC day as 'YYYY-MM-DD' text (SQLite keeps the text)."""
        return f"substr({column}, 1, 10)"

    def search_sql(self) -> str:
        """Full-text search, newest first; parameters (`search_param(text)`, limit); the
        rows are timeline entries with `marked`, the text with the matches in [brackets]."""
        return (
            "SELECT e.*, highlight(timeline_search, 0, '[', ']') AS marked"
            " FROM timeline_search JOIN timeline_entry e ON e.id = timeline_search.rowid"
            # Newest first: FTS5 walks its index backwards and stops at the limit, where
            # ranking would score every match (a common word: a third of a second).
            " WHERE timeline_search MATCH ? ORDER BY timeline_search.rowid DESC LIMIT ?"
        )

    def search_param(self, text: str) -> str:
        """TEXT as FTS5 phrases, one a word (all must match): user text is never FTS syntax."""
        words = [w for w in text.split() if w.strip()]
        return " ".join('"' + w.replace('"', '""') + '"' for w in words)

    def marked(self, row: Record, text: str) -> str:
        """A search hit's text with the matched words in [brackets]."""
        return str(row.marked)


SQLITE_DIALECT = Dialect()


class Tx:
    """One write transaction: plain SQL with `?` placeholders, rows as `Record`s.

    On sqlite3 here; pg.PgTx is the same on psycopg (its `_execute` and `_executemany`)."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def _execute(self, sql: str, params: Sequence[Any]) -> Any:
        """Run one statement; its cursor."""
        return self._conn.execute(sql, _params(params))

    def _executemany(self, sql: str, rows: list[Sequence[Any]]) -> None:
        self._conn.executemany(sql, [_params(row) for row in rows])

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Record]:
        found: list[Record] = self._execute(sql, params).fetchall()
        return found

    def first(self, sql: str, params: Sequence[Any] = ()) -> Record | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def column(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """The first column of every row."""
        return [next(iter(vars(row).values())) for row in self.rows(sql, params)]

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; the number of rows it changed."""
        return int(self._execute(sql, params).rowcount)

    def get(self, table: str, row_id: object) -> Record | None:
        return self.first(f'SELECT * FROM "{table}" WHERE id = ?', (row_id,))

    def insert(self, table: str, **values: Any) -> Record:
        """Insert a row (the table's defaults filled in); the row as stored, with its id."""
        values = {**DEFAULTS[table], **values}
        names = ", ".join(f'"{name}"' for name in values)
        marks = ", ".join("?" * len(values))
        (row,) = self.rows(  # all of it: a statement left pending would hold up COMMIT
            f'INSERT INTO "{table}" ({names}) VALUES ({marks}) RETURNING *',
            tuple(values.values()),
        )
        return row

    def insert_many(self, table: str, rows: Sequence[dict[str, Any]]) -> None:
        """Insert rows that all name the same columns (defaults filled in)."""
        if not rows:
            return
        full = [{**DEFAULTS[table], **row} for row in rows]
        names = list(full[0])
        columns = ", ".join(f'"{name}"' for name in names)
        marks = ", ".join("?" * len(names))
        self._executemany(
            f'INSERT INTO "{table}" ({columns}) VALUES ({marks})',
            [[row[name] for name in names] for row in full],
        )

    def update(self, table: str, row_id: object, **values: Any) -> None:
        """Set columns of one row."""
        sets = ", ".join(f'"{name}" = ?' for name in values)
        self.execute(f'UPDATE "{table}" SET {sets} WHERE id = ?', (*values.values(), row_id))

    def save(self, table: str, row: Record) -> None:
        """Write every column of `row` (read with `get` or `first`, then changed) back."""
        values = {name: value for name, value in vars(row).items() if name != "id"}
        self.update(table, row.id, **values)

    def delete(self, table: str, row_id: object) -> None:
        self.execute(f'DELETE FROM "{table}" WHERE id = ?', (row_id,))


class Writer:
    """SQLite connections for writing, taken one at a time from any thread and given back.

    Each write is one `BEGIN IMMEDIATE ... COMMIT`: the lock is taken up front, so two
    processes never both read, then fight to write (the busy timeout makes the second wait).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []

    def _open(self) -> sqlite3.Connection:
        conn = connect(
            self.path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,  # we say BEGIN and COMMIT ourselves
            check_same_thread=False,  # one thread at a time, from any thread
        )
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.row_factory = make_record
        return conn

    def warm(self) -> None:
        """Open a connection now, so that the first write does not wait for it."""
        with self.transaction(begin="BEGIN"):
            pass

    @contextmanager
    def transaction(self, begin: str = "BEGIN IMMEDIATE", what: str = "write") -> Iterator[Tx]:
        """A transaction: committed when the block ends, rolled back if it raises (`what`
        is for pg.PgWriter's errors; sqlite3's are put in words by the Store)."""
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        try:
            if conn is None:
                conn = self._open()
            conn.execute(begin)
            try:
                yield Tx(conn)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    with suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                raise
        finally:
            if conn is not None:
                with self._lock:
                    self._idle.append(conn)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
