"""`warroom import FILE|-`: an incident's record (`warroom show ID --json`) into this database.

How an incident run offline on a laptop moves to the team's database, and how one run in
chat is backfilled. The record is validated (pydantic, at this edge) before anything is
written; a mistake is named by its place (`timeline[3].at: not a date`) and nothing is
written. The whole incident is written in one transaction; if its ID is taken here, it gets
a new one (printed), and keeps the old one as `original_id`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warroom.cli.common import subcommand
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
from warroom.domain.record import IncidentRecord

if TYPE_CHECKING:
    from warroom.store.store import Store

__all__ = ["add_parsers", "parse_record"]


def add_parsers(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: Sequence[argparse.ArgumentParser],
) -> None:
    help = "recreate an incident from `warroom show ID --json` output; prints its ID"
    sub = subcommand(subparsers, parents, "import", _import, help)
    sub.add_argument("file", metavar="FILE", help="the JSON record ('-': stdin)")


def _import(store: Store, args: argparse.Namespace) -> int:
    if args.file == "-":
        text, where = sys.stdin.read(), "stdin"
    else:
        path = Path(args.file).expanduser()
        text, where = path.read_text(encoding="utf-8"), str(path)
    record = parse_record(text, where)
    incident = store.import_record(record)
    if incident.original_id and incident.original_id != incident.id:
        print(f"{incident.id} (was {incident.original_id}: that ID is taken here)")
    else:
        print(incident.id)
    return 0


def parse_record(text: str, where: str = "the record") -> IncidentRecord:
    """The record in TEXT, checked; ValueError naming the first mistake's place."""
    from pydantic import ValidationError

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where}: not JSON: {exc.msg} (line {exc.lineno})") from None
    try:
        model = _models().Record.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        place = _place(first["loc"])
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ValueError(f"{where}: {place}: {_message(first)}{more}") from None
    record: IncidentRecord = model.to_record()
    return record


def _place(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the record"


def _message(error: Any) -> str:
    kind = str(error.get("type", ""))
    if kind.startswith("datetime") or kind.startswith("date_"):
        return "not a date"
    if kind == "missing":
        return "missing"
    return str(error.get("msg", "not valid"))


def _models() -> Any:
    """The pydantic models, built on first use (pydantic stays off the path of other
    commands)."""
    from typing import Annotated, Literal

    from pydantic import AfterValidator, BaseModel, ConfigDict, Field

    def aware(value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    When = Annotated[datetime, AfterValidator(aware)]

    class Model(BaseModel):
        model_config = ConfigDict(extra="ignore")

    class Impact(Model):
        users: str = ""
        features: str = ""
        revenue: str = ""
        start: When | None = None
        end: When | None = None

    class Role(Model):
        role: str
        name: str
        since: When
        until: When | None = None
        by: str = ""

    class Rev(Model):  # a correction (schema 8): optional, older files have none
        id: int | None = None  # the order made, where it came from
        at: When
        author: str = ""
        kind: Literal["edit", "strike"]
        old_text: str
        new_text: str
        reason: str = ""

    class Entry(Model):
        id: int | None = None  # the order written in, where it came from (the chain's)
        at: When
        kind: EntryKind
        text: str
        author: str = ""
        pinned: bool = False
        logged_at: When | None = None
        data: dict[str, str | int | None] = Field(default_factory=dict)
        revisions: list[Rev] = Field(default_factory=list)

    class Check(Model):
        section: str
        position: int | None = None
        text: str
        done_by: str | None = None
        done_at: When | None = None

    class Item(Model):
        priority: str
        owner: str = ""
        text: str
        due: When
        done: bool = False

    class Clocks(Model):
        acknowledge_minutes: int
        resolve_minutes: int
        internal_update_minutes: int
        stakeholder_update_minutes: int
        customer_comms_minutes: int | None = None

    class Record(Model):
        id: str = Field(pattern=r"^INC-\d{4}-\d{2}-\d{2}-\d+$")
        title: str = Field(min_length=1)
        severity: int
        status: Status
        detected_at: When
        declared_at: When
        acknowledged_at: When | None = None
        mitigated_at: When | None = None
        resolved_at: When | None = None
        closed_at: When | None = None
        last_internal_update_at: When | None = None
        last_stakeholder_update_at: When | None = None
        last_customer_update_at: When | None = None
        impact: Impact = Field(default_factory=Impact)
        review: dict[str, str] = Field(default_factory=dict)
        root_cause_category: str | None = None
        original_id: str | None = None
        clock_values: Clocks | None = None
        roles: list[Role] = Field(default_factory=list)
        timeline: list[Entry] = Field(default_factory=list)
        checklist: list[Check] = Field(default_factory=list)
        action_items: list[Item] = Field(default_factory=list)

        def to_record(self) -> IncidentRecord:
            known = set(ReviewNotes.__dataclass_fields__)
            notes = {k: v for k, v in self.review.items() if k in known}
            if "revenue_impact" not in notes and self.impact.revenue:
                notes["revenue_impact"] = self.impact.revenue

            def last(kind: str) -> datetime | None:
                """When the last update of KIND went, for a record that does not say."""
                sent = [
                    e.at
                    for e in self.timeline
                    if e.kind is EntryKind.UPDATE and e.data.get("update") == kind
                ]
                return max(sent, default=None)

            incident = Incident(
                id=self.id,
                title=self.title,
                severity=self.severity,
                status=self.status,
                impact_users=self.impact.users,
                impact_features=self.impact.features,
                detected_at=self.detected_at,
                declared_at=self.declared_at,
                acknowledged_at=self.acknowledged_at,
                mitigated_at=self.mitigated_at,
                resolved_at=self.resolved_at,
                closed_at=self.closed_at,
                last_internal_update_at=self.last_internal_update_at or last("internal"),
                last_stakeholder_update_at=self.last_stakeholder_update_at or last("stakeholder"),
                last_customer_update_at=self.last_customer_update_at or last("customer"),
                review=ReviewNotes(**notes),
                root_cause_category=self.root_cause_category,
                clock_values=ClockValues(**self.clock_values.model_dump())
                if self.clock_values
                else None,
                impact_start=self.impact.start,
                impact_end=self.impact.end,
                original_id=self.original_id,
            )
            return IncidentRecord(
                incident=incident,
                timeline=[
                    TimelineEntry(
                        id=e.id or 0,
                        incident_id=self.id,
                        at=e.at,
                        logged_at=e.logged_at or e.at,
                        kind=e.kind,
                        text=e.text,
                        author=e.author,
                        pinned=e.pinned,
                        data=dict(e.data),
                        revisions=tuple(
                            Revision(
                                r.id or 0,
                                0,
                                r.at,
                                r.author,
                                r.kind,
                                r.old_text,
                                r.new_text,
                                r.reason,
                            )
                            for r in e.revisions
                        ),
                    )
                    for e in self.timeline
                ],
                roles=[RoleAssignment(r.role, r.name, r.since, r.by, r.until) for r in self.roles],
                checklist=[
                    ChecklistItem(
                        id=0,
                        section=c.section,
                        position=c.position if c.position is not None else number,
                        text=c.text,
                        done_at=c.done_at,
                        done_by=c.done_by,
                    )
                    for number, c in enumerate(self.checklist)
                ],
                action_items=[
                    ActionItem(
                        id=0,
                        incident_id=self.id,
                        text=i.text,
                        owner=i.owner,
                        priority=i.priority,
                        due_at=i.due,
                        status="Done" if i.done else "Open",
                    )
                    for i in self.action_items
                ],
            )

    return type("Models", (), {"Record": Record})
