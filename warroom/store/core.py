"""The Store's foundation: opening a database (and setting it up), transactions, the time
an action happens (`at`), and the rules every change applies in its transaction (the
timeline entry that records it and its link in the chain, auto-ticks, roles' handoffs,
status changes, checklist sections, action items).

The Store is a chain of classes, one concern a file, each building on the one before:
core.py (this), incidents.py, timeline.py, checklist.py, and store.py (`Store`: imports and
drafts). convert.py turns rows into domain records; schema.py holds what SQLModel's tables
do not say (the search index, added columns). Long because the rules a change applies must
run in the same transaction as the change, so they live where the transaction is.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warroom.domain.followups import UNASSIGNED
from warroom.domain.incident import (
    SectionPlan,
    action_due,
    auto_tick_conditions,
    is_internal_status_update,
    mitigation_plan,
    section_title,
)
from warroom.domain.model import (
    ActionItem,
    EntryKind,
    Now,
    Revision,
    Status,
    TimelineEntry,
    system_clock,
)
from warroom.domain.text import clean_line
from warroom.domain.timefmt import stamp, utc
from warroom.playbook.models import Mitigation, Playbook, Role
from warroom.store.files import private_file
from warroom.store.reader import (
    BUSY_TIMEOUT_MS,
    SCHEMA_VERSION,
    TABLES,
    NotFound,
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
from warroom.store.convert import _chain, _to_incident, _to_revision
from warroom.store.schema import SEARCH_INDEX, add_missing_columns

_ACTING_AT: ContextVar[datetime | None] = ContextVar("warroom_acting_at", default=None)
"""The time `Store.at` gives what is done inside it (per thread and task, like a context)."""


class StoreCore:
    """The Store's plumbing and the rules every change applies (see the module docstring)."""

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

    @staticmethod
    def _ids_of_day(tx: Tx, day: date) -> list[str]:
        """The IDs of the incidents declared on `day` (the next one follows them)."""
        prefix = f"INC-{day.isoformat()}-"
        return tx.column(
            "SELECT id FROM incident WHERE substr(id, 1, ?) = ?", (len(prefix), prefix)
        )

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

    def _due_hours(self, action: ActionItem) -> int:
        """How long the playbook gives an item of this priority (0: one it does not know)."""
        try:
            return self.playbook.priority(action.priority).due_hours
        except KeyError:
            return 0

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
