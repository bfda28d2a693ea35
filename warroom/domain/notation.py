"""How people write a severity and an action item, wherever they type them: the entry line,
the close dialog, a script's arguments, a close-answers file. Pure."""

from __future__ import annotations

import re

_SEV = re.compile(r"^(?:sev)?[-_ ]?\s*(\d)$", re.IGNORECASE)
_ITEM = re.compile(r"^(?P<prio>[Pp]\d)\s+(?:@(?P<owner>\S+)\s+)?(?P<text>.+)$")


def parse_severity(text: str) -> int:
    """ "1", "SEV-1", "sev1" -> 1."""
    match = _SEV.match(text.strip())
    if match is None:
        raise ValueError(f"not a severity: {text!r} (use 1, 2 or 3)")
    return int(match[1])


def parse_action_item(line: str) -> tuple[str, str, str]:
    """ "P1 @alice Add an alert on pool usage" -> ("P1", "alice", "Add an alert ...")."""
    match = _ITEM.match(line.strip())
    if match is None:
        raise ValueError(f"not an action item: {line.strip()!r} (write: P1 @owner what to do)")
    return match["prio"].upper(), match["owner"] or "", match["text"].strip()
