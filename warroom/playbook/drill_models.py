"""Drills as data: what a drill file (warroom/playbook/drills/*.toml) says, as records.

Beside the playbook's records (models.py), and like them pure data: drills.py reads and
validates the files into these; domain/drill.py plays and measures them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import timedelta

DRILL_MARK = "DRILL"
"""How a drill is marked everywhere: the banner, every message, every timeline entry it
injects, the report."""


class InjectKind(enum.StrEnum):
    ALERT = "alert"
    STATUS_PAGE = "status_page"
    MESSAGE = "message"
    DEPLOY = "deploy"
    METRIC = "metric"

    @property
    def label(self) -> str:
        return {
            InjectKind.ALERT: "alert",
            InjectKind.STATUS_PAGE: "status page",
            InjectKind.MESSAGE: "message",
            InjectKind.DEPLOY: "deploy",
            InjectKind.METRIC: "metric",
        }[self]


@dataclass(frozen=True, slots=True)
class Inject:
    """Something that happens during the drill, at `at` simulated time after the start."""

    at: timedelta
    kind: InjectKind
    author: str
    text: str

    def entry_text(self) -> str:
        """Its timeline entry: `[DRILL alert] Better Stack: error rate 34%`."""
        return f"[{DRILL_MARK} {self.kind.label}] {self.text}"


@dataclass(frozen=True, slots=True)
class Drill:
    key: str
    """The file's name without .toml (`database_connections`)."""
    title: str
    severity: int
    detected: str
    """What is detected at the start (the alert that starts it)."""
    expected_mitigation: str
    """The playbook mitigation strategy's key the scenario calls for."""
    scenario: str | None = None
    """The playbook's common scenario it is an instance of, if any."""
    expected_root_cause: str | None = None
    briefing: str = ""
    injects: tuple[Inject, ...] = field(default_factory=tuple)

    @property
    def length(self) -> timedelta:
        """Simulated time to the last inject."""
        return max((i.at for i in self.injects), default=timedelta(0))
