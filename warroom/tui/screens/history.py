"""Between incidents, in the war room: every incident (History), one closed incident read
only (its header, timeline and checklist), and the overdue action items.

History (Ctrl+O, /history, the palette): newest first, with severity, status and duration;
typing filters on ID, title, severity and status. Enter opens the highlighted incident (a
closed one read-only; an open one in the war room), Ctrl+E writes its review again (as
`warroom export` does), Ctrl+R reopens a resolved or closed one (asked first), Ctrl+T lists
the overdue action items, Esc goes back.

A little over 400 lines: the History list and the read-only incident it opens are one
flow (open, read, export, reopen) and share their helpers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from warroom.domain.followups import UNASSIGNED, overdue
from warroom.domain.model import ChecklistItem, Incident, Status
from warroom.domain.timefmt import duration, stamp, utc
from warroom.store.store import Store, StoreError
from warroom.tui.screens.dialogs import ChoiceScreen, EntryScreen
from warroom.tui.widgets.timeline import TimelineView

if TYPE_CHECKING:
    from warroom.tui.context import WarRoom

__all__ = ["HistoryScreen", "OverdueScreen", "RecordScreen", "incident_matches"]


def severity_name(store: Store, level: int) -> str:
    try:
        return store.playbook.severity(level).name
    except KeyError:  # declared under another playbook
        return f"SEV-{level}"


def incident_duration(incident: Incident, now: datetime) -> str:
    """From its start to resolution (or closing); ongoing ones count to now."""
    end = incident.resolved_at or incident.closed_at
    seconds = ((utc(end) if end else utc(now)) - utc(incident.started_at)).total_seconds()
    text = duration(max(0.0, seconds))
    return text if end else f"{text}, ongoing"


def incident_matches(incident: Incident, severity: str, query: str) -> bool:
    """Whether every word of QUERY is in the incident's ID, title, severity or status."""
    haystack = " ".join(
        (incident.id, incident.title, severity, incident.status.value, incident.status.label)
    ).casefold()
    return all(word in haystack for word in query.casefold().split())


class _Screen(Screen[None]):
    """What the screens below share: the war room's store and options, messages as text."""

    @property
    def war_room(self) -> WarRoom:
        return cast("WarRoom", self.app)

    @property
    def store(self) -> Store:
        return self.war_room.store

    def say(self, message: str, error: bool = False) -> None:
        self.app.notify(
            message,
            title="Not done" if error else "",
            severity="error" if error else "information",
            markup=False,
        )

    def action_back(self) -> None:
        self.dismiss(None)

    def export(self, incident_id: str) -> None:
        """Write the incident's review, as `warroom export ID` does."""
        from warroom.comms.review import export_review

        if self.war_room.read_only:
            self.say("read-only: this war room observes, it changes nothing", error=True)
            return
        try:
            path = export_review(self.store, incident_id, self.war_room.reviews_dir)
        except (OSError, StoreError, ValueError) as error:
            self.say(f"cannot write the review: {error}", error=True)
            return
        self.app.notify(f"Review written: {path}", title="Post-incident review", timeout=15)


class HistoryScreen(_Screen):
    """Every incident, newest first; typing filters."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="history.back"),
        Binding("ctrl+e", "export", "Export review", priority=True, id="history.export"),
        Binding("ctrl+r", "reopen", "Reopen", priority=True, id="history.reopen"),
        Binding("ctrl+t", "overdue", "Overdue items", priority=True, id="history.overdue"),
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
    ]

    DEFAULT_CSS = """
    HistoryScreen #history-filter { margin: 0 1; }
    HistoryScreen #history-table { height: 1fr; margin: 0 1; }
    HistoryScreen #history-hint { color: $text-muted; margin: 0 2; height: 1; }
    """

    def __init__(self, query: str = "", switch: Callable[[str], None] | None = None) -> None:
        super().__init__(id="history")
        self.query_text = query
        self.switch = switch
        """Shows an open incident in the war room (given by the war room)."""
        self._incidents: list[Incident] = []
        self.shown: list[Incident] = []
        """The incidents in the table, in its order (after the filter)."""

    def compose(self) -> ComposeResult:
        search = Input(
            value=self.query_text,
            placeholder="Type to filter: ID, title, SEV-1, closed ...",
            id="history-filter",
        )
        search.border_title = "History"
        yield search
        table: DataTable[Text | str] = DataTable(
            id="history-table", cursor_type="row", zebra_stripes=True
        )
        yield table
        yield Static(id="history-hint")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("ID", "Sev", "Status", "Duration", "Declared", "Title")
        self.reload()
        self.query_one(Input).focus()

    def reload(self) -> None:
        try:
            self._incidents = self.store.incidents()  # newest first
        except StoreError as error:
            self.say(str(error), error=True)
            self._incidents = []
        self.refilter()

    def refilter(self) -> None:
        query = self.query_one(Input).value
        table = self.query_one(DataTable)
        selected = self.selected
        now = self.war_room.clock()
        table.clear()
        self.shown = []
        for incident in self._incidents:
            sev = severity_name(self.store, incident.severity)
            if not incident_matches(incident, sev, query):
                continue
            self.shown.append(incident)
            status = incident.status.label
            table.add_row(
                incident.id,
                sev,
                Text(status, style="bold" if incident.is_open else "dim"),
                incident_duration(incident, now),
                stamp(incident.declared_at),
                Text(incident.title),  # user text: never markup
                key=incident.id,
            )
        if selected is not None and selected in self.shown:
            table.move_cursor(row=self.shown.index(selected))
        self.query_one("#history-hint", Static).update(
            f"{len(self.shown)} of {len(self._incidents)} incidents · Enter open · Ctrl+E export"
            " review · Ctrl+R reopen · Ctrl+T overdue items · Esc back"
        )

    @property
    def selected(self) -> Incident | None:
        if not self.shown:
            return None
        row = self.query_one(DataTable).cursor_row
        return self.shown[row] if 0 <= row < len(self.shown) else None

    @on(Input.Changed, "#history-filter")
    def _filter_changed(self) -> None:
        self.refilter()

    @on(Input.Submitted, "#history-filter")
    def _filter_submitted(self) -> None:
        self.action_open()

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_open()

    def action_move(self, delta: int) -> None:
        table = self.query_one(DataTable)
        if self.shown:
            table.move_cursor(row=max(0, min(len(self.shown) - 1, table.cursor_row + delta)))

    def action_open(self) -> None:
        incident = self.selected
        if incident is None:
            self.say("no incident matches", error=True)
            return
        if incident.is_open and self.switch is not None:  # the war room shows it
            self.dismiss(None)
            self.switch(incident.id)
            return
        self.app.push_screen(RecordScreen(incident.id))

    def action_export(self) -> None:
        incident = self.selected
        if incident is None:
            self.say("no incident to export", error=True)
            return
        self.export(incident.id)
        self.reload()

    def action_reopen(self) -> None:
        incident = self.selected
        if incident is None:
            self.say("no incident to reopen", error=True)
            return
        if self.war_room.read_only:
            self.say("read-only: this war room observes, it changes nothing", error=True)
            return
        if incident.status not in (Status.CLOSED, Status.RESOLVED):
            self.say(f"{incident.id} is {incident.status.label.lower()}: not closed or resolved")
            return

        def chosen(choice: str | None) -> None:
            if choice != "reopen":
                return
            try:
                self.store.reopen(incident.id)
            except (StoreError, ValueError) as error:
                self.say(str(error), error=True)
                return
            self.reload()
            self.app.notify(
                f"{incident.id} reopened: investigating, clocks running (Enter shows it)",
                markup=False,
            )

        self.app.push_screen(
            ChoiceScreen(
                f"Reopen {incident.id}?",
                [
                    (
                        "reopen",
                        "Reopen",
                        "Investigating again, its clocks running. The review written at close"
                        " is kept: closing again writes a new one beside it.",
                    ),
                    ("cancel", "Cancel", "Leave it as it is."),
                ],
                "cancel",  # a stray Enter changes nothing
            ),
            chosen,
        )

    def action_overdue(self) -> None:
        self.app.push_screen(OverdueScreen())


def checklist_text(items: list[ChecklistItem]) -> Text:
    text = Text()
    for item in items:
        text.append("[x] " if item.done else "[ ] ", style="bold" if item.done else "")
        text.append(item.text)
        if item.done_by:
            text.append(f"  {item.done_by}", style="dim")
        text.append("\n")
    return text or Text("No checklist", style="dim")


class RecordScreen(_Screen):
    """One incident, read only: its header, timeline and checklist. Nothing here writes
    to the record (Ctrl+E writes its review file, as `warroom export` does)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="record.back"),
        Binding("ctrl+e", "export", "Export review", priority=True, id="record.export"),
    ]

    DEFAULT_CSS = """
    RecordScreen #record-header { height: auto; padding: 0 1; background: $panel; }
    RecordScreen #record-main { height: 1fr; }
    RecordScreen #record-timeline { width: 2fr; border: round $primary; }
    RecordScreen #record-checklist { width: 1fr; border: round $primary; }
    """

    def __init__(self, incident_id: str) -> None:
        super().__init__(id="record")
        self.incident_id = incident_id

    def compose(self) -> ComposeResult:
        yield Static(id="record-header")
        with Horizontal(id="record-main"):
            timeline = TimelineView(id="record-timeline")
            timeline.border_title = "Timeline (read-only)"
            yield timeline
            with VerticalScroll(id="record-checklist") as checks:
                checks.border_title = "Checklist"
                yield Static(id="record-checks")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.reload()
        self.query_one(TimelineView).focus()

    def reload(self) -> None:
        store = self.store
        try:
            incident = store.get(self.incident_id)
            count = store.entry_count(incident.id)
            checklist = store.checklist(incident.id)
        except StoreError as error:
            self.say(str(error), error=True)
            return
        now = self.war_room.clock()
        header = Text(no_wrap=True, overflow="ellipsis")
        header.append(f" {incident.id} ", style="bold")
        header.append(f" {severity_name(store, incident.severity)} ", style="bold reverse")
        header.append(f" {incident.status.value.upper()} ", style="bold")
        header.append(f" {incident_duration(incident, now)} ")
        header.append(" READ-ONLY ", style="bold reverse")
        header.append(" ")
        header.append(incident.title)
        review = incident.review_path or "not written (Ctrl+E writes it)"
        header.append(f"\n review: {review}", style="dim")
        self.query_one("#record-header", Static).update(header)
        timeline = self.query_one(TimelineView)
        timeline.load(
            store.timeline_pager(incident.id, count, lambda e: self.say(e, error=True)),
            count,
            days=store.timeline_days(incident.id),
            today=utc(now).date(),
        )
        timeline.border_subtitle = f"{count} entries · Enter reads one · Esc back"
        self.query_one("#record-checks", Static).update(checklist_text(checklist))

    @on(TimelineView.OpenEntry)
    def _open_entry(self, event: TimelineView.OpenEntry) -> None:
        event.stop()
        self.app.push_screen(EntryScreen(event.entry))

    def action_export(self) -> None:
        self.export(self.incident_id)
        self.reload()


class OverdueScreen(_Screen):
    """The action items past due and not done, across incidents, most overdue first."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="overdue.back"),
    ]

    DEFAULT_CSS = """
    OverdueScreen #overdue-table { height: 1fr; margin: 0 1; }
    OverdueScreen #overdue-hint { color: $text-muted; margin: 0 2; height: 1; }
    """

    def __init__(self) -> None:
        super().__init__(id="overdue")
        self.items_shown = 0

    def compose(self) -> ComposeResult:
        yield Static(id="overdue-hint")
        table: DataTable[Text | str] = DataTable(id="overdue-table", cursor_type="row")
        yield table
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Item", "Incident", "Prio", "Owner", "Due", "Late by", "Action")
        now = self.war_room.clock()
        try:
            late = overdue(self.store.all_action_items(), now)
        except StoreError as error:
            self.say(str(error), error=True)
            late = []
        for item in late:
            table.add_row(
                str(item.id),
                item.incident_id,
                item.priority,
                Text(f"@{item.owner}") if item.owner else Text(UNASSIGNED, style="bold yellow"),
                stamp(item.due_at),
                duration((utc(now) - utc(item.due_at)).total_seconds()),
                Text(item.text),
            )
        self.items_shown = len(late)
        self.query_one("#overdue-hint", Static).update(
            f"{len(late)} overdue action items · /done ITEM when done"
            " · warroom item owner ITEM NAME · Esc back"
        )
        table.focus()
