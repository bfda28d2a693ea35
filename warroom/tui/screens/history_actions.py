"""Between incidents, in the war room: the History screen, overdue action items, an owner
for every item, and corrections of the record (/edit, /strike)."""

from __future__ import annotations

from warroom.domain.model import (
    Incident,
    TimelineEntry,
)
from warroom.tui.entry_grammar import (
    EntryError,
    split_first,
)
from warroom.tui.screens.runbook_actions import RunbookActions
from warroom.tui.widgets.entry import EntryLine
from warroom.tui.widgets.timeline import TimelineView


class HistoryActions(RunbookActions):
    """History, follow-ups and corrections."""

    def action_switch(self, arg: str = "") -> None:
        """Show another incident (several can be open at once)."""
        if not arg:
            others = [i.id for i in self.store.incidents() if i.is_open]
            raise EntryError(f"/switch ID (open: {', '.join(others) or 'none'})")
        self.incident = self.store.get(arg.strip())
        self.clock_alerts.forget_warnings()
        self.reload()

    def action_history(self, arg: str = "") -> None:
        from warroom.tui.screens.history import HistoryScreen

        def switch(incident_id: str) -> None:
            self._guarded(lambda: self.action_switch(incident_id))

        if not isinstance(self.app.screen, HistoryScreen):
            self.app.push_screen(HistoryScreen(arg.strip(), switch))

    def action_overdue(self, arg: str = "") -> None:
        from warroom.tui.screens.history import OverdueScreen

        if not isinstance(self.app.screen, OverdueScreen):
            self.app.push_screen(OverdueScreen())

    def _ask_owner(self, incident: Incident, line: str, priority: str, text: str) -> None:
        from warroom.tui.screens.owner import OwnerScreen

        when = self.store.now()  # typed now (or for `--at WHEN`): recorded as of then

        def answered(owner: str | None) -> None:
            if owner is None:  # Esc: nothing added, nothing lost
                self.query_one("#entry", EntryLine).restore(f"/item {line}".rstrip())
                self.notify("Action item not added: it is back on the entry line")
                return

            def add() -> None:
                with self.store.at(when):
                    self._add_item(incident, priority, owner, text)

            self._guarded(add)

        self.app.push_screen(OwnerScreen(priority, text), answered)

    def _entry_to_correct(self, number: str, usage: str) -> TimelineEntry:
        """Entry NUMBER (its id, #N) of the incident shown; "" : the selected entry, else the
        last typed one (as /pin chooses)."""
        incident = self._require()
        if number:
            digits = number.removeprefix("#")
            if not digits.isdigit():
                raise EntryError(f"which entry? {usage} (N: #N when the entry is opened)")
            return self.store.entry(int(digits), incident.id)
        timeline = self.query_one(TimelineView)
        entry = timeline.selected if timeline.cursor >= 0 else None
        entry = entry or self.store.last_entry(incident.id)
        if entry is None:
            raise EntryError("nothing to correct yet")
        return self.store.entry(entry.id, incident.id)

    def action_edit(self, arg: str = "") -> None:
        """/edit N TEXT corrects entry N; /edit N (or /edit) puts it on the line to edit."""
        number, text = split_first(arg, "") if arg.strip() else ("", "")
        if number and not number.removeprefix("#").isdigit():
            raise EntryError("which entry? /edit N TEXT (N: #N when the entry is opened)")
        entry = self._entry_to_correct(number, "/edit N TEXT")
        if not text:
            if entry.kind.is_automatic:
                raise EntryError(f"entry #{entry.id} is automatic: it cannot be edited")
            self._prefill(f"/edit {entry.id} {entry.shown_text}")
            return
        self.store.edit_entry(entry.id, text, incident_id=entry.incident_id)
        self._corrected()
        self.notify(f"Entry #{entry.id} corrected (the original is kept)")

    def action_strike(self, arg: str = "") -> None:
        """/strike N REASON strikes entry N out; /strike N (or /strike) asks why."""
        number, reason = split_first(arg, "") if arg.strip() else ("", "")
        if number and not number.removeprefix("#").isdigit():
            raise EntryError("which entry? /strike N REASON (N: #N when the entry is opened)")
        entry = self._entry_to_correct(number, "/strike N REASON")
        if not reason:
            if entry.kind.is_automatic:
                raise EntryError(f"entry #{entry.id} is automatic: it cannot be struck")
            self._prefill(f"/strike {entry.id} ")
            self.notify(f"Say why entry #{entry.id} is struck out, then Enter")
            return
        self.store.strike_entry(entry.id, reason, incident_id=entry.incident_id)
        self._corrected()
        self.notify(f"Entry #{entry.id} struck out: {reason}")

    def _corrected(self) -> None:
        if self.incident is not None:
            self._render_timeline(self.incident)
        self.call_after_refresh(self.changed)
