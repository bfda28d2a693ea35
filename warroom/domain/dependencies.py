"""Third-party status radar: what a status page says, and what changed since the last look.

The runbook's "Third-Party Service" root cause (Scenario 5) starts with "check status pages".
This module reads an Atlassian Statuspage v2 `summary.json` payload (already decoded from
JSON: fetching is `warroom.integrations.statuspage`'s job) into a `DependencyStatus`, and turns
two successive observations into timeline lines. Pure: no I/O, `now` is passed in.

A status page is remote, untrusted data: every field is checked, never trusted to be there or
to have the right type, and its text is cleaned of terminal escape sequences. What cannot be
understood becomes the indicator "unknown" with a reason, never an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeGuard
from urllib.parse import urlsplit

from warroom.domain.text import clean_line
from warroom.domain.timefmt import utc

Indicator = Literal["none", "minor", "major", "critical", "maintenance", "unknown"]

INDICATORS: tuple[Indicator, ...] = ("none", "minor", "major", "critical", "maintenance")
"""The page-wide indicators Statuspage documents ("unknown" is ours)."""

COMPONENT_STATUSES = (
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
)

# Incidents in these states are over; summary.json normally leaves them out anyway.
_FINISHED = frozenset({"resolved", "postmortem", "completed"})
# Scheduled maintenances count only while they run.
_MAINTENANCE_RUNNING = frozenset({"in_progress", "verifying"})

SYMBOLS: Mapping[str, str] = {
    "none": "●",
    "maintenance": "◆",
    "minor": "▲",
    "major": "✖",
    "critical": "✖",
    "unknown": "?",
}
"""One symbol per indicator, shared by the CLI and the Dependencies pane."""

MAX_TEXT = 200  # a remote name or description longer than this is cut
MAX_ITEMS = 50  # components or incidents beyond this many are not shown


@dataclass(frozen=True, slots=True)
class ComponentState:
    """A component that is not operational. `status` is Statuspage's value, kept raw."""

    name: str
    status: str

    @property
    def label(self) -> str:
        """ "partial outage"; an unrecognised status is shown as it came."""
        return self.status.replace("_", " ")


@dataclass(frozen=True, slots=True)
class IncidentInfo:
    """An active incident, or a scheduled maintenance that is running (impact "maintenance")."""

    name: str
    status: str
    impact: str
    shortlink: str = ""

    @property
    def kind(self) -> str:
        return "maintenance" if self.impact == "maintenance" else "incident"

    @property
    def label(self) -> str:
        """ "incident 'Elevated API errors' (investigating)"."""
        return f"{self.kind} '{self.name}' ({self.status.replace('_', ' ')})"


@dataclass(frozen=True, slots=True)
class DependencyStatus:
    """One status page at one moment.

    `indicator` is the page-wide state; "unknown" means warroom could not tell (the page did
    not answer, or said something not understood) and `error` says why. Even when "unknown",
    components and incidents hold whatever could be read.
    """

    name: str
    url_label: str
    indicator: Indicator
    description: str
    components: tuple[ComponentState, ...]
    incidents: tuple[IncidentInfo, ...]
    checked_at: datetime
    error: str = ""

    @property
    def is_unknown(self) -> bool:
        return self.indicator == "unknown"

    @property
    def all_good(self) -> bool:
        """Operational, nothing degraded, no active incident: nothing to show or log."""
        return self.indicator == "none" and not self.components and not self.incidents

    @property
    def symbol(self) -> str:
        return SYMBOLS[self.indicator]

    @property
    def headline(self) -> str:
        """ "● operational", "▲ minor: Partially Degraded Service", "? unknown (HTTP 503)"."""
        return f"{self.symbol} {self.summary}"

    @property
    def summary(self) -> str:
        """The headline without its symbol: also what the timeline says."""
        if self.is_unknown:
            return f"unknown ({self.error or 'no reason given'})"
        if self.indicator == "none":
            return "operational"
        if self.description:
            return f"{self.indicator}: {self.description}"
        return self.indicator

    @property
    def details(self) -> list[str]:
        """Lines under the headline: degraded components, then active incidents."""
        lines = [f"{c.name}: {c.label}" for c in self.components]
        for incident in self.incidents:
            link = f"  {incident.shortlink}" if incident.shortlink else ""
            lines.append(incident.label + link)
        return lines


def unknown_status(name: str, reason: str, now: datetime, url_label: str = "") -> DependencyStatus:
    """A page that could not be read (no answer, timeout, HTTP error, not JSON...)."""
    return DependencyStatus(
        name=name,
        url_label=url_label,
        indicator="unknown",
        description="",
        components=(),
        incidents=(),
        checked_at=utc(now),
        error=clean_line(reason) or "no reason given",
    )


def label_of_url(url: str) -> str:
    """ "https://status.stripe.com/api/v2/summary.json" -> "status.stripe.com"."""
    try:
        host = urlsplit(url.strip()).netloc
    except ValueError:
        return ""
    return clean_line(host.rpartition("@")[2])[:MAX_TEXT]  # never show credentials


# -- parsing -------------------------------------------------------------------------------


def parse_summary(
    name: str, payload: object, now: datetime, url_label: str = ""
) -> DependencyStatus:
    """A Statuspage v2 `summary.json`, decoded, as a DependencyStatus. Never raises.

    `url_label` names where the page lives (what the operator configured); without it, the
    page's own `page.url` is used. Unrecognised values (a new indicator, a new component
    status) are kept as they came but make the page "unknown", with the value in the reason:
    warroom will not claim "operational" for a page it does not fully understand.
    """
    if not _is_dict(payload):
        return unknown_status(name, "not a status page summary", now, url_label)
    page = payload.get("page")
    if not url_label and _is_dict(page):
        url_label = label_of_url(_text(page.get("url")))

    status = payload.get("status")
    raw_indicator = _text(status.get("indicator")) if _is_dict(status) else ""
    if not _is_dict(status) or not raw_indicator:
        return unknown_status(name, "no status indicator in the summary", now, url_label)
    description = _text(status.get("description"))

    problems: list[str] = []
    components = _components(payload.get("components"), problems)
    incidents = _incidents(payload.get("incidents"), running=None, problems=problems)
    incidents += _incidents(
        payload.get("scheduled_maintenances"), running=_MAINTENANCE_RUNNING, problems=problems
    )

    indicator = _indicator(raw_indicator)
    if indicator is None:
        problems.insert(0, f"unrecognised indicator '{raw_indicator}'")
    unrecognised = [c.status for c in components if c.status not in COMPONENT_STATUSES]
    if unrecognised:
        problems.append(f"unrecognised component status '{unrecognised[0]}'")

    return DependencyStatus(
        name=name,
        url_label=url_label,
        indicator="unknown" if problems or indicator is None else indicator,
        description=description,
        components=tuple(components[:MAX_ITEMS]),
        incidents=tuple(incidents[:MAX_ITEMS]),
        checked_at=utc(now),
        error="; ".join(problems),
    )


def _is_dict(value: object) -> TypeGuard[dict[str, object]]:
    return isinstance(value, dict)


def _text(value: object) -> str:
    """A remote string, cleaned and bounded; anything else is empty."""
    if not isinstance(value, str):
        return ""
    text = clean_line(value)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _indicator(raw: str) -> Indicator | None:
    wanted = raw.strip().casefold()
    for known in INDICATORS:
        if known == wanted:
            return known
    return None


def _components(value: object, problems: list[str]) -> list[ComponentState]:
    """The non-operational components; group rows are left out, their members are named
    "Group / Member"."""
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append("components are not a list")
        return []
    groups = {
        item["id"]: _text(item.get("name"))
        for item in value
        if _is_dict(item) and item.get("group") is True and isinstance(item.get("id"), str)
    }
    found: list[ComponentState] = []
    for item in value:
        if not _is_dict(item) or item.get("group") is True:
            continue
        status = _text(item.get("status")).casefold()
        if status in ("", "operational"):  # a row without a status tells nothing
            continue
        name = _text(item.get("name")) or "(unnamed component)"
        group_id = item.get("group_id")
        group = groups.get(group_id, "") if isinstance(group_id, str) else ""
        found.append(ComponentState(f"{group} / {name}" if group else name, status))
    return found


def _incidents(
    value: object, running: frozenset[str] | None, problems: list[str]
) -> list[IncidentInfo]:
    """Active incidents; with `running`, only scheduled maintenances in those states."""
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append("incidents are not a list")
        return []
    found: list[IncidentInfo] = []
    for item in value:
        if not _is_dict(item):
            continue
        status = _text(item.get("status")).casefold()
        if status in _FINISHED or (running is not None and status not in running):
            continue
        impact = _text(item.get("impact")).casefold()
        if running is not None:
            impact = "maintenance"
        link = _text(item.get("shortlink"))
        found.append(
            IncidentInfo(
                name=_text(item.get("name")) or "(unnamed)",
                status=status or "unknown",
                impact=impact or "unknown",
                shortlink=link if link.startswith(("https://", "http://")) else "",
            )
        )
    return found


# -- what changed ------------------------------------------------------------------------


def changes(previous: DependencyStatus | None, current: DependencyStatus) -> list[str]:
    """Timeline lines for what changed from `previous` to `current`.

    `previous` is None for a page never read yet (see `reached`): the first look. A page
    that cannot be read before it was ever read says nothing: an unreachable page (offline,
    a VPN down) belongs in the Dependencies pane, not in the incident's record. Its first
    answer is a first look: an all-good page says nothing; a problem says what it is.
    A page read before that cannot be read any more is said once (not again while it stays
    unreadable, whatever the reason); when it can be read again, its state is said again
    in full.
    """
    name = current.name
    if _blind(current):
        if previous is None or _blind(previous):
            return []
        return [f"{name}: {_state(current)}"]

    if previous is None or _blind(previous):
        if previous is None and current.all_good:
            return []
        if previous is None:
            lines = [f"{name}: {_state(current)}"] if current.indicator != "none" else []
        else:
            overall = "all systems operational" if current.all_good else _state(current)
            lines = [f"{name}: status known again: {overall}"]
        return lines + _component_lines(name, {}, current) + _incident_lines(name, {}, current)

    lines = []
    if current.all_good:
        if not previous.all_good:
            lines.append(f"{name}: all systems operational again")
        # Every component is back (the line above says so); incidents are named one by one.
        return lines + _incident_lines(name, _incidents_by_key(previous), current)
    if _state(current) != _state(previous):
        lines.append(f"{name}: {_state(current)}")
    before = {c.name: c.status for c in previous.components}
    lines += _component_lines(name, before, current)
    lines += _incident_lines(name, _incidents_by_key(previous), current)
    return lines


def reached(status: DependencyStatus) -> bool:
    """Whether the page was read (answered with something, even if not understood)."""
    return not _blind(status)


def _blind(status: DependencyStatus) -> bool:
    """Nothing could be read: no answer, or nothing understood (as opposed to a page that
    was read but said something not understood, whose contents still count)."""
    return status.is_unknown and not (status.description or status.components or status.incidents)


def _state(status: DependencyStatus) -> str:
    """ "status unknown (timeout after 5s)", "minor: Partially Degraded Service"."""
    return f"status {status.summary}" if status.is_unknown else status.summary


def _component_lines(name: str, before: dict[str, str], current: DependencyStatus) -> list[str]:
    lines = [
        f"{name}: {c.name} {c.label}" for c in current.components if before.get(c.name) != c.status
    ]
    now_degraded = {c.name for c in current.components}
    lines += [f"{name}: {gone} operational again" for gone in before if gone not in now_degraded]
    return lines


def _incidents_by_key(status: DependencyStatus) -> dict[tuple[str, str], IncidentInfo]:
    return {_key(i): i for i in status.incidents}


def _key(incident: IncidentInfo) -> tuple[str, str]:
    return (incident.kind, incident.shortlink or incident.name)


def _incident_lines(
    name: str, before: dict[tuple[str, str], IncidentInfo], current: DependencyStatus
) -> list[str]:
    lines: list[str] = []
    for incident in current.incidents:
        old = before.get(_key(incident))
        if old is None:
            lines.append(f"{name}: {incident.label}")
        elif old.status != incident.status:
            lines.append(f"{name}: {incident.kind} '{incident.name}' now {_words(incident.status)}")
    still_active = {_key(i) for i in current.incidents}
    for key, old in before.items():
        if key not in still_active:
            done = "over" if old.kind == "maintenance" else "resolved"
            lines.append(f"{name}: {old.kind} '{old.name}' {done}")
    return lines


def _words(status: str) -> str:
    return status.replace("_", " ")
