"""A drill's war room: the war room itself, on a simulated clock, marked DRILL everywhere.

`DrillApp` is the war room (app.py) with: the simulated clock (domain/simclock.py) as its
clock, so every countdown, overdue alert, acknowledge and SLA clock follows simulated time;
a DRILL banner on every screen; every message rendered marked DRILL and, unless
`live_comms`, posted nowhere (no channel is configured in a drill); no status radar (the
drill's status pages are its injects); the injects logged as they fall due
(services/drill_injects.py); `/pause` and `/resume`; and, once the drill's incident is
closed, the drill report beside the reviews (comms/drill.py).
"""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from warroom.domain.drill import DRILL_MARK, Drill, Inject, entry_kind
from warroom.domain.simclock import SimulatedClock
from warroom.domain.timefmt import countdown
from warroom.store.store import Store
from warroom.tui.app import WarRoomApp
from warroom.tui.screens.base import IncidentView
from warroom.tui.screens.main import MainScreen
from warroom.tui.services.drill_injects import DrillInjector, InjectDue
from warroom.tui.widgets.dependencies import DependenciesPane

if TYPE_CHECKING:
    from warroom.comms.messages import MessageKind
    from warroom.integrations.settings import Settings


class DrillBanner(Static):
    """DRILL, the drill's title, its speed and simulated time: docked on top of a screen."""

    def __init__(self) -> None:
        super().__init__(id="drill-banner")


class OnboardingScreen(ModalScreen[None]):
    """The runbook's New Team Member Onboarding checklist, for someone's first drill."""

    BINDINGS = [Binding("escape,enter", "dismiss", "Start the drill", id="onboarding.close")]

    def __init__(self, items: list[str], drill: Drill) -> None:
        super().__init__()
        self.items = items
        self.drill = drill

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="onboarding-dialog") as box:
            box.border_title = "New Team Member Onboarding"
            box.border_subtitle = "Enter or Esc: start the drill"
            text = Text()
            text.append(f"This is a {DRILL_MARK}: {self.drill.title}\n", style="bold")
            if self.drill.briefing:
                text.append(self.drill.briefing + "\n")
            text.append("\nBefore your first real incident, from the runbook:\n\n")
            for item in self.items:
                text.append(f"  [ ] {item}\n")
            text.append("\nThis drill is the shadowing: run it as if it were real.")
            yield Static(text, id="onboarding-body")


class DrillScreen(MainScreen):
    """The war room's screen, plus the drill: its banner, its injects, its report."""

    def __init__(self) -> None:
        super().__init__()
        self.injector: DrillInjector | None = None
        self._waiting: list[Inject] = []
        """Injects due before the incident was declared: logged once it is."""
        self.report_path: Path | None = None

    @property
    def drill_app(self) -> DrillApp:
        app = self.app
        assert isinstance(app, DrillApp)
        return app

    def compose_panes(self) -> ComposeResult:
        yield DrillBanner()
        yield from super().compose_panes()

    def start(self) -> None:
        super().start()  # with no incident yet, the declare dialog, filled in for the drill
        app = self.drill_app
        self.query_one(DependenciesPane).update(
            Text("radar off in a drill: status pages come as its injects", style="dim")
        )
        app.screen_change_signal.subscribe(self, app.banner_on)
        app.show_banners()
        if app.onboarding:  # over the declare dialog: read first
            app.push_screen(OnboardingScreen(app.onboarding, app.drill))
        self.injector = DrillInjector(app.drill, app.sim)
        self.injector.start(self, app.tick_seconds)

    def tick(self) -> None:
        super().tick()
        self.drill_app.show_banners()

    def _alert(self, now: datetime) -> None:
        # What is late follows simulated time (the clocks); an alert that stays late rings
        # again every real minute, not every simulated one (each second at x60).
        super()._alert(self.drill_app.sim.real())

    def on_unmount(self) -> None:
        # (MainScreen's own on_unmount runs too: Textual calls each class's handler.)
        if self.injector is not None:
            self.injector.close()

    @on(InjectDue)
    def _inject_due(self, message: InjectDue) -> None:
        inject = message.inject
        self.notify(f"{inject.author}: {inject.text}", title=f"{DRILL_MARK} {inject.kind.label}")
        self._waiting.append(inject)
        self._log_waiting()

    def _log_waiting(self) -> None:
        incident = self.incident
        if incident is None or not incident.is_open or not self._waiting:
            return
        start = self.drill_app.sim.start
        waiting, self._waiting = self._waiting, []

        def log(inject: Inject) -> None:
            self.store.log(
                incident.id,
                inject.entry_text(),
                kind=entry_kind(inject.kind),
                at=start + inject.at,
                author=inject.author,
            )

        for inject in waiting:
            self._guarded(functools.partial(log, inject))
        self.changed()

    def show(self, view: IncidentView) -> None:
        super().show(view)
        incident = view.incident
        if incident is None:
            return
        if incident.is_open:
            self.call_later(self._log_waiting)
        elif self.report_path is None and incident.declared_at >= self.drill_app.sim.start:
            self._write_report(incident.id)

    def _write_report(self, incident_id: str) -> None:
        from warroom.comms.drill import write_drill_report

        try:
            path = write_drill_report(
                self.store, self.drill_app.drill, incident_id, self.reviews_dir
            )
        except OSError as error:
            self._error(error)
            return
        self.report_path = self.drill_app.report = path
        self.drill_app.sim.pause()  # the drill is over: its clock stops with it
        self.drill_app.show_banners()
        self.notify(f"Drill report written: {path}", title=f"{DRILL_MARK} over", timeout=30)

    def _send(self, kind: MessageKind, text: str) -> None:
        from warroom.comms.drill import mark

        super()._send(kind, mark(text))  # whatever was edited, a drill's message says so
        if not self.drill_app.live_comms:
            self.notify(
                "A drill's messages are recorded, never posted: do not post this one"
                " (warroom drill --live-comms posts them, marked DRILL)",
                title=f"{DRILL_MARK}: not posted",
            )


class DrillApp(WarRoomApp):
    """The war room for a drill (module docstring)."""

    OWN_DRILL_BANNER = True  # its own, with the simulated time (banner_on)

    def __init__(
        self,
        store: Store,
        drill: Drill,
        sim: SimulatedClock,
        reviews_dir: Path | None = None,
        live_comms: bool = False,
        onboarding: list[str] | None = None,
        tick_seconds: float = 1.0,
        watch_files: bool = True,
        keymap: dict[str, str] | None = None,
    ) -> None:
        super().__init__(
            store,
            reviews_dir,
            clock=sim,
            tick_seconds=tick_seconds,
            watch_files=watch_files,
            radar=False,
            deliver=live_comms,
            keymap=keymap,
        )
        self.drill = drill
        self.sim = sim
        self.live_comms = live_comms
        self.onboarding = onboarding
        self.title = f"warroom {DRILL_MARK}"
        self.report: Path | None = None
        """The drill report, once written: the drill is over."""

    def get_default_screen(self) -> DrillScreen:
        return DrillScreen()

    def on_mount(self) -> None:
        # Runs before WarRoomApp's on_mount (Textual calls each class's, this one first),
        # which starts the war room: the declare dialog then opens with the drill's alert.
        if self.store.current() is None:  # the declaration, ready: what the alert says
            self.store.save_draft(
                "",
                "declare",
                {
                    "title": self.drill.title,
                    "severity": str(self.drill.severity),
                    "users": "",
                    "features": "",
                    "detected": self.sim.start.strftime("%Y-%m-%dT%H:%M"),
                },
            )

    def banner_on(self, screen: Screen[Any]) -> None:
        """Every screen shown gets the DRILL banner (once)."""
        if not screen.query(DrillBanner):
            screen.mount(DrillBanner())
        self.call_after_refresh(self.show_banners)

    def banner_text(self) -> str:
        if self.report is not None:
            return f"{DRILL_MARK} over · report: {self.report.name}"
        state = "PAUSED (/resume)" if self.sim.paused else f"x{self.sim.speed:g} (/pause)"
        elapsed = countdown(self.sim.elapsed.total_seconds())
        return (
            f"{DRILL_MARK} · {self.drill.title} · not a real incident · "
            f"simulated T+{elapsed} {state}"
        )

    def show_banners(self) -> None:
        text = self.banner_text()
        for screen in self.screen_stack:
            for banner in screen.query(DrillBanner):
                banner.update(text)
                banner.set_class(self.sim.paused, "-paused")

    def pause_clock(self, how: str = "toggle") -> None:
        if how == "resume":
            changed = self.sim.resume()
        elif how == "toggle":
            changed = True
            self.sim.toggle()
        else:
            raise ValueError(f"/pause takes nothing (got {how!r})")
        if not changed:
            self.notify("The drill's clock is already running", title=DRILL_MARK)
        else:
            paused = self.sim.paused
            self.notify(
                "Simulated time stopped: /pause or /resume runs it again"
                if paused
                else "Simulated time runs again",
                title=f"{DRILL_MARK} {'paused' if paused else 'resumed'}",
            )
        self.show_banners()

    def settings(self) -> Settings:
        if self._settings is None:
            from warroom.integrations.settings import drill_settings, load_settings

            self._settings = drill_settings(load_settings(), self.live_comms)
        return self._settings


def run_drill(
    store: Store,
    drill: Drill,
    sim: SimulatedClock,
    reviews_dir: Path | None,
    live_comms: bool,
    onboarding: list[str] | None,
    keymap: dict[str, str] | None = None,
    tick_seconds: float = 1.0,
) -> int:
    app = DrillApp(
        store,
        drill,
        sim,
        reviews_dir,
        live_comms=live_comms,
        onboarding=onboarding,
        keymap=keymap,
        tick_seconds=tick_seconds,
    )
    app.run()
    return app.return_code or 0
