"""SQLModel tables. SQLModel stores aware datetimes as UTC and hands them back aware."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

SCHEMA_VERSION = 1


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
