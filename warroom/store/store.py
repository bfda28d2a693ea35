"""The one Store: every state change and its timeline entry commit in one transaction.

`Store` is the last of a chain of classes, one concern a file: connection.py (the
database opened: set-up, transactions, the acting time), core.py (the rules every change
applies), incidents.py, timeline.py, checklist.py, and this file (imports of a whole
record, and the drafts of dialogs). What the rest of warroom imports is here: `Store`, its
errors, and `add_missing_columns` for the migration tests."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import timedelta

from warroom.domain.incident import (
    next_incident_id,
)
from warroom.domain.model import (
    Incident,
)
from warroom.domain.record import IncidentRecord
from warroom.domain.text import clean_line, clean_text
from warroom.domain.timefmt import utc
from warroom.store.checklist import ChecklistOps
from warroom.store.convert import _aware, _chain, _clock_columns, _to_incident, _written_order
from warroom.store.reader import (
    NotFound,
    StoreError,
    Unreachable,
)
from warroom.store.schema import add_missing_columns
from warroom.store.sql import Tx

__all__ = ["NotFound", "Store", "StoreError", "Unreachable", "add_missing_columns"]


class Store(ChecklistOps):
    """All reads and writes of warroom's database: an SQLite file (WAL, safe for many
    processes) or a PostgreSQL server (pg.py's twins of the reader and the writer).

    `playbook` may be swapped at any time (a live reload): it governs future actions only.
    What is recorded stays as it was: checklist items are rows, an incident's clock minutes
    are captured when it takes a severity, mitigations and scenarios are named in their
    timeline entries.
    """

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
