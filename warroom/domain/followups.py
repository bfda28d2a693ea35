"""Action items between incidents: which are overdue. Pure: `now` is given."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from warroom.domain.model import ActionItem
from warroom.domain.timefmt import utc

__all__ = ["UNASSIGNED", "is_done", "overdue", "overdue_text", "unowned"]

UNASSIGNED = "unassigned"
"""What an action item without an owner shows (the owner column stays empty)."""


def is_done(item: ActionItem) -> bool:
    return item.status.casefold() == "done"


def overdue(items: Iterable[ActionItem], now: datetime) -> list[ActionItem]:
    """The items not done whose due time has passed, most overdue first."""
    late = [i for i in items if not is_done(i) and utc(i.due_at) < utc(now)]
    return sorted(late, key=lambda i: (utc(i.due_at), i.id))


def overdue_text(count: int) -> str:
    """ "3 action items overdue" ("" for none)."""
    if count <= 0:
        return ""
    return f"{count} action item{'s' if count != 1 else ''} overdue"


def unowned(items: Iterable[ActionItem]) -> list[ActionItem]:
    """The items nobody owns (not done)."""
    return [i for i in items if not i.owner.strip() and not is_done(i)]
