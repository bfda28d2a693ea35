"""The incident's own record: declare, read, severity, status, acknowledgement, detection,
impact, updates sent, snoozes, close and reopen.

A little over 500 lines: each change of state is one transaction with the rules it applies
spelled out beside it (a severity swaps its checklist actions; a close resolves, adds the
review's action items and closes at once); they read best next to each other."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from warroom.domain.clocks import LABELS, ClockKind, Snooze, snooze_until
from warroom.domain.incident import (
    checklist_plan,
    next_incident_id,
    severity_actions,
    swap_severity_actions,
)
from warroom.domain.messages import MessageKind
from warroom.domain.model import (
    EntryKind,
    Incident,
    ReviewNotes,
    Status,
    UpdateKind,
)
from warroom.domain.text import clean_line, clean_text
from warroom.domain.timefmt import hhmm, stamp, utc
from warroom.playbook.models import COMMANDER, Playbook
from warroom.store.reader import (
    NotFound,
    deferred,
)

if TYPE_CHECKING:
    import sqlalchemy as sa
    import sqlmodel

    from warroom.store import tables
else:  # the schema's: imported only to set up or upgrade a database (sql.py says why)
    sa = deferred("sqlalchemy")
    sqlmodel = deferred("sqlmodel")
    tables = deferred("warroom.store.tables")
from warroom.store.convert import _aware, _clock_columns, _to_incident, _to_item, new_key
from warroom.store.core import StoreCore


class IncidentOps(StoreCore):
    """Declaring, reading and changing an incident."""

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

    def set_review_path(self, incident_id: str, path: str, author: str | None = None) -> Incident:
        """The final review was written to `path` (the review is written: auto ticks follow)."""
        who = self._who(author)
        with self._write("record the review") as tx:
            row = self._incident_row(tx, incident_id)
            row.review_path = path
            tx.save("incident", row)
            self._auto_tick(tx, row, who)
            return _to_incident(row)
