"""F1: every key and slash-command on one screen, and the runbook's Quick Links."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from warroom.commands import COMMANDS
from warroom.playbook.models import Link

KEYS: tuple[tuple[str, str], ...] = (
    ("Enter", "Log what you typed (the entry line always has focus)"),
    ("F1 / ?", "This help"),
    ("F2", "Declare a new incident"),
    ("F3", "Assign a role (handoffs are logged)"),
    ("F4", "Change severity"),
    ("F5", "Change status"),
    ("F6", "Compose a status update from the runbook's template; send restarts its clock"),
    ("F7", "Pin or unpin the selected (or last) entry"),
    ("F8", "Acknowledge"),
    ("F9", "Go to the checklist (Space/Enter ticks)"),
    ("F10", "Close the incident and write the review"),
    ("F12", "Outbox: messages to chat channels, sent or failed; r retries"),
    ("Ctrl+R", "Runbook: attach a scenario, start/apply a mitigation, root cause"),
    ("F11", "Third-party status pages (Stripe, Supabase, Vercel) in full"),
    ("Ctrl+E", "Write the review now (a draft while the incident is open)"),
    ("Ctrl+G", "Act on the most urgent late clock: draft its update, or acknowledge"),
    ("Ctrl+N", "Snooze a late clock: puts /snooze CLOCK 15m in the entry line; type why"),
    ("Tab / Shift+Tab", "Move between entry line, timeline and checklist"),
    ("Esc", "Back to the entry line"),
    ("Ctrl+P", "Command palette: every action by name"),
    ("Ctrl+Q", "Quit (everything is already saved)"),
)


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


def help_tables(links: Sequence[Link] = ()) -> Group:
    """Keys, slash-commands, and the playbook's Quick Links (by heading) when it has any."""
    from warroom.tui.screens.runbook import link_groups

    commands = [(spec.usage, spec.help) for spec in COMMANDS]
    commands.append(("//text", "Log a note that starts with /"))
    parts: list[Table | Text] = [
        _table("Keys", list(KEYS)),
        Text(""),
        _table("Commands, typed in the entry line", commands),
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

    def __init__(self, links: Sequence[Link] = ()) -> None:
        super().__init__()
        self.links = tuple(links)  # the playbook's Quick Links

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help-dialog") as box:
            box.border_title = "warroom help"
            box.border_subtitle = "Esc to close"
            with VerticalScroll():
                yield Static(help_tables(self.links), id="help-body")
