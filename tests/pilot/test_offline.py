"""The database goes away mid-incident: entries are kept on this machine and written, in
order and with the times they were typed, when it is back; changes of state are refused."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from warroom.domain.model import Status
from warroom.store.spool import Spool
from warroom.store.store import Store, Unreachable
from warroom.tui.widgets.panes import IncidentHeader

DOWN = "database postgresql://warroom:***@db.internal/warroom: unreachable (connection refused)"


def _down(*_args: object, **_kwargs: object) -> int:
    raise Unreachable(DOWN)


def _header(app) -> str:
    return str(app.query_one(IncidentHeader).content)


async def test_entries_typed_while_the_database_is_away_are_kept_then_written(
    make_app, store: Store, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = store.declare("Checkout down", 1)
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        log, data_version = store.log, store.data_version
        monkeypatch.setattr(store, "log", _down)
        monkeypatch.setattr(store, "data_version", _down)
        monkeypatch.setattr(store, "set_status", _down)
        typed = []
        entry = app.query_one("#entry", Input)
        for text in ("rolled back 4512", "error rate falling", "EU back"):
            typed.append(clock.advance(seconds=20))
            entry.value = text
            await pilot.press("enter")
        await pilot.pause()
        spool: Spool = app.main.spool
        assert [(i.text, i.at) for i in spool.items()] == list(
            zip(["rolled back 4512", "error rate falling", "EU back"], typed, strict=True)
        )
        app.main.tick()
        await pilot.pause()
        assert "DATABASE UNREACHABLE · 3 kept here" in _header(app)
        # A change of state is refused, and the line comes back to be sent again.
        entry.value = "/status mitigating"
        await pilot.press("enter")
        await pilot.pause()
        assert entry.value == "/status mitigating"
        assert any("unreachable" in n.message for n in app.said)
        # The database is back: the next tick writes them, in order, with their times.
        monkeypatch.setattr(store, "log", log)
        monkeypatch.setattr(store, "data_version", data_version)
        clock.advance(minutes=3)
        app.main.tick()
        await app.workers.wait_for_complete()
        await pilot.pause()
        texts = ["rolled back 4512", "error rate falling", "EU back"]
        written = [(e.text, e.at) for e in store.timeline(incident.id) if e.text in texts]
        assert written == list(zip(texts, typed, strict=True))
        assert not spool.path.exists()
        assert "UNREACHABLE" not in _header(app)
        assert store.get(incident.id).status is Status.INVESTIGATING
