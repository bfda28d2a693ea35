"""SQLModel tables: the Store's write side, and the schema. Timestamps are stored as UTC.

The read side (reader.py) reads these tables with plain SQL, so two rules hold for them
(`tests/store/test_reader.py` checks both): a timestamp column is named `at` or `..._at`, and
every table is named in `reader.TABLES`.

Schema changes are additive: a column added here must be nullable (or have a server
default), because `Store` brings an older database up to date by adding the columns it
lacks (`ALTER TABLE ... ADD COLUMN`), and SQLite cannot add a NOT NULL column without one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from warroom.domain.messages import OutboxStatus
from warroom.store.reader import SCHEMA_VERSION

__all__ = [
    "METADATA",
    "SCHEMA_VERSION",
    "ActionItemRow",
    "ChecklistRow",
    "ClockSnoozeRow",
    "DraftRow",
    "EntryRevisionRow",
    "EntryRow",
    "IncidentRow",
    "OutboxMessage",
    "RoleRow",
]


class IncidentRow(SQLModel, table=True):
    __tablename__ = "incident"

    id: str = Field(primary_key=True)
    title: str
    severity: int
    status: str = Field(index=True)
    impact_users: str = ""
    impact_features: str = ""
    detected_at: datetime
    declared_at: datetime
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    last_internal_update_at: datetime | None = None
    last_stakeholder_update_at: datetime | None = None
    last_customer_update_at: datetime | None = None
    review_json: str = "{}"
    review_path: str | None = None
    # Schema 2. The playbook's root cause key, once the IC has chosen one.
    root_cause_category: str | None = None
    # Schema 2. The severity's clock minutes, captured at declaration and at every severity
    # change. All NULL: recorded before schema 2 (the playbook decides). Otherwise only the
    # customer minutes may be NULL: customers need not be told at that severity.
    clock_acknowledge_minutes: int | None = None
    clock_resolve_minutes: int | None = None
    clock_internal_update_minutes: int | None = None
    clock_stakeholder_update_minutes: int | None = None
    clock_customer_comms_minutes: int | None = None
    # Schema 5. When users were affected, when recorded (`warroom impact --start/--end`);
    # otherwise the review counts from detection to mitigation.
    impact_start_at: datetime | None = None
    impact_end_at: datetime | None = None
    # Schema 6. Imported under a new ID (`warroom import`): the ID it had where it came from.
    original_id: str | None = None


class EntryRow(SQLModel, table=True):
    __tablename__ = "timeline_entry"
    __table_args__ = (
        Index("ix_entry_incident_at", "incident_id", "at", "id"),
        # Schema 8: the chain's previous link (the incident's last entry written) at once.
        Index("ix_entry_incident_id", "incident_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id")
    at: datetime
    logged_at: datetime
    kind: str
    text: str
    author: str = ""
    pinned: bool = False
    data_json: str = "{}"
    # Schema 8. The tamper-evident chain (domain/chain.py): a hash over the previous entry's
    # hash and this entry's content. NULL: written before schema 8.
    chain_hash: str | None = None


class RoleRow(SQLModel, table=True):
    __tablename__ = "role_assignment"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", index=True)
    role: str
    person: str
    assigned_at: datetime
    assigned_by: str = ""
    ended_at: datetime | None = None


class ChecklistRow(SQLModel, table=True):
    __tablename__ = "checklist_item"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", index=True)
    section: str
    position: int
    text: str
    done_at: datetime | None = None
    done_by: str | None = None


class ActionItemRow(SQLModel, table=True):
    __tablename__ = "action_item"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", index=True)
    text: str
    owner: str = ""
    priority: str
    due_at: datetime
    status: str = "Open"
    created_at: datetime


class ClockSnoozeRow(SQLModel, table=True):
    """Schema 3. The IC snoozed a clock's alerts until `until_at`, saying why.

    The snooze in force is the latest one of its clock (the domain decides: clocks.py).
    """

    __tablename__ = "clock_snooze"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", index=True)
    clock: str  # a ClockKind value
    at: datetime
    until_at: datetime
    reason: str
    author: str = ""
    entry_id: int | None = None  # the timeline entry that logged it


class OutboxMessage(SQLModel, table=True):
    """One message to one channel (outbox.py). The text is what was sent; never the URL."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_channel_status", "channel", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id", index=True)
    kind: str
    channel: str
    text: str
    status: str = Field(default=OutboxStatus.PENDING.value, index=True)
    attempts: int = 0
    next_attempt_at: datetime
    last_error: str = ""
    created_at: datetime
    sent_at: datetime | None = None
    claimed_at: datetime | None = None
    claimed_by: str = ""  # "host:pid" of the process posting it, while sending
    idempotency_key: str = Field(unique=True)
    author: str = ""
    entry_id: int | None = None  # the timeline entry of the send


class DraftRow(SQLModel, table=True):
    """Schema 3. What a person typed into a dialog and did not submit (Esc, a crash, quit):
    offered again the next time that dialog opens for that incident, until it is submitted."""

    __tablename__ = "form_draft"
    __table_args__ = (Index("ux_draft", "incident_id", "form", "author", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = ""  # "" for a dialog about no incident yet (declare)
    form: str
    author: str = ""
    fields_json: str = "{}"
    saved_at: datetime


class EntryRevisionRow(SQLModel, table=True):
    """Schema 8. A correction of a timeline entry: an edit (its new text) or a strike (with
    the reason). The entry keeps its original text, which the chain covers; nothing is
    deleted. The entry shows its latest edit, struck out once struck."""

    __tablename__ = "entry_revision"

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="timeline_entry.id", index=True)
    incident_id: str = Field(foreign_key="incident.id", index=True)
    at: datetime
    author: str = ""
    kind: str  # "edit" or "strike"
    old_text: str
    new_text: str
    reason: str = ""
    # The corrections' own chain (domain/chain.py: revision_hash).
    chain_hash: str | None = None


METADATA = SQLModel.metadata
"""Every table above (use this rather than SQLModel.metadata: it makes sure they are in it)."""
