"""Compose: the runbook's messages, drafted from the record, edited, sent; and the outbox."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from warroom.comms.messages import Draft, MessageKind
from warroom.domain.messages import OutboxStatus
from warroom.domain.timefmt import hhmm
from warroom.store.outbox import OutboxItem
from warroom.tui.screens.dialogs import Dialog


@dataclass(frozen=True)
class Composed:
    kind: MessageKind
    text: str


class ComposeScreen(Dialog[Composed]):
    """Pick a template, edit its draft, Ctrl+S sends: recorded, copied, queued."""

    def __init__(
        self,
        render: Callable[[MessageKind], Draft],
        channels: Callable[[MessageKind], list[tuple[str, str | None]]],
        initial: MessageKind = MessageKind.STATUS_UPDATE,
        draft: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self._saved = dict(draft or {})  # kind -> text typed last time and not sent
        self.draft_for = render
        self.channels_for = channels  # a message's channels: (name, problem or None)
        self.kind = initial
        self._drafts: dict[MessageKind, str] = {}
        self._rendered: dict[MessageKind, str] = {}
        self._problems: dict[MessageKind, str] = {}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="compose-dialog") as box:
            box.border_title = "Compose status message"
            box.border_subtitle = "Ctrl+S send · Esc cancel · edits are kept per template"
            with Horizontal(id="compose-row"):
                yield OptionList(
                    *(Option(kind.label, id=kind.value) for kind in MessageKind), id="template"
                )
                with Vertical(id="compose-side"):
                    yield Static(id="channels")
                    yield Label("", id="problem")
            yield TextArea("", id="draft", soft_wrap=True, show_line_numbers=False)
            yield Label("", id="error")
            yield self.buttons("Send")

    def _channels_text(self, kind: MessageKind) -> Text:
        text = Text()
        text.append("Sends to: ", style="bold")
        channels = self.channels_for(kind)
        if not channels:
            readers = "customers" if kind.is_customer_facing else "the team"
            text.append(f"no channel for {readers} configured", style="dim")
            text.append(" (recorded and copied to the clipboard)", style="dim")
        for i, (name, problem) in enumerate(channels):
            text.append(", " if i else "")
            text.append(name, style="dim strike" if problem else "")
            if problem:
                text.append(f" ({problem})", style="yellow")
        return text

    def on_mount(self) -> None:
        self.show_error("")
        for button in self.query(Button):
            button.can_focus = False  # Tab out of the draft must not land on Send; Ctrl+S sends
        self.query_one("#problem", Label).display = False
        options = self.query_one("#template", OptionList)
        options.highlighted = list(MessageKind).index(self.kind)
        self._load(self.kind)
        self.query_one("#draft", TextArea).focus()

    def _load(self, kind: MessageKind) -> None:
        area = self.query_one("#draft", TextArea)
        if self.kind in self._rendered:
            self._drafts[self.kind] = area.text  # keep what was typed for this template
        self.kind = kind
        if kind not in self._drafts:
            draft = self.draft_for(kind)
            self._rendered[kind] = draft.text
            self._drafts[kind] = self._saved.pop(kind.value, draft.text)
            self._problems[kind] = str(draft.problem) if draft.problem else ""
        problem = self.query_one("#problem", Label)
        problem.update(Text(f"Your template was not used: {self._problems[kind]}"))
        problem.display = bool(self._problems[kind])
        area.load_text(self._drafts[kind])
        self.query_one("#channels", Static).update(self._channels_text(kind))

    @on(OptionList.OptionHighlighted, "#template")
    def _template_chosen(self, event: OptionList.OptionHighlighted) -> None:
        kind = MessageKind(event.option.id or MessageKind.STATUS_UPDATE.value)
        if kind is not self.kind:
            self._load(kind)

    @on(OptionList.OptionSelected, "#template")
    def _to_draft(self) -> None:
        self.query_one("#draft", TextArea).focus()

    def typed(self) -> dict[str, str]:
        """Each template's text where it was edited (and drafts not opened this time)."""
        self._drafts[self.kind] = self.query_one("#draft", TextArea).text
        edited = {
            kind.value: text
            for kind, text in self._drafts.items()
            if text != self._rendered.get(kind)
        }
        return {**self._saved, **edited}

    def submit(self) -> None:
        text = self.query_one("#draft", TextArea).text
        if not text.strip():
            self.show_error("The message is empty")
            return
        self.done(Composed(self.kind, text))


class OutboxScreen(ModalScreen[None]):
    """Every message queued for a channel: pending, sent, or failed with the reason."""

    BINDINGS = [
        Binding("escape,f12,q", "dismiss", "Close", id="outbox.close"),
        Binding("r", "retry", "Retry", id="outbox.retry", tooltip="Send the selected again"),
    ]

    @dataclass
    class Retry(Message):
        message_id: int

    def __init__(self, load: Callable[[], list[OutboxItem]]) -> None:
        super().__init__()
        self.load = load

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="outbox-dialog") as box:
            box.border_title = "Outbox"
            box.border_subtitle = "r retry the selected · Esc close"
            yield DataTable(id="outbox", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Queued", "Message", "Channel", "State", "Tries", "Why")
        self.refresh_rows()
        self.set_interval(1.0, self.refresh_rows)

    def refresh_rows(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for item in self.load():
            state = Text(item.status.value, style=_STATE_STYLE.get(item.status, ""))
            table.add_row(
                hhmm(item.created_at),
                Text(item.label),
                Text(item.channel),
                state,
                str(item.attempts),
                Text(item.last_error),
                key=str(item.id),
            )
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))

    def action_retry(self) -> None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if key is not None:
            self.post_message(self.Retry(int(key)))


_STATE_STYLE = {
    OutboxStatus.SENT: "green",
    OutboxStatus.FAILED: "bold red",
    OutboxStatus.PENDING: "yellow",
}
