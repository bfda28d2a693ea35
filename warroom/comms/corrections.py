"""How a corrected timeline entry is marked, in plain text (`warroom show`, the review):
"✎ edited HH:MM by X" after an edit, "✗ struck HH:MM by X: REASON" once struck out."""

from __future__ import annotations

from warroom.domain.model import TimelineEntry
from warroom.domain.timefmt import hhmm

__all__ = ["EDIT_MARK", "STRIKE_MARK", "correction_mark", "correction_note"]

EDIT_MARK = "✎"
STRIKE_MARK = "✗"


def correction_note(entry: TimelineEntry) -> str:
    """ "✎ edited 10:04 by alice" / "✗ struck 10:05 by bob: wrong host" ("" if none)."""
    notes = []
    edit = entry.edit
    if edit is not None:
        who = f" by {edit.author}" if edit.author else ""
        notes.append(f"{EDIT_MARK} edited {hhmm(edit.at)}{who}")
    strike = entry.strike
    if strike is not None:
        who = f" by {strike.author}" if strike.author else ""
        notes.append(f"{STRIKE_MARK} struck {hhmm(strike.at)}{who}: {strike.reason}")
    return "; ".join(notes)


def correction_mark(entry: TimelineEntry) -> str:
    """The note in brackets after the entry's text ("" for an entry never corrected)."""
    note = correction_note(entry)
    return f"  [{note}]" if note else ""
