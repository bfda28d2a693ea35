"""Drills (issue #14): the simulated clock, drill files, the report, the marks, the CLI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import FakeClock, run_cli

from warroom.comms.drill import build_report, drill_environment, mark, render_drill_report
from warroom.comms.messages import MessageKind, draft_message, load_message_data
from warroom.comms.render import create_environment
from warroom.domain.drill import Drill, Inject, InjectKind, due_injects, entry_kind
from warroom.domain.model import EntryKind, Status, UpdateKind
from warroom.domain.simclock import SimulatedClock
from warroom.playbook import default_playbook
from warroom.playbook.drills import (
    DrillError,
    drill_keys,
    load_drill,
    onboarding_checklist,
    packaged_drill_path,
    parse_drill,
)
from warroom.store.store import Store

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


# -- the simulated clock -----------------------------------------------------------------


def test_simulated_time_runs_speed_times_faster_from_the_start():
    real = FakeClock(T0)
    sim = SimulatedClock(real, speed=10, start=datetime(2027, 1, 4, 12, 0, tzinfo=UTC))
    assert sim() == datetime(2027, 1, 4, 12, 0, tzinfo=UTC)
    real.advance(minutes=6)
    assert sim() == datetime(2027, 1, 4, 13, 0, tzinfo=UTC)  # a SEV-1 hour in six minutes
    assert sim.elapsed == timedelta(hours=1)
    assert sim.real_seconds(timedelta(hours=1)) == 360


def test_the_start_defaults_to_real_now():
    real = FakeClock(T0)
    sim = SimulatedClock(real, speed=60)
    real.advance(seconds=1)
    assert sim() == T0 + timedelta(minutes=1)


def test_pause_stops_simulated_time_and_resume_goes_on_from_there():
    real = FakeClock(T0)
    sim = SimulatedClock(real, speed=60)
    real.advance(seconds=10)
    assert sim.pause() is True
    assert sim.pause() is False  # already paused
    frozen = sim()
    real.advance(minutes=30)  # a coffee break, in real time
    assert sim() == frozen == T0 + timedelta(minutes=10)
    assert sim.paused
    assert sim.resume() is True
    assert sim.resume() is False
    assert sim() == frozen  # no jump for the time paused
    real.advance(seconds=1)
    assert sim() == frozen + timedelta(minutes=1)


def test_toggle_pauses_then_resumes():
    real = FakeClock(T0)
    sim = SimulatedClock(real, speed=2)
    assert sim.toggle() is True
    real.advance(minutes=5)
    assert sim.toggle() is False
    real.advance(minutes=5)
    assert sim.elapsed == timedelta(minutes=10)


@pytest.mark.parametrize("speed", [0, -1])
def test_a_speed_must_be_positive(speed: float):
    with pytest.raises(ValueError, match="more than 0"):
        SimulatedClock(FakeClock(T0), speed=speed)


# -- drill files ---------------------------------------------------------------------------

GOOD = """\
title = "Checkout broken"
severity = 2
detected = "500s on /checkout"
expected_mitigation = "rollback"

[[injects]]
at = "0m"
kind = "alert"
author = "Better Stack"
text = "ALERT 500s"

[[injects]]
at = "1h30m"
kind = "metric"
author = "Vercel"
text = "errors down"

[[injects]]
at = "90s"
kind = "message"
author = "sam"
text = "is it the deploy?"
"""


def test_the_packaged_drills_are_the_runbooks_four_quarterly_scenarios():
    playbook = default_playbook()
    drills = {key: load_drill(packaged_drill_path(key), playbook) for key in drill_keys()}
    assert {d.title for d in drills.values()} == {
        "Database connection failures",
        "Payment processing outage",
        "Authentication broken",
        "Recent deployment causing errors",
    }
    mitigations = {m.key for m in playbook.mitigations}
    for drill in drills.values():
        assert drill.expected_mitigation in mitigations
        assert drill.injects and drill.injects[0].at == timedelta(0)
        assert {i.kind for i in drill.injects} >= {InjectKind.ALERT, InjectKind.METRIC}


def test_a_good_drill_parses_with_its_injects_in_time_order():
    drill = parse_drill(GOOD, default_playbook(), "dir/checkout.toml")
    assert drill.key == "checkout"
    assert (drill.title, drill.severity, drill.expected_mitigation) == (
        "Checkout broken",
        2,
        "rollback",
    )
    assert [i.at for i in drill.injects] == [
        timedelta(0),
        timedelta(seconds=90),
        timedelta(hours=1, minutes=30),
    ]
    assert drill.length == timedelta(hours=1, minutes=30)


@pytest.mark.parametrize(
    ("bad", "line", "says"),
    [
        (GOOD.replace('title = "Checkout broken"', 'title = "Checkout'), 1, "Illegal character"),
        (GOOD.replace('detected = "500s on /checkout"\n', ""), 1, "detected: Field required"),
        (GOOD.replace('at = "90s"', 'at = "soon"'), 19, "injects[2].at: Value error, not a time"),
        (GOOD.replace("severity = 2", "severity = 5"), 2, "severity: unknown severity 5"),
        (GOOD.replace('"rollback"', '"pray"'), 4, "expected_mitigation: unknown mitigation"),
        (GOOD.replace('kind = "metric"', 'kind = "tweet"'), 14, "injects[1].kind: Input should"),
        (GOOD.replace("[[injects]]", "[[inject]]", 1), 6, "inject: Extra inputs"),
    ],
    ids=[
        "bad-toml",
        "missing-field",
        "bad-time",
        "unknown-severity",
        "unknown-mitigation",
        "unknown-kind",
        "unknown-table",
    ],
)
def test_every_mistake_is_one_file_line_message(bad: str, line: int, says: str):
    with pytest.raises(DrillError) as caught:
        parse_drill(bad, default_playbook(), "d.toml")
    assert len(caught.value.problems) == 1, caught.value.problems
    problem = caught.value.problems[0]
    assert problem.startswith(f"d.toml:{line}: "), problem
    assert says in problem
    assert "\n" not in problem


def test_an_unreadable_drill_file_is_one_line(tmp_path: Path):
    with pytest.raises(DrillError, match=r"missing\.toml: cannot read"):
        load_drill(tmp_path / "missing.toml", default_playbook())


def test_due_injects_are_those_past_and_not_yet_delivered():
    drill = parse_drill(GOOD, default_playbook(), "d.toml")
    assert [i.author for i in due_injects(drill, timedelta(0), 0)] == ["Better Stack"]
    assert [i.author for i in due_injects(drill, timedelta(minutes=2), 1)] == ["sam"]
    assert due_injects(drill, timedelta(minutes=2), 2) == []
    assert len(due_injects(drill, timedelta(hours=2), 0)) == 3


def test_the_onboarding_checklist_is_the_runbooks():
    items = onboarding_checklist()
    assert items[0] == "Review this incident response guide"
    assert "Practice using rollback procedures in staging" in items
    assert len(items) == 5


# -- marked DRILL ----------------------------------------------------------------------------


def test_mark_prefixes_once():
    assert mark("SEV-1 declared") == "[DRILL] SEV-1 declared"
    assert mark(mark("SEV-1 declared")) == "[DRILL] SEV-1 declared"


def test_every_template_renders_marked_in_a_drill(tmp_path: Path):
    real = FakeClock(T0)
    store = Store(tmp_path / "drills.db", default_playbook(), clock=real, author="alice")
    try:
        incident = store.declare("Checkout broken", 1)
        data = load_message_data(store, incident.id)
        env = drill_environment(create_environment())
        for kind in MessageKind:
            assert draft_message(kind, data, env).text.startswith("[DRILL] "), kind
        assert not draft_message(MessageKind.STATUS_UPDATE, data).text.startswith("[DRILL]")
    finally:
        store.dispose()


# -- the report ---------------------------------------------------------------------------


def play(store: Store, real: FakeClock, drill: Drill) -> str:
    """A drill played through the Store: declared at 2 min, IC, an update, the rollback."""
    real.advance(seconds=2)  # x60: two simulated minutes
    incident = store.declare(
        drill.title, drill.severity, detected_at=store.clock() - timedelta(minutes=2)
    )
    for inject in drill.injects[:2]:
        store.log(
            incident.id, inject.entry_text(), kind=entry_kind(inject.kind), author=inject.author
        )
    real.advance(seconds=3)
    store.acknowledge(incident.id)
    store.assign(incident.id, "ic", "alice")
    real.advance(seconds=10)
    store.record_update(incident.id, UpdateKind.INTERNAL, "looking at deploy 4512")
    store.start_mitigation(incident.id, "rollback")
    store.apply_mitigation(incident.id, "rollback")
    real.advance(seconds=5)
    store.set_status(incident.id, Status.RESOLVED)
    return incident.id


def test_the_report_measures_the_response_against_the_playbooks_targets(tmp_path: Path):
    playbook = default_playbook()
    drill = load_drill(packaged_drill_path("bad_deploy"), playbook)
    real = FakeClock(T0)
    sim = SimulatedClock(real, speed=60)
    store = Store(tmp_path / "drills.db", playbook, clock=sim, author="alice")
    try:
        incident_id = play(store, real, drill)
        report = build_report(store, drill, incident_id)
    finally:
        store.dispose()
    measures = {m.name: m for m in report.measures}
    assert measures["Time to declare"].taken == 120.0
    assert measures["Time to declare"].met is True  # within the first 5 minutes
    assert measures["Time to acknowledge"].taken == 300.0
    assert measures["Time to acknowledge"].target == 15 * 60  # SEV-2
    assert measures["Time to assign IC"].taken == 300.0
    assert measures["Time to first internal update"].taken == 900.0
    assert measures["Time to first internal update"].met is True
    assert report.mitigations == ("rollback",)
    assert report.mitigation_applied == "rollback"
    assert report.mitigation_matched
    assert report.injects_delivered == 2
    assert report.checklist_total > 0 and 0 < report.checklist_done < report.checklist_total
    text = render_drill_report(report, "# Incident Review: the review")
    assert "| Time to acknowledge | 5m | 15m (SEV-2 acknowledge: 15 min) | met |" in text
    assert "- Result: as expected" in text
    assert "Injects delivered: 2 of 5" in text
    assert "- Detected: 2026-11-30 09:00 UTC (simulated) - Better Stack: TypeError spike" in text
    assert text.rstrip().endswith("# Incident Review: the review")


def test_a_missed_target_and_the_wrong_mitigation_are_said(tmp_path: Path):
    playbook = default_playbook()
    drill = load_drill(packaged_drill_path("database_connections"), playbook)  # SEV-1, scale
    real = FakeClock(T0)
    sim = SimulatedClock(real, speed=60)
    store = Store(tmp_path / "drills.db", playbook, clock=sim, author="alice")
    try:
        incident = store.declare(drill.title, 1)
        real.advance(seconds=20)  # twenty simulated minutes
        store.acknowledge(incident.id)
        store.start_mitigation(incident.id, "rollback")
        report = build_report(store, drill, incident.id)
    finally:
        store.dispose()
    measures = {m.name: m for m in report.measures}
    assert measures["Time to acknowledge"].met is False  # SEV-1: 5 minutes
    assert measures["Time to assign IC"].taken is None
    assert not report.mitigation_matched
    text = render_drill_report(report, "review")
    assert "MISSED" in text and "not done" in text and "NOT the expected one" in text


# -- the CLI ------------------------------------------------------------------------------


def test_drill_list(capsys):
    code, out, err = run_cli(capsys, "drill", "--list")
    assert code == 0, err
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == drill_keys()
    assert any("Payment processing outage" in line and "hotfix" in line for line in lines)


def test_drill_check_a_good_file(capsys, tmp_path: Path):
    path = tmp_path / "mine.toml"
    path.write_text(GOOD)
    code, out, err = run_cli(capsys, "drill", "check", str(path))
    assert (code, err) == (0, "")
    assert out == f"{path}: ok (Checkout broken, SEV-2, 3 injects over 90 min)\n"


def test_drill_check_a_bad_file_is_one_line_per_problem_and_exit_1(capsys, tmp_path: Path):
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace("severity = 2", 'severity = "two"').replace('"90s"', '"9 days"'))
    code, out, err = run_cli(capsys, "drill", "check", str(path))
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"{path}:2: severity: Input should be a valid integer, unable to parse string as an"
        " integer",
        f"{path}:19: injects[2].at: Value error, not a time after the start: '9 days'"
        " (write 90s, 4m or 1h30m)",
    ]


def test_drill_check_bad_toml_and_a_missing_file(capsys, tmp_path: Path):
    path = tmp_path / "broken.toml"
    path.write_text("title = \n")
    code, _, err = run_cli(capsys, "drill", "check", str(path))
    assert code == 1 and len(err.splitlines()) == 1 and err.startswith(f"{path}:1: ")
    code, _, err = run_cli(capsys, "drill", "check", str(tmp_path / "none.toml"))
    assert (
        code == 1
        and err.strip() == f"{tmp_path / 'none.toml'}: cannot read: No such file or directory"
    )


def test_drill_usage_errors_and_unknown_drills(capsys, cli_db: Path):
    code, _, err = run_cli(capsys, "drill", "check")
    assert code == 2 and "drill check needs a FILE" in err
    code, _, err = run_cli(capsys, "drill", "--speed", "0")
    assert code == 2 and "the speed must be more than 0" in err
    code, _, err = run_cli(capsys, "drill", "nope")
    assert code == 1
    assert err == (
        "warroom: error: no drill 'nope' (the drills are: auth_broken, bad_deploy,"
        " database_connections, payments_outage)\n"
    )


def test_a_drill_refuses_the_real_database(capsys, cli_db: Path):
    code, _, err = run_cli(capsys, "drill", "bad_deploy", "--db", str(cli_db))
    assert code == 1
    assert "that is the real incidents' database" in err
    assert not cli_db.exists()


def test_the_drills_database_is_beside_the_real_one(cli_db: Path):
    from warroom.cli.drill import drill_db_path

    assert drill_db_path(cli_db) == cli_db.parent / "drills.db"


def test_warroom_drill_runs_in_drills_db_on_a_simulated_clock(capsys, cli_db: Path, monkeypatch):
    """The command's wiring, the war room itself replaced (the Pilot and e2e tests run it)."""
    seen: dict[str, object] = {}

    def run_drill(store, drill, sim, reviews, live_comms, onboarding, keymap=None):
        seen.update(
            db=store.path,
            drill=drill.key,
            speed=sim.speed,
            reviews=reviews,
            live=live_comms,
            onboarding=onboarding,
            clock_is_sim=store.clock is sim,
        )
        return 0

    monkeypatch.setattr("warroom.tui.drill.run_drill", run_drill)
    code, _, err = run_cli(capsys, "drill", "auth_broken", "--speed", "30", "--onboarding")
    assert (code, err) == (0, "")
    assert seen == {
        "db": cli_db.parent / "drills.db",
        "drill": "auth_broken",
        "speed": 30.0,
        "reviews": cli_db.parent / "reviews" / "drills",
        "live": False,
        "onboarding": onboarding_checklist(),
        "clock_is_sim": True,
    }
    assert not cli_db.exists()


def test_a_drill_left_open_is_closed_as_abandoned_when_the_next_starts(
    capsys, cli_db: Path, monkeypatch
):
    drills = cli_db.parent / "drills.db"
    ahead = FakeClock(datetime.now(UTC) + timedelta(hours=5))  # simulated time ran ahead
    store = Store(drills, default_playbook(), clock=ahead, author="alice")
    try:
        incident = store.declare("Left open", 2)
        store.log(incident.id, "last thing said")
        last = ahead.now
    finally:
        store.dispose()
    starts: list[datetime] = []
    monkeypatch.setattr(
        "warroom.tui.drill.run_drill", lambda store, drill, sim, *a, **k: starts.append(sim()) or 0
    )
    code, _, err = run_cli(capsys, "drill", "bad_deploy")
    assert code == 0
    assert err == f"warroom: warning: drill {incident.id} was left open; closed as abandoned\n"
    store = Store(drills, default_playbook(), author="alice")
    try:
        closed = store.get(incident.id)
        assert closed.status is Status.CLOSED and closed.closed_at == last
        assert any("Drill abandoned" in e.text for e in store.timeline(incident.id))
    finally:
        store.dispose()
    assert starts[0] > last + timedelta(seconds=59)  # the next drill follows on


def test_kinds_of_injects_become_entries():
    inject = Inject(timedelta(0), InjectKind.STATUS_PAGE, "Stripe status", "degraded")
    assert inject.entry_text() == "[DRILL status page] degraded"
    assert entry_kind(inject.kind) is EntryKind.FINDING
    assert entry_kind(InjectKind.MESSAGE) is EntryKind.NOTE
