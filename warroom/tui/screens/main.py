"""The war room's screen: the timeline, the entry line, roles, clocks, dependencies and the
checklist, and every action of the table (tui/actions.py) as `action_<id>(arg)`.

This file is the screen's layout, its start and stop, what the background services report
(messages), and the entry line. The actions live one group a file, each class building on
the one before: base.py (state, the one view of the database, helpers), runbook_actions.py,
history_actions.py, record_actions.py, comms_actions.py; MainScreen is the last of them."""

from __future__ import annotations

import inspect
from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer

from warroom.domain.dependencies import DependencyStatus
from warroom.domain.model import (
    ActionItem,
    Incident,
)
from warroom.playbook import PlaybookError, load_playbook
from warroom.store.outbox import counts as outbox_counts
from warroom.store.store import Unreachable
from warroom.tui.actions import BY_ID
from warroom.tui.entry_grammar import (
    EntryCommand,
    EntryError,
    note_text,
    parse_entry,
    split_at_option,
)
from warroom.tui.messages import (
    DatabaseChanged,
    DeliveryDone,
    PlaybookChanged,
    RadarPolled,
    ServiceTrouble,
    SpoolDrained,
    WatchingChanged,
)
from warroom.tui.screens.base import (
    _NOT_TIMED,
    _TIMED_WITHOUT_ARG,
    USER_ERRORS,
    action_bindings,
    error_text,
)
from warroom.tui.screens.comms_actions import CommsActions
from warroom.tui.screens.dialogs import (
    ChoiceScreen,
    EntryScreen,
)
from warroom.tui.services.delivery import OutboxDeliverer
from warroom.tui.services.radar import RadarPoller
from warroom.tui.services.watcher import DatabaseWatcher
from warroom.tui.widgets.dependencies import DependenciesPane
from warroom.tui.widgets.entry import EntryLine
from warroom.tui.widgets.panes import (
    ChecklistPane,
    IncidentHeader,
    NextUpdatePane,
    RolesPane,
)
from warroom.tui.widgets.timeline import TimelineView


class MainScreen(CommsActions):
    """The war room's screen: the panes and the entry line, and one `action_<id>(arg)` per
    action of the table (tui/actions.py): without an argument it opens its dialog, with one
    it does it directly. Keys and the palette reach them through the App's `run_action`
    (errors are said on screen); the entry line calls them itself (errors put the line back).
    """

    BINDINGS = action_bindings(on_app=False)  # type: ignore[assignment]  # list is invariant

    # The war room's options (the App's): read here, never copied.

    # -- layout --------------------------------------------------------------------------

    def compose_panes(self) -> ComposeResult:
        """The panes and the entry line. The App mounts them as it mounts (they are this
        screen's children), so the first paint has them and nothing meets the screen
        without them."""
        yield IncidentHeader(id="header")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                timeline = TimelineView(id="timeline")
                timeline.border_title = "Timeline"
                yield timeline
                entry = EntryLine(
                    placeholder="Type what happened, Enter logs it · /help · F1",
                    id="entry",
                )
                entry.border_title = "Log"
                yield entry
            with Vertical(id="right"):
                next_update = NextUpdatePane(id="next-update")
                next_update.border_title = "Next update"
                yield next_update
                roles = RolesPane(id="roles")
                roles.border_title = "Roles"
                yield roles
                deps = DependenciesPane(id="dependencies")
                deps.border_title = "Dependencies"
                yield deps
                checklist = ChecklistPane(id="checklist")
                checklist.border_title = "Checklist"
                yield checklist
        # The palette's key is in help (F1): at 80x24 the footer has room for F1-F10 only.
        yield Footer(compact=True, show_command_palette=False)

    def start(self) -> None:
        """Once the panes are mounted (the App's mount): focus, first read, clock, services."""
        entry = self.query_one("#entry", EntryLine)
        if self.read_only:
            entry.placeholder = "Read-only observer: everything is live, nothing can be changed"
            entry.disabled = True
            self.query_one(TimelineView).focus()
        else:
            entry.focus()
        self.reload()
        self._timer = self.set_interval(self.war_room.tick_seconds, self.tick)
        # What is not on the first screen starts once it is painted: the file watcher, the
        # ORM (in a thread) and the network edges, whose imports (watchfiles and anyio,
        # SQLAlchemy, httpx) and threads would otherwise compete with the first paint. Until
        # the watcher runs, the tick looks for other writers' changes.
        if self.war_room.watch_files:
            if self.store.path is None:  # PostgreSQL: LISTEN for other writers' commits
                from warroom.tui.services.pg_watcher import PostgresWatcher

                self.pg_watcher = PostgresWatcher(self.store.target)
                self.call_after_refresh(self.pg_watcher.start, self)
            # The database's files (SQLite), the playbook file (either)
            watcher = DatabaseWatcher(self.store.path, self.playbook_path)
            self.call_after_refresh(watcher.start, self)
        if not self.read_only:
            self.set_timer(0.3, self._prepare_writes)
        if self.war_room.radar_enabled:
            self.radar = RadarPoller(lambda: self.playbook, self.clock, self._open_incident_id)
            self.radar.start(self, 1.5)
        if self.deliver_enabled:
            self.deliverer = OutboxDeliverer(self.store, self.war_room.settings)
            self.deliverer.start(self, 1.0)
        if self.incident is None and not self.read_only:
            self.action_declare()

    # -- reading the store ---------------------------------------------------------------

    @on(DatabaseChanged)
    def _database_changed(self) -> None:
        self.check_database()

    def tick(self) -> None:
        """Once a second: recompute clocks and raise alerts (clocks come from timestamps)."""
        if not self.app.screen_stack or not self.query(IncidentHeader):
            return  # shutting down: the panes are gone
        if not self.watching:
            self.check_database()  # no file watcher (e.g. a network filesystem): look instead
        # Entries kept while the database was unreachable, if any: written once it is back.
        self.spool_drainer.try_now(self, away=bool(self.unreachable))
        self._render_clocks()

    @work(thread=True, exclusive=True, group="prepare-writes", exit_on_error=False)
    def _prepare_writes(self) -> None:
        """Open the Store's writing connection now, in a thread, not at the first entry.

        Should this fail, the first write fails the same way and says so.
        """
        self.store.prepare_writes()

    def on_unmount(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        if self.pg_watcher is not None:
            self.pg_watcher.stop()
        if self.radar is not None:
            self.radar.close()
        if self.deliverer is not None:
            self.deliverer.close()

    # -- what the services report ------------------------------------------------------

    @on(WatchingChanged)
    def _watching_changed(self, message: WatchingChanged) -> None:
        self.watching = message.watching

    @on(PlaybookChanged)
    def _playbook_changed(self) -> None:
        self.reload_playbook()

    @on(RadarPolled)
    def _radar_reported(self, message: RadarPolled) -> None:
        if message.off:
            self.query_one(DependenciesPane).show_off()
            return
        self._radar_polled(message.statuses, message.lines, message.incident_id)

    @on(ServiceTrouble)
    def _service_trouble(self, message: ServiceTrouble) -> None:
        self.notify(message.text, severity=message.severity)

    @on(SpoolDrained)
    def _spool_drained(self, message: SpoolDrained) -> None:
        if isinstance(message.error, Unreachable):
            self.unreachable = str(message.error)  # still away: the header says so
        elif message.error is not None:
            self._error(message.error)
        else:
            self.unreachable = ""
        if message.written:
            self.notify(
                f"{message.written} entries kept offline are in the timeline now", title="Written"
            )
        if message.refused:
            self.notify(
                f"{message.refused} kept entries were typed after their incident was closed:"
                f" kept in {self.spool.refused_path}",
                title="Not written",
                severity="warning",
                timeout=30,
            )
        if message.written or message.refused:
            self.reload()
        else:
            self._render_clocks()

    # -- communications ------------------------------------------------------------------

    @on(DeliveryDone)
    def _delivery_done(self, message: DeliveryDone) -> None:
        for channel, detail in message.failures:
            self.app.bell()
            self.notify(
                f"{channel}: {detail}\nF12 shows the outbox; r retries",
                title="Message NOT delivered",
                severity="error",
                timeout=30,
            )
        if self.incident is not None:
            self._show_outbox(outbox_counts(self.store, self.incident.id))

    # -- the runbook: scenarios, mitigations, root cause ---------------------------------

    def _radar_polled(
        self, statuses: list[DependencyStatus], lines: list[str], polled_for: str | None
    ) -> None:
        self.dependencies = statuses
        self.query_one(DependenciesPane).show(statuses)
        # Only into the incident that was open here when the poll began, and still is.
        if not lines or self.read_only or polled_for is None:
            return
        if polled_for != self._open_incident_id():
            return
        from warroom.integrations.statuspage import record

        try:
            written = record(self.store, polled_for, lines)
        except USER_ERRORS as error:
            self._error(error)
            return
        if written:
            self.changed()

    def reload_playbook(self) -> None:
        """Pick up a saved playbook; a broken edit is reported and the last good one stays."""
        path = self.playbook_path
        if path is None or not path.exists():
            return  # mid atomic-rename: the new file is on its way
        try:
            playbook = load_playbook(path)
        except PlaybookError as error:
            self.notify(
                f"{error}\nKeeping the last good playbook.",
                title="Playbook not reloaded",
                severity="error",
                timeout=15,
            )
            return
        if playbook == self.playbook:
            return
        conflicts = self.store.playbook_conflicts(playbook)
        if conflicts:  # e.g. a severity an open incident is at was removed
            self.notify(
                "\n".join(conflicts) + "\nKeeping the last good playbook.",
                title="Playbook not reloaded",
                severity="error",
                timeout=15,
            )
            return
        self.store.playbook = playbook
        self.reload()
        self.notify(f"{path.name}: {playbook.name} {playbook.version}", title="Playbook reloaded")

    # -- the entry line ------------------------------------------------------------------

    @on(EntryLine.Line)
    async def _entry_line(self, event: EntryLine.Line) -> None:
        """One submitted line (already taken off the entry line: see EntryLine)."""
        line = event.text
        try:
            command = parse_entry(line)
            if command is None:
                self._log_entry(note_text(line))
            else:
                await self.run_entry_command(command, line)
        except USER_ERRORS as error:
            self._line_failed(event.entry_line, line, error)

    async def run_entry_command(self, command: EntryCommand, line: str = "") -> None:
        """Run the action a slash-command names, with its argument. What cannot be done
        raises (the caller puts the line back). `--at WHEN` does it at that time, as
        `warroom <action> --at WHEN` does (asking first if the time is surprising)."""
        spec = BY_ID[command.action]
        arg, when = split_at_option(command.arg)
        run = getattr(self, f"action_{spec.method}")
        if when is not None:
            if not spec.writes or spec.id in _NOT_TIMED:
                raise EntryError(f"--at is for what changes the record, not /{command.action}")
            if not arg and spec.id not in _TIMED_WITHOUT_ARG:
                raise EntryError(f"--at needs what to do: /{command.action} VALUE --at {when}")

            def timed(at: datetime) -> None:
                with self.store.at(at):
                    run(arg)

            self._at_time(line or f"/{command.action} {command.arg}", when, timed, "record it")
            return
        result = run(command.arg)
        if inspect.isawaitable(result):
            await result

    def _line_failed(self, entry: EntryLine, line: str, error: Exception) -> None:
        """Nothing typed is lost: the line goes back for correction (selected, so typing
        replaces it), or, when the next line is already being typed, Up recalls it."""

        def put_back() -> None:
            if entry.restore(line):
                self._error(error)
            else:
                self._error(EntryError(f"{error_text(error)} (Up recalls the line)"))

        # After the keys already queued at the entry line: they belong to the next line.
        entry.call_later(put_back)

    @on(EntryLine.Pasted)
    def _entry_pasted(self, event: EntryLine.Pasted) -> None:
        """A paste of several lines: asked once, never silently cut to its first line."""
        lines, entry = event.lines, event.entry_line
        try:
            incident = self._require()
        except USER_ERRORS as error:
            entry.restore(" ".join(line.strip() for line in lines))  # kept, on one line
            self._error(error)
            return
        count = len(lines)
        preview = "\n".join(lines[:12]) + (f"\n… and {count - 12} more" if count > 12 else "")

        def chosen(choice: str | None) -> None:
            if choice == "each":
                self._guarded(lambda: self._log_pasted(incident, lines))
            elif choice == "one":
                self._guarded(lambda: self._log_entry("\n".join(lines)))
            else:
                entry.restore(" ".join(line.strip() for line in lines))
                self.notify("Paste not logged: it is back on the entry line, on one line")

        self.app.push_screen(
            ChoiceScreen(
                f"Pasted {count} lines",
                [
                    ("each", f"Log as {count} entries", preview),
                    ("one", "Log as one entry", preview),
                    ("cancel", "Cancel", "Log nothing now; the text goes back to the entry line"),
                ],
            ),
            chosen,
        )

    def _log_pasted(self, incident: Incident, lines: list[str]) -> None:
        stored = self.store.log_many(incident.id, lines)
        self._render_timeline(incident)
        self.call_after_refresh(self.changed)
        self.notify(f"{stored} pasted lines logged as {stored} entries")

    @on(EntryLine.HelpRequested)
    def _help_requested(self) -> None:
        self.action_help()

    # -- actions (keys, palette and slash-commands all land here) ------------------------
    # An action raises what cannot be done: from a key or the palette the App's run_action
    # says it on screen; from the entry line the line goes back for correction. `_guarded`
    # is for what runs later, on its own (a dialog's result).

    @on(TimelineView.OpenEntry)
    def _open_entry(self, event: TimelineView.OpenEntry) -> None:
        self.app.push_screen(EntryScreen(event.entry))

    @on(ChecklistPane.Toggled)
    def _checklist_toggled(self, event: ChecklistPane.Toggled) -> None:
        def toggle() -> None:
            self._require()
            self.store.tick(event.item_id, event.done)
            self.changed()
            self.action_focus_entry()  # a tick is one deliberate key; typing goes on below

        self._guarded(toggle)

    # -- between incidents (issue #13): history, overdue items, corrections ---------------

    _open_items: list[ActionItem] | None = None
    """The action items not done, read when no incident is open (the header counts the
    overdue ones at every tick); None while an incident is open."""
