"""Drills in the comms: every rendered message marked DRILL, and the drill report.

A drill's messages are the runbook's templates like a real incident's, with `[DRILL]`
before them (`mark`), so that nobody can take one for the real thing, even pasted
elsewhere. The drill report (`<ID>-drill-report.md`, beside the reviews) measures the
response against the playbook's targets (domain/drill.py), then includes the review.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from warroom.comms.render import cell, md
from warroom.comms.review import _write_atomic, load_review_data, render_review
from warroom.domain.drill import DRILL_MARK, Drill, DrillReport, drill_report
from warroom.domain.timefmt import span, stamp
from warroom.store.files import private_dir
from warroom.store.store import Store

PREFIX = f"[{DRILL_MARK}] "


def mark(text: str) -> str:
    """TEXT marked as a drill's (once: marking a marked text changes nothing)."""
    return text if text.lstrip().startswith(PREFIX.strip()) else PREFIX + text.lstrip()


class _DrillTemplate(jinja2.Template):
    def render(self, *args: Any, **kwargs: Any) -> str:
        return mark(super().render(*args, **kwargs))


def drill_environment(env: jinja2.Environment) -> jinja2.Environment:
    """ENV, every template it renders from now on marked DRILL (the same environment)."""
    env.template_class = _DrillTemplate
    env.cache = None  # templates loaded before were of the unmarked class
    return env


def report_filename(incident_id: str) -> str:
    return f"{incident_id}-drill-report.md"


def _taken(seconds: float | None) -> str:
    return "not done" if seconds is None else span(seconds)


def _met(value: bool | None) -> str:
    return {True: "met", False: "MISSED", None: "not done"}[value]


def render_drill_report(report: DrillReport, review: str) -> str:
    drill, incident = report.drill, report.incident
    lines = [
        f"# {DRILL_MARK} report: {md(drill.title)}",
        "",
        f"**This was a drill** (`{drill.key}`), not a real incident: {incident.id},"
        f" SEV-{incident.severity}, played on a simulated clock.",
        "",
        f"- Detected: {stamp(incident.detected_at)} (simulated) - {md(drill.detected)}",
        f"- Injects delivered: {report.injects_delivered} of {len(drill.injects)}",
        "",
        "## Response times",
        "",
        "| Measure | Taken | Target | Result |",
        "|---|---|---|---|",
    ]
    for m in report.measures:
        lines.append(
            f"| {m.name} | {_taken(m.taken)} | {span(m.target)} ({cell(m.basis)}) | {_met(m.met)} |"
        )
    metrics = report.metrics
    compliance = (
        "none required"
        if metrics.cadence_compliance is None
        else f"{metrics.cadence_compliance:.0f}%"
    )
    coverage = report.checklist_coverage
    lines += [
        "",
        "## Updates",
        "",
        f"- Updates on time: {report.updates_on_time} of {report.updates_required}"
        f" required ({compliance})",
        f"- Resolve (SLA): {_taken(metrics.resolve.taken)} of {span(metrics.resolve.seconds)}"
        f" - {_met(metrics.resolve.met)}",
        "",
        "## Checklist coverage",
        "",
        f"- {report.checklist_done} of {report.checklist_total} items ticked"
        + (f" ({coverage:.0f}%)" if coverage is not None else ""),
        "",
        "## Mitigation",
        "",
        f"- Expected: `{drill.expected_mitigation}`",
        "- Chosen: "
        + (", ".join(f"`{k}`" for k in report.mitigations) if report.mitigations else "none")
        + (f" (applied: `{report.mitigation_applied}`)" if report.mitigation_applied else ""),
        f"- Result: {'as expected' if report.mitigation_matched else 'NOT the expected one'}",
    ]
    if drill.expected_root_cause:
        chosen = incident.root_cause_category or "none"
        lines.append(f"- Root cause category: `{chosen}` (expected `{drill.expected_root_cause}`)")
    lines += ["", "## The review, as written", "", review.strip(), ""]
    return "\n".join(lines)


def build_report(store: Store, drill: Drill, incident_id: str) -> DrillReport:
    incident = store.get(incident_id)
    return drill_report(
        drill,
        incident,
        store.timeline(incident_id),
        store.role_history(incident_id),
        store.checklist(incident_id),
        store.playbook,
        store.clock(),
    )


def write_drill_report(
    store: Store, drill: Drill, incident_id: str, reviews_dir: Path | None = None
) -> Path:
    """Write the drill report of INCIDENT_ID beside the reviews; its path."""
    report = build_report(store, drill, incident_id)
    review_path = report.incident.review_path
    try:
        review = Path(review_path).read_text(encoding="utf-8") if review_path else ""
    except OSError:
        review = ""
    if not review:
        review = render_review(load_review_data(store, incident_id))
    from warroom.config import default_reviews_dir

    directory = reviews_dir if reviews_dir is not None else default_reviews_dir(store.path)
    private_dir(directory)
    output = (directory / report_filename(incident_id)).absolute()
    _write_atomic(output, render_drill_report(report, review))
    return output
