"""Times that are right: backdating asks when it is surprising, the detection time can be
corrected, and the timeline shows dates when it is not all from today."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.widgets import Input

from warroom.domain.timefmt import backdating_concern
from warroom.tui.screens.dialogs import ChoiceScreen
from warroom.tui.widgets.timeline import TimelineView


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


async def settle(pilot, rounds: int = 5) -> None:
    for _ in range(rounds):
        await pilot.pause()


def screen_lines(timeline: TimelineView) -> list[str]:
    return [timeline.render_line(y).text for y in range(timeline.size.height)]


def test_backdating_concerns() -> None:
    now, detected = at(27, 18, 59), at(27, 18, 0)
    assert backdating_concern(at(27, 18, 30), now, detected) is None
    assert "before detection" in (backdating_concern(at(27, 17, 30), now, detected) or "")
    assert "yesterday" in (backdating_concern(at(26, 19, 30), now, detected) or "")
    long_ago = backdating_concern(at(27, 5), now, at(27, 4))
    assert long_ago is not None and "13 h" in long_ago
    assert backdating_concern(at(27, 17, 30), now, detected, explicit=True) is None


async def test_timeline_shows_dates_and_a_separator_when_the_day_changes(make_app, store, clock):
    clock.now = at(26, 23, 50)
    incident = store.declare("Overnight outage", 2)
    store.log(incident.id, "late evening note")
    clock.now = at(27, 0, 10)
    store.log(incident.id, "after midnight")
    clock.now = at(27, 9)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        lines = screen_lines(app.query_one(TimelineView))
        evening = next(i for i, line in enumerate(lines) if "late evening note" in line)
        after = next(i for i, line in enumerate(lines) if "after midnight" in line)
        assert "11-26 23:50" in lines[evening]
        assert "11-26" not in lines[after] and "00:10" in lines[after]
        separators = [line for line in lines[evening:after] if "Fri 27 Nov 2026" in line]
        assert len(separators) == 1


async def test_an_all_today_timeline_shows_no_dates(make_app, store, clock):
    incident = store.declare("Today only", 2)
    store.log(incident.id, "a note")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        text = "\n".join(screen_lines(app.query_one(TimelineView)))
        assert "11-27" not in text and "2026" not in text
        assert "10:00" in text


async def test_at_a_time_that_is_yesterday_asks_first(make_app, store, clock):
    clock.now = at(27, 18, 59)
    incident = store.declare("Checkout down", 1, detected_at=at(27, 18, 20))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        entry = app.query_one("#entry", Input)
        entry.value = "/at 19:30 config pushed"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)  # 19:30 is yesterday's: say so first
        assert "yesterday" in str(app.screen.query_one("#choice-help").content)
        await pilot.press("escape")  # no: the line comes back, nothing logged
        await settle(pilot)
        assert "config pushed" not in [e.text for e in store.timeline(incident.id)]
        assert entry.value == "/at 19:30 config pushed"
        entry.value = "/at 18:40 config pushed"  # after detection, today: no question
        await pilot.press("enter")
        await settle(pilot)
        logged = [e for e in store.timeline(incident.id) if e.text == "config pushed"]
        assert [e.at for e in logged] == [at(27, 18, 40)]


async def test_at_before_detection_is_logged_once_confirmed(make_app, store, clock):
    clock.now = at(27, 18, 59)
    incident = store.declare("Checkout down", 1, detected_at=at(27, 18, 20))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one("#entry", Input).value = "/at 18:05 deploy 4512 went out"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)
        assert "before detection" in str(app.screen.query_one("#choice-help").content)
        await pilot.press("enter")  # yes
        await settle(pilot)
        logged = [e for e in store.timeline(incident.id) if e.text == "deploy 4512 went out"]
        assert [e.at for e in logged] == [at(27, 18, 5)]


async def test_at_in_the_future_is_refused(make_app, store, clock):
    incident = store.declare("Checkout down", 1)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        future = (clock.now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        app.query_one("#entry", Input).value = f"/at {future} from the future"
        await pilot.press("enter")
        await settle(pilot)
        assert "from the future" not in [e.text for e in store.timeline(incident.id)]
        assert app.query_one("#entry", Input).value == f"/at {future} from the future"


async def test_detected_corrects_the_detection_time_and_the_clocks_follow(make_app, store, clock):
    incident = store.declare("Checkout down", 1)  # detected = declared = 10:00
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        ack_before = next(c for c in app.main.clocks if c.kind.value == "acknowledge").due_at
        app.query_one("#entry", Input).value = "/detected 09:40"
        await pilot.press("enter")
        await settle(pilot)
        assert store.get(incident.id).detected_at == at(27, 9, 40)
        assert any("Detection time corrected" in e.text for e in store.timeline(incident.id))
        ack_after = next(c for c in app.main.clocks if c.kind.value == "acknowledge").due_at
        assert ack_before - ack_after == timedelta(minutes=20)


def test_detection_after_the_declaration_or_in_the_future_is_refused(store, clock):
    import pytest

    incident = store.declare("Checkout down", 1)
    with pytest.raises(ValueError, match="future"):
        store.set_detected(incident.id, clock.now + timedelta(minutes=1))
    clock.advance(minutes=5)
    with pytest.raises(ValueError, match="after the declaration"):
        store.set_detected(incident.id, clock.now)
    assert store.get(incident.id).detected_at == at(27, 10)


async def test_slash_commands_take_at_when(make_app, store, clock):
    clock.now = at(27, 14, 30)
    incident = store.declare("Checkout down", 2, detected_at=at(27, 13, 50))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        entry = app.query_one("#entry", Input)
        for line in ("/ack --at 13:58", "/status mitigating --at 14:05", "/sev 1 --at 14:10"):
            entry.value = line
            await pilot.press("enter")
            await settle(pilot)
        current = store.get(incident.id)
        assert current.acknowledged_at == at(27, 13, 58)
        assert current.status.value == "mitigating" and current.severity == 1
        changes = {e.kind.value: e.at for e in store.timeline(incident.id)}
        assert changes["status"] == at(27, 14, 5) and changes["severity"] == at(27, 14, 10)
        entry.value = "/status --at 14:12"  # a dialog cannot keep the time: refused, kept
        await pilot.press("enter")
        await settle(pilot)
        assert entry.value == "/status --at 14:12" and not isinstance(app.screen, ChoiceScreen)
        entry.value = "/status identified --at 13:40"  # before detection: asked, then refused
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert store.get(incident.id).status.value == "mitigating"


async def test_done_and_reopen_from_the_entry_line(make_app, store, clock):
    incident = store.declare("Checkout down", 2)
    item = store.add_action_item(incident.id, "alert on pool", "P1", "bob")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        entry = app.query_one("#entry", Input)
        entry.value = f"/done {item.id}"
        await pilot.press("enter")
        await settle(pilot)
        assert [i.status for i in store.action_items(incident.id)] == ["Done"]
        entry.value = "/done bob"  # not a number: refused, kept
        await pilot.press("enter")
        await settle(pilot)
        assert entry.value == "/done bob"
        entry.value = ""
        store.close(incident.id)
        app.main.changed()
        await settle(pilot)
        entry.value = "/reopen"
        await pilot.press("enter")
        await settle(pilot)
        assert store.get(incident.id).is_open
        assert "reopened" in " ".join(e.text for e in store.timeline(incident.id))
