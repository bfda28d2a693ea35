"""The post-incident review export: the runbook's template, filled from a real record."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jinja2
import pytest

from warroom.comms.render import bullets, cell, create_environment, md
from warroom.comms.review import (
    ReviewData,
    export_review,
    final_mark,
    load_review_data,
    render_review,
    review_context,
    review_filename,
)
from warroom.domain.model import EntryKind, ReviewNotes, Status, TimelineEntry
from warroom.playbook import default_playbook
from warroom.store.store import Store

GOLDEN = Path(__file__).parents[1] / "golden"
DAY = datetime(2026, 11, 27, tzinfo=UTC)

# The headings of the runbook's "Incident Timeline Template", in order.
RUNBOOK_HEADINGS = [
    "# Incident Review: ",
    "**Incident ID:** ",
    "**Date:** ",
    "**Duration:** ",
    "**Severity:** ",
    "**Incident Commander:** ",
    "## Impact",
    "- **Users Affected:** ",
    "- **Features Affected:** ",
    "- **Revenue Impact:** ",
    "- **Downtime:** ",
    "## Timeline (UTC)",
    "| Time | Event |",
    "## Root Cause",
    "**Contributing Factors:**",
    "## Resolution",
    "**Verification:**",
    "## What Went Well",
    "## What Could Be Improved",
    "## Action Items",
    "| Action | Owner | Due Date | Priority | Status |",
    "## Prevention",
    "**Short-term (< 1 week):**",
    "**Long-term (< 1 month):**",
    "**Monitoring:**",
    "## Lessons Learned",
    "## Response checklist",
    "### Checklist",
    "\n---\n",
    "**Review Meeting:** ",
    "**Attendees:** ",
    "**Follow-up:** ",
]


class FakeClock:
    """A clock that says what it was last told; `at("10:20")` moves it (never back)."""

    def __init__(self, start: datetime) -> None:
        self.times = [start]

    def __call__(self) -> datetime:
        return self.times[-1]

    def at(self, hhmm: str, day: int = 0) -> datetime:
        hours, minutes = map(int, hhmm.split(":"))
        when = DAY + timedelta(days=day, hours=hours, minutes=minutes)
        assert when >= self.times[-1], "the fake clock only moves forward"
        self.times.append(when)
        return when


def _store(tmp_path: Path, clock: FakeClock) -> Store:
    return Store(tmp_path / "w.db", default_playbook(), clock=clock, author="alice")


def _tick(store: Store, incident_id: str, text_start: str, author: str) -> None:
    item = next(i for i in store.checklist(incident_id) if i.text.startswith(text_start))
    store.tick(item.id, author=author)


def build_full_incident(tmp_path: Path) -> tuple[Store, FakeClock, str]:
    """A SEV-2 that became a SEV-1, with everything a review draws on."""
    clock = FakeClock(DAY + timedelta(hours=10))
    store = _store(tmp_path, clock)
    inc = store.declare(
        "Booking creation failing after deploy 1234",
        severity=2,
        impact_users="~35% of users creating bookings",
        impact_features="Booking creation, booking confirmation emails",
        detected_at=DAY + timedelta(hours=9, minutes=52),
        author="alice",
    )
    iid = inc.id
    clock.at("10:01")
    store.assign(iid, "ic", "alice", author="alice")
    store.acknowledge(iid, author="alice")
    _tick(store, iid, "Acknowledge alert in incident channel", "alice")
    clock.at("10:03")
    store.assign(iid, "ops", "bob", author="alice")
    store.assign(iid, "dev", "dave", author="alice")
    clock.at("10:04")
    _tick(store, iid, "Check Better Stack dashboard", "bob")
    _tick(store, iid, "Check Vercel", "bob")
    clock.at("10:12")
    store.log(
        iid,
        "Error rate on POST /api/bookings at 35% since deploy 1234 (10:47 yesterday's build)",
        kind=EntryKind.FINDING,
        author="bob",
    )
    clock.at("10:14")
    store.attach_scenario(iid, "payments_failing", author="alice")
    clock.at("10:20")
    store.set_severity(iid, 1, author="alice")
    clock.at("10:25")
    store.assign(iid, "ic", "carol", author="alice")
    clock.at("10:30")
    store.set_status(iid, Status.IDENTIFIED, author="carol")
    store.set_root_cause(iid, "recent_deployment", author="carol")
    store.record_update(iid, text="Root cause: deploy 1234. Rolling back.", author="carol")
    clock.at("10:33")
    store.log(
        iid,
        "Roll back deploy 1234 rather than hotfix: the migration is backwards compatible",
        kind=EntryKind.DECISION,
        author="carol",
        pinned=True,
    )
    clock.at("10:35")
    store.start_mitigation(iid, "rollback", author="carol")
    clock.at("10:37")
    _tick(store, iid, "Find last known good deployment", "bob")
    clock.at("10:41")
    store.log(iid, "Rollback to deploy 1233 finished\nerror rate falling", author="bob")
    store.apply_mitigation(iid, "rollback", author="bob")
    clock.at("10:50")
    store.set_status(iid, Status.MONITORING, author="carol")
    clock.at("11:05")
    store.set_status(iid, Status.RESOLVED, author="carol")
    clock.at("11:07")
    store.add_action_item(
        iid, "Add an alert on booking error rate > 5%", "P0", owner="bob", author="carol"
    )
    store.add_action_item(iid, "Require a canary for deploys touching bookings", "P2")
    clock.at("11:10")
    store.close(
        iid,
        ReviewNotes(
            root_cause=(
                "Deploy 1234 changed the booking validator to require a phone number, "
                "which older mobile clients do not send."
            ),
            contributing_factors="No canary deploy for the API\n- Validator change had no tests",
            resolution="Rolled back to deploy 1233 at 10:41 UTC.",
            verification="Booking error rate back under 0.5% for 15 minutes\nSupport confirmed",
            went_well="Rollback took 6 minutes\nIC handoff was clean",
            improvements="Detection took 8 minutes: no alert on booking errors",
            lessons="Validation changes are API changes: version them.",
            prevention_short_term="Restore the phone number as optional",
            prevention_long_term="Contract tests against the last two mobile releases",
            monitoring="Alert on booking error rate > 5% for 5 minutes",
            revenue_impact="About 310 bookings lost (~$14k)",
            review_meeting="2026-11-28 15:00 UTC",
        ),
        author="carol",
    )
    return store, clock, iid


def check_golden(name: str, text: str) -> None:
    """Compare with tests/golden/<name>; WARROOM_UPDATE_GOLDEN=1 rewrites it instead."""
    path = GOLDEN / name
    if os.environ.get("WARROOM_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        return
    assert path.exists(), f"{path} is missing: run with WARROOM_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def unescaped_pipes(line: str) -> int:
    """How many `|` split this table row (a backslash escapes the next character)."""
    count, i = 0, 0
    while i < len(line):
        if line[i] == "\\":
            i += 2
            continue
        count += line[i] == "|"
        i += 1
    return count


def section(text: str, heading: str) -> str:
    """The text under `heading` up to the next heading of the same or a higher level."""
    level = heading.split(" ")[0]
    start = text.index(heading + "\n") + len(heading) + 1
    ends = [text.find("\n" + "#" * n + " ", start) for n in range(1, len(level) + 1)] + [
        text.find("\n---\n", start)
    ]
    ends = [e for e in ends if e != -1]
    return text[start : min(ends)] if ends else text[start:]


def table_rows(text: str, header: str) -> list[str]:
    lines = text[text.index(header) :].splitlines()
    rows = []
    for line in lines:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


# -- the full review -----------------------------------------------------------------------


def test_full_review_matches_golden(tmp_path: Path) -> None:
    store, _, iid = build_full_incident(tmp_path)
    text = render_review(load_review_data(store, iid))
    check_golden("review_full.md", text)


def test_the_playbooks_review_template_writes_the_review(tmp_path: Path) -> None:
    store, _, iid = build_full_incident(tmp_path)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "our-review.md.j2").write_text("# Our review of {{ incident.id }}\n")
    data = load_review_data(store, iid)
    named = replace(
        data,
        playbook=replace(
            data.playbook,
            templates=replace(data.playbook.templates, review="our-review.md.j2"),
        ),
    )
    env = create_environment(user_templates=templates)
    assert render_review(named, env) == f"# Our review of {iid}\n"
    # Named and missing: the packaged review, and a warning that says which file.
    gone = replace(
        named,
        playbook=replace(
            named.playbook, templates=replace(named.playbook.templates, review="x.j2")
        ),
    )
    with pytest.warns(UserWarning, match="x.j2"):
        assert render_review(gone, env) == render_review(data)


def test_full_review_content(tmp_path: Path) -> None:
    store, _, iid = build_full_incident(tmp_path)
    text = render_review(load_review_data(store, iid))
    assert text.startswith("# Incident Review: Booking creation failing after deploy 1234\n")
    assert "DRAFT" not in text
    assert "**Incident ID:** INC-2026-11-27-1\n" in text
    assert "**Date:** 2026-11-27\n" in text
    assert "**Duration:** 09:52 - 11:05 UTC (1h 13m)\n" in text
    assert "**Severity:** SEV-1 (Critical Outage)\n" in text
    assert "**Incident Commander:** carol (handed off from alice at 10:25)\n" in text
    # Downtime is the impact window (detected 09:52 to mitigated 10:41), not the duration.
    assert "- **Downtime:** 49m\n" in text
    metrics = section(text, "## Metrics")
    assert "| Time to resolve | 1h 13m (target 1h 00m: missed by 13m) |" in metrics
    assert "| Time at each severity (from declaration) | SEV-2 20m, SEV-1 45m |" in metrics
    assert "| Internal | 11:00 | not sent | 5m |" in metrics
    moments = section(text, "### Key moments")
    for label, time in [
        ("Issue first detected", "09:52"),
        ("Incident declared", "10:00"),
        ("Acknowledged", "10:01"),
        ("Root cause identified", "10:30"),
        ("Mitigation started (Rollback deployment)", "10:35"),
        ("Mitigation applied (Rollback deployment)", "10:41"),
        ("Service partially restored (monitoring)", "10:50"),
        ("Full resolution confirmed", "11:05"),
        ("Incident closed", "11:10"),
    ]:
        assert f"| {label} | {time} |" in moments
    events = section(text, "### All events")
    assert "| 10:12 | Finding: Error rate on POST /api/bookings" in events
    assert "| 10:33 | 📌 Decision: Roll back deploy 1234 rather than hotfix" in events
    assert "Rollback to deploy 1233 finished<br>error rate falling (@bob) |" in events
    assert "| 11:10 | Incident closed (@carol) |" in events
    # The whole timeline: one row per entry.
    rows = table_rows(events, "| Time | Event |")
    assert len(rows) - 2 == len(store.timeline(iid))
    roles = section(text, "### Roles")
    assert "- Incident Commander: alice (10:01 - 10:25)" in roles
    assert "- Incident Commander: carol (since 10:25)" in roles
    assert "- Ops Engineer: bob (since 10:03)" in roles
    factors = section(text, "## Root Cause")
    assert "- No canary deploy for the API\n- Validator change had no tests\n" in factors
    checklist = section(text, "## Response checklist")
    assert "- [x] Acknowledge alert in incident channel (alice, 10:01)" in checklist
    assert "- [ ] Check Supabase" in checklist
    # The IC was assigned at SEV-2 (auto ticked); done once, it counts for SEV-1 too.
    assert "#### SEV-1 actions (1/6)" in checklist
    assert "SEV-2 actions" not in checklist
    assert "- [x] Assign Incident Commander (alice, 10:01)" in checklist
    assert "**Attendees:** alice, bob, carol, dave\n" in text
    assert "- **Revenue Impact:** About 310 bookings lost (~$14k)\n" in text
    assert "**Review Meeting:** 2026-11-28 15:00 UTC\n" in text


def test_an_action_done_before_a_severity_raise_counts_under_the_new_severity(
    tmp_path: Path,
) -> None:
    """Issue 8: after SEV-2 -> SEV-1 the review listed "Assign Incident Commander" under
    "SEV-2 actions (1/1)" while "SEV-1 actions" showed 0/5."""
    store, _, iid = build_full_incident(tmp_path)
    checklist = section(render_review(load_review_data(store, iid)), "## Response checklist")
    sev1 = section(checklist, "#### SEV-1 actions (1/6)")
    assert "- [x] Assign Incident Commander (alice, 10:01)" in sev1
    assert sev1.count("- [ ] ") == 5
    assert "#### SEV-2" not in checklist


def test_the_checklist_follows_the_record(tmp_path: Path) -> None:
    """Issue 8: "Declare incident" ticks when declared, "Communicate" when the first internal
    update is sent, "Document" when the review is written (the final one, at close)."""
    store, _, iid = build_full_incident(tmp_path)
    quick = section(render_review(load_review_data(store, iid)), "#### Quick Start (5/9)")
    assert "- [x] Declare incident - Create incident thread if SEV-1 or SEV-2 (alice, 10:00)" in (
        quick
    )
    assert "- [x] Communicate - Update team and affected users (carol, 10:30)" in quick
    assert "- [ ] Document - Complete post-incident review\n" in quick  # not written yet
    path = export_review(store, iid)
    written = path.read_text(encoding="utf-8")
    assert "- [x] Document - Complete post-incident review (alice, 11:10)" in written
    assert "#### Quick Start (6/9)" in written
    assert written == render_review(load_review_data(store, iid)) + final_mark(store.get(iid))


def test_a_draft_review_does_not_tick_document(tmp_path: Path) -> None:
    clock = FakeClock(DAY + timedelta(hours=10))
    store = _store(tmp_path, clock)
    iid = store.declare("Search is slow", severity=3).id
    text = export_review(store, iid).read_text(encoding="utf-8")
    assert "- [ ] Document - Complete post-incident review\n" in text
    assert not next(i for i in store.checklist(iid) if i.text.startswith("Document")).done


def test_revenue_impact_and_review_meeting_where_the_runbook_puts_them(tmp_path: Path) -> None:
    """Issue 8: the review never asked for the review meeting date or the revenue impact."""
    store, _, iid = build_full_incident(tmp_path)
    text = render_review(load_review_data(store, iid))
    impact = section(text, "## Impact")
    assert impact.index("- **Features Affected:** ") < impact.index("- **Revenue Impact:** ")
    assert "- **Revenue Impact:** About 310 bookings lost (~$14k)\n- **Downtime:** " in impact
    footer = text[text.rindex("\n---\n") :]
    assert footer.startswith("\n---\n\n**Review Meeting:** 2026-11-28 15:00 UTC\n\n**Attendees:** ")


def test_revenue_impact_and_review_meeting_not_given(tmp_path: Path) -> None:
    clock = FakeClock(DAY + timedelta(hours=10))
    store = _store(tmp_path, clock)
    iid = store.declare("Search is slow", severity=3).id
    store.close(iid)
    text = render_review(load_review_data(store, iid))
    assert "- **Revenue Impact:** _Not recorded_\n" in text
    assert "**Review Meeting:** _Not recorded_\n" in text


def test_revenue_impact_and_review_meeting_are_escaped(tmp_path: Path) -> None:
    clock = FakeClock(DAY + timedelta(hours=10))
    store = _store(tmp_path, clock)
    iid = store.declare("Search is slow", severity=3).id
    store.close(iid)
    plain = _structure(render_review(load_review_data(store, iid)))[0]
    hostile = HOSTILE + "\n# not a heading\n---"
    store.save_review_notes(iid, ReviewNotes(revenue_impact=hostile, review_meeting=hostile))
    text = render_review(load_review_data(store, iid))
    _assert_markdown_intact(text)
    assert _structure(text)[0] == plain  # the same headings: none came from the answers


def test_every_heading_in_runbook_order(tmp_path: Path) -> None:
    store, _, iid = build_full_incident(tmp_path)
    text = render_review(load_review_data(store, iid))
    positions = [text.index(h) for h in RUNBOOK_HEADINGS]
    assert positions == sorted(positions)


def test_severity_periods_line(tmp_path: Path) -> None:
    store, _, iid = build_full_incident(tmp_path)
    text = render_review(load_review_data(store, iid))
    # From the declaration (10:00) to 10:20 at SEV-2, then SEV-1 until resolution at 11:05,
    # as in the Metrics section.
    assert "**Time at each severity:** SEV-2 20m, SEV-1 45m\n" in text
    assert "| Time at each severity (from declaration) | SEV-2 20m, SEV-1 45m |" in text


def test_severity_changed_at_declaration_has_no_empty_period(tmp_path: Path) -> None:
    clock = FakeClock(DAY + timedelta(hours=10))
    store = _store(tmp_path, clock)
    iid = store.declare("Site down", severity=2).id
    store.set_severity(iid, 1)
    clock.at("10:45")
    text = render_review(load_review_data(store, iid))
    assert "**Time at each severity:** SEV-1 45m\n" in text


def test_action_items_table(tmp_path: Path) -> None:
    store, _, iid = build_full_incident(tmp_path)
    text = render_review(load_review_data(store, iid))
    rows = table_rows(text, "| Action | Owner | Due Date | Priority | Status |")
    assert rows[2:] == [
        # Created 2026-11-27 11:07: P0 due in 48 hours, P2 in 2 weeks.
        "| Add an alert on booking error rate &gt; 5% | @bob | 2026-11-29 | P0 | Open |",
        "| Require a canary for deploys touching bookings | unassigned | 2026-12-11 | P2 | Open |",
    ]
    # An item nobody owns is named once more under the table: the review nags.
    assert "**No owner yet:** Require a canary for deploys touching bookings." in text


# -- drafts, empty incidents, export -------------------------------------------------------


def test_draft_of_an_open_incident(tmp_path: Path) -> None:
    clock = FakeClock(DAY + timedelta(hours=10))
    store = _store(tmp_path, clock)
    inc = store.declare("Search is slow", severity=3)
    clock.at("10:48")
    assert review_filename(inc) == "INC-2026-11-27-1-review-DRAFT.md"
    path = export_review(store, inc.id)
    assert path == (tmp_path / "reviews" / "INC-2026-11-27-1-review-DRAFT.md").absolute()
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[2].startswith("> **DRAFT**: INC-2026-11-27-1 is still open")
    assert "Generated 2026-11-27 10:48 UTC" in text
    assert "**Duration:** 10:00 - 10:48 UTC (48m, ongoing)\n" in text
    assert "**Incident Commander:** _Not assigned_\n" in text
    # Drafts are not recorded as the incident's review.
    assert store.get(inc.id).review_path is None


def test_export_closed_records_review_path(tmp_path: Path) -> None:
    store, _, iid = build_full_incident(tmp_path)
    assert review_filename(store.get(iid)) == f"{iid}-review.md"
    path = export_review(store, iid)
    assert path == (tmp_path / "reviews" / f"{iid}-review.md").absolute()
    assert path.read_text(encoding="utf-8") == render_review(
        load_review_data(store, iid)
    ) + final_mark(store.get(iid))
    assert store.get(iid).review_path == str(path)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temp files left
    # Exporting again replaces the file in place.
    again = export_review(store, iid)
    assert again == path
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_export_to_chosen_dir_and_file(tmp_path: Path) -> None:
    store, _, iid = build_full_incident(tmp_path)
    path = export_review(store, iid, reviews_dir=tmp_path / "a" / "b")
    assert path == (tmp_path / "a" / "b" / f"{iid}-review.md").absolute()
    out = tmp_path / "c" / "mine.md"
    assert export_review(store, iid, output=out) == out.absolute()
    assert out.read_text(encoding="utf-8").startswith("# Incident Review: ")
    assert store.get(iid).review_path == str(out.absolute())


def test_unwritable_directory_raises_oserror(tmp_path: Path) -> None:
    store, _, iid = build_full_incident(tmp_path)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the reviews directory should be", encoding="utf-8")
    with pytest.raises(OSError):
        export_review(store, iid, reviews_dir=blocker)
    with pytest.raises(OSError):
        export_review(store, iid, output=blocker / "review.md")
    assert store.get(iid).review_path is None


def test_empty_incident_has_every_section(tmp_path: Path) -> None:
    clock = FakeClock(DAY + timedelta(hours=10))
    store = Store(tmp_path / "w.db", default_playbook(), clock=clock)
    iid = store.declare("Nothing recorded yet", severity=2).id
    text = render_review(load_review_data(store, iid))
    positions = [text.index(h) for h in RUNBOOK_HEADINGS]
    assert positions == sorted(positions)
    for heading in [
        "## Root Cause",
        "## Resolution",
        "## What Went Well",
        "## What Could Be Improved",
        "## Prevention",
        "## Lessons Learned",
    ]:
        assert "_Not recorded_" in section(text, heading), heading
    assert "- **Users Affected:** _Not recorded_\n" in text
    assert "| _Not recorded_ | — | — | — | — |" in section(text, "## Action Items")
    assert "- _Not assigned_" in section(text, "### Roles")
    assert "| Acknowledged | — |" in text
    assert "**Attendees:** _Not recorded_\n" in text
    assert "**Time at each severity:** SEV-2 0m\n" in text


def test_incident_spanning_days_shows_dates(tmp_path: Path) -> None:
    clock = FakeClock(DAY + timedelta(hours=23, minutes=40))
    store = _store(tmp_path, clock)
    iid = store.declare("Night outage", severity=1).id
    clock.at("00:10", day=1)
    store.log(iid, "Still down")
    clock.at("01:05", day=1)
    store.set_status(iid, Status.RESOLVED)
    text = render_review(load_review_data(store, iid))
    assert "**Date:** 2026-11-27 to 2026-11-28\n" in text
    assert "**Duration:** 2026-11-27 23:40 - 2026-11-28 01:05 UTC (1h 25m)\n" in text
    assert "| 2026-11-28 00:10 | Still down (@alice) |" in text
    assert "| Incident declared | 2026-11-27 23:40 |" in text


# -- hostile text --------------------------------------------------------------------------

HOSTILE = "a | b `code` {{ 7*7 }} {% if %} <script>alert(1)</script>\nline two \x1b[31mred"


def _assert_markdown_intact(text: str) -> None:
    assert "\x1b" not in text
    assert "<script>" not in text
    assert "&lt;script&gt;" in text
    # Not evaluated: the text stays (escaped), and no 49 appears but as a duration ("49m").
    assert "{{ 7\\*7 }}" in text and not re.search(r"\b49\b(?!m)", text)
    assert "{% if %}" in text
    for header in ["| Time | Event |", "| Moment | Time |"]:
        for row in table_rows(text, header):
            assert unescaped_pipes(row) == 3, row
    for row in table_rows(text, "| Action | Owner | Due Date | Priority | Status |"):
        assert unescaped_pipes(row) == 6, row
    # No user text made a heading or a rule of its own.
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert all(not h.startswith("# ") or h.startswith("# Incident Review:") for h in headings)


def _structure(text: str) -> tuple[list[str], list[list[int]], set[str]]:
    """Parse as GFM-ish markdown: headings as rendered, cells per row of each table, raw HTML."""
    markdown_it = pytest.importorskip("markdown_it")
    tokens = markdown_it.MarkdownIt("commonmark").enable("table").parse(text)
    headings: list[str] = []
    tables: list[list[int]] = []
    html: set[str] = set()
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            shown = "".join(c.content for c in tokens[i + 1].children or [])
            headings.append(f"{token.tag} {shown}")
        elif token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            tables[-1].append(0)
        elif token.type in ("td_open", "th_open"):
            tables[-1][-1] += 1
        elif token.type == "html_block":
            html.add(token.content)
        elif token.type == "inline":
            html |= {c.content for c in token.children or [] if c.type == "html_inline"}
    return headings, tables, html


def test_hostile_text_keeps_the_document_structure(tmp_path: Path) -> None:
    """Parsed as markdown, a review full of hostile text has the same shape as a clean one."""
    store, _, iid = build_full_incident(tmp_path)
    clean_headings, clean_tables, _ = _structure(render_review(load_review_data(store, iid)))

    clock = FakeClock(DAY + timedelta(hours=10))
    hostile = Store(tmp_path / "h.db", default_playbook(), clock=clock)
    title = "Title # | `x` <b> {{ 7*7 }} ##"
    hid = hostile.declare(title, severity=2).id
    hostile.assign(hid, "ic", "ic|`<i>`")
    hostile.log(hid, HOSTILE + "\n# fake heading\n---\n| a | b |\n|---|---|", author="e|v")
    hostile.log(hid, "x\\", kind=EntryKind.DECISION, author="back\\")
    hostile.add_action_item(hid, "x | y <i> \\", "P0", owner="o|`")
    every = HOSTILE + "\n# fake\n===\n- - nested\n1. one\n<!-- c -->\n```\n| t |\n|-|\nend\\"
    hostile.close(hid, ReviewNotes(**{f: every for f in ReviewNotes.__dataclass_fields__}))
    headings, tables, html = _structure(render_review(load_review_data(hostile, hid)))

    assert html <= {"<br>"}
    assert headings[0] == f"h1 Incident Review: {title}"

    def sections(found: list[str]) -> list[str]:
        return [h for h in found[1:] if not h.startswith("h4 ")]

    assert sections(headings) == sections(clean_headings)
    assert len(tables) == len(clean_tables) == 5
    metrics, _updates, moments, events, actions = tables
    assert metrics == [2] * 12  # the header and eleven metrics: user text cannot add cells
    assert moments == [2] * 9
    assert events == [2] * (1 + len(hostile.timeline(hid)))
    assert actions == [5, 5]


def test_hostile_text_through_the_store(tmp_path: Path) -> None:
    clock = FakeClock(DAY + timedelta(hours=10))
    store = _store(tmp_path, clock)
    iid = store.declare("Title | with `tick` {{ 7*7 }} <b>", severity=2).id
    store.log(iid, HOSTILE, kind=EntryKind.FINDING, author="eve|`<x>`")
    store.add_action_item(iid, "fix | it {{ 7*7 }} <script>", "P1", owner="m|x")
    store.close(
        iid,
        ReviewNotes(
            root_cause=HOSTILE + "\n# not a heading\n---",
            went_well=HOSTILE,
            lessons="{% raw %}{{ 7*7 }}",
        ),
    )
    text = render_review(load_review_data(store, iid))
    _assert_markdown_intact(text)
    assert "# Incident Review: Title \\| with \\`tick\\` {{ 7\\*7 }} &lt;b&gt;\n" in text
    row = next(r for r in table_rows(text, "| Time | Event |") if "Finding:" in r)
    assert row == (
        "| 10:00 | Finding: a \\| b \\`code\\` {{ 7\\*7 }} {% if %} "
        "&lt;script&gt;alert(1)&lt;/script&gt;<br>line two red (@eve\\|\\`&lt;x&gt;\\`) |"
    )
    assert "\\# not a heading\n\\---" in section(text, "## Root Cause")
    assert "{% raw %}{{ 7\\*7 }}" in section(text, "## Lessons Learned")
    assert "| @m\\|x |" in text


def test_hostile_text_reaching_the_renderer_raw(tmp_path: Path) -> None:
    """Even text that skipped the store's cleaning (escape sequences and all) stays inert."""
    store, clock, iid = build_full_incident(tmp_path)
    data = load_review_data(store, iid)
    raw = TimelineEntry(
        id=999,
        incident_id=iid,
        at=clock(),
        logged_at=clock(),
        kind=EntryKind.NOTE,
        text=HOSTILE + "\r\n\x07bell \x9b31m",
        author="\x1b]0;pwned\x07mallory",
    )
    hostile = ReviewData(
        incident=data.incident,
        entries=[*data.entries, raw],
        role_history=data.role_history,
        checklist=data.checklist,
        action_items=data.action_items,
        playbook=data.playbook,
        now=data.now,
    )
    text = render_review(hostile)
    _assert_markdown_intact(text)
    assert "\x07" not in text and "\x9b" not in text and "\r" not in text


# -- filters and environment ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("plain", "plain"),
        ("a|b", "a\\|b"),
        ("a\\|b", "a\\\\\\|b"),
        ("`x`", "\\`x\\`"),
        ("<b>&amp;", "&lt;b&gt;&amp;amp;"),
        ("one\ntwo\n", "one<br>two"),
        ("\x1b[31mred\x1b[0m", "red"),
        ("C:\\path", "C:\\path"),
        ("", ""),
    ],
)
def test_cell(raw: str, expected: str) -> None:
    assert cell(raw) == expected


def test_cell_and_md_placeholders() -> None:
    assert cell("  ", "—") == "—"
    assert md(None, "_Not recorded_") == "_Not recorded_"
    assert md("x", "_Not recorded_") == "x"


def test_md_keeps_lines_but_not_structure() -> None:
    assert md("first\nsecond") == "first\nsecond"
    assert (
        md("# title\n---\n===\n> quote\n<div>")
        == "\\# title\n\\---\n\\===\n&gt; quote\n&lt;div&gt;"
    )
    assert md("issue #") == "issue \\#"
    assert md("{{ 7*7 }} `x`") == "{{ 7\\*7 }} \\`x\\`"


def test_bullets() -> None:
    assert bullets("") == "- _Not recorded_"
    assert bullets("\n \n", "- _None_") == "- _None_"
    assert bullets("one\n\n- two\n* three\n1. four\n<x>") == (
        "- one\n- two\n- three\n- 1\\. four\n- &lt;x&gt;"
    )


def test_user_text_is_never_template_source(tmp_path: Path) -> None:
    env = create_environment()
    template = env.from_string("{{ note | md }}|{{ note | cell }}|{{ note | bullets }}\n")
    note = "{{ 7*7 }} {% for x in y %}{{ x }}{% endfor %} {# c #}"
    out = template.render(note=note)
    assert out.count("{{ 7\\*7 }}") == 3
    assert out.count("{% for x in y %}") == 3
    assert out.endswith("\n")


def test_environment_is_strict(tmp_path: Path) -> None:
    with pytest.raises(jinja2.UndefinedError):
        create_environment().from_string("{{ missing }}").render()


def test_user_templates_dir_comes_first(tmp_path: Path) -> None:
    store, _, iid = build_full_incident(tmp_path)
    mine = tmp_path / "templates"
    mine.mkdir()
    (mine / "review.md.j2").write_text(
        "Review of {{ incident_id }}: {{ title | md }}"
        " ({{ now | stamp }}, {{ 4500 | duration }})\n",
        encoding="utf-8",
    )
    text = render_review(load_review_data(store, iid), env=create_environment(mine))
    assert text == (
        f"Review of {iid}: Booking creation failing after deploy 1234 "
        "(2026-11-27 11:10 UTC, 1h 15m)\n"
    )
    # Templates the user did not override still come from the package.
    assert create_environment(mine).get_template("review.md.j2").filename == str(
        mine / "review.md.j2"
    )
    assert "Response checklist" in render_review(load_review_data(store, iid))


def test_review_context_is_plain_values(tmp_path: Path) -> None:
    store, _, iid = build_full_incident(tmp_path)
    context = review_context(load_review_data(store, iid))
    assert context["commander"] == "carol"
    assert context["handoffs"] == [{"person": "alice", "at": "10:25"}]
    assert context["is_draft"] is False
    assert context["attendees"] == ["alice", "bob", "carol", "dave"]


def test_comms_imports_neither_textual_nor_httpx() -> None:
    code = (
        "import sys, warroom.comms.review, warroom.comms.render\n"
        "bad = [m for m in ('textual', 'httpx') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    root = Path(__file__).parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root, env=env)


def test_commander_after_several_handoffs(tmp_path: Path) -> None:
    clock = FakeClock(DAY + timedelta(hours=10))
    store = _store(tmp_path, clock)
    iid = store.declare("Payments degraded", severity=2).id
    store.assign(iid, "ic", "alice")
    clock.at("10:30")
    store.assign(iid, "IC", "@bob")
    clock.at("11:15")
    store.assign(iid, "Incident Commander", "carol")
    text = render_review(load_review_data(store, iid))
    assert (
        "**Incident Commander:** carol (handed off from alice at 10:30, then from bob at 11:15)\n"
    ) in text


def test_typed_entries_are_labelled_once(tmp_path: Path) -> None:
    clock = FakeClock(DAY + timedelta(hours=10))
    store = _store(tmp_path, clock)
    iid = store.declare("Queue backlog", severity=3).id
    store.log(iid, "Findings show a stuck consumer", kind=EntryKind.FINDING, author="")
    store.log(iid, "Decision: drain the queue", kind=EntryKind.DECISION, author="")
    store.log(iid, "restart workers", kind=EntryKind.ACTION, author="")
    store.log(iid, "check the DLQ", kind=EntryKind.TODO, author="")
    store.log(iid, "just a note", author="")
    events = section(render_review(load_review_data(store, iid)), "### All events")
    for row in [
        "| 10:00 | Finding: Findings show a stuck consumer |",
        "| 10:00 | Decision: drain the queue |",
        "| 10:00 | Action: restart workers |",
        "| 10:00 | TODO: check the DLQ |",
        "| 10:00 | just a note |",
    ]:
        assert row in events


# -- issue #4: root cause category, scenarios, mitigations -----------------------------------


def test_category_scenario_and_mitigation_in_the_review(tmp_path: Path) -> None:
    store, _, iid = build_full_incident(tmp_path)
    text = render_review(load_review_data(store, iid))
    root_cause = section(text, "## Root Cause")
    assert root_cause.startswith("\n**Category:** Recent Deployment\n\nDeploy 1234 changed")
    resolution = section(text, "## Resolution")
    assert resolution.startswith(
        "\n**Scenario:** Payment processing failures\n\n"
        "**Mitigation:** Rollback deployment (started 10:35, applied 10:41)\n\n"
        "Rolled back to deploy 1233"
    )
    context = review_context(load_review_data(store, iid))
    assert context["root_cause_category"] == "Recent Deployment"
    assert context["scenarios"] == ["Payment processing failures"]
    assert context["mitigations"] == [
        {"name": "Rollback deployment", "started": "10:35", "applied": "10:41"}
    ]


def test_nothing_chosen_says_not_recorded(tmp_path: Path) -> None:
    clock = FakeClock(DAY + timedelta(hours=10))
    store = _store(tmp_path, clock)
    iid = store.declare("Search is slow", severity=3).id
    store.set_status(iid, Status.MITIGATING)
    text = render_review(load_review_data(store, iid))
    assert section(text, "## Root Cause").startswith("\n**Category:** _Not recorded_\n\n")
    resolution = section(text, "## Resolution")
    assert resolution.startswith("\n**Mitigation:** _Not recorded_\n\n_Not recorded_\n")
    assert "**Scenario:**" not in text
    assert "| Mitigation started | 10:00 |" in section(text, "### Key moments")


def test_several_mitigations_and_scenarios_over_two_days(tmp_path: Path) -> None:
    clock = FakeClock(DAY + timedelta(hours=23))
    store = _store(tmp_path, clock)
    iid = store.declare("Payments and auth", severity=1).id
    store.attach_scenario(iid, "payments")
    store.attach_scenario(iid, "auth")
    clock.at("23:20")
    store.start_mitigation(iid, "feature_flag")
    clock.at("00:10", day=1)
    store.apply_mitigation(iid, "hotfix")
    text = render_review(load_review_data(store, iid))
    resolution = section(text, "## Resolution")
    assert (
        "**Scenario:** Payment processing failures\n\n"
        "**Scenario:** Authentication broken\n\n"
        "**Mitigation:** Feature flag disable (started 2026-11-27 23:20, not applied)\n\n"
        "**Mitigation:** Hotfix deployment (started 2026-11-28 00:10, applied 2026-11-28 00:10)\n"
    ) in resolution
    moments = section(text, "### Key moments")
    assert "| Mitigation started (Feature flag disable) | 2026-11-27 23:20 |" in moments
    assert "| Mitigation applied (Hotfix deployment) | 2026-11-28 00:10 |" in moments


def test_the_review_keeps_the_names_recorded_when_chosen(tmp_path: Path) -> None:
    """A playbook edited (or swapped) after the fact does not rewrite the record."""
    store, _, iid = build_full_incident(tmp_path)
    store.playbook = replace(default_playbook(), root_causes=[], mitigations=[], scenarios=[])
    text = render_review(load_review_data(store, iid))
    assert "**Category:** Recent Deployment\n" in text
    assert "**Scenario:** Payment processing failures\n" in text
    assert "**Mitigation:** Rollback deployment (started 10:35, applied 10:41)\n" in text
    assert "#### Payment processing failures: diagnosis (0/3)" not in text  # titles: playbook's
    assert "#### Payments failing: diagnosis (0/3)" in text


def test_playbook_names_are_escaped_like_user_text(tmp_path: Path) -> None:
    playbook = default_playbook()
    hostile = "Roll | back <script>alert(1)</script> `x` # {{ 7*7 }} {% if %}"
    playbook = replace(
        playbook,
        mitigations=[replace(playbook.mitigations[0], name=hostile)],
        root_causes=[replace(playbook.root_causes[0], name=hostile)],
        scenarios=[replace(playbook.scenarios[0], name=hostile)],
    )
    clock = FakeClock(DAY + timedelta(hours=10))
    store = Store(tmp_path / "p.db", playbook, clock=clock)
    iid = store.declare("Hostile playbook", severity=2).id
    store.attach_scenario(iid, "site_outage")
    store.set_root_cause(iid, "recent_deployment")
    store.apply_mitigation(iid, "rollback")
    text = render_review(load_review_data(store, iid))
    _assert_markdown_intact(text)
    escaped = "Roll \\| back &lt;script&gt;alert(1)&lt;/script&gt; \\`x\\` # {{ 7\\*7 }} {% if %}"
    assert f"**Category:** {escaped}\n" in text
    assert f"**Scenario:** {escaped}\n" in text
    assert f"**Mitigation:** {escaped} (started 10:00, applied 10:00)\n" in text
    assert f"| Mitigation applied ({escaped}) | 10:00 |" in section(text, "### Key moments")


def test_final_review_replaces_the_draft_and_radar_is_no_attendee(tmp_path):
    from warroom.comms.review import export_review, load_review_data, render_review
    from warroom.domain.model import ReviewNotes
    from warroom.playbook import default_playbook
    from warroom.store.store import Store

    store = Store(tmp_path / "r.db", default_playbook(), author="alice")
    incident = store.declare("Draft then final", 2)
    store.log(incident.id, "Stripe: API partial outage", author="radar")
    store.set_root_cause(incident.id, "recent")
    draft = export_review(store, incident.id, tmp_path / "reviews")
    assert draft.name.endswith("-review-DRAFT.md") and draft.exists()
    store.close(incident.id, ReviewNotes(root_cause="deploy"))
    final = export_review(store, incident.id, tmp_path / "reviews")
    assert final.exists() and not draft.exists()
    text = render_review(load_review_data(store, incident.id))
    attendees = next(line for line in text.splitlines() if line.startswith("**Attendees:**"))
    assert "alice" in attendees and "radar" not in attendees
    identified = next(line for line in text.splitlines() if "Root cause identified" in line)
    assert "—" not in identified  # the root-cause category counts as identifying it
    store.dispose()
