"""The war room's panes: header, roles, checklist and the next-update clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Digits, OptionList, Static
from textual.widgets.option_list import Option

from warroom.domain.clocks import Clock, ClockKind, ClockState
from warroom.domain.incident import section_title
from warroom.domain.model import ChecklistItem, Incident, RoleAssignment
from warroom.domain.timefmt import countdown, hhmm, lateness
from warroom.playbook.models import Playbook

_SEVERITY_CLASSES = ("-sev1", "-sev2", "-sev3")

HEADER_CLOCK_NAMES = {
    ClockKind.INTERNAL_UPDATE: "internal update",
    ClockKind.STAKEHOLDER_UPDATE: "stakeholder update",
    ClockKind.ACKNOWLEDGE: "ack",
    ClockKind.RESOLVE: "SLA",
    ClockKind.CUSTOMER_COMMS: "customer comms",
}


@dataclass(frozen=True)
class OtherAlert:
    """The worst late clock of an open incident that is not the one shown."""

    incident: Incident
    severity_name: str
    clock: Clock

    @property
    def text(self) -> str:
        """ "INC-2026-11-27-3 SEV-1: ack LATE 2m, /switch"."""
        late = lateness(-self.clock.remaining)
        name = HEADER_CLOCK_NAMES[self.clock.kind]
        return f"{self.incident.id} {self.severity_name}: {name} LATE {late}, /switch"


class IncidentHeader(Static):
    """ID, title, severity, status and elapsed time: the one line everyone reads first."""

    def show(
        self,
        incident: Incident | None,
        playbook: Playbook,
        now: datetime,
        read_only: bool = False,
        others_open: int = 0,
        other_alert: OtherAlert | None = None,
        overdue: str = "",
        unreachable: str = "",
    ) -> None:
        """OVERDUE: "N action items overdue", said when no incident is open ("" : none).
        UNREACHABLE: "database unreachable ..." while the database cannot be reached."""
        self.remove_class(*_SEVERITY_CLASSES)
        if incident is None:
            hint = "waiting for one" if read_only else "F2 declares one"
            text = Text(f" warroom  ·  no open incident  ·  {hint}", style="bold")
            if other_alert is not None:
                text.append("  ")
                text.append(f" {other_alert.text} ", style="bold reverse")
            if overdue:
                text.append("  ")
                text.append(f" {overdue}: /overdue ", style="bold reverse")
            if unreachable:
                text.append("  ")
                text.append(f" {unreachable} ", style="bold reverse")
            self.update(text)
            return
        sev = playbook.severity(incident.severity)
        self.add_class(f"-sev{min(sev.level, 3)}")
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f" {incident.id} ", style="bold")
        text.append(" ")
        text.append(f" {sev.name} ", style="bold reverse")
        text.append(f" {incident.status.value.upper()} ", style="bold")
        text.append(f" T+{countdown(incident.elapsed(now))} ")
        if read_only:
            text.append(" READ-ONLY ", style="bold reverse")
        if unreachable:
            text.append(f" {unreachable} ", style="bold reverse")
        if other_alert is not None:  # another incident is late: it goes before the title
            text.append(f" {other_alert.text} ", style="bold reverse")
        elif others_open:
            text.append(f" +{others_open} OPEN: /switch ", style="bold reverse")
        if overdue:
            text.append(f" {overdue}: /overdue ", style="bold reverse")
        text.append(" ")
        text.append(incident.title)
        self.update(text)


class RolesPane(Static):
    """Who holds IC, Ops, Dev and Comms right now."""

    NAME_WIDTH = 14
    """Names are padded to the longest (up to this) so that the "since" times line up."""

    def show(
        self,
        playbook: Playbook,
        roles: dict[str, RoleAssignment],
        nudged: frozenset[str] = frozenset(),
    ) -> None:
        """`nudged`: role keys the runbook wants filled by now (shown loud, not dim)."""
        text = Text(no_wrap=True, overflow="ellipsis")
        width = max((len(r.short) for r in playbook.roles), default=0)
        names = [f"@{h.person}" for h in roles.values()]
        name_width = min(self.NAME_WIDTH, max((len(n) for n in names), default=0))
        for i, role in enumerate(playbook.roles):
            if i:
                text.append("\n")
            text.append(f"{role.short:<{width}}  ", style="bold")
            holder = roles.get(role.key)
            if holder is None:
                if role.key in nudged:
                    text.append("UNASSIGNED: F3", style="bold yellow")
                else:
                    text.append("unassigned", style="dim italic")
            else:
                text.append(f"{'@' + holder.person:<{name_width}}")
                text.append(f"  since {hhmm(holder.assigned_at)}", style="dim")
        self.update(text)


class ChecklistPane(OptionList):
    """The triage checklist; Enter or Space ticks the highlighted item."""

    BINDINGS = [
        Binding("space", "select", "Tick", id="checklist.tick", tooltip="Tick or untick"),
    ]
    OWN_KEYS = frozenset({"space"})
    """Printable keys the pane keeps; any other text typed here goes to the entry line."""

    @dataclass
    class Toggled(Message):
        item_id: int
        done: bool

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._items: dict[str, ChecklistItem] = {}
        self.numbers: dict[int, int] = {}
        """Item number as shown (1-based) -> item id, for `/tick N`."""

    def show(self, playbook: Playbook, items: list[ChecklistItem]) -> None:
        if list(self._items.values()) == items and self.option_count:
            return  # unchanged: rebuilding would cost a full layout on every Enter
        highlighted = self.highlighted
        self._items = {str(item.id): item for item in items}
        self.numbers = {}
        options: list[Option] = []
        section = None
        for number, item in enumerate(items, 1):
            if item.section != section:
                section = item.section
                title = Text(section_title(playbook, section), style="bold underline")
                options.append(Option(title, id=f"section:{section}", disabled=True))
            self.numbers[number] = item.id
            mark = Text()
            mark.append(f"{number:>2} ", style="dim")
            mark.append("[x]" if item.done else "[ ]", style="bold green" if item.done else "")
            body = Text(item.text, style="dim" if item.done else "")
            if item.done and item.done_at:
                body.append(f"  {item.done_by or '?'} {hhmm(item.done_at)}", style="italic")
            # A grid gives wrapped lines a hanging indent under the item's text.
            prompt = Table.grid(padding=(0, 1), expand=True)
            prompt.add_column(no_wrap=True)
            prompt.add_column(ratio=1)
            prompt.add_row(mark, body)
            options.append(Option(prompt, id=str(item.id)))
        self.clear_options()
        self.add_options(options)
        if highlighted is not None and highlighted < self.option_count:
            self.highlighted = highlighted
        done = sum(item.done for item in items)
        self.border_title = f"Checklist {done}/{len(items)}" if items else "Checklist"

    def highlight_next_open(self) -> None:
        """Highlight the first unticked item (headings cannot be highlighted)."""
        current = self.highlighted
        if current is not None and not self.get_option_at_index(current).disabled:
            return
        for index in range(self.option_count):
            option = self.get_option_at_index(index)
            item = self._items.get(option.id or "")
            if item is not None and not item.done:
                self.highlighted = index
                return

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        item = self._items.get(event.option.id or "")
        if item is not None:
            self.post_message(self.Toggled(item.id, not item.done))


class NextUpdatePane(Vertical):
    """The countdown to the next internal update, large, and the other clocks below it."""

    def compose(self) -> ComposeResult:
        yield Digits("--:--", id="countdown")
        yield Static(id="due-line")
        yield Static(id="main-line")  # instead of the two above on a short screen (80x24)
        yield Static(id="other-clocks")

    def show(self, clocks: list[Clock]) -> None:
        self.remove_class("-warning", "-overdue", "-stopped", "-snoozed")
        digits = self.query_one("#countdown", Digits)
        due_line = self.query_one("#due-line", Static)
        others = self.query_one("#other-clocks", Static)
        if not clocks:
            digits.update("--:--")
            due_line.update("")
            self.query_one("#main-line", Static).update("")
            others.update(Text("No open incident", style="dim"))
            return
        main, rest = clocks[0], clocks[1:]
        state_class = {
            ClockState.WARNING: "-warning",
            ClockState.OVERDUE: "-overdue",
            ClockState.STOPPED: "-stopped",
        }.get(main.state)
        if main.snoozed:
            state_class = "-snoozed"
        if state_class:
            self.add_class(state_class)
        digits.update(
            countdown(main.remaining) if main.state is not ClockState.STOPPED else "--:--"
        )
        due_line.update(_due_text(main))
        compact = Text(no_wrap=True, overflow="ellipsis")
        compact.append(f"{main.short_label:<13}", style="bold")
        compact.append_text(_clock_value(main))
        self.query_one("#main-line", Static).update(compact)
        lines = Text(no_wrap=True, overflow="ellipsis")
        for i, clock in enumerate(rest):
            if i:
                lines.append("\n")
            lines.append(f"{clock.short_label:<13}", style="bold")
            lines.append_text(_clock_value(clock))
            if clock.snoozed_until is not None:
                lines.append("\n")
                lines.append_text(_snoozed_text(clock, indent="  "))
        others.update(lines)


def _when(clock: Clock) -> str:
    """The due time, with its date when that is not today (SEV-3's daily clocks)."""
    assert clock.due_at is not None
    now = clock.due_at - timedelta(seconds=clock.remaining)
    if clock.due_at.date() != now.date():
        return clock.due_at.strftime("%a %H:%M")
    return hhmm(clock.due_at)


def _snoozed_text(clock: Clock, indent: str = "") -> Text:
    """ "snoozed until 10:45: waiting on Stripe" (the reason is the IC's text: plain)."""
    assert clock.snoozed_until is not None
    text = Text(f"{indent}snoozed until {hhmm(clock.snoozed_until)}", style="yellow")
    if clock.snooze_reason:
        text.append(f": {clock.snooze_reason}", style="italic")
    return text


def _due_text(clock: Clock) -> Text:
    if clock.state is ClockState.STOPPED:
        return Text("Internal updates stopped: resolved", style="dim")
    assert clock.due_at is not None
    if clock.state is ClockState.OVERDUE:
        late = lateness(-clock.remaining)
        if clock.snoozed:
            text = Text(f"Internal update {late} LATE\n", style="bold")
            return text.append_text(_snoozed_text(clock))
        return Text(f"Internal update {late} LATE · F6", style="bold")
    if clock.snoozed:
        text = Text(f"Internal update due {_when(clock)} UTC\n")
        return text.append_text(_snoozed_text(clock))
    return Text(f"Internal update due {_when(clock)} UTC")


def _clock_value(clock: Clock) -> Text:
    if clock.state is ClockState.MET:
        return Text(f"done ({clock.note})" if clock.note else "done", style="green")
    if clock.state is ClockState.STOPPED or clock.due_at is None:
        return Text("stopped", style="dim")
    face = countdown(clock.remaining)
    due = _when(clock)
    if clock.state is ClockState.OVERDUE:
        style = "bold yellow" if clock.snoozed else "bold red"
        return Text(f"LATE {lateness(-clock.remaining)} ({due})", style=style)
    if clock.state is ClockState.WARNING and not clock.snoozed:
        return Text(f"{face} (due {due})", style="bold yellow")
    return Text(f"{face} (due {due})")
