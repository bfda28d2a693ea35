"""The war room's alerts: what each late clock asks of the IC, and one notification's content.

Pure presentation of the domain's clocks (no Textual here but the severity type): the app
decides when an alert is posted, repeated and withdrawn (tui/services/clock_alerts.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from textual.notifications import SeverityLevel

from warroom.domain.clocks import Action, Clock, ClockKind, snooze_word
from warroom.tui.actions import ACTIONS, key_label

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


DEFAULT_KEYS: Mapping[str, str] = {spec.id: key_label(spec.keys) for spec in ACTIONS if spec.keys}
"""Each action's keys as shown, by action id, when the user has not remapped them."""


def alert_hint(clock: Clock, first: bool, keys: Mapping[str, str] = DEFAULT_KEYS) -> str:
    """What to do about a late clock, naming its own key (KEYS: as the user has them) or
    command. `first`: the clock Ctrl+G and Ctrl+N act on (the most urgent); the others
    name their slash-commands."""
    action = clock.action
    word = snooze_word(clock.kind)
    snooze = (
        f"{keys['snooze']} snoozes it (with a reason)"
        if first
        else f"/snooze {word} 15m REASON snoozes it"
    )
    if action is Action.ACKNOWLEDGE:
        return f"{keys['ack']} acknowledges"
    if action is Action.NOTHING_TO_SEND:
        return f"Nothing to send: resolve it, or {snooze}"
    command, what = _WHAT_TO_SEND[action]
    if action is Action.COMPOSE_STATUS_UPDATE:
        key = keys["compose"]
    else:
        key = f"{keys['act-on-alert']} ({command})" if first else command
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
