"""The yardstick: a bare Textual app with warroom's panes and layout, and no store.

Header, a "Timeline" Log (a ScrollView with the line API, like warroom's TimelineView), the
entry Input, a "Next update" pane with Digits, a Roles Static, a Checklist OptionList of the
same size as a SEV-2 checklist, and the Footer with warroom's ten function-key bindings.
Enter echoes the typed line into the timeline as `HH:MM   TEXT  @bench` and clears the
input, which is what warroom shows for a note (without the database write and reload).

Run: python bench/_baseline_app.py [--title TITLE]. Imports nothing from warroom.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Digits, Footer, Input, Log, OptionList, Static
from textual.widgets.option_list import Option

CSS = """
Screen { layout: vertical; }
#header { height: 1; width: 100%; background: $warning 60%; color: $text; }
#main { height: 1fr; }
#left { width: 1fr; }
#right { width: 44; }
#timeline, #next-update, #roles, #checklist, #entry {
    border: round $primary 60%;
    border-title-color: $text;
    border-title-style: bold;
    background: $surface;
}
#timeline:focus, #checklist:focus, #entry:focus { border: round $accent; }
#timeline { height: 1fr; }
#entry { height: 3; }
#next-update { height: auto; padding: 0 1; }
#countdown { width: 100%; text-align: center; color: $success; }
#due-line { text-align: center; color: $text-muted; }
#other-clocks { margin-top: 1; }
#roles { height: auto; padding: 0 1; }
#checklist { height: 1fr; min-height: 4; }
"""

SECTIONS = {
    "Quick Start": 9,
    "First 5 minutes": 6,
    "Triage questions": 5,
    "SEV-2 actions": 6,
}


def _now() -> str:
    return datetime.now(UTC).strftime("%H:%M")


class BaselineApp(App[int]):
    CSS = CSS
    BINDINGS = [
        Binding(f"f{n}", f"noop({n})", label, id=f"k{n}")
        for n, label in enumerate(
            [
                "Help",
                "Declare",
                "Assign",
                "Sev",
                "Status",
                "Update sent",
                "Pin",
                "Ack",
                "Checklist",
                "Close",
            ],
            1,
        )
    ]

    def __init__(self, title: str = "Baseline incident") -> None:
        super().__init__()
        self.incident_title = title
        self.seconds = 30 * 60

    def compose(self) -> ComposeResult:
        yield Static(id="header")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                timeline = Log(id="timeline", auto_scroll=True)
                timeline.border_title = "Timeline"
                yield timeline
                entry = Input(placeholder="Type what happened, Enter logs it", id="entry")
                entry.border_title = "Log"
                yield entry
            with Vertical(id="right"):
                with Vertical(id="next-update") as next_update:
                    next_update.border_title = "Next update"
                    yield Digits("30:00", id="countdown")
                    yield Static("Internal update due 10:30 UTC", id="due-line")
                    yield Static(
                        "Stakeholders 59:56 (due 10:11)\nAcknowledge  14:56 (due 09:26)\n"
                        "Resolve SLA  03:59:56 (due 13:11)\nCustomers    stopped",
                        id="other-clocks",
                    )
                roles = Static(
                    "IC     unassigned\nOps    unassigned\nDev    unassigned\nComms  unassigned",
                    id="roles",
                )
                roles.border_title = "Roles"
                yield roles
                checklist = OptionList(id="checklist")
                checklist.border_title = "Checklist"
                yield checklist
        yield Footer()

    def on_mount(self) -> None:
        header = Text(no_wrap=True, overflow="ellipsis")
        header.append(" INC-BASELINE-1 ", style="bold")
        header.append("  SEV-2  INVESTIGATING  T+00:00  ")
        header.append(self.incident_title)
        self.query_one("#header", Static).update(header)
        options: list[Option] = []
        number = 0
        for section, count in SECTIONS.items():
            options.append(Option(Text(section, style="bold underline"), disabled=True))
            for _ in range(count):
                number += 1
                options.append(Option(f"{number:>2} [ ] Checklist item {number}: check the thing"))
        self.query_one(OptionList).add_options(options)
        self.query_one(Log).write_line(f"{_now()}   Incident declared: {self.incident_title}")
        self.set_interval(1.0, self.tick)
        self.query_one(Input).focus()

    def tick(self) -> None:
        self.seconds -= 1
        minutes, seconds = divmod(self.seconds, 60)
        self.query_one(Digits).update(f"{minutes:02}:{seconds:02}")

    def action_noop(self, key: int) -> None:
        pass

    @on(Input.Submitted, "#entry")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.query_one(Log).write_line(f"{_now()}   {event.value}  @bench")
            event.input.value = ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--title", default="Baseline incident")
    args = parser.parse_args()
    return BaselineApp(args.title).run() or 0


if __name__ == "__main__":
    raise SystemExit(main())
