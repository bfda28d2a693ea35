"""A burst of keys, a paste, keys in the wrong pane, Esc in a dialog: nothing typed is lost,
duplicated, merged, or turned into a change nobody asked for."""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from warroom.store.store import Store
from warroom.tui.screens.dialogs import ChoiceScreen, DeclareScreen
from warroom.tui.widgets.panes import ChecklistPane
from warroom.tui.widgets.timeline import TimelineView


def burst(app, *keys: str) -> None:
    """Queue KEYS at the app at once, as a terminal delivers a paste or a fast typist:
    no pause for the app to handle one before the next arrives."""
    for key in keys:
        if len(key) == 1:
            name = {" ": "space", "/": "slash", "@": "at", "-": "minus", ":": "colon"}.get(key, key)
            app.post_message(events.Key(name, key))
        else:
            app.post_message(events.Key(key, None))


def keys_of(*lines: str) -> list[str]:
    return [key for line in lines for key in (*line, "enter")]


def texts(store: Store, incident_id: str) -> list[str]:
    return [e.text for e in store.timeline(incident_id)]


async def settle(pilot, rounds: int = 5) -> None:
    for _ in range(rounds):
        await pilot.pause()


async def test_a_burst_of_lines_is_stored_exactly_one_entry_per_enter(make_app, store):
    incident = store.declare("Checkout down", 1)
    before = texts(store, incident.id)
    lines = [f"b-{n:02d} step {n}" for n in range(40)]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        burst(app, *keys_of(*lines))
        await settle(pilot, 20)
        assert texts(store, incident.id)[len(before) :] == lines
        assert app.query_one("#entry", Input).value == ""


async def test_a_failed_command_stays_for_correction_and_is_not_appended_to(make_app, store):
    incident = store.declare("Checkout down", 1)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        burst(app, *keys_of("/asign dev bob"))
        await settle(pilot)
        entry = app.query_one("#entry", Input)
        assert entry.value == "/asign dev bob"  # back for correction
        burst(app, *keys_of("/assign dev bob"))  # typed over it, not after it
        await settle(pilot)
        assert store.roles(incident.id)["dev"].person == "bob"
        assert entry.value == ""


async def test_a_failed_line_in_a_burst_is_recalled_and_the_rest_are_stored(make_app, store):
    incident = store.declare("Checkout down", 1)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        burst(app, *keys_of("one", "/nosuch thing", "two", "three"))
        await settle(pilot, 10)
        assert texts(store, incident.id)[-3:] == ["one", "two", "three"]
        entry = app.query_one("#entry", Input)
        assert entry.value == "/nosuch thing"  # back once the burst is in, nothing glued
        await pilot.press("x")  # typing replaces it: it was put back selected
        assert entry.value == "x"
        await pilot.press("up")
        assert entry.value == "three"  # and Up recalls every line, the failed one too
        await pilot.press("up", "up")
        assert entry.value == "/nosuch thing"


async def test_a_misspelled_command_gets_did_you_mean(make_app, store):
    store.declare("Checkout down", 1)
    notes: list[str] = []
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.notify = lambda message, **kw: notes.append(message)  # type: ignore[method-assign]
        await pilot.pause()
        burst(app, *keys_of("/stauts mitigating"))
        await settle(pilot)
        assert any("did you mean /status" in note for note in notes), notes
        assert app.query_one("#entry", Input).value == "/stauts mitigating"


async def test_text_typed_in_the_checklist_goes_to_the_entry_line(make_app, store):
    incident = store.declare("Checkout down", 1)
    ticks_before = [item.done for item in store.checklist(incident.id)]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f9")
        await pilot.pause()
        assert isinstance(app.focused, ChecklistPane)
        burst(app, *keys_of("rollback done"))
        await settle(pilot)
        assert texts(store, incident.id)[-1] == "rollback done"
        assert [item.done for item in store.checklist(incident.id)] == ticks_before
        assert app.focused is app.query_one("#entry")


async def test_space_ticks_deliberately_and_focus_returns_to_the_entry_line(make_app, store):
    incident = store.declare("Checkout down", 1)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f9")
        await pilot.pause()
        open_before = sum(not item.done for item in store.checklist(incident.id))
        await pilot.press("space")
        await settle(pilot)
        assert sum(not item.done for item in store.checklist(incident.id)) == open_before - 1
        assert app.focused is app.query_one("#entry")


async def test_text_typed_in_the_timeline_never_pins(make_app, store):
    incident = store.declare("Checkout down", 1)
    finding = store.log(incident.id, "root cause: pool exhausted")
    store.set_pinned(finding.id, True)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one(TimelineView).focus()
        await pilot.pause()
        burst(app, *keys_of("upstream p99 spike"))
        await settle(pilot)
        entries = store.timeline(incident.id)
        assert entries[-1].text == "upstream p99 spike"
        assert [e.text for e in entries if e.pinned] == ["root cause: pool exhausted"]


async def test_a_paste_into_a_pane_goes_to_the_entry_line(make_app, store):
    store.declare("Checkout down", 1)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one(TimelineView).focus()
        await pilot.pause()
        app.post_message(events.Paste("db latency 900ms"))
        await settle(pilot)
        assert app.query_one("#entry", Input).value == "db latency 900ms"
        assert app.focused is app.query_one("#entry")


async def test_a_multi_line_paste_asks_once_and_logs_every_line(make_app, store):
    incident = store.declare("Checkout down", 1)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.post_message(events.Paste("first line\nsecond line\r\nthird line\n"))
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)
        assert "3 lines" in app.screen.title_text
        await pilot.press("enter")  # the first choice: one entry a line
        await settle(pilot)
        assert texts(store, incident.id)[-3:] == ["first line", "second line", "third line"]


async def test_a_multi_line_paste_as_one_entry_or_cancelled_loses_nothing(make_app, store):
    incident = store.declare("Checkout down", 1)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.post_message(events.Paste("Traceback:\n  File x.py"))
        await settle(pilot)
        await pilot.press("down", "enter")  # as one entry
        await settle(pilot)
        assert texts(store, incident.id)[-1] == "Traceback:\n  File x.py"
        count = len(texts(store, incident.id))
        app.post_message(events.Paste("a\nb"))
        await settle(pilot)
        await pilot.press("escape")  # cancelled: nothing logged, the text is kept
        await settle(pilot)
        assert len(texts(store, incident.id)) == count
        assert app.query_one("#entry", Input).value == "a b"


async def test_declare_dialog_burst_with_tab_and_enter_fills_each_field(make_app, store):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DeclareScreen)
        burst(app, *"Checkout 500", "tab", "down", "tab", *"30% of users", "tab")
        burst(app, *"payments", "ctrl+s")
        await settle(pilot, 10)
        incident = store.current()
        assert incident is not None
        assert (incident.title, incident.severity) == ("Checkout 500", 2)
        assert (incident.impact_users, incident.impact_features) == ("30% of users", "payments")


async def test_declare_dialog_burst_with_enters(make_app, store):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        burst(app, *"Login broken", "enter", "enter", *"all users", "enter", *"sign-in")
        burst(app, "enter", "enter")  # past "Detected at" (empty: now): declared
        await settle(pilot, 10)
        incident = store.current()
        assert incident is not None
        assert (incident.title, incident.severity) == ("Login broken", 1)
        assert (incident.impact_users, incident.impact_features) == ("all users", "sign-in")


async def test_esc_keeps_the_declare_draft_and_the_entry_line_is_the_title(make_app, store):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("escape")  # nothing typed: nothing kept
        await settle(pilot)
        assert store.draft("", "declare") == {}
        app.query_one("#entry", Input).value = "payments API 502s"
        await pilot.press("f2")
        await settle(pilot)
        assert app.screen.query_one("#title", Input).value == "payments API 502s"
        burst(app, "tab", "tab", *"EU customers", "escape")
        await settle(pilot)
        assert not isinstance(app.screen, DeclareScreen)
        await pilot.press("f2")
        await settle(pilot)
        assert app.screen.query_one("#users", Input).value == "EU customers"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert store.current().title == "payments API 502s"
        assert app.query_one("#entry", Input).value == ""  # it was the title
        assert store.draft("", "declare") == {}  # declared: the draft is gone


async def test_esc_keeps_the_close_answers_across_a_restart(make_app, store):
    from textual.widgets import TextArea

    from warroom.tui.screens.close import CloseScreen

    incident = store.declare("Checkout down", 1)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, CloseScreen)
        app.screen.query_one("#root_cause", TextArea).load_text("pool exhausted")
        app.screen.query_one("#action_items", TextArea).load_text("P1 @bob alert on pool")
        burst(app, "escape")
        await settle(pilot)
        assert not isinstance(app.screen, CloseScreen)
        await pilot.press("f10")
        await settle(pilot)
        assert app.screen.query_one("#root_cause", TextArea).text == "pool exhausted"
        app.screen.query_one("#lessons", TextArea).load_text("pools need alerts")
        await pilot.press("ctrl+q")  # quitting mid-dialog keeps it too
    again = make_app()
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.press("f10")
        await settle(pilot)
        screen = again.screen
        assert screen.query_one("#root_cause", TextArea).text == "pool exhausted"
        assert screen.query_one("#lessons", TextArea).text == "pools need alerts"
        assert screen.query_one("#action_items", TextArea).text == "P1 @bob alert on pool"
        await pilot.press("ctrl+s")
        await settle(pilot, 10)
    assert store.get(incident.id).closed_at is not None
    assert store.draft(incident.id, "close") == {}


async def test_esc_keeps_the_compose_draft_until_it_is_sent(make_app, store):
    from textual.widgets import TextArea

    from warroom.tui.screens.compose import ComposeScreen

    incident = store.declare("Checkout down", 1)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, ComposeScreen)
        app.screen.query_one("#draft", TextArea).load_text("Edited: DB failover in progress")
        await pilot.press("escape")
        await settle(pilot)
    again = make_app()
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.press("f6")
        await settle(pilot)
        assert again.screen.query_one("#draft", TextArea).text == (
            "Edited: DB failover in progress"
        )
        await pilot.press("ctrl+s")
        await settle(pilot, 10)
    assert store.draft(incident.id, "compose") == {}
    assert any("DB failover in progress" in e.text for e in store.timeline(incident.id)) or any(
        "DB failover" in m for m in _sent_texts(store, incident.id)
    )


def _sent_texts(store: Store, incident_id: str) -> list[str]:
    from warroom.store.outbox import list_outbox

    return [item.text for item in list_outbox(store, incident_id, limit=50)]


async def test_ctrl_c_says_how_to_quit_in_plain_words(make_app, store):
    store.declare("Checkout down", 1)
    notes: list[str] = []
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.notify = lambda message, **kw: notes.append(message)  # type: ignore[method-assign]
        app.query_one(TimelineView).focus()  # not in the entry line, where Ctrl+C copies
        await pilot.press("ctrl+c")
        await settle(pilot)
        assert notes and "Ctrl+Q" in notes[-1]
        assert "[" not in notes[-1]
