"""Keyboard flows through the war room, driven by Textual's Pilot with a fake clock."""

from __future__ import annotations

from pathlib import Path

from textual.message import Message
from textual.widgets import Input, OptionList

from warroom.domain.model import EntryKind, Status
from warroom.playbook import default_playbook
from warroom.store.store import Store, StoreError
from warroom.tui.messages import DatabaseChanged
from warroom.tui.screens.close import CloseScreen
from warroom.tui.screens.dialogs import ChoiceScreen, DeclareScreen, RoleScreen
from warroom.tui.screens.help import HelpScreen
from warroom.tui.widgets.panes import ChecklistPane, NextUpdatePane, RolesPane
from warroom.tui.widgets.timeline import TimelineView


async def type_line(pilot, text: str) -> None:
    """Set the entry line and press Enter (pressing each key costs ~70 ms)."""
    entry = pilot.app.query_one("#entry", Input)
    entry.value = text
    await pilot.press("enter")
    await pilot.pause()


def texts(store: Store, incident_id: str) -> list[str]:
    return [e.text for e in store.timeline(incident_id)]


async def test_declare_dialog_on_start_and_entry_has_focus(make_app, store):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DeclareScreen)
        await pilot.press("ctrl+s")  # no title yet
        await pilot.pause()
        assert isinstance(app.screen, DeclareScreen)
        assert "title" in str(app.screen.query_one("#error").content).lower()
        app.screen.query_one("#title", Input).value = "Checkout returns 500"
        app.screen.query_one("#severity", OptionList).highlighted = 1  # SEV-2
        app.screen.query_one("#users", Input).value = "about 30% of bookings"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, DeclareScreen)
        incident = store.current()
        assert incident is not None
        assert (incident.title, incident.severity) == ("Checkout returns 500", 2)
        assert incident.acknowledged_at is not None  # declaring from the war room is responding
        assert store.roles(incident.id)["ic"].person == "alice"  # and commanding, until handoff
        assert incident.impact_users == "about 30% of bookings"
        assert app.focused is app.query_one("#entry")


async def test_declare_dialog_shows_severity_definitions(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        help_text = str(app.screen.query_one("#severity-help").content)
        assert "Complete service outage" in help_text
        assert "Database unreachable" in help_text
        await pilot.press("tab", "down")  # to the list, then SEV-2
        await pilot.pause()
        assert "Major feature significantly degraded" in str(
            app.screen.query_one("#severity-help").content
        )


async def test_bad_detected_time_keeps_dialog_open(make_app, store):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.screen.query_one("#title", Input).value = "DNS failure"
        app.screen.query_one("#detected", Input).value = "quarter past"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, DeclareScreen)
        assert "not a time" in str(app.screen.query_one("#error").content)
        assert app.screen.query_one("#title", Input).value == "DNS failure"
        assert store.current() is None


async def test_typed_entry_is_committed_and_shown(make_app, store, db_path):
    incident = store.declare("Payments failing", 1)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await type_line(pilot, "Stripe returns 500 | since 09:58 {{ 7*7 }}")
        # Committed: a second connection (as another process would) sees it.
        other = Store(db_path, default_playbook())
        assert "Stripe returns 500 | since 09:58 {{ 7*7 }}" in texts(other, incident.id)
        other.dispose()
        timeline = app.query_one(TimelineView)
        last = timeline.entry_at(timeline.count - 1)
        assert last is not None and last.text.startswith("Stripe returns 500")
        assert app.query_one("#entry", Input).value == ""


async def test_slash_commands(make_app, store, clock):
    incident = store.declare("Auth broken", 2)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        clock.advance(minutes=1)
        await type_line(pilot, "/sev 1")
        await type_line(pilot, "/status mitigating")
        await type_line(pilot, "/assign ic carol")
        await type_line(pilot, "/assign IC dave")
        await type_line(pilot, "/assign comms me")
        await type_line(pilot, "/finding callback URL changed in last deploy")
        await type_line(pilot, "/at 09:55 first user report")
        await pilot.press("enter")  # yes: before detection, and meant
        await pilot.pause()
        await type_line(pilot, "/ack")
        await type_line(pilot, "/update stakeholder exec summary sent")
        await type_line(pilot, "/pin")
        await type_line(pilot, "/tick 1")
        await type_line(pilot, "/item P1 @bob alert on auth error rate")
        await type_line(pilot, "/impact users all EU users")
        current = store.get(incident.id)
        assert current.severity == 1
        assert current.status is Status.MITIGATING
        assert current.acknowledged_at == clock.now
        assert current.last_stakeholder_update_at == clock.now
        assert current.impact_users == "all EU users"
        assert store.roles(incident.id)["ic"].person == "dave"
        assert store.roles(incident.id)["comms"].person == "alice"  # "me" is who types
        entries = store.timeline(incident.id)
        all_text = [e.text for e in entries]
        assert "IC handed off from carol to dave" in all_text
        backdated = next(e for e in entries if e.text == "first user report")
        assert backdated.at.strftime("%H:%M") == "09:55"
        assert entries[0] == backdated  # sorted by when it happened
        assert backdated.pinned  # /pin pins the entry typed last
        assert not next(e for e in entries if e.kind is EntryKind.FINDING).pinned
        assert store.checklist(incident.id)[0].done
        assert store.action_items(incident.id)[0].owner == "bob"


async def test_bad_command_keeps_the_text_and_says_why(make_app, store):
    incident = store.declare("Search down", 3)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        before = len(texts(store, incident.id))
        for line in (
            "/frobnicate now",
            "/status sideways",
            "/sev 7",
            "/assign ic",
            "/tick 99",
            "/update stakeholdr execs told",
        ):
            await type_line(pilot, line)
            assert app.query_one("#entry", Input).value == line
        assert len(texts(store, incident.id)) == before
        messages = [n.message for n in app.said]
        assert any("unknown command /frobnicate" in m for m in messages)
        assert any("unknown status" in m for m in messages)
        assert any("no severity 7" in m for m in messages)
        assert any("did you mean stakeholder?" in m for m in messages)
        assert store.get(incident.id).last_internal_update_at is None  # no clock restarted
        await type_line(pilot, "/update stakeholders execs told")
        updated = store.get(incident.id)
        assert updated.last_stakeholder_update_at is not None
        assert texts(store, incident.id)[-1] == "Stakeholder status update sent: execs told"


async def test_store_failure_is_shown_and_text_kept(make_app, store, monkeypatch):
    store.declare("Disk full", 2)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:

        def broken(*args, **kwargs):
            raise StoreError("database /x.db: cannot log the entry: disk I/O error")

        monkeypatch.setattr(store, "log", broken)
        await type_line(pilot, "this must not be lost")
        assert app.query_one("#entry", Input).value == "this must not be lost"
        assert any("disk I/O error" in n.message for n in app.said)


async def test_function_keys_open_dialogs(make_app, store):
    incident = store.declare("Messaging down", 2)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f4")
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("up", "enter")  # SEV-2 -> SEV-1
        await pilot.pause()
        assert store.get(incident.id).severity == 1

        await pilot.press("f5")
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("down", "enter")  # investigating -> identified
        await pilot.pause()
        assert store.get(incident.id).status is Status.IDENTIFIED

        await pilot.press("f3")
        assert isinstance(app.screen, RoleScreen)
        assert "Infrastructure investigation" not in str(app.screen.query_one("#role-help").content)
        await pilot.press("down")  # Ops
        await pilot.pause()
        assert "Infrastructure investigation" in str(app.screen.query_one("#role-help").content)
        app.screen.query_one("#person", Input).value = "erin"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert store.roles(incident.id)["ops"].person == "erin"

        await pilot.press("f6")  # the status update, drafted from the record
        await pilot.pause()
        await pilot.press("ctrl+s")  # sent
        await pilot.pause()
        assert store.get(incident.id).last_internal_update_at is not None

        await pilot.press("f8")
        await pilot.pause()
        assert store.get(incident.id).acknowledged_at is not None

        await pilot.press("f9")
        assert isinstance(app.focused, ChecklistPane)
        await pilot.press("space")  # F9 highlights the first open item
        await pilot.pause()
        first = store.checklist(incident.id)[0]
        assert first.done and first.done_by == "alice"
        await pilot.press("escape")
        assert app.focused is app.query_one("#entry")


async def test_help_from_f1_and_question_mark(make_app, store):
    store.declare("Help me", 3)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("?")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("w", "h", "y", "?")  # inside text, ? is just a character
        assert app.query_one("#entry", Input).value == "why?"
        assert not isinstance(app.screen, HelpScreen)


async def test_timeline_pin_with_keyboard(make_app, store):
    incident = store.declare("Pin test", 3)
    store.log(incident.id, "first finding")
    store.log(incident.id, "second finding")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("tab")  # entry -> next focusable
        app.query_one(TimelineView).focus()
        await pilot.press("up", "f7")  # select the one before last and pin it (F7, not p)
        await pilot.pause()
        pinned = [e.text for e in store.timeline(incident.id) if e.pinned]
        assert pinned == ["first finding"]


async def test_countdown_warns_then_alerts_every_minute(make_app, store, clock, monkeypatch):
    incident = store.declare("Site down", 1)  # declared 10:00: internal update due 10:30
    store.acknowledge(incident.id)  # so that only the update clock can alert
    for role in ("ic", "ops", "dev", "comms"):  # and no nudge for an unassigned role
        store.assign(incident.id, role, "alice")
    app = make_app()
    bells: list[int] = []
    async with app.run_test(size=(120, 40)) as pilot:
        monkeypatch.setattr(app, "bell", lambda: bells.append(1))
        pane = app.query_one(NextUpdatePane)
        clock.advance(minutes=24)
        app.main.tick()
        assert not pane.has_class("-warning")
        clock.advance(minutes=1)  # 10:25: five minutes left
        app.main.tick()
        await pilot.pause()
        assert pane.has_class("-warning")
        assert any("due in 05:00" in n.message for n in app.said)
        clock.advance(minutes=6)  # 10:31: overdue
        app.main.tick()
        await pilot.pause()
        assert pane.has_class("-overdue")
        assert len(bells) == 1
        assert any("late by 1m" in n.message for n in app.said)
        clock.advance(seconds=30)
        app.main.tick()
        assert len(bells) == 1  # not every second
        clock.advance(seconds=31)
        app.main.tick()
        assert len(bells) == 2  # again a minute later
        # Recording the update restarts the clock and silences the alert.
        await type_line(pilot, "/update")
        app.main.tick()
        assert not pane.has_class("-overdue")
        assert "due 11:02" in str(pane.query_one("#due-line").content)


async def test_clocks_stop_when_resolved(make_app, store, clock):
    incident = store.declare("Site down", 1)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await type_line(pilot, "/status resolved")
        clock.advance(hours=3)
        app.main.tick()
        pane = app.query_one(NextUpdatePane)
        assert pane.has_class("-stopped")
        assert not pane.has_class("-overdue")
        assert store.get(incident.id).resolved_at is not None


async def test_close_writes_the_review(make_app, store, clock, tmp_path: Path):
    incident = store.declare("Payments failing", 1)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await type_line(pilot, "Rolled back deploy 4411")
        clock.advance(minutes=40)
        await pilot.press("f10")
        assert isinstance(app.screen, CloseScreen)
        app.screen.query_one("#root_cause").text = "Missing customer ID | validation"
        assert "closing also resolves it" in str(app.screen.query_one("#close-warning").content)
        app.screen.query_one("#action_items").text = "P0 @bob add a canary\nnot an item"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, CloseScreen)  # the bad line is named, nothing lost
        assert "line 2" in str(app.screen.query_one("#error").content)
        app.screen.query_one("#action_items").text = "P0 @bob add a canary\nP7 @x no such"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, CloseScreen)
        assert "no priority P7" in str(app.screen.query_one("#error").content)
        assert store.action_items(incident.id) == []  # nothing half-written
        app.screen.query_one("#action_items").text = "P0 @bob add a canary"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, CloseScreen)
        closed = store.get(incident.id)
        assert closed.status is Status.CLOSED
        assert closed.review.root_cause == "Missing customer ID | validation"
        assert closed.review_path is not None
        review = Path(closed.review_path).read_text()
        assert review.startswith("# Incident Review: Payments failing")
        assert "Missing customer ID \\| validation" in review or "Missing customer ID" in review
        assert "add a canary" in review
        assert Path(closed.review_path).parent == tmp_path / "reviews"
        # Logging into a closed incident is refused with a clear message.
        await type_line(pilot, "too late")
        assert app.query_one("#entry", Input).value == "too late"


async def test_other_writers_show_up(make_app, store, db_path, clock):
    incident = store.declare("Shared", 2)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        other = Store(db_path, default_playbook(), clock=clock, author="script")
        clock.advance(seconds=5)
        other.log(incident.id, "deploy 4412 finished")
        other.dispose()
        app.main.tick()  # without a file watcher, the tick looks
        await pilot.pause()
        timeline = app.query_one(TimelineView)
        last = timeline.entry_at(timeline.count - 1)
        assert last is not None and last.text == "deploy 4412 finished"


async def test_command_palette_offers_every_action(make_app, store):
    store.declare("Palette", 3)
    app = make_app()
    async with app.run_test(size=(120, 40)):
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for wanted in (
            "Declare incident",
            "Assign role",
            "Change severity",
            "Change status",
            "Compose status message",
            "Pin entry",
            "Acknowledge",
            "Close incident",
            "Help",
        ):
            assert wanted in titles


async def test_large_timeline_reads_only_what_is_shown(make_app, store, monkeypatch):
    incident = store.declare("Noisy", 3)
    store.log_many(incident.id, (f"line {i}" for i in range(5_000)))
    calls: list[tuple[int, int]] = []
    original = store.timeline

    def spy(incident_id, offset=0, limit=None, total=None):
        calls.append((offset, limit))
        return original(incident_id, offset, limit, total)

    monkeypatch.setattr(store, "timeline", spy)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        timeline = app.query_one(TimelineView)
        assert timeline.count == store.entry_count(incident.id) >= 5_001
        assert calls and all(limit is not None and limit <= 200 for _, limit in calls)
        last = timeline.entry_at(timeline.count - 1)
        assert last is not None and last.text == "line 4999"


async def test_timeline_follows_the_newest_entry_past_a_full_pane(make_app, store, clock):
    store.declare("Busy", 2)
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        timeline = app.query_one(TimelineView)
        height = timeline.scrollable_content_region.height
        for i in range(height + 3):  # across the moment the scrollbar appears
            clock.advance(seconds=1)
            await type_line(pilot, f"entry {i}")
            await pilot.pause()
            bottom = timeline.scroll_offset.y + timeline.scrollable_content_region.height
            assert bottom >= timeline.count, (i, timeline.scroll_offset.y, timeline.count)
        assert timeline.entry_at(timeline.count - 1).text == f"entry {height + 2}"


async def test_bracket_markup_in_user_text_is_shown_literally(make_app, store):
    incident = store.declare("Markup [/] check", 2)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        for line in ("/tick [/]", "/sev [bold]", "[/] [red]plain note[/red]"):
            await type_line(pilot, line)
        await pilot.pause()
        assert any("[/]" in n.message for n in app.said)
        assert store.timeline(incident.id)[-1].text == "[/] [red]plain note[/red]"
        await pilot.press("f1")  # the help's "[TEXT]" usages must survive too
        await pilot.pause()
        assert app.is_running


async def test_second_open_incident_is_shown_and_switchable(make_app, store, clock):
    first = store.declare("Checkout down", 1)
    clock.advance(minutes=1)
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await type_line(pilot, f"/switch {first.id}")
        clock.advance(minutes=1)
        second = store.declare("Search slow", 3)  # e.g. from a script in another terminal
        app.main.check_database()
        await pilot.pause()
        header = str(app.query_one("#header").content)
        assert first.id in header and "+1 OPEN" in header
        await type_line(pilot, "/switch")
        assert any(second.id in n.message for n in app.said)
        await type_line(pilot, f"/switch {second.id}")
        assert app.main.incident.id == second.id
        await type_line(pilot, "/switch INC-1999-01-01-9")
        assert app.query_one("#entry", Input).value == "/switch INC-1999-01-01-9"
        assert app.main.incident.id == second.id


async def test_a_note_shows_at_once_and_the_rest_is_read_after(make_app, store, db_path, clock):
    """Logging paints the timeline first; the full re-read follows (DatabaseChanged, the one
    refresh path), catching other writers."""
    incident = store.declare("Shared", 2)
    seen_at_refresh: list[str] = []
    app = make_app(tick_seconds=600)  # no tick while typing (slow on a loaded machine)

    def hook(message: Message) -> None:
        if isinstance(message, DatabaseChanged):  # posted: what is on screen by then
            timeline = app.query_one(TimelineView)
            if timeline.count:
                seen_at_refresh.append(timeline.entry_at(timeline.count - 1).text)

    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await pilot.pause()
        other = Store(db_path, default_playbook(), clock=clock, author="script")
        other.assign(incident.id, "ops", "oscar")  # no tick, no file watcher: unseen so far
        other.dispose()
        seen_at_refresh.clear()
        await type_line(pilot, "rolled back 4412")
        await pilot.pause()
        assert seen_at_refresh[:1] == ["rolled back 4412"]  # on screen before the re-read
        assert "oscar" in _roles_text(app)  # and the re-read caught the other writer


def _roles_text(app) -> str:
    pane = app.query_one(RolesPane)
    return " ".join(str(widget.render()) for widget in pane.query("*")) + str(pane.render())


def _line_text(timeline: TimelineView, index: int) -> str:
    strip = timeline.render_line(index - timeline.scroll_offset.y)
    return "".join(segment.text for segment in strip)


async def test_timeline_lines_are_redrawn_when_what_they_show_changes(make_app, store):
    incident = store.declare("Redraw", 3)
    first = store.log(incident.id, "first finding")
    store.log(incident.id, "second finding")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        timeline = app.query_one(TimelineView)
        index = next(i for i in range(timeline.count) if timeline.entry_at(i).id == first.id)
        assert "★" not in _line_text(timeline, index)
        store.set_pinned(first.id, True)
        app.main.reload()
        await pilot.pause()
        assert "★ first finding" in _line_text(timeline, index)
        before = timeline.render_line(index - timeline.scroll_offset.y)
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        after = timeline.render_line(index - timeline.scroll_offset.y)
        assert [s.text for s in after] == [s.text for s in before]
        assert [s.style for s in after] != [s.style for s in before]  # new theme, new colours
