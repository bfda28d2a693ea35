"""The post-incident review: the runbook's Incident Timeline Template, filled from the record.

`load_review_data` reads an incident's record from the Store, `review_context` turns it into
plain values (pure: no I/O, `now` is given), `render_review` renders the markdown and
`export_review` writes it atomically and records where it went.

Long because the review is the runbook's longest template and every section's facts are
built here from one record (metrics, key moments, roles, checklist, items, corrections);
splitting by section would pass the same record through a dozen modules.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from warroom.comms.corrections import correction_note
from warroom.comms.render import create_environment
from warroom.domain.clocks import LABELS, ClockKind
from warroom.domain.followups import unowned
from warroom.domain.incident import (
    key_moments,
    mitigations_used,
    root_cause_name,
    scenarios_attached,
    section_title,
    severity_periods,
)
from warroom.domain.metrics import Metrics, Target, incident_metrics
from warroom.domain.model import (
    ActionItem,
    ChecklistItem,
    EntryKind,
    Incident,
    RoleAssignment,
    Status,
    TimelineEntry,
)
from warroom.domain.timefmt import duration, hhmm, span, stamp, utc
from warroom.playbook.models import COMMANDER, Playbook
from warroom.store.files import file_mode, private_dir

if TYPE_CHECKING:
    from warroom.store.store import Store

__all__ = [
    "REVIEW_TEMPLATE",
    "ReviewData",
    "export_review",
    "load_review_data",
    "render_review",
    "review_context",
    "review_filename",
]

REVIEW_TEMPLATE = "review.md.j2"

# Typed entries other than notes say what they are, unless their text already does
# (the store logs a new action item as a TODO that starts "Action item P0: ...").
_PREFIX = {
    EntryKind.FINDING: ("Finding", ()),
    EntryKind.ACTION: ("Action", ()),
    EntryKind.DECISION: ("Decision", ()),
    EntryKind.TODO: ("TODO", ("Action item",)),
}


@dataclass(frozen=True)
class ReviewData:
    """Everything the review is made of, read at one moment (`now`)."""

    incident: Incident
    entries: Sequence[TimelineEntry]
    role_history: Sequence[RoleAssignment]
    checklist: Sequence[ChecklistItem]
    action_items: Sequence[ActionItem]
    playbook: Playbook
    now: datetime
    chain_head: str | None = None
    """The timeline's hash chain head when read (domain/chain.py); None: not chained."""
    corrections_head: str | None = None
    """The corrections' chain head (None: no correction)."""


def load_review_data(store: Store, incident_id: str) -> ReviewData:
    """The incident's whole record from the Store; `now` is the store's clock."""
    incident = store.get(incident_id)
    return ReviewData(
        incident=incident,
        entries=tuple(store.timeline(incident.id)),
        role_history=tuple(store.role_history(incident.id)),
        checklist=tuple(store.checklist(incident.id)),
        action_items=tuple(store.action_items(incident.id)),
        playbook=store.playbook,
        now=utc(store.clock()),
        chain_head=store.chain_head(incident.id),
        corrections_head=store.corrections_head(incident.id),
    )


# -- the context ---------------------------------------------------------------------------


def _severity_name(playbook: Playbook, level: int) -> str:
    try:
        return playbook.severity(level).name
    except KeyError:
        return f"SEV-{level}"


def _target_text(taken: float | None, target: Target) -> str:
    if taken is None:
        return f"— (target {span(target.seconds)})"
    margin = target.margin or 0.0
    verdict = f"met, {span(margin)} to spare" if target.met else f"missed by {span(-margin)}"
    return f"{span(taken)} (target {span(target.seconds)}: {verdict})"


def _status_label(value: str) -> str:
    try:
        return Status(value).label
    except ValueError:
        return value


def _metrics_context(
    data: ReviewData, metrics: Metrics, when: Callable[[datetime | None], str | None]
) -> dict[str, object]:
    """The Metrics section: the numbers `domain.metrics` defines, as text."""

    def shown(seconds: float | None) -> str:
        return "—" if seconds is None else span(seconds)

    statuses = ", ".join(
        f"{_status_label(name)} {span(seconds)}" for name, seconds in metrics.time_in_status.items()
    )
    severities = ", ".join(
        f"{_severity_name(data.playbook, level)} {span(seconds)}"
        for level, seconds in metrics.time_at_severity.items()
    )
    compliance = metrics.cadence_compliance
    on_time = sum(u.on_time for u in metrics.updates)
    cadence = (
        "no update was due"
        if compliance is None
        else f"{compliance:.0f}% on time ({on_time} of {len(metrics.updates)})"
    )
    rows = [
        ("Time to detect (impact start to detection)", shown(metrics.time_to_detect)),
        ("Time to acknowledge", _target_text(metrics.time_to_acknowledge, metrics.acknowledge)),
        ("Time to declare", shown(metrics.time_to_declare)),
        ("Time to identify", shown(metrics.time_to_identify)),
        ("Time to mitigate", shown(metrics.time_to_mitigate)),
        ("Time to resolve", _target_text(metrics.time_to_resolve, metrics.resolve)),
        ("Downtime (impact window)", shown(metrics.downtime)),
        ("Time at each severity (from declaration)", severities or "—"),
        ("Time in each status", statuses or "—"),
        ("Update cadence", cadence),
        ("Longest silence (no update sent)", shown(metrics.longest_silence)),
    ]
    updates = [
        {
            "kind": u.kind.value.capitalize(),
            "due": when(u.due_at) or "",
            "sent": (when(u.sent_at) or "") if u.sent_at else "not sent",
            "late": "on time" if u.on_time else span(u.late),
        }
        for u in metrics.updates
    ]
    return {"metrics": rows, "required_updates": updates}


def _severity_label(playbook: Playbook, level: int) -> str:
    try:
        sev = playbook.severity(level)
    except KeyError:
        return f"SEV-{level}"
    return f"{sev.name} ({sev.title})" if sev.title else sev.name


def _role_name(playbook: Playbook, key: str) -> str:
    try:
        return playbook.role(key).name
    except KeyError:
        return key


def _ic_key(playbook: Playbook) -> str:
    commander = playbook.commander()
    return commander.key if commander else COMMANDER


def _event_text(entry: TimelineEntry) -> str:
    """One timeline row's event, as raw text (the template escapes it)."""
    text = entry.shown_text  # as corrected: the mark says so (correction_note)
    if entry.kind.is_automatic:
        text = text.replace(" -> ", " → ")  # warroom's own wording, not the user's
    prefix = ""
    if entry.kind in _PREFIX:
        label, aliases = _PREFIX[entry.kind]
        said = text.casefold()
        if not any(said.startswith(word.casefold()) for word in (f"{label}:", *aliases)):
            prefix = f"{label}: "
    pin = "📌 " if entry.pinned else ""
    by = f" (@{entry.author})" if entry.author else ""
    return f"{pin}{prefix}{text}{by}"


def _snooze(entry: TimelineEntry, when: Callable[[datetime | None], str | None]) -> dict[str, str]:
    """A snoozed alert, from its timeline entry: when, which clock, until when, who, why."""
    until = entry.data.get("until")
    try:
        label = LABELS[ClockKind(str(entry.data.get("clock")))]
    except ValueError:
        label = str(entry.data.get("clock") or "a clock")
    return {
        "time": when(entry.at) or "",
        "clock": label,
        "until": (when(datetime.fromisoformat(until)) or "") if isinstance(until, str) else "",
        "by": entry.author,
        "reason": str(entry.data.get("reason") or ""),
    }


def review_context(data: ReviewData) -> dict[str, object]:
    """The template's values: raw user text (escaped by the template's filters), times as text."""
    incident, playbook = data.incident, data.playbook
    now = utc(data.now)
    start = utc(incident.started_at)
    finished = incident.resolved_at or incident.closed_at
    ongoing = finished is None
    end = utc(finished) if finished is not None else now
    length = duration((end - start).total_seconds())
    moments = key_moments(incident, data.entries)

    # Times carry their date when what the document shows spans more than one UTC day.
    shown = [start, end]
    shown += [e.at for e in data.entries]
    shown += [m.at for m in moments if m.at is not None]
    shown += [a.assigned_at for a in data.role_history]
    shown += [a.ended_at for a in data.role_history if a.ended_at is not None]
    shown += [i.done_at for i in data.checklist if i.done_at is not None]
    days = {utc(t).date() for t in shown}
    dated = len(days) > 1

    def when(at: datetime | None) -> str | None:
        if at is None:
            return None
        return utc(at).strftime("%Y-%m-%d %H:%M") if dated else hhmm(at)

    # Header: date, duration, severity.
    if start.date() == end.date():
        date_text = start.date().isoformat()
        span = f"{hhmm(start)} - {hhmm(end)} UTC"
    else:
        date_text = f"{start.date().isoformat()} to {end.date().isoformat()}"
        span = f"{start:%Y-%m-%d %H:%M} - {end:%Y-%m-%d %H:%M} UTC"
    # Downtime is the impact window (detection to mitigation unless recorded otherwise), not
    # the incident's duration: users are usually back before the incident is resolved.
    metrics = incident_metrics(incident, data.entries, playbook, now)
    ongoing_length = f"{length}, ongoing" if ongoing else length
    downtime = ongoing_length if metrics.downtime is None else duration(metrics.downtime)

    periods = severity_periods(incident, data.entries, end)
    # A change of severity at the very start leaves an empty first period: not worth a mention.
    periods = [p for p in periods if p.seconds > 0] or periods[-1:]
    periods_text = ", ".join(
        f"{_severity_name(playbook, p.level)} {duration(p.seconds)}" for p in periods
    )

    # The Incident Commander now, and the handoffs that led here.
    ic_key = _ic_key(playbook)
    ics = [a for a in data.role_history if a.role == ic_key]
    current_ic = next((a for a in reversed(ics) if a.ended_at is None), None)
    handoffs = []
    if current_ic is not None:
        previous: RoleAssignment | None = None
        for assignment in ics:
            if previous is not None:
                handoffs.append({"person": previous.person, "at": when(assignment.assigned_at)})
            if assignment is current_ic:
                break
            previous = assignment

    roles = [
        {
            "role": _role_name(playbook, a.role),
            "person": a.person,
            "start": when(a.assigned_at),
            "end": when(a.ended_at),
            "by": a.assigned_by,
        }
        for a in data.role_history
    ]

    timeline = [
        {
            "time": when(e.at),
            "event": _event_text(e),
            "struck": e.strike is not None,
            "note": correction_note(e),
        }
        for e in data.entries
    ]
    snoozes = [_snooze(e, when) for e in data.entries if e.kind is EntryKind.SNOOZE]

    actions = [
        {
            "text": a.text,
            "owner": f"@{a.owner}" if a.owner else "",
            "due": utc(a.due_at).date().isoformat(),
            "priority": a.priority,
            "status": a.status,
        }
        for a in data.action_items
    ]
    unowned_items = [a.text for a in unowned(data.action_items)]

    groups: dict[str, list[ChecklistItem]] = {}
    for item in data.checklist:
        groups.setdefault(item.section, []).append(item)
    checklist = [
        {
            "title": section_title(playbook, section),
            "done": sum(i.done for i in items),
            "total": len(items),
            "items": [
                {"text": i.text, "done": i.done, "by": i.done_by or "", "at": when(i.done_at)}
                for i in items
            ],
        }
        for section, items in groups.items()
    ]

    mitigations = [
        {
            "name": use.name,
            "started": when(use.started_at),
            "applied": when(use.applied_at),
        }
        for use in mitigations_used(data.entries)
    ]
    scenarios = [s.name for s in scenarios_attached(data.entries)]

    # People, not machines: the status radar writes entries but attends no meeting.
    people = {e.author for e in data.entries if e.author != "radar"}
    people |= {a.person for a in data.role_history} | {a.assigned_by for a in data.role_history}
    attendees = sorted((p for p in people if p.strip()), key=lambda p: (p.casefold(), p))

    return {
        # The record itself, for templates that want more than the fields below.
        "incident": incident,
        **_metrics_context(data, metrics, when),
        "entries": list(data.entries),
        "role_history": list(data.role_history),
        "playbook": playbook,
        "now": now,
        # The document's fields.
        "incident_id": incident.id,
        "title": incident.title,
        "is_draft": incident.is_open,
        "status": incident.status.label,
        "generated": stamp(now),
        "date": date_text,
        "duration": f"{span} ({length}{', ongoing' if ongoing else ''})",
        "downtime": downtime,
        "ongoing": ongoing,
        "severity": _severity_label(playbook, incident.severity),
        "severity_periods": periods_text,
        "commander": current_ic.person if current_ic is not None else "",
        "handoffs": handoffs,
        "impact_users": incident.impact_users,
        "impact_features": incident.impact_features,
        "key_moments": [{"label": m.label, "time": when(m.at)} for m in moments],
        "roles": roles,
        "timeline": timeline,
        "snoozes": snoozes,
        "review": incident.review,
        "root_cause_category": root_cause_name(playbook, incident, data.entries) or "",
        "scenarios": scenarios,
        "mitigations": mitigations,
        "action_items": actions,
        "checklist": checklist,
        "checklist_done": sum(i.done for i in data.checklist),
        "checklist_total": len(data.checklist),
        "attendees": attendees,
        "unowned": unowned_items,
        "chain_head": data.chain_head or "",
        "corrections_head": data.corrections_head or "",
    }


def render_review(data: ReviewData, env: jinja2.Environment | None = None) -> str:
    """The review as markdown; `env` defaults to warroom's (packaged templates only)."""
    name = data.playbook.templates.name("review")  # the playbook's [templates] choose
    context = review_context(data)
    if name == REVIEW_TEMPLATE:
        return (env or create_environment()).get_template(name).render(context)
    try:
        return (env or create_environment()).get_template(name).render(context)
    except Exception as exc:  # a template of the user's may raise anything at all
        import warnings

        from warroom.comms.messages import template_problem

        warnings.warn(
            template_problem(exc, name)[0], stacklevel=2
        )  # said; the review is still written
    return create_environment().get_template(REVIEW_TEMPLATE).render(context)


# -- export --------------------------------------------------------------------------------


def review_filename(incident: Incident) -> str:
    """`<ID>-review.md` once closed; `<ID>-review-DRAFT.md` while the incident is open."""
    suffix = "-review-DRAFT.md" if incident.is_open else "-review.md"
    return f"{incident.id}{suffix}"


def _write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` so that readers see the old file or the new one, never half."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(tmp, flags, file_mode(path.parent))  # private (store/files.py)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:  # "No space left on device": say which file
        tmp.unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # make the rename durable where the OS allows it
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def draft_mark(incident_id: str) -> str:
    """The last line of a draft review warroom wrote (an HTML comment: invisible when shown)."""
    return f"\n<!-- warroom: draft review of {incident_id}; replaced by the final review -->\n"


def _tail(path: Path) -> str:
    """The end of a file ("" if it cannot be read)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 512))
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def _is_our_draft(path: Path, incident_id: str) -> bool:
    """Whether `path` is a draft warroom wrote (it ends with `draft_mark`), not someone's file."""
    return _tail(path).endswith(draft_mark(incident_id))


def final_mark(incident: Incident) -> str:
    """The last line of a final review: which closure it is of. A review of the same closure
    is replaced when exported again; one of an earlier closure (the incident was reopened and
    closed again) is kept, renamed (`keep_earlier_review`)."""
    closed = utc(incident.closed_at).isoformat() if incident.closed_at else "-"
    return f"\n<!-- warroom: review of {incident.id}, closed {closed} -->\n"


def keep_earlier_review(path: Path) -> Path:
    """Move the review at PATH aside as `<ID>-review.<N>.md` (the first free N from 1): the
    review of an earlier closure, kept beside the new one. Its new path."""
    number = 1
    while (kept := path.with_name(f"{path.stem}.{number}{path.suffix}")).exists():
        number += 1
    os.replace(path, kept)
    return kept


def export_review(
    store: Store,
    incident_id: str,
    reviews_dir: Path | None = None,
    output: Path | None = None,
) -> Path:
    """Render the review and write it; a closed incident's review path is recorded in the store.

    `output` names the file; otherwise it goes to `reviews_dir` (default: `reviews/` beside the
    database) under `review_filename`. Failing to write raises the OSError as it came.
    """
    from warroom.config import default_reviews_dir

    data = load_review_data(store, incident_id)
    text = render_review(data)
    default_place = output is None
    if output is None:
        directory = reviews_dir if reviews_dir is not None else default_reviews_dir(store.path)
        output = directory / review_filename(data.incident)
    output = Path(output).absolute()
    private_dir(output.parent)
    if data.incident.is_open:  # a mark to know the draft for warroom's own when it is replaced
        text += draft_mark(data.incident.id)
    else:
        mark = final_mark(data.incident)
        text += mark
        if default_place and output.exists() and not _tail(output).endswith(mark):
            keep_earlier_review(output)  # closed again after a reopen: the first review stays
    _write_atomic(output, text)
    if not data.incident.is_open:
        store.set_review_path(data.incident.id, str(output))
        # Recording it may tick the checklist ("Document - Complete post-incident review"):
        # the review shows its own checklist, so it is written again with that tick.
        final = render_review(load_review_data(store, incident_id)) + mark
        if final != text:
            _write_atomic(output, final)
        draft = output.with_name(f"{data.incident.id}-review-DRAFT.md")
        if draft != output and _is_our_draft(draft, data.incident.id):
            draft.unlink(missing_ok=True)  # the final review replaces warroom's own draft
    return output
