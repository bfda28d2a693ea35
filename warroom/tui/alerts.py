"""The war room's alerts: what each late clock asks of the IC, and one notification's content.

Pure presentation of the domain's clocks (no Textual here but the severity type): the app
decides when an alert is posted, repeated and withdrawn (tui/services/clock_alerts.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual.notifications import SeverityLevel

from warroom.domain.clocks import Action, Clock, ClockKind, snooze_word

URGENCY = (
    ClockKind.ACKNOWLEDGE,
    ClockKind.INTERNAL_UPDATE,
    ClockKind.STAKEHOLDER_UPDATE,
    ClockKind.CUSTOMER_COMMS,
    ClockKind.RESOLVE,
)
"""Which late clock Ctrl+G and Ctrl+N act on first."""

_WHAT_TO_SEND = {
    Action.COMPOSE_STATUS_UPDATE: ("/compose status_update", "the status update"),
    Action.COMPOSE_STAKEHOLDER_UPDATE: ("/compose stakeholder", "the stakeholder update"),
    Action.COMPOSE_CUSTOMER: ("/compose customer", "the customer message"),
}


def by_urgency(clocks: Iterable[Clock]) -> list[Clock]:
    return sorted(clocks, key=lambda c: URGENCY.index(c.kind))


def alert_hint(clock: Clock, first: bool) -> str:
    """What to do about a late clock, naming its own key or command. `first`: the clock
    Ctrl+G and Ctrl+N act on (the most urgent); the others name their slash-commands."""
    action = clock.action
    word = snooze_word(clock.kind)
    snooze = (
        "Ctrl+N snoozes it (with a reason)" if first else f"/snooze {word} 15m REASON snoozes it"
    )
    if action is Action.ACKNOWLEDGE:
        return "F8 acknowledges"
    if action is Action.NOTHING_TO_SEND:
        return f"Nothing to send: resolve it, or {snooze}"
    command, what = _WHAT_TO_SEND[action]
    if action is Action.COMPOSE_STATUS_UPDATE:
        key = "F6"
    else:
        key = f"Ctrl+G ({command})" if first else command
    return f"{key} drafts {what}\n{snooze}"


@dataclass(frozen=True)
class Alert:
    """One notification the clocks or the runbook want shown."""

    title: str
    lead: str  # what is wrong (its numbers are refreshed when it repeats)
    hint: str  # what to do (refreshed at once when it changes)
    severity: SeverityLevel
    repeats: bool  # rings again every alert_repeat_seconds while it lasts; else once
    once: str = ""  # for alerts that ring once: what "once" is about
    rings: bool = True  # a clock due soon shows, without the bell

    @property
    def message(self) -> str:
        return f"{self.lead}\n{self.hint}" if self.hint else self.lead
