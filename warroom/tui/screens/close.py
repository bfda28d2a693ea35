"""Closing: ask for what the record cannot tell, then the review is written."""

from __future__ import annotations

from dataclasses import dataclass, fields

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, TextArea

from warroom.domain.model import ReviewNotes
from warroom.domain.notation import parse_action_item
from warroom.tui.screens.dialogs import Dialog

QUESTIONS: dict[str, str] = {
    "root_cause": "Root cause",
    "contributing_factors": "Contributing factors (one per line)",
    "resolution": "Resolution: what was done",
    "verification": "Verification: how we confirmed it (one per line)",
    "went_well": "What went well (one per line)",
    "improvements": "What could be improved (one per line)",
    "prevention_short_term": "Prevention, short-term < 1 week (one per line)",
    "prevention_long_term": "Prevention, long-term < 1 month (one per line)",
    "monitoring": "Monitoring to add (one per line)",
    "lessons": "Lessons learned",
    "revenue_impact": "Revenue impact",
    "review_meeting": "Review meeting (date and time)",
}


@dataclass(frozen=True)
class Closing:
    notes: ReviewNotes
    action_items: list[tuple[str, str, str]]  # (priority, owner, text)


class CloseScreen(Dialog[Closing]):
    """Every answer is optional; Ctrl+S closes the incident and writes the review."""

    def __init__(
        self,
        notes: ReviewNotes,
        incident_id: str,
        priorities: list[str],
        warning: str = "",
        draft: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.notes = notes
        self.draft = draft or {}
        self.incident_id = incident_id
        self.priorities = priorities
        self.warning = warning

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="close-dialog") as box:
            box.border_title = f"Close {self.incident_id}: post-incident review"
            box.border_subtitle = "Ctrl+S close and export · Esc cancel · all optional"
            if self.warning:
                yield Label(Text(self.warning), id="close-warning")
            with VerticalScroll(id="close-form", classes="form"):
                for name in (f.name for f in fields(ReviewNotes)):
                    yield Label(QUESTIONS.get(name, name), classes="field")
                    answer = self.draft.get(name, getattr(self.notes, name))
                    yield TextArea(answer, id=name, classes="answer")
                yield Label(
                    "Action items, one per line: P0-P3 @owner what to do "
                    "(due: P0 48 h, P1 1 week, P2 2 weeks, P3 1 month)",
                    classes="field",
                )
                items = self.draft.get("action_items", "")
                yield TextArea(items, id="action_items", classes="answer")
            yield Label("", id="error")
            yield self.buttons("Close incident")

    def on_mount(self) -> None:
        self.show_error("")
        self.query_one(f"#{fields(ReviewNotes)[0].name}", TextArea).focus()

    def typed(self) -> dict[str, str]:
        names = [f.name for f in fields(ReviewNotes)] + ["action_items"]
        return {name: self.query_one(f"#{name}", TextArea).text for name in names}

    def submit(self) -> None:
        values = {f.name: self.query_one(f"#{f.name}", TextArea).text for f in fields(ReviewNotes)}
        items: list[tuple[str, str, str]] = []
        lines = self.query_one("#action_items", TextArea).text.splitlines()
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                item = parse_action_item(line)
                if item[0] not in self.priorities:
                    known = ", ".join(self.priorities)
                    raise ValueError(f"no priority {item[0]} (one of: {known})")
            except ValueError as error:
                self.show_error(f"Action items line {number}: {error}")
                self.query_one("#action_items", TextArea).focus()
                return
            items.append(item)
        self.done(Closing(ReviewNotes(**values), items))
