"""The runbook in the war room: scenarios, mitigations and the root cause, from the keyboard."""

from __future__ import annotations

from textual.widgets import Input, OptionList

from warroom.domain.model import Status
from warroom.tui.screens.dialogs import ChoiceScreen


async def type_line(pilot, text: str) -> None:
    pilot.app.query_one("#entry", Input).value = text
    await pilot.press("enter")
    await pilot.pause()


async def test_slash_commands_attach_and_mitigate(make_app, store):
    incident = store.declare("Payments failing", 1)
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await type_line(pilot, "/scenario payments")
        await type_line(pilot, "/mitigate rollback")
        await type_line(pilot, "/applied rollback")
        await type_line(pilot, "/cause recent")
        sections = {item.section for item in store.checklist(incident.id)}
        assert {"scenario:payments_failing:diagnosis", "mitigation:rollback"} <= sections
        current = store.get(incident.id)
        assert current.status is Status.MITIGATING
        assert current.mitigated_at is not None
        assert current.root_cause_category == "recent_deployment"
        texts = [e.text for e in store.timeline(incident.id)]
        assert any(t.startswith("Mitigation started: Rollback") for t in texts)
        assert any(t.startswith("Mitigation applied: Rollback") for t in texts)


async def test_ctrl_r_menu_then_choose_a_strategy(make_app, store):
    incident = store.declare("Site down", 1)
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.press("ctrl+r")
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("down", "enter")  # "Start a mitigation"
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        options = app.screen.query_one("#choices", OptionList)
        assert options.get_option_at_index(0).id == "rollback"
        help_text = str(app.screen.query_one("#choice-help").content)
        assert "Steps" in help_text and "Verification" in help_text
        await pilot.press("down", "down", "enter")  # migration rollback: has a caution
        await pilot.pause()
        texts = [e.text for e in store.timeline(incident.id)]
        assert any("Mitigation started" in t for t in texts)


async def test_unknown_key_is_a_clear_error(make_app, store):
    incident = store.declare("Site down", 1)
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        before = store.entry_count(incident.id)
        await type_line(pilot, "/mitigate reboot-everything")
        assert app.query_one("#entry", Input).value == "/mitigate reboot-everything"
        assert any("rollback" in n.message for n in app._notifications)  # the known keys
        assert store.entry_count(incident.id) == before
