"""The war room's App: its options, stylesheet and keys; the screen is screens/main.py."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.app import App, ComposeResult, SystemCommand
from textual.dom import DOMNode
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Input, Static, TextArea

from warroom.playbook import Playbook
from warroom.resources import styles_path
from warroom.store.store import Store
from warroom.tui.actions import ACTIONS, key_label
from warroom.tui.screens.base import USER_ERRORS, action_bindings, error_text
from warroom.tui.screens.dialogs import Dialog
from warroom.tui.screens.main import MainScreen
from warroom.tui.widgets.entry import EntryLine

if TYPE_CHECKING:
    from warroom.integrations.settings import Settings
    from warroom.tui.context import WarRoom
    from warroom.tui.screens.compose import OutboxScreen


class WarRoomApp(App[int]):
    """Options, stylesheet, keys and the palette; the war room itself is MainScreen."""

    CSS_PATH = [str(styles_path()), str(styles_path("drill.tcss"))]
    TITLE = "warroom"
    ENABLE_COMMAND_PALETTE = True
    # The screen gets -narrow / -wide and -short / -tall classes; the stylesheet adapts.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]

    BINDINGS = action_bindings(on_app=True)  # type: ignore[assignment]  # list is invariant

    async def run_action(
        self,
        action: str | Any,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """Keys and the palette run actions here: what cannot be done is said on screen.
        (The entry line calls them itself, to put the line back for correction.)"""
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except USER_ERRORS as error:
            self._error(error)
            return True

    def __init__(
        self,
        store: Store,
        reviews_dir: Path | None = None,
        clock: Callable[[], datetime] | None = None,
        tick_seconds: float = 1.0,
        playbook_path: Path | None = None,
        read_only: bool = False,
        watch_files: bool = True,
        radar: bool = True,
        deliver: bool = True,
        keymap: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.keymap: dict[str, str] = dict(keymap or {})
        """The user's keys by action id (`[keys]` in config.toml), over the action table's."""
        self.store = store
        self.reviews_dir = reviews_dir
        self.clock = clock or store.clock
        self.tick_seconds = tick_seconds
        self.playbook_path = playbook_path
        self.read_only = read_only
        self.watch_files = watch_files
        self.radar_enabled = radar
        self.deliver_enabled = deliver and not read_only
        self._settings: Settings | None = None

    @property
    def playbook(self) -> Playbook:
        return self.store.playbook

    @property
    def main(self) -> MainScreen:
        """The war room's screen (the first on the stack; dialogs go over it)."""
        screen = self.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    def get_default_screen(self) -> MainScreen:
        return MainScreen()

    def compose(self) -> ComposeResult:
        yield from self.main.compose_panes()

    OWN_DRILL_BANNER: ClassVar[bool] = False
    """The drill's app draws its own banner (tui/drill.py); this one marks a drill's
    database opened by plain `warroom --db`."""

    def on_mount(self) -> None:
        if not self.OWN_DRILL_BANNER and self.store.is_drill:
            banner = Static(
                "DRILL DATABASE · not a real incident · nothing is posted",
                id="drill-banner",
            )
            self.main.mount(banner)
        if self.keymap:
            self.set_keymap(self.keymap)
        self.main.start()

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
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    # -- where keys go --------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        # Keys arrive here first, in order; the focused widget gets them later, from its own
        # queue. Moving focus here, before the key is handed on, keeps a burst in order.
        if isinstance(event, events.Key | events.Paste) and not event.is_forwarded:
            self._route_typing(event)
        await super().on_event(event)

    def _route_typing(self, event: events.Key | events.Paste) -> None:
        """Text typed (or pasted) in a pane goes to the entry line, not to the pane: a
        pane's letter keys must never tick, pin or untick anything by accident. A pane's
        deliberate keys (Space on the checklist) stay the pane's."""
        if self.read_only or not self.screen.query("#entry"):
            return  # a dialog, the help screen: their own keys
        entry = self.screen.query_one("#entry", EntryLine)
        focused = self.screen.focused
        if focused is entry or isinstance(focused, Input | TextArea):
            return
        own_keys: frozenset[str] = getattr(focused, "OWN_KEYS", frozenset())
        if isinstance(event, events.Key) and (not event.is_printable or event.key in own_keys):
            return
        self.screen.set_focus(entry)

    def action_help_quit(self) -> None:
        """Ctrl+C: say how to quit (Textual's own message is markup, and ours never is)."""
        self.notify("Press Ctrl+Q to quit (everything is already saved)", title="Quit?")

    def _error(self, error: Exception) -> None:
        self.notify(error_text(error), title="Not done", severity="error", timeout=8)

    async def action_quit(self, arg: str = "") -> None:
        if isinstance(self.screen, Dialog):
            self.screen.keep_typed()  # quitting mid-dialog keeps what was typed in it
        await super().action_quit()

    def settings(self) -> Settings:
        """Channels and templates from the config file and environment (read once); on a
        drill's database, as a drill sees them (every message DRILL, nothing posted)."""
        from warroom.integrations.settings import drill_settings, load_settings

        if self._settings is None:
            settings = load_settings()
            self._settings = drill_settings(settings, False) if self.store.is_drill else settings
        return self._settings

    def pause_clock(self, how: str = "toggle") -> None:
        """`/pause`, `/resume`: only a drill's clock can stop (tui/drill.py)."""
        raise ValueError("only a drill's clock can be paused (warroom drill)")

    def on_outbox_screen_retry(self, event: OutboxScreen.Retry) -> None:
        self.main.retry_delivery(event.message_id)

    # -- command palette -----------------------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Textual's own, then every action of the table that makes sense here."""
        yield from super().get_system_commands(screen)
        labels = self.key_labels()
        for spec in ACTIONS:
            if spec.palette and not (self.read_only and spec.writes):
                key = f" ({labels[spec.id]})" if labels.get(spec.id) else ""
                run = functools.partial(self.run_action, spec.method, self.main)
                yield SystemCommand(spec.title, f"{spec.help}{key}", run)

    def key_labels(self) -> Mapping[str, str]:
        """Each action's keys as shown to the user ("F1 / ?"), the keymap's when remapped."""
        return {
            spec.id: key_label(self.keymap.get(spec.id, spec.keys)) for spec in ACTIONS if spec.keys
        }


def run_app(
    store: Store,
    reviews_dir: Path | None = None,
    playbook_path: Path | None = None,
    read_only: bool = False,
) -> int:
    app = WarRoomApp(
        store, reviews_dir, playbook_path=playbook_path, read_only=read_only, keymap=user_keys()
    )
    app.run()
    return app.return_code or 0


def user_keys() -> dict[str, str]:
    """`[keys]` from the config file, checked against the action table (a ValueError names
    the file and the unknown id)."""
    from warroom.config import config_file, keymap

    keys = keymap()
    unknown = sorted(set(keys) - {spec.id for spec in ACTIONS if spec.keys and spec.bound})
    if unknown:
        raise ValueError(
            f"{config_file()}: [keys]: no action {unknown[0]!r} to give a key to "
            "(the ids are listed in the README, under Keys)"
        )
    return keys


if TYPE_CHECKING:  # mypy: the App is what its screens take it for (tui/context.py)

    def _is_a_war_room(app: WarRoomApp) -> WarRoom:
        return app
