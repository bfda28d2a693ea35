"""The entry line: where the IC types. Every Enter is one line, taken the moment it is read.

Keys reach a widget through its own message queue, and a burst (a paste, a fast typist, a
script driving a terminal) queues many keys before any handler elsewhere has run. So the
line is taken and cleared here, in the queue that holds the keys, and handed on in a
message that carries the text: the keys after an Enter start a new line, whatever the war
room is doing with the last one.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input

HISTORY = 200
"""Lines kept for Up/Down recall (this session only: the record is in the database)."""


class EntryLine(Input):
    """One line, Enter submits it; `?` on an empty line opens help; Up/Down recall."""

    BINDINGS = [
        Binding("up", "recall(-1)", "Previous line", show=False),
        Binding("down", "recall(1)", "Next line", show=False),
    ]

    @dataclass
    class Line(Message):
        """A submitted line. The entry line is already empty when this is posted."""

        entry_line: EntryLine
        text: str

        @property
        def control(self) -> EntryLine:
            return self.entry_line

    @dataclass
    class Pasted(Message):
        """A paste of several lines: the war room decides (and asks) what they become."""

        entry_line: EntryLine
        lines: list[str]

        @property
        def control(self) -> EntryLine:
            return self.entry_line

    class HelpRequested(Message):
        """`?` typed on an empty line."""

    def __init__(self, *, placeholder: str = "", id: str | None = None) -> None:
        super().__init__(placeholder=placeholder, id=id)
        self.history: list[str] = []
        self._recall_index: int | None = None

    def on_mount(self) -> None:
        # With animations off (drills, tests, slow links) the cursor does not blink either.
        self.cursor_blink = self.app.animation_level != "none"

    def on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.submit_line()
        elif event.character == "?" and not self.value:
            event.stop()
            event.prevent_default()
            self.post_message(self.HelpRequested())

    def submit_line(self) -> None:
        """Take the line, clear it, and post it (nothing is posted for a blank line)."""
        text = self.value
        self.value = ""
        self._recall_index = None
        if not text.strip():
            return
        self.remember(text)
        self.post_message(self.Line(self, text))

    def remember(self, text: str) -> None:
        if not self.history or self.history[-1] != text:
            self.history.append(text)
            del self.history[:-HISTORY]

    def on_paste(self, event: events.Paste) -> None:
        """A paste of one line is typed in; several lines are handed to the war room whole
        (Input would keep only the first)."""
        text = event.text.replace("\r\n", "\n").replace("\r", "\n")
        if "\n" not in text.strip("\n"):
            return  # Input inserts it
        event.stop()
        event.prevent_default()
        cursor = self.cursor_position
        combined = self.value[:cursor] + text + self.value[cursor:]
        lines = [line for line in combined.split("\n") if line.strip()]
        self.value = ""
        self.post_message(self.Pasted(self, lines))

    def restore(self, text: str) -> bool:
        """Put back a line that could not be done, selected (typing replaces it, an arrow key
        edits it), unless something new is already being typed. Whether it was put back."""
        if self.value:
            return False
        self.value = text
        self.select_all()
        return True

    def action_recall(self, step: int) -> None:
        if not self.history:
            return
        index = len(self.history) if self._recall_index is None else self._recall_index
        index = max(0, min(len(self.history), index + step))
        self._recall_index = None if index == len(self.history) else index
        self.value = "" if self._recall_index is None else self.history[index]
        self.cursor_position = len(self.value)
