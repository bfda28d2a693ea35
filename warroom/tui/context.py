"""What the war room's screens need of the App: its options and a few of its services.

A Protocol, so that the screens depend on this description and not on `tui/app.py` (which
imports the screens): the App satisfies it, and mypy checks that it does (tui/app.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from warroom.integrations.settings import Settings
    from warroom.store.store import Store


class WarRoom(Protocol):
    """The App as its screens see it (tui/app.py's WarRoomApp is the one there is)."""

    store: Store
    clock: Callable[[], datetime]
    tick_seconds: float
    reviews_dir: Path | None
    playbook_path: Path | None
    read_only: bool
    watch_files: bool
    radar_enabled: bool
    deliver_enabled: bool

    def settings(self) -> Settings: ...

    def key_labels(self) -> Mapping[str, str]: ...

    def pause_clock(self, how: str = "toggle") -> None: ...

    async def action_quit(self, arg: str = "") -> None: ...
