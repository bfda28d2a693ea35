"""PostgreSQL: the connection, the schema, the reads, retries and LISTEN/NOTIFY (psycopg 3).

The only module that imports psycopg, and only a PostgreSQL target imports it: the SQLite
path (the default) never loads the driver. It is an extra: `pip install 'warroom[postgres]'`.

Conventions, so that the Store can use either backend with the same SQL text:

- Placeholders are sqlite3's `?` (qmark). `qmark_to_pyformat` turns them into psycopg's
  `%s` (a `?` inside a quoted literal or identifier stays; a literal `%` is doubled).
- A row is a `Record` (reader.py): column names as attributes, `at`/`*_at` columns as
  aware UTC datetimes (the columns are `timestamp with time zone`, as SQLModel declares
  them; every session runs with `TimeZone=UTC`, and the row factory makes sure).
- The schema is `tables.METADATA` compiled to PostgreSQL DDL, executed in one transaction
  under an advisory lock (two processes setting up one database at once: one does it), and
  its version is the row `schema_version` of `warroom_meta` (PostgreSQL has no
  `PRAGMA user_version`). A newer version than this build knows is refused.
- Full-text search: `SEARCH_MATCH`, `to_tsvector('simple', T) @@ plainto_tsquery('simple',
  Q)` with T and Q the text and the query with punctuation as spaces, and a GIN index on
  that expression. The 'simple' configuration lowercases without stemming, and
  plainto_tsquery ANDs the words and treats none of them as syntax: the same rule as
  SQLite's FTS5 search ("entries with all of the words, any order, any case"; user text is
  never query syntax); `highlight` brackets the matches. One difference: unicode61 also
  folds accents (`cafe` finds `Café`), 'simple' does not (that needs the unaccent
  extension, which a team's server may not have).
- Writes go through `run_transaction(conn, fn)`, which retries serialization failures and
  deadlocks (SQLSTATE 40001, 40P01) with a short random back-off. A write transaction calls
  `mark_changed(conn, incident_id)`: it bumps `data_version` in warroom_meta (SQLite's
  `PRAGMA data_version`: `PgReader.data_version()`) and NOTIFYs, which PostgreSQL delivers
  to every `Listener` at commit (and not at all on rollback).

Long because it is the whole PostgreSQL edge: connection, schema, reads, retries,
LISTEN/NOTIFY and search, kept in one module so that only it imports the driver.
"""

from __future__ import annotations

import functools
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import Any, TypeVar

import psycopg
from psycopg.rows import RowMaker

from warroom.domain.timefmt import utc
from warroom.store.reader import (
    SCHEMA_VERSION,
    TABLES,
    Record,
    StoreError,
    Unreachable,
    deferred,
    is_time_column,
)
from warroom.store.sql import Dialect, Tx
from warroom.store.target import DatabaseTarget

__all__ = [
    "CHANNEL",
    "META_TABLE",
    "SEARCH_MATCH",
    "SEARCH_SQL",
    "SEARCH_VECTOR",
    "PG_DIALECT",
    "Listener",
    "PgDialect",
    "PgReader",
    "PgTx",
    "PgWriter",
    "SchemaTooNew",
    "connect",
    "ensure_schema",
    "highlight",
    "inspect",
    "mark_changed",
    "notify",
    "qmark_to_pyformat",
    "read_only_reason",
    "run_transaction",
    "schema_version",
]

Connection = psycopg.Connection[Record]
T = TypeVar("T")

CHANNEL = "warroom"
"""The LISTEN/NOTIFY channel; a notification's payload is the incident's ID."""

META_TABLE = "warroom_meta"
SETUP_LOCK = 0x7761_7272  # "warr": the advisory lock held while setting up the schema
CONNECT_TIMEOUT_S = 10
RETRY_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected

_WORDS = "regexp_replace({}, '[[:punct:]]', ' ', 'g')"
"""Punctuation as spaces before PostgreSQL's parser sees the text, so that it splits words
as SQLite's unicode61 tokenizer does (`/v1/payments` is `v1 payments`, not a file path;
`api-7`, `alice@example.com` are words, not a hyphenated word or an e-mail address)."""

SEARCH_VECTOR = f"to_tsvector('simple', {_WORDS.format('text')})"
"""The indexed expression (GIN index `ix_entry_text_search` on timeline_entry)."""

SEARCH_MATCH = (
    f"to_tsvector('simple', {_WORDS.format('e.text')})"
    f" @@ plainto_tsquery('simple', {_WORDS.format('?')})"
)
"""The full-text condition on `timeline_entry e`; one parameter, the words searched for."""

SEARCH_SQL = f"SELECT e.* FROM timeline_entry e WHERE {SEARCH_MATCH} ORDER BY e.id DESC LIMIT ?"
"""Store.search's twin: parameters (text, limit); newest first (`highlight` marks them)."""

_WORD = re.compile(r"[^\W_]+")


def highlight(text: str, query: str) -> str:
    """`text` with the words of `query` in [brackets], any case: FTS5's highlight() twin."""
    wanted = {word.casefold() for word in _WORD.findall(query)}
    return _WORD.sub(lambda m: f"[{m[0]}]" if m[0].casefold() in wanted else m[0], text)


_EXTRA_DDL = (
    f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key text PRIMARY KEY, value text NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS ix_entry_text_search ON timeline_entry"
    f" USING gin ({SEARCH_VECTOR})",
)

# SQLAlchemy only compiles the DDL here (on setting up a database), never on a read.
_sa_schema = deferred("sqlalchemy.schema")
_sa_postgresql = deferred("sqlalchemy.dialects.postgresql")
_tables = deferred("warroom.store.tables")


class SchemaTooNew(StoreError):
    """The database was set up by a newer warroom: this one must not write it."""


# -- errors --------------------------------------------------------------------------------


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return " ".join(text.splitlines()[0].split()) if text else type(exc).__name__


_GONE = ("08", "57P01", "57P02", "57P03")
"""SQLSTATEs of a server gone or going: a connection exception (class 08), an admin or
crash shutdown, a server that cannot take connections yet."""


def unreachable(exc: BaseException) -> bool:
    """Whether EXC means the server cannot be reached (it may be back soon), not that it
    refused what was asked (a bad password, a constraint, a read-only user)."""
    if not isinstance(exc, psycopg.OperationalError):
        return False
    state = getattr(exc, "sqlstate", None)
    return state is None or any(state.startswith(prefix) for prefix in _GONE)


def store_error(target: DatabaseTarget, what: str, exc: BaseException) -> StoreError:
    """One line naming the database (never its password) and what failed; an `Unreachable`
    when the server could not be reached."""
    reason = target.scrub(_first_line(exc))
    kind = Unreachable if unreachable(exc) else StoreError
    return kind(f"database {target.display}: cannot {what}: {reason}")


# -- placeholders and rows -----------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def qmark_to_pyformat(sql: str) -> str:
    """sqlite3's `?` placeholders as psycopg's `%s`, literal `%` as `%%`; quoted text kept."""
    out: list[str] = []
    quote: str | None = None
    for char in sql:
        if quote is not None:
            if char == quote:
                quote = None
            out.append("%%" if char == "%" else char)
        elif char in ("'", '"'):
            quote = char
            out.append(char)
        elif char == "?":
            out.append("%s")
        elif char == "%":
            out.append("%%")
        else:
            out.append(char)
    return "".join(out)


def record_row(cursor: psycopg.Cursor[Any]) -> RowMaker[Record]:
    """psycopg's row factory for `Record`s, the SQLite reader's shape."""
    description = cursor.description or []
    names = [column.name for column in description]
    times = [is_time_column(name) for name in names]

    def make(values: Sequence[Any]) -> Record:
        fields = {}
        for name, is_time, value in zip(names, times, values, strict=True):
            fields[name] = utc(value) if is_time and isinstance(value, datetime) else value
        return Record(**fields)

    return make


# -- connecting ----------------------------------------------------------------------------


def connect(target: DatabaseTarget, *, autocommit: bool = False) -> Connection:
    """A connection to the target's server: autocommit off unless asked, rows as Records,
    the session in UTC. The URL goes to libpq untouched (PGHOST, PGPASSWORD, ~/.pgpass,
    sslmode... all apply); a connect timeout of 10 s unless the URL or PGCONNECT_TIMEOUT
    gives one. Raises StoreError (one line, no password)."""
    if target.url is None:
        raise StoreError(f"database {target.display}: not a PostgreSQL URL")
    import os

    options: dict[str, Any] = {}
    if "connect_timeout" not in target.url and not os.environ.get("PGCONNECT_TIMEOUT"):
        options["connect_timeout"] = CONNECT_TIMEOUT_S
    try:
        conn: Connection = psycopg.connect(
            target.url, autocommit=autocommit, row_factory=record_row, **options
        )
    except psycopg.Error as exc:
        raise store_error(target, "connect", exc) from None
    try:
        conn.execute("SET TIME ZONE 'UTC'")
        if not autocommit:
            conn.commit()
    except psycopg.Error as exc:
        conn.close()
        raise store_error(target, "connect", exc) from None
    return conn


# -- the schema ------------------------------------------------------------------------------


def _tables_present(conn: Connection) -> frozenset[str]:
    rows = conn.execute(
        "SELECT table_name AS name FROM information_schema.tables"
        " WHERE table_schema = current_schema()"
    ).fetchall()
    return frozenset(str(row.name) for row in rows)


def schema_version(conn: Connection) -> int:
    """The version recorded in `warroom_meta`; 0 for a database not set up yet."""
    if META_TABLE not in _tables_present(conn):
        return 0
    row = conn.execute(
        f"SELECT value FROM {META_TABLE} WHERE key = 'schema_version'"  # noqa: S608
    ).fetchone()
    return int(row.value) if row is not None else 0


def _too_new(target: DatabaseTarget, version: int) -> SchemaTooNew:
    return SchemaTooNew(
        f"database {target.display} was written by a newer warroom (schema {version};"
        f" this one knows {SCHEMA_VERSION}): upgrade warroom to use it"
    )


def schema_ddl() -> list[str]:
    """The statements that set up an empty database: METADATA's tables and indexes compiled
    for PostgreSQL (each IF NOT EXISTS), then warroom_meta and the search index."""
    dialect = _sa_postgresql.dialect()
    statements = []
    for table in _tables.METADATA.sorted_tables:
        statements.append(
            str(_sa_schema.CreateTable(table, if_not_exists=True).compile(dialect=dialect))
        )
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            create = _sa_schema.CreateIndex(index, if_not_exists=True)
            statements.append(str(create.compile(dialect=dialect)))
    return [" ".join(s.split()) for s in statements] + list(_EXTRA_DDL)


def ensure_schema(target: DatabaseTarget, conn: Connection | None = None) -> int:
    """Set up the database on first use; return the schema version it is at.

    A database at this build's version is left alone (no DDL, no lock held for long); one
    with a newer version is refused (SchemaTooNew); otherwise the tables, indexes and the
    version row are created in one transaction, under an advisory lock.
    """
    own = conn is None
    conn = conn or connect(target)
    try:
        version = schema_version(conn)
        conn.commit()
        if version > SCHEMA_VERSION:
            raise _too_new(target, version)
        if version == SCHEMA_VERSION and TABLES.issubset(_tables_present(conn)):
            conn.commit()
            return version
        with _transaction(conn):
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SETUP_LOCK,))
            version = schema_version(conn)  # someone may have done it while we waited
            if version > SCHEMA_VERSION:
                raise _too_new(target, version)
            for statement in schema_ddl():
                conn.execute(statement.encode())  # no parameters: sent as it is
            conn.execute(
                f"INSERT INTO {META_TABLE} (key, value) VALUES ('schema_version', %s)"  # noqa: S608
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(SCHEMA_VERSION),),
            )
            conn.execute(
                f"INSERT INTO {META_TABLE} (key, value) VALUES ('data_version', '0')"  # noqa: S608
                " ON CONFLICT (key) DO NOTHING"
            )
        return SCHEMA_VERSION
    except psycopg.Error as exc:
        raise store_error(target, "set up the schema", exc) from None
    finally:
        if own:
            conn.close()


@contextmanager
def _transaction(conn: Connection) -> Iterator[None]:
    """Commit on success, roll back on any error (the connection is not in autocommit)."""
    try:
        yield
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


# -- who may write -------------------------------------------------------------------------


def read_only_reason(conn: Connection) -> str | None:
    """Why this connection cannot write warroom's tables (None: it can).

    A role granted SELECT only ("this database user can only read"), a session or a server
    in read-only mode (a hot standby, `default_transaction_read_only`).
    """
    row = conn.execute("SELECT current_user AS who, current_setting('transaction_read_only') AS ro")
    found = row.fetchone()
    assert found is not None
    if found.ro == "on":
        return "the server or session is read-only (a standby, or default_transaction_read_only)"
    present = _tables_present(conn)
    if not TABLES.issubset(present):
        creatable = conn.execute(
            "SELECT has_schema_privilege(current_schema(), 'CREATE') AS ok"
        ).fetchone()
        if creatable is None or not creatable.ok:
            return f"database user {found.who} can only read (it cannot create warroom's tables)"
        return None
    missing = conn.execute(
        "SELECT t FROM unnest(%s::text[]) AS t"
        " WHERE NOT (has_table_privilege(t, 'INSERT') AND has_table_privilege(t, 'UPDATE'))",
        (sorted(TABLES),),
    ).fetchall()
    if missing:
        return f"database user {found.who} can only read (no INSERT/UPDATE on {missing[0].t})"
    return None


def inspect(target: DatabaseTarget) -> tuple[int, str | None]:
    """The database's schema version (0: not set up) and why this user cannot write it
    (None: it can), without changing anything: `warroom check`."""
    conn = connect(target)
    try:
        return schema_version(conn), read_only_reason(conn)
    except psycopg.Error as exc:
        raise store_error(target, "check", exc) from None
    finally:
        conn.close()


# -- retries -------------------------------------------------------------------------------


def run_transaction(
    conn: Connection,
    fn: Callable[[Connection], T],
    *,
    attempts: int = 8,
    backoff_s: float = 0.01,
    target: DatabaseTarget | None = None,
    what: str = "write",
) -> T:
    """`fn(conn)` in a transaction, committed; retried from the start (after a rollback and
    a random pause that doubles each time) when PostgreSQL reports a serialization failure
    or a deadlock. `fn` must do nothing outside the database that it could not repeat.
    Other errors roll back and raise a StoreError (with `target`: naming the database).
    `conn` must not be in autocommit mode (each statement would commit on its own)."""
    if conn.autocommit:
        raise ValueError("run_transaction needs a connection with autocommit off")
    for attempt in range(1, attempts + 1):
        try:
            result = fn(conn)
            conn.commit()
            return result
        except psycopg.Error as exc:
            _rollback_quietly(conn)
            if exc.sqlstate in RETRY_SQLSTATES and attempt < attempts:
                time.sleep(random.uniform(0.5, 1.0) * backoff_s * 2 ** (attempt - 1))
                continue
            if target is not None:
                raise store_error(target, what, exc) from None
            raise StoreError(f"cannot {what}: {_first_line(exc)}") from None
        except BaseException:
            _rollback_quietly(conn)
            raise
    raise AssertionError("unreachable")  # pragma: no cover


def _rollback_quietly(conn: Connection) -> None:
    with suppress(psycopg.Error):
        conn.rollback()


# -- LISTEN / NOTIFY -----------------------------------------------------------------------


def notify(conn: Connection, incident_id: str) -> None:
    """Tell every listener that `incident_id` changed: call it inside the write transaction
    (PostgreSQL delivers it at commit, once per distinct payload, and never on rollback)."""
    conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, incident_id))


def mark_changed(conn: Connection, incident_id: str) -> None:
    """What every write transaction does before its commit: count the change in
    `warroom_meta.data_version` (what `PgReader.data_version` reads: SQLite's
    `PRAGMA data_version`, for a look without a notification) and `notify`. Concurrent
    writers queue on that one row for the rest of their transaction: a few milliseconds."""
    conn.execute(
        f"UPDATE {META_TABLE} SET value = (value::bigint + 1)::text"  # noqa: S608
        " WHERE key = 'data_version'"
    )
    notify(conn, incident_id)


class Listener:
    """A connection of its own (autocommit) LISTENing on `CHANNEL`.

    `wait(timeout)` blocks until a notification arrives or the timeout passes and returns
    the payloads (incident IDs) received, [] on a timeout. Used by one thread at a time;
    `close()` may be called from another to stop it.
    """

    def __init__(self, target: DatabaseTarget) -> None:
        self.target = target
        self._conn = connect(target, autocommit=True)
        try:
            self._conn.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error as exc:
            self._conn.close()
            raise store_error(target, "listen for changes", exc) from None

    def wait(self, timeout: float) -> list[str]:
        try:
            got = [n.payload for n in self._conn.notifies(timeout=timeout, stop_after=1)]
            if got:  # and whatever else has already arrived, without waiting
                got += [n.payload for n in self._conn.notifies(timeout=0.0)]
        except psycopg.Error as exc:
            raise store_error(self.target, "listen for changes", exc) from None
        return got

    @property
    def closed(self) -> bool:
        return bool(self._conn.closed)

    def close(self) -> None:
        self._conn.close()


# -- the read side -------------------------------------------------------------------------


class PgReader:
    """reader.Reader's twin: read-only queries through a few autocommit connections.

    Each statement is its own transaction, so every read sees the latest commit. SQL is
    written with `?` placeholders, as for SQLite. Connections are taken by one thread at a
    time and given back; as many stay open as ever ran at once.
    """

    def __init__(self, target: DatabaseTarget) -> None:
        if not target.is_postgres:
            raise ValueError("PgReader needs a PostgreSQL target")
        self.target = target
        self._lock = threading.Lock()
        self._idle: list[Connection] = []

    def rows(self, sql: str, params: Sequence[Any] = (), what: str = "read") -> list[Record]:
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        broken = False
        try:
            if conn is None:
                conn = connect(self.target, autocommit=True)
            try:
                found: list[Record] = conn.execute(qmark_to_pyformat(sql), params).fetchall()
            except psycopg.OperationalError:
                if not conn.broken:
                    raise
                # An idle connection the server dropped (a restart, an idle timeout): a read
                # can be repeated, once, on a new one.
                conn.close()
                conn = connect(self.target, autocommit=True)
                found = conn.execute(qmark_to_pyformat(sql), params).fetchall()
        except psycopg.Error as exc:
            broken = isinstance(exc, psycopg.OperationalError)
            raise store_error(self.target, what, exc) from None
        finally:
            if conn is not None:
                if broken or conn.closed:
                    conn.close()
                else:
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
        """The schema version (warroom_meta) and the tables of the current schema."""
        names = self.rows(
            "SELECT table_name AS name FROM information_schema.tables"
            " WHERE table_schema = current_schema()",
            what="open",
        )
        tables = frozenset(str(row.name) for row in names)
        version = 0
        if META_TABLE in tables:
            version = self.number(
                f"SELECT value::int FROM {META_TABLE} WHERE key = 'schema_version'",  # noqa: S608
                what="open",
            )
        return version, tables

    def read_only_reason(self) -> str | None:
        """Why this database user cannot write (read_only_reason), None when it can."""
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        try:
            if conn is None:
                conn = connect(self.target, autocommit=True)
            return read_only_reason(conn)
        except psycopg.Error as exc:
            raise store_error(self.target, "open", exc) from None
        finally:
            if conn is not None:
                with self._lock:
                    self._idle.append(conn)

    def data_version(self) -> int:
        """A number that changes whenever a write transaction commits (`mark_changed`)."""
        return self.number(
            f"SELECT value::bigint FROM {META_TABLE} WHERE key = 'data_version'",  # noqa: S608
            what="look for changes",
        )

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


# -- the Store's backend: dialect and write side --------------------------------------------


class PgDialect(Dialect):
    """sql.Dialect's PostgreSQL fragments (the timestamps are timestamptz, sessions in UTC)."""

    name = "postgresql"

    def day_of(self, column: str) -> str:
        return f"to_char({column}, 'YYYY-MM-DD')"

    def search_sql(self) -> str:
        return SEARCH_SQL

    def search_param(self, text: str) -> str:
        return " ".join(text.split())

    def marked(self, row: Record, text: str) -> str:
        return highlight(str(row.text), text)


PG_DIALECT = PgDialect()


def _native(value: Any) -> Any:
    """A parameter as psycopg takes it: datetimes aware (UTC), booleans as booleans."""
    if isinstance(value, datetime):
        return utc(value)
    return value


class PgTx(Tx):
    """sql.Tx on a psycopg connection: the same methods and `?` SQL; driver errors as one
    StoreError line naming the database (never its password)."""

    def __init__(self, conn: Connection, target: DatabaseTarget, what: str) -> None:
        super().__init__(conn)
        self._target = target
        self._what = what

    def _execute(self, sql: str, params: Sequence[Any]) -> Any:
        try:
            return self._conn.execute(qmark_to_pyformat(sql), tuple(_native(v) for v in params))
        except psycopg.Error as exc:
            raise _tx_error(self._target, self._what, exc) from None

    def _executemany(self, sql: str, rows: list[Sequence[Any]]) -> None:
        try:
            with self._conn.cursor() as cursor:
                cursor.executemany(
                    qmark_to_pyformat(sql), [tuple(_native(v) for v in row) for row in rows]
                )
        except psycopg.Error as exc:
            raise _tx_error(self._target, self._what, exc) from None


class TxFailed(StoreError):
    """A statement of a write transaction failed (the transaction is rolled back)."""

    def __init__(self, message: str, broken: bool) -> None:
        super().__init__(message)
        self.broken = broken  # the connection is gone: not to be reused


class TxUnreachable(TxFailed, Unreachable):
    """A write transaction's statement found the server gone."""


def _tx_error(target: DatabaseTarget, what: str, exc: psycopg.Error) -> TxFailed:
    kind = TxUnreachable if unreachable(exc) else TxFailed
    return kind(str(store_error(target, what, exc)), isinstance(exc, psycopg.OperationalError))


_TAKE_TURN = (
    f"WITH counted AS (UPDATE {META_TABLE} SET value = (value::bigint + 1)::text"  # noqa: S608
    f" WHERE key = 'data_version' RETURNING 1) SELECT pg_notify('{CHANNEL}', '') FROM counted"
)
"""mark_changed in one round trip, at the start of every write transaction: the row lock
writers take turns on, the change counted, the NOTIFY (sent at commit)."""


class PgWriter:
    """sql.Writer's twin: write transactions on a few psycopg connections, one thread at a
    time each.

    Every transaction first counts itself in `warroom_meta.data_version` (mark_changed's
    UPDATE): that row lock makes the writers of one database take turns, as SQLite's
    `BEGIN IMMEDIATE` does. So what the Store reads inside a transaction (declare's next ID,
    record_observations' de-duplication, auto-ticks, the outbox's claims) cannot change
    under it before it commits, no transaction waits on another's rows in a different order
    (no deadlock), and under READ COMMITTED there are no serialization failures to retry.
    The NOTIFY goes out at commit, and not at all on a rollback.
    """

    def __init__(self, target: DatabaseTarget) -> None:
        self.target = target
        self._lock = threading.Lock()
        self._idle: list[Connection] = []

    def warm(self) -> None:
        """Open a connection now, so that the first write does not wait for it."""
        with self._lock:
            if self._idle:
                return
        conn = connect(self.target)
        with self._lock:
            self._idle.append(conn)

    def _begin_on(self, conn: Connection) -> Connection:
        """Take the turn on `conn`; on a new connection if the server dropped this one while
        it was idle (a restart, an idle timeout): learnt from the first statement, repeated
        once on the new one (nothing of the transaction has happened yet)."""
        try:
            conn.execute(_TAKE_TURN, prepare=True)
        except psycopg.OperationalError:
            if not conn.broken:
                raise  # the server answered (a timeout, a lock): not a dropped connection
            conn.close()
            conn = connect(self.target)
            conn.execute(_TAKE_TURN, prepare=True)
        return conn

    @contextmanager
    def transaction(self, what: str = "write") -> Iterator[Tx]:
        """A transaction: committed when the block ends, rolled back if it raises."""
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        broken = False
        try:
            if conn is None:
                conn = connect(self.target)
            try:
                conn = self._begin_on(conn)
                yield PgTx(conn, self.target, what)
                conn.commit()
            except psycopg.Error as exc:
                broken = isinstance(exc, psycopg.OperationalError)
                _rollback_quietly(conn)
                raise store_error(self.target, what, exc) from None
            except TxFailed as exc:
                broken = exc.broken
                _rollback_quietly(conn)
                raise
            except BaseException:
                _rollback_quietly(conn)
                raise
        finally:
            if conn is not None:
                if broken or conn.closed:
                    conn.close()
                else:
                    with self._lock:
                        self._idle.append(conn)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
