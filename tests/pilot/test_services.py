"""The war room's services report by message (tui/messages.py): captured with message_hook,
asserted on public state."""

from __future__ import annotations

from textual.message import Message

from warroom.playbook import default_playbook
from warroom.store.store import Store
from warroom.tui.messages import DatabaseChanged, PlaybookChanged, RadarPolled, WatchingChanged
from warroom.tui.widgets.dependencies import DependenciesPane


def test_a_flood_of_database_changes_merges_into_one():
    assert DatabaseChanged().can_replace(DatabaseChanged())
    assert not DatabaseChanged().can_replace(PlaybookChanged())
    assert not WatchingChanged(True).can_replace(WatchingChanged(True))


async def test_the_watcher_posts_database_changed_for_another_writer(make_app, store, db_path):
    from test_live import shown_texts, wait_until

    incident = store.declare("Shared", 2)
    messages: list[Message] = []
    app = make_app(watch_files=True)
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        assert await wait_until(pilot, lambda: app.main.watching)
        assert any(isinstance(m, WatchingChanged) and m.watching for m in messages)
        before = sum(isinstance(m, DatabaseChanged) for m in messages)
        other = Store(db_path, default_playbook(), author="script")
        other.log(incident.id, "written elsewhere")
        other.dispose()
        assert await wait_until(pilot, lambda: "written elsewhere" in shown_texts(app))
        assert sum(isinstance(m, DatabaseChanged) for m in messages) > before


async def test_our_own_write_takes_the_same_refresh_path(make_app, store):
    incident = store.declare("Local", 3)
    messages: list[Message] = []
    app = make_app()
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await pilot.press(*"/sev 2", "enter")
        await pilot.pause()
        assert any(isinstance(m, DatabaseChanged) for m in messages)
        assert store.get(incident.id).severity == 2
        assert "SEV-2" in str(app.query_one("#header").content)


async def test_a_radar_report_is_shown(make_app, store, clock):
    from test_live import fixture_status

    store.declare("Radar", 3)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        stripe = fixture_status("Stripe", "major_incident", clock.now)
        app.main.post_message(RadarPolled([stripe], []))
        await pilot.pause()
        assert app.main.dependencies == [stripe]
        assert "Stripe" in str(app.query_one(DependenciesPane).content)
