"""Every war-room action, once: its keys, title, help, slash-commands and whether it changes
the record. The key bindings, the command palette, the help screen, the entry line's
dispatch and the read-only check are all generated from this table (tui/app.py,
tui/screens/help.py); a test checks that each action has what each of them needs.

Pure data: no Textual. An action's id is also its binding id (`[keys]` in config.toml
remaps it) and names its method, `action_<id>` with `-` as `_`, which takes the typed
argument: none opens its dialog, an argument does it directly.

Long because it is the table: one row per action, every action in one place by design.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Slash:
    """A slash-command typed in the entry line (`/sev 2`)."""

    name: str
    usage: str
    aliases: tuple[str, ...] = ()
    default: str = ""
    """The argument when none is typed (`/unpin` is `/pin off`)."""
    help: str = ""
    """What the help screen says of it, when not the action's help."""


@dataclass(frozen=True, slots=True)
class ActionSpec:
    id: str
    title: str
    """Its name in the command palette."""
    help: str
    keys: str = ""
    """Textual key names, comma-separated (`f1,question_mark`); "" for slash-only actions."""
    footer: str = ""
    """Its label in the footer; "" keeps it off the footer (still in help and palette)."""
    slashes: tuple[Slash, ...] = ()
    writes: bool = False
    """Changes the record: hidden and refused in a read-only war room."""
    priority: bool = False
    """A priority binding: runs as the key arrives, before the focused widget sees it."""
    palette: bool = True
    bound: bool = True
    """False when Textual binds the key itself (Ctrl+Q, Ctrl+P): documented, not bound."""
    on_app: bool = False
    """Bound on the App, not the war room's screen: Textual's own focus moves, which the
    dialogs need as much as the war room."""

    @property
    def method(self) -> str:
        """The name after `action_` of the method that does it."""
        return self.id.replace("-", "_")

    @property
    def footer_label(self) -> str:
        return self.footer or self.title


def _s(name: str, usage: str, *aliases: str, default: str = "", help: str = "") -> Slash:
    return Slash(name, usage, aliases, default, help)


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(
        "help",
        "Help",
        "Keys and slash-commands (this screen)",
        keys="f1,question_mark",
        footer="Help",
        slashes=(_s("help", "/help", "?"),),
    ),
    ActionSpec(
        "declare",
        "Declare incident",
        "Declare a new incident",
        keys="f2",
        footer="Declare",
        slashes=(_s("declare", "/declare"),),
        writes=True,
    ),
    ActionSpec(
        "assign",
        "Assign role",
        "Assign a role (IC, Ops, Dev, Comms); replacing someone is a logged handoff",
        keys="f3",
        footer="Assign",
        slashes=(_s("assign", "/assign ic|ops|dev|comms NAME"),),
        writes=True,
    ),
    ActionSpec(
        "severity",
        "Change severity",
        "Change severity (its actions join the checklist)",
        keys="f4",
        footer="Sev",
        slashes=(_s("sev", "/sev 1|2|3", "severity"),),
        writes=True,
    ),
    ActionSpec(
        "status",
        "Change status",
        "Change status, Investigating ... Resolved (moving back is allowed)",
        keys="f5",
        footer="Status",
        slashes=(_s("status", "/status investigating|identified|mitigating|monitoring|resolved"),),
        writes=True,
    ),
    ActionSpec(
        "compose",
        "Compose status message",
        "Draft a message from the runbook's templates and the record, edit, send "
        "(sending restarts its clock)",
        keys="f6",
        footer="Update",
        slashes=(
            _s(
                "compose",
                "/compose [declaration|status_update|stakeholder_update|resolved|customer|...]",
                "msg",
            ),
        ),
        writes=True,
    ),
    ActionSpec(
        "update",
        "Record status update sent elsewhere",
        "Record a status update as sent (restarts its clock)",
        slashes=(
            _s("update", "/update [internal|stakeholder|customer] [TEXT]", default="internal"),
        ),
        writes=True,
    ),
    ActionSpec(
        "pin",
        "Pin entry",
        "Pin or unpin the selected (or last) entry",
        keys="f7",
        slashes=(
            _s("pin", "/pin", default="on", help="Pin the selected (or last) entry"),
            _s("unpin", "/unpin", default="off", help="Unpin the selected (or last) entry"),
        ),
        writes=True,
    ),
    ActionSpec(
        "ack",
        "Acknowledge",
        "Acknowledge the incident (stops the response-time clock)",
        keys="f8",
        slashes=(_s("ack", "/ack"),),
        writes=True,
    ),
    ActionSpec(
        "checklist",
        "Checklist",
        "Go to the triage checklist (Space/Enter ticks)",
        keys="f9",
        footer="Checks",
    ),
    ActionSpec(
        "tick",
        "Tick checklist item",
        "Tick checklist item N (as numbered in the pane)",
        slashes=(_s("tick", "/tick N"),),
        writes=True,
        palette=False,
    ),
    ActionSpec(
        "close",
        "Close incident",
        "Close the incident and write the post-incident review",
        keys="f10",
        footer="Close",
        slashes=(_s("close", "/close"),),
        writes=True,
    ),
    ActionSpec(
        "dependencies",
        "Dependencies",
        "Third-party status pages (Stripe, Supabase, Vercel) in full",
        keys="f11",
        slashes=(_s("deps", "/deps"),),
    ),
    ActionSpec(
        "outbox",
        "Outbox",
        "Messages queued for chat channels: sent, failed; r retries",
        keys="f12",
        slashes=(_s("outbox", "/outbox"),),
    ),
    ActionSpec(
        "runbook",
        "Runbook",
        "Runbook: attach a scenario, start/apply a mitigation, root cause, quick links",
        keys="ctrl+r",
        writes=True,
    ),
    ActionSpec(
        "scenario",
        "Attach scenario",
        "Attach a common scenario: its diagnosis and resolution join the checklist",
        slashes=(_s("scenario", "/scenario [KEY]"),),
        writes=True,
    ),
    ActionSpec(
        "mitigate",
        "Start mitigation",
        "Start a mitigation strategy (rollback, feature flag, hotfix, scale ...)",
        slashes=(_s("mitigate", "/mitigate [KEY]"),),
        writes=True,
    ),
    ActionSpec(
        "applied",
        "Mitigation applied",
        "Log that a mitigation is in place",
        slashes=(_s("applied", "/applied [KEY]"),),
        writes=True,
    ),
    ActionSpec(
        "cause",
        "Root cause category",
        "Set the root-cause category (for the review)",
        slashes=(_s("cause", "/cause [KEY]"),),
        writes=True,
    ),
    ActionSpec(
        "export",
        "Export review",
        "Write the review now (a draft while the incident is open)",
        # Priority: the entry line would take Ctrl+E as "end of line" (End does that too).
        keys="ctrl+e",
        slashes=(_s("export", "/export"),),
        writes=True,
        priority=True,
    ),
    ActionSpec(
        "act-on-alert",
        "Act on alert",
        "Act on the most urgent late clock: draft its update, or acknowledge",
        keys="ctrl+g",
        writes=True,
    ),
    ActionSpec(
        "snooze",
        "Snooze alert",
        "Snooze a late clock: puts /snooze CLOCK 15m in the entry line; type why",
        keys="ctrl+n",
        slashes=(
            _s(
                "snooze",
                "/snooze internal|stakeholder|customer|sla 15m REASON",
                help="Snooze a clock's alerts, saying why (logged; the clock shows until when)",
            ),
        ),
        writes=True,
    ),
    ActionSpec(
        "finding",
        "Log a finding",
        "Log a finding",
        slashes=(_s("finding", "/finding TEXT", "f"),),
        writes=True,
        palette=False,
    ),
    ActionSpec(
        "action",
        "Log an action",
        "Log an action taken",
        slashes=(_s("action", "/action TEXT", "a"),),
        writes=True,
        palette=False,
    ),
    ActionSpec(
        "decision",
        "Log a decision",
        "Log a decision",
        slashes=(_s("decision", "/decision TEXT", "d"),),
        writes=True,
        palette=False,
    ),
    ActionSpec(
        "todo",
        "Log a TODO",
        "Log a TODO",
        slashes=(_s("todo", "/todo TEXT", "t"),),
        writes=True,
        palette=False,
    ),
    ActionSpec(
        "at",
        "Log a backdated entry",
        "Log an entry backdated (UTC); asks first if before detection or over 12 h back",
        slashes=(_s("at", "/at HH:MM|YYYY-MM-DDTHH:MM|-15m TEXT"),),
        writes=True,
        palette=False,
    ),
    ActionSpec(
        "detected",
        "Correct detection time",
        "Correct the detection time (clocks and review follow)",
        slashes=(_s("detected", "/detected HH:MM"),),
        writes=True,
        palette=False,
    ),
    ActionSpec(
        "impact",
        "Record impact",
        "Record the impact",
        slashes=(_s("impact", "/impact users TEXT | /impact features TEXT"),),
        writes=True,
        palette=False,
    ),
    ActionSpec(
        "item",
        "Add action item",
        "Add an action item (due date from its priority)",
        slashes=(_s("item", "/item P0-P3 [@owner] TEXT"),),
        writes=True,
        palette=False,
    ),
    ActionSpec(
        "done",
        "Action item done",
        "Mark an action item done (its number: `warroom items` lists them)",
        slashes=(_s("done", "/done ITEM"),),
        writes=True,
        palette=False,
    ),
    ActionSpec(
        "reopen",
        "Reopen incident",
        "Reopen the incident shown (resolved or closed): investigating again, clocks running",
        slashes=(_s("reopen", "/reopen"),),
        writes=True,
    ),
    # Between incidents (issue #13): history, overdue items, corrections.
    ActionSpec(
        "history",
        "History",
        "Every incident, newest first: type to filter, Enter opens (closed: read-only), "
        "Ctrl+E exports its review, Ctrl+R reopens",
        keys="ctrl+o",
        slashes=(_s("history", "/history [FILTER]"),),
    ),
    ActionSpec(
        "overdue",
        "Overdue action items",
        "The action items past due and not done, across incidents",
        slashes=(_s("overdue", "/overdue"),),
    ),
    ActionSpec(
        "edit",
        "Edit entry",
        "Correct typed entry N (#N when opened with Enter); the original is kept. "
        "/edit alone puts the selected (or last) entry on the line to correct",
        slashes=(_s("edit", "/edit N TEXT"),),
        writes=True,
    ),
    ActionSpec(
        "strike",
        "Strike entry",
        "Strike typed entry N out, saying why: it stays in the timeline, struck through",
        slashes=(_s("strike", "/strike N REASON"),),
        writes=True,
    ),
    ActionSpec(
        "pause",
        "Pause or resume the drill",
        "A drill's simulated clock: /pause stops it, /pause or /resume runs it again",
        slashes=(
            _s("pause", "/pause", default="toggle"),
            _s("resume", "/resume", default="resume", help="Run a paused drill's clock again"),
        ),
    ),
    ActionSpec(
        "switch",
        "Switch incident",
        "Show another open incident",
        slashes=(_s("switch", "/switch ID"),),
        palette=False,
    ),
    ActionSpec(
        "focus-entry",
        "Entry line",
        "Back to the entry line",
        keys="escape",
        palette=False,
    ),
    # Priority: focus moves as the key arrives, so the keys typed after Tab land in the
    # next field even in a burst (a non-priority Tab is handled after the keys behind it).
    ActionSpec(
        "focus-next",
        "Next pane",
        "Move between entry line, timeline and checklist",
        keys="tab",
        priority=True,
        on_app=True,
        palette=False,
    ),
    ActionSpec(
        "focus-previous",
        "Previous pane",
        "Move back between entry line, timeline and checklist",
        keys="shift+tab",
        priority=True,
        on_app=True,
        palette=False,
    ),
    ActionSpec(
        "command-palette",
        "Command palette",
        "Command palette: every action by name",
        keys="ctrl+p",
        palette=False,
        bound=False,
    ),
    ActionSpec(
        "quit",
        "Quit",
        "Quit (everything is already saved)",
        keys="ctrl+q",
        slashes=(_s("quit", "/quit", "q"),),
        palette=False,  # Textual's palette has its own Quit
        bound=False,
    ),
)

BY_ID: Mapping[str, ActionSpec] = {spec.id: spec for spec in ACTIONS}
BY_METHOD: Mapping[str, ActionSpec] = {spec.method: spec for spec in ACTIONS}

WRITES: frozenset[str] = frozenset(spec.method for spec in ACTIONS if spec.writes)
"""The methods a read-only war room refuses (and whose keys it hides)."""

SLASHES: Mapping[str, tuple[ActionSpec, Slash]] = {
    name: (spec, slash)
    for spec in ACTIONS
    for slash in spec.slashes
    for name in (slash.name, *slash.aliases)
}
"""Every slash name and alias (without the `/`), to its action."""

_KEY_NAMES = {
    "question_mark": "?",
    "escape": "Esc",
    "enter": "Enter",
    "tab": "Tab",
    "space": "Space",
}


def key_label(keys: str) -> str:
    """ "f1,question_mark" -> "F1 / ?"; "ctrl+e" -> "Ctrl+E"."""
    labels = []
    for key in (k.strip() for k in keys.split(",") if k.strip()):
        *modifiers, name = key.split("+")
        shown = _KEY_NAMES.get(name, name.upper() if len(name) <= 3 else name.capitalize())
        labels.append("+".join([*(m.capitalize() for m in modifiers), shown]))
    return " / ".join(labels)
