"""Modal dialogs: declare, pick one of several, assign a role, read an entry."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from warroom.domain.model import Now, RoleAssignment, TimelineEntry
from warroom.domain.timefmt import cadence, hhmm, parse_when, stamp
from warroom.playbook.models import Playbook, Role, Severity


class Dialog(ModalScreen[object]):
    """Escape cancels; Ctrl+S submits. Errors show inside the dialog and nothing is lost."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("ctrl+s", "submit", "Submit", id="dialog.submit", priority=True),
    ]

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_submit(self) -> None:
        raise NotImplementedError

    def show_error(self, message: str) -> None:
        error = self.query_one("#error", Label)
        error.update(Text(message))  # a message may quote user text: never markup
        error.display = bool(message)

    def buttons(self, submit_label: str) -> Horizontal:
        return Horizontal(
            Button(submit_label, variant="primary", id="submit"),
            Button("Cancel", id="cancel"),
            classes="buttons",
        )

    @on(Button.Pressed, "#submit")
    def _submit_pressed(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()


def severity_help(sev: Severity) -> Text:
    text = Text()
    text.append(f"{sev.name}: {sev.title}\n", style="bold")
    text.append(f"{sev.definition}\n\n")
    text.append("Examples:\n", style="bold")
    for example in sev.examples:
        text.append(f"  • {example}\n")
    text.append("\nResponse: ", style="bold")
    text.append(f"{sev.response_time}   ")
    text.append("SLA: ", style="bold")
    text.append(f"resolve within {sev.resolve_minutes // 60} h\n")
    text.append("Updates: ", style="bold")
    text.append(
        f"internal every {cadence(sev.internal_update_minutes)}, "
        f"stakeholders every {cadence(sev.stakeholder_update_minutes)}\n"
    )
    text.append(sev.customer_comms, style="italic")
    return text


@dataclass(frozen=True)
class Declaration:
    title: str
    severity: int
    impact_users: str
    impact_features: str
    detected: str


class DeclareScreen(Dialog):
    """Declare an incident: title, severity (with the runbook's definitions), impact."""

    def __init__(self, playbook: Playbook, clock: Now, error: str = "") -> None:
        super().__init__()
        self.playbook = playbook
        self.clock = clock
        self._initial_error = error

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="declare-dialog") as box:
            box.border_title = "Declare incident"
            box.border_subtitle = "Ctrl+S declare · Esc cancel"
            with VerticalScroll(classes="form"):
                yield Label("Title", classes="field")
                yield Input(placeholder="What is broken, in a few words", id="title")
                yield Label("Severity", classes="field")
                with Horizontal(id="severity-row"):
                    yield OptionList(
                        *(
                            Option(Text(f"{s.name} {s.title}"), id=str(s.level))
                            for s in self.playbook.severities
                        ),
                        id="severity",
                    )
                    yield Static(id="severity-help")
                with Horizontal(classes="pair"):
                    with Vertical():
                        yield Label("Users affected", classes="field")
                        yield Input(placeholder="e.g. ~10% of bookings", id="users")
                    with Vertical():
                        yield Label("Features affected", classes="field")
                        yield Input(placeholder="e.g. payments, sign-in", id="features")
                yield Label("Detected at (HH:MM UTC, optional)", classes="field")
                yield Input(placeholder="now", id="detected")
            yield Label(Text(self._initial_error), id="error")
            yield self.buttons("Declare")

    def on_mount(self) -> None:
        options = self.query_one("#severity", OptionList)
        options.highlighted = 0
        self.show_error(self._initial_error)
        self.query_one("#title", Input).focus()

    @on(OptionList.OptionHighlighted, "#severity")
    def _severity_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        sev = self.playbook.severity(int(event.option.id or "1"))
        self.query_one("#severity-help", Static).update(severity_help(sev))

    @on(OptionList.OptionSelected, "#severity")
    def _severity_chosen(self) -> None:
        self.focus_next()

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        if event.input.id == "detected":
            self.action_submit()
        else:
            self.focus_next()

    def action_submit(self) -> None:
        title = self.query_one("#title", Input).value.strip()
        if not title:
            self.show_error("A title is needed: what is broken?")
            self.query_one("#title", Input).focus()
            return
        highlighted = self.query_one("#severity", OptionList).highlighted_option
        if highlighted is None:
            self.show_error("Choose a severity")
            return
        detected = self.query_one("#detected", Input).value.strip()
        if detected:
            try:
                parse_when(detected, self.clock())
            except ValueError as error:
                self.show_error(str(error))
                self.query_one("#detected", Input).focus()
                return
        self.dismiss(
            Declaration(
                title=title,
                severity=int(highlighted.id or "3"),
                impact_users=self.query_one("#users", Input).value,
                impact_features=self.query_one("#features", Input).value,
                detected=detected,
            )
        )


class ChoiceScreen(Dialog):
    """Pick one option; the highlighted option's description shows beside the list."""

    def __init__(
        self, title: str, choices: list[tuple[str, str, Text | str]], current: str | None = None
    ) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="choice-dialog") as box:
            box.border_title = self.title_text
            box.border_subtitle = "Enter choose · Esc cancel"
            with Horizontal(id="choice-row"):
                yield OptionList(
                    *(Option(Text(label), id=key) for key, label, _ in self.choices),
                    id="choices",
                )
                yield Static(id="choice-help")
            yield Label("", id="error")
            yield self.buttons("Choose")

    def on_mount(self) -> None:
        options = self.query_one("#choices", OptionList)
        keys = [key for key, _, _ in self.choices]
        options.highlighted = keys.index(self.current) if self.current in keys else 0
        self.show_error("")
        options.focus()

    @on(OptionList.OptionHighlighted, "#choices")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        help_text = {key: text for key, _, text in self.choices}.get(event.option.id or "", "")
        shown = Text(help_text) if isinstance(help_text, str) else help_text
        self.query_one("#choice-help", Static).update(shown)

    @on(OptionList.OptionSelected, "#choices")
    def _chosen(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        option = self.query_one("#choices", OptionList).highlighted_option
        self.dismiss(option.id if option else None)


def role_help(role: Role, holder: RoleAssignment | None) -> Text:
    text = Text()
    text.append(f"{role.name} ({role.short})\n", style="bold")
    if holder:
        text.append(f"Now: @{holder.person} since {hhmm(holder.assigned_at)} UTC\n", style="italic")
    else:
        text.append("Now: unassigned\n", style="italic dim")
    text.append("\nResponsibilities:\n", style="bold")
    for line in role.responsibilities:
        text.append(f"  • {line}\n")
    if role.tools:
        text.append("\nTools: ", style="bold")
        text.append(", ".join(role.tools))
    return text


class RoleScreen(Dialog):
    """Assign a role, seeing its responsibilities; replacing the holder is a handoff."""

    def __init__(
        self, playbook: Playbook, roles: dict[str, RoleAssignment], role: str | None = None
    ) -> None:
        super().__init__()
        self.playbook = playbook
        self.roles = roles
        self.initial_role = role

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="role-dialog") as box:
            box.border_title = "Assign role"
            box.border_subtitle = "Ctrl+S assign · Esc cancel"
            with Horizontal(id="role-row"):
                yield OptionList(*(self._option(r) for r in self.playbook.roles), id="role")
                yield Static(id="role-help")
            yield Label("Name", classes="field")
            yield Input(placeholder="who takes the role", id="person")
            yield Label("", id="error")
            yield self.buttons("Assign")

    def _option(self, role: Role) -> Option:
        holder = self.roles.get(role.key)
        label = Text(f"{role.short:<6}", style="bold")
        label.append(f"@{holder.person}" if holder else "unassigned", style="" if holder else "dim")
        return Option(label, id=role.key)

    def on_mount(self) -> None:
        keys = [r.key for r in self.playbook.roles]
        options = self.query_one("#role", OptionList)
        options.highlighted = keys.index(self.initial_role) if self.initial_role in keys else 0
        self.show_error("")
        options.focus()

    @on(OptionList.OptionHighlighted, "#role")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        role = self.playbook.role(event.option.id or "")
        self.query_one("#role-help", Static).update(role_help(role, self.roles.get(role.key)))

    @on(OptionList.OptionSelected, "#role")
    def _chosen(self) -> None:
        self.query_one("#person", Input).focus()

    @on(Input.Submitted, "#person")
    def _person_entered(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        person = self.query_one("#person", Input).value.strip().lstrip("@")
        option = self.query_one("#role", OptionList).highlighted_option
        if not person:
            self.show_error("Type the person's name")
            self.query_one("#person", Input).focus()
            return
        if option is None:
            self.show_error("Choose a role")
            return
        self.dismiss((option.id, person))


class EntryScreen(Dialog):
    """One timeline entry in full (the timeline shows one line of each)."""

    def __init__(self, entry: TimelineEntry) -> None:
        super().__init__()
        self.entry = entry

    def compose(self) -> ComposeResult:
        entry = self.entry
        with Vertical(classes="dialog", id="entry-dialog") as box:
            box.border_title = f"Entry #{entry.id}"
            meta = f"{stamp(entry.at)} · {entry.kind.value}"
            if entry.author:
                meta += f" · @{entry.author}"
            if entry.pinned:
                meta += " · pinned"
            yield Label(Text(meta), classes="field")
            with VerticalScroll():
                yield Static(Text(entry.text), id="entry-text")
            yield Label("", id="error")
            yield Horizontal(Button("Close", variant="primary", id="cancel"), classes="buttons")

    def on_mount(self) -> None:
        self.show_error("")

    def action_submit(self) -> None:
        self.dismiss(None)
