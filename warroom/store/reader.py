"""The Store's read side: the standard library's sqlite3, no ORM.

SQLModel (on SQLAlchemy) is the write side: the tables, the schema and its migration, and
every change with its timeline entry in one transaction. Importing it costs more than
importing Textual (about 0.3 s of the war room's start-up), and nothing on the first screen
writes. So the reads go through sqlite3, with plain SELECTs on the tables SQLModel made, and
the ORM is imported on the first write: `deferred` below, which the war room warms up in a
thread after its first paint.

A record read here has the table's column names as attributes, like the ORM's rows, and
timestamps as aware UTC datetimes, so one converter serves both (`store._to_incident`...).
`tests/store/test_reader.py` holds the two sides to the same schema.
"""

from __future__ import annotations

import importlib
import sqlite3
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

from warroom.domain.timefmt import utc

SCHEMA_VERSION = 8  # 2: root cause category, captured clock values; 3: form drafts;
# 4: clock snoozes; 5: the impact window; 6: an imported incident's original ID;
# 7: the timeline's search index; 8: entry corrections (entry_revision) and the timeline's
# hash chain (timeline_entry.chain_hash)
"""Stored in the database's `PRAGMA user_version` once the schema is up to date."""

TABLES = frozenset(
    {
        "incident",
        "timeline_entry",
        "role_assignment",
        "checklist_item",
        "action_item",
        "outbox_message",
        "form_draft",
        "clock_snooze",
        "entry_revision",
    }
)
"""The tables of `warroom.store.tables` (SQLModel.metadata): a database lacking one is set up."""

BUSY_TIMEOUT_MS = 30_000

Record = SimpleNamespace
"""A row read with sqlite3: columns as attributes, `at`/`*_at` columns as aware datetimes."""


class StoreError(Exception):
    """The database could not be opened, read or written. The message is one clear line."""


class NotFound(StoreError):
    pass


class Unreachable(StoreError):
    """The database server cannot be reached (the network, a restart, a failover): what is
    typed meanwhile is spooled (store/spool.py), and the next try may well work."""


_DAMAGE = ("malformed", "could not decode", "corrupt")


def damaged(path: Path, exc: BaseException) -> str | None:
    """The one line to say when `exc` means the database file is damaged; None otherwise."""
    text = str(getattr(exc, "orig", None) or exc)
    if not any(sign in text.casefold() for sign in _DAMAGE):
        return None
    reason = " ".join(text.split())[:80]
    return (
        f"database {path} is damaged ({reason}); `warroom --db {path} check` runs SQLite's"
        " integrity check; restore a backup or copy it with sqlite3's .recover"
    )


def integrity_check(path: Path) -> list[str]:
    """SQLite's `PRAGMA integrity_check` on `path`, opened read-only: ["ok"] when sound."""
    if not path.is_file():
        raise StoreError(f"database {path}: no such file")
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
        try:
            return [str(row[0]) for row in conn.execute("PRAGMA integrity_check(100)")]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return [f"cannot check: {exc}"]


class deferred:  # noqa: N801 (used like a module)
    """A module imported when one of its attributes is first used.

    What PEP 810's `lazy import` will say; until then, by hand. The import itself goes
    through importlib, whose per-module locks make a first use from two threads safe.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attr)


def is_time_column(name: str) -> bool:
    """Timestamp columns are named so, and the reader parses them (tests hold tables.py to it)."""
    return name == "at" or name.endswith("_at")


def make_record(cursor: sqlite3.Cursor, values: tuple[Any, ...]) -> Record:
    fields = {}
    for (name, *_), value in zip(cursor.description, values, strict=True):
        if value is not None and is_time_column(name):
            value = utc(datetime.fromisoformat(value))
        fields[name] = value
    return Record(**fields)


def connect(path: Path, read_only: bool = False, **options: Any) -> sqlite3.Connection:
    """A connection to the database at `path`, whatever characters its name holds.

    `read_only` opens it with `mode=ro`, so that a database on a read-only filesystem, or one
    owned by someone else, can still be read; where SQLite cannot even create the WAL's
    shared-memory file beside it, it is opened `immutable` (nobody can be writing it then).
    """
    conn: sqlite3.Connection
    if not read_only:
        conn = sqlite3.connect(path, **options)
        return conn
    uri = path.absolute().as_uri()
    try:
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, **options)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        conn = sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, **options)
    return conn


class Reader:
    """Read-only queries on one database, through a few connections in autocommit mode.

    Each statement is its own read transaction (WAL: readers never wait for a writer), so
    every read sees the latest commit of any process. A query takes an idle connection (or
    opens one) and gives it back: threads come and go (a worker thread per delivery round),
    connections stay as many as ever ran at once.
    """

    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        self._lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []

    def _open(self) -> sqlite3.Connection:
        conn = connect(
            self.path,
            self.read_only,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,  # taken by one thread at a time, from any thread
        )
        conn.row_factory = make_record
        return conn

    def rows(self, sql: str, params: Sequence[Any] = (), what: str = "read") -> list[Record]:
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        try:
            if conn is None:
                conn = self._open()
            found: list[Record] = conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(
                damaged(self.path, exc) or f"database {self.path}: cannot {what}: {exc}"
            ) from None
        finally:
            if conn is not None:
                with self._lock:
                    self._idle.append(conn)
        return found

    def first(self, sql: str, params: Sequence[Any] = ()) -> Record | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def number(self, sql: str, params: Sequence[Any] = (), what: str = "read") -> int:
        """The first column of the first row, an integer (`SELECT count(*) ...`); 0 if none."""
        found = self.rows(sql, params, what)
        return int(next(iter(vars(found[0]).values()))) if found else 0

    def schema(self) -> tuple[int, frozenset[str]]:
        """The database's schema version (`PRAGMA user_version`) and its tables."""
        version = self.number("PRAGMA user_version", what="open")
        names = self.rows("SELECT name FROM sqlite_master WHERE type = 'table'", what="open")
        return version, frozenset(row.name for row in names)

    def close(self) -> None:
        """Close the idle connections (a query running now keeps its own until it is done)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
