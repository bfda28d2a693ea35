"""What the war room's services and its own writes tell the screen. Small dataclasses;
a flood of one kind merges into one (`can_replace`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.message import Message
from textual.notifications import SeverityLevel

from warroom.domain.dependencies import DependencyStatus
from warroom.store.reader import StoreError


@dataclass
class DatabaseChanged(Message):
    """Someone (this war room, another one, `warroom log`) may have committed: the screen
    reads its view of the incident again if the database's version moved."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DatabaseChanged)


@dataclass
class PlaybookChanged(Message):
    """The playbook file was saved: load it, or say why not and keep the last good one."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PlaybookChanged)


@dataclass
class WatchingChanged(Message):
    """The file watcher started (True) or stopped (False): without it, the tick looks."""

    watching: bool


@dataclass
class RadarPolled(Message):
    """The status pages, polled: every dependency's status and the lines worth logging."""

    statuses: list[DependencyStatus]
    lines: list[str] = field(default_factory=list)
    off: bool = False
    """No pages to watch (WARROOM_STATUS_PAGES=none): the radar has stopped."""
    incident_id: str | None = None
    """The incident open in this war room when the poll began: the only one the lines may
    go into (none open then: the changes are shown, not logged)."""


@dataclass
class DeliveryDone(Message):
    """A delivery round finished: what failed (channel, detail) and the outbox by status."""

    failures: list[tuple[str, str]]


@dataclass
class SpoolDrained(Message):
    """A round of writing what was kept while the database was away (services/spool_drainer):
    how many were written, how many refused (typed after their incident was closed), or
    the error that stopped it (an Unreachable: still away)."""

    written: int
    refused: int
    error: StoreError | None = None


@dataclass
class ServiceTrouble(Message):
    """A service could not do its round (bad settings, database trouble): said, retried."""

    text: str
    severity: SeverityLevel = "warning"
