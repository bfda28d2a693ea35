"""Who owns the action item? Asked when `/item` names nobody (`/item P1 @owner TEXT`)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label

from warroom.tui.screens.dialogs import Dialog

__all__ = ["OwnerScreen"]


class OwnerScreen(Dialog[str]):
    """The owner's name: Enter records it; Enter on an empty field records the item
    unassigned (the review lists it); Esc adds nothing (the item goes back to the entry
    line, as typed)."""

    def __init__(self, priority: str, text: str) -> None:
        super().__init__()
        self.priority = priority
        self.item_text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="owner-dialog") as box:
            box.border_title = "Who owns it?"
            box.border_subtitle = "Enter records · empty: unassigned · Esc back to the line"
            yield Label(Text(f"Action item {self.priority}: {self.item_text}"), classes="field")
            yield Input(placeholder="owner's name (empty: unassigned)", id="owner")
            yield Label("", id="error")
            yield self.buttons("Add item")

    def on_mount(self) -> None:
        self.show_error("")
        self.query_one("#owner", Input).focus()

    @on(Input.Submitted, "#owner")
    def _entered(self) -> None:
        self.action_submit()

    def submit(self) -> None:
        owner = self.query_one("#owner", Input).value.strip().lstrip("@").strip()
        self.done(owner)
