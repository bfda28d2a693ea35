"""The review's metrics: how fast, how long, how often told. One definition for every use.

Everything is derived from the record (the incident's timestamps and its timeline's
automatic entries), so an incident entered live and the same incident entered afterwards
with its own times give the same numbers. Durations are seconds; None where a metric does
not apply (not acknowledged yet, no impact start known...).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from warroom.domain.model import EntryKind, Incident, Status, TimelineEntry, UpdateKind
from warroom.domain.timefmt import utc
from warroom.playbook.models import Playbook, Severity

_IDENTIFIED_OR_LATER = frozenset(
    {Status.IDENTIFIED, Status.MITIGATING, Status.MONITORING, Status.RESOLVED}
)


@dataclass(frozen=True, slots=True)
class Target:
    """A playbook target (acknowledge within N min, resolve within N h) and how it went."""

    seconds: float
    """What the playbook allows, counted from detection."""
    taken: float | None
    """What it took; None while not done."""

    @property
    def met(self) -> bool | None:
        return None if self.taken is None else self.taken <= self.seconds

    @property
    def margin(self) -> float | None:
        """Seconds to spare (positive) or over (negative)."""
        return None if self.taken is None else self.seconds - self.taken


@dataclass(frozen=True, slots=True)
class RequiredUpdate:
    """An update the cadence asked for: when it was due, when (if) it was sent."""

    kind: UpdateKind
    due_at: datetime
    sent_at: datetime | None
    late: float
    """Seconds past due when sent (0 when on time); for one never sent, until the end."""

    @property
    def on_time(self) -> bool:
        return self.sent_at is not None and self.late <= 0


@dataclass(frozen=True, slots=True)
class Metrics:
    time_to_detect: float | None
    time_to_acknowledge: float | None
    time_to_declare: float
    time_to_identify: float | None
    time_to_mitigate: float | None
    time_to_resolve: float | None
    downtime: float | None
    time_at_severity: dict[int, float]
    time_in_status: dict[str, float]
    acknowledge: Target
    resolve: Target
    updates: list[RequiredUpdate] = field(default_factory=list)
    longest_silence: float | None = None

    @property
    def cadence_compliance(self) -> float | None:
        """Percent of required updates sent on time; None when none was required."""
        if not self.updates:
            return None
        return 100.0 * sum(u.on_time for u in self.updates) / len(self.updates)


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (utc(end) - utc(start)).total_seconds())


def _changes(entries: Sequence[TimelineEntry], kind: EntryKind) -> list[TimelineEntry]:
    return sorted((e for e in entries if e.kind is kind and "to" in e.data), key=lambda e: e.at)


def _periods(
    start: datetime, end: datetime, first: object, changes: list[TimelineEntry]
) -> dict[str, float]:
    """Seconds spent at each value, from START (at FIRST) through each change to END."""
    spent: dict[str, float] = {}
    value, since = str(first), start
    for change in changes:
        at = max(utc(change.at), start)
        spent[value] = spent.get(value, 0.0) + max(0.0, (at - since).total_seconds())
        value, since = str(change.data["to"]), at
    spent[value] = spent.get(value, 0.0) + max(0.0, (end - since).total_seconds())
    return {key: seconds for key, seconds in spent.items() if seconds > 0}


def _severity_at(levels: list[tuple[datetime, int]], at: datetime) -> int:
    level = levels[0][1]
    for since, to in levels:
        if since <= at:
            level = to
    return level


def _due(
    anchor: datetime, minutes: Callable[[datetime], int], changes: Sequence[datetime]
) -> datetime:
    """When a clock restarted at ANCHOR turns late, as the war room showed it: the cadence is
    the severity's in force, so a severity change can bring the due time forward (or back)."""
    start = anchor
    for following in [*(c for c in changes if c > anchor), None]:
        due = max(start, anchor + timedelta(minutes=minutes(start)))
        if following is None or due < following:
            return due
        start = following
    raise AssertionError("unreachable")  # the last period has no end


def _cadence(
    kind: UpdateKind,
    sent: list[datetime],
    start: datetime,
    end: datetime,
    minutes: Callable[[datetime], int],
    changes: Sequence[datetime],
) -> list[RequiredUpdate]:
    """Each update the cadence required between START and END: due N minutes after the
    last one (or START), met by the next one sent. `minutes(at)` is the cadence at a time;
    CHANGES, when the severity (and so the cadence) changed."""
    required: list[RequiredUpdate] = []
    anchor = start
    pending = sorted(t for t in sent if start < t <= end)
    while True:
        following = next((t for t in pending if t > anchor), None)
        # The due time the clock showed until the next update (or the end).
        until = following if following is not None else end
        due = _due(anchor, minutes, [c for c in changes if c <= until])
        if following is not None:  # the next update sent meets this due (late or not)
            required.append(
                RequiredUpdate(kind, due, following, max(0.0, (following - due).total_seconds()))
            )
            anchor = following
            continue
        if due < end:  # never sent: late until the end
            required.append(RequiredUpdate(kind, due, None, (end - due).total_seconds()))
        return required


def incident_metrics(
    incident: Incident,
    entries: Sequence[TimelineEntry],
    playbook: Playbook,
    now: datetime,
    impact_start: datetime | None = None,
    impact_end: datetime | None = None,
) -> Metrics:
    """The metrics of INCIDENT, from its record, as of NOW (for one still open)."""
    detected, declared = utc(incident.detected_at), utc(incident.declared_at)
    resolved = utc(incident.resolved_at) if incident.resolved_at else None
    end = resolved or utc(now)
    status_end = utc(incident.closed_at) if incident.closed_at else utc(now)

    severity_changes = _changes(entries, EntryKind.SEVERITY)
    first_level = severity_changes[0].data.get("from") if severity_changes else None
    level0 = first_level if isinstance(first_level, int) else incident.severity
    levels = [(declared, level0)] + [(utc(c.at), int(str(c.data["to"]))) for c in severity_changes]
    time_at_severity = {
        int(level): seconds
        for level, seconds in _periods(declared, end, level0, severity_changes).items()
    }
    status_changes = _changes(entries, EntryKind.STATUS)
    first_status = status_changes[0].data.get("from") if status_changes else None
    time_in_status = _periods(
        declared, status_end, first_status or Status.INVESTIGATING.value, status_changes
    )
    identified = next(
        (utc(c.at) for c in status_changes if str(c.data["to"]) in _IDENTIFIED_OR_LATER), None
    )

    def severity(at: datetime) -> Severity:
        return playbook.severity(_severity_at(levels, at))

    # Each target is the one in force when it was met (or now): acknowledging a SEV-2 in
    # 12 minutes met its 15, whatever the severity later became; resolving follows the
    # severity at the end, as the war room's SLA clock does.
    acknowledged = utc(incident.acknowledged_at) if incident.acknowledged_at else None
    acknowledge_minutes = severity(acknowledged or end).acknowledge_minutes
    resolve_minutes = severity(end).resolve_minutes

    changes = [since for since, _ in levels[1:]]
    sent: dict[UpdateKind, list[datetime]] = {kind: [] for kind in UpdateKind}
    for entry in entries:
        if entry.kind is EntryKind.UPDATE:
            try:
                sent[UpdateKind(str(entry.data.get("update")))].append(utc(entry.at))
            except ValueError:
                continue
    updates = _cadence(
        UpdateKind.INTERNAL,
        sent[UpdateKind.INTERNAL],
        declared,
        end,
        lambda at: severity(at).internal_update_minutes,
        changes,
    ) + _cadence(
        UpdateKind.STAKEHOLDER,
        sent[UpdateKind.STAKEHOLDER],
        declared,
        end,
        lambda at: severity(at).stakeholder_update_minutes,
        changes,
    )
    customer_minutes = severity(declared).customer_comms_minutes
    if customer_minutes is not None:
        due = incident.started_at + timedelta(minutes=customer_minutes)
        first = min((t for t in sent[UpdateKind.CUSTOMER]), default=None)
        if first is not None:
            updates.append(
                RequiredUpdate(
                    UpdateKind.CUSTOMER, due, first, max(0.0, (first - due).total_seconds())
                )
            )
        elif due < end:
            updates.append(
                RequiredUpdate(UpdateKind.CUSTOMER, due, None, (end - due).total_seconds())
            )
    updates.sort(key=lambda u: u.sent_at or u.due_at)  # as they happened (or failed to)

    told = sorted(t for times in sent.values() for t in times if declared <= t <= end)
    marks = [declared, *told, end]
    silence = max(
        ((b - a).total_seconds() for a, b in zip(marks, marks[1:], strict=False)), default=None
    )

    impact_start = impact_start or incident.impact_start
    impact_end = impact_end or incident.impact_end
    impact_from = utc(impact_start) if impact_start else detected
    impact_to = (
        utc(impact_end)
        if impact_end
        else (utc(incident.mitigated_at) if incident.mitigated_at else resolved)
    )
    return Metrics(
        time_to_detect=_seconds(impact_start, detected) if impact_start else None,
        time_to_acknowledge=_seconds(detected, incident.acknowledged_at),
        time_to_declare=_seconds(detected, declared) or 0.0,
        time_to_identify=_seconds(detected, identified),
        time_to_mitigate=_seconds(detected, incident.mitigated_at),
        time_to_resolve=_seconds(detected, resolved),
        downtime=_seconds(impact_from, impact_to),
        time_at_severity=time_at_severity,
        time_in_status=time_in_status,
        acknowledge=Target(
            acknowledge_minutes * 60.0, _seconds(detected, incident.acknowledged_at)
        ),
        resolve=Target(resolve_minutes * 60.0, _seconds(detected, resolved)),
        updates=updates,
        longest_silence=silence,
    )


def metrics_json(metrics: Metrics) -> dict[str, object]:
    """The metrics as plain data (`show --json`): seconds, ISO 8601 UTC, null when n/a."""

    def target(t: Target) -> dict[str, object]:
        return {"seconds": t.seconds, "taken": t.taken, "met": t.met, "margin": t.margin}

    return {
        "time_to_detect": metrics.time_to_detect,
        "time_to_acknowledge": metrics.time_to_acknowledge,
        "time_to_declare": metrics.time_to_declare,
        "time_to_identify": metrics.time_to_identify,
        "time_to_mitigate": metrics.time_to_mitigate,
        "time_to_resolve": metrics.time_to_resolve,
        "downtime": metrics.downtime,
        "time_at_severity": {str(k): v for k, v in metrics.time_at_severity.items()},
        "time_in_status": dict(metrics.time_in_status),
        "acknowledge_target": target(metrics.acknowledge),
        "resolve_target": target(metrics.resolve),
        "updates": [
            {
                "kind": u.kind.value,
                "due": u.due_at.isoformat(),
                "sent": u.sent_at.isoformat() if u.sent_at else None,
                "late": u.late,
            }
            for u in metrics.updates
        ],
        "cadence_compliance": metrics.cadence_compliance,
        "longest_silence": metrics.longest_silence,
    }
