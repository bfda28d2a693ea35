"""The rules every change applies in its transaction: the timeline entry that records it
and its link in the chain, auto-ticks, roles' handoffs, status changes, checklist sections,
action items. They live below the Store's methods because they must run in the same
transaction as the change they follow.

The Store is a chain of classes, one concern a file, each building on the one before:
connection.py (the database opened), core.py (this), incidents.py, timeline.py,
checklist.py, and store.py (`Store`: imports and drafts). convert.py turns rows into domain
records; schema.py holds what SQLModel's tables do not say (the search index, added
columns).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
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
    Revision,
    Status,
    TimelineEntry,
)
from warroom.domain.text import clean_line
from warroom.domain.timefmt import stamp, utc
from warroom.playbook.models import Mitigation, Role
from warroom.store.reader import (
    NotFound,
    Record,
    deferred,
)
from warroom.store.sql import Tx

if TYPE_CHECKING:
    import sqlalchemy as sa
    import sqlmodel

    from warroom.store import tables
else:  # the schema's: imported only to set up or upgrade a database (sql.py says why)
    sa = deferred("sqlalchemy")
    sqlmodel = deferred("sqlmodel")
    tables = deferred("warroom.store.tables")
from warroom.store.connection import _ACTING_AT, StoreConnection
from warroom.store.convert import _chain, _to_incident, _to_revision


class StoreCore(StoreConnection):
    """The rules every change applies (see the module docstring)."""

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
