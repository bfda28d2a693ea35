"""The entry line's grammar: plain text is logged, `/name args` runs an action (named in
tui/actions.py), and the small languages of some arguments. Pure: no Textual."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from warroom.domain.notation import parse_action_item, parse_severity
from warroom.tui.actions import SLASHES

__all__ = [
    "EntryCommand",
    "EntryError",
    "note_text",
    "parse_action_item",
    "parse_entry",
    "parse_severity",
    "parse_snooze",
    "split_at_option",
    "split_first",
]


class EntryError(ValueError):
    """A line that cannot be done as typed. Its message is one line for the user."""


@dataclass(frozen=True, slots=True)
class EntryCommand:
    """A slash-command as typed: the action it names (by id) and its argument."""

    action: str
    arg: str = ""


def parse_entry(line: str) -> EntryCommand | None:
    """`None` for a plain note; an EntryCommand for `/name args`. `//text` logs `/text`."""
    stripped = line.strip()
    if not stripped.startswith("/") or stripped.startswith("//"):
        return None
    word, _, rest = stripped[1:].partition(" ")
    found = SLASHES.get(word.casefold())
    if found is None:
        close = difflib.get_close_matches(word.casefold(), SLASHES, n=1, cutoff=0.6)
        hint = f": did you mean /{SLASHES[close[0]][1].name}?" if close else ""
        raise EntryError(f"unknown command /{word}{hint} (F1 lists the commands)")
    spec, slash = found
    return EntryCommand(spec.id, rest.strip() or slash.default)


_AT_OPTION = re.compile(r"(?:^|\s)--at\s+(\S+)(?=\s|$)")


def split_at_option(arg: str) -> tuple[str, str | None]:
    """ "mitigating --at 14:05" -> ("mitigating", "14:05"); without `--at`: (arg, None)."""
    match = _AT_OPTION.search(arg)
    if match is None:
        if re.search(r"(?:^|\s)--at\s*$", arg):
            raise EntryError("--at needs a time: --at HH:MM (UTC), ISO 8601 or -15m")
        return arg, None
    rest = (arg[: match.start()] + arg[match.end() :]).strip()
    return " ".join(rest.split()), match[1]


def note_text(line: str) -> str:
    """The text a plain line logs (`//x` is the escape for a note starting with `/`)."""
    stripped = line.strip()
    return stripped[1:] if stripped.startswith("//") else stripped


def parse_snooze(text: str) -> tuple[str, str, str]:
    """ "sla 15m waiting on Stripe" -> ("sla", "15m", "waiting on Stripe")."""
    clock, rest = split_first(text, "clock: /snooze internal|stakeholder|customer|sla 15m REASON")
    length, reason = split_first(rest, "length: /snooze CLOCK 15m REASON")
    if not reason:
        raise EntryError("say why: /snooze CLOCK 15m REASON")
    return clock.casefold(), length, reason


def split_first(text: str, what: str) -> tuple[str, str]:
    head, _, rest = text.strip().partition(" ")
    if not head:
        raise EntryError(f"missing {what}")
    return head, rest.strip()
