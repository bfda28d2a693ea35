"""Regenerate the README's screenshots: `python screenshots/make_screenshots.py`.

A SEV-1 is played into a temporary database with a fake clock ("Payments failing: Stripe
webhooks 500", declared 14:02 UTC), then the war room is opened headless at a fixed size and
each view is saved as an SVG beside this script. Same code, same pictures: nothing depends on
the real time, the terminal or the machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ["TEXTUAL_ANIMATIONS"] = "none"  # before Textual is imported: no animation, no blink

from textual.pilot import Pilot  # noqa: E402
from textual.widgets import Input, OptionList, TextArea  # noqa: E402

from warroom.domain.model import EntryKind, Status, UpdateKind  # noqa: E402
from warroom.playbook import default_playbook  # noqa: E402
from warroom.store.store import Store  # noqa: E402
from warroom.tui.app import WarRoomApp  # noqa: E402
from warroom.tui.messages import RadarPolled  # noqa: E402

HERE = Path(__file__).resolve().parent
LARGE = (160, 48)
SMALL = (80, 24)

DECLARED = datetime(2026, 3, 12, 14, 2, tzinfo=UTC)
DETECTED = DECLARED - timedelta(minutes=7)  # 13:55: the first alert, before anyone declared
NOW = DECLARED + timedelta(minutes=18)  # 14:20: the moment of the main screenshot
TITLE = "Payments failing: Stripe webhooks 500"


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def at(self, hour: int, minute: int, second: int = 0) -> None:
        self.now = self.now.replace(hour=hour, minute=minute, second=second)


def play_incident(store: Store, clock: FakeClock) -> str:
    """The first 18 minutes of the incident, as the team would have logged them."""
    clock.now = DECLARED
    incident = store.declare(
        TITLE,
        1,
        impact_users="every card checkout (~40% of orders)",
        impact_features="payments, order confirmation emails",
        detected_at=DETECTED,
        author="dana",
    )
    iid = incident.id
    items = {item.text: item.id for item in store.checklist(iid)}

    def tick(prefix: str, who: str) -> None:
        store.tick(next(i for t, i in items.items() if t.startswith(prefix)), author=who)

    def log(kind: EntryKind, text: str, who: str, pinned: bool = False) -> None:
        store.log(iid, text, kind=kind, author=who, pinned=pinned)

    clock.at(14, 3)
    store.acknowledge(iid, author="dana")
    store.assign(iid, "ic", "dana", author="dana")
    tick("Acknowledge immediately", "dana")
    tick("Assess severity", "dana")
    tick("Declare incident", "dana")
    clock.at(14, 4)
    store.assign(iid, "ops", "marco", author="dana")
    store.assign(iid, "dev", "jin", author="dana")
    store.assign(iid, "comms", "sam", author="dana")
    tick("Assign roles", "dana")
    log(EntryKind.FINDING, "Stripe dashboard: webhook deliveries failing with 500", "marco")
    clock.at(14, 5)
    log(EntryKind.NOTE, "Better Stack: /api/webhooks/stripe 100% errors since 13:52", "marco")
    clock.at(14, 6)
    log(EntryKind.FINDING, "billing-service deploy 4512 went out at 13:49", "jin")
    clock.at(14, 7)
    log(EntryKind.ACTION, "Paused the payment retry queue (no double charges)", "marco")
    clock.at(14, 8)
    log(EntryKind.DECISION, "Roll back billing-service to 4511 (IC + Dev)", "dana")
    clock.at(14, 9)
    log(EntryKind.ACTION, "Rollback of billing-service to 4511 started", "jin")
    store.set_status(iid, Status.IDENTIFIED, author="dana")
    clock.at(14, 11)
    log(
        EntryKind.FINDING,
        "Rollback done, still 500: signature check fails. STRIPE_WEBHOOK_SECRET "
        "was rotated at 13:48 by the secrets job",
        "jin",
        pinned=True,
    )
    clock.at(14, 12)
    store.assign(iid, "ic", "priya", author="dana")  # dana hands off IC, joins Dev on the fix
    tick("Triage", "priya")
    clock.at(14, 13)
    store.set_status(iid, Status.MITIGATING, author="priya")
    log(EntryKind.ACTION, "Restored the previous webhook secret from Vault; redeploying", "jin")
    clock.at(14, 15)
    store.record_update(
        iid, UpdateKind.INTERNAL, "cause found (rotated secret), fix deploying", author="priya"
    )
    clock.at(14, 16)
    store.record_update(
        iid, UpdateKind.STAKEHOLDER, "payments down since 13:52, fix ETA 14:30", author="sam"
    )
    clock.at(14, 17)
    log(EntryKind.FINDING, "Webhook 2xx rate back to 60% and climbing", "marco")
    clock.at(14, 18)
    log(EntryKind.TODO, "Replay failed webhooks from Stripe (13:52-14:17)", "priya")
    clock.at(14, 19)
    log(EntryKind.NOTE, "Support: 37 tickets about failed checkouts so far", "sam")
    clock.now = NOW
    return iid


def resolve_incident(store: Store, clock: FakeClock, iid: str) -> None:
    """How it ended: the IC closes once the fix has held, so no clock is running at close."""
    clock.at(14, 24)
    store.set_status(iid, Status.MONITORING, author="priya")
    clock.at(14, 38)
    store.log(iid, "Replay of failed webhooks done: 1,284 events", EntryKind.ACTION, author="jin")
    clock.at(14, 40)
    store.log(iid, "Webhooks 100% 2xx for 15 min", EntryKind.FINDING, author="marco")
    store.set_status(iid, Status.RESOLVED, author="priya")
    clock.at(14, 42)
    store.record_update(iid, UpdateKind.CUSTOMER, "status page: resolved", author="sam")
    clock.at(14, 50)


def earlier_incidents(store: Store, clock: FakeClock, iid: str) -> None:
    """Closed, with older incidents behind it (and a follow-up of one of them overdue)."""
    resolve_incident(store, clock, iid)
    store.close(iid, author="priya")
    earlier = (
        (9, "Search latency over 2 s", 3, 95),
        (23, "Sign-in emails delayed", 2, 140),
        (41, "Bookings API 502s after deploy 4311", 1, 48),
    )
    for days, title, severity, minutes in earlier:
        clock.now = DECLARED - timedelta(days=days)
        old = store.declare(title, severity, author="priya")
        clock.now += timedelta(minutes=minutes)
        if severity == 1:
            store.add_action_item(old.id, "Canary for deploys touching bookings", "P0", "jin")
        store.close(old.id, author="priya")
    clock.now = NOW.replace(hour=15, minute=5)


Prepare = Callable[[Store, FakeClock, str], None]
Steps = Callable[[WarRoomApp, Pilot[int], FakeClock], Awaitable[None]]


@dataclass(frozen=True)
class Shot:
    name: str
    size: tuple[int, int]
    steps: Steps
    with_incident: bool = True
    prepare: Prepare | None = None


FIXTURES = HERE.parent / "tests" / "fixtures" / "statuspage"


def radar_seen(app: WarRoomApp, clock: FakeClock) -> None:
    """What the status radar would show: the shots never touch the network."""
    from warroom.domain.dependencies import parse_summary

    pages = (("Stripe", "major_incident"), ("Supabase", "operational"), ("Vercel", "operational"))
    statuses = [
        parse_summary(name, json.loads((FIXTURES / f"{fixture}.json").read_text()), clock())
        for name, fixture in pages
    ]
    app.main.post_message(RadarPolled(statuses, []))


async def nothing(app: WarRoomApp, pilot: Pilot[int], clock: FakeClock) -> None:
    return None


async def compose(app: WarRoomApp, pilot: Pilot[int], clock: FakeClock) -> None:
    await pilot.press("f6")


async def dependencies(app: WarRoomApp, pilot: Pilot[int], clock: FakeClock) -> None:
    await pilot.press("f11")


async def overdue(app: WarRoomApp, pilot: Pilot[int], clock: FakeClock) -> None:
    clock.at(14, 47, 30)  # the internal update recorded at 14:15 was due at 14:45
    app.main.tick()


async def declare(app: WarRoomApp, pilot: Pilot[int], clock: FakeClock) -> None:
    dialog = app.screen
    dialog.query_one("#title", Input).value = TITLE
    dialog.query_one("#severity", OptionList).highlighted = 0  # SEV-1
    dialog.query_one("#users", Input).value = "every card checkout (~40% of orders)"


async def assign(app: WarRoomApp, pilot: Pilot[int], clock: FakeClock) -> None:
    await pilot.press("f3")


async def close(app: WarRoomApp, pilot: Pilot[int], clock: FakeClock) -> None:
    await pilot.press("f10")
    await pilot.pause()
    answers = {
        "root_cause": "The nightly secrets job rotated STRIPE_WEBHOOK_SECRET in Vault without "
        "updating the endpoint in Stripe, so every webhook failed its signature check.",
        "contributing_factors": "No alert on webhook signature failures\n"
        "Deploy 4512 at 13:49 looked like the cause and cost 7 minutes",
        "resolution": "Restored the previous secret from Vault, redeployed billing-service, "
        "replayed the failed webhooks from the Stripe dashboard.",
        "went_well": "Roles assigned within 2 minutes\nRetry queue paused before any double charge",
    }
    for name, text in answers.items():
        app.screen.query_one(f"#{name}", TextArea).text = text


async def history(app: WarRoomApp, pilot: Pilot[int], clock: FakeClock) -> None:
    await pilot.press("escape")  # nothing open: the declare dialog, not now
    await pilot.pause()
    await pilot.press("ctrl+o")


async def record(app: WarRoomApp, pilot: Pilot[int], clock: FakeClock) -> None:
    await history(app, pilot, clock)
    await pilot.pause()
    await pilot.press("enter")  # the closed SEV-1, read-only


async def help_screen(app: WarRoomApp, pilot: Pilot[int], clock: FakeClock) -> None:
    await pilot.press("f1")


SHOTS = (
    Shot("main-160x48", LARGE, nothing),
    Shot("main-80x24", SMALL, nothing),
    Shot("overdue", LARGE, overdue),
    Shot("declare", LARGE, declare, with_incident=False),
    Shot("assign", LARGE, assign),
    Shot("close", LARGE, close, prepare=resolve_incident),
    Shot("help", LARGE, help_screen),
    Shot("compose", LARGE, compose),
    Shot("dependencies", LARGE, dependencies),
    Shot("history", LARGE, history, prepare=earlier_incidents),
    Shot("record", LARGE, record, prepare=earlier_incidents),
)


async def take(shot: Shot, workdir: Path) -> Path:
    """Open a war room on a fresh database, run the shot's steps, save the screen."""
    clock = FakeClock(NOW)
    db = workdir / f"{shot.name}.db"
    store = Store(db, default_playbook(), clock=clock, author="priya")
    try:
        if shot.with_incident:
            iid = play_incident(store, clock)
            if shot.prepare is not None:
                shot.prepare(store, clock, iid)
        app = WarRoomApp(
            store,
            reviews_dir=workdir / "reviews",
            clock=clock,
            watch_files=False,
            radar=False,
            deliver=False,
        )
        async with app.run_test(size=shot.size, notifications=True) as pilot:
            await pilot.pause()
            radar_seen(app, clock)
            await pilot.pause()
            await shot.steps(app, pilot, clock)
            await pilot.pause()
            await pilot.wait_for_scheduled_animations()
            await pilot.pause()
            path = app.save_screenshot(filename=f"{shot.name}.svg", path=str(HERE))
    finally:
        store.dispose()
    return Path(path)


async def main(names: list[str]) -> None:
    wanted = [s for s in SHOTS if not names or s.name in names]
    with tempfile.TemporaryDirectory(prefix="warroom-shots-") as tmp:
        for shot in wanted:
            path = await take(shot, Path(tmp))
            print(path.relative_to(HERE.parent))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
