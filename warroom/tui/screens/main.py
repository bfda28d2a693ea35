"""The war room's screen: the timeline, the entry line, roles, clocks, dependencies and the
checklist, and every action of the table (tui/actions.py) as `action_<id>(arg)`."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape as escape_markup
from textual.notifications import Notification, SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input

from warroom.domain.clocks import (
    LABELS,
    SNOOZABLE,
    Action,
    Clock,
    Nudge,
    Snooze,
    compute_clocks,
    nudges,
    snooze_word,
)
from warroom.domain.dependencies import DependencyStatus
from warroom.domain.messages import OutboxStatus
from warroom.domain.model import (
    ChecklistItem,
    EntryKind,
    Incident,
    RoleAssignment,
    Status,
    UpdateKind,
)
from warroom.domain.timefmt import (
    backdating_concern,
    countdown,
    hhmm,
    is_explicit_date,
    lateness,
    parse_span,
    parse_when,
    stamp,
    utc,
)
from warroom.playbook import Playbook, PlaybookError, load_playbook
from warroom.playbook.models import COMMANDER
from warroom.store.outbox import counts as outbox_counts
from warroom.store.store import Store, StoreError
from warroom.tui.actions import ACTIONS, BY_ID, WRITES
from warroom.tui.alerts import Alert, alert_hint, by_urgency
from warroom.tui.entry_grammar import (
    EntryCommand,
    EntryError,
    note_text,
    parse_action_item,
    parse_entry,
    parse_severity,
    parse_snooze,
    split_at_option,
    split_first,
)
from warroom.tui.messages import (
    DatabaseChanged,
    DeliveryDone,
    PlaybookChanged,
    RadarPolled,
    ServiceTrouble,
    WatchingChanged,
)
from warroom.tui.screens.dialogs import (
    ChoiceScreen,
    Declaration,
    DeclareScreen,
    EntryScreen,
    RoleScreen,
    severity_help,
)
from warroom.tui.screens.help import HelpScreen
from warroom.tui.services.clock_alerts import ClockAlerts
from warroom.tui.services.delivery import OutboxDeliverer
from warroom.tui.services.radar import RadarPoller
from warroom.tui.services.watcher import DatabaseWatcher
from warroom.tui.widgets.dependencies import DependenciesPane, DependenciesScreen
from warroom.tui.widgets.entry import EntryLine
from warroom.tui.widgets.panes import (
    ChecklistPane,
    IncidentHeader,
    NextUpdatePane,
    OtherAlert,
    RolesPane,
)
from warroom.tui.widgets.timeline import TimelineView

STATUS_HELP = {
    Status.INVESTIGATING: "Confirming and scoping the issue.",
    Status.IDENTIFIED: "The cause is known.",
    Status.MITIGATING: "Rolling back, disabling a feature, hotfixing or scaling.",
    Status.MONITORING: "A fix is in; watching that it holds. Back to Mitigating if it does not.",
    Status.RESOLVED: "Service restored and verified. Recurring clocks stop.",
}

UPDATE_HELP = {
    UpdateKind.INTERNAL: "Internal update to the team thread (restarts the Next update clock).",
    UpdateKind.STAKEHOLDER: "Status update to stakeholders (restarts the stakeholder clock).",
    UpdateKind.CUSTOMER: "Customer communication sent (email / status page).",
}

if TYPE_CHECKING:  # the network edge is imported only when it is used
    from warroom.comms.messages import MessageKind
    from warroom.tui.app import WarRoomApp
    from warroom.tui.screens.close import Closing
    from warroom.tui.services.pg_watcher import PostgresWatcher

USER_ERRORS = (EntryError, ValueError, KeyError, StoreError)


def error_text(error: Exception) -> str:
    """What the user reads of an error (a KeyError's message without its quotes)."""
    return str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)


def action_bindings(on_app: bool) -> list[Binding]:
    """The key bindings, from the action table (tui/actions.py); ids make them remappable.
    ON_APP: the App's few (focus moves), else the war room screen's."""
    return [
        Binding(
            spec.keys,
            spec.method,
            spec.footer_label,
            show=bool(spec.footer),
            priority=spec.priority,
            tooltip=spec.help,
            id=spec.id,
        )
        for spec in ACTIONS
        if spec.keys and spec.bound and spec.on_app == on_app
    ]


@dataclass(frozen=True)
class IncidentView:
    """What the war room shows of the database, read at once: the incident (None before
    one is declared), its snoozes, roles and checklist, the other open incidents."""

    version: int
    """The database's data_version when read: a change since means read again."""
    incident: Incident | None
    snoozes: list[Snooze]
    others: list[tuple[Incident, list[Snooze]]]
    roles: dict[str, RoleAssignment]
    checklist: list[ChecklistItem]
    outbox: dict[OutboxStatus, int]
    """The incident's outbox messages by state (the entry line's subtitle)."""


_TIMED_WITHOUT_ARG = frozenset({"ack"})
"""Actions that act at once with no argument (the others open a dialog: no `--at` there)."""
_NOT_TIMED = frozenset({"declare", "close", "compose", "export", "runbook", "at", "detected"})
"""Actions with times of their own, or dialogs: `--at` is refused rather than lost."""


class MainScreen(Screen[None]):
    """The war room's screen: the panes and the entry line, and one `action_<id>(arg)` per
    action of the table (tui/actions.py): without an argument it opens its dialog, with one
    it does it directly. Keys and the palette reach them through the App's `run_action`
    (errors are said on screen); the entry line calls them itself (errors put the line back).
    """

    BINDINGS = action_bindings(on_app=False)  # type: ignore[assignment]  # list is invariant

    def __init__(self) -> None:
        super().__init__(id="war-room")
        self.radar: RadarPoller | None = None
        self.deliverer: OutboxDeliverer | None = None
        self.pg_watcher: PostgresWatcher | None = None
        self.dependencies: list[DependencyStatus] = []
        self.watching = False
        """True while watchfiles reports changes; otherwise the tick checks the database."""
        self.incident: Incident | None = None
        self.clocks: list[Clock] = []
        self._version = -1
        self._others_open = 0
        self.snoozes: list[Snooze] = []
        self.nudges: list[Nudge] = []
        self.other_alert: OtherAlert | None = None
        """The worst late clock of another open incident, shown in the header."""
        self._others: list[tuple[Incident, list[Snooze]]] = []
        self._roles: dict[str, RoleAssignment] = {}
        self._nudged_roles: frozenset[str] | None = None
        self.clock_alerts = ClockAlerts(lambda: self.app)
        self._timer: Timer | None = None

    @property
    def war_room(self) -> WarRoomApp:
        return cast("WarRoomApp", self.app)

    # The war room's options (the App's): read here, never copied.
    @property
    def store(self) -> Store:
        return self.war_room.store

    @property
    def playbook(self) -> Playbook:
        return self.war_room.store.playbook

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.war_room.clock

    @property
    def read_only(self) -> bool:
        return self.war_room.read_only

    @property
    def reviews_dir(self) -> Path | None:
        return self.war_room.reviews_dir

    @property
    def playbook_path(self) -> Path | None:
        return self.war_room.playbook_path

    @property
    def deliver_enabled(self) -> bool:
        return self.war_room.deliver_enabled

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Notifications carry user text (entries, playbook names, errors): never markup."""
        self.app.notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    async def action_quit(self, arg: str = "") -> None:
        await self.war_room.action_quit()

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

    def reload(self) -> None:
        """Re-read everything shown from the database (the single source of truth)."""
        try:
            self.show(self.read_view())
        except StoreError as error:
            self._error(error)

    def read_view(self) -> IncidentView:
        """One view of the incident shown (the open one, unless another was chosen)."""
        version = self.store.data_version()
        incident = self.incident
        if incident is not None:
            incident = self.store.get(incident.id)
        if incident is None or not incident.is_open:
            incident = self.store.current() or incident
        others = [
            i for i in self.store.incidents() if i.is_open and i.id != getattr(incident, "id", "")
        ]
        return IncidentView(
            version=version,
            incident=incident,
            snoozes=self.store.snoozes(incident.id) if incident is not None else [],
            others=[(i, self.store.snoozes(i.id)) for i in others],
            roles=self.store.roles(incident.id) if incident is not None else {},
            checklist=self.store.checklist(incident.id) if incident is not None else [],
            outbox=outbox_counts(self.store, incident.id) if incident is not None else {},
        )

    def show(self, view: IncidentView) -> None:
        """Show VIEW: every pane (the timeline reads its window of entries as it draws)."""
        self._version = view.version
        self.incident = incident = view.incident
        self._others_open = len(view.others)
        self._others = view.others
        self.snoozes = view.snoozes
        self._roles = view.roles
        self._nudged_roles = None  # the Roles pane is drawn again with the clocks
        timeline = self.query_one(TimelineView)
        if incident is None:
            timeline.load(None, 0)
        else:
            self._render_timeline(incident)
        self.query_one(ChecklistPane).show(self.playbook, view.checklist)
        self._show_outbox(view.outbox)
        if incident is not None and not incident.is_open:
            path = incident.review_path or "not written"
            timeline.border_subtitle = (
                f"CLOSED · review: {escape_markup(path)} · F2 declares a new incident"
            )
        self._render_clocks()

    def _render_timeline(self, incident: Incident) -> None:
        timeline = self.query_one(TimelineView)
        today = utc(self.clock()).date()
        count = self.store.entry_count(incident.id)
        first = self.store.timeline(incident.id, 0, 1)
        other_days = utc(incident.started_at).date() != today or (
            bool(first) and utc(first[0].at).date() != today
        )
        timeline.load(
            # A damaged page says so once, instead of crashing the drawing (Store says how).
            self.store.timeline_pager(
                incident.id, count, lambda e: self.app.notify(e, severity="error")
            ),
            count,
            days=self.store.timeline_days(incident.id) if other_days else None,
            today=today,
        )
        timeline.border_subtitle = f"{timeline.count} entries"

    def _render_clocks(self) -> None:
        """The clocks, the nudges and the other incidents' late clocks at `now`; alerts."""
        now = self.clock()
        incident = self.incident
        self.other_alert = self._worst_other(now)
        self.query_one(IncidentHeader).show(
            incident, self.playbook, now, self.read_only, self._others_open, self.other_alert
        )
        if incident is None:
            self.clocks, self.nudges = [], []
        else:
            self.clocks = compute_clocks(incident, self.playbook, now, self.snoozes)
            self.nudges = nudges(incident, self._roles, self.playbook, now)
        self.query_one(NextUpdatePane).show(self.clocks)
        nudged = frozenset(role for n in self.nudges for role in n.roles)
        if nudged != self._nudged_roles:
            self._nudged_roles = nudged
            self.query_one(RolesPane).show(self.playbook, self._roles, nudged)
        self._alert(now)

    def _other_clocks(self, now: datetime) -> list[tuple[Incident, Clock]]:
        """The late (alerting) clocks of the open incidents not shown, read at the last reload."""
        late = []
        for incident, snoozes in self._others:
            try:
                clocks = compute_clocks(incident, self.playbook, now, snoozes)
            except KeyError:  # a severity the playbook no longer has
                continue
            late += [(incident, c) for c in by_urgency(clocks) if c.alerting]
        return late

    def _worst_other(self, now: datetime) -> OtherAlert | None:
        late = self._other_clocks(now)
        if not late:
            return None
        incident, clock = min(late, key=lambda ic: (ic[0].severity, ic[1].remaining))
        return OtherAlert(incident, self._severity_name(incident), clock)

    def _severity_name(self, incident: Incident) -> str:
        try:
            return self.playbook.severity(incident.severity).name
        except KeyError:
            return f"SEV-{incident.severity}"

    def changed(self) -> None:
        """After a write of ours: the one refresh path, as for any other writer's."""
        self.post_message(DatabaseChanged())

    @on(DatabaseChanged)
    def _database_changed(self) -> None:
        self.check_database()

    def check_database(self) -> None:
        """Reload if anyone (another war room, `warroom log`) committed since the last read."""
        try:
            if self.store.data_version() != self._version:
                self.reload()
        except StoreError as error:
            self._error(error)

    def tick(self) -> None:
        """Once a second: recompute clocks and raise alerts (clocks come from timestamps)."""
        if not self.app.screen_stack or not self.query(IncidentHeader):
            return  # shutting down: the panes are gone
        if not self.watching:
            self.check_database()  # no file watcher (e.g. a network filesystem): look instead
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

    def _show_outbox(self, found: dict[OutboxStatus, int]) -> None:
        parts = [
            f"{found.get(status, 0)} {label}"
            for status, label in (
                (OutboxStatus.PENDING, "waiting"),
                (OutboxStatus.SENDING, "sending"),
                (OutboxStatus.FAILED, "FAILED (F12)"),
            )
            if found.get(status, 0)
        ]
        entry = self.query_one("#entry", EntryLine)
        entry.border_subtitle = ("outbox: " + ", ".join(parts)) if parts else ""

    def action_compose(self, arg: str = "") -> None:
        """Draft a runbook message (ARG: its kind, else a status update), edit, send."""
        from warroom.comms.messages import MessageKind, draft_message, load_message_data
        from warroom.tui.screens.compose import Composed, ComposeScreen

        def composed(result: Composed | None) -> None:
            if result is not None:
                self._guarded(lambda: self._send(result.kind, result.text))

        def open_dialog() -> None:
            incident = self._require()
            try:
                settings = self.war_room.settings()
                env = settings.template_environment()
                company, page = settings.company, settings.status_page_url

                def channels(kind: MessageKind) -> list[tuple[str, str | None]]:
                    return [(n, settings.channel_problem(n)) for n in settings.channels_for(kind)]

            except ValueError as error:  # a broken config file: still let the IC write
                self._error(error)
                env, company, page = None, "", ""

                def channels(kind: MessageKind) -> list[tuple[str, str | None]]:
                    return []

            data = load_message_data(
                self.store,
                incident.id,
                **({"company": company} if company else {}),
                status_page_url=page,
            )
            dialog = ComposeScreen(
                lambda k: draft_message(k, data, env),
                channels,
                MessageKind.parse(arg or "status_update"),
                self._draft(incident.id, "compose"),
            )
            dialog.keep_draft = lambda values: self._keep_draft(incident.id, "compose", values)
            self.app.push_screen(dialog, composed)

        open_dialog()

    def _send(self, kind: MessageKind, text: str) -> None:
        from warroom.store.outbox import send_message

        incident = self._require()
        try:
            channels = self.war_room.settings().channels_for(kind)
        except ValueError:
            channels = []
        send_message(self.store, incident.id, kind, text, channels)
        drafts = self._draft(incident.id, "compose")
        if drafts.pop(kind.value, None) is not None:  # sent: that draft has done its job
            self._keep_draft(incident.id, "compose", drafts)
        self.app.copy_to_clipboard(text)
        self.changed()
        readers = "customers" if kind.is_customer_facing else "the team"
        queued = (
            f"queued for {len(channels)} channel(s)"
            if channels
            else f"no channel for {readers} set up: post it yourself"
        )
        self.notify(
            f"{kind.label}: recorded, copied to the clipboard, {queued}",
            title="Sent" if channels else "Recorded, not posted",
            severity="information" if channels else "warning",
        )
        if self.deliverer is not None:
            self.deliverer.soon()

    # -- the runbook: scenarios, mitigations, root cause ---------------------------------

    def action_runbook(self, arg: str = "") -> None:
        from warroom.tui.screens.runbook import link_choices, runbook_menu

        links = self.playbook.quick_links

        def link_chosen(result: str | None) -> None:
            if result is not None:
                url = links[int(result)].url
                self.app.copy_to_clipboard(url)
                self.notify(f"Copied to the clipboard: {url}", markup=False)

        def chosen(result: str | None) -> None:
            if result == "links":
                self.app.push_screen(ChoiceScreen("Quick links", link_choices(links)), link_chosen)
            elif result is not None:
                self._guarded(lambda: self._runbook(result, ""))

        def open_menu() -> None:
            self._require()
            self.app.push_screen(ChoiceScreen("Runbook", runbook_menu(self.playbook)), chosen)

        open_menu()

    def _runbook(self, what: str, key: str) -> None:
        """Attach a scenario, start or apply a mitigation, set the root cause: by key, or
        by choosing from the playbook's list when no key is given."""
        from warroom.domain.incident import mitigations_used
        from warroom.tui.screens import runbook

        incident = self._require()
        actions: dict[str, Callable[[str, str], object]] = {
            "scenario": self.store.attach_scenario,
            "mitigate": self.store.start_mitigation,
            "applied": self.store.apply_mitigation,
            "cause": self.store.set_root_cause,
        }
        if key:
            actions[what](incident.id, key)
            self.changed()
            return
        if what == "applied":
            started = {use.key for use in mitigations_used(self.store.timeline(incident.id))}
            choices = runbook.mitigation_choices(self.playbook, started or None)
        else:
            choices = {
                "scenario": runbook.scenario_choices,
                "mitigate": runbook.mitigation_choices,
                "cause": runbook.root_cause_choices,
            }[what](self.playbook)
        if not choices:
            raise EntryError(f"the playbook has nothing for /{what}")
        titles = {
            "scenario": "Attach a scenario",
            "mitigate": "Start a mitigation",
            "applied": "Mitigation applied",
            "cause": "Root cause category",
        }

        def chosen(result: str | None) -> None:
            if result is not None:
                self._guarded(lambda: self._runbook(what, result))

        self.app.push_screen(ChoiceScreen(titles[what], choices), chosen)

    def action_outbox(self, arg: str = "") -> None:
        from warroom.store.outbox import list_outbox
        from warroom.tui.screens.compose import OutboxScreen

        incident_id = self.incident.id if self.incident else None
        self.app.push_screen(OutboxScreen(lambda: list_outbox(self.store, incident_id, limit=200)))

    def _open_incident_id(self) -> str | None:
        incident = self.incident
        return incident.id if incident is not None and incident.is_open else None

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

    def action_dependencies(self, arg: str = "") -> None:
        self.app.push_screen(DependenciesScreen(self.dependencies))

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

    def _wanted_alerts(self) -> dict[str, Alert]:
        """Every alert due now, by key: late clocks here and in the other open incidents,
        clocks due soon, and the runbook's nudges."""
        wanted: dict[str, Alert] = {}
        incident = self.incident
        keys = self.war_room.key_labels()
        if incident is not None:
            late = by_urgency(c for c in self.clocks if c.alerting)
            for clock in late:
                wanted[f"{incident.id}/{clock.kind.value}"] = Alert(
                    "OVERDUE",
                    f"{clock.label} late by {lateness(-clock.remaining)}",
                    alert_hint(clock, clock is late[0], keys),
                    "error",
                    repeats=True,
                )
            for clock in self.clocks:
                if clock.warning:
                    wanted[f"{incident.id}/{clock.kind.value}"] = Alert(
                        "Due soon",
                        f"{clock.label} due in {countdown(clock.remaining)}",
                        alert_hint(clock, False, keys).split("\n")[0],
                        "warning",
                        repeats=False,
                        once=f"{incident.id}/{clock.kind.value}@{clock.due_at}",
                        rings=False,
                    )
            for nudge in self.nudges:
                key = f"{incident.id}/nudge/{nudge.key}"
                wanted[key] = Alert("Runbook", nudge.text, "", "warning", repeats=False, once=key)
        for other, clock in self._other_clocks(self.clock()):
            name = self._severity_name(other)
            wanted[f"{other.id}/{clock.kind.value}"] = Alert(
                f"OVERDUE in {other.id}",
                f"{other.id} {name}: {clock.label} late by {lateness(-clock.remaining)}",
                f"/switch {other.id} to act on it",
                "error",
                repeats=True,
            )
        return wanted

    def _alert(self, now: datetime) -> None:
        self.clock_alerts.update(self._wanted_alerts(), now, self.playbook.alert_repeat_seconds)

    @property
    def alerts(self) -> dict[str, Notification]:
        """The notification posted for each alert now showing, by key."""
        return self.clock_alerts.posted

    def action_act_on_alert(self, arg: str = "") -> None:
        """Ctrl+G: do what the most urgent late clock needs (compose, acknowledge, snooze)."""
        late = by_urgency(c for c in self.clocks if c.alerting)
        if not late:
            other = self.other_alert
            if other is not None:
                self._prefill(f"/switch {other.incident.id}")
            else:
                self.notify("Nothing is late", title="Alerts")
            return
        action = late[0].action
        if action is Action.ACKNOWLEDGE:
            self.action_ack()
        elif action is Action.NOTHING_TO_SEND:
            self.action_snooze()
        else:
            self.action_compose(action.value)

    def _snooze_next(self) -> None:
        """Ctrl+N: "/snooze CLOCK 15m " in the entry line for the most urgent late clock (again:
        the next one); the IC types the reason and Enter. Nothing is snoozed without one."""
        late = by_urgency(c for c in self.clocks if c.alerting and snooze_word(c.kind))
        soon = by_urgency(c for c in self.clocks if c.warning and snooze_word(c.kind))
        words = [snooze_word(c.kind) for c in late + soon]
        entry = self.query_one("#entry", Input)
        current = entry.value.strip()
        if current and not current.startswith("/snooze"):
            raise EntryError("the entry line has text: log or clear it, then Ctrl+N")
        if not words:
            self._prefill("/snooze ")
            return
        typed = current.split()[1] if len(current.split()) > 1 else ""
        following = words[(words.index(typed) + 1) % len(words)] if typed in words else words[0]
        self._prefill(f"/snooze {following} 15m ")

    def _prefill(self, text: str) -> None:
        entry = self.query_one("#entry", Input)
        entry.value = text
        entry.cursor_position = len(text)
        entry.focus()

    def action_snooze(self, arg: str = "") -> None:
        """Snooze a clock for a while, saying why (ARG: "sla 15m waiting on Stripe"); no
        argument (Ctrl+N) puts the most urgent one in the entry line."""
        if not arg:
            self._snooze_next()
            return
        word, length, reason = parse_snooze(arg)
        matches = [k for w, k in SNOOZABLE.items() if w.startswith(word)]
        if len(matches) != 1:
            raise EntryError(
                f"cannot snooze {word!r}: /snooze internal|stakeholder|customer|sla 15m REASON"
            )
        incident = self._require()
        snooze = self.store.snooze(incident.id, matches[0], parse_span(length), reason)
        self.changed()
        self.notify(
            f"{snooze.reason}\nIt alerts again at {hhmm(snooze.until)} UTC if still late.",
            title=f"{LABELS[matches[0]]} snoozed",
        )

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

    def _require(self) -> Incident:
        self._require_writable()
        if self.incident is None or not self.incident.is_open:
            raise EntryError("no open incident: F2 declares one")
        return self.incident

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A read-only war room hides the keys that would change something."""
        return not (self.read_only and action in WRITES)

    def _require_writable(self) -> None:
        if self.read_only:
            raise EntryError("read-only: this war room observes, it changes nothing")

    def _error(self, error: Exception) -> None:
        self.notify(error_text(error), title="Not done", severity="error", timeout=8)

    def _log_entry(
        self, text: str, kind: EntryKind = EntryKind.NOTE, at: datetime | None = None
    ) -> None:
        incident = self._require()
        if not text.strip():
            raise EntryError("nothing to log: type the text after the command")
        self.store.log(incident.id, text, kind=kind, at=at)
        # The entry is on screen in this frame; the rest is read again once it is painted
        # (an entry changes nothing else, but another writer may have).
        self._render_timeline(incident)
        self.call_after_refresh(self.changed)

    def action_finding(self, arg: str = "") -> None:
        self._log_entry(arg, EntryKind.FINDING)

    def action_action(self, arg: str = "") -> None:
        self._log_entry(arg, EntryKind.ACTION)

    def action_decision(self, arg: str = "") -> None:
        self._log_entry(arg, EntryKind.DECISION)

    def action_todo(self, arg: str = "") -> None:
        self._log_entry(arg, EntryKind.TODO)

    def action_scenario(self, arg: str = "") -> None:
        self._runbook("scenario", arg)

    def action_mitigate(self, arg: str = "") -> None:
        self._runbook("mitigate", arg)

    def action_applied(self, arg: str = "") -> None:
        self._runbook("applied", arg)

    def action_cause(self, arg: str = "") -> None:
        self._runbook("cause", arg)

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

    def action_switch(self, arg: str = "") -> None:
        """Show another incident (several can be open at once)."""
        if not arg:
            others = [i.id for i in self.store.incidents() if i.is_open]
            raise EntryError(f"/switch ID (open: {', '.join(others) or 'none'})")
        self.incident = self.store.get(arg.strip())
        self.clock_alerts.forget_warnings()
        self.reload()

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
        item = self.store.add_action_item(incident.id, text, priority, owner)
        self.changed()
        self.notify(f"Action item {item.priority} due {item.due_at:%Y-%m-%d %H:%M} UTC")

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

    # -- actions (keys, palette and slash-commands all land here) ------------------------
    # An action raises what cannot be done: from a key or the palette the App's run_action
    # says it on screen; from the entry line the line goes back for correction. `_guarded`
    # is for what runs later, on its own (a dialog's result).

    def _guarded(self, action: Callable[[], object]) -> None:
        try:
            action()
        except USER_ERRORS as error:
            self._error(error)

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

    def _draft(self, incident_id: str, form: str) -> dict[str, str]:
        try:
            return self.store.draft(incident_id, form)
        except StoreError:
            return {}  # a draft is a convenience: never a reason not to open the dialog

    def _keep_draft(self, incident_id: str, form: str, values: dict[str, str]) -> None:
        """Keep what was typed into a dialog (Esc, a failed submit, quitting); a dialog
        left empty writes nothing unless it empties a draft."""
        if not any(v.strip() for v in values.values()) and not self._draft(incident_id, form):
            return
        self._guarded(lambda: self.store.save_draft(incident_id, form, values))

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

    def retry_delivery(self, message_id: int) -> None:
        """Queue a failed message again (r in the outbox)."""
        from warroom.store.outbox import retry

        def again() -> None:
            self._require_writable()
            retry(self.store, message_id)
            self.notify("Queued again")
            if self.deliverer is not None:
                self.deliverer.soon()

        self._guarded(again)
