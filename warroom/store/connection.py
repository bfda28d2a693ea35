"""The Store's connection to its database: opening it (an SQLite file or a PostgreSQL
server), setting it up or upgrading it, transactions, reads, and the time of what is being
done (`at`). Nothing here knows an incident; core.py's rules build on it.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warroom.domain.model import (
    Now,
    system_clock,
)
from warroom.domain.text import clean_line
from warroom.domain.timefmt import stamp, utc
from warroom.playbook.models import Playbook
from warroom.store.files import private_file
from warroom.store.reader import (
    BUSY_TIMEOUT_MS,
    SCHEMA_VERSION,
    TABLES,
    Reader,
    Record,
    StoreError,
    connect,
    damaged,
    deferred,
)
from warroom.store.sql import SQLITE_DIALECT, Dialect, Tx, Writer
from warroom.store.target import DatabaseTarget

if TYPE_CHECKING:
    import sqlalchemy as sa
    import sqlmodel

    from warroom.store import tables
    from warroom.store.pg import PgReader, PgWriter
else:  # the schema's: imported only to set up or upgrade a database (sql.py says why)
    sa = deferred("sqlalchemy")
    sqlmodel = deferred("sqlmodel")
    tables = deferred("warroom.store.tables")
from warroom.store.schema import SEARCH_INDEX, add_missing_columns

_ACTING_AT: ContextVar[datetime | None] = ContextVar("warroom_acting_at", default=None)
"""The time `Store.at` gives what is done inside it (per thread and task, like a context)."""


class StoreConnection:
    """The database the Store works on, opened: transactions, reads, the acting time."""

    DRILL_APPLICATION_ID = 0x4452494C  # "DRIL"
    """SQLite's `application_id` of a drill's database (`warroom drill` sets it)."""

    def __init__(
        self,
        path: str | Path | DatabaseTarget,
        playbook: Playbook,
        clock: Now = system_clock,
        author: str = "",
        read_only: bool = False,
    ) -> None:
        """Open the database at `path`: an SQLite file's path, or a `DatabaseTarget` (an
        SQLite file or a PostgreSQL server: pg.py, the same SQL through its twins)."""
        self.target = path if isinstance(path, DatabaseTarget) else DatabaseTarget.parse(path)
        self.where = self.target.display
        """The database as messages name it (a PostgreSQL URL's password as ***)."""
        self.playbook = playbook
        self.clock = clock
        self.author = author
        self.read_only = read_only
        self._cannot_write: str | None = None  # why this database user may not write
        self._watch: sqlite3.Connection | None = None
        self._dialect: Dialect = SQLITE_DIALECT
        self._reader: Reader | PgReader
        self._writer: Writer | PgWriter
        self.path: Path | None = self.target.sqlite_path
        """The SQLite file; None on PostgreSQL."""
        if self.path is None:
            self._open_postgres()
            return
        if self.path.is_dir():
            raise StoreError(f"database {self.path}: is a directory, not a database file")
        if read_only and not self.path.is_file():
            raise StoreError(f"database {self.path}: no such file (an observer needs one)")
        if not read_only:
            try:
                private_file(self.path)
            except OSError as exc:
                raise StoreError(
                    f"database {self.path}: cannot create it: {exc.strerror or exc}"
                ) from None
        self._reader = Reader(self.path, read_only)
        self._writer = Writer(self.path)
        version, names = self._reader.schema()
        self._check_version(version)
        if version < SCHEMA_VERSION or TABLES - names:
            if read_only:
                raise StoreError(
                    f"database {self.path}: needs setting up for this release, which writes;"
                    " open it once without --read-only"
                )
            with self._guard("open"):  # a new database, or one from an earlier release
                self._set_up()

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"database {self.where}: this database was written by a newer warroom"
                f" (schema {version}); this one knows schema {SCHEMA_VERSION}: upgrade warroom"
            )

    def _open_postgres(self) -> None:
        """The PostgreSQL twins (pg.py): set up the schema on first use; a user who may only
        read gets a read-only Store (its writes refused with the reason in one line)."""
        from warroom.store import pg  # the driver: only for a PostgreSQL target

        self._dialect = pg.PG_DIALECT
        self._reader = reader = pg.PgReader(self.target)
        self._writer = pg.PgWriter(self.target)
        try:
            version, names = reader.schema()
            self._check_version(version)
            if not self.read_only:
                self._cannot_write = reader.read_only_reason()
            if version < SCHEMA_VERSION or TABLES - names:
                if self.read_only or self._cannot_write:
                    why = self._cannot_write or "open it once without --read-only"
                    raise StoreError(
                        f"database {self.where}: needs setting up for this release,"
                        f" which writes: {why}"
                    )
                pg.ensure_schema(self.target)
        except BaseException:
            self.dispose()
            raise
        if self._cannot_write:
            self.read_only = True

    @property
    def playbook(self) -> Playbook:
        """The playbook future actions follow (severities, roles, scenarios, mitigations)."""
        return self._playbook

    @playbook.setter
    def playbook(self, playbook: Playbook) -> None:
        # Nothing recorded is rewritten: see the class docstring.
        self._playbook = playbook

    def _set_up(self) -> None:
        """Create the schema, or bring a database written by an earlier release up to it.

        SQLModel's tables (tables.py) are the schema: imported here only, where a database
        needs them. Only additive changes exist (tables.py says why), so it is enough to
        create the tables and add the columns the database lacks. Another process may be
        doing the same: the upgrade takes the write lock and checks again under it.
        """
        path = self.path
        assert path is not None  # PostgreSQL: pg.ensure_schema
        engine = sqlmodel.create_engine(
            sa.engine.URL.create("sqlite", database=str(path)),
            # The URL only picks the dialect: the connection comes from `connect`, so that
            # "?", "#" or "%" in the path cannot be read as a query or an escape.
            creator=lambda: connect(path, timeout=BUSY_TIMEOUT_MS / 1000),
            poolclass=sa.pool.NullPool,
        )

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
            dbapi_conn.isolation_level = None  # BEGIN IMMEDIATE below, not pysqlite's BEGIN
            dbapi_conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            dbapi_conn.execute("PRAGMA journal_mode=WAL")

        @sa.event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        try:
            with engine.begin() as conn:
                tables.METADATA.create_all(conn)
                add_missing_columns(conn)
                version = int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0)
                if version < 7:  # the search index arrives, filled from what is there
                    for statement in SEARCH_INDEX:
                        conn.exec_driver_sql(statement)
                    conn.exec_driver_sql(
                        "INSERT INTO timeline_search(timeline_search) VALUES ('rebuild')"
                    )
                if version < 8:  # the chain's previous link, found at once (tables.py)
                    conn.exec_driver_sql(
                        "CREATE INDEX IF NOT EXISTS ix_entry_incident_id"
                        " ON timeline_entry (incident_id, id)"
                    )
                if version < SCHEMA_VERSION:
                    conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except StoreError as exc:
            raise StoreError(f"database {path}: cannot upgrade the schema: {exc}") from None
        except sa.exc.SQLAlchemyError as exc:
            orig = getattr(exc, "orig", None) or exc
            raise StoreError(
                damaged(path, orig) or f"database {path}: cannot open: {orig}"
            ) from None
        finally:
            engine.dispose()

    def prepare_writes(self) -> None:
        """Open the writing connection now, so that the first entry does not wait for it
        (the war room calls this after its first paint)."""
        if not self.read_only:
            with self._guard("open"):
                self._writer.warm()

    @contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        try:
            yield
        except StoreError:
            raise
        except (sqlite3.Error, OSError) as exc:
            orig = getattr(exc, "orig", None) or exc
            raise StoreError(
                (self.path and damaged(self.path, orig))
                or f"database {self.where}: cannot {what}: {orig}"
            ) from None

    @contextmanager
    def _write(self, what: str) -> Iterator[Tx]:
        """One write transaction: everything done in it commits together, or none of it."""
        if self._cannot_write:
            raise StoreError(f"database {self.where}: {self._cannot_write}: cannot {what}")
        if self.read_only:
            raise StoreError(f"database {self.where}: read-only: cannot {what}")
        with self._guard(what), self._writer.transaction(what=what) as tx:
            yield tx

    def dispose(self) -> None:
        """Release the database connections (`close` is the incident's close)."""
        if self._watch is not None:
            self._watch.close()
            self._watch = None
        self._reader.close()
        self._writer.close()

    def mark_as_drill(self) -> None:
        """This database holds drills, not real incidents: every war room and command that
        opens it says so (a banner, DRILL on every message, nothing posted)."""
        if self.path is None:
            raise ValueError(f"{self.where}: a drill runs on an SQLite file of its own")
        with self._guard("mark the database as a drill's"):
            conn = connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
            try:
                conn.execute(f"PRAGMA application_id = {self.DRILL_APPLICATION_ID}")
                conn.commit()
            finally:
                conn.close()
        self.__dict__["is_drill"] = True

    @functools.cached_property
    def is_drill(self) -> bool:
        """Whether this is a drill's database (`mark_as_drill`; drills run on SQLite): read
        once, as the file is what it is for as long as it is open."""
        if self.path is None:
            return False
        found = self._reader.number("PRAGMA application_id", what="read")
        return found == self.DRILL_APPLICATION_ID

    def data_version(self) -> int:
        """Changes whenever any connection (another process included) commits."""
        if self.path is None:
            assert not isinstance(self._reader, Reader)
            return self._reader.data_version()
        try:
            if self._watch is None:
                self._watch = connect(self.path, self.read_only, check_same_thread=False)
            return int(self._watch.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error as exc:
            raise StoreError(f"database {self.path}: cannot read: {exc}") from None

    def _who(self, author: str | None) -> str:
        return clean_line(author if author is not None else self.author)

    def _now(self) -> datetime:
        """When what is being done happens: now, or the time given by `at`."""
        acting = _ACTING_AT.get()
        return acting if acting is not None else utc(self.clock())

    def now(self) -> datetime:
        """The time of what is being done: now, or the time `at` gives it."""
        return self._now()

    def transaction(self, what: str) -> AbstractContextManager[Tx]:
        """A write transaction (`what` names it in errors): all of it commits, or none."""
        return self._write(what)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Record]:
        """Rows of a plain SELECT (`?` placeholders), as `Record`s; never waits for a writer."""
        return self._reader.rows(sql, params)

    def query_first(self, sql: str, params: Sequence[Any] = ()) -> Record | None:
        return self._reader.first(sql, params)

    @contextmanager
    def at(self, when: datetime | None) -> Iterator[None]:
        """Record what is done inside as done at WHEN (None: now), consequences included:
        the entry that records it, checklist items it ticks, a role's "since", the clock an
        update restarts. How a script replays an incident to the minute. The future is
        refused; a change of state may not precede detection (a log entry may)."""
        if when is None:
            yield
            return
        when = utc(when)
        if when > utc(self.clock()):
            raise ValueError(f"{stamp(when)} is in the future")
        token = _ACTING_AT.set(when)
        try:
            yield
        finally:
            _ACTING_AT.reset(token)
