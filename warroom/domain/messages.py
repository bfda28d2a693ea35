"""The runbook's kinds of message and an outbox message's states: domain types, used by the
store's outbox, the drafting in comms and the delivery in integrations. Pure."""

from __future__ import annotations

import enum

from warroom.domain.clocks import ClockKind
from warroom.domain.model import UpdateKind

__all__ = ["MessageKind", "OutboxStatus"]


class MessageKind(enum.StrEnum):
    """The runbook's communication templates, in the order an incident uses them."""

    DECLARATION = "declaration"
    STATUS_UPDATE = "status_update"
    STAKEHOLDER_UPDATE = "stakeholder_update"
    RESOLVED = "resolved"
    CUSTOMER = "customer"
    CUSTOMER_RESOLVED = "customer_resolved"

    @property
    def label(self) -> str:
        """The runbook's heading for the template: "Internal: Status Update"."""
        return _TITLES[self]

    @property
    def is_customer_facing(self) -> bool:
        return self in (MessageKind.CUSTOMER, MessageKind.CUSTOMER_RESOLVED)

    @property
    def audience(self) -> str:
        return "External" if self.is_customer_facing else "Internal"

    @property
    def template(self) -> str:
        """The template's file name, in the packaged or the user's templates dir."""
        return f"{self.value}.md.j2"

    @property
    def updates(self) -> tuple[UpdateKind, ...]:
        """The status updates a send of this message counts as (each restarts its clock)."""
        if self.is_customer_facing:
            return (UpdateKind.CUSTOMER, UpdateKind.STAKEHOLDER)
        if self is MessageKind.STAKEHOLDER_UPDATE:
            return (UpdateKind.STAKEHOLDER,)
        return (UpdateKind.INTERNAL,)

    @property
    def clocks(self) -> tuple[ClockKind, ...]:
        """The clocks a send restarts (or satisfies, for the one-off customer clock)."""
        if self.is_customer_facing:
            return (ClockKind.CUSTOMER_COMMS, ClockKind.STAKEHOLDER_UPDATE)
        if self is MessageKind.STAKEHOLDER_UPDATE:
            return (ClockKind.STAKEHOLDER_UPDATE,)
        return (ClockKind.INTERNAL_UPDATE,)

    @classmethod
    def parse(cls, text: str) -> MessageKind:
        """A kind by its value or a unique prefix ("decl", "status-update", "customer")."""
        wanted = text.strip().casefold().replace("-", "_").replace(" ", "_")
        for kind in cls:
            if kind.value == wanted:
                return kind
        matches = [k for k in cls if k.value.startswith(wanted)] if wanted else []
        if len(matches) == 1:
            return matches[0]
        known = ", ".join(k.value for k in cls)
        how = "ambiguous" if matches else "unknown"
        raise ValueError(f"{how} template {text!r} (one of: {known})")


_TITLES = {
    MessageKind.DECLARATION: "Internal: Incident Declaration",
    MessageKind.STATUS_UPDATE: "Internal: Status Update",
    MessageKind.STAKEHOLDER_UPDATE: "Stakeholders: Status Update",
    MessageKind.RESOLVED: "Internal: Incident Resolved",
    MessageKind.CUSTOMER: "External: Customer Communication",
    MessageKind.CUSTOMER_RESOLVED: "External: Resolution Notice",
}


class OutboxStatus(enum.StrEnum):
    """Where a message to one channel stands."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
