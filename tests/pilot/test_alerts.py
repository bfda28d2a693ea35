"""Alerts the IC can act on (issue 8): each late clock names its own action and key, one
notification per clock, snooze with a reason, every open incident alerts, nudges."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.message import Message
from textual.notifications import Notification, Notify
from textual.widgets import Input
from textual.widgets._toast import Toast, ToastRack

from warroom.comms.messages import MessageKind
from warroom.comms.review import load_review_data, render_review
from warroom.domain.clocks import ClockKind
from warroom.domain.model import EntryKind, UpdateKind
from warroom.store.store import Store
from warroom.tui.screens.compose import ComposeScreen
from warroom.tui.screens.dialogs import severity_help
from warroom.tui.widgets.panes import NextUpdatePane, RolesPane

ROLES = ("ic", "ops", "dev", "comms")


def staffed(store: Store, title: str = "Checkout down", severity: int = 1, ack: bool = True):
    """An incident with every role filled (so no nudges), acknowledged unless told not to."""
    incident = store.declare(title, severity)
    if ack:
        store.acknowledge(incident.id)
    for role in ROLES:
        store.assign(incident.id, role, "alice")
    return incident


async def type_line(pilot, text: str) -> None:
    pilot.app.query_one("#entry", Input).value = text
    await pilot.press("enter")
    await pilot.pause()


def toasts(app, *words: str) -> list[str]:
    """The toasts on screen (their text), those mentioning every one of `words`."""
    found = []
    for toast in app.screen.query(Toast):
        n = toast._notification
        text = f"{n.title}\n{n.message}"
        if all(word in text for word in words):
            found.append(text)
    return found


def posting(app, size: tuple[int, int], **kwargs):
    """`app.run_test`, and the list of the notifications it posts (through `message_hook`)."""
    posted: list[Notification] = []

    def hook(message: Message) -> None:
        if isinstance(message, Notify):
            posted.append(message.notification)

    return app.run_test(size=size, message_hook=hook, **kwargs), posted


def alert_text(posted: list[Notification], label: str) -> str:
    """The newest notification about `label` ("Stakeholder update late"), title and text."""
    found = [f"{n.title}\n{n.message}" for n in posted if label in n.message]
    assert found, f"no notification about {label!r}: {[n.message for n in posted]}"
    return found[-1]


def pane_text(app) -> str:
    pane = app.query_one(NextUpdatePane)
    return "\n".join(str(pane.query_one(f"#{i}").content) for i in ("due-line", "other-clocks"))


# -- each reminder names the right action and key -------------------------------------------


async def test_a_late_stakeholder_update_names_the_stakeholder_template(make_app, store, clock):
    incident = staffed(store)
    clock.advance(minutes=50)
    store.record_update(incident.id, UpdateKind.INTERNAL)  # internal is fine until 11:20
    clock.advance(minutes=11)  # 11:01: the hourly stakeholder update is a minute late
    app = make_app()
    run, posted = posting(app, (120, 40))
    async with run as pilot:
        app.main.tick()
        await pilot.pause()
        text = alert_text(posted, "Stakeholder update")
        assert "Stakeholder update late by 1m" in text
        assert "stakeholder" in text.split("\n", 2)[2] and "status update" not in text
        assert "F6" not in text
        assert f"{incident.id}/{ClockKind.INTERNAL_UPDATE.value}" not in app.main.alerts
        await pilot.press("ctrl+g")  # the alert's key drafts the stakeholder update
        await pilot.pause()
        assert isinstance(app.screen, ComposeScreen)
        assert app.screen.kind is MessageKind.STAKEHOLDER_UPDATE
        await pilot.press("ctrl+s")  # send it: the stakeholder clock restarts, not the internal
        await pilot.pause()
        after = store.get(incident.id)
        assert after.last_stakeholder_update_at == clock.now
        assert after.last_internal_update_at == clock.now - timedelta(minutes=11)
        app.main.tick()
        await pilot.pause()
        assert f"{incident.id}/{ClockKind.STAKEHOLDER_UPDATE.value}" not in app.main.alerts


async def test_an_alert_names_the_key_the_user_gave_the_action(make_app, store, clock):
    incident = store.declare("Checkout down", 1)  # from a script: nobody acknowledged
    for role in ROLES:
        store.assign(incident.id, role, "alice")
    clock.advance(minutes=6)
    app = make_app(keymap={"ack": "ctrl+t"})
    run, posted = posting(app, (120, 40))
    async with run as pilot:
        app.main.tick()
        await pilot.pause()
        assert "Ctrl+T acknowledges" in alert_text(posted, "Acknowledge")
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert store.get(incident.id).acknowledged_at is not None


async def test_a_late_acknowledgement_names_f8(make_app, store, clock):
    incident = store.declare("Checkout down", 1)  # from a script: nobody acknowledged
    for role in ROLES:
        store.assign(incident.id, role, "alice")
    clock.advance(minutes=6)
    app = make_app()
    run, posted = posting(app, (120, 40))
    async with run as pilot:
        app.main.tick()
        await pilot.pause()
        text = alert_text(posted, "Acknowledge")
        assert "Acknowledge late by 1m" in text and "F8 acknowledges" in text
        assert "F6" not in text
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert store.get(incident.id).acknowledged_at is not None
        assert f"{incident.id}/{ClockKind.ACKNOWLEDGE.value}" not in app.main.alerts


async def test_a_late_sla_says_there_is_nothing_to_send_and_offers_snooze(make_app, store, clock):
    incident = staffed(store)
    app = make_app()
    run, posted = posting(app, (120, 40))
    async with run as pilot:
        for _ in range(3):  # keep the updates in time: only the SLA is late at 11:01
            clock.advance(minutes=20)
            store.record_update(incident.id, UpdateKind.INTERNAL)
            store.record_update(incident.id, UpdateKind.STAKEHOLDER)
            store.record_update(incident.id, UpdateKind.CUSTOMER)
        clock.advance(minutes=1)
        app.main.check_database()
        app.main.tick()
        await pilot.pause()
        text = alert_text(posted, "Resolve (SLA)")
        assert "Nothing to send" in text and "snooze" in text.casefold()
        await pilot.press("ctrl+g")  # nothing to send: it offers the snooze
        await pilot.pause()
        assert app.query_one("#entry", Input).value == "/snooze sla 15m "


async def test_a_late_customer_message_names_the_customer_template(make_app, store, clock):
    incident = staffed(store)
    app = make_app()
    run, posted = posting(app, (120, 40))
    async with run as pilot:
        for _ in range(3):
            clock.advance(minutes=20)
            store.record_update(incident.id, UpdateKind.INTERNAL)
        clock.advance(minutes=1)  # 11:01: customers (due 11:00) and stakeholders are late
        app.main.check_database()
        app.main.tick()
        await pilot.pause()
        customer = alert_text(posted, "Customer comms")
        assert "/compose customer drafts the customer message" in customer


async def test_sub_minute_lateness_reads_in_seconds_never_0m(make_app, store, clock):
    staffed(store)
    clock.advance(minutes=30, seconds=40)  # the internal update was due at 10:30
    app = make_app()
    run, posted = posting(app, (120, 40))
    async with run as pilot:
        app.main.tick()
        await pilot.pause()
        assert "late by 40s" in alert_text(posted, "Internal update")
        assert "0m" not in pane_text(app)
        assert "40s LATE" in pane_text(app)


def test_cadences_read_in_hours() -> None:
    from warroom.playbook import default_playbook

    text = str(severity_help(default_playbook().severity(2)))
    assert "stakeholders every 2 h" in text and "120 min" not in text


# -- one notification per clock ---------------------------------------------------------------


async def test_one_notification_per_clock_replaced_then_withdrawn(make_app, store, clock):
    incident = staffed(store)
    app = make_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        clock.advance(minutes=31)
        for _ in range(4):  # four repeats of the alert
            app.main.tick()
            await pilot.pause()
            clock.advance(seconds=61)
        assert len(toasts(app, "Internal update", "late by")) == 1
        assert "late by 4m" in toasts(app, "Internal update", "late by")[0]  # the newest numbers
        await type_line(pilot, "/update")
        await pilot.pause()
        assert toasts(app, "Internal update", "late by") == []
        assert f"{incident.id}/{ClockKind.INTERNAL_UPDATE.value}" not in app.main.alerts


async def test_toasts_never_cover_the_entry_line_at_80x24(make_app, store, clock):
    store.declare("Checkout down", 1)  # nobody acknowledged, no roles: many alerts at once
    clock.advance(hours=2)
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        app.main.tick()
        await pilot.pause()
        await pilot.pause()
        entry = app.query_one("#entry", Input).region
        assert toasts(app)
        for toast in app.screen.query(Toast):
            assert not toast.region.overlaps(entry), (toast.region, entry)
        rack = app.screen.query_one(ToastRack).region
        assert rack.bottom <= entry.y
        assert len(toasts(app)) >= 3  # one per late clock


# -- snooze with a reason ---------------------------------------------------------------------


def test_a_snooze_commits_with_its_timeline_entry(store, clock):
    incident = staffed(store)
    snooze = store.snooze(
        incident.id, ClockKind.RESOLVE, timedelta(minutes=15), "waiting on Stripe"
    )
    assert snooze.until == clock.now + timedelta(minutes=15)
    assert store.snoozes(incident.id) == [snooze]
    last = store.timeline(incident.id)[-1]
    assert last.kind is EntryKind.SNOOZE
    assert last.text == "Resolve (SLA) alerts snoozed until 10:15 UTC: waiting on Stripe"
    assert last.data["reason"] == "waiting on Stripe" and last.author == "alice"
    with pytest.raises(ValueError, match="say why"):
        store.snooze(incident.id, ClockKind.RESOLVE, timedelta(minutes=15), "  ")
    with pytest.raises(ValueError, match="cannot be snoozed"):
        store.snooze(incident.id, ClockKind.ACKNOWLEDGE, timedelta(minutes=15), "busy")
    assert len(store.snoozes(incident.id)) == 1  # nothing written by the refusals
    review = render_review(load_review_data(store, incident.id))
    assert "### Alerts snoozed" in review
    assert "Resolve (SLA) snoozed until 10:15 by @alice: waiting on Stripe" in review


async def test_snooze_command_silences_a_clock_until_then(make_app, store, clock, monkeypatch):
    incident = staffed(store)
    app = make_app()
    bells: list[int] = []
    async with app.run_test(size=(120, 40)) as pilot:
        monkeypatch.setattr(app, "bell", lambda: bells.append(1))
        clock.advance(minutes=31)
        app.main.tick()
        await pilot.pause()
        assert bells == [1]
        await type_line(pilot, "/snooze internal 15m waiting on Stripe")
        assert app.query_one("#entry", Input).value == ""
        last = store.timeline(incident.id)[-1]
        assert last.kind is EntryKind.SNOOZE and "waiting on Stripe" in last.text
        assert f"{incident.id}/{ClockKind.INTERNAL_UPDATE.value}" not in app.main.alerts
        assert "snoozed until 10:46" in pane_text(app)
        assert app.query_one(NextUpdatePane).has_class("-snoozed")
        for _ in range(14):  # a quarter of an hour: no bell, still shown
            clock.advance(minutes=1)
            app.main.tick()
        assert bells == [1]
        clock.advance(minutes=1)  # 10:47: the snooze is over, it alerts again
        app.main.tick()
        await pilot.pause()
        assert bells == [1, 1]
        assert "snoozed" not in pane_text(app)
        # No reason, a clock that cannot be snoozed: refused, the line kept.
        await type_line(pilot, "/snooze sla 15m")
        assert app.query_one("#entry", Input).value == "/snooze sla 15m"
        await type_line(pilot, "/snooze ack 15m busy")
        assert app.query_one("#entry", Input).value == "/snooze ack 15m busy"
        assert len(store.snoozes(incident.id)) == 1


async def test_ctrl_n_puts_a_snooze_of_the_late_clock_in_the_entry_line(make_app, store, clock):
    staffed(store)
    clock.advance(hours=1, minutes=1)  # internal, stakeholders and customers are late
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.main.tick()
        await pilot.press("ctrl+n")
        entry = app.query_one("#entry", Input)
        assert entry.value == "/snooze internal 15m "
        await pilot.press("ctrl+n")  # again: the next late clock
        assert entry.value == "/snooze stakeholder 15m "
        await pilot.press(*"on the bridge")
        await pilot.press("enter")
        await pilot.pause()
        assert [s.clock for s in store.snoozes(app.main.incident.id)] == [
            ClockKind.STAKEHOLDER_UPDATE
        ]


# -- every open incident alerts ---------------------------------------------------------------


async def test_a_late_clock_of_the_incident_not_shown_alerts(make_app, store, clock, monkeypatch):
    shown = staffed(store, "Search slow", 3)
    clock.advance(minutes=1)
    other = store.declare("Checkout down", 1)  # from a script: nobody acknowledged
    for role in ROLES:
        store.assign(other.id, role, "bob")
    app = make_app()
    bells: list[int] = []
    run, posted = posting(app, (140, 40))
    async with run as pilot:
        monkeypatch.setattr(app, "bell", lambda: bells.append(1))
        await type_line(pilot, f"/switch {shown.id}")
        app.main.tick()
        assert bells == []
        clock.advance(minutes=7)  # the other one's acknowledgement was due at 10:06
        app.main.tick()
        await pilot.pause()
        header = str(app.query_one("#header").content)
        assert f"{other.id} SEV-1: ack LATE 2m, /switch" in header
        assert bells == [1]
        text = alert_text(posted, other.id)
        assert f"/switch {other.id}" in text and "Acknowledge late by 2m" in text


# -- nudges -----------------------------------------------------------------------------------


async def test_a_sev1_without_an_ic_is_nudged_once(make_app, store, clock, monkeypatch):
    incident = store.declare("Checkout down", 1)
    store.acknowledge(incident.id)
    store.assign(incident.id, "ops", "bob")
    app = make_app()
    bells: list[int] = []
    async with app.run_test(size=(120, 40)) as pilot:
        monkeypatch.setattr(app, "bell", lambda: bells.append(1))
        clock.advance(minutes=5)  # the acknowledge time (5 min): still no IC
        app.main.tick()
        await pilot.pause()
        assert bells == [1]
        nudge = app.main.alerts[f"{incident.id}/nudge/no-ic"]
        assert nudge.severity == "warning" and "F3" in nudge.message
        roles = str(app.query_one(RolesPane).content)
        assert "IC     UNASSIGNED" in roles
        clock.advance(minutes=1)
        app.main.tick()
        assert bells == [1]  # once
        clock.advance(minutes=4)  # 10 minutes into a SEV-1: Dev and Comms are nudged too
        app.main.tick()
        await pilot.pause()
        assert bells == [1, 1]
        roles_nudge = app.main.alerts[f"{incident.id}/nudge/roles"]
        assert "Dev Engineer and Comms Lead unassigned" in roles_nudge.message
        assert "unassigned" not in str(app.query_one(RolesPane).content)  # not dim italics
        await type_line(pilot, "/assign ic carol")
        assert f"{incident.id}/nudge/no-ic" not in app.main.alerts


# -- the Roles pane ---------------------------------------------------------------------------


async def test_the_roles_since_column_lines_up(make_app, store):
    incident = store.declare("Checkout down", 2)
    store.assign(incident.id, "ic", "al")
    store.assign(incident.id, "ops", "bartholomew")
    app = make_app()
    async with app.run_test(size=(120, 40)):
        lines = [ln for ln in str(app.query_one(RolesPane).content).split("\n") if "since" in ln]
        assert len(lines) == 2
        assert lines[0].index("since") == lines[1].index("since")
