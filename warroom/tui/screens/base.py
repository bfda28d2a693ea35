"""The war room screen's foundation: its state, the options it reads from the App, the one
view of the database it shows (read, shown, refreshed), and the helpers every action uses
(errors said on screen, drafts kept, the open incident required).

The screen is a chain of classes, one file per group of actions, so that each idea lives in
one place: base.py (this), runbook_actions.py, history_actions.py, record_actions.py,
comms_actions.py, and main.py (layout, services, the entry line). Long because the one
refresh path and the clocks' rendering belong together: they read and draw the same view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual.binding import Binding
from textual.markup import escape as escape_markup
from textual.notifications import Notification, SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input

from warroom.config import spool_path
from warroom.domain.clocks import (
    Clock,
    Nudge,
    Snooze,
    compute_clocks,
    nudges,
)
from warroom.domain.dependencies import DependencyStatus
from warroom.domain.followups import is_done, overdue, overdue_text
from warroom.domain.messages import OutboxStatus
from warroom.domain.model import (
    ActionItem,
    ChecklistItem,
    EntryKind,
    Incident,
    RoleAssignment,
    Status,
    UpdateKind,
)
from warroom.domain.timefmt import (
    countdown,
    lateness,
    utc,
)
from warroom.playbook import Playbook
from warroom.store.outbox import counts as outbox_counts
from warroom.store.spool import Spool
from warroom.store.store import Store, StoreError, Unreachable
from warroom.tui.actions import ACTIONS, WRITES
from warroom.tui.alerts import Alert, alert_hint, by_urgency
from warroom.tui.context import WarRoom
from warroom.tui.entry_grammar import (
    EntryError,
)
from warroom.tui.messages import (
    DatabaseChanged,
)
from warroom.tui.services.clock_alerts import ClockAlerts
from warroom.tui.services.delivery import OutboxDeliverer
from warroom.tui.services.radar import RadarPoller
from warroom.tui.services.spool_drainer import SpoolDrainer
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

if TYPE_CHECKING:  # imported when a PostgreSQL war room starts it
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
    open_items: list[ActionItem] | None = None
    """Every incident's action items not done, when no incident is open here (the header's
    overdue count); None while one is."""


_TIMED_WITHOUT_ARG = frozenset({"ack"})
"""Actions that act at once with no argument (the others open a dialog: no `--at` there)."""
_NOT_TIMED = frozenset({"declare", "close", "compose", "export", "runbook", "at", "detected"})
"""Actions with times of their own, or dialogs: `--at` is refused rather than lost."""


class WarRoomBase(Screen[None]):
    """The war room screen's state and its one view of the database; see the module docstring."""

    def __init__(self) -> None:
        super().__init__(id="war-room")
        self.radar: RadarPoller | None = None
        self.deliverer: OutboxDeliverer | None = None
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
        self.pg_watcher: PostgresWatcher | None = None
        self._open_items: list[ActionItem] | None = None
        self._spool: Spool | None = None
        self.unreachable = ""
        """Why the database cannot be reached right now ("" while it can)."""
        self._spool_drainer: SpoolDrainer | None = None

    @property
    def war_room(self) -> WarRoom:
        """The App, as the screen sees it (tui/context.py: no import of tui/app.py)."""
        return cast("WarRoom", self.app)

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
            open_items=(
                None
                if incident is not None and incident.is_open
                else [i for i in self.store.all_action_items() if not is_done(i)]
            ),
        )

    def show(self, view: IncidentView) -> None:
        """Show VIEW: every pane (the timeline reads its window of entries as it draws)."""
        self._version = view.version
        self.incident = incident = view.incident
        self._others_open = len(view.others)
        self._others = view.others
        self.snoozes = view.snoozes
        self._roles = view.roles
        self._open_items = view.open_items
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
            incident,
            self.playbook,
            now,
            self.read_only,
            self._others_open,
            self.other_alert,
            overdue=self._overdue_text(now),
            unreachable=self._unreachable_text(),
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

    def check_database(self) -> None:
        """Reload if anyone (another war room, `warroom log`) committed since the last read."""
        try:
            if self.store.data_version() != self._version:
                self.reload()
        except Unreachable as error:  # said in the header, not once a second
            self.unreachable = str(error)
        except StoreError as error:
            self._error(error)
        else:
            self.unreachable = ""

    # -- the database unreachable: entries kept on this machine (store/spool.py) ---------

    @property
    def spool(self) -> Spool:
        if self._spool is None:
            self._spool = Spool(spool_path(getattr(self.store, "target", self.store.path)))
        return self._spool

    @property
    def spool_drainer(self) -> SpoolDrainer:
        if self._spool_drainer is None:
            self._spool_drainer = SpoolDrainer(self.spool, self.store)
        return self._spool_drainer

    def _unreachable_text(self) -> str:
        kept = len(self.spool) if self.spool.path.exists() else 0
        if not (self.unreachable or kept):
            return ""
        state = "DATABASE UNREACHABLE" if self.unreachable else "database back"
        return f"{state} · {kept} kept here" if kept else state

    def _keep_offline(
        self,
        incident: Incident,
        text: str,
        kind: EntryKind,
        at: datetime | None,
        error: Unreachable,
    ) -> None:
        """An entry the database could not take: kept on this machine, written when it is
        back (services/spool_drainer.py), with the time it was typed."""
        first = not self.unreachable  # said once; then the header counts what is kept
        self.unreachable = str(error)
        typed = at or utc(self.clock())
        self.spool.add(Spool.new(incident.id, text, kind.value, typed, self.store.author))
        if first:
            self.notify(
                f"{error}\nKept on this machine ({self.spool.path.name}): written, with the time"
                " you typed it, when the database is back.",
                title="Entry kept offline",
                severity="warning",
            )
        self._render_clocks()

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

    def _open_incident_id(self) -> str | None:
        incident = self.incident
        return incident.id if incident is not None and incident.is_open else None

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

    def _prefill(self, text: str) -> None:
        entry = self.query_one("#entry", Input)
        entry.value = text
        entry.cursor_position = len(text)
        entry.focus()

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
        if self.unreachable:  # known to be away: keep it at once, do not wait on the network
            self._keep_offline(incident, text, kind, at, Unreachable(self.unreachable))
            return
        try:
            self.store.log(incident.id, text, kind=kind, at=at)
        except Unreachable as error:
            self._keep_offline(incident, text, kind, at, error)
            return
        self.unreachable = ""
        # The entry is on screen in this frame; the rest is read again once it is painted
        # (an entry changes nothing else, but another writer may have).
        self._render_timeline(incident)
        self.call_after_refresh(self.changed)

    def _add_item(self, incident: Incident, priority: str, owner: str, text: str) -> None:
        item = self.store.add_action_item(incident.id, text, priority, owner)
        self.changed()
        who = f"@{item.owner}" if item.owner else "UNASSIGNED (the review lists it)"
        self.notify(f"Action item {item.priority} {who}, due {item.due_at:%Y-%m-%d %H:%M} UTC")

    def _guarded(self, action: Callable[[], object]) -> None:
        try:
            action()
        except USER_ERRORS as error:
            self._error(error)

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

    def _overdue_text(self, now: datetime) -> str:
        if self._open_items is None:
            return ""
        return overdue_text(len(overdue(self._open_items, now)))
