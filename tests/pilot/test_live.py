"""Live: another process's writes and playbook edits reach an open war room through file events."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import Input

from warroom.playbook import default_playbook
from warroom.playbook.loader import load_playbook
from warroom.store.target import DatabaseTarget
from warroom.tui.messages import RadarPolled
from warroom.tui.widgets.timeline import TimelineView

DEFAULT_TOML = Path(__file__).resolve().parents[2] / "warroom" / "playbook" / "default.toml"


async def wait_until(pilot, predicate, seconds: float = 5.0) -> bool:
    for _ in range(int(seconds / 0.05)):
        if predicate():
            return True
        await asyncio.sleep(0.05)
        await pilot.pause()
    return predicate()


def last_text(app) -> str:
    timeline = app.query_one(TimelineView)
    entry = timeline.entry_at(timeline.count - 1)
    return entry.text if entry else ""


def shown_texts(app) -> list[str]:
    timeline = app.query_one(TimelineView)
    return [e.text for i in range(timeline.count) if (e := timeline.entry_at(i))]


@pytest.fixture
def db_path(any_db: Path | DatabaseTarget) -> Path | DatabaseTarget:
    """The war room live on SQLite and on PostgreSQL (conftest.any_db)."""
    return any_db


async def test_entry_from_another_process_appears(make_app, store, db_path):
    incident = store.declare("Shared incident", 2)
    app = make_app(watch_files=True)
    async with app.run_test(size=(120, 40)) as pilot:
        assert await wait_until(pilot, lambda: app.main.watching)
        where = db_path.url if isinstance(db_path, DatabaseTarget) else str(db_path)
        env = {**os.environ, "WARROOM_DB": where, "WARROOM_USER": "deploy-bot"}
        subprocess.run(
            [sys.executable, "-m", "warroom", "log", "--incident", incident.id, "deploy 4413 done"],
            check=True,
            env=env,
        )
        # No tick is called here: only the file event can bring it in. (The other process
        # uses the real clock, this app a fake one: so look for the entry, not at the end.)
        assert await wait_until(pilot, lambda: "deploy 4413 done" in shown_texts(app))


def write_playbook(path: Path, text: str, atomic: bool) -> None:
    if atomic:  # how editors save: a new file renamed over the old one
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
    else:
        path.write_text(text)


async def test_playbook_reload_valid_invalid_and_atomic(make_app, store, tmp_path):
    path = tmp_path / "playbook.toml"
    original = DEFAULT_TOML.read_text()
    path.write_text(original)
    store.playbook = load_playbook(path)
    store.declare("Reload", 3)
    app = make_app(watch_files=True, playbook_path=path)
    async with app.run_test(size=(120, 40)) as pilot:
        assert await wait_until(pilot, lambda: app.main.watching)
        assert app.playbook.roles[0].name == "Incident Commander"

        # A valid edit, written in place.
        write_playbook(path, original.replace('"Incident Commander"', '"Incident Lead"', 1), False)
        assert await wait_until(pilot, lambda: app.playbook.roles[0].name == "Incident Lead")
        assert store.playbook.roles[0].name == "Incident Lead"

        # An invalid edit: reported with file and line, the last good playbook stays.
        broken = original.replace("acknowledge_minutes = 5", "acknowledge_minutes = 0", 1)
        write_playbook(path, broken, False)
        assert await wait_until(
            pilot,
            lambda: any("Playbook not reloaded" in (n.title or "") for n in app.said),
        )
        problem = next(n for n in app.said if n.title == "Playbook not reloaded")
        assert "acknowledge_minutes" in problem.message and "playbook.toml:" in problem.message
        assert app.playbook.roles[0].name == "Incident Lead"

        # A valid edit saved the way editors do: atomic rename.
        renamed = original.replace('"Incident Commander"', '"Incident Boss"', 1)
        write_playbook(path, renamed, True)
        assert await wait_until(pilot, lambda: app.playbook.roles[0].name == "Incident Boss")
        # Typing still works after all that.
        app.query_one("#entry", Input).value = "still here"
        await pilot.press("enter")
        await pilot.pause()
        assert last_text(app) == "still here"


async def test_read_only_observer_changes_nothing(make_app, store):
    incident = store.declare("Observed", 2)
    before = store.entry_count(incident.id)
    app = make_app(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.query_one("#entry", Input).disabled
        for key in ("f4", "f5", "f3", "f6", "f7", "f8", "f10", "f2"):
            await pilot.press(key)
            await pilot.pause()
        assert app.screen is app.screen_stack[0]  # no dialog opened
        assert store.entry_count(incident.id) == before
        assert store.get(incident.id) == incident
        # The keys that would change something are not offered at all.
        shown = {b.action for _, b, enabled, *_ in app.active_bindings.values() if enabled}
        assert not shown & {"declare", "severity", "status", "compose", "close"}
        assert "help" in shown
        header = str(app.query_one("#header").content)
        assert "READ-ONLY" in header


def test_default_playbook_file_matches_packaged():
    assert load_playbook(DEFAULT_TOML) == default_playbook()


def fixture_status(name: str, fixture: str, now):
    import json

    from warroom.domain.dependencies import parse_summary

    path = Path(__file__).resolve().parents[1] / "fixtures" / "statuspage" / f"{fixture}.json"
    return parse_summary(name, json.loads(path.read_text()), now)


async def test_dependencies_pane_and_changes_logged_once(make_app, store, clock):
    from warroom.tui.widgets.dependencies import DependenciesPane, DependenciesScreen

    incident = store.declare("Payments failing", 1)
    statuses = [
        fixture_status("Stripe", "major_incident", clock.now),
        fixture_status("Vercel", "operational", clock.now),
    ]
    line = "Stripe: API major outage"
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        app.main.post_message(RadarPolled(statuses, [line], incident_id=incident.id))
        # A second war room saw the same change (here: the same war room, again).
        app.main.post_message(RadarPolled(statuses, [line], incident_id=incident.id))
        await pilot.pause()
        await pilot.pause()
        pane = app.query_one(DependenciesPane)
        shown = str(pane.content)
        assert "Stripe" in shown and "Vercel" in shown and "operational" in shown
        assert pane.has_class("-degraded")
        logged = [e for e in store.timeline(incident.id) if e.text == line]
        assert len(logged) == 1 and logged[0].author == "radar"
        await pilot.press("f11")
        assert isinstance(app.screen, DependenciesScreen)


async def test_playbook_without_an_open_incidents_severity_is_refused(make_app, store, tmp_path):
    path = tmp_path / "playbook.toml"
    original = DEFAULT_TOML.read_text()
    path.write_text(original)
    store.playbook = load_playbook(path)
    incident = store.declare("Minor", 3)
    app = make_app(watch_files=True, playbook_path=path)
    async with app.run_test(size=(120, 40)) as pilot:
        assert await wait_until(pilot, lambda: app.main.watching)
        assert "level = 3" in original
        write_playbook(path, original.replace("level = 3", "level = 4", 1), True)
        assert await wait_until(
            pilot, lambda: any("does not define" in n.message for n in app.said)
        )
        assert app.playbook.severity(3)  # the last good playbook stays
        assert store.get(incident.id).severity == 3


async def test_the_radar_logs_only_into_the_incident_open_when_it_polled(make_app, store, clock):
    """Issue 11: a change seen while no incident was open here, or while another one was,
    or into an incident closed meanwhile, is shown and not logged."""
    first = store.declare("Payments failing", 1)
    statuses = [fixture_status("Stripe", "major_incident", clock.now)]
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        app.main.post_message(RadarPolled(statuses, ["Stripe: before any incident"]))
        app.main.post_message(
            RadarPolled(statuses, ["Stripe: polled for another"], incident_id="INC-1999-01-01-1")
        )
        await pilot.pause()
        assert app.main.dependencies == statuses  # shown all the same
        texts = [e.text for e in store.timeline(first.id)]
        assert "Stripe: before any incident" not in texts
        assert "Stripe: polled for another" not in texts
        store.close(first.id)  # another terminal closes it while the poll is under way
        app.main.post_message(RadarPolled(statuses, ["Stripe: too late"], incident_id=first.id))
        await pilot.pause()
        await pilot.pause()
        assert "Stripe: too late" not in [e.text for e in store.timeline(first.id)]
        assert app.is_running
