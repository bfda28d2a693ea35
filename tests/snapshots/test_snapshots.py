"""The war room's looks, pinned: main screen at 80x24 and 160x48, overdue, declare dialog.

After a deliberate change of looks: `pytest tests/snapshots/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import Input, OptionList

from warroom.domain.model import EntryKind, Status, UpdateKind
from warroom.tui.messages import RadarPolled


@pytest.fixture
def story(store, clock):
    """A SEV-1 twenty minutes in: roles, findings, a pinned decision, a ticked item."""
    incident = store.declare(
        "Payments failing: Stripe webhooks 500",
        1,
        impact_users="all paying users",
        impact_features="payments, bookings",
        detected_at=clock.now - timedelta(minutes=7),
    )
    store.acknowledge(incident.id)
    store.assign(incident.id, "ic", "alice")
    store.assign(incident.id, "ops", "bob")
    store.assign(incident.id, "dev", "chen")
    clock.advance(minutes=3)
    store.log(
        incident.id, "Better Stack: 500s on /api/webhooks/stripe since 09:53", EntryKind.FINDING
    )
    clock.advance(minutes=2)
    store.log(incident.id, "Deploy 4411 went out at 09:50: touches webhook signature check")
    clock.advance(minutes=2)
    entry = store.log(incident.id, "Roll back deploy 4411", EntryKind.DECISION)
    store.set_pinned(entry.id)
    store.set_status(incident.id, Status.MITIGATING)
    store.tick(store.checklist(incident.id)[0].id)
    clock.advance(minutes=5)
    store.record_update(incident.id, UpdateKind.INTERNAL, "rollback under way")
    clock.advance(minutes=8)
    return incident


def test_main_screen_160x48(snap_compare, make_app, story, clock):
    from test_live import fixture_status

    statuses = [
        fixture_status("Stripe", "major_incident", clock.now),
        fixture_status("Supabase", "operational", clock.now),
        fixture_status("Vercel", "minor_degraded", clock.now),
    ]

    async def run_before(pilot) -> None:
        pilot.app.main.post_message(RadarPolled(statuses, []))
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(160, 48), run_before=run_before)


def test_main_screen_80x24(snap_compare, make_app, story):
    assert snap_compare(make_app(), terminal_size=(80, 24))


def test_overdue(snap_compare, make_app, story, clock):
    clock.advance(minutes=25)  # the internal update was due 30 min after 10:12

    async def run_before(pilot) -> None:
        pilot.app.main.tick()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(120, 36), run_before=run_before)


def test_declare_dialog(snap_compare, make_app):
    async def run_before(pilot) -> None:
        await pilot.pause()
        pilot.app.screen.query_one("#title", Input).value = "Checkout returns 500"
        pilot.app.screen.query_one("#severity", OptionList).highlighted = 0
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=run_before)


def test_overdue_80x24(snap_compare, make_app, story, clock):
    """The alert as the IC sees it on a small terminal: above the entry line, never over it."""
    clock.advance(minutes=25)  # the internal update was due 30 min after 10:12

    async def run_before(pilot) -> None:
        pilot.app.main.tick()
        await pilot.pause()
        pilot.app.query_one("#entry", Input).value = "rolling back 4411 now"
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run_before)
