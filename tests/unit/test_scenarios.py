"""Every scenario, mitigation and root cause of the packaged playbook, used as an IC would.

The playbook is data that anyone can edit; these tests walk each entry of the default
through the Store and into the review, so that no entry is only ever read by a unit test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from warroom.comms.review import load_review_data, render_review
from warroom.domain.model import EntryKind, Status
from warroom.playbook import default_playbook
from warroom.store.store import Store

PLAYBOOK = default_playbook()
START = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[Store]:
    store = Store(tmp_path / "drill.db", PLAYBOOK, clock=clock, author="ic")
    yield store
    store.dispose()


@pytest.mark.parametrize("key", [s.key for s in PLAYBOOK.scenarios])
def test_each_scenario_is_a_working_checklist(store: Store, clock: Clock, key: str) -> None:
    spec = PLAYBOOK.scenario(key)
    iid = store.declare(f"Drill: {spec.name}", 2).id
    clock.advance(2)
    added = store.attach_scenario(iid, spec.name)
    assert [i.text for i in added] == [*spec.diagnosis, *spec.resolution]
    for item in added:
        clock.advance(1)
        store.tick(item.id, author="ops")
    mine = [i for i in store.checklist(iid) if i.section.startswith(f"scenario:{spec.key}:")]
    assert all(i.done and i.done_by == "ops" for i in mine)
    assert len(mine) == len(added)
    ticks = [
        e.text
        for e in store.timeline(iid)
        if e.kind is EntryKind.CHECKLIST and "auto" not in e.data  # not the record's own
    ]
    assert ticks[0] == f"Done: {spec.diagnosis[0]} ({spec.name}: diagnosis)"
    assert ticks[-1] == f"Done: {spec.resolution[-1]} ({spec.name}: resolution)"
    store.close(iid)
    review = render_review(load_review_data(store, iid))
    assert f"**Scenario:** {spec.name}\n" in review
    assert f"#### {spec.name}: diagnosis ({len(spec.diagnosis)}/{len(spec.diagnosis)})" in review


@pytest.mark.parametrize("key", [m.key for m in PLAYBOOK.mitigations])
def test_each_mitigation_from_start_to_applied(store: Store, clock: Clock, key: str) -> None:
    spec = PLAYBOOK.mitigation(key)
    iid = store.declare(f"Drill: {spec.name}", 1).id
    store.set_status(iid, Status.IDENTIFIED)
    clock.advance(5)
    assert store.start_mitigation(iid, spec.key).status is Status.MITIGATING
    steps = [i for i in store.checklist(iid) if i.section == f"mitigation:{spec.key}"]
    assert [i.text for i in steps] == spec.steps
    verify = [i for i in store.checklist(iid) if i.section == f"mitigation:{spec.key}:verify"]
    assert [i.text for i in verify] == spec.verification
    clock.advance(6)
    assert store.apply_mitigation(iid, spec.key).mitigated_at == START + timedelta(minutes=11)
    clock.advance(4)
    store.set_status(iid, Status.MONITORING)
    store.close(iid)
    review = render_review(load_review_data(store, iid))
    assert f"| Mitigation started ({spec.name}) | 10:05 |" in review
    assert f"| Mitigation applied ({spec.name}) | 10:11 |" in review
    assert f"**Mitigation:** {spec.name} (started 10:05, applied 10:11)\n" in review


@pytest.mark.parametrize("key", [c.key for c in PLAYBOOK.root_causes])
def test_each_root_cause_category(store: Store, key: str) -> None:
    spec = PLAYBOOK.root_cause(key)
    iid = store.declare("Drill: root cause", 3).id
    assert store.set_root_cause(iid, spec.name).root_cause_category == spec.key
    store.close(iid)
    assert f"**Category:** {spec.name}\n" in render_review(load_review_data(store, iid))


def test_a_full_drill_payments_down_rollback_then_hotfix(store: Store, clock: Clock) -> None:
    """The runbook's drill "Payment processing outage": two strategies, one after the other."""
    iid = store.declare("Checkout failing", 1).id
    store.attach_scenario(iid, "payments")
    clock.advance(10)
    store.set_root_cause(iid, "recent")
    store.start_mitigation(iid, "rollback")
    clock.advance(10)
    store.log(iid, "Rollback did not help: the bad change is a migration", kind=EntryKind.FINDING)
    store.set_root_cause(iid, "database")
    store.start_mitigation(iid, "hotfix")
    clock.advance(20)
    store.apply_mitigation(iid, "hotfix")
    store.set_status(iid, Status.RESOLVED)
    store.close(iid)
    review = render_review(load_review_data(store, iid))
    assert "**Category:** Database Issues\n" in review
    assert "**Mitigation:** Rollback deployment (started 10:10, not applied)\n" in review
    assert "**Mitigation:** Hotfix deployment (started 10:20, applied 10:40)\n" in review
    moments = [line for line in review.splitlines() if line.startswith("| Mitigation")]
    assert moments == [
        "| Mitigation started (Rollback deployment) | 10:10 |",
        "| Mitigation started (Hotfix deployment) | 10:20 |",
        "| Mitigation applied (Hotfix deployment) | 10:40 |",
    ]
    sections = list(dict.fromkeys(i.section for i in store.checklist(iid)))
    assert sections[-5:] == [
        "scenario:payments_failing:diagnosis",
        "scenario:payments_failing:resolution",
        "mitigation:rollback",
        "mitigation:rollback:verify",
        "mitigation:hotfix",
    ]
