"""Numbers across incidents (`warroom stats`): built from each incident's review metrics, so
that a time to resolve means the same thing in a review and in a quarter's figures."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from warroom.domain.metrics import Metrics
from warroom.domain.model import ActionItem, Incident


@dataclass(frozen=True, slots=True)
class Spread:
    """Median and 90th percentile of some durations (seconds), and how many there were."""

    count: int
    median: float | None
    p90: float | None


def spread(values: Sequence[float]) -> Spread:
    if not values:
        return Spread(0, None, None)
    ordered = sorted(values)
    # Nearest rank: the smallest value with at least 90% of the values at or below it.
    rank = max(0, -(-len(ordered) * 9 // 10) - 1)
    return Spread(len(ordered), statistics.median(ordered), ordered[rank])


def percent(hits: int, total: int) -> float | None:
    return None if total == 0 else 100.0 * hits / total


@dataclass(frozen=True, slots=True)
class SeverityStats:
    level: int
    incidents: int
    acknowledge: Spread
    mitigate: Spread
    resolve: Spread
    acknowledge_met: float | None
    resolve_met: float | None


@dataclass(frozen=True, slots=True)
class Stats:
    incidents: int
    by_severity: list[SeverityStats] = field(default_factory=list)
    cadence_compliance: float | None = None
    """Of every update the cadence required, across incidents, the percent sent on time."""
    action_items_open: int = 0
    action_items_overdue: int = 0


def incident_stats(
    measured: Sequence[tuple[Incident, Metrics]], items: Sequence[ActionItem], now: datetime
) -> Stats:
    """Each severity's figures (an incident counts at its final severity)."""
    levels = sorted({incident.severity for incident, _ in measured})
    by_severity = []
    for level in levels:
        group = [m for incident, m in measured if incident.severity == level]

        def taken(values: list[float | None]) -> list[float]:
            return [v for v in values if v is not None]

        acks = [m.acknowledge.met for m in group if m.acknowledge.met is not None]
        resolves = [m.resolve.met for m in group if m.resolve.met is not None]
        by_severity.append(
            SeverityStats(
                level=level,
                incidents=len(group),
                acknowledge=spread(taken([m.time_to_acknowledge for m in group])),
                mitigate=spread(taken([m.time_to_mitigate for m in group])),
                resolve=spread(taken([m.time_to_resolve for m in group])),
                acknowledge_met=percent(sum(acks), len(acks)),
                resolve_met=percent(sum(resolves), len(resolves)),
            )
        )
    updates = [u for _, m in measured for u in m.updates]
    open_items = [i for i in items if i.status.casefold() != "done"]
    return Stats(
        incidents=len(measured),
        by_severity=by_severity,
        cadence_compliance=percent(sum(u.on_time for u in updates), len(updates)),
        action_items_open=len(open_items),
        action_items_overdue=sum(1 for i in open_items if i.due_at < now),
    )
