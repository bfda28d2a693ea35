"""Third-party status pages at a glance, and in full on their own screen."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from warroom.domain.dependencies import DependencyStatus
from warroom.domain.timefmt import hhmm

_STYLES = {
    "none": "green",
    "minor": "yellow",
    "maintenance": "cyan",
    "major": "bold red",
    "critical": "bold red",
    "unknown": "dim",
}


def _style(status: DependencyStatus) -> str:
    return _STYLES.get(status.indicator, "yellow")


def summary_text(statuses: list[DependencyStatus], detailed: bool = False) -> Text:
    """One line a page (name, symbol, state); with `detailed`, its components and incidents."""
    text = Text(no_wrap=not detailed, overflow="ellipsis")
    if not statuses:
        text.append("checking…", style="dim italic")
        return text
    width = max(len(s.name) for s in statuses)
    for i, status in enumerate(statuses):
        if i:
            text.append("\n")
        text.append(f"{status.name:<{width}}  ", style="bold")
        text.append(status.headline, style=_style(status))
        if detailed:
            text.append(f"  (checked {hhmm(status.checked_at)} UTC)", style="dim")
            for line in status.details:
                text.append(f"\n{'':<{width}}    {line}")
    return text


class DependenciesPane(Static):
    """The Dependencies pane: a line per status page."""

    def show_off(self) -> None:
        self.update(Text("status radar off", style="dim"))  # WARROOM_STATUS_PAGES=none
        self.border_subtitle = ""

    def show(self, statuses: list[DependencyStatus]) -> None:
        # Worst first: on a short screen the pane is one line, and that line is the news.
        ordered = sorted(statuses, key=lambda s: s.all_good)
        self.update(summary_text(ordered))
        bad = [s for s in statuses if not s.all_good]
        self.set_class(bool(bad), "-degraded")
        more = len(statuses) - 1
        self.border_subtitle = f"+{more} · F11" if more > 0 else ""


class DependenciesScreen(ModalScreen[None]):
    """Every status page with its degraded components and active incidents."""

    BINDINGS = [Binding("escape,f11,q", "dismiss", "Close", id="deps.close")]

    def __init__(self, statuses: list[DependencyStatus]) -> None:
        super().__init__()
        self.statuses = statuses

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="deps-dialog") as box:
            box.border_title = "Dependencies: third-party status pages"
            box.border_subtitle = "Esc to close"
            with VerticalScroll(classes="form"):
                yield Static(summary_text(self.statuses, detailed=True))
