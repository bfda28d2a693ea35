"""The runbook in the war room: scenarios, mitigations and the root cause, from the keyboard."""

from __future__ import annotations

import io

from textual.widgets import Input, OptionList, Static

from warroom.domain.model import Status
from warroom.tui.screens.dialogs import ChoiceScreen
from warroom.tui.screens.help import HelpScreen


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
        assert any("rollback" in n.message for n in app.said)  # the known keys
        assert store.entry_count(incident.id) == before


# -- the runbook's Quick Links (issue 8) ----------------------------------------------------


def shown_text(renderable: object, width: int = 200) -> str:
    """What a rich renderable says, as plain text."""
    from rich.console import Console

    console = Console(width=width, record=True, color_system=None, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


async def test_help_shows_the_quick_links(make_app, store):
    store.declare("Site down", 1)
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        text = shown_text(app.screen.query_one("#help-body", Static).content)
        assert "Quick links: Monitoring & Logs" in text
        assert "Quick links: Status Pages" in text
        for link in store.playbook.quick_links:
            line = next(line for line in text.splitlines() if link.name in line)
            assert link.url in line


async def test_ctrl_r_menu_lists_the_quick_links_and_copies_one(make_app, store):
    store.declare("Site down", 1)
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.press("ctrl+r")
        assert isinstance(app.screen, ChoiceScreen)
        options = app.screen.query_one("#choices", OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert ids[-1] == "links"
        options.highlighted = len(ids) - 1
        await pilot.pause()
        help_text = shown_text(app.screen.query_one("#choice-help", Static).content)
        assert "Vercel Dashboard" in help_text and "https://vercel.com/dashboard" in help_text
        assert "Stripe Status" in help_text and "https://status.stripe.com" in help_text
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)  # the links themselves
        links = app.screen.query_one("#choices", OptionList)
        labels = [str(links.get_option_at_index(i).prompt) for i in range(links.option_count)]
        assert labels == [link.name for link in store.playbook.quick_links]
        await pilot.press("down", "enter")  # the second: Vercel Dashboard
        await pilot.pause()
        assert not isinstance(app.screen, ChoiceScreen)
        assert app.clipboard == "https://vercel.com/dashboard"


async def test_a_playbook_without_quick_links_offers_none(make_app, store):
    from dataclasses import replace

    store.playbook = replace(store.playbook, quick_links=[])
    store.declare("Site down", 1)
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.press("ctrl+r")
        options = app.screen.query_one("#choices", OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert "links" not in ids
        await pilot.press("escape", "f1")
        await pilot.pause()
        text = shown_text(app.screen.query_one("#help-body", Static).content)
        assert "Quick links" not in text
