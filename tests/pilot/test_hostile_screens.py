"""Text from outside (typed by a user, answered by a server, read from a file) is plain text on
every screen: markup in a stored field must neither crash the war room nor style anything.
This walks every screen and dialog with hostile text in every stored field."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest

from warroom.domain.clocks import ClockKind
from warroom.domain.model import EntryKind
from warroom.store.outbox import list_outbox, mark_failed, send_message
from warroom.tui.messages import RadarPolled

HOSTILE = "upstream error [/] see [bold]logs [link=https://evil]x[/link] [@click=app.quit]q[/] $x"
"""Rich markup that raises MarkupError ([/] with nothing open), opens a style, a link, an
action, and a variable."""


def fill(store) -> str:
    incident = store.declare(
        f"Checkout {HOSTILE}",
        1,
        impact_users=HOSTILE,
        impact_features=HOSTILE,
        author=f"al[/]ice {HOSTILE}",
    )
    iid = incident.id
    for kind in EntryKind:
        with contextlib.suppress(ValueError):  # kinds that only the program writes
            store.log(iid, f"{kind.value}: {HOSTILE}", kind, author=f"b[/]ob{HOSTILE}")
    for role in ("ic", "ops", "dev", "comms"):
        with contextlib.suppress(KeyError, ValueError):
            store.assign(iid, role, f"[/]carol {HOSTILE}")
    store.add_action_item(iid, HOSTILE, "P1", owner=HOSTILE)
    with contextlib.suppress(ValueError, KeyError):
        store.snooze(iid, next(iter(ClockKind)), timedelta(minutes=15), HOSTILE)
    ids = send_message(store, iid, _kind(), f"message {HOSTILE}", ["slack"])
    for message_id in ids:
        mark_failed(store, message_id, f"500 Internal Server Error ({HOSTILE})")
    assert list_outbox(store, iid)
    return iid


def hostile_dependency():
    """A status page whose every field a server chose."""
    from datetime import UTC, datetime

    from warroom.domain.dependencies import ComponentState, DependencyStatus, IncidentInfo

    return DependencyStatus(
        name=f"Stripe {HOSTILE}",
        url_label=HOSTILE,
        indicator="major",
        description=HOSTILE,
        components=(ComponentState(HOSTILE, "major_outage"), ComponentState("API", HOSTILE)),
        incidents=(IncidentInfo(HOSTILE, HOSTILE, HOSTILE, "https://x/[/]"),),
        checked_at=datetime(2026, 11, 27, 10, 0, tzinfo=UTC),
        error=HOSTILE,
    )


def _kind():
    from warroom.comms.messages import MessageKind

    return MessageKind.STATUS_UPDATE


KEYS = [
    "f1", "f2", "f3", "f4", "f5", "f6", "f9", "f10", "f11", "f12", "ctrl+r", "ctrl+p",
]  # fmt: skip


@pytest.mark.parametrize("key", KEYS)
async def test_every_screen_shows_hostile_text_plainly(make_app, store, key, monkeypatch):
    monkeypatch.setenv("WARROOM_SLACK_WEBHOOK", "https://hooks.slack.com/services/T0/B0/x")
    fill(store)
    app = make_app()
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        await pilot.pause()
        app.notify(HOSTILE, title=HOSTILE)
        polled_for = store.current().id
        app.main.post_message(
            RadarPolled([hostile_dependency()], [f"Stripe: {HOSTILE}"], incident_id=polled_for)
        )
        await pilot.pause()
        await pilot.press(key)
        await pilot.pause()
        await pilot.pause(0.1)
        # The screen drew: the hostile text is there, literally, and the app still runs.
        assert app.is_running
        shot = app.export_screenshot()
        assert shot
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running
    assert app.return_code in (None, 0)


async def test_the_outbox_screen_twice_with_markup_in_the_error(make_app, store):
    fill(store)
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        for _ in range(2):
            await pilot.press("f12")
            await pilot.pause()
            from textual.widgets import DataTable

            cells = [str(c) for c in app.screen.query_one(DataTable).get_row_at(0)]
            assert any(f"({HOSTILE})" in c for c in cells), cells  # shown as typed
            await pilot.press("escape")
            await pilot.pause()
        assert app.is_running
    assert app.return_code in (None, 0)
