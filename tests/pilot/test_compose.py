"""Overdue to sent in one key: compose from the runbook's templates, send, outbox, retry."""

from __future__ import annotations

from textual.widgets import DataTable, OptionList, TextArea

from warroom.comms.messages import MessageKind
from warroom.domain.model import EntryKind
from warroom.store.outbox import OutboxStatus, list_outbox, mark_failed
from warroom.tui.messages import DatabaseChanged
from warroom.tui.screens.compose import ComposeScreen, OutboxScreen

CUSTOMER_INDEX = list(MessageKind).index(MessageKind.CUSTOMER)  # in the template list


async def test_f6_drafts_the_status_update_and_ctrl_s_sends_it(make_app, store, clock, monkeypatch):
    monkeypatch.setenv("WARROOM_SLACK_WEBHOOK", "https://hooks.slack.com/services/T0/B0/secret")
    incident = store.declare("Checkout down", 1)
    store.log(incident.id, "Stripe webhooks failing signature check", EntryKind.FINDING)
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        clock.advance(minutes=31)
        app.main.tick()  # overdue: the alert says F6
        await pilot.pause()
        assert any("F6" in n.message for n in app.said)
        await pilot.press("f6")
        await pilot.pause()
        assert isinstance(app.screen, ComposeScreen)
        draft = app.screen.query_one("#draft", TextArea)
        assert "UPDATE" in draft.text and "Stripe webhooks failing" in draft.text
        assert "slack" in str(app.screen.query_one("#channels").content)
        draft.insert("\nBridge: +1 555 0100\n")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, ComposeScreen)
        sent = store.get(incident.id)
        assert sent.last_internal_update_at == clock.now
        update = [e for e in store.timeline(incident.id) if e.kind is EntryKind.UPDATE][-1]
        assert "Bridge: +1 555 0100" in update.text
        assert app.clipboard.endswith("Bridge: +1 555 0100\n") or "Bridge" in app.clipboard
        queued = list_outbox(store, incident.id)
        assert [(m.channel, m.status) for m in queued] == [("slack", OutboxStatus.PENDING)]
        app.main.tick()
        assert not app.query_one("#next-update").has_class("-overdue")
        # The secret URL went nowhere near the database.
        assert b"hooks.slack.com" not in store.path.read_bytes()


async def test_switching_templates_keeps_edits(make_app, store):
    store.declare("Search down", 2)
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        draft = app.screen.query_one("#draft", TextArea)
        draft.load_text("my own words")
        templates = app.screen.query_one("#template", OptionList)
        templates.highlighted = CUSTOMER_INDEX
        await pilot.pause()
        assert "Dear" in draft.text
        templates.highlighted = 1  # back to the status update
        await pilot.pause()
        assert draft.text == "my own words"


async def test_empty_message_is_refused(make_app, store):
    incident = store.declare("Empty", 3)
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        app.screen.query_one("#draft", TextArea).load_text("   ")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ComposeScreen)
        assert "empty" in str(app.screen.query_one("#error").content)
        assert store.get(incident.id).last_internal_update_at is None


async def test_outbox_screen_shows_failures_and_retries(make_app, store, monkeypatch):
    monkeypatch.setenv("WARROOM_WEBHOOK", "https://example.invalid/hook")
    incident = store.declare("Webhook gone", 2)
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        message = list_outbox(store, incident.id)[0]
        mark_failed(store, message.id, "410 Gone: the webhook was deleted")
        app.main.post_message(DatabaseChanged())  # as the file watcher says of another writer
        await pilot.pause()
        assert "FAILED" in app.query_one("#entry").border_subtitle
        await pilot.press("f12")
        await pilot.pause()
        assert isinstance(app.screen, OutboxScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 1
        assert "410 Gone" in str(table.get_row_at(0)[-1])
        await pilot.press("r")
        await pilot.pause()
        assert list_outbox(store, incident.id)[0].status is OutboxStatus.PENDING


async def test_broken_user_template_falls_back_and_says_where(
    make_app, store, tmp_path, monkeypatch
):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "status_update.md.j2").write_text("line one\n{{ oops }\n")
    config = tmp_path / "config.toml"
    config.write_text(f'templates_dir = "{templates}"\n')
    monkeypatch.setenv("WARROOM_CONFIG", str(config))
    store.declare("Template", 2)
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        problem = str(app.screen.query_one("#problem").content)
        assert "status_update.md.j2:2" in problem
        assert "UPDATE" in app.screen.query_one("#draft", TextArea).text  # the built-in one


async def test_a_customer_message_goes_only_to_customer_channels(
    make_app, store, monkeypatch, tmp_path
):
    config = tmp_path / "config.toml"
    config.write_text(
        '[[channels]]\nname = "team"\ntype = "slack"\n'
        'url = "https://hooks.slack.com/services/T/B/team"\n'
        '[[channels]]\nname = "statuspage"\ntype = "webhook"\n'
        'url = "https://status.example.com/hook"\naudience = "customers"\n'
    )
    monkeypatch.setenv("WARROOM_CONFIG", str(config))
    incident = store.declare("Checkout down", 1)
    app = make_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        channels = app.screen.query_one("#channels")
        assert "team" in str(channels.content) and "statuspage" not in str(channels.content)
        app.screen.query_one("#template", OptionList).highlighted = CUSTOMER_INDEX
        await pilot.pause()
        assert "statuspage" in str(channels.content) and "team" not in str(channels.content)
        await pilot.press("ctrl+s")
        await pilot.pause()
        queued = list_outbox(store, incident.id)
        assert [(m.kind, m.channel) for m in queued] == [("customer", "statuspage")]
    config.write_text(config.read_text().replace('audience = "customers"\n', ""))
    async with make_app().run_test(size=(140, 44)) as pilot:  # no customer channel now
        await pilot.press("f6")
        await pilot.pause()
        pilot.app.screen.query_one("#template", OptionList).highlighted = CUSTOMER_INDEX
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        said = [n for n in pilot.app.said if "no channel for customers" in n.message]
        assert [n.severity for n in said] == ["warning"]
    assert len(list_outbox(store, incident.id)) == 1  # recorded; nothing more queued
