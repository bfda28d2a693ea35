"""Roles, the checklist (ticks, scenarios, mitigations, the root cause) and action items."""

from __future__ import annotations

from typing import TYPE_CHECKING

from warroom.domain.incident import (
    order_checklist,
    scenario_plan,
)
from warroom.domain.model import (
    ActionItem,
    ChecklistItem,
    EntryKind,
    Incident,
    RoleAssignment,
    Status,
)
from warroom.domain.text import clean_line
from warroom.domain.timefmt import utc
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
from warroom.store.convert import _to_action, _to_incident, _to_item, _to_role
from warroom.store.timeline import TimelineOps


class ChecklistOps(TimelineOps):
    """Roles, the checklist and action items."""

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

    def roles(self, incident_id: str) -> dict[str, RoleAssignment]:
        """Current holder of each assigned role, by role key."""
        return {a.role: a for a in self.role_history(incident_id) if a.ended_at is None}

    def role_history(self, incident_id: str) -> list[RoleAssignment]:
        rows = self._reader.rows(
            "SELECT * FROM role_assignment WHERE incident_id = ? ORDER BY assigned_at, id",
            (incident_id,),
        )
        return [_to_role(r) for r in rows]

    def checklist(self, incident_id: str) -> list[ChecklistItem]:
        """Every item, section by section: see `order_checklist` for the order."""
        rows = self._reader.rows(
            "SELECT * FROM checklist_item WHERE incident_id = ?", (incident_id,)
        )
        return order_checklist(self.playbook, (_to_item(r) for r in rows))

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

    def action_items(self, incident_id: str) -> list[ActionItem]:
        rows = self._reader.rows(
            "SELECT * FROM action_item WHERE incident_id = ? ORDER BY priority, id",
            (incident_id,),
        )
        return [_to_action(r) for r in rows]

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
