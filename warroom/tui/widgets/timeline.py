"""The timeline: a line-API view that pages entries in from the store, so 100,000 are cheap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from warroom.domain.model import EntryKind, TimelineEntry
from warroom.domain.timefmt import hhmm, utc

MARGIN = 20
"""Entries read beyond the visible ones, each way: a few lines of scrolling need no read."""

_TAGS = {
    EntryKind.FINDING: "FINDING",
    EntryKind.ACTION: "ACTION",
    EntryKind.DECISION: "DECISION",
    EntryKind.TODO: "TODO",
}

Fetch = Callable[[int, int], list[TimelineEntry]]
Days = list[tuple[date, int]]
"""The UTC days a timeline covers, in order, with the number of entries on each."""


class TimelineView(ScrollView, can_focus=True):
    """Every entry, one line each, in time order. Only the visible page is read.

    When the timeline is not all from today (UTC), entries from other days show their date,
    and a separator line names each new day: lines and entries then differ by one line a
    day, which `_groups` maps.
    """

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "cursor(-20)", "Page up", show=False),
        Binding("pagedown", "cursor(20)", "Page down", show=False),
        Binding("home", "cursor_to(0)", "First", show=False),
        Binding("end", "cursor_to(-1)", "Last", show=False),
        Binding("enter", "open_entry", "Read", id="timeline.read", tooltip="Read the whole entry"),
    ]

    COMPONENT_CLASSES = {
        "timeline--time",
        "timeline--auto",
        "timeline--tag",
        "timeline--pin",
        "timeline--author",
        "timeline--cursor",
        "timeline--day",
    }

    DEFAULT_CSS = """
    TimelineView { height: 1fr; overflow-x: hidden; }
    TimelineView > .timeline--time { color: $text-muted; }
    TimelineView > .timeline--auto { color: $text-muted; text-style: italic; }
    TimelineView > .timeline--tag { color: $accent; text-style: bold; }
    TimelineView > .timeline--pin { color: $warning; text-style: bold; }
    TimelineView > .timeline--author { color: $text-muted; }
    TimelineView > .timeline--cursor { background: $boost; }
    TimelineView > .timeline--day { color: $accent; text-style: bold; }
    TimelineView:focus > .timeline--cursor { background: $accent 30%; }
    """

    cursor: reactive[int] = reactive(-1, repaint=True)
    """Index of the selected entry; -1 means "follow the newest"."""

    @dataclass
    class OpenEntry(Message):
        entry: TimelineEntry

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._fetch: Fetch | None = None
        self._count = 0
        self._cache: dict[int, TimelineEntry] = {}
        self._today: date | None = None
        """Set when some entry is not from today: then dates show (and `_groups` has days)."""
        self._groups: list[tuple[int, int, date]] = []
        """(first entry index, entries, day) per day, in order, when dates show."""
        # Rendered lines by what they show. An entry never changes but for its pin, so a new
        # entry (which moves every line up) re-renders one line, not the pane.
        self._strips: LRUCache[tuple[int, bool, int, int, int, date | None], Strip] = LRUCache(1024)

    @property
    def count(self) -> int:
        return self._count

    def load(
        self, fetch: Fetch | None, count: int, days: Days | None = None, today: date | None = None
    ) -> None:
        """Point the view at an incident's entries (or at nothing) and repaint. DAYS (with
        TODAY) when some entry is not from today: dates and day separators show."""
        following = self.cursor < 0 or self.cursor >= self._count - 1
        at_bottom = self.scroll_offset.y >= self.max_scroll_y
        self._fetch = fetch
        self._groups = []
        self._today = None
        if fetch and days and today is not None and any(day != today for day, _ in days):
            self._today = today
            start = 0
            for day, entries in days:
                self._groups.append((start, entries, day))
                start += entries
            count = start  # the days were read after the count: they are the newer figure
        self._count = count if fetch else 0
        self._cache.clear()
        self.virtual_size = Size(0, self.line_count)  # never scrolls sideways
        if following:
            self.cursor = -1
        if following or at_bottom:
            self._show_newest()
        self.refresh()

    @property
    def line_count(self) -> int:
        """Entries, and a separator line before each day but the first."""
        return self._count + max(0, len(self._groups) - 1)

    def line_of(self, index: int) -> int:
        """The line entry INDEX is shown on."""
        separators = sum(1 for start, _, _ in self._groups[1:] if start <= index)
        return index + separators

    def at_line(self, line: int) -> tuple[int | None, date | None]:
        """What line LINE shows: (entry index, None), or (None, day) for a day's separator."""
        for number, (start, _, day) in reversed(list(enumerate(self._groups))):
            first_line = start + number
            if line >= first_line:
                return line - number, None
            if number and line == first_line - 1:
                return None, day
        return line, None

    def _show_newest(self) -> None:
        """Scroll so the newest entry is on the bottom line, in this frame if laid out."""
        height = self.scrollable_content_region.height
        if height:
            self.scroll_to(y=max(0, self.line_count - height), animate=False, immediate=True)
        # Once laid out again (the first entry past the pane's height brings the scrollbar,
        # and with it a new maximum), make sure: a no-op when already at the end.
        self.call_after_refresh(self.scroll_end, animate=False, immediate=True)

    def entry_at(self, index: int) -> TimelineEntry | None:
        if not 0 <= index < self._count or self._fetch is None:
            return None
        if index not in self._cache:
            # Read what is on screen (the usual miss: after a load) or around the index.
            top = self.at_line(self.scroll_offset.y)[0] or 0
            height = max(1, self.scrollable_content_region.height)
            start = top if top <= index < top + height else index
            start = max(0, start - MARGIN)
            for offset, entry in enumerate(self._fetch(start, height + 2 * MARGIN), start):
                self._cache[offset] = entry
        return self._cache.get(index)

    @property
    def selected(self) -> TimelineEntry | None:
        index = self._count - 1 if self.cursor < 0 else self.cursor
        return self.entry_at(index)

    def on_resize(self) -> None:
        if self.cursor < 0:
            self._show_newest()

    def _format_time(self, at: datetime) -> str:
        at = utc(at)
        if self._today is None:
            return at.strftime("%H:%M")
        return at.strftime("%m-%d %H:%M" if at.date() != self._today else "      %H:%M")

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()  # a new theme or stylesheet: every line looks different

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index, day = self.at_line(self.scroll_offset.y + y)
        base = self.rich_style
        if day is not None:
            return self._day_line(day, width)
        entry = None if index is None else self.entry_at(index)
        if entry is None:
            return Strip.blank(width, base)
        selected = index == (self._count - 1 if self.cursor < 0 else self.cursor)
        highlighted = selected and self.has_focus or self.cursor == index
        highlight = (1 + self.has_focus) if highlighted else 0  # the cursor's style: focus
        key = (entry.id, entry.pinned, len(entry.revisions), highlight, width, self._today)
        strip = self._strips.get(key)
        if strip is None:
            line = self._line(entry)
            if highlighted:  # the selected entry's number, at the right: /edit N, /strike N
                number = Text(f" #{entry.id}", self.get_component_rich_style("timeline--time"))
                line.truncate(max(0, width - number.cell_len), overflow="ellipsis", pad=True)
                line.append_text(number)
            line.truncate(width, overflow="ellipsis")
            if highlighted:
                line.stylize(self.get_component_rich_style("timeline--cursor"))
            segments = list(line.render(self.app.console))
            strip = Strip(segments).extend_cell_length(width, base).crop(0, width)
            strip = self._strips[key] = strip.apply_style(base)
        return strip

    def _day_line(self, day: date, width: int) -> Strip:
        label = Text(f"── {day:%a %d %b %Y} (UTC) ", self.get_component_rich_style("timeline--day"))
        label.append(
            "─" * max(0, width - label.cell_len), self.get_component_rich_style("timeline--time")
        )
        label.truncate(width)
        strip = Strip(list(label.render(self.app.console)))
        return strip.extend_cell_length(width, self.rich_style).crop(0, width)

    def _line(self, entry: TimelineEntry) -> Text:
        style = self.get_component_rich_style
        text = Text(no_wrap=True, end="")
        text.append(self._format_time(entry.at), style("timeline--time"))
        text.append(" ")
        text.append("★ " if entry.pinned else "  ", style("timeline--pin"))
        tag = _TAGS.get(entry.kind)
        if tag:
            text.append(f"{tag} ", style("timeline--tag"))
        body = entry.shown_text.replace("\n", " ⏎ ")  # as corrected (the original is kept)
        body_style = style("timeline--auto") if entry.kind.is_automatic else Style()
        strike = entry.strike
        if strike is not None:
            body_style = body_style + Style(strike=True, dim=True)
        text.append(body, body_style)
        if entry.author:
            text.append(f"  @{entry.author}", style("timeline--author"))
        edit = entry.edit
        if edit is not None:
            by = f" by {edit.author}" if edit.author else ""
            text.append(f"  ✎ edited {hhmm(edit.at)}{by}", style("timeline--author"))
        if strike is not None:
            by = f" by {strike.author}" if strike.author else ""
            text.append(f"  ✗ struck{by}: {strike.reason}", style("timeline--pin"))
        return text

    def watch_cursor(self, cursor: int) -> None:
        if cursor >= 0:
            self.scroll_to_region_y(cursor)

    def scroll_to_region_y(self, index: int) -> None:
        index = self.line_of(index)
        top = self.scroll_offset.y
        height = self.scrollable_content_region.height
        if index < top:
            self.scroll_to(y=index, animate=False)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False)

    def action_cursor(self, delta: int) -> None:
        if not self._count:
            return
        current = self._count - 1 if self.cursor < 0 else self.cursor
        target = max(0, min(self._count - 1, current + delta))
        self.cursor = -1 if target == self._count - 1 else target

    def action_cursor_to(self, index: int) -> None:
        if self._count:
            self.cursor = -1 if index < 0 or index >= self._count - 1 else index
            if self.cursor < 0:
                self.scroll_end(animate=False)

    def action_open_entry(self) -> None:
        entry = self.selected
        if entry is not None:
            self.post_message(self.OpenEntry(entry))
