"""Rows to domain records (and a few values to rows): the Store's converters, one for each
table, shared by its reads and writes (a row from the reader or from a transaction alike)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from warroom.domain.chain import (
    link_hash,
)
from warroom.domain.clocks import clock_values
from warroom.domain.model import (
    ActionItem,
    ChecklistItem,
    ClockValues,
    EntryKind,
    Incident,
    ReviewNotes,
    Revision,
    RoleAssignment,
    Status,
    TimelineEntry,
)
from warroom.domain.timefmt import utc
from warroom.playbook.models import Severity
from warroom.store.reader import (
    Record,
    deferred,
)
from warroom.store.sql import SQLITE_DIALECT

if TYPE_CHECKING:
    import sqlalchemy as sa
    import sqlmodel

    from warroom.store import tables
else:  # the schema's: imported only to set up or upgrade a database (sql.py says why)
    sa = deferred("sqlalchemy")
    sqlmodel = deferred("sqlmodel")
    tables = deferred("warroom.store.tables")


def new_key() -> str:
    """A fresh idempotency key: 32 random hex digits (what uuid4().hex gives, without
    importing uuid, which imports `platform`: a one-shot command's start-up counts)."""
    return os.urandom(16).hex()


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


def _search_phrase(text: str) -> str:
    """TEXT as FTS5 phrases, one a word (all must match): user text is never FTS syntax."""
    return SQLITE_DIALECT.search_param(text)
