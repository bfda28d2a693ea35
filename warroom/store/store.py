"""The one Store: every state change and its timeline entry commit in one transaction."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import asdict, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warroom.domain.chain import (
    ChainLink,
    ChainReport,
    RevisionLink,
    link_hash,
    revision_hash,
    verify_chain,
)
from warroom.domain.clocks import LABELS, ClockKind, Snooze, clock_values, snooze_until
from warroom.domain.followups import UNASSIGNED
from warroom.domain.incident import (
    SectionPlan,
    action_due,
    auto_tick_conditions,
    checklist_plan,
    is_internal_status_update,
    mitigation_plan,
    next_incident_id,
    order_checklist,
    scenario_plan,
    section_title,
    severity_actions,
    swap_severity_actions,
)
from warroom.domain.messages import MessageKind
from warroom.domain.model import (
    ActionItem,
    ChecklistItem,
    ClockValues,
    EntryKind,
    Incident,
    Now,
    ReviewNotes,
    Revision,
    RoleAssignment,
    Status,
    TimelineEntry,
    UpdateKind,
    system_clock,
)
from warroom.domain.record import IncidentRecord
from warroom.domain.text import clean_line, clean_text
from warroom.domain.timefmt import hhmm, stamp, utc
from warroom.playbook.models import COMMANDER, Mitigation, Playbook, Role, Severity
from warroom.store.files import private_file
from warroom.store.reader import (
    BUSY_TIMEOUT_MS,
    SCHEMA_VERSION,
    TABLES,
    NotFound,
    Reader,
    Record,
    StoreError,
    Unreachable,
    connect,
    damaged,
    deferred,
)
from warroom.store.spool import Spooled
from warroom.store.sql import NO_LIMIT, SQLITE_DIALECT, Dialect, Tx, Writer
from warroom.store.target import DatabaseTarget

if TYPE_CHECKING:
    import sqlalchemy as sa
    import sqlmodel
    from sqlalchemy import Column, Connection, MetaData

    from warroom.store import tables
    from warroom.store.pg import PgReader, PgWriter
else:  # the schema's: imported only to set up or upgrade a database (sql.py says why)
    sa = deferred("sqlalchemy")
    sqlmodel = deferred("sqlmodel")
    tables = deferred("warroom.store.tables")

__all__ = ["NotFound", "Store", "StoreError", "Unreachable", "add_missing_columns"]


def new_key() -> str:
    """A fresh idempotency key: 32 random hex digits (what uuid4().hex gives, without
    importing uuid, which imports `platform`: a one-shot command's start-up counts)."""
    return os.urandom(16).hex()


_ACTING_AT: ContextVar[datetime | None] = ContextVar("warroom_acting_at", default=None)
"""The time `Store.at` gives what is done inside it (per thread and task, like a context)."""


def _aware(dt: datetime | None) -> datetime | None:
    return None if dt is None else utc(dt)


def _aware_req(dt: datetime) -> datetime:
    return utc(dt)


def _clock_values(row: Record) -> ClockValues | None:
    """The captured clock minutes; None for an incident recorded before they were captured."""
    required = (
        row.clock_acknowledge_minutes,
        row.clock_resolve_minutes,
        row.clock_internal_update_minutes,
        row.clock_stakeholder_update_minutes,
    )
    if any(value is None for value in required):
        return None
    acknowledge, resolve, internal, stakeholder = (int(v or 0) for v in required)
    return ClockValues(
        acknowledge_minutes=acknowledge,
        resolve_minutes=resolve,
        internal_update_minutes=internal,
        stakeholder_update_minutes=stakeholder,
        customer_comms_minutes=row.clock_customer_comms_minutes,
    )


def _clock_columns(severity: Severity | ClockValues) -> dict[str, int | None]:
    """The incident's columns that keep a severity's clock minutes (a later playbook edit
    leaves them as they were when the incident took that severity)."""
    values = severity if isinstance(severity, ClockValues) else clock_values(severity)
    return {
        "clock_acknowledge_minutes": values.acknowledge_minutes,
        "clock_resolve_minutes": values.resolve_minutes,
        "clock_internal_update_minutes": values.internal_update_minutes,
        "clock_stakeholder_update_minutes": values.stakeholder_update_minutes,
        "clock_customer_comms_minutes": values.customer_comms_minutes,
    }


def _to_incident(row: Record) -> Incident:
    review = ReviewNotes(**json.loads(row.review_json or "{}"))
    return Incident(
        id=row.id,
        title=row.title,
        severity=row.severity,
        status=Status(row.status),
        impact_users=row.impact_users,
        impact_features=row.impact_features,
        detected_at=_aware_req(row.detected_at),
        declared_at=_aware_req(row.declared_at),
        acknowledged_at=_aware(row.acknowledged_at),
        mitigated_at=_aware(row.mitigated_at),
        resolved_at=_aware(row.resolved_at),
        closed_at=_aware(row.closed_at),
        last_internal_update_at=_aware(row.last_internal_update_at),
        last_stakeholder_update_at=_aware(row.last_stakeholder_update_at),
        last_customer_update_at=_aware(row.last_customer_update_at),
        review=review,
        review_path=row.review_path,
        root_cause_category=row.root_cause_category,
        clock_values=_clock_values(row),
        impact_start=_aware(row.impact_start_at),
        impact_end=_aware(row.impact_end_at),
        original_id=row.original_id,
    )


def _to_entry(row: Record) -> TimelineEntry:
    assert row.id is not None
    return TimelineEntry(
        id=row.id,
        incident_id=row.incident_id,
        at=_aware_req(row.at),
        logged_at=_aware_req(row.logged_at),
        kind=EntryKind(row.kind),
        text=row.text,
        author=row.author,
        pinned=bool(row.pinned),
        data=json.loads(row.data_json) if row.data_json not in ("", "{}") else {},
    )


def _to_revision(row: Record) -> Revision:
    return Revision(
        id=row.id,
        entry_id=row.entry_id,
        at=_aware_req(row.at),
        author=row.author,
        kind=row.kind,
        old_text=row.old_text,
        new_text=row.new_text,
        reason=row.reason,
    )


def _chain(previous: str | None, row: dict[str, Any]) -> str:
    """An entry's link in the incident's chain (domain/chain.py says what it covers)."""
    return link_hash(
        previous, row["incident_id"], row["at"], row["kind"], row["text"], row["author"]
    )


def _written_order(entries: Sequence[TimelineEntry]) -> list[TimelineEntry]:
    """A record's entries in the order they were written where it came from (their ids,
    when it has them: the chain's order, so the chain's head survives an export and import
    under the same ID); otherwise as listed."""
    ids = [e.id for e in entries]
    if all(ids) and len(set(ids)) == len(ids):
        return sorted(entries, key=lambda e: e.id)
    return list(entries)


def _to_item(row: Record) -> ChecklistItem:
    assert row.id is not None
    return ChecklistItem(
        id=row.id,
        section=row.section,
        position=row.position,
        text=row.text,
        done_at=_aware(row.done_at),
        done_by=row.done_by,
    )


def _to_action(row: Record) -> ActionItem:
    assert row.id is not None
    return ActionItem(
        id=row.id,
        incident_id=row.incident_id,
        text=row.text,
        owner=row.owner,
        priority=row.priority,
        due_at=_aware_req(row.due_at),
        status=row.status,
    )


def _to_role(row: Record) -> RoleAssignment:
    return RoleAssignment(
        role=row.role,
        person=row.person,
        assigned_at=_aware_req(row.assigned_at),
        assigned_by=row.assigned_by,
        ended_at=_aware(row.ended_at),
    )


def _missing_columns(conn: Connection, metadata: MetaData) -> list[tuple[str, Column[Any]]]:
    """Columns `metadata`'s tables have and the database's tables lack."""
    missing = []
    for table in metadata.sorted_tables:
        rows = conn.exec_driver_sql(f'PRAGMA table_info("{table.name}")').fetchall()
        have = {row[1] for row in rows}
        if not have:
            continue  # no such table yet: create_all makes it whole
        missing += [(table.name, column) for column in table.columns if column.name not in have]
    return missing


def add_missing_columns(conn: Connection, metadata: MetaData | None = None) -> list[str]:
    """Add the columns the database lacks (``ALTER TABLE ... ADD COLUMN``); their names.

    Only nullable columns (or ones with a server default) can be added to existing rows;
    anything else is a StoreError, raised before any column is added.
    """
    missing = _missing_columns(conn, metadata or tables.METADATA)
    for table, column in missing:
        if not column.nullable and column.server_default is None:
            raise StoreError(f"cannot add column {table}.{column.name}: NOT NULL, no default")
    for table, column in missing:
        ddl = sa.schema.CreateColumn(column).compile(dialect=conn.dialect)
        conn.exec_driver_sql(f'ALTER TABLE "{table}" ADD COLUMN {ddl}')
    return [f"{table}.{column.name}" for table, column in missing]


SEARCH_INDEX = (
    # The timeline's full-text index (SQLite FTS5), kept by triggers: schema 7.
    "CREATE VIRTUAL TABLE IF NOT EXISTS timeline_search USING fts5("
    " text, content='timeline_entry', content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER IF NOT EXISTS timeline_search_insert AFTER INSERT ON timeline_entry BEGIN"
    " INSERT INTO timeline_search(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS timeline_search_delete AFTER DELETE ON timeline_entry BEGIN"
    " INSERT INTO timeline_search(timeline_search, rowid, text)"
    " VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS timeline_search_update AFTER UPDATE OF text ON timeline_entry"
    " BEGIN INSERT INTO timeline_search(timeline_search, rowid, text)"
    " VALUES ('delete', old.id, old.text);"
    " INSERT INTO timeline_search(rowid, text) VALUES (new.id, new.text); END",
)


def _search_phrase(text: str) -> str:
    """TEXT as FTS5 phrases, one a word (all must match): user text is never FTS syntax."""
    return SQLITE_DIALECT.search_param(text)


class Store:
    """All reads and writes of warroom's database: an SQLite file (WAL, safe for many
    processes) or a PostgreSQL server (pg.py's twins of the reader and the writer).

    `playbook` may be swapped at any time (a live reload): it governs future actions only.
    What is recorded stays as it was: checklist items are rows, an incident's clock minutes
    are captured when it takes a severity, mitigations and scenarios are named in their
    timeline entries.
    """

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

    def playbook_conflicts(self, playbook: Playbook) -> list[str]:
        """Why `playbook` cannot replace the current one: open incidents it could not show.

        An open incident whose severity the new playbook lacks would leave the war room with
        no name, colour or actions for it; a live reload should keep the old playbook then.
        """
        levels = {s.level for s in playbook.severities}
        return [
            f"{incident.id} is SEV-{incident.severity}, which the playbook does not define"
            for incident in self.incidents()
            if incident.is_open and incident.severity not in levels
        ]

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

    # -- plumbing ----------------------------------------------------------------------

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

    DRILL_APPLICATION_ID = 0x4452494C  # "DRIL"
    """SQLite's `application_id` of a drill's database (`warroom drill` sets it)."""

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

    @property
    def is_drill(self) -> bool:
        """Whether this is a drill's database (`mark_as_drill`; drills run on SQLite)."""
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

    # The store's own modules (the outbox) work through these, not through its internals.

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

    def _add_entry(
        self,
        tx: Tx,
        incident_id: str,
        kind: EntryKind,
        text: str,
        author: str,
        at: datetime | None = None,
        data: dict[str, Any] | None = None,
        pinned: bool = False,
    ) -> Record:
        now = self._now()
        values: dict[str, Any] = {
            "incident_id": incident_id,
            "at": utc(at or now),
            "logged_at": utc(self.clock()),  # when it was entered, whatever time it is about
            "kind": kind.value,
            "text": text,
            "author": author,
            "pinned": pinned,
            "data_json": json.dumps(data or {}),
        }
        # The chain's next link, on the previous one read in this same write transaction
        # (BEGIN IMMEDIATE: no other writer between the read and the insert).
        values["chain_hash"] = _chain(self._chain_previous(tx, incident_id), values)
        return tx.insert("timeline_entry", **values)

    @staticmethod
    def _chain_previous(tx: Tx, incident_id: str) -> str | None:
        """The hash of the incident's last entry written (None: no entry, or one from
        before the chain)."""
        row = tx.first(
            "SELECT chain_hash FROM timeline_entry WHERE incident_id = ? ORDER BY id DESC LIMIT 1",
            (incident_id,),
        )
        return None if row is None else row.chain_hash

    def _incident_row(self, tx: Tx, incident_id: str) -> Record:
        row = tx.get("incident", incident_id)
        if row is None:
            raise NotFound(f"no incident {incident_id}")
        return row

    def _open_row(self, tx: Tx, incident_id: str, before_detection_ok: bool = False) -> Record:
        """The incident, which must still be open: a closed record no longer changes. A
        change dated with `at` may not precede detection (`before_detection_ok`: entries
        may, as what led up to the incident)."""
        row = self._incident_row(tx, incident_id)
        if row.status == Status.CLOSED.value:
            raise ValueError(f"{incident_id} is closed")
        acting = _ACTING_AT.get()
        if acting is not None and not before_detection_ok and acting < utc(row.detected_at):
            raise ValueError(
                f"{stamp(acting)} is before the incident was detected ({stamp(row.detected_at)})"
            )
        return row

    # -- incidents ---------------------------------------------------------------------

    def declare(
        self,
        title: str,
        severity: int,
        impact_users: str = "",
        impact_features: str = "",
        detected_at: datetime | None = None,
        author: str | None = None,
        acknowledged: bool = False,
        commander: str | None = None,
    ) -> Incident:
        """Declare an incident, with its checklist; `acknowledged` and `commander` (the IC's
        name) are recorded in the same transaction, as the declaring responder would."""
        title = clean_line(title)
        if not title:
            raise ValueError("an incident needs a title")
        sev = self.playbook.severity(severity)
        who = self._who(author)
        ic = self.playbook.commander() if commander is not None else None
        if commander is not None and ic is None:
            raise KeyError(f"the playbook has no IC role (a role with key {COMMANDER!r})")
        commander = clean_line(commander or "").lstrip("@")
        if ic is not None and not commander:
            raise ValueError("the incident commander needs a name")
        now = self._now()
        detected = utc(detected_at) if detected_at else now
        if detected > utc(self.clock()):
            raise ValueError("detected time is in the future")
        if detected > now:
            raise ValueError(f"detected after the declaration ({stamp(now)})")
        with self._write("declare the incident") as tx:
            day = now.date()
            row = tx.insert(
                "incident",
                id=next_incident_id(day, self._ids_of_day(tx, day)),
                title=title,
                severity=sev.level,
                status=Status.INVESTIGATING.value,
                impact_users=clean_line(impact_users),
                impact_features=clean_line(impact_features),
                detected_at=utc(detected),
                declared_at=utc(now),
                **_clock_columns(sev),
            )
            if detected < now:
                self._add_entry(
                    tx, row.id, EntryKind.NOTE, "Issue first detected", who, at=detected
                )
            self._add_entry(
                tx,
                row.id,
                EntryKind.DECLARED,
                f"Incident declared: {sev.name} {sev.title} - {title}",
                who,
                data={"severity": sev.level},
            )
            self._add_sections(tx, row.id, checklist_plan(self.playbook, sev.level))
            if acknowledged:
                row.acknowledged_at = utc(now)
                tx.save("incident", row)
                self._add_entry(tx, row.id, EntryKind.ACK, "Acknowledged", who)
            if ic is not None:
                self._assign(tx, row.id, ic, commander, who, utc(now))
            self._auto_tick(tx, row, who)
            return _to_incident(row)

    @staticmethod
    def _ids_of_day(tx: Tx, day: date) -> list[str]:
        """The IDs of the incidents declared on `day` (the next one follows them)."""
        prefix = f"INC-{day.isoformat()}-"
        return tx.column(
            "SELECT id FROM incident WHERE substr(id, 1, ?) = ?", (len(prefix), prefix)
        )

    def get(self, incident_id: str) -> Incident:
        row = self._reader.first("SELECT * FROM incident WHERE id = ?", (incident_id,))
        if row is None:
            raise NotFound(f"no incident {incident_id}")
        return _to_incident(row)

    def current(self) -> Incident | None:
        """The open incident most recently declared, if any."""
        row = self._reader.first(
            "SELECT * FROM incident WHERE status != ? ORDER BY declared_at DESC LIMIT 1",
            (Status.CLOSED.value,),
        )
        return _to_incident(row) if row else None

    def incidents(self) -> list[Incident]:
        rows = self._reader.rows("SELECT * FROM incident ORDER BY declared_at DESC")
        return [_to_incident(r) for r in rows]

    def resolve_id(self, incident_id: str | None) -> str:
        """The named incident (checked), or the open one; a clear error otherwise."""
        if incident_id:
            return self.get(incident_id.strip()).id
        current = self.current()
        if current is None:
            raise NotFound("no open incident (declare one, or name one with --incident)")
        return current.id

    def set_severity(self, incident_id: str, severity: int, author: str | None = None) -> Incident:
        sev = self.playbook.severity(severity)
        who = self._who(author)
        with self._write("change severity") as tx:
            row = self._open_row(tx, incident_id)
            old = row.severity
            if old == sev.level:
                return _to_incident(row)
            row.severity = sev.level
            vars(row).update(_clock_columns(sev))
            tx.save("incident", row)
            self._add_entry(
                tx,
                incident_id,
                EntryKind.SEVERITY,
                f"Severity SEV-{old} -> {sev.name} ({sev.title})",
                who,
                data={"from": old, "to": sev.level},
            )
            # The new severity's actions join the checklist (domain: swap_severity_actions):
            # one done already, under any severity, moves in done; other done items stay,
            # unticked actions of other severities leave.
            rows = tx.rows(
                "SELECT * FROM checklist_item WHERE incident_id = ?"
                " AND substr(section, 1, 9) = 'severity-'",
                (incident_id,),
            )
            plan = severity_actions(self.playbook, sev.level)
            swap = swap_severity_actions([_to_item(r) for r in rows], plan)
            for item_id in swap.drop:
                tx.delete("checklist_item", item_id)
            for item_id, position in swap.move:
                tx.update("checklist_item", item_id, section=swap.section, position=position)
            for position, text in swap.add:
                tx.insert(
                    "checklist_item",
                    incident_id=incident_id,
                    section=swap.section,
                    position=position,
                    text=text,
                )
            self._auto_tick(tx, row, who)  # the new actions may be done already
            return _to_incident(row)

    def set_status(self, incident_id: str, status: Status, author: str | None = None) -> Incident:
        if status is Status.CLOSED:
            raise ValueError("use close to close an incident")
        who = self._who(author)
        with self._write("change status") as tx:
            row = self._open_row(tx, incident_id)
            self._change_status(tx, row, status, who)
            self._auto_tick(tx, row, who)
            return _to_incident(row)

    def _change_status(self, tx: Tx, row: Record, status: Status, who: str) -> None:
        """Move the incident to `status` and log it (nothing when it is there already)."""
        old = Status(row.status)
        if old is status:
            return
        now = utc(self._now())
        row.status = status.value
        if status is Status.MONITORING and row.mitigated_at is None:
            row.mitigated_at = now
        if status is Status.RESOLVED:
            row.resolved_at = now
        elif old is Status.RESOLVED:
            row.resolved_at = None  # reopened: the fix did not hold
        tx.save("incident", row)
        self._add_entry(
            tx,
            row.id,
            EntryKind.STATUS,
            f"Status {old.label} -> {status.label}",
            who,
            data={"from": old.value, "to": status.value},
        )

    def acknowledge(self, incident_id: str, author: str | None = None) -> Incident:
        who = self._who(author)
        with self._write("acknowledge") as tx:
            row = self._open_row(tx, incident_id)
            if row.acknowledged_at is None:
                row.acknowledged_at = utc(self._now())
                tx.save("incident", row)
                self._add_entry(tx, incident_id, EntryKind.ACK, "Acknowledged", who)
                self._auto_tick(tx, row, who)
            return _to_incident(row)

    def set_detected(
        self, incident_id: str, detected_at: datetime, author: str | None = None
    ) -> Incident:
        """Correct when the incident was detected; its clocks and review follow."""
        detected_at = utc(detected_at)
        if detected_at > utc(self._now()):
            raise ValueError("detection cannot be in the future")
        who = self._who(author)
        with self._write("correct the detection time") as tx:
            row = self._incident_row(tx, incident_id)
            declared = utc(row.declared_at)
            if detected_at > declared:
                raise ValueError(f"detection cannot be after the declaration ({stamp(declared)})")
            before = utc(row.detected_at)
            row.detected_at = detected_at
            tx.save("incident", row)
            change = (
                f"{stamp(before)} -> {stamp(detected_at)}"
                if before.date() != detected_at.date()
                else f"{hhmm(before)} -> {hhmm(detected_at)} UTC"
            )
            self._add_entry(
                tx,
                incident_id,
                EntryKind.DETECTED,
                f"Detection time corrected: {change}",
                who,
                data={"from": before.isoformat(), "to": detected_at.isoformat()},
            )
            return _to_incident(row)

    def set_impact(
        self,
        incident_id: str,
        users: str | None = None,
        features: str | None = None,
        author: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Incident:
        """Record who and what was affected, and when (the impact window: the review's
        downtime; it may start before detection)."""
        who = self._who(author)
        with self._write("record impact") as tx:
            row = self._open_row(tx, incident_id, before_detection_ok=True)
            parts = []
            if users is not None:
                row.impact_users = clean_line(users)
                parts.append(f"users affected: {row.impact_users}")
            if features is not None:
                row.impact_features = clean_line(features)
                parts.append(f"features affected: {row.impact_features}")
            new_start = utc(start) if start else _aware(row.impact_start_at)
            new_end = utc(end) if end else _aware(row.impact_end_at)
            now = utc(self.clock())
            if (start and utc(start) > now) or (end and utc(end) > now):
                raise ValueError("the impact window cannot be in the future")
            if new_start and new_end and new_end < new_start:
                raise ValueError("the impact cannot end before it starts")
            if start:
                row.impact_start_at = new_start
                parts.append(f"impact from {stamp(start)}")
            if end:
                row.impact_end_at = new_end
                parts.append(f"impact until {stamp(end)}")
            tx.save("incident", row)
            if parts:
                self._add_entry(tx, incident_id, EntryKind.NOTE, "Impact " + "; ".join(parts), who)
            return _to_incident(row)

    def record_update(
        self,
        incident_id: str,
        kind: UpdateKind = UpdateKind.INTERNAL,
        text: str = "",
        author: str | None = None,
    ) -> Incident:
        """A status update was sent: restart its clock and keep what was said."""
        who = self._who(author)
        now = self._now()
        with self._write("record the update") as tx:
            row = self._open_row(tx, incident_id)
            if kind is UpdateKind.INTERNAL:
                row.last_internal_update_at = utc(now)
            elif kind is UpdateKind.STAKEHOLDER:
                row.last_stakeholder_update_at = utc(now)
            else:
                row.last_customer_update_at = utc(now)
            tx.save("incident", row)
            body = clean_text(text)
            summary = f"{kind.value.capitalize()} status update sent"
            self._add_entry(
                tx,
                incident_id,
                EntryKind.UPDATE,
                f"{summary}: {body}" if body else summary,
                who,
                data={"update": kind.value},
            )
            self._auto_tick(tx, row, who)  # the first internal update: "Communicate"
            return _to_incident(row)

    def snooze(
        self,
        incident_id: str,
        clock: ClockKind,
        length: timedelta,
        reason: str,
        author: str | None = None,
    ) -> Snooze:
        """Snooze a clock's alerts for `length`, with a reason (required): the snooze and its
        timeline entry commit together. The clock still shows, "snoozed until HH:MM"."""
        reason = clean_line(reason)
        if not reason:
            raise ValueError("say why: /snooze CLOCK 15m REASON")
        who = self._who(author)
        now = utc(self._now())
        until = utc(snooze_until(clock, now, length))
        with self._write("snooze the clock") as tx:
            self._open_row(tx, incident_id)
            entry = self._add_entry(
                tx,
                incident_id,
                EntryKind.SNOOZE,
                f"{LABELS[clock]} alerts snoozed until {until:%H:%M} UTC: {reason}",
                who,
                data={"clock": clock.value, "until": until.isoformat(), "reason": reason},
            )
            tx.insert(
                "clock_snooze",
                incident_id=incident_id,
                clock=clock.value,
                at=now,
                until_at=until,
                reason=reason,
                author=who,
                entry_id=entry.id,
            )
        return Snooze(clock, now, until, reason, who)

    def snoozes(self, incident_id: str) -> list[Snooze]:
        """The incident's snoozes, oldest first (`compute_clocks` picks those in force)."""
        rows = self._reader.rows(
            "SELECT * FROM clock_snooze WHERE incident_id = ? ORDER BY at, id", (incident_id,)
        )
        return [
            Snooze(ClockKind(r.clock), r.at, r.until_at, r.reason, r.author)
            for r in rows
            if r.clock in ClockKind.__members__.values()
        ]

    # -- timeline ----------------------------------------------------------------------

    def log(
        self,
        incident_id: str,
        text: str,
        kind: EntryKind = EntryKind.NOTE,
        at: datetime | None = None,
        author: str | None = None,
        pinned: bool = False,
    ) -> TimelineEntry:
        text = clean_text(text)
        if not text.strip():
            raise ValueError("nothing to log: the entry is empty")
        if at is not None and utc(at) > self._now():
            raise ValueError("cannot log an entry in the future")
        who = self._who(author)
        with self._write("log the entry") as tx:
            self._open_row(tx, incident_id, before_detection_ok=True)
            row = self._add_entry(tx, incident_id, kind, text, who, at=at, pinned=pinned)
            return _to_entry(row)

    def log_many(self, incident_id: str, texts: Iterable[str], author: str | None = None) -> int:
        """Append many notes in one transaction (for `warroom log -`). Blank lines are skipped."""
        who = self._who(author)
        now = utc(self._now())
        rows = [
            {
                "incident_id": incident_id,
                "at": now,
                "logged_at": now,
                "kind": EntryKind.NOTE.value,
                "text": cleaned,
                "author": who,
                "pinned": False,
                "data_json": "{}",
                "chain_hash": None,
            }
            for cleaned in map(clean_text, texts)
            if cleaned.strip()
        ]
        if not rows:
            return 0
        with self._write("log the entries") as tx:
            self._open_row(tx, incident_id, before_detection_ok=True)
            previous = self._chain_previous(tx, incident_id)
            for row in rows:
                row["chain_hash"] = previous = _chain(previous, row)
            tx.insert_many("timeline_entry", rows)
        return len(rows)

    def record_observations(
        self,
        incident_id: str,
        lines: Iterable[str],
        author: str,
        within: timedelta = timedelta(minutes=15),
    ) -> int:
        """Changes an observer saw (the status radar), each logged once: a line the same
        author logged within `within` is not logged again, however many war rooms (on
        however many machines) saw it; the check and the write are one transaction. An
        incident closed meanwhile, or gone, gets nothing. How many entries were written."""
        texts = list(dict.fromkeys(t for t in map(clean_text, lines) if t.strip()))
        if not texts:
            return 0
        now = utc(self._now())
        with self._write("log the status pages") as tx:
            row = tx.get("incident", incident_id)
            if row is None or row.status == Status.CLOSED.value:
                return 0
            seen = set(
                tx.column(
                    "SELECT text FROM timeline_entry WHERE incident_id = ? AND author = ?"
                    " AND at >= ?",
                    (incident_id, author, now - within),
                )
            )
            fresh = [text for text in texts if text not in seen]
            for text in fresh:  # each a link of the incident's chain, as any entry
                self._add_entry(tx, incident_id, EntryKind.NOTE, text, author)
            return len(fresh)

    def log_spooled(self, item: Spooled) -> bool:
        """An entry typed while the database was unreachable (store/spool.py), written now
        with the time it was typed. False if it is there already (written by a drain that
        did not get to forget it). Refused (ValueError) if its incident was closed before
        it was typed; one typed while the incident was still open goes in, closed or not."""
        mark = {"spooled": item.key}
        with self._write("write the kept entry") as tx:
            row = self._incident_row(tx, item.incident_id)
            if row.closed_at is not None and utc(row.closed_at) <= item.at:
                raise ValueError(f"{item.incident_id} was closed before this was typed")
            if tx.first(
                "SELECT id FROM timeline_entry WHERE incident_id = ? AND data_json = ?",
                (item.incident_id, json.dumps(mark)),
            ):
                return False
            self._add_entry(
                tx,
                item.incident_id,
                EntryKind(item.kind),
                clean_text(item.text),
                clean_line(item.author),
                at=item.at,
                data=mark,
            )
        return True

    def set_pinned(
        self, entry_id: int, pinned: bool = True, author: str | None = None
    ) -> TimelineEntry:
        with self._write("pin the entry") as tx:
            row = tx.get("timeline_entry", entry_id)
            if row is None:
                raise NotFound(f"no timeline entry {entry_id}")
            row.pinned = pinned
            tx.update("timeline_entry", entry_id, pinned=pinned)
            return _to_entry(row)

    def last_entry(self, incident_id: str, typed_only: bool = True) -> TimelineEntry | None:
        kinds = [k.value for k in EntryKind if not (typed_only and k.is_automatic)]
        row = self._reader.first(
            f"SELECT * FROM timeline_entry WHERE incident_id = ?"
            f" AND kind IN ({', '.join('?' * len(kinds))}) ORDER BY id DESC LIMIT 1",
            (incident_id, *kinds),
        )
        return _to_entry(row) if row else None

    def entry_count(self, incident_id: str) -> int:
        return self._reader.number(
            "SELECT count(*) FROM timeline_entry WHERE incident_id = ?", (incident_id,)
        )

    def timeline(
        self,
        incident_id: str,
        offset: int = 0,
        limit: int | None = None,
        total: int | None = None,
    ) -> list[TimelineEntry]:
        """Entries in time order (`at`, then insertion); a window of them for large incidents.

        Given the `total` count, a window in the newer half is read backwards from the end,
        so showing the newest entries of a 100,000-entry incident skips nothing.
        """
        query = "SELECT * FROM timeline_entry WHERE incident_id = ?"
        if limit is not None and total is not None and offset > total // 2:
            end = min(total, offset + limit)
            rows = self._reader.rows(
                query + " ORDER BY at DESC, id DESC LIMIT ? OFFSET ?",
                (incident_id, max(0, end - offset), total - end),
            )
            rows.reverse()
        else:
            rows = self._reader.rows(
                query + " ORDER BY at, id LIMIT ? OFFSET ?",
                (incident_id, NO_LIMIT if limit is None else limit, offset),
            )
        return self._revised(incident_id, [_to_entry(r) for r in rows])

    def timeline_pager(
        self, incident_id: str, total: int, on_error: Callable[[str], None]
    ) -> Callable[[int, int], list[TimelineEntry]]:
        """`timeline(incident_id, offset, limit, total)` for a view that draws pages as it
        scrolls: a page that cannot be read (a damaged database) is empty, and `on_error`
        hears why, once, instead of the exception escaping into the drawing code."""
        told: list[str] = []

        def page(offset: int, limit: int) -> list[TimelineEntry]:
            try:
                return self.timeline(incident_id, offset, limit, total)
            except StoreError as exc:
                if not told:
                    told.append(str(exc))
                    on_error(str(exc))
                return []

        return page

    def timeline_days(self, incident_id: str) -> list[tuple[date, int]]:
        """The UTC days the timeline covers, in order, with the number of entries on each."""
        day = self._dialect.day_of("at")
        rows = self._reader.rows(
            f"SELECT {day} AS day, count(*) AS entries FROM timeline_entry"  # noqa: S608
            " WHERE incident_id = ? GROUP BY day ORDER BY day",
            (incident_id,),
        )
        return [(date.fromisoformat(r.day), int(r.entries)) for r in rows]

    def search(self, text: str, limit: int = 50) -> list[tuple[TimelineEntry, str]]:
        """Entries across every incident whose text has all of TEXT's words (any order,
        any case), newest first, each with its text with the matches in [brackets]."""
        phrase = self._dialect.search_param(text)
        if not phrase:
            raise ValueError("search for what? give some words")
        rows = self._reader.rows(self._dialect.search_sql(), (phrase, limit), what="search")
        return [(_to_entry(r), self._dialect.marked(r, text)) for r in rows]

    def all_action_items(self) -> list[ActionItem]:
        """Every incident's action items, soonest due first."""
        rows = self._reader.rows("SELECT * FROM action_item ORDER BY due_at, id")
        return [_to_action(r) for r in rows]

    def set_action_item_done(
        self, item_id: int, done: bool = True, author: str | None = None
    ) -> ActionItem:
        """An action item done (or open again). A follow-up outlives its incident: this is
        recorded on the item, and in the timeline while the incident is open."""
        who = self._who(author)
        with self._write("update the action item") as tx:
            row = tx.get("action_item", item_id)
            if row is None:
                raise NotFound(f"no action item {item_id} (warroom items lists them)")
            row.status = "Done" if done else "Open"
            tx.update("action_item", item_id, status=row.status)
            incident = self._incident_row(tx, row.incident_id)
            if incident.status != Status.CLOSED.value:
                state = "done" if done else "open again"
                self._add_entry(
                    tx,
                    row.incident_id,
                    EntryKind.TODO,
                    f"Action item {row.priority} {state}: {row.text}",
                    who,
                )
            return _to_action(row)

    def send_message(
        self,
        incident_id: str,
        kind: MessageKind,
        body: str,
        channels: Sequence[str],
        author: str | None = None,
    ) -> list[int]:
        """A message sent (outbox.send_message checks it first): in one transaction, restart
        its update clocks, put its full text in the timeline, and queue one pending outbox
        row per channel. The rows' ids (none for no channels: the update is recorded)."""
        who = self._who(author)
        now = utc(self._now())
        with self._write("send the message") as tx:
            row = self._open_row(tx, incident_id)
            for update_kind in kind.updates:
                if update_kind is UpdateKind.INTERNAL:
                    row.last_internal_update_at = now
                elif update_kind is UpdateKind.STAKEHOLDER:
                    row.last_stakeholder_update_at = now
                else:
                    row.last_customer_update_at = now
            tx.save("incident", row)
            entry = self._add_entry(
                tx,
                incident_id,
                EntryKind.UPDATE,
                f"Status update sent ({kind.value}):\n{body}",
                who,
                data={
                    "update": kind.updates[0].value,
                    "message": kind.value,
                    "channels": ", ".join(channels),
                },
            )
            self._auto_tick(tx, row, who)  # a declaration sent opens the thread
            return [
                tx.insert(
                    "outbox_message",
                    incident_id=incident_id,
                    kind=kind.value,
                    channel=name,
                    text=body,
                    next_attempt_at=now,
                    created_at=now,
                    idempotency_key=new_key(),
                    author=who,
                    entry_id=entry.id,
                ).id
                for name in channels
            ]

    # -- roles -------------------------------------------------------------------------

    def assign(
        self, incident_id: str, role: str, person: str, author: str | None = None
    ) -> RoleAssignment:
        """Assign a role. Replacing someone is a handoff, and both stay in the history."""
        spec = self.playbook.role(role)
        person = clean_line(person).lstrip("@")
        if not person:
            raise ValueError("assign needs a person's name")
        who = self._who(author)
        now = utc(self._now())
        with self._write("assign the role") as tx:
            incident = self._open_row(tx, incident_id)
            assigned = self._assign(tx, incident_id, spec, person, who, now)
            self._auto_tick(tx, incident, who)
            return _to_role(assigned)

    def _assign(
        self, tx: Tx, incident_id: str, spec: Role, person: str, who: str, now: datetime
    ) -> Record:
        current = tx.first(
            "SELECT * FROM role_assignment WHERE incident_id = ? AND role = ?"
            " AND ended_at IS NULL ORDER BY id LIMIT 1",
            (incident_id, spec.key),
        )
        if current is not None and current.person == person:
            return current
        if current is not None:
            tx.update("role_assignment", current.id, ended_at=now)
            text = f"{spec.short} handed off from {current.person} to {person}"
        else:
            text = f"{spec.short} assigned to {person}"
        row = tx.insert(
            "role_assignment",
            incident_id=incident_id,
            role=spec.key,
            person=person,
            assigned_at=now,
            assigned_by=who,
        )
        self._add_entry(
            tx,
            incident_id,
            EntryKind.ROLE,
            text,
            who,
            data={"role": spec.key, "person": person, "from": current.person if current else None},
        )
        return row

    def roles(self, incident_id: str) -> dict[str, RoleAssignment]:
        """Current holder of each assigned role, by role key."""
        return {a.role: a for a in self.role_history(incident_id) if a.ended_at is None}

    def role_history(self, incident_id: str) -> list[RoleAssignment]:
        rows = self._reader.rows(
            "SELECT * FROM role_assignment WHERE incident_id = ? ORDER BY assigned_at, id",
            (incident_id,),
        )
        return [_to_role(r) for r in rows]

    # -- checklist ---------------------------------------------------------------------

    def checklist(self, incident_id: str) -> list[ChecklistItem]:
        """Every item, section by section: see `order_checklist` for the order."""
        rows = self._reader.rows(
            "SELECT * FROM checklist_item WHERE incident_id = ?", (incident_id,)
        )
        return order_checklist(self.playbook, (_to_item(r) for r in rows))

    def _add_sections(self, tx: Tx, incident_id: str, plan: Sequence[SectionPlan]) -> list[Record]:
        return [
            tx.insert(
                "checklist_item",
                incident_id=incident_id,
                section=section.key,
                position=n,
                text=text,
            )
            for section in plan
            for n, text in enumerate(section.items)
        ]

    # -- playbook: scenarios, mitigations, root cause ------------------------------------

    @staticmethod
    def _entry_data(tx: Tx, incident_id: str, kind: EntryKind) -> list[dict[str, Any]]:
        """The data of the incident's `kind` entries, in the order they were written."""
        texts = tx.column(
            "SELECT data_json FROM timeline_entry WHERE incident_id = ? AND kind = ? ORDER BY id",
            (incident_id, kind.value),
        )
        return [json.loads(text or "{}") for text in texts]

    def _has_entry(self, tx: Tx, incident_id: str, kind: EntryKind, **data: object) -> bool:
        """Whether the timeline already has a `kind` entry whose data includes `data`."""
        return any(
            data.items() <= found.items() for found in self._entry_data(tx, incident_id, kind)
        )

    def attach_scenario(
        self, incident_id: str, key: str, author: str | None = None
    ) -> list[ChecklistItem]:
        """Add a scenario's diagnosis and resolution to the checklist; the items added.

        `key` is looked up in the playbook (key, name or a unique prefix). Attaching a
        scenario the incident already has adds nothing and logs nothing.
        """
        scenario = self.playbook.scenario(key)
        who = self._who(author)
        with self._write("attach the scenario") as tx:
            self._open_row(tx, incident_id)
            if self._has_entry(tx, incident_id, EntryKind.SCENARIO, scenario=scenario.key):
                return []
            rows = self._add_sections(tx, incident_id, scenario_plan(scenario))
            self._add_entry(
                tx,
                incident_id,
                EntryKind.SCENARIO,
                f"Scenario attached: {scenario.name}",
                who,
                data={"scenario": scenario.key, "name": scenario.name},
            )
            return [_to_item(r) for r in rows]

    def start_mitigation(self, incident_id: str, key: str, author: str | None = None) -> Incident:
        """Start a mitigation strategy: its steps and verification join the checklist.

        An incident still investigating or identified moves to mitigating (logged as any
        status change). Starting a strategy already started changes nothing.
        """
        mitigation = self.playbook.mitigation(key)
        who = self._who(author)
        with self._write("start the mitigation") as tx:
            row = self._open_row(tx, incident_id)
            self._start_mitigation(tx, row, mitigation, who)
            return _to_incident(row)

    def _start_mitigation(self, tx: Tx, row: Record, mitigation: Mitigation, who: str) -> None:
        """Sections, entry and status of a started mitigation (nothing if it was already)."""
        if self._has_entry(tx, row.id, EntryKind.MITIGATION, mitigation=mitigation.key):
            return
        self._add_sections(tx, row.id, mitigation_plan(mitigation))
        self._add_entry(
            tx,
            row.id,
            EntryKind.MITIGATION,
            f"Mitigation started: {mitigation.name}",
            who,
            data={"mitigation": mitigation.key, "name": mitigation.name, "phase": "started"},
        )
        if Status(row.status) in (Status.INVESTIGATING, Status.IDENTIFIED):
            self._change_status(tx, row, Status.MITIGATING, who)

    def apply_mitigation(self, incident_id: str, key: str, author: str | None = None) -> Incident:
        """Record that a mitigation is in place; the first one sets the incident's mitigated_at.

        A strategy applied without having been started is started first, in the same
        transaction. Applying it again changes nothing.
        """
        mitigation = self.playbook.mitigation(key)
        who = self._who(author)
        with self._write("apply the mitigation") as tx:
            row = self._open_row(tx, incident_id)
            applied = {"mitigation": mitigation.key, "phase": "applied"}
            if self._has_entry(tx, incident_id, EntryKind.MITIGATION, **applied):
                return _to_incident(row)
            self._start_mitigation(tx, row, mitigation, who)
            if row.mitigated_at is None:
                row.mitigated_at = utc(self._now())
                tx.save("incident", row)
            self._add_entry(
                tx,
                incident_id,
                EntryKind.MITIGATION,
                f"Mitigation applied: {mitigation.name}",
                who,
                data={**applied, "name": mitigation.name},
            )
            self._auto_tick(tx, row, who)
            return _to_incident(row)

    def set_root_cause(self, incident_id: str, key: str, author: str | None = None) -> Incident:
        """Record the root cause category (one of the playbook's); choosing it again is a no-op."""
        cause = self.playbook.root_cause(key)
        who = self._who(author)
        with self._write("record the root cause") as tx:
            row = self._open_row(tx, incident_id)
            old = row.root_cause_category
            if old == cause.key:
                return _to_incident(row)
            row.root_cause_category = cause.key
            tx.save("incident", row)
            self._add_entry(
                tx,
                incident_id,
                EntryKind.ROOT_CAUSE,
                f"Root cause category: {cause.name}",
                who,
                data={"root_cause": cause.key, "name": cause.name, "from": old},
            )
            return _to_incident(row)

    def tick(self, item_id: int, done: bool = True, author: str | None = None) -> ChecklistItem:
        who = self._who(author)
        with self._write("tick the item") as tx:
            row = tx.get("checklist_item", item_id)
            if row is None:
                raise NotFound(f"no checklist item {item_id}")
            self._open_row(tx, row.incident_id)
            if (row.done_at is not None) != done:
                self._tick_row(tx, row, done, who)
            return _to_item(row)

    def _tick_row(self, tx: Tx, row: Record, done: bool, who: str, because: str = "") -> None:
        row.done_at = utc(self._now()) if done else None
        row.done_by = who if done else None
        tx.update("checklist_item", row.id, done_at=row.done_at, done_by=row.done_by)
        title = section_title(self.playbook, row.section)
        verb = "Done" if done else "Unticked"
        data: dict[str, Any] = {"item": row.id, "done": int(done), "text": row.text}
        if because:  # done by the record's auto ticks, for this condition: not by a person
            data["auto"] = because
        text = f"{verb}: {row.text} ({title})"
        self._add_entry(tx, row.incident_id, EntryKind.CHECKLIST, text, who, data=data)

    def _auto_tick(self, tx: Tx, row: Record, who: str) -> None:
        """Keep the auto-ticked items in step with the record.

        Ticks the unticked items that the playbook's auto ticks name for the conditions the
        incident meets, and unticks what it ticked for a condition no longer met (a reopened
        incident is no longer resolved). Called by every change that can meet or unmeet one,
        and by a severity change, which brings new items. What a person did is theirs: an
        item a person unticked is not ticked again (by its text, so the copy a severity
        change brings back counts too), and an item a person ticked is never unticked.
        """
        holders = tx.column(
            "SELECT role FROM role_assignment WHERE incident_id = ? AND ended_at IS NULL",
            (row.id,),
        )
        updates = self._entry_data(tx, row.id, EntryKind.UPDATE)
        met = auto_tick_conditions(
            _to_incident(row),
            holders,
            [r.key for r in self.playbook.roles],
            any(u.get("message") == "declaration" for u in updates),
            internal_update_sent=any(is_internal_status_update(u) for u in updates),
        )
        ticks = self._entry_data(tx, row.id, EntryKind.CHECKLIST)
        opted_out = {t.get("text") for t in ticks if t.get("done") == 0 and "auto" not in t}
        last = {t["item"]: t for t in ticks if "item" in t}  # each item's latest tick
        stale = {
            item: t["auto"]
            for item, t in last.items()
            if t.get("done") == 1 and t.get("auto") and t["auto"] not in met
        }
        by_text: dict[str, str] = {}
        for condition in met:
            for text in getattr(self.playbook.auto_tick, condition):
                by_text.setdefault(text, condition)
        if not by_text and not stale:
            return
        items = tx.rows("SELECT * FROM checklist_item WHERE incident_id = ? ORDER BY id", (row.id,))
        for item in items:
            if item.done_at is None and item.text in by_text and item.text not in opted_out:
                self._tick_row(tx, item, True, who, because=by_text[item.text])
            elif item.done_at is not None and item.id in stale:
                self._tick_row(tx, item, False, who, because=stale[item.id])

    # -- close and review --------------------------------------------------------------

    def add_action_item(
        self,
        incident_id: str,
        text: str,
        priority: str,
        owner: str = "",
        author: str | None = None,
    ) -> ActionItem:
        who = self._who(author)
        with self._write("add the action item") as tx:
            self._incident_row(tx, incident_id)
            row = self._add_action_item(tx, incident_id, text, priority, owner, who)
            return _to_action(row)

    def _add_action_item(
        self, tx: Tx, incident_id: str, text: str, priority: str, owner: str, who: str
    ) -> Record:
        prio = self.playbook.priority(priority)
        text = clean_line(text)
        if not text:
            raise ValueError("an action item needs a description")
        now = self._now()
        row = tx.insert(
            "action_item",
            incident_id=incident_id,
            text=text,
            owner=clean_line(owner).lstrip("@"),
            priority=prio.name,
            due_at=utc(action_due(prio, now)),
            created_at=utc(now),
        )
        owner_text = f" (@{row.owner})" if row.owner else f" ({UNASSIGNED})"  # said, visibly
        self._add_entry(
            tx,
            incident_id,
            EntryKind.TODO,
            f"Action item {prio.name}: {text}{owner_text}",
            who,
        )
        return row

    def action_items(self, incident_id: str) -> list[ActionItem]:
        rows = self._reader.rows(
            "SELECT * FROM action_item WHERE incident_id = ? ORDER BY priority, id",
            (incident_id,),
        )
        return [_to_action(r) for r in rows]

    def save_review_notes(self, incident_id: str, notes: ReviewNotes) -> Incident:
        cleaned = ReviewNotes(**{k: clean_text(v) for k, v in asdict(notes).items()})
        with self._write("save the review notes") as tx:
            row = self._incident_row(tx, incident_id)
            row.review_json = json.dumps(asdict(cleaned))
            tx.save("incident", row)
            return _to_incident(row)

    def close(
        self,
        incident_id: str,
        notes: ReviewNotes | None = None,
        author: str | None = None,
        items: Sequence[tuple[str, str, str]] = (),
    ) -> Incident:
        """Close the incident (resolving it first if needed), with the close's answers and
        action items `(priority, owner, text)`, in one transaction: all of it or none. The
        review is written by comms."""
        who = self._who(author)
        now = utc(self._now())
        with self._write("close the incident") as tx:
            row = self._incident_row(tx, incident_id)
            if row.status == Status.CLOSED.value:
                return _to_incident(row)
            self._open_row(tx, incident_id)  # an `at` before detection is refused
            if notes is not None:
                cleaned = ReviewNotes(**{k: clean_text(v) for k, v in asdict(notes).items()})
                row.review_json = json.dumps(asdict(cleaned))
            for priority, owner, text in items:
                self._add_action_item(tx, incident_id, text, priority, owner, who)
            old = Status(row.status)
            if row.resolved_at is None:
                row.resolved_at = now
                tx.save("incident", row)
                self._add_entry(
                    tx,
                    incident_id,
                    EntryKind.STATUS,
                    f"Status {old.label} -> Resolved",
                    who,
                    data={"from": old.value, "to": Status.RESOLVED.value},
                )
                self._auto_tick(tx, row, who)
            row.status = Status.CLOSED.value
            row.closed_at = now
            tx.save("incident", row)
            self._add_entry(tx, incident_id, EntryKind.CLOSED, "Incident closed", who)
            return _to_incident(row)

    def reopen(self, incident_id: str, author: str | None = None) -> Incident:
        """A closed or resolved incident is back: investigating again, its clocks running.
        The review written at close stays where it is; the next export replaces it."""
        who = self._who(author)
        with self._write("reopen the incident") as tx:
            row = self._incident_row(tx, incident_id)
            old = Status(row.status)
            if old not in (Status.CLOSED, Status.RESOLVED):
                raise ValueError(f"{incident_id} is {old.label.lower()}, not closed or resolved")
            row.status = Status.INVESTIGATING.value
            row.closed_at = None
            row.resolved_at = None
            tx.save("incident", row)
            self._add_entry(
                tx,
                incident_id,
                EntryKind.STATUS,
                f"Incident reopened: {old.label} -> {Status.INVESTIGATING.label}",
                who,
                data={"from": old.value, "to": Status.INVESTIGATING.value},
            )
            self._auto_tick(tx, row, who)  # "Resolve" unticks again
            return _to_incident(row)

    # -- import: a whole record, as `show --json` wrote it -------------------------------

    def import_record(self, record: IncidentRecord, author: str | None = None) -> Incident:
        """Recreate an incident from its record, every time, author, pin, role, item and
        checklist state as recorded, in one transaction. If its ID is taken here, it gets the
        next free one for its declaration's day and keeps the old one as `original_id`."""
        source = record.incident
        declared = utc(source.declared_at)
        with self._write("import the incident") as tx:
            taken = tx.get("incident", source.id) is not None
            new_id = (
                next_incident_id(declared.date(), self._ids_of_day(tx, declared.date()))
                if taken
                else source.id
            )
            clocks = source.clock_values or self.playbook.severity(source.severity)
            row = tx.insert(
                "incident",
                id=new_id,
                title=clean_line(source.title),
                severity=source.severity,
                status=source.status.value,
                impact_users=clean_line(source.impact_users),
                impact_features=clean_line(source.impact_features),
                detected_at=utc(source.detected_at),
                declared_at=declared,
                acknowledged_at=_aware(source.acknowledged_at),
                mitigated_at=_aware(source.mitigated_at),
                resolved_at=_aware(source.resolved_at),
                closed_at=_aware(source.closed_at),
                last_internal_update_at=_aware(source.last_internal_update_at),
                last_stakeholder_update_at=_aware(source.last_stakeholder_update_at),
                last_customer_update_at=_aware(source.last_customer_update_at),
                review_json=json.dumps(
                    {k: clean_text(v) for k, v in asdict(source.review).items()}
                ),
                root_cause_category=source.root_cause_category,
                impact_start_at=_aware(source.impact_start),
                impact_end_at=_aware(source.impact_end),
                original_id=source.id if taken else source.original_id,
                **_clock_columns(clocks),
            )
            entries = [
                {
                    "incident_id": new_id,
                    "at": utc(entry.at),
                    "logged_at": utc(entry.logged_at),
                    "kind": entry.kind.value,
                    "text": clean_text(entry.text),
                    "author": clean_line(entry.author),
                    "pinned": entry.pinned,
                    "data_json": json.dumps(entry.data),
                }
                for entry in _written_order(record.timeline)
            ]
            previous: str | None = None  # a new incident here: its chain starts afresh
            for values in entries:
                values["chain_hash"] = previous = _chain(previous, values)
            tx.insert_many("timeline_entry", entries)
            self._import_revisions(tx, new_id, record)
            tx.insert_many(
                "role_assignment",
                [
                    {
                        "incident_id": new_id,
                        "role": role.role,
                        "person": clean_line(role.person),
                        "assigned_at": utc(role.assigned_at),
                        "assigned_by": clean_line(role.assigned_by),
                        "ended_at": _aware(role.ended_at),
                    }
                    for role in record.roles
                ],
            )
            tx.insert_many(
                "checklist_item",
                [
                    {
                        "incident_id": new_id,
                        "section": item.section,
                        "position": item.position,
                        "text": clean_line(item.text),
                        "done_at": _aware(item.done_at),
                        "done_by": item.done_by,
                    }
                    for item in record.checklist
                ],
            )
            tx.insert_many(
                "action_item",
                [
                    {
                        "incident_id": new_id,
                        "text": clean_line(action.text),
                        "owner": clean_line(action.owner),
                        "priority": action.priority,
                        "due_at": utc(action.due_at),
                        "status": action.status,
                        "created_at": utc(action.due_at) - timedelta(hours=self._due_hours(action)),
                    }
                    for action in record.action_items
                ],
            )
            return _to_incident(row)

    def _due_hours(self, action: ActionItem) -> int:
        """How long the playbook gives an item of this priority (0: one it does not know)."""
        try:
            return self.playbook.priority(action.priority).due_hours
        except KeyError:
            return 0

    # -- drafts: typed into a dialog, not yet submitted ----------------------------------

    def save_draft(
        self, incident_id: str, form: str, values: dict[str, str], author: str | None = None
    ) -> None:
        """Keep what was typed into FORM (one draft per incident, form and person); a draft
        with nothing typed in it is removed."""
        who = self._who(author)
        kept = {key: clean_text(value) for key, value in values.items() if value.strip()}
        with self._write("keep the draft") as tx:
            found = tx.first(
                "SELECT id FROM form_draft WHERE incident_id = ? AND form = ? AND author = ?",
                (incident_id, form, who),
            )
            if not kept:
                if found is not None:
                    tx.delete("form_draft", found.id)
                return
            now = utc(self._now())
            if found is None:
                tx.insert(
                    "form_draft",
                    incident_id=incident_id,
                    form=form,
                    author=who,
                    saved_at=now,
                    fields_json=json.dumps(kept),
                )
            else:
                tx.update("form_draft", found.id, fields_json=json.dumps(kept), saved_at=now)

    def draft(self, incident_id: str, form: str, author: str | None = None) -> dict[str, str]:
        """The draft kept for FORM ({} if none)."""
        row = self._reader.first(
            "SELECT fields_json FROM form_draft WHERE incident_id = ? AND form = ? AND author = ?",
            (incident_id, form, self._who(author)),
        )
        if row is None:
            return {}
        values = json.loads(row.fields_json or "{}")
        return {str(k): str(v) for k, v in values.items()} if isinstance(values, dict) else {}

    def set_review_path(self, incident_id: str, path: str, author: str | None = None) -> Incident:
        """The final review was written to `path` (the review is written: auto ticks follow)."""
        who = self._who(author)
        with self._write("record the review") as tx:
            row = self._incident_row(tx, incident_id)
            row.review_path = path
            tx.save("incident", row)
            self._auto_tick(tx, row, who)
            return _to_incident(row)

    # -- corrections and the chain (schema 8) --------------------------------------------

    def _revised(self, incident_id: str, entries: list[TimelineEntry]) -> list[TimelineEntry]:
        """ENTRIES with their corrections (entry_revision), oldest first."""
        if not entries:
            return entries
        ids = [e.id for e in entries]
        if len(ids) <= 500:
            rows = self._reader.rows(
                f"SELECT * FROM entry_revision WHERE entry_id IN ({', '.join('?' * len(ids))})"
                " ORDER BY id",
                ids,
            )
        else:
            rows = self._reader.rows(
                "SELECT * FROM entry_revision WHERE incident_id = ? ORDER BY id", (incident_id,)
            )
        if not rows:
            return entries
        found: dict[int, list[Revision]] = {}
        for row in rows:
            found.setdefault(row.entry_id, []).append(_to_revision(row))
        return [replace(e, revisions=tuple(found[e.id])) if e.id in found else e for e in entries]

    def entry(self, entry_id: int, incident_id: str | None = None) -> TimelineEntry:
        """One timeline entry, with its corrections (NotFound: none such in INCIDENT_ID)."""
        row = self._reader.first("SELECT * FROM timeline_entry WHERE id = ?", (entry_id,))
        if row is None or (incident_id is not None and row.incident_id != incident_id):
            where = f" in {incident_id}" if incident_id else ""
            raise NotFound(f"no timeline entry {entry_id}{where}")
        return self._revised(row.incident_id, [_to_entry(row)])[0]

    def edit_entry(
        self,
        entry_id: int,
        text: str,
        author: str | None = None,
        incident_id: str | None = None,
    ) -> TimelineEntry:
        """Correct a typed entry's text. The original stays (the chain covers it); the
        correction is kept with who made it and when, and the entry shows it."""
        return self._revise(entry_id, "edit", text, author, incident_id)

    def strike_entry(
        self,
        entry_id: int,
        reason: str,
        author: str | None = None,
        incident_id: str | None = None,
    ) -> TimelineEntry:
        """Strike a typed entry out, saying why. It stays in the timeline, struck through."""
        return self._revise(entry_id, "strike", reason, author, incident_id)

    def _revise(
        self, entry_id: int, kind: str, text: str, author: str | None, incident_id: str | None
    ) -> TimelineEntry:
        text = clean_text(text).strip() if kind == "edit" else clean_line(text)
        if not text:
            raise ValueError(
                "the corrected text is empty (strike the entry to withdraw it)"
                if kind == "edit"
                else "a strike needs a reason"
            )
        who = self._who(author)
        with self._write("correct the entry") as tx:
            row = tx.get("timeline_entry", entry_id)
            if row is None or (incident_id is not None and row.incident_id != incident_id):
                where = f" in {incident_id}" if incident_id else ""
                raise NotFound(f"no timeline entry {entry_id}{where}")
            if EntryKind(row.kind).is_automatic:
                raise ValueError(
                    f"entry {entry_id} is automatic ({row.kind}): only typed entries can be"
                    " corrected; log a note that says what was wrong"
                )
            revisions = tx.rows(
                "SELECT * FROM entry_revision WHERE entry_id = ? ORDER BY id", (entry_id,)
            )
            if any(r.kind == "strike" for r in revisions):
                raise ValueError(f"entry {entry_id} is struck out already")
            current = next((r.new_text for r in reversed(revisions) if r.kind == "edit"), row.text)
            if kind == "edit" and text == current:
                raise ValueError(f"entry {entry_id} says that already")
            self._insert_revision(
                tx,
                row.incident_id,
                entry_id,
                row.chain_hash,
                at=utc(self._now()),
                author=who,
                kind=kind,
                old_text=current,
                new_text=text if kind == "edit" else current,
                reason=text if kind == "strike" else "",
            )
        return self.entry(entry_id)

    @staticmethod
    def _insert_revision(
        tx: Tx, incident_id: str, entry_id: int, entry_hash: str | None, **values: Any
    ) -> None:
        """A correction, linked to the incident's previous correction and to its entry's
        hash, read in this write transaction (domain/chain.py)."""
        last = tx.first(
            "SELECT chain_hash FROM entry_revision WHERE incident_id = ? ORDER BY id DESC LIMIT 1",
            (incident_id,),
        )
        chain_hash = revision_hash(
            None if last is None else last.chain_hash,
            entry_hash,
            values["at"],
            values["author"],
            values["kind"],
            values["old_text"],
            values["new_text"],
            values["reason"],
        )
        tx.insert(
            "entry_revision",
            entry_id=entry_id,
            incident_id=incident_id,
            chain_hash=chain_hash,
            **values,
        )

    def _import_revisions(self, tx: Tx, new_id: str, record: IncidentRecord) -> None:
        """The record's corrections, on the entries as imported (by their order)."""
        if not any(entry.revisions for entry in record.timeline):
            return
        new_rows = tx.rows(
            "SELECT id, chain_hash FROM timeline_entry WHERE incident_id = ? ORDER BY id",
            (new_id,),
        )
        corrections = [
            (row, revision)
            for entry, row in zip(_written_order(record.timeline), new_rows, strict=False)
            for revision in entry.revisions
        ]
        # The order they were made: by their ids where they came from, else by time.
        numbered = all(revision.id for _, revision in corrections)
        corrections.sort(key=lambda pair: (pair[1].id if numbered else 0, utc(pair[1].at)))
        for row, revision in corrections:
            self._insert_revision(
                tx,
                new_id,
                row.id,
                row.chain_hash,
                at=utc(revision.at),
                author=clean_line(revision.author),
                kind=revision.kind,
                old_text=clean_text(revision.old_text),
                new_text=clean_text(revision.new_text),
                reason=clean_line(revision.reason),
            )

    def _chain_links(self, incident_id: str) -> list[ChainLink]:
        rows = self._reader.rows(
            "SELECT id, incident_id, at, kind, text, author, chain_hash FROM timeline_entry"
            " WHERE incident_id = ? ORDER BY id",
            (incident_id,),
        )
        return [
            ChainLink(r.id, r.incident_id, _aware_req(r.at), r.kind, r.text, r.author, r.chain_hash)
            for r in rows
        ]

    def verify_chain(self, incident_id: str) -> ChainReport:
        """Recompute the incident's timeline chain and its corrections' (domain/chain.py):
        their heads, or the first entry that does not match."""
        self.get(incident_id)
        rows = self._reader.rows(
            "SELECT * FROM entry_revision WHERE incident_id = ? ORDER BY id", (incident_id,)
        )
        revisions = [
            RevisionLink(
                r.id,
                r.entry_id,
                _aware_req(r.at),
                r.author,
                r.kind,
                r.old_text,
                r.new_text,
                r.reason,
                r.chain_hash,
            )
            for r in rows
        ]
        return verify_chain(self._chain_links(incident_id), revisions)

    def corrections_head(self, incident_id: str) -> str | None:
        """The hash of the incident's last correction (None: none)."""
        row = self._reader.first(
            "SELECT chain_hash FROM entry_revision WHERE incident_id = ? ORDER BY id DESC LIMIT 1",
            (incident_id,),
        )
        return None if row is None else row.chain_hash

    def chain_head(self, incident_id: str) -> str | None:
        """The hash of the incident's last entry written (None: nothing chained)."""
        row = self._reader.first(
            "SELECT chain_hash FROM timeline_entry WHERE incident_id = ? ORDER BY id DESC LIMIT 1",
            (incident_id,),
        )
        return None if row is None else row.chain_hash

    # -- action items' owners --------------------------------------------------------------

    def set_action_item_owner(
        self, item_id: int, owner: str, author: str | None = None
    ) -> ActionItem:
        """Give an action item its owner (one recorded unassigned, or a new one); logged while
        the incident is open."""
        who = self._who(author)
        owner = clean_line(owner).lstrip("@")
        if not owner:
            raise ValueError("who owns it? give a name")
        with self._write("update the action item") as tx:
            row = tx.get("action_item", item_id)
            if row is None:
                raise NotFound(f"no action item {item_id} (warroom items lists them)")
            row.owner = owner
            tx.update("action_item", item_id, owner=owner)
            incident = self._incident_row(tx, row.incident_id)
            if incident.status != Status.CLOSED.value:
                self._add_entry(
                    tx,
                    row.incident_id,
                    EntryKind.TODO,
                    f"Action item {row.priority} owner: @{owner}: {row.text}",
                    who,
                )
            return _to_action(row)
