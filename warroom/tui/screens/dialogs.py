"""Modal dialogs: declare, pick one of several, assign a role, read an entry.

One file, a little over 400 lines: the dialogs share one base (`Dialog`: drafts kept on
Esc, keys read before Ctrl+S acts) and each is a few dozen lines beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from rich.text import Text
from textual import events, on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from warroom.domain.model import Now, RoleAssignment, TimelineEntry
from warroom.domain.timefmt import cadence, hhmm, parse_when, stamp
from warroom.playbook.models import Playbook, Role, Severity

ResultT = TypeVar("ResultT")


class Dialog(ModalScreen[ResultT]):
    """A form that returns a `ResultT`, or None when cancelled: the callback of whoever
    opens it takes `ResultT | None`. Escape cancels; Ctrl+S submits. Errors show inside
    the dialog and nothing is lost.

    What was typed is handed to `keep_draft` (when the war room gives one) as the dialog
    goes, submitted or not; the war room forgets the draft once the submit has worked, so
    Esc, a failed submit or quitting keeps every field for the next time.

    Keys reach each field through its own queue, after the dialog's priority keys (Ctrl+S,
    Esc): so Ctrl+S and Esc wait for every key already sent to the fields to land there
    (`after_typing`) before they read anything.
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("ctrl+s", "submit", "Submit", id="dialog.submit", priority=True),
    ]

    keep_draft: Callable[[dict[str, str]], None] | None = None
    """Called with `typed()` as the dialog goes (set by whoever opens it)."""

    def typed(self) -> dict[str, str]:
        """What has been typed, by field (for drafts). Dialogs with nothing to keep: {}."""
        return {}

    def after_typing(self, callback: Callable[[], object]) -> None:
        """Run CALLBACK on this screen once every key already sent to a field has landed."""
        fields: list[Widget] = [*self.query(Input), *self.query(TextArea)]

        def step(index: int) -> None:
            if index < len(fields):
                fields[index].call_later(step, index + 1)
            elif self.is_current:  # not gone meanwhile (Esc and Ctrl+S in one burst)
                self.call_later(callback)

        step(0)

    def action_cancel(self) -> None:
        self.after_typing(lambda: self.done(None))

    def action_submit(self) -> None:
        self.after_typing(self.submit)

    def submit(self) -> None:
        """Check what was typed and `done(result)`, or `show_error` and stay."""
        raise NotImplementedError

    def done(self, result: ResultT | None) -> None:
        self.keep_typed()
        self.dismiss(result)

    def keep_typed(self) -> None:
        """Hand what was typed to `keep_draft`, once (the war room calls this on quit)."""
        if self.keep_draft is not None:
            keep, self.keep_draft = self.keep_draft, None
            keep(self.typed())

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


class ListField(OptionList):
    """A list in a form. Its moves are handled in its own queue, with the keys before them:
    a binding would run only once the key had bubbled up to the app, by which time a burst's
    Tab may have moved the focus on (and the move would be lost). A digit picks an option."""

    MOVES = {
        "up": OptionList.action_cursor_up,
        "down": OptionList.action_cursor_down,
        "home": OptionList.action_first,
        "end": OptionList.action_last,
    }

    def on_key(self, event: events.Key) -> None:
        move = self.MOVES.get(event.key)
        if move is not None:
            move(self)
        elif event.character and event.character.isdigit():
            index = int(event.character) - 1
            if 0 <= index < self.option_count:
                self.highlighted = index
        else:
            return
        event.stop()
        event.prevent_default()


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


class DeclareScreen(Dialog[Declaration]):
    """Declare an incident: title, severity (with the runbook's definitions), impact."""

    BINDINGS = [Binding("enter", "next_field", "Next", show=False, priority=True)]

    FIELDS = ("title", "users", "features", "detected")

    def __init__(
        self, playbook: Playbook, clock: Now, error: str = "", draft: dict[str, str] | None = None
    ) -> None:
        super().__init__()
        self.playbook = playbook
        self.clock = clock
        self._initial_error = error
        self._draft = draft or {}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="declare-dialog") as box:
            box.border_title = "Declare incident"
            box.border_subtitle = "Ctrl+S declare · Esc cancel"
            with VerticalScroll(classes="form"):
                yield Label("Title", classes="field")
                yield Input(placeholder="What is broken, in a few words", id="title")
                yield Label("Severity", classes="field")
                with Horizontal(id="severity-row"):
                    yield ListField(
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
        levels = [str(s.level) for s in self.playbook.severities]
        severity = self._draft.get("severity", "")
        options.highlighted = levels.index(severity) if severity in levels else 0
        for name in self.FIELDS:
            self.query_one(f"#{name}", Input).value = self._draft.get(name, "")
        self.show_error(self._initial_error)
        self.query_one("#title", Input).focus()

    def typed(self) -> dict[str, str]:
        values = {name: self.query_one(f"#{name}", Input).value for name in self.FIELDS}
        if any(value.strip() for value in values.values()):
            highlighted = self.query_one("#severity", OptionList).highlighted_option
            values["severity"] = highlighted.id or "" if highlighted else ""
        return values

    @on(OptionList.OptionHighlighted, "#severity")
    def _severity_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        sev = self.playbook.severity(int(event.option.id or "1"))
        self.query_one("#severity-help", Static).update(severity_help(sev))

    def action_next_field(self) -> None:
        """Enter moves on (a priority key, so the keys after it land in the next field);
        on the last field it declares. On a button, the button's own Enter."""
        focused = self.focused
        if isinstance(focused, Input) and focused.id == "detected":
            self.action_submit()
        elif isinstance(focused, Input | OptionList):
            self.focus_next()
        else:
            raise SkipAction()

    def submit(self) -> None:
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
        self.done(
            Declaration(
                title=title,
                severity=int(highlighted.id or "3"),
                impact_users=self.query_one("#users", Input).value,
                impact_features=self.query_one("#features", Input).value,
                detected=detected,
            )
        )


class ChoiceScreen(Dialog[str]):
    """Pick one option (its key); the highlighted option's description shows beside the list."""

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

    def submit(self) -> None:
        option = self.query_one("#choices", OptionList).highlighted_option
        self.done(option.id if option else None)


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


class RoleScreen(Dialog[tuple[str, str]]):
    """Assign a role, seeing its responsibilities; replacing the holder is a handoff."""

    BINDINGS = [Binding("enter", "next_field", "Next", show=False, priority=True)]

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
                yield ListField(*(self._option(r) for r in self.playbook.roles), id="role")
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

    def action_next_field(self) -> None:
        """Enter on the role goes to the name at once (the next keys are the name)."""
        if isinstance(self.focused, OptionList):
            self.set_focus(self.query_one("#person", Input))
        elif isinstance(self.focused, Input):
            self.action_submit()
        else:
            raise SkipAction()

    def submit(self) -> None:
        person = self.query_one("#person", Input).value.strip().lstrip("@")
        option = self.query_one("#role", OptionList).highlighted_option
        if not person:
            self.show_error("Type the person's name")
            self.query_one("#person", Input).focus()
            return
        if option is None:
            self.show_error("Choose a role")
            return
        self.done((option.id or "", person))


class EntryScreen(Dialog[None]):
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
                yield Static(Text(entry.shown_text), id="entry-text")
                for revision in entry.revisions:  # corrections: what it said before, and why
                    said = f"{stamp(revision.at)} · @{revision.author or '?'} · {revision.kind}"
                    if revision.kind == "strike":
                        said += f": {revision.reason}"
                    else:
                        said += f" (was: {revision.old_text})"
                    yield Static(Text(said, style="dim"), classes="revision")
            yield Label("", id="error")
            yield Horizontal(Button("Close", variant="primary", id="cancel"), classes="buttons")

    def on_mount(self) -> None:
        self.show_error("")

    def submit(self) -> None:
        self.done(None)
