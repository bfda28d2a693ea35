"""F1: every key and slash-command on one screen, and the runbook's Quick Links."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from warroom.playbook.models import Link
from warroom.tui.actions import ACTIONS, key_label

ENTER = ("Enter", "Log what you typed (the entry line always has focus)")


def key_rows(labels: Mapping[str, str]) -> list[tuple[str, str]]:
    """The keys table: Enter, then every action with a key, as LABELS (by id) show them."""
    return [ENTER] + [(labels[spec.id], spec.help) for spec in ACTIONS if labels.get(spec.id)]


def command_rows() -> list[tuple[str, str]]:
    """The slash-commands table, from the action table."""
    rows = [(slash.usage, slash.help or spec.help) for spec in ACTIONS for slash in spec.slashes]
    return [*rows, ("//text", "Log a note that starts with /")]


def _table(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", box=None, padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(ratio=1)
    for left, right in rows:
        table.add_row(Text(left), Text(right))  # "[TEXT]" is literal here, not markup
    return table


def _links_table(title: str, links: Sequence[Link]) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", box=None, padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(ratio=1)
    for link in links:
        url = link.url
        style = f"link {url}" if url.startswith(("https://", "http://")) else ""
        table.add_row(Text(link.name), Text(url, style=style))
    return table


def help_tables(links: Sequence[Link] = (), labels: Mapping[str, str] | None = None) -> Group:
    """Keys, slash-commands, and the playbook's Quick Links (by heading) when it has any.
    LABELS: each action's keys as shown (the user's keymap applied); else the table's."""
    from warroom.tui.screens.runbook import link_groups

    if labels is None:
        labels = {spec.id: key_label(spec.keys) for spec in ACTIONS if spec.keys}
    parts: list[Table | Text] = [
        _table("Keys", key_rows(labels)),
        Text(""),
        _table("Commands, typed in the entry line", command_rows()),
    ]
    for group, members in link_groups(links):
        parts += [
            Text(""),
            _links_table(f"Quick links: {group}" if group else "Quick links", members),
        ]
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,f1,q,question_mark", "dismiss", "Close help", id="help.close"),
    ]

    def __init__(self, links: Sequence[Link] = (), labels: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.links = tuple(links)  # the playbook's Quick Links
        self.labels = labels

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help-dialog") as box:
            box.border_title = "warroom help"
            box.border_subtitle = "Esc to close"
            with VerticalScroll():
                yield Static(help_tables(self.links, self.labels), id="help-body")
