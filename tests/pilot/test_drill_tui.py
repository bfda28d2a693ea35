"""A whole drill in the war room, driven by Pilot, on a simulated clock over a fake real one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import FakeClock
from textual.widgets import Input, TextArea

from warroom.domain.model import EntryKind, Status
from warroom.domain.simclock import SimulatedClock
from warroom.playbook import default_playbook
from warroom.playbook.drills import load_drill, onboarding_checklist, packaged_drill_path
from warroom.store.outbox import list_outbox
from warroom.store.store import Store
from warroom.tui.drill import DrillApp, DrillBanner, OnboardingScreen
from warroom.tui.screens.close import CloseScreen
from warroom.tui.screens.compose import ComposeScreen
from warroom.tui.screens.dialogs import DeclareScreen
from warroom.tui.screens.help import HelpScreen

T0 = datetime(2026, 11, 30, 9, 0, 30, tzinfo=UTC)


@pytest.fixture
def real() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def sim(real: FakeClock) -> SimulatedClock:
    return SimulatedClock(real, speed=60)


@pytest.fixture
def drill_store(tmp_path: Path, sim: SimulatedClock):
    store = Store(tmp_path / "drills.db", default_playbook(), clock=sim, author="alice")
    yield store
    store.dispose()


def make_drill_app(store: Store, sim: SimulatedClock, tmp_path: Path, **kwargs) -> DrillApp:
    drill = load_drill(packaged_drill_path("bad_deploy"), store.playbook)
    return DrillApp(
        store,
        drill,
        sim,
        reviews_dir=tmp_path / "reviews",
        tick_seconds=0.05,
        watch_files=False,
        **kwargs,
    )


def banner(app: DrillApp) -> str:
    return str(app.screen.query_one(DrillBanner).content)


async def settle(pilot, until, tries: int = 40) -> None:
    """Let the war room's ticks run until UNTIL() holds (the ticks are 0.05 s apart)."""
    for _ in range(tries):
        if until():
            return
        await pilot.pause(0.05)
    assert until(), "not reached"


async def type_line(pilot, text: str) -> None:
    pilot.app.query_one("#entry", Input).value = text
    await pilot.press("enter")
    await pilot.pause()


async def test_a_whole_drill_played_fast_ends_with_its_report(
    tmp_path: Path, real: FakeClock, sim: SimulatedClock, drill_store: Store, monkeypatch
):
    monkeypatch.setenv("WARROOM_SLACK_WEBHOOK", "https://hooks.slack.com/services/T0/B0/secret")
    store = drill_store
    app = make_drill_app(store, sim, tmp_path, onboarding=onboarding_checklist())
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        # First run: the onboarding checklist, over the declare dialog, both marked DRILL.
        assert isinstance(app.screen, OnboardingScreen)
        body = str(app.screen.query_one("#onboarding-body").content)
        assert "Practice using rollback procedures in staging" in body
        assert "DRILL" in banner(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DeclareScreen)
        assert "DRILL" in banner(app)
        assert app.screen.query_one("#title", Input).value == "Recent deployment causing errors"
        assert app.screen.query_one("#detected", Input).value == "2026-11-30T09:00"

        # The alert fired at T+0; two simulated minutes later (two real seconds) we declare.
        real.advance(seconds=2)
        await pilot.press("ctrl+s")
        await pilot.pause()
        incident = store.current()
        assert incident is not None and incident.severity == 2
        assert incident.declared_at - incident.detected_at == timedelta(minutes=2, seconds=30)

        def injected() -> list[str]:
            return [e.text for e in store.timeline(incident.id) if e.text.startswith("[DRILL ")]

        # The injects due so far arrive at their simulated times, by their authors.
        await settle(pilot, lambda: len(injected()) == 2)
        entries = {e.text: e for e in store.timeline(incident.id)}
        alert = entries[injected()[0]]
        assert alert.author == "Better Stack" and alert.kind is EntryKind.FINDING
        assert alert.at == sim.start
        assert entries[injected()[1]].at == sim.start + timedelta(minutes=1)

        # /pause stops simulated time: a real coffee break costs nothing, injects wait.
        await type_line(pilot, "/pause")
        assert sim.paused and "PAUSED" in banner(app)
        frozen = sim()
        real.advance(minutes=30)
        await pilot.pause(0.2)
        assert sim() == frozen and len(injected()) == 2
        await type_line(pilot, "/resume")
        assert not sim.paused and "PAUSED" not in banner(app)
        real.advance(seconds=4)  # T+ about 6:30: the dev's message (at 5m) arrives
        await settle(pilot, lambda: len(injected()) == 3)
        assert "4512 is mine" in injected()[2]

        # Every screen shows the banner.
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and "DRILL" in banner(app)
        await pilot.press("escape")
        await pilot.pause()

        # A status update: drafted marked DRILL, recorded, posted nowhere.
        await pilot.press("f6")
        await pilot.pause()
        assert isinstance(app.screen, ComposeScreen)
        draft = app.screen.query_one("#draft", TextArea)
        assert draft.text.startswith("[DRILL] ")
        draft.text = "Edited: rolling back 4512"  # the mark is put back on sending
        await pilot.press("ctrl+s")
        await pilot.pause()
        update = [e for e in store.timeline(incident.id) if e.kind is EntryKind.UPDATE][-1]
        assert "[DRILL] Edited: rolling back 4512" in update.text
        assert list_outbox(store, incident.id) == []  # never queued for the real Slack
        assert any(n.title == "DRILL: not posted" for n in app._notifications)

        # The overdue clocks run on simulated time: the SEV-2 hour passes in a minute.
        await type_line(pilot, "/mitigate rollback")
        await type_line(pilot, "/applied rollback")
        await type_line(pilot, "/cause recent_deployment")
        await type_line(pilot, "/status resolved")
        assert store.get(incident.id).status is Status.RESOLVED

        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, CloseScreen)
        app.screen.query_one("#went_well", TextArea).text = "Rolled back within minutes"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.main.report_path is not None)  # type: ignore[attr-defined]
        report_path = app.main.report_path  # type: ignore[attr-defined]
        assert sim.paused  # the drill is over
        await pilot.pause(0.1)
        assert banner(app) == f"DRILL over · report: {incident.id}-drill-report.md"
    closed = store.get(incident.id)
    assert closed.status is Status.CLOSED
    assert report_path == tmp_path / "reviews" / f"{incident.id}-drill-report.md"
    report = report_path.read_text(encoding="utf-8")
    assert report.startswith("# DRILL report: Recent deployment causing errors")
    assert "| Time to declare | 2m | 5m (first response: 5 min) | met |" in report
    assert "| Time to acknowledge | 2m | 15m (SEV-2 acknowledge: 15 min) | met |" in report
    assert "| Time to assign IC | 2m |" in report
    assert "| Time to first internal update | 6m |" in report
    assert "- Expected: `rollback`" in report and "- Result: as expected" in report
    assert "Root cause category: `recent_deployment` (expected `recent_deployment`)" in report
    assert "Injects delivered: 3 of 5" in report
    assert "Rolled back within minutes" in report  # the review, as written
    review = Path(str(closed.review_path)).read_text(encoding="utf-8")
    assert review.strip() in report


async def test_live_comms_posts_to_the_channels_each_message_marked(
    tmp_path: Path, real: FakeClock, sim: SimulatedClock, drill_store: Store, monkeypatch
):
    monkeypatch.setenv("WARROOM_SLACK_WEBHOOK", "https://hooks.slack.com/services/T0/B0/secret")
    store = drill_store
    store.declare("Recent deployment causing errors", 2)
    app = make_drill_app(store, sim, tmp_path, live_comms=True)
    app.deliver_enabled = False  # queued, not posted: the delivery itself is tested elsewhere
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        await pilot.press("f6")
        await pilot.pause()
        app.screen.query_one("#draft", TextArea).text = "we are on it"
        await pilot.press("ctrl+s")
        await pilot.pause()
    incident = store.current()
    assert incident is not None
    queued = list_outbox(store, incident.id)
    assert [m.channel for m in queued] == ["slack"]
    assert queued[0].text == "[DRILL] we are on it"


async def test_pause_outside_a_drill_says_so(make_app, store):
    store.declare("Real one", 2)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await type_line(pilot, "/pause")
        assert any("only a drill" in n.message for n in app._notifications)
        assert app.query_one("#entry", Input).value == "/pause"  # the line comes back


async def test_overdue_alerts_follow_simulated_time_and_ring_again_each_real_minute(
    tmp_path: Path, real: FakeClock, sim: SimulatedClock, drill_store: Store
):
    incident = drill_store.declare("Recent deployment causing errors", 1)  # not acknowledged
    app = make_drill_app(drill_store, sim, tmp_path)
    bells: list[datetime] = []
    app.bell = lambda: bells.append(real())  # type: ignore[method-assign]
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        key = f"{incident.id}/acknowledge"
        assert app.main.alerts[key].title == "Due soon" and not bells
        real.advance(seconds=6)  # six simulated minutes: a SEV-1's 5-minute acknowledge is late
        await settle(pilot, lambda: app.main.alerts[key].title == "OVERDUE")
        first = app.main.alerts[key]
        assert "Acknowledge late by 1m" in first.message
        assert len(bells) == 1
        real.advance(seconds=20)  # twenty simulated minutes, a third of a real one: not again
        await pilot.pause(0.2)
        assert app.main.alerts[key] is first  # not posted again
        real.advance(seconds=41)  # a real minute since it rang: again, with the bell
        await settle(pilot, lambda: app.main.alerts[key] is not first)
        assert "Acknowledge late by 1h 02m" in app.main.alerts[key].message
        assert bells[-1] == real()


async def test_esc_dismisses_the_onboarding_checklist_too(
    tmp_path: Path, sim: SimulatedClock, drill_store: Store
):
    app = make_drill_app(drill_store, sim, tmp_path, onboarding=onboarding_checklist())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, OnboardingScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DeclareScreen)  # the drill goes on: declare it


async def test_a_drills_database_opened_in_the_plain_war_room_says_so(make_app, store):
    """`warroom --db drills.db`: a banner, DRILL on the drafts, nothing queued to post."""
    from textual.widgets import Static

    from warroom.domain.messages import MessageKind

    store.declare("Checkout down (a drill)", 2)
    store.mark_as_drill()
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.pause()
        banner = app.main.query_one("#drill-banner", Static)
        assert "DRILL DATABASE" in str(banner.content)
        await pilot.press("f6")
        await pilot.pause()
        assert app.screen.query_one("#draft", TextArea).text.startswith("[DRILL] ")
        assert app.settings().channels_for(MessageKind.STATUS_UPDATE) == []
