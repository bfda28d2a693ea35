"""The runbook's five communication templates, filled from the incident's record.

`load_message_data` reads what a message needs from the Store, `message_context` turns it into
plain values for one kind of message (pure: no I/O, `now` is given), and `draft_message` /
`render_message` render it. Nothing here sends anything: the outbox queues and the
integrations deliver.

User text reaches a template only through the context and goes through render.py's filters
(`md`, `bullets`), so it is never template source and cannot break the markdown. A customer
message's context holds only what customers may read (the impact, never names, entries or the
incident's title), so even a user's own customer template cannot leak the internal record.

A user's template (in the templates dir) wins over the packaged one; if it has a syntax or
runtime error the packaged template is used instead and the mistake is reported as a
`TemplateProblem` naming the file and line: a broken template must never stop an update.

This module imports jinja2 only when rendering. The kinds of message are a domain type
(`warroom.domain.messages`): the store's outbox uses them too.

One file, a little over 400 lines: the six messages share one context builder and one
fallback for a broken template; split, each would repeat the reading of the record.
"""

from __future__ import annotations

import os
import traceback
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from warroom.domain.clocks import ClockKind, clock_values, compute_clocks, next_update_due
from warroom.domain.messages import MessageKind
from warroom.domain.model import (
    ActionItem,
    EntryKind,
    Incident,
    RoleAssignment,
    Status,
    TimelineEntry,
)
from warroom.domain.text import clean_line
from warroom.domain.timefmt import duration, hhmm, stamp, utc
from warroom.playbook.models import Playbook

if TYPE_CHECKING:
    import jinja2

    from warroom.store.store import Store

__all__ = [
    "DEFAULT_COMPANY",
    "Draft",
    "MAX_LIST_ITEMS",
    "MessageData",
    "MessageKind",
    "TemplateProblem",
    "draft_message",
    "load_message_data",
    "message_context",
    "render_message",
]

DEFAULT_COMPANY = "MaidConnect"
MAX_LIST_ITEMS = 8
"""A list in a message (findings, actions, next steps) shows at most this many: what people
wrote first, newest first."""

UNASSIGNED = "@[unassigned]"
REVIEW_WITHIN = timedelta(hours=24)  # the runbook: review "within 24 hours of resolution"


class TemplateProblem(UserWarning):
    """A user's template could not be used; the packaged one was. `str()` is "path:line: why"."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Draft:
    """A rendered message, and the problem with the user's template if it could not be used."""

    kind: MessageKind
    text: str
    problem: TemplateProblem | None = None


@dataclass(frozen=True)
class MessageData:
    """What the messages are made of, read at one moment (`now`)."""

    incident: Incident
    entries: Sequence[TimelineEntry]
    role_history: Sequence[RoleAssignment]
    action_items: Sequence[ActionItem]
    playbook: Playbook
    now: datetime
    company: str = DEFAULT_COMPANY
    status_page_url: str = ""


def load_message_data(
    store: Store,
    incident_id: str,
    *,
    company: str = DEFAULT_COMPANY,
    status_page_url: str = "",
) -> MessageData:
    """The incident's record from the Store; `now` is the store's clock."""
    incident = store.get(incident_id)
    return MessageData(
        incident=incident,
        entries=tuple(store.timeline(incident.id)),
        role_history=tuple(store.role_history(incident.id)),
        action_items=tuple(store.action_items(incident.id)),
        playbook=store.playbook,
        now=utc(store.clock()),
        company=company,
        status_page_url=status_page_url,
    )


# -- the context ---------------------------------------------------------------------------


def _pick(
    entries: Sequence[TimelineEntry],
    text: Callable[[TimelineEntry], str],
    limit: int = MAX_LIST_ITEMS,
) -> list[str]:
    """At most `limit` entries for a list in a message: what people wrote (or pinned) first,
    newest first, then warroom's own entries, newest first, while there is room.

    Nothing stands in for what is left out: a message is sent as written, and a line like
    "(12 earlier in the timeline)" means nothing to the people who read it.
    """
    newest = sorted(entries, key=lambda e: (e.at, e.id), reverse=True)
    human = [e for e in newest if not e.kind.is_automatic or e.pinned]
    automatic = [e for e in newest if e.kind.is_automatic and not e.pinned]
    return [text(e) for e in (human + automatic)[:limit]]


def _people(names: Iterable[str]) -> str:
    """ "@a", "@a and @b", "@a, @b and @c"."""
    tagged = [f"@{n}" for n in names]
    if len(tagged) <= 1:
        return "".join(tagged)
    return ", ".join(tagged[:-1]) + " and " + tagged[-1]


# Entries by kind value: "what we know" is findings (and the root cause category once chosen);
# "actions taken" is what was done and decided, and the changes warroom recorded on the way
# (status, severity, mitigation strategies). Other pinned entries (notes) are "what we know".
_KNOWN_KINDS = frozenset({"finding", "root_cause"})
_ACTION_KINDS = frozenset({"action", "decision", "status", "severity", "mitigation"})


def _action_text(entry: TimelineEntry) -> str:
    text = clean_line(entry.text)
    if entry.kind.is_automatic:
        return text.replace(" -> ", " → ")  # warroom's own wording, not the user's
    if entry.kind is EntryKind.DECISION and not text.casefold().startswith("decision"):
        return f"Decision: {text}"
    return text


def _internal_context(data: MessageData) -> dict[str, object]:
    incident, playbook = data.incident, data.playbook
    now = utc(data.now)
    start = utc(incident.started_at)
    entries = sorted(data.entries, key=lambda e: (e.at, e.id))
    dated = start.date() != now.date()

    def at(dt: datetime) -> str:
        """A time in a message: HH:MM UTC, with the date when the incident spans days."""
        dt = utc(dt)
        return f"{dt:%Y-%m-%d %H:%M} UTC" if dated or dt.date() != now.date() else f"{hhmm(dt)} UTC"

    def item(entry: TimelineEntry, text: str) -> str:
        when = f"{utc(entry.at):%Y-%m-%d %H:%M}" if dated else hhmm(entry.at)
        return f"{when} {text}"

    try:
        sev = playbook.severity(incident.severity)
        severity_name, severity_title, emoji = sev.name, sev.title, sev.emoji
        # Sending this message restarts the internal clock: the next update is a cadence away.
        restarted = replace(incident, last_internal_update_at=now)
        next_update: str | None = at(next_update_due(restarted, sev))
        values = incident.clock_values or clock_values(sev)
        stakeholder_cadence = timedelta(minutes=values.stakeholder_update_minutes)
        next_stakeholder: str | None = at(now + stakeholder_cadence)
        clocks = {c.kind: c for c in compute_clocks(incident, playbook, now)}
        sla_due = clocks[ClockKind.RESOLVE].due_at
    except KeyError:  # declared under another playbook
        severity_name, severity_title, emoji = f"SEV-{incident.severity}", "", ""
        next_update, next_stakeholder, sla_due = None, None, None

    what_we_know = _pick(
        [
            e
            for e in entries
            if e.kind.value in _KNOWN_KINDS
            or (e.pinned and e.kind.value not in _ACTION_KINDS and e.kind is not EntryKind.TODO)
        ],
        lambda e: item(e, clean_line(e.text)),
    )
    actions = _pick(
        [e for e in entries if e.kind.value in _ACTION_KINDS], lambda e: item(e, _action_text(e))
    )
    todos = _pick(
        [e for e in entries if e.kind is EntryKind.TODO], lambda e: item(e, clean_line(e.text))
    )
    next_steps = todos or ([f"Next update at {next_update}"] if next_update else [])

    current = {a.role: a for a in data.role_history if a.ended_at is None}
    roles = []
    for role in playbook.roles:
        holder = current.get(role.key)
        roles.append(
            {
                "key": role.key,
                "short": role.short,
                "name": role.name,
                "person": holder.person if holder else "",
                "holder": f"@{holder.person}" if holder else UNASSIGNED,
            }
        )
    known_roles = {r.key for r in playbook.roles}
    for key, holder in current.items():  # roles of another playbook still show
        if key not in known_roles:
            roles.append(
                {
                    "key": key,
                    "short": key,
                    "name": key,
                    "person": holder.person,
                    "holder": f"@{holder.person}",
                }
            )
    team: list[str] = []
    for assignment in data.role_history:
        if assignment.person and assignment.person not in team:
            team.append(assignment.person)

    users, features = incident.impact_users.strip(), incident.impact_features.strip()
    impact_parts = [f"Users: {users}" if users else "", f"Features: {features}" if features else ""]
    impact = "; ".join(p for p in impact_parts if p)

    resolved_at = incident.resolved_at or incident.closed_at
    review = incident.review
    last_action = next(
        (clean_line(e.text) for e in reversed(entries) if e.kind is EntryKind.ACTION), ""
    )
    action_items = [
        f"{a.priority}: {clean_line(a.text)} ("
        + (f"@{a.owner}, " if a.owner else "")
        + f"due {utc(a.due_at).date().isoformat()})"
        for a in data.action_items
    ]
    sla_text = ""
    if sla_due is not None:
        sla_text = at(sla_due) + (", passed" if sla_due < now and resolved_at is None else "")

    return {
        "incident_id": incident.id,
        "title": incident.title,
        "severity": f"{severity_name} ({severity_title})" if severity_title else severity_name,
        "severity_name": severity_name,
        "severity_title": severity_title,
        "severity_emoji": emoji,
        "status": incident.status.label,
        "impact": impact,
        "impact_users": users,
        "impact_features": features,
        "started": stamp(start),
        "update_time": at(now),
        "roles": roles,
        "what_we_know": what_we_know,
        "actions_taken": actions,
        "next_steps": next_steps,
        "eta": "Unknown",
        "sla_due": sla_text,
        "next_update": next_update or "",
        "next_stakeholder_update": next_stakeholder or "",
        "resolution_time": duration(incident.elapsed(now)),
        "resolved": resolved_at is not None,
        "resolved_at": at(resolved_at) if resolved_at else "",
        "root_cause": review.root_cause,
        "fix_applied": review.resolution or last_action,
        "verification": review.verification,
        "review_due": stamp(utc(resolved_at or now) + REVIEW_WITHIN),
        "action_items": action_items,
        "team": team,
        "thanks": _people(team) or "the team",
        "company": data.company,
        "now": now,
    }


_CUSTOMER_STATUS = {
    Status.INVESTIGATING: "We are investigating the issue.",
    Status.IDENTIFIED: "We have identified the issue and are working on a fix.",
    Status.MITIGATING: "We have identified the issue and are applying a fix.",
    Status.MONITORING: "A fix has been applied and we are monitoring the results.",
    Status.RESOLVED: "The issue has been resolved.",
    Status.CLOSED: "The issue has been resolved.",
}


def _customer_context(data: MessageData) -> dict[str, object]:
    """Only what customers may read: the impact in plain words. No names, entries or title."""
    incident = data.incident
    now = utc(data.now)
    feature = incident.impact_features.strip() or "some of our services"
    users = incident.impact_users.strip()
    url = data.status_page_url.strip()
    return {
        "company": data.company,
        "feature": feature,
        "affected_users": users or "Some users",
        "customer_impact": f"You may be unable to use {feature}, or find it slow or unreliable.",
        "customer_status": _CUSTOMER_STATUS[incident.status],
        "eta": "We will share an estimated time of recovery in our next update.",
        "updates": url or "We will email you as soon as we know more.",
        "status_page_url": url,
        "what_happened": f"A problem on our side made {feature} unavailable or unreliable.",
        "resolution_time": duration(incident.elapsed(now)),
        "now": now,
    }


def message_context(data: MessageData, kind: MessageKind) -> dict[str, object]:
    """The template's values for `kind`: raw user text (the template escapes it), times as text.

    Customer-facing kinds get a context without the internal record.
    """
    context = _customer_context(data) if kind.is_customer_facing else _internal_context(data)
    context["kind"] = kind.value
    context["kind_title"] = kind.label
    return context


# -- rendering -----------------------------------------------------------------------------


def _builtin_dir() -> Path:
    return Path(__file__).resolve().parent / "templates"


def _is_builtin(filename: str | None) -> bool:
    if not filename:
        return False
    try:
        return Path(filename).resolve().parent == _builtin_dir()
    except OSError:
        return False


def _shown(path: str) -> str:
    """A path as the user would write it: ~ for the home directory."""
    home = os.path.expanduser("~")
    if home not in ("", "~") and path.startswith(home + os.sep):
        return "~" + path[len(home) :]
    return path


def template_problem(exc: Exception, fallback_name: str) -> tuple[TemplateProblem, bool]:
    """The problem as "file:line: message", and whether the file is a packaged template."""
    import jinja2

    if isinstance(exc, jinja2.TemplateSyntaxError):
        filename = exc.filename or exc.name or fallback_name
        return TemplateProblem(_shown(filename), exc.lineno, exc.message or "syntax error"), (
            _is_builtin(exc.filename)
        )
    # A runtime error: jinja2 rewrites the traceback so that template frames carry the
    # template's file name and line. The innermost one is where it went wrong.
    filename, line = fallback_name, None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(".j2") or frame.filename.endswith(".jinja"):
            filename, line = frame.filename, frame.lineno
    message = str(exc) or type(exc).__name__
    if not isinstance(exc, jinja2.TemplateError):
        message = f"{type(exc).__name__}: {message}"
    return TemplateProblem(_shown(filename), line, " ".join(message.split())), _is_builtin(filename)


def _tidy(text: str) -> str:
    """One message: no leading blank lines, exactly one newline at the end."""
    return text.strip("\n") + "\n"


def draft_message(
    kind: MessageKind, data: MessageData, env: jinja2.Environment | None = None
) -> Draft:
    """Render `kind` with `env` (a user's templates dir first); fall back to the packaged
    template when the user's is broken, and say why in `Draft.problem`."""
    from warroom.comms.render import create_environment

    env = env or create_environment()
    context = message_context(data, kind)
    name = data.playbook.templates.name(kind.value)  # the playbook's [templates] choose
    try:
        return Draft(kind, _tidy(env.get_template(name).render(context)))
    except Exception as exc:  # a user's template may raise anything at all
        problem, builtin = template_problem(exc, name)
        if builtin and name == kind.template:
            raise
    packaged = create_environment().get_template(kind.template)
    return Draft(kind, _tidy(packaged.render(context)), problem)


def render_message(
    kind: MessageKind, data: MessageData, env: jinja2.Environment | None = None
) -> str:
    """The message as text; a broken user template is reported with `warnings.warn`."""
    draft = draft_message(kind, data, env)
    if draft.problem is not None:
        warnings.warn(draft.problem, stacklevel=2)
    return draft.text
