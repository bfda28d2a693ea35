"""Dialogs are typed: `Dialog[T]` hands its opener a T, or None when cancelled."""

from __future__ import annotations

from textual.widgets import Input

from warroom.tui.screens.dialogs import ChoiceScreen, Declaration, DeclareScreen, Dialog


async def test_declare_returns_a_declaration_and_esc_returns_none(make_app, store, clock):
    store.declare("Already open", 3)  # so the war room opens no dialog of its own
    app = make_app()
    results: list[Declaration | None] = []
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(DeclareScreen(app.playbook, clock), results.append)
        await pilot.pause()
        app.screen.query_one("#title", Input).value = "Checkout 500s"
        await pilot.press("ctrl+s")
        await pilot.pause()
        app.push_screen(DeclareScreen(app.playbook, clock), results.append)
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert isinstance(results[0], Declaration) and results[0].title == "Checkout 500s"
    assert results[1] is None


async def test_a_choice_returns_its_key(make_app, store):
    store.declare("Already open", 3)
    app = make_app()
    results: list[str | None] = []
    async with app.run_test(size=(120, 40)) as pilot:
        screen: Dialog[str] = ChoiceScreen("Pick", [("a", "A", ""), ("b", "B", "")])
        app.push_screen(screen, results.append)
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
    assert results == ["b"]
