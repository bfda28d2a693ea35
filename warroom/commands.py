"""The entry line's language: plain text is logged, `/command args` acts. Pure: no Textual."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    usage: str
    help: str
    aliases: tuple[str, ...] = ()


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(
        "sev", "/sev 1|2|3", "Change severity (its actions join the checklist)", ("severity",)
    ),
    CommandSpec(
        "status",
        "/status investigating|identified|mitigating|monitoring|resolved",
        "Change status (moving back is allowed)",
    ),
    CommandSpec(
        "assign", "/assign ic|ops|dev|comms NAME", "Assign a role; replacing someone is a handoff"
    ),
    CommandSpec("ack", "/ack", "Acknowledge the incident (stops the response-time clock)"),
    CommandSpec(
        "update",
        "/update [internal|stakeholder|customer] [TEXT]",
        "Record a status update as sent (restarts its clock)",
    ),
    CommandSpec(
        "snooze",
        "/snooze internal|stakeholder|customer|sla 15m REASON",
        "Snooze a clock's alerts, saying why (logged; the clock shows until when)",
    ),
    CommandSpec("finding", "/finding TEXT", "Log a finding", ("f",)),
    CommandSpec("action", "/action TEXT", "Log an action taken", ("a",)),
    CommandSpec("decision", "/decision TEXT", "Log a decision", ("d",)),
    CommandSpec("todo", "/todo TEXT", "Log a TODO", ("t",)),
    CommandSpec(
        "at",
        "/at HH:MM|YYYY-MM-DDTHH:MM|-15m TEXT",
        "Log an entry backdated (UTC); asks first if before detection or over 12 h back",
    ),
    CommandSpec(
        "detected", "/detected HH:MM", "Correct the detection time (clocks and review follow)"
    ),
    CommandSpec("pin", "/pin [N]", "Pin the last entry (or the selected one)"),
    CommandSpec("unpin", "/unpin", "Unpin the selected or last entry"),
    CommandSpec("tick", "/tick N", "Tick checklist item N (as numbered in the pane)"),
    CommandSpec("impact", "/impact users TEXT | /impact features TEXT", "Record the impact"),
    CommandSpec(
        "item", "/item P0-P3 [@owner] TEXT", "Add an action item (due date from its priority)"
    ),
    CommandSpec("declare", "/declare", "Declare a new incident"),
    CommandSpec("switch", "/switch ID", "Show another open incident"),
    CommandSpec("close", "/close", "Close the incident and write the post-incident review"),
    CommandSpec("export", "/export", "Write the review now (a draft while open)"),
    CommandSpec(
        "compose",
        "/compose [declaration|status_update|stakeholder_update|resolved|customer|...]",
        "Draft a runbook message from the record, edit, send",
        ("msg",),
    ),
    CommandSpec(
        "scenario", "/scenario [KEY]", "Attach a common scenario: its steps join the checklist"
    ),
    CommandSpec(
        "mitigate", "/mitigate [KEY]", "Start a mitigation strategy (rollback, hotfix, ...)"
    ),
    CommandSpec("applied", "/applied [KEY]", "Log that a mitigation is in place"),
    CommandSpec("cause", "/cause [KEY]", "Set the root-cause category (for the review)"),
    CommandSpec("outbox", "/outbox", "Messages queued for chat channels: sent, failed, retry"),
    CommandSpec("deps", "/deps", "Third-party status pages in full"),
    CommandSpec("help", "/help", "Keys and commands", ("?",)),
    CommandSpec("quit", "/quit", "Leave warroom (everything is already saved)", ("q",)),
)

_BY_NAME = {alias: spec for spec in COMMANDS for alias in (spec.name, *spec.aliases)}


class CommandError(ValueError):
    """A command that cannot be run as typed. Its message is one line for the user."""


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    arg: str = ""


def parse_entry(line: str) -> Command | None:
    """`None` for a plain note; a Command for `/name args`. `//text` logs a literal `/text`."""
    stripped = line.strip()
    if not stripped.startswith("/") or stripped.startswith("//"):
        return None
    word, _, rest = stripped[1:].partition(" ")
    spec = _BY_NAME.get(word.casefold())
    if spec is None:
        close = difflib.get_close_matches(word.casefold(), _BY_NAME, n=1, cutoff=0.6)
        hint = f": did you mean /{_BY_NAME[close[0]].name}?" if close else ""
        raise CommandError(f"unknown command /{word}{hint} (F1 lists the commands)")
    return Command(spec.name, rest.strip())


def note_text(line: str) -> str:
    """The text a plain line logs (`//x` is the escape for a note starting with `/`)."""
    stripped = line.strip()
    return stripped[1:] if stripped.startswith("//") else stripped


_SEV = re.compile(r"^(?:sev)?-?\s*(\d)$", re.IGNORECASE)


def parse_severity(text: str) -> int:
    match = _SEV.match(text.strip())
    if match is None:
        raise CommandError(f"not a severity: {text!r} (use 1, 2 or 3)")
    return int(match[1])


def parse_snooze(text: str) -> tuple[str, str, str]:
    """ "sla 15m waiting on Stripe" -> ("sla", "15m", "waiting on Stripe")."""
    clock, rest = split_first(text, "clock: /snooze internal|stakeholder|customer|sla 15m REASON")
    length, reason = split_first(rest, "length: /snooze CLOCK 15m REASON")
    if not reason:
        raise CommandError("say why: /snooze CLOCK 15m REASON")
    return clock.casefold(), length, reason


def split_first(text: str, what: str) -> tuple[str, str]:
    head, _, rest = text.strip().partition(" ")
    if not head:
        raise CommandError(f"missing {what}")
    return head, rest.strip()


_ITEM = re.compile(r"^(?P<prio>[Pp]\d)\s+(?:@(?P<owner>\S+)\s+)?(?P<text>.+)$")


def parse_action_item(line: str) -> tuple[str, str, str]:
    """ "P1 @alice Add an alert on pool usage" -> ("P1", "alice", "Add an alert ...")."""
    match = _ITEM.match(line.strip())
    if match is None:
        raise CommandError(f"not an action item: {line.strip()!r} (write: P1 @owner what to do)")
    return match["prio"].upper(), match["owner"] or "", match["text"].strip()
