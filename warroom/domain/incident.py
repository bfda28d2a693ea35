"""Rules about incidents that need no storage: IDs, checklists, review facts.

One file, a little over 400 lines: the rules are small pure functions over the same few
types (checklist plans, auto-tick conditions, IDs, review facts); the tests read it as one.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from warroom.domain.model import ChecklistItem, EntryKind, Incident, Status, TimelineEntry
from warroom.playbook.models import COMMANDER, Mitigation, Playbook, Priority, Scenario

_ID = re.compile(r"^INC-(\d{4}-\d{2}-\d{2})-(\d+)$")


def incident_id(day: date, sequence: int) -> str:
    """The runbook's ID: INC-YYYY-MM-DD-N, N counting from 1 within the day."""
    return f"INC-{day.isoformat()}-{sequence}"


def next_incident_id(day: date, existing: Iterable[str]) -> str:
    prefix = day.isoformat()
    used = [int(m[2]) for m in map(_ID.match, existing) if m and m[1] == prefix]
    return incident_id(day, max(used, default=0) + 1)


SEVERITY_SECTION = "severity-{level}"


def severity_section(level: int) -> str:
    return SEVERITY_SECTION.format(level=level)


@dataclass(frozen=True, slots=True)
class SectionPlan:
    key: str
    title: str
    items: tuple[str, ...]


def checklist_plan(playbook: Playbook, severity: int) -> list[SectionPlan]:
    """A new incident's triage checklist: the playbook's lists, then the severity's actions."""
    plan = [SectionPlan(c.key, c.title, tuple(c.items)) for c in playbook.checklists]
    plan.append(severity_actions(playbook, severity))
    return plan


def severity_actions(playbook: Playbook, severity: int) -> SectionPlan:
    sev = playbook.severity(severity)
    return SectionPlan(severity_section(sev.level), f"{sev.name} actions", tuple(sev.actions))


@dataclass(frozen=True, slots=True)
class SeveritySwap:
    """How a severity change reshapes the severity actions in an incident's checklist.

    `move`: (item id, position) of items that now sit in `section`; `drop`: ids of items that
    leave; `add`: (position, text) of the new severity's actions the checklist lacks. Items
    in none of them stay where they are.
    """

    section: str
    move: tuple[tuple[int, int], ...] = ()
    drop: tuple[int, ...] = ()
    add: tuple[tuple[int, str], ...] = ()


def swap_severity_actions(items: Iterable[ChecklistItem], plan: SectionPlan) -> SeveritySwap:
    """The checklist's severity actions for the new severity's `plan`.

    An action done under any severity is done under the new one when it asks the same thing
    (the same text): the done item moves into the new section, tick and all, so it counts
    there and not under the old heading. Other done actions stay under their old severity (a
    tick is never lost); actions not done that the new severity does not ask leave; the new
    severity's other actions are added, not done.
    """
    actions = sorted(
        (i for i in items if i.section.startswith("severity-")),
        key=lambda i: (
            i.section != plan.key,
            not i.done,
            i.done_at.timestamp() if i.done_at else 0.0,
            i.id,
        ),
    )
    by_text: dict[str, ChecklistItem] = {}
    for item in actions:  # per text: one already in the section, else the first done
        if item.done or item.section == plan.key:
            by_text.setdefault(item.text, item)
    move: list[tuple[int, int]] = []
    add: list[tuple[int, str]] = []
    placed: set[int] = set()
    for position, text in enumerate(plan.items):
        found = by_text.get(text)
        if found is None or found.id in placed:
            add.append((position, text))
        else:
            placed.add(found.id)
            if (found.section, found.position) != (plan.key, position):
                move.append((found.id, position))
    drop = tuple(i.id for i in actions if i.id not in placed and not i.done)
    return SeveritySwap(plan.key, tuple(move), drop, tuple(add))


# Sections that a scenario or a mitigation adds to an incident's checklist. The key in the
# middle is the playbook's (restricted to [a-z0-9_-], so the colons cannot be ambiguous).
SCENARIO_PREFIX = "scenario:"
MITIGATION_PREFIX = "mitigation:"
_SCENARIO_SECTION = re.compile(r"^scenario:([^:]+):(diagnosis|resolution)$")
_MITIGATION_SECTION = re.compile(r"^mitigation:([^:]+)(:verify)?$")


def scenario_plan(scenario: Scenario) -> list[SectionPlan]:
    """A scenario's diagnosis, then its resolution; a list the playbook leaves empty is skipped."""
    phases = (("diagnosis", scenario.diagnosis), ("resolution", scenario.resolution))
    return [
        SectionPlan(
            f"{SCENARIO_PREFIX}{scenario.key}:{phase}", f"{scenario.name}: {phase}", tuple(items)
        )
        for phase, items in phases
        if items
    ]


def mitigation_plan(mitigation: Mitigation) -> list[SectionPlan]:
    """A mitigation's steps, then its verification (skipped when the playbook has none)."""
    plan = [
        SectionPlan(
            f"{MITIGATION_PREFIX}{mitigation.key}",
            f"{mitigation.name}: steps",
            tuple(mitigation.steps),
        )
    ]
    if mitigation.verification:
        plan.append(
            SectionPlan(
                f"{MITIGATION_PREFIX}{mitigation.key}:verify",
                f"{mitigation.name}: verification",
                tuple(mitigation.verification),
            )
        )
    return plan


def _pretty(key: str) -> str:
    return key.replace("_", " ").capitalize()


def _find_name(items: Sequence[Scenario] | Sequence[Mitigation], key: str) -> str:
    """The name of the entry with exactly this key; a readable key if the playbook lost it."""
    for item in items:
        if item.key == key:
            return item.name
    return _pretty(key)


def section_title(playbook: Playbook, key: str) -> str:
    """A checklist section's heading, from the playbook (readable even if it lost the key)."""
    for section in playbook.checklists:
        if section.key == key:
            return section.title
    match = re.fullmatch(r"severity-(\d+)", key)
    if match:
        return f"SEV-{match[1]} actions"
    scenario = _SCENARIO_SECTION.match(key)
    if scenario:
        return f"{_find_name(playbook.scenarios, scenario[1])}: {scenario[2]}"
    mitigation = _MITIGATION_SECTION.match(key)
    if mitigation:
        name = _find_name(playbook.mitigations, mitigation[1])
        return f"{name}: verification" if mitigation[2] else f"{name}: steps"
    return _pretty(key)


def _section_group(key: str) -> int:
    """Playbook checklists first, then severity actions, then scenarios, then mitigations."""
    if key.startswith("severity-"):
        return 1
    if key.startswith(SCENARIO_PREFIX):
        return 2
    if key.startswith(MITIGATION_PREFIX):
        return 3
    return 0


def order_checklist(playbook: Playbook, items: Iterable[ChecklistItem]) -> list[ChecklistItem]:
    """The checklist in the order it is shown: each section's items together.

    The playbook's own lists come in playbook order (a list it no longer has, after), then the
    severity actions, then scenarios and mitigations in the order they were attached (their
    items' ids grow with time), each item at its position within its section.
    """
    items = list(items)
    order = {c.key: i for i, c in enumerate(playbook.checklists)}
    first_id: dict[str, int] = {}
    for item in items:
        first_id[item.section] = min(item.id, first_id.get(item.section, item.id))

    def rank(item: ChecklistItem) -> tuple[int, int, str, int, int]:
        group = _section_group(item.section)
        if group == 0:
            place = order.get(item.section, len(order))
            return (group, place, item.section, item.position, item.id)
        if group == 1:
            return (group, 0, item.section, item.position, item.id)
        return (group, first_id[item.section], item.section, item.position, item.id)

    return sorted(items, key=rank)


def action_due(priority: Priority, start: datetime) -> datetime:
    """An action item's due date from its priority (P0 48 h, P1 1 week, ...)."""
    return start + timedelta(hours=priority.due_hours)


@dataclass(frozen=True, slots=True)
class SeverityPeriod:
    level: int
    seconds: float


def severity_periods(
    incident: Incident, entries: Sequence[TimelineEntry], end: datetime
) -> list[SeverityPeriod]:
    """Time spent at each severity, in order, from the severity-change entries, counted from
    the declaration (a severity is a decision made by declaring; a change dated before the
    declaration counts from it)."""
    changes = sorted(
        (e for e in entries if e.kind is EntryKind.SEVERITY and isinstance(e.data.get("to"), int)),
        key=lambda e: e.at,
    )
    level = incident.severity
    if changes:
        first_from = changes[0].data.get("from")
        level = first_from if isinstance(first_from, int) else incident.severity
    periods: list[SeverityPeriod] = []
    since = incident.declared_at
    for change in changes:
        to = change.data["to"]
        assert isinstance(to, int)
        at = max(change.at, incident.declared_at)
        periods.append(SeverityPeriod(level, max(0.0, (at - since).total_seconds())))
        level, since = to, at
    periods.append(SeverityPeriod(level, max(0.0, (end - since).total_seconds())))
    # Merge neighbours at the same level and drop empty spans (e.g. a change at declaration).
    merged: list[SeverityPeriod] = []
    for period in periods:
        if period.seconds <= 0:
            continue
        if merged and merged[-1].level == period.level:
            merged[-1] = SeverityPeriod(period.level, merged[-1].seconds + period.seconds)
        else:
            merged.append(period)
    return merged or [periods[-1]]


@dataclass(frozen=True, slots=True)
class KeyMoment:
    label: str
    at: datetime | None


@dataclass(frozen=True, slots=True)
class MitigationUse:
    """A mitigation strategy as the timeline records it: when started and when applied."""

    key: str
    name: str
    started_at: datetime
    applied_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AttachedScenario:
    key: str
    name: str
    at: datetime


def _data_text(entry: TimelineEntry, field: str) -> str | None:
    value = entry.data.get(field)
    return value if isinstance(value, str) and value else None


def mitigations_used(entries: Sequence[TimelineEntry]) -> list[MitigationUse]:
    """Every mitigation strategy the incident started, in the order it was started.

    Read from the mitigation entries (data: mitigation key, name, phase), so that the record
    is the timeline's and not whatever the playbook says today. Applied without a recorded
    start counts as started then.
    """
    uses: dict[str, MitigationUse] = {}
    for entry in sorted(entries, key=lambda e: e.at):
        key = _data_text(entry, "mitigation")
        phase = entry.data.get("phase")
        if entry.kind is not EntryKind.MITIGATION or key is None:
            continue
        name = _data_text(entry, "name") or _pretty(key)
        use = uses.get(key)
        if use is None and phase in ("started", "applied"):
            use = MitigationUse(key, name, entry.at)
        if use is not None and phase == "applied" and use.applied_at is None:
            use = MitigationUse(use.key, use.name, use.started_at, entry.at)
        if use is not None:
            uses[key] = use
    return sorted(uses.values(), key=lambda u: u.started_at)


def scenarios_attached(entries: Sequence[TimelineEntry]) -> list[AttachedScenario]:
    """The scenarios attached to the incident, in attach order, as the timeline records them."""
    found: dict[str, AttachedScenario] = {}
    for entry in sorted(entries, key=lambda e: e.at):
        key = _data_text(entry, "scenario")
        if entry.kind is EntryKind.SCENARIO and key is not None and key not in found:
            found[key] = AttachedScenario(key, _data_text(entry, "name") or _pretty(key), entry.at)
    return list(found.values())


def root_cause_name(
    playbook: Playbook, incident: Incident, entries: Sequence[TimelineEntry] = ()
) -> str | None:
    """The incident's root cause category by name: as logged when chosen, else the playbook's.

    None while no category is chosen; a readable key if neither knows the name.
    """
    key = incident.root_cause_category
    if key is None:
        return None
    for entry in sorted(entries, key=lambda e: e.at, reverse=True):
        if entry.kind is EntryKind.ROOT_CAUSE and entry.data.get("root_cause") == key:
            name = _data_text(entry, "name")
            if name:
                return name
    for cause in playbook.root_causes:
        if cause.key == key:
            return cause.name
    return _pretty(key)


def _first_status(entries: Sequence[TimelineEntry], status: Status) -> datetime | None:
    for entry in sorted(entries, key=lambda e: e.at):
        if entry.kind is EntryKind.STATUS and entry.data.get("to") == status.value:
            return entry.at
    return None


def _root_cause_identified(entries: Sequence[TimelineEntry]) -> datetime | None:
    """The first of: status Identified, or a root-cause category recorded."""
    named = [e.at for e in entries if e.kind is EntryKind.ROOT_CAUSE]
    times = [t for t in (_first_status(entries, Status.IDENTIFIED), min(named, default=None)) if t]
    return min(times, default=None)


def _mitigation_moments(entries: Sequence[TimelineEntry]) -> list[KeyMoment]:
    """ "Mitigation started (Rollback deployment)", "Mitigation applied (...)", in time order.

    Without any recorded strategy: the moment the status first became mitigating.
    """
    moments: list[tuple[datetime, str]] = []
    for use in mitigations_used(entries):
        moments.append((use.started_at, f"Mitigation started ({use.name})"))
        if use.applied_at is not None:
            moments.append((use.applied_at, f"Mitigation applied ({use.name})"))
    if not moments:
        return [KeyMoment("Mitigation started", _first_status(entries, Status.MITIGATING))]
    return [KeyMoment(label, at) for at, label in sorted(moments, key=lambda m: m[0])]


def key_moments(incident: Incident, entries: Sequence[TimelineEntry]) -> list[KeyMoment]:
    """The review's key moments, in the order the runbook's timeline lists them."""
    return [
        KeyMoment("Issue first detected", incident.detected_at),
        KeyMoment("Incident declared", incident.declared_at),
        KeyMoment("Acknowledged", incident.acknowledged_at),
        KeyMoment("Root cause identified", _root_cause_identified(entries)),
        *_mitigation_moments(entries),
        KeyMoment(
            "Service partially restored (monitoring)", _first_status(entries, Status.MONITORING)
        ),
        KeyMoment("Full resolution confirmed", incident.resolved_at),
        KeyMoment("Incident closed", incident.closed_at),
    ]


AUTO_TICK_CONDITIONS = (
    "declared",
    "acknowledged",
    "ic_assigned",
    "roles_assigned",
    "declaration_sent",
    "internal_update_sent",
    "mitigated",
    "resolved",
    "review_written",
)
"""What the record can show, each ticking the checklist items a playbook names for it."""


def auto_tick_conditions(
    incident: Incident,
    holders: Collection[str],
    role_keys: Collection[str],
    declaration_sent: bool,
    *,
    internal_update_sent: bool = False,
) -> set[str]:
    """The conditions the incident meets: `holders` are the roles someone holds now.

    `internal_update_sent`: an internal status update went out (the declaration is not one).
    The review is written once the final review's path is recorded.
    """
    met = {
        "declared": True,  # an incident on record was declared
        "acknowledged": incident.acknowledged_at is not None,
        "ic_assigned": COMMANDER in holders,
        "roles_assigned": bool(role_keys) and set(role_keys) <= set(holders),
        "declaration_sent": declaration_sent,
        "internal_update_sent": internal_update_sent,
        "mitigated": incident.mitigated_at is not None,
        "resolved": incident.resolved_at is not None,
        "review_written": incident.review_path is not None,
    }
    return {condition for condition in AUTO_TICK_CONDITIONS if met[condition]}


def is_internal_status_update(data: Mapping[str, object]) -> bool:
    """Whether an update entry's data records an internal status update: `/update` or a sent
    message that restarts the internal clock, except the declaration (which announces the
    incident; the runbook's status updates follow it)."""
    return data.get("update") == "internal" and data.get("message") != "declaration"
