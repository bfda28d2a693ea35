"""Between incidents in the war room, by keyboard: History (filter, open read-only, export,
reopen), overdue items in the header, /item without an owner, /edit and /strike."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import DataTable, Input

from warroom.domain.model import EntryKind, Status
from warroom.store.store import Store
from warroom.tui.screens.dialogs import ChoiceScreen, DeclareScreen, EntryScreen
from warroom.tui.screens.history import HistoryScreen, OverdueScreen, RecordScreen
from warroom.tui.screens.main import MainScreen
from warroom.tui.screens.owner import OwnerScreen
from warroom.tui.widgets.panes import IncidentHeader
from warroom.tui.widgets.timeline import TimelineView


async def type_line(pilot, text: str) -> None:
    entry = pilot.app.query_one("#entry", Input)
    entry.value = text
    await pilot.press("enter")
    await pilot.pause()


def _past(store: Store, clock, title: str, severity: int, close: bool = True) -> str:
    incident = store.declare(title, severity)
    store.log(incident.id, f"note on {title}")
    clock.advance(minutes=30)
    if close:
        store.close(incident.id)
    clock.advance(hours=1)
    return incident.id


def _rows(screen: HistoryScreen) -> list[str]:
    return [incident.id for incident in screen.shown]


def _header(app) -> str:
    return str(app.screen_stack[0].query_one(IncidentHeader).render())


async def test_history_lists_filters_and_goes_back(make_app, store, clock):
    first = _past(store, clock, "Checkout down", 1)
    second = _past(store, clock, "Search slow", 3)
    current = _past(store, clock, "Login errors", 2, close=False)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+o")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        assert _rows(screen) == [current, second, first]  # newest first
        table = screen.query_one(DataTable)
        assert table.row_count == 3
        row = table.get_row_at(2)
        assert row[1] == "SEV-1" and str(row[2]) == "Closed" and row[3] == "30m"
        assert "ongoing" in table.get_row_at(0)[3]
        assert screen.query_one(Input).has_focus  # typing filters at once
        await pilot.press(*"sev-3")
        await pilot.pause()
        assert _rows(screen) == [second]
        await pilot.press(*["backspace"] * 5, *"closed")
        await pilot.pause()
        assert _rows(screen) == [second, first]
        await pilot.press("escape")  # back, mid-way: nothing changed
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert store.get(second).status is Status.CLOSED
        # /history with words opens it filtered; the palette has it too.
        await type_line(pilot, "/history checkout")
        assert isinstance(app.screen, HistoryScreen) and _rows(app.screen) == [first]
        await pilot.press("escape")
        await pilot.pause()
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert "History" in titles


async def test_enter_opens_a_closed_incident_read_only(make_app, store, clock):
    closed = _past(store, clock, "Checkout down", 1)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        if isinstance(app.screen, DeclareScreen):
            await pilot.press("escape")
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("enter")  # from the filter: the highlighted incident
        await pilot.pause()
        record = app.screen
        assert isinstance(record, RecordScreen) and record.incident_id == closed
        header = str(record.query_one("#record-header").render())
        assert closed in header and "READ-ONLY" in header and "CLOSED" in header
        timeline = record.query_one(TimelineView)
        assert timeline.count == store.entry_count(closed)
        checks = str(record.query_one("#record-checks").render())
        assert "[ ]" in checks or "[x]" in checks
        before = store.entry_count(closed)
        await pilot.press("enter", "escape")  # read an entry, close it: nothing written
        await pilot.pause()
        assert store.entry_count(closed) == before
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_history_exports_the_review_and_reopens_when_confirmed(
    make_app, store, clock, tmp_path
):
    closed = _past(store, clock, "Checkout down", 1)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        if isinstance(app.screen, DeclareScreen):
            await pilot.press("escape")
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("ctrl+e")  # the same code path as `warroom export`
        await pilot.pause()
        review = tmp_path / "reviews" / f"{closed}-review.md"
        assert review.is_file() and store.get(closed).review_path == str(review.absolute())
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("escape")  # changed their mind
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        assert store.get(closed).status is Status.CLOSED
        await pilot.press("ctrl+r")
        await pilot.pause()
        await pilot.press("enter")  # Cancel is highlighted: a stray Enter changes nothing
        await pilot.pause()
        assert store.get(closed).status is Status.CLOSED
        await pilot.press("ctrl+r")
        await pilot.pause()
        await pilot.press("up", "enter")  # Reopen
        await pilot.pause()
        assert store.get(closed).status is Status.INVESTIGATING
        assert isinstance(app.screen, HistoryScreen)
        assert "Investigating" in str(app.screen.query_one(DataTable).get_row_at(0)[2])
        await pilot.press("enter")  # open now: the war room shows it
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert app.screen.incident is not None and app.screen.incident.id == closed


async def test_overdue_items_in_the_header_when_nothing_is_open(make_app, store, clock):
    incident = store.declare("Checkout down", 1)
    store.add_action_item(incident.id, "alert on pool usage", "P0", "bob")
    store.add_action_item(incident.id, "done already", "P0", "bob")
    done = [i for i in store.action_items(incident.id) if i.text == "done already"][0]
    store.set_action_item_done(done.id)
    store.close(incident.id)
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        if isinstance(app.screen, DeclareScreen):
            await pilot.press("escape")
            await pilot.pause()
        assert "overdue" not in _header(app)  # due in 48 hours: not yet
        clock.advance(hours=49)
        app.screen_stack[0].tick()
        await pilot.pause()
        assert "1 action item overdue" in _header(app)
        await type_line(pilot, "/overdue")
        screen = app.screen
        assert isinstance(screen, OverdueScreen) and screen.items_shown == 1
        row = screen.query_one(DataTable).get_row_at(0)
        assert (
            row[1] == incident.id and str(row[3]) == "@bob" and str(row[6]) == "alert on pool usage"
        )
        await pilot.press("escape")
        await pilot.pause()
        # An open incident: its header is about it, not about old follow-ups.
        app.screen_stack[0].action_declare()
        await pilot.pause()
        app.screen.query_one("#title", Input).value = "New one"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "overdue" not in _header(app)


async def test_item_without_owner_asks_and_esc_keeps_the_line(make_app, store, clock):
    incident = store.declare("Checkout down", 2)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await type_line(pilot, "/item P1 add an alert")
        assert isinstance(app.screen, OwnerScreen)
        assert app.screen.query_one("#owner", Input).has_focus
        await pilot.press(*"car")
        await pilot.press("escape")  # not now: nothing added, the line is back
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert store.action_items(incident.id) == []
        assert app.screen.query_one("#entry", Input).value == "/item P1 add an alert"
        await pilot.press("enter")  # the same line again
        await pilot.pause()
        await pilot.press(*"carol", "enter")
        await pilot.pause()
        assert [(i.text, i.owner) for i in store.action_items(incident.id)] == [
            ("add an alert", "carol")
        ]
        await type_line(pilot, "/item P2 write the runbook page")
        await pilot.press("enter")  # empty: recorded unassigned, said so
        await pilot.pause()
        items = {i.text: i.owner for i in store.action_items(incident.id)}
        assert items["write the runbook page"] == ""
        assert any("UNASSIGNED" in n.message for n in app._notifications)


async def test_edit_and_strike_from_the_entry_line(make_app, store, clock):
    incident = store.declare("Checkout down", 2)
    entry = store.log(incident.id, "db01 is down", kind=EntryKind.FINDING)
    wrong = store.log(incident.id, "cache looks fine")
    automatic = store.timeline(incident.id)[0]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        line = app.screen.query_one("#entry", Input)
        await type_line(pilot, f"/edit {entry.id} db02 is down")
        assert store.entry(entry.id).shown_text == "db02 is down"
        assert store.entry(entry.id).text == "db01 is down"  # kept
        await type_line(pilot, f"/strike {wrong.id} it was not")
        assert store.entry(wrong.id).strike is not None
        timeline = app.screen.query_one(TimelineView)
        lines = [timeline._line(timeline.entry_at(i)).plain for i in range(timeline.count)]
        assert any("db02 is down" in s and "✎ edited" in s for s in lines)
        assert any("cache looks fine" in s and "✗ struck by alice: it was not" in s for s in lines)
        # Automatic entries are not corrected: one clear line, the line kept.
        await type_line(pilot, f"/edit {automatic.id} not declared")
        await pilot.pause()
        assert line.value == f"/edit {automatic.id} not declared"
        assert store.entry(automatic.id).revisions == ()
        line.value = ""
        await type_line(pilot, "/strike 99999 gone")
        assert line.value == "/strike 99999 gone"
        line.value = ""
        # /edit N alone puts the entry's text on the line, to correct it there.
        await type_line(pilot, f"/edit {entry.id}")
        assert line.value == f"/edit {entry.id} db02 is down"
        await pilot.press("backspace", "backspace", "backspace", "backspace", *"up!", "enter")
        await pilot.pause()
        assert store.entry(entry.id).shown_text == "db02 is up!"
        assert len(store.entry(entry.id).revisions) == 2


async def test_history_by_a_burst_of_keys(make_app, store, clock):
    closed = _past(store, clock, "Checkout down", 1)
    _past(store, clock, "Search slow", 3)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        if isinstance(app.screen, DeclareScreen):
            await pilot.press("escape")
            await pilot.pause()
        # Open History, filter, open the one found: every key where it was meant to go.
        await pilot.press("ctrl+o", *"checkout", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RecordScreen) and app.screen.incident_id == closed
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert app.screen.query_one("#entry", Input).value == ""  # nothing leaked to the line
        # Esc mid-way through the reopen question: nothing changes.
        await pilot.press("ctrl+o", *"checkout", "ctrl+r", "escape", "escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert store.get(closed).status is Status.CLOSED


async def test_the_selected_entry_shows_its_number_and_edit_takes_it(make_app, store, clock):
    incident = store.declare("Checkout down", 2)
    first = store.log(incident.id, "first note")
    store.log(incident.id, "second note")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        timeline = app.screen.query_one(TimelineView)
        timeline.focus()
        index = [timeline.entry_at(i).id for i in range(timeline.count)].index(first.id)
        timeline.cursor = index
        await pilot.pause()
        shown = "".join(
            segment.text
            for y in range(timeline.size.height)
            for segment in timeline.render_line(y)
            if "first note" in "".join(s.text for s in timeline.render_line(y))
        )
        assert f"#{first.id}" in shown  # the number /edit and /strike take
        # /edit alone (typed with the timeline focused: the keys go to the entry line) puts
        # the selected entry's text on the line, to correct there (as /pin chooses).
        await pilot.press(*"/edit", "enter")
        await pilot.pause()
        line = app.screen.query_one("#entry", Input)
        assert line.value == f"/edit {first.id} first note"
        await pilot.press("enter")  # unchanged: refused, the line kept, nothing recorded
        await pilot.pause()
        assert line.value == f"/edit {first.id} first note"
        assert store.entry(first.id).revisions == ()
        await pilot.press("end", *" (typo)", "enter")
        await pilot.pause()
        assert store.entry(first.id).shown_text == "first note (typo)"
        # Enter on it shows the entry as corrected, and what it said before.
        timeline.focus()
        timeline.cursor = index
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, EntryScreen)
        assert str(app.screen.query_one("#entry-text").render()) == "first note (typo)"
        said = [str(w.render()) for w in app.screen.query(".revision")]
        assert len(said) == 1 and "(was: first note)" in said[0] and "edit" in said[0]
        await pilot.press("escape")


async def test_item_without_owner_keeps_its_at_time(make_app, store, clock):
    incident = store.declare("Checkout down", 2)
    clock.advance(minutes=30)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await type_line(pilot, "/item P1 add an alert --at -10m")
        assert isinstance(app.screen, OwnerScreen)
        clock.advance(minutes=5)  # the IC thinks about who
        await pilot.press(*"dana", "enter")
        await pilot.pause()
        (item,) = store.action_items(incident.id)
        assert item.owner == "dana"
        assert item.due_at == clock() - timedelta(minutes=15) + timedelta(weeks=1)


async def test_an_observer_browses_history_but_changes_nothing(make_app, store, clock, tmp_path):
    closed = _past(store, clock, "Checkout down", 1)
    app = make_app(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen) and _rows(app.screen) == [closed]
        await pilot.press("ctrl+r", "ctrl+e")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)  # no question asked: refused
        assert store.get(closed).status is Status.CLOSED
        assert not (tmp_path / "reviews").exists()
        assert sum("read-only" in str(n.message) for n in app._notifications) == 2
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RecordScreen)
