"""The incident's record, from keys, palette and slash-commands: declare, acknowledge,
severity, status, roles, updates, times (`--at`, /detected), impact, action items, pins,
ticks, close and export. Each `action_<id>(arg)`: no argument opens its dialog, an argument
does it directly (tui/actions.py is the table).

Long because it is the table's biggest group; each action is a few lines and its dialog's
callback, and splitting them further would separate an action from its dialog."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text

from warroom.domain.model import (
    EntryKind,
    Status,
    UpdateKind,
)
from warroom.domain.timefmt import (
    backdating_concern,
    is_explicit_date,
    parse_when,
    stamp,
)
from warroom.playbook.models import COMMANDER
from warroom.tui.entry_grammar import (
    EntryError,
    parse_action_item,
    parse_severity,
    split_first,
)
from warroom.tui.screens.base import (
    STATUS_HELP,
    UPDATE_HELP,
)
from warroom.tui.screens.dialogs import (
    ChoiceScreen,
    Declaration,
    DeclareScreen,
    RoleScreen,
    severity_help,
)
from warroom.tui.screens.help import HelpScreen
from warroom.tui.screens.history_actions import HistoryActions
from warroom.tui.widgets.entry import EntryLine
from warroom.tui.widgets.panes import (
    ChecklistPane,
)
from warroom.tui.widgets.timeline import TimelineView

if TYPE_CHECKING:  # loaded when first used
    from warroom.tui.screens.close import Closing


class RecordActions(HistoryActions):
    """The incident's record: every action that changes it."""

    def action_finding(self, arg: str = "") -> None:
        self._log_entry(arg, EntryKind.FINDING)

    def action_action(self, arg: str = "") -> None:
        self._log_entry(arg, EntryKind.ACTION)

    def action_decision(self, arg: str = "") -> None:
        self._log_entry(arg, EntryKind.DECISION)

    def action_todo(self, arg: str = "") -> None:
        self._log_entry(arg, EntryKind.TODO)

    def action_severity(self, arg: str = "") -> None:
        if not arg:
            self._choose_severity()
            return
        self._set_severity(parse_severity(arg))

    def _set_severity(self, level: int) -> None:
        incident = self._require()
        self.store.set_severity(incident.id, level)
        self.clock_alerts.forget_warnings()
        self.changed()

    def action_status(self, arg: str = "") -> None:
        if not arg:
            self._choose_status()
            return
        self._set_status(Status.parse(arg))

    def _set_status(self, status: Status) -> None:
        incident = self._require()
        if status is Status.CLOSED:
            self.action_close()
            return
        self.store.set_status(incident.id, status)
        self.changed()

    def action_assign(self, arg: str = "") -> None:
        if not arg:
            self._choose_role()
            return
        role, person = split_first(arg, "role (ic, ops, dev or comms)")
        if not person:
            raise EntryError("missing name: /assign ic NAME")
        self._assign(role, person)

    def _assign(self, role: str, person: str) -> None:
        incident = self._require()
        if person.casefold() in ("me", "@me") and self.store.author:
            person = self.store.author  # "/assign ic me"
        self.store.assign(incident.id, role, person)
        self.changed()

    def action_update(self, arg: str = "") -> None:
        if not arg:  # "/update" alone is "/update internal" (tui/actions.py)
            self._choose_update()
            return
        head, rest = split_first(arg, "update kind")
        named = UpdateKind.leading(head)  # a near miss of a kind is an error, not text
        if named is None:
            named, rest = UpdateKind.INTERNAL, arg
        self._record_update(named, rest)

    def _record_update(self, kind: UpdateKind, text: str) -> None:
        incident = self._require()
        self.store.record_update(incident.id, kind, text)
        self.changed()
        self.notify(f"{kind.value.capitalize()} update recorded; its clock restarted")

    def action_pause(self, arg: str = "") -> None:
        """A drill's simulated clock: pause (or resume) it; no clock to pause otherwise."""
        self.war_room.pause_clock(arg or "toggle")

    def action_at(self, arg: str = "") -> None:
        when, text = split_first(arg, "time: /at HH:MM what happened")
        if not text.strip():
            raise EntryError("nothing to log: /at HH:MM what happened")
        self._at_time(f"/at {arg}", when, lambda at: self._log_entry(text, at=at), "log it")

    def action_detected(self, arg: str = "") -> None:
        if not arg.strip():
            raise EntryError("when? /detected HH:MM (UTC), or a date and time")
        incident = self._require()

        def correct(at: datetime) -> None:
            self.store.set_detected(incident.id, at)
            self.clock_alerts.forget_warnings()
            self.changed()

        self._at_time(f"/detected {arg}", arg, correct, "detected", moves_detection=True)

    def _at_time(
        self,
        line: str,
        when: str,
        action: Callable[[datetime], None],
        what: str,
        moves_detection: bool = False,
    ) -> None:
        """Do ACTION at the time WHEN, asking first if the time is surprising (yesterday's
        19:30 for "19:30", before detection, more than 12 h back). No puts LINE back."""
        incident = self._require()
        now = self.clock()
        at = parse_when(when, now)
        if at > now:
            raise EntryError(f"{stamp(at)} is in the future")
        # Moving detection earlier is the point of /detected, not a surprise.
        detected = at if moves_detection else incident.detected_at
        concern = backdating_concern(at, now, detected, is_explicit_date(when))
        if concern is None:
            action(at)
            return

        def chosen(choice: str | None) -> None:
            if choice == "yes":
                self._guarded(lambda: action(at))
            else:
                self.query_one("#entry", EntryLine).restore(line)

        self.app.push_screen(
            ChoiceScreen(
                f"{stamp(at)}?",
                [
                    ("yes", f"Yes, {what} at {stamp(at)}", f"Note: {concern}."),
                    ("no", "No, back to the entry line", "Nothing is recorded; the line is kept."),
                ],
            ),
            chosen,
        )

    def action_tick(self, arg: str = "") -> None:
        self._require()
        checklist = self.query_one(ChecklistPane)
        try:
            item_id = checklist.numbers[int(arg)]
        except (ValueError, KeyError):
            raise EntryError(f"no checklist item {arg!r}: /tick N, N as shown") from None
        self.store.tick(item_id, True)
        self.changed()

    def action_impact(self, arg: str = "") -> None:
        incident = self._require()
        which, text = split_first(arg, "what: /impact users TEXT or /impact features TEXT")
        if not text:
            raise EntryError("say what: /impact users TEXT or /impact features TEXT")
        if which.casefold().startswith("u"):
            self.store.set_impact(incident.id, users=text)
        elif which.casefold().startswith("f"):
            self.store.set_impact(incident.id, features=text)
        else:
            raise EntryError("use /impact users TEXT or /impact features TEXT")
        self.changed()

    def action_item(self, arg: str = "") -> None:
        incident = self._require()
        priority, owner, text = parse_action_item(arg)
        if not owner:  # nobody named: asked (tui/screens/owner.py)
            self._ask_owner(incident, arg, priority, text)
            return
        self._add_item(incident, priority, owner, text)

    def action_done(self, arg: str = "") -> None:
        self._require_writable()
        if not arg.strip().isdigit():
            raise EntryError("which item? /done ITEM (the number `warroom items` shows)")
        item = self.store.set_action_item_done(int(arg.strip()))
        self.changed()
        self.notify(f"Action item {item.priority} done: {item.text}")

    def action_reopen(self, arg: str = "") -> None:
        self._require_writable()
        if self.incident is None:
            raise EntryError("no incident to reopen")
        self.store.reopen(self.incident.id)
        self.changed()
        self.notify(f"{self.incident.id} reopened: investigating, clocks running")

    def action_pin(self, arg: str = "") -> None:
        """Pin or unpin the selected entry, else the last: "on" pins, "off" unpins, nothing
        toggles (F7)."""
        pinned = {"": None, "on": True, "off": False}.get(arg.casefold(), "?")
        if pinned == "?":
            raise EntryError(
                f"/pin takes no argument ({arg!r}): select the entry in the timeline "
                "(Shift+Tab), then F7 or /pin"
            )
        incident = self._require()
        timeline = self.query_one(TimelineView)
        entry = timeline.selected if timeline.cursor >= 0 else None
        entry = entry or self.store.last_entry(incident.id)
        if entry is None:
            raise EntryError("nothing to pin yet")
        self.store.set_pinned(entry.id, not entry.pinned if pinned is None else bool(pinned))
        self.changed()

    def action_help(self, arg: str = "") -> None:
        if not isinstance(self.app.screen, HelpScreen):
            self.app.push_screen(HelpScreen(self.playbook.quick_links, self.war_room.key_labels()))

    def action_focus_entry(self, arg: str = "") -> None:
        self.query_one("#entry", EntryLine).focus()

    def action_checklist(self, arg: str = "") -> None:
        checklist = self.query_one(ChecklistPane)
        checklist.focus()
        checklist.highlight_next_open()

    def action_declare(self, arg: str = "") -> None:
        if self.read_only:
            raise EntryError("read-only: declare from a war room that is not read-only")
        draft = self._draft("", "declare")
        typed = self.query_one("#entry", EntryLine).value.strip()
        if typed and not draft.get("title"):
            draft["title"] = typed  # what was typed before declaring is the likely title

        def declared(result: Declaration | None) -> None:
            if result is not None:
                self._guarded(lambda: self._declare(result))

        dialog = DeclareScreen(self.playbook, self.clock, "", draft)
        dialog.keep_draft = lambda values: self._keep_draft("", "declare", values)
        self.app.push_screen(dialog, declared)

    def _declare(self, declaration: Declaration) -> None:
        detected = parse_when(declaration.detected, self.clock()) if declaration.detected else None
        # Whoever declares from the war room is responding (that is the acknowledgement) and
        # commands until they hand off. (`warroom declare` from an alert hook leaves both to
        # a person.)
        has_ic = self.playbook.commander() is not None
        incident = self.store.declare(
            declaration.title,
            declaration.severity,
            declaration.impact_users,
            declaration.impact_features,
            detected_at=detected,
            acknowledged=True,
            commander=self.store.author if has_ic and self.store.author else None,
        )
        self.incident = incident
        self.clock_alerts.forget_warnings()
        self._keep_draft("", "declare", {})  # declared: the draft has done its job
        entry = self.query_one("#entry", EntryLine)
        if entry.value.strip() == declaration.title:
            entry.value = ""  # the line was the title, not an entry
        self.changed()
        commander = self.store.roles(incident.id).get(COMMANDER)
        next_step = (
            f"{commander.person} is IC; F3 hands off and assigns roles."
            if commander
            else "F3 assigns roles."
        )
        self.notify(f"{incident.id} declared. {next_step}", title="Incident declared")

    def _choose_role(self) -> None:
        def chosen(result: tuple[str, str] | None) -> None:
            if result is not None:
                role, person = result
                self._guarded(lambda: self._assign(role, person))

        roles = self.store.roles(self._require().id)
        self.app.push_screen(RoleScreen(self.playbook, roles), chosen)

    def _choose_severity(self) -> None:
        def chosen(result: str | None) -> None:
            if result is not None:
                self._guarded(lambda: self._set_severity(int(result)))

        def open_dialog() -> None:
            incident = self._require()
            choices: list[tuple[str, str, Text | str]] = [
                (str(s.level), f"{s.name} {s.title}", severity_help(s))
                for s in self.playbook.severities
            ]
            self.app.push_screen(ChoiceScreen("Severity", choices, str(incident.severity)), chosen)

        open_dialog()

    def _choose_status(self) -> None:
        def chosen(result: str | None) -> None:
            if result is not None:
                self._guarded(lambda: self._set_status(Status(result)))

        def open_dialog() -> None:
            incident = self._require()
            choices: list[tuple[str, str, Text | str]] = [
                (s.value, s.label, help_text) for s, help_text in STATUS_HELP.items()
            ]
            self.app.push_screen(ChoiceScreen("Status", choices, incident.status.value), chosen)

        open_dialog()

    def _choose_update(self) -> None:
        def chosen(result: str | None) -> None:
            if result is not None:
                self._guarded(lambda: self._record_update(UpdateKind(result), ""))

        def open_dialog() -> None:
            self._require()
            choices: list[tuple[str, str, Text | str]] = [
                (k.value, f"{k.value.capitalize()} update sent", h) for k, h in UPDATE_HELP.items()
            ]
            self.app.push_screen(ChoiceScreen("Record status update", choices), chosen)

        open_dialog()

    def action_ack(self, arg: str = "") -> None:
        def ack() -> None:
            incident = self._require()
            if incident.acknowledged_at is not None:
                raise EntryError("already acknowledged")
            self.store.acknowledge(incident.id)
            self.changed()

        ack()

    def action_close(self, arg: str = "") -> None:
        from warroom.tui.screens.close import CloseScreen  # loaded when first used

        def closed(result: Closing | None) -> None:
            if result is not None:
                self._guarded(lambda: self._close(result))

        def open_dialog() -> None:
            incident = self._require()
            warning = ""
            if incident.resolved_at is None:
                warning = (
                    f"Status is {incident.status.label}: closing also resolves it now. "
                    "Send the resolution messages (F6) first if they are still due."
                )
            priorities = [p.name for p in self.playbook.priorities]
            draft = self._draft(incident.id, "close")
            dialog = CloseScreen(incident.review, incident.id, priorities, warning, draft)
            dialog.keep_draft = lambda values: self._keep_draft(incident.id, "close", values)
            self.app.push_screen(dialog, closed)

        open_dialog()

    def _close(self, closing: Closing) -> None:
        incident = self._require()
        # One transaction, as `warroom close --answers` does; should it fail, the dialog's
        # draft (kept as it went) shows every answer again at the next F10.
        self.store.close(incident.id, closing.notes, items=closing.action_items)
        self._keep_draft(incident.id, "close", {})  # closed: the answers are in the review
        self.changed()
        self.action_export()

    def action_export(self, arg: str = "") -> None:
        from warroom.comms.review import export_review

        def export() -> None:
            self._require_writable()
            if self.incident is None:
                raise EntryError("no incident to export")
            try:
                path = export_review(self.store, self.incident.id, self.reviews_dir)
            except OSError as error:
                raise EntryError(f"cannot write the review: {error}") from None
            self.changed()
            self.notify(f"Review written: {path}", title="Post-incident review", timeout=15)

        export()
