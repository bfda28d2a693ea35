"""SQLModel tables. SQLModel stores aware datetimes as UTC and hands them back aware.

Schema changes are additive: a column added here must be nullable (or have a server
default), because `Store` brings an older database up to date by adding the columns it
lacks (`ALTER TABLE ... ADD COLUMN`), and SQLite cannot add a NOT NULL column without one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

SCHEMA_VERSION = 2  # 2: root cause category, captured clock values


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


class EntryRow(SQLModel, table=True):
    __tablename__ = "timeline_entry"
    __table_args__ = (Index("ix_entry_incident_at", "incident_id", "at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(foreign_key="incident.id")
    at: datetime
    logged_at: datetime
    kind: str
    text: str
    author: str = ""
    pinned: bool = False
    data_json: str = "{}"


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


# The outbox (warroom/store/outbox.py) is its own module; importing it here puts its table in
# SQLModel.metadata, so that Store creates it with the others.
from warroom.store.outbox import OutboxMessage  # noqa: E402, F401
