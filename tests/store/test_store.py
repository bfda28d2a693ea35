"""The Store on a real SQLite file with a fake clock: state changes, timeline, faults."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import FakeClock
from sqlalchemy import Column, Integer, MetaData, Table, create_engine

from warroom.domain import (
    ClockKind,
    ClockState,
    EntryKind,
    Incident,
    Status,
    UpdateKind,
    compute_clocks,
)
from warroom.domain.model import ClockValues
from warroom.playbook import Playbook, default_playbook
from warroom.playbook.models import AutoTicks
from warroom.store.outbox import send_message
from warroom.store.store import NotFound, Store, StoreError, add_missing_columns
from warroom.store.tables import SCHEMA_VERSION
from warroom.store.target import DatabaseTarget

# Auto ticks add checklist entries after many changes; they have their own tests (at the
# end), and the other tests read clearer without them.
PLAYBOOK = replace(default_playbook(), auto_tick=AutoTicks())
START = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
SEV1_ACTIONS = list(PLAYBOOK.severity(1).actions)
SEV2_ACTIONS = list(PLAYBOOK.severity(2).actions)


def t(hour: int, minute: int = 0, second: int = 0, day: int = 27) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db(any_db: Path | DatabaseTarget) -> Path | DatabaseTarget:
    """Each test on SQLite and on PostgreSQL (conftest.any_db), unless marked sqlite_only."""
    return any_db


@pytest.fixture
def st(db: Path, fake_clock: FakeClock) -> Iterator[Store]:
    store = Store(db, PLAYBOOK, clock=fake_clock, author="alice")
    yield store
    store.dispose()


@pytest.fixture
def inc(st: Store) -> Incident:
    return st.declare("Checkout returns 500", 1, impact_users="all", impact_features="payments")


def texts(store: Store, incident_id: str) -> list[str]:
    return [e.text for e in store.timeline(incident_id)]


def kinds(store: Store, incident_id: str) -> list[EntryKind]:
    return [e.kind for e in store.timeline(incident_id)]


def section(store: Store, incident_id: str, key: str) -> list[tuple[str, bool]]:
    return [(i.text, i.done) for i in store.checklist(incident_id) if i.section == key]


# --- declare -------------------------------------------------------------------------------


def test_declare_numbers_incidents_within_the_day(st: Store, fake_clock: FakeClock) -> None:
    assert st.declare("First", 1).id == "INC-2026-11-27-1"
    fake_clock.advance(minutes=5)
    assert st.declare("Second", 3).id == "INC-2026-11-27-2"
    fake_clock.advance(days=1)
    assert st.declare("Next day", 2).id == "INC-2026-11-28-1"
    fake_clock.advance(minutes=1)
    assert st.declare("Next day again", 2).id == "INC-2026-11-28-2"
    assert sorted(i.id for i in st.incidents()) == [
        "INC-2026-11-27-1",
        "INC-2026-11-27-2",
        "INC-2026-11-28-1",
        "INC-2026-11-28-2",
    ]


def test_declare_numbers_by_the_utc_day(db: Path) -> None:
    # 00:30 at +02:00 is 22:30 UTC the day before.
    local = datetime(2026, 11, 28, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    store = Store(db, PLAYBOOK, clock=lambda: local)
    try:
        declared = store.declare("Late night", 2)
        assert declared.id == "INC-2026-11-27-1"
        assert declared.declared_at == t(22, 30)
        assert declared.declared_at.utcoffset() == timedelta(0)
    finally:
        store.dispose()


def test_declare_stores_the_incident(st: Store, inc: Incident) -> None:
    assert inc.title == "Checkout returns 500"
    assert inc.severity == 1
    assert inc.status is Status.INVESTIGATING
    assert inc.impact_users == "all"
    assert inc.impact_features == "payments"
    assert inc.declared_at == START
    assert inc.detected_at == START
    assert inc.acknowledged_at is None
    assert inc.resolved_at is None
    # Read back from the database: the same value, timestamps aware UTC.
    again = st.get(inc.id)
    assert again == inc
    assert again.declared_at.tzinfo is not None
    assert again.declared_at.utcoffset() == timedelta(0)
    assert st.current() == inc


def test_declare_logs_a_declared_entry(st: Store, inc: Incident) -> None:
    (entry,) = st.timeline(inc.id)
    assert entry.kind is EntryKind.DECLARED
    assert entry.at == START
    assert entry.logged_at == START
    assert entry.author == "alice"
    assert "SEV-1" in entry.text
    assert "Checkout returns 500" in entry.text
    assert entry.data == {"severity": 1}


def test_declare_with_earlier_detection_logs_a_backdated_entry(
    st: Store, fake_clock: FakeClock
) -> None:
    declared = st.declare("DB unreachable", 1, detected_at=t(9, 40), author="bob")
    assert declared.detected_at == t(9, 40)
    assert declared.declared_at == START
    assert declared.started_at == t(9, 40)
    entries = st.timeline(declared.id)
    assert [(e.kind, e.at) for e in entries] == [
        (EntryKind.NOTE, t(9, 40)),
        (EntryKind.DECLARED, START),
    ]
    assert entries[0].text == "Issue first detected"
    assert entries[0].logged_at == START
    assert {e.author for e in entries} == {"bob"}


def test_declare_detected_now_logs_no_detection_entry(st: Store) -> None:
    declared = st.declare("Search down", 2, detected_at=START)
    assert kinds(st, declared.id) == [EntryKind.DECLARED]


def test_declare_rejects_bad_input_and_writes_nothing(st: Store) -> None:
    with pytest.raises(ValueError, match="future"):
        st.declare("Later", 1, detected_at=START + timedelta(minutes=1))
    with pytest.raises(ValueError, match="title"):
        st.declare("  \x1b[31m \n", 1)
    with pytest.raises(KeyError, match="no severity 4"):
        st.declare("Bad severity", 4)
    assert st.incidents() == []
    assert st.current() is None


def test_declare_cleans_the_title(st: Store) -> None:
    declared = st.declare("\x1b[31mCheckout\x1b[0m\nbroken | `500`", 2)
    assert declared.title == "Checkout broken | `500`"


def test_declare_creates_the_checklist(st: Store, inc: Incident) -> None:
    items = st.checklist(inc.id)
    expected = [
        *(("quick_start", text) for text in PLAYBOOK.checklists[0].items),
        *(("first_5_minutes", text) for text in PLAYBOOK.checklists[1].items),
        *(("triage", text) for text in PLAYBOOK.checklists[2].items),
        *(("severity-1", text) for text in SEV1_ACTIONS),
    ]
    assert [(i.section, i.text) for i in items] == expected
    assert len(items) == 9 + 6 + 5 + 6
    assert not any(i.done for i in items)
    assert len({i.id for i in items}) == len(items)


def test_each_incident_has_its_own_checklist(st: Store, inc: Incident) -> None:
    other = st.declare("Minor glitch", 3)
    assert [i.text for i in st.checklist(other.id) if i.section == "severity-3"] == list(
        PLAYBOOK.severity(3).actions
    )
    assert not {i.id for i in st.checklist(other.id)} & {i.id for i in st.checklist(inc.id)}


def test_unknown_incident_is_not_found(st: Store) -> None:
    with pytest.raises(NotFound, match="INC-2026-11-27-9"):
        st.get("INC-2026-11-27-9")
    with pytest.raises(NotFound):
        st.log("INC-2026-11-27-9", "hello")
    with pytest.raises(NotFound, match="no open incident"):
        st.resolve_id(None)
    assert issubclass(NotFound, StoreError)


def test_resolve_id_finds_the_open_incident(st: Store, inc: Incident) -> None:
    assert st.resolve_id(None) == inc.id
    assert st.resolve_id(f" {inc.id} ") == inc.id


# --- the timeline --------------------------------------------------------------------------

NASTY = "| a | b |\n`rm -rf /` and ```code```\n{{ config.SECRET }} {% if x %}\n\tindented"


def test_log_stores_text_verbatim(st: Store, inc: Incident, fake_clock: FakeClock) -> None:
    fake_clock.advance(minutes=3)
    entry = st.log(inc.id, NASTY, kind=EntryKind.FINDING, author="bob")
    assert entry.text == NASTY
    assert entry.kind is EntryKind.FINDING
    assert entry.author == "bob"
    assert entry.at == entry.logged_at == t(10, 3)
    assert not entry.pinned
    assert st.timeline(inc.id)[-1] == entry
    assert st.last_entry(inc.id) == entry


def test_log_strips_escape_sequences(st: Store, inc: Incident) -> None:
    entry = st.log(inc.id, "\x1b[31mred\x1b[0m alert\x07\x1b]0;title\x07 done\r\nnext")
    assert entry.text == "red alert done\nnext"
    assert st.timeline(inc.id)[-1].text == "red alert done\nnext"


def test_log_defaults_to_the_store_author_and_can_pin(st: Store, inc: Incident) -> None:
    entry = st.log(inc.id, "Rollback decided", kind=EntryKind.DECISION, pinned=True)
    assert entry.author == "alice"
    assert entry.pinned
    unpinned = st.set_pinned(entry.id, False)
    assert not unpinned.pinned
    assert not st.timeline(inc.id)[-1].pinned


def test_backdated_entries_sort_by_when_they_happened(
    st: Store, inc: Incident, fake_clock: FakeClock
) -> None:
    fake_clock.advance(minutes=10)
    st.log(inc.id, "ten past")
    fake_clock.advance(minutes=10)
    late = st.log(inc.id, "remembered: deploy at five past", at=t(10, 5))
    st.log(inc.id, "twenty past")
    assert late.at == t(10, 5)
    assert late.logged_at == t(10, 20)
    assert texts(st, inc.id)[1:] == [
        "remembered: deploy at five past",
        "ten past",
        "twenty past",
    ]
    # Even before the declaration (e.g. the first alert): sorted first.
    st.log(inc.id, "first alert", at=t(9, 55))
    assert texts(st, inc.id)[0] == "first alert"


def test_logging_into_a_closed_incident_is_refused(st: Store, inc: Incident) -> None:
    st.close(inc.id)
    before = st.entry_count(inc.id)
    with pytest.raises(ValueError, match="closed"):
        st.log(inc.id, "too late")
    with pytest.raises(ValueError, match="closed"):
        st.log_many(inc.id, ["too", "late"])
    assert st.entry_count(inc.id) == before


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "\x1b[31m\x1b[0m", "\x00\x07"])
def test_empty_entry_is_refused(st: Store, inc: Incident, text: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        st.log(inc.id, text)
    assert st.entry_count(inc.id) == 1


def test_entry_in_the_future_is_refused(st: Store, inc: Incident) -> None:
    with pytest.raises(ValueError, match="future"):
        st.log(inc.id, "from the future", at=START + timedelta(seconds=1))
    assert st.entry_count(inc.id) == 1
    # Exactly now is fine.
    assert st.log(inc.id, "now", at=START).at == START


def test_log_many_inserts_rows_and_skips_blanks(
    st: Store, inc: Incident, fake_clock: FakeClock
) -> None:
    fake_clock.advance(minutes=7)
    count = st.log_many(inc.id, ["one", "", "  ", "\x1b[1mtwo\x1b[0m", "\n", "three | {{x}}"])
    assert count == 3
    assert st.entry_count(inc.id) == 4
    new = st.timeline(inc.id)[1:]
    assert [e.text for e in new] == ["one", "two", "three | {{x}}"]
    assert {(e.kind, e.author, e.at) for e in new} == {(EntryKind.NOTE, "alice", t(10, 7))}


def test_log_many_with_nothing_to_log(st: Store, inc: Incident) -> None:
    assert st.log_many(inc.id, ["", " ", "\x1b[0m"]) == 0
    assert st.log_many(inc.id, []) == 0
    assert st.entry_count(inc.id) == 1


def test_timeline_windows_over_a_thousand_entries(st: Store, inc: Incident) -> None:
    assert st.log_many(inc.id, (f"note {n:03d}" for n in range(999))) == 999
    assert st.entry_count(inc.id) == 1000
    everything = st.timeline(inc.id)
    assert len(everything) == 1000
    assert everything[0].kind is EntryKind.DECLARED
    assert [e.text for e in everything[1:]] == [f"note {n:03d}" for n in range(999)]
    window = st.timeline(inc.id, offset=500, limit=10)
    assert [e.text for e in window] == [f"note {n:03d}" for n in range(499, 509)]
    tail = st.timeline(inc.id, offset=990, limit=50)
    assert [e.text for e in tail] == [f"note {n:03d}" for n in range(989, 999)]
    assert st.timeline(inc.id, offset=1000, limit=10) == []
    pages = [e for off in range(0, 1000, 128) for e in st.timeline(inc.id, offset=off, limit=128)]
    assert pages == everything


def test_entry_count_is_per_incident(st: Store, inc: Incident) -> None:
    other = st.declare("Other", 3)
    st.log(inc.id, "a")
    st.log(inc.id, "b")
    st.log(other.id, "c")
    assert st.entry_count(inc.id) == 3
    assert st.entry_count(other.id) == 2
    assert st.entry_count("INC-2026-11-27-99") == 0


def test_last_entry_typed_only(st: Store, inc: Incident) -> None:
    assert st.last_entry(inc.id) is None
    note = st.log(inc.id, "note")
    st.acknowledge(inc.id)
    assert st.last_entry(inc.id) == note
    last = st.last_entry(inc.id, typed_only=False)
    assert last is not None
    assert last.kind is EntryKind.ACK


# --- severity ------------------------------------------------------------------------------


def test_severity_change_logs_from_and_to(st: Store, inc: Incident, fake_clock: FakeClock) -> None:
    fake_clock.advance(minutes=12)
    changed = st.set_severity(inc.id, 2, author="bob")
    assert changed.severity == 2
    assert st.get(inc.id).severity == 2
    entry = st.timeline(inc.id)[-1]
    assert entry.kind is EntryKind.SEVERITY
    assert entry.data == {"from": 1, "to": 2}
    assert entry.at == t(10, 12)
    assert entry.author == "bob"
    assert "SEV-1" in entry.text
    assert "SEV-2" in entry.text


def test_same_severity_is_a_no_op(st: Store, inc: Incident) -> None:
    assert st.set_severity(inc.id, 1) == inc
    assert st.entry_count(inc.id) == 1


def test_unknown_severity_changes_nothing(st: Store, inc: Incident) -> None:
    with pytest.raises(KeyError):
        st.set_severity(inc.id, 5)
    assert st.get(inc.id).severity == 1
    assert st.entry_count(inc.id) == 1


def test_severity_change_swaps_actions_and_keeps_ticked_items(
    st: Store, inc: Incident, fake_clock: FakeClock
) -> None:
    page = next(i for i in st.checklist(inc.id) if i.text == SEV1_ACTIONS[0])
    st.tick(page.id, author="bob")
    quick = next(i for i in st.checklist(inc.id) if i.section == "quick_start")
    st.tick(quick.id)
    fake_clock.advance(minutes=5)
    st.set_severity(inc.id, 2)
    after = st.checklist(inc.id)
    kept = [i for i in after if i.section == "severity-1"]
    assert [(i.id, i.text, i.done, i.done_by) for i in kept] == [
        (page.id, SEV1_ACTIONS[0], True, "bob")
    ]
    assert section(st, inc.id, "severity-2") == [(text, False) for text in SEV2_ACTIONS]
    # The playbook's own lists are untouched, ticks included.
    assert sum(1 for i in after if i.section in ("quick_start", "first_5_minutes", "triage")) == 20
    assert next(i for i in after if i.id == quick.id).done


def test_severity_back_and_forth_does_not_duplicate_actions(st: Store, inc: Incident) -> None:
    page = next(i for i in st.checklist(inc.id) if i.text == SEV1_ACTIONS[0])
    st.tick(page.id)
    st.set_severity(inc.id, 2)
    st.set_severity(inc.id, 1)
    assert section(st, inc.id, "severity-1") == [
        (text, text == SEV1_ACTIONS[0]) for text in SEV1_ACTIONS
    ]
    assert section(st, inc.id, "severity-2") == []


# --- status --------------------------------------------------------------------------------


def test_status_moves_forward_and_back(st: Store, inc: Incident, fake_clock: FakeClock) -> None:
    path = [Status.IDENTIFIED, Status.MITIGATING, Status.MONITORING, Status.MITIGATING]
    for status in path:
        fake_clock.advance(minutes=5)
        assert st.set_status(inc.id, status).status is status
    assert st.get(inc.id).status is Status.MITIGATING
    changes = [e.data for e in st.timeline(inc.id) if e.kind is EntryKind.STATUS]
    assert changes == [
        {"from": "investigating", "to": "identified"},
        {"from": "identified", "to": "mitigating"},
        {"from": "mitigating", "to": "monitoring"},
        {"from": "monitoring", "to": "mitigating"},
    ]
    assert st.timeline(inc.id)[-1].text == "Status Monitoring -> Mitigating"


def test_same_status_is_a_no_op(st: Store, inc: Incident) -> None:
    st.set_status(inc.id, Status.INVESTIGATING)
    assert st.entry_count(inc.id) == 1


def test_monitoring_sets_mitigated_at_once(st: Store, inc: Incident, fake_clock: FakeClock) -> None:
    fake_clock.advance(minutes=30)
    assert st.set_status(inc.id, Status.MONITORING).mitigated_at == t(10, 30)
    fake_clock.advance(minutes=10)
    assert st.set_status(inc.id, Status.MITIGATING).mitigated_at == t(10, 30)
    fake_clock.advance(minutes=10)
    assert st.set_status(inc.id, Status.MONITORING).mitigated_at == t(10, 30)
    assert st.get(inc.id).mitigated_at == t(10, 30)


def test_resolving_sets_resolved_at_and_reopening_clears_it(
    st: Store, inc: Incident, fake_clock: FakeClock
) -> None:
    fake_clock.advance(minutes=45)
    resolved = st.set_status(inc.id, Status.RESOLVED)
    assert resolved.resolved_at == t(10, 45)
    assert not resolved.status.is_active
    fake_clock.advance(minutes=5)
    reopened = st.set_status(inc.id, Status.MITIGATING)
    assert reopened.resolved_at is None
    assert st.get(inc.id).resolved_at is None
    fake_clock.advance(minutes=30)
    assert st.set_status(inc.id, Status.RESOLVED).resolved_at == t(11, 20)


def test_status_cannot_be_set_to_closed(st: Store, inc: Incident) -> None:
    with pytest.raises(ValueError, match="close"):
        st.set_status(inc.id, Status.CLOSED)
    assert st.get(inc.id).status is Status.INVESTIGATING


def test_closed_incident_status_cannot_change(st: Store, inc: Incident) -> None:
    st.close(inc.id)
    with pytest.raises(ValueError, match="closed"):
        st.set_status(inc.id, Status.MITIGATING)
    assert st.get(inc.id).status is Status.CLOSED


# --- roles ---------------------------------------------------------------------------------


def test_assign_and_hand_off(st: Store, inc: Incident, fake_clock: FakeClock) -> None:
    bob = st.assign(inc.id, "ic", "bob")
    assert (bob.role, bob.person, bob.assigned_at, bob.assigned_by) == ("ic", "bob", START, "alice")
    assert st.timeline(inc.id)[-1].text == "IC assigned to bob"
    fake_clock.advance(minutes=40)
    carol = st.assign(inc.id, "IC", "@carol", author="bob")
    assert carol.person == "carol"
    history = st.role_history(inc.id)
    assert [(a.person, a.assigned_at, a.ended_at) for a in history] == [
        ("bob", START, t(10, 40)),
        ("carol", t(10, 40), None),
    ]
    assert st.roles(inc.id) == {"ic": carol}
    handoff = st.timeline(inc.id)[-1]
    assert handoff.kind is EntryKind.ROLE
    assert handoff.text == "IC handed off from bob to carol"
    assert handoff.data == {"role": "ic", "person": "carol", "from": "bob"}
    assert handoff.author == "bob"


def test_roles_by_key_short_or_name(st: Store, inc: Incident) -> None:
    st.assign(inc.id, "ops", "dave")
    st.assign(inc.id, "Dev", "erin")
    st.assign(inc.id, "comms lead", "frank")
    assert {k: a.person for k, a in st.roles(inc.id).items()} == {
        "ops": "dave",
        "dev": "erin",
        "comms": "frank",
    }


def test_assigning_the_same_person_twice_is_a_no_op(
    st: Store, inc: Incident, fake_clock: FakeClock
) -> None:
    first = st.assign(inc.id, "ic", "bob")
    count = st.entry_count(inc.id)
    fake_clock.advance(minutes=5)
    again = st.assign(inc.id, "IC", "@bob")
    assert again == first
    assert len(st.role_history(inc.id)) == 1
    assert st.entry_count(inc.id) == count


def test_unknown_role_raises_key_error(st: Store, inc: Incident) -> None:
    with pytest.raises(KeyError, match="no role 'scribe'"):
        st.assign(inc.id, "scribe", "bob")
    assert st.role_history(inc.id) == []
    assert st.entry_count(inc.id) == 1


def test_assign_needs_a_person(st: Store, inc: Incident) -> None:
    with pytest.raises(ValueError):
        st.assign(inc.id, "ic", " @ ")
    assert st.role_history(inc.id) == []


# --- checklist -----------------------------------------------------------------------------


def test_tick_and_untick(st: Store, inc: Incident, fake_clock: FakeClock) -> None:
    item = st.checklist(inc.id)[0]
    fake_clock.advance(minutes=2)
    done = st.tick(item.id, author="bob")
    assert done.done
    assert done.done_at == t(10, 2)
    assert done.done_by == "bob"
    assert st.checklist(inc.id)[0] == done
    entry = st.timeline(inc.id)[-1]
    assert entry.kind is EntryKind.CHECKLIST
    assert entry.text == f"Done: {item.text} (Quick Start)"
    assert entry.data == {"item": item.id, "done": 1, "text": item.text}
    assert entry.author == "bob"

    fake_clock.advance(minutes=1)
    undone = st.tick(item.id, done=False)
    assert not undone.done
    assert undone.done_at is None
    assert undone.done_by is None
    entry = st.timeline(inc.id)[-1]
    assert entry.text == f"Unticked: {item.text} (Quick Start)"
    assert entry.data == {"item": item.id, "done": 0, "text": item.text}
    assert entry.at == t(10, 3)


def test_ticking_twice_logs_once(st: Store, inc: Incident, fake_clock: FakeClock) -> None:
    item = st.checklist(inc.id)[3]
    st.tick(item.id)
    fake_clock.advance(minutes=1)
    again = st.tick(item.id, author="bob")
    assert again.done_at == START
    assert again.done_by == "alice"
    assert kinds(st, inc.id).count(EntryKind.CHECKLIST) == 1
    st.tick(st.checklist(inc.id)[4].id, done=False)  # not ticked: nothing to untick
    assert kinds(st, inc.id).count(EntryKind.CHECKLIST) == 1


def test_ticking_a_severity_action_names_its_section(st: Store, inc: Incident) -> None:
    action = next(i for i in st.checklist(inc.id) if i.section == "severity-1")
    st.tick(action.id)
    assert st.timeline(inc.id)[-1].text == f"Done: {action.text} (SEV-1 actions)"


def test_unknown_checklist_item(st: Store, inc: Incident) -> None:
    with pytest.raises(NotFound):
        st.tick(99_999)


# --- updates and acknowledgement -----------------------------------------------------------

UPDATE_FIELDS = {
    UpdateKind.INTERNAL: "last_internal_update_at",
    UpdateKind.STAKEHOLDER: "last_stakeholder_update_at",
    UpdateKind.CUSTOMER: "last_customer_update_at",
}


@pytest.mark.parametrize("kind", list(UpdateKind))
def test_record_update_restarts_its_own_clock(
    st: Store, inc: Incident, fake_clock: FakeClock, kind: UpdateKind
) -> None:
    fake_clock.advance(minutes=40)
    updated = st.record_update(inc.id, kind, "Rolled back | {{ eta }}\nline 2", author="bob")
    for update_kind, name in UPDATE_FIELDS.items():
        expected = t(10, 40) if update_kind is kind else None
        assert getattr(updated, name) == expected
        assert getattr(st.get(inc.id), name) == expected
    entry = st.timeline(inc.id)[-1]
    assert entry.kind is EntryKind.UPDATE
    assert entry.data == {"update": kind.value}
    assert entry.text == (
        f"{kind.value.capitalize()} status update sent: Rolled back | {{{{ eta }}}}\nline 2"
    )


def test_internal_update_moves_the_internal_clock(
    st: Store, inc: Incident, fake_clock: FakeClock
) -> None:
    fake_clock.advance(minutes=40)
    updated = st.record_update(inc.id)
    clocks = {c.kind: c for c in compute_clocks(updated, PLAYBOOK, t(10, 41))}
    assert clocks[ClockKind.INTERNAL_UPDATE].due_at == t(11, 10)
    assert clocks[ClockKind.INTERNAL_UPDATE].state is ClockState.OK
    assert clocks[ClockKind.STAKEHOLDER_UPDATE].due_at == t(11)
    assert st.timeline(inc.id)[-1].text == "Internal status update sent"


def test_acknowledge_once(st: Store, inc: Incident, fake_clock: FakeClock) -> None:
    fake_clock.advance(minutes=3)
    first = st.acknowledge(inc.id, author="bob")
    assert first.acknowledged_at == t(10, 3)
    fake_clock.advance(minutes=10)
    again = st.acknowledge(inc.id)
    assert again.acknowledged_at == t(10, 3)
    acks = [e for e in st.timeline(inc.id) if e.kind is EntryKind.ACK]
    assert [(e.at, e.author) for e in acks] == [(t(10, 3), "bob")]
    ack = {c.kind: c for c in compute_clocks(again, PLAYBOOK, t(11))}[ClockKind.ACKNOWLEDGE]
    assert (ack.state, ack.note) == (ClockState.MET, "in time")


# --- action items and close ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("priority", "delta"),
    [
        ("P0", timedelta(hours=48)),
        ("P1", timedelta(weeks=1)),
        ("P2", timedelta(weeks=2)),
        ("P3", timedelta(days=30)),
        ("p1", timedelta(weeks=1)),
    ],
)
def test_action_item_due_from_priority(
    st: Store, inc: Incident, fake_clock: FakeClock, priority: str, delta: timedelta
) -> None:
    fake_clock.advance(hours=2)
    item = st.add_action_item(inc.id, "Add alert on 5xx | rate", priority, owner="@bob")
    assert item.due_at == t(12) + delta
    assert item.priority == priority.upper()
    assert item.owner == "bob"
    assert item.status == "Open"
    assert item.text == "Add alert on 5xx | rate"
    assert st.action_items(inc.id) == [item]
    entry = st.timeline(inc.id)[-1]
    assert entry.kind is EntryKind.TODO
    assert entry.text == f"Action item {priority.upper()}: Add alert on 5xx | rate (@bob)"


def test_action_items_sorted_by_priority(st: Store, inc: Incident) -> None:
    st.add_action_item(inc.id, "nice", "P3")
    st.add_action_item(inc.id, "urgent", "P0")
    st.add_action_item(inc.id, "soon", "P1")
    assert [a.text for a in st.action_items(inc.id)] == ["urgent", "soon", "nice"]


def test_action_item_rejects_bad_input(st: Store, inc: Incident) -> None:
    with pytest.raises(KeyError, match="P9"):
        st.add_action_item(inc.id, "x", "P9")
    with pytest.raises(ValueError):
        st.add_action_item(inc.id, "  \n ", "P1")
    assert st.action_items(inc.id) == []


def test_close_resolves_first_and_sets_closed_at(
    st: Store, inc: Incident, fake_clock: FakeClock
) -> None:
    st.set_status(inc.id, Status.MITIGATING)
    fake_clock.advance(minutes=50)
    closed = st.close(inc.id, author="bob")
    assert closed.status is Status.CLOSED
    assert closed.resolved_at == t(10, 50)
    assert closed.closed_at == t(10, 50)
    assert not closed.is_open
    assert st.get(inc.id) == closed
    tail = st.timeline(inc.id)[-2:]
    assert [(e.kind, e.data) for e in tail] == [
        (EntryKind.STATUS, {"from": "mitigating", "to": "resolved"}),
        (EntryKind.CLOSED, {}),
    ]
    assert st.current() is None
    with pytest.raises(NotFound):
        st.resolve_id(None)


def test_close_keeps_an_earlier_resolution(st: Store, inc: Incident, fake_clock: FakeClock) -> None:
    fake_clock.advance(minutes=40)
    st.set_status(inc.id, Status.RESOLVED)
    fake_clock.advance(hours=20)
    closed = st.close(inc.id)
    assert closed.resolved_at == t(10, 40)
    assert closed.closed_at == t(6, 40, day=28)
    statuses = [e for e in st.timeline(inc.id) if e.kind is EntryKind.STATUS]
    assert len(statuses) == 1


def test_close_twice_is_a_no_op(st: Store, inc: Incident, fake_clock: FakeClock) -> None:
    first = st.close(inc.id)
    count = st.entry_count(inc.id)
    fake_clock.advance(minutes=5)
    assert st.close(inc.id) == first
    assert st.entry_count(inc.id) == count


def test_current_is_the_latest_open_incident(st: Store, fake_clock: FakeClock) -> None:
    older = st.declare("Older", 2)
    fake_clock.advance(minutes=1)
    newer = st.declare("Newer", 1)
    assert st.current() == newer
    st.close(newer.id)
    assert st.current() == older
    st.close(older.id)
    assert st.current() is None
    assert [i.id for i in st.incidents()] == [newer.id, older.id]


# --- several processes on one file ---------------------------------------------------------


def test_two_stores_on_one_file_see_each_other(db: Path, st: Store, fake_clock: FakeClock) -> None:
    other = Store(db, PLAYBOOK, clock=fake_clock, author="bob")
    try:
        declared = st.declare("Payments failing", 1)
        assert other.current() == declared
        fake_clock.advance(minutes=1)
        entry = other.log(declared.id, "from the other terminal")
        assert st.timeline(declared.id)[-1] == entry
        assert entry.author == "bob"
        other.set_status(declared.id, Status.IDENTIFIED)
        assert st.get(declared.id).status is Status.IDENTIFIED
    finally:
        other.dispose()


def test_data_version_changes_when_another_store_writes(
    db: Path, st: Store, inc: Incident, fake_clock: FakeClock
) -> None:
    other = Store(db, PLAYBOOK, clock=fake_clock, author="bob")
    try:
        before = st.data_version()
        assert st.data_version() == before  # nothing written: stable
        st.timeline(inc.id)  # reading does not count
        assert st.data_version() == before
        other.log(inc.id, "a write elsewhere")
        after = st.data_version()
        assert after != before
        assert st.data_version() == after
        other.acknowledge(inc.id)
        assert st.data_version() != after
    finally:
        other.dispose()


def test_dispose_releases_the_database(db: Path, st: Store, inc: Incident) -> None:
    st.log(inc.id, "before dispose")
    st.data_version()
    st.dispose()
    # The last connection closed cleanly: SQLite checkpoints and removes the WAL file.
    assert not Path(f"{db}-wal").exists()
    reopened = Store(db, PLAYBOOK)
    try:
        assert reopened.entry_count(inc.id) == 2
    finally:
        reopened.dispose()


# --- faults --------------------------------------------------------------------------------


def _assert_one_line_naming(exc: StoreError, path: Path) -> None:
    message = str(exc)
    assert str(path) in message
    assert "\n" not in message
    assert "Traceback" not in message
    assert "sqlalchemy" not in message.casefold()


def test_database_path_that_is_a_directory(tmp_path: Path) -> None:
    path = tmp_path / "adir"
    path.mkdir()
    with pytest.raises(StoreError) as info:
        Store(path, PLAYBOOK)
    _assert_one_line_naming(info.value, path)


@pytest.mark.parametrize("below", ["warroom.db", "sub/warroom.db"])
def test_database_path_under_a_regular_file(tmp_path: Path, below: str) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("I am a file\n")
    path = blocker / below
    with pytest.raises(StoreError) as info:
        Store(path, PLAYBOOK)
    _assert_one_line_naming(info.value, path)
    assert blocker.read_text() == "I am a file\n"


def test_missing_parent_directories_are_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "warroom.db"
    store = Store(path, PLAYBOOK, clock=FakeClock())
    try:
        assert store.declare("Works", 3).id == "INC-2026-11-27-1"
        assert path.is_file()
    finally:
        store.dispose()


@pytest.mark.sqlite_only("a read-only database file (its mode bits)")
def test_read_only_database_raises_and_loses_nothing(db: Path, fake_clock: FakeClock) -> None:
    store = Store(db, PLAYBOOK, clock=fake_clock, author="alice")
    declared = store.declare("Auth broken", 1)
    store.log(declared.id, "committed before | {{ x }}")
    store.assign(declared.id, "ic", "bob")
    committed = store.timeline(declared.id)
    store.dispose()

    mode = stat.S_IMODE(db.stat().st_mode)
    db.chmod(0o444)
    try:
        if os.access(db, os.W_OK):
            pytest.skip("running as root: chmod 0o444 does not prevent writes")
        with pytest.raises(StoreError) as info:
            ro = Store(db, PLAYBOOK, clock=fake_clock)
            try:
                ro.log(declared.id, "this cannot be written")
            finally:
                ro.dispose()
        _assert_one_line_naming(info.value, db)
    finally:
        db.chmod(mode)

    reopened = Store(db, PLAYBOOK, clock=fake_clock)
    try:
        assert reopened.timeline(declared.id) == committed
        assert reopened.get(declared.id).title == "Auth broken"
        assert reopened.roles(declared.id)["ic"].person == "bob"
    finally:
        reopened.dispose()


# -- a closed record no longer changes; actions done at one severity are not asked again --------


def test_closed_incident_refuses_every_change(tmp_path):
    store = Store(
        tmp_path / "c.db", default_playbook(), clock=lambda: datetime(2026, 11, 27, 10, tzinfo=UTC)
    )
    incident = store.declare("Closed one", 2)
    item = store.checklist(incident.id)[0]
    store.close(incident.id)
    attempts = {
        "severity": lambda: store.set_severity(incident.id, 1),
        "status": lambda: store.set_status(incident.id, Status.MITIGATING),
        "assign": lambda: store.assign(incident.id, "ic", "zoe"),
        "ack": lambda: store.acknowledge(incident.id),
        "update": lambda: store.record_update(incident.id, UpdateKind.INTERNAL),
        "impact": lambda: store.set_impact(incident.id, users="all"),
        "tick": lambda: store.tick(item.id),
        "log": lambda: store.log(incident.id, "late note"),
        "log_many": lambda: store.log_many(incident.id, ["a", "b"]),
    }
    before = store.entry_count(incident.id)
    for name, attempt in attempts.items():
        with pytest.raises(ValueError, match="is closed"):
            attempt()
        assert store.entry_count(incident.id) == before, name
    store.dispose()


def test_action_done_at_one_severity_is_not_repeated_at_another(tmp_path):
    store = Store(tmp_path / "d.db", default_playbook())
    incident = store.declare("Dup", 1)
    assign_ic = next(
        i
        for i in store.checklist(incident.id)
        if i.section == "severity-1" and i.text == "Assign Incident Commander"
    )
    store.tick(assign_ic.id)
    store.set_severity(incident.id, 2)
    matching = [i for i in store.checklist(incident.id) if i.text == "Assign Incident Commander"]
    assert len(matching) == 1 and matching[0].done
    assert any(i.text == "Team mobilization" for i in store.checklist(incident.id))
    store.dispose()


def test_timeline_windows_read_backwards_match_forwards(tmp_path):
    store = Store(tmp_path / "w.db", PLAYBOOK)
    incident = store.declare("Windows", 3)
    store.log_many(incident.id, (f"line {i}" for i in range(1_000)))
    total = store.entry_count(incident.id)
    everything = store.timeline(incident.id)
    assert len(everything) == total == 1_001
    for offset, limit in ((0, 200), (400, 200), (600, 200), (900, 200), (1_000, 200), (999, 5)):
        window = store.timeline(incident.id, offset, limit, total=total)
        assert window == everything[offset : offset + limit], (offset, limit)
    store.dispose()


# --- issue #4: scenarios -------------------------------------------------------------------


PAYMENTS = PLAYBOOK.scenario("payments_failing")
ROLLBACK = PLAYBOOK.mitigation("rollback")


def sections(store: Store, incident_id: str) -> list[str]:
    """The checklist's section keys, in the order shown, each once."""
    return list(dict.fromkeys(i.section for i in store.checklist(incident_id)))


def test_attach_scenario_adds_its_sections_and_logs(
    st: Store, inc: Incident, fake_clock: FakeClock
) -> None:
    fake_clock.advance(minutes=4)
    added = st.attach_scenario(inc.id, "payments_failing", author="bob")
    diagnosis = "scenario:payments_failing:diagnosis"
    resolution = "scenario:payments_failing:resolution"
    assert [(i.section, i.text) for i in added] == [
        *((diagnosis, text) for text in PAYMENTS.diagnosis),
        *((resolution, text) for text in PAYMENTS.resolution),
    ]
    assert section(st, inc.id, diagnosis) == [(text, False) for text in PAYMENTS.diagnosis]
    assert section(st, inc.id, resolution) == [(text, False) for text in PAYMENTS.resolution]
    entry = st.timeline(inc.id)[-1]
    assert (entry.kind, entry.text, entry.author, entry.at) == (
        EntryKind.SCENARIO,
        "Scenario attached: Payment processing failures",
        "bob",
        t(10, 4),
    )
    assert entry.data == {"scenario": "payments_failing", "name": "Payment processing failures"}


def test_attaching_a_scenario_twice_is_a_no_op(st: Store, inc: Incident) -> None:
    st.attach_scenario(inc.id, "payments_failing")
    before = (st.checklist(inc.id), st.entry_count(inc.id))
    assert st.attach_scenario(inc.id, "Payment processing failures") == []
    assert st.attach_scenario(inc.id, "pay") == []
    assert (st.checklist(inc.id), st.entry_count(inc.id)) == before


def test_attach_scenario_by_name_prefix(st: Store, inc: Incident) -> None:
    st.attach_scenario(inc.id, "auth")
    assert st.timeline(inc.id)[-1].text == "Scenario attached: Authentication broken"
    assert "scenario:auth_broken:diagnosis" in sections(st, inc.id)


def test_unknown_scenario_changes_nothing(st: Store, inc: Incident) -> None:
    before = (st.checklist(inc.id), st.entry_count(inc.id))
    with pytest.raises(KeyError, match=r"no scenario 'ddos' \(known: site_outage, auth_broken"):
        st.attach_scenario(inc.id, "ddos")
    assert (st.checklist(inc.id), st.entry_count(inc.id)) == before


def test_ticking_a_scenario_step_names_the_scenario(st: Store, inc: Incident) -> None:
    first, *_ = st.attach_scenario(inc.id, "payments_failing")
    st.tick(first.id)
    assert st.timeline(inc.id)[-1].text == (
        f"Done: {PAYMENTS.diagnosis[0]} (Payment processing failures: diagnosis)"
    )


# --- issue #4: mitigations -----------------------------------------------------------------


def test_start_mitigation_adds_steps_and_verification(
    st: Store, inc: Incident, fake_clock: FakeClock
) -> None:
    fake_clock.advance(minutes=35)
    started = st.start_mitigation(inc.id, "rollback", author="carol")
    assert section(st, inc.id, "mitigation:rollback") == [(s, False) for s in ROLLBACK.steps]
    assert section(st, inc.id, "mitigation:rollback:verify") == [
        (s, False) for s in ROLLBACK.verification
    ]
    mitigation, status = st.timeline(inc.id)[-2:]
    assert (mitigation.kind, mitigation.text, mitigation.author, mitigation.at) == (
        EntryKind.MITIGATION,
        "Mitigation started: Rollback deployment",
        "carol",
        t(10, 35),
    )
    assert mitigation.data == {
        "mitigation": "rollback",
        "name": "Rollback deployment",
        "phase": "started",
    }
    # Investigating -> mitigating, logged as any status change.
    assert started.status is Status.MITIGATING
    assert (status.kind, status.text, status.author) == (
        EntryKind.STATUS,
        "Status Investigating -> Mitigating",
        "carol",
    )
    assert status.data == {"from": "investigating", "to": "mitigating"}
    assert started.mitigated_at is None


def test_start_mitigation_from_identified(st: Store, inc: Incident) -> None:
    st.set_status(inc.id, Status.IDENTIFIED)
    assert st.start_mitigation(inc.id, "hotfix").status is Status.MITIGATING
    assert st.timeline(inc.id)[-1].data == {"from": "identified", "to": "mitigating"}


@pytest.mark.parametrize("status", [Status.MITIGATING, Status.MONITORING, Status.RESOLVED])
def test_start_mitigation_leaves_a_later_status(st: Store, inc: Incident, status: Status) -> None:
    st.set_status(inc.id, status)
    statuses = kinds(st, inc.id).count(EntryKind.STATUS)
    assert st.start_mitigation(inc.id, "scale").status is status
    assert kinds(st, inc.id).count(EntryKind.STATUS) == statuses
    assert st.timeline(inc.id)[-1].text == "Mitigation started: Scale resources"


def test_a_mitigation_without_verification_adds_one_section(st: Store, inc: Incident) -> None:
    assert PLAYBOOK.mitigation("feature_flag").verification == []
    st.start_mitigation(inc.id, "feature")
    assert [s for s in sections(st, inc.id) if s.startswith("mitigation:")] == [
        "mitigation:feature_flag"
    ]


def test_starting_a_mitigation_twice_is_a_no_op(st: Store, inc: Incident) -> None:
    st.start_mitigation(inc.id, "rollback")
    before = (st.checklist(inc.id), st.timeline(inc.id))
    st.start_mitigation(inc.id, "Rollback deployment")
    assert (st.checklist(inc.id), st.timeline(inc.id)) == before


def test_apply_mitigation_logs_and_sets_mitigated_at(
    st: Store, inc: Incident, fake_clock: FakeClock
) -> None:
    fake_clock.advance(minutes=35)
    st.start_mitigation(inc.id, "rollback")
    fake_clock.advance(minutes=6)
    applied = st.apply_mitigation(inc.id, "rollback", author="bob")
    assert applied.mitigated_at == t(10, 41)
    assert applied.status is Status.MITIGATING  # monitoring is the IC's call
    entry = st.timeline(inc.id)[-1]
    assert (entry.kind, entry.text, entry.author, entry.at) == (
        EntryKind.MITIGATION,
        "Mitigation applied: Rollback deployment",
        "bob",
        t(10, 41),
    )
    assert entry.data == {
        "mitigation": "rollback",
        "name": "Rollback deployment",
        "phase": "applied",
    }
    # Again: nothing new.
    fake_clock.advance(minutes=1)
    count = st.entry_count(inc.id)
    assert st.apply_mitigation(inc.id, "rollback").mitigated_at == t(10, 41)
    assert st.entry_count(inc.id) == count


def test_a_second_mitigation_keeps_the_first_mitigated_at(
    st: Store, inc: Incident, fake_clock: FakeClock
) -> None:
    st.apply_mitigation(inc.id, "feature_flag")
    fake_clock.advance(minutes=20)
    assert st.apply_mitigation(inc.id, "rollback").mitigated_at == START


def test_applying_without_starting_starts_it_first(
    st: Store, inc: Incident, fake_clock: FakeClock
) -> None:
    fake_clock.advance(minutes=10)
    applied = st.apply_mitigation(inc.id, "migration_rollback")
    assert applied.status is Status.MITIGATING
    assert applied.mitigated_at == t(10, 10)
    tail = [(e.kind, e.text) for e in st.timeline(inc.id)[1:]]
    assert tail == [
        (EntryKind.MITIGATION, "Mitigation started: Database migration rollback"),
        (EntryKind.STATUS, "Status Investigating -> Mitigating"),
        (EntryKind.MITIGATION, "Mitigation applied: Database migration rollback"),
    ]
    assert "mitigation:migration_rollback:verify" in sections(st, inc.id)


def test_unknown_mitigation_changes_nothing(st: Store, inc: Incident) -> None:
    before = (st.checklist(inc.id), st.timeline(inc.id), st.get(inc.id))
    for attempt in (st.start_mitigation, st.apply_mitigation):
        with pytest.raises(KeyError, match=r"no mitigation 'revert' \(known: rollback, "):
            attempt(inc.id, "revert")
    assert (st.checklist(inc.id), st.timeline(inc.id), st.get(inc.id)) == before


def test_ticking_a_verification_step_names_the_mitigation(st: Store, inc: Incident) -> None:
    st.start_mitigation(inc.id, "rollback")
    check = next(i for i in st.checklist(inc.id) if i.section == "mitigation:rollback:verify")
    st.tick(check.id)
    assert st.timeline(inc.id)[-1].text == (
        f"Done: {ROLLBACK.verification[0]} (Rollback deployment: verification)"
    )


# --- issue #4: root cause category ---------------------------------------------------------


def test_set_root_cause_stores_and_logs(st: Store, inc: Incident, fake_clock: FakeClock) -> None:
    fake_clock.advance(minutes=30)
    chosen = st.set_root_cause(inc.id, "recent", author="dave")
    assert chosen.root_cause_category == "recent_deployment"
    assert st.get(inc.id).root_cause_category == "recent_deployment"
    entry = st.timeline(inc.id)[-1]
    assert (entry.kind, entry.text, entry.author, entry.at) == (
        EntryKind.ROOT_CAUSE,
        "Root cause category: Recent Deployment",
        "dave",
        t(10, 30),
    )
    assert entry.data == {
        "root_cause": "recent_deployment",
        "name": "Recent Deployment",
        "from": None,
    }


def test_changing_the_root_cause_logs_from_and_to(st: Store, inc: Incident) -> None:
    st.set_root_cause(inc.id, "database")
    count = st.entry_count(inc.id)
    st.set_root_cause(inc.id, "Database Issues")  # the same: nothing
    assert st.entry_count(inc.id) == count
    assert st.set_root_cause(inc.id, "third").root_cause_category == "third_party"
    assert st.timeline(inc.id)[-1].data["from"] == "database"
    assert st.timeline(inc.id)[-1].text == "Root cause category: Third-Party Service"


def test_unknown_root_cause_changes_nothing(st: Store, inc: Incident) -> None:
    with pytest.raises(KeyError, match=r"no root cause 'aliens' \(known: recent_deployment, "):
        st.set_root_cause(inc.id, "aliens")
    with pytest.raises(KeyError, match="ambiguous"):
        st.set_root_cause(inc.id, "t")
    assert st.get(inc.id).root_cause_category is None
    assert st.entry_count(inc.id) == 1


def test_closed_incident_refuses_playbook_actions(st: Store, inc: Incident) -> None:
    st.close(inc.id)
    before = (st.checklist(inc.id), st.timeline(inc.id), st.get(inc.id))
    for attempt in (st.attach_scenario, st.start_mitigation, st.apply_mitigation):
        with pytest.raises(ValueError, match="is closed"):
            attempt(inc.id, "site_outage" if attempt == st.attach_scenario else "rollback")
    with pytest.raises(ValueError, match="is closed"):
        st.set_root_cause(inc.id, "security")
    assert (st.checklist(inc.id), st.timeline(inc.id), st.get(inc.id)) == before


def test_playbook_actions_on_an_unknown_incident(st: Store) -> None:
    with pytest.raises(NotFound):
        st.attach_scenario("INC-2026-11-27-9", "site_outage")
    with pytest.raises(NotFound):
        st.start_mitigation("INC-2026-11-27-9", "rollback")
    with pytest.raises(NotFound):
        st.apply_mitigation("INC-2026-11-27-9", "rollback")
    with pytest.raises(NotFound):
        st.set_root_cause("INC-2026-11-27-9", "security")


# --- issue #4: checklist order -------------------------------------------------------------


def test_checklist_order_playbook_severity_scenarios_mitigations(st: Store, inc: Incident) -> None:
    st.start_mitigation(inc.id, "rollback")
    st.attach_scenario(inc.id, "payments_failing")
    st.start_mitigation(inc.id, "feature_flag")
    st.attach_scenario(inc.id, "site_outage")
    st.set_severity(inc.id, 2)  # new severity rows come after everything else in the table
    assert sections(st, inc.id) == [
        "quick_start",
        "first_5_minutes",
        "triage",
        "severity-2",
        "scenario:payments_failing:diagnosis",
        "scenario:payments_failing:resolution",
        "scenario:site_outage:diagnosis",
        "scenario:site_outage:resolution",
        "mitigation:rollback",
        "mitigation:rollback:verify",
        "mitigation:feature_flag",
    ]
    # Within a section, items keep their playbook order.
    assert [i.text for i in st.checklist(inc.id) if i.section == "mitigation:rollback"] == list(
        ROLLBACK.steps
    )


# --- issue #4: a playbook swapped while incidents are open ---------------------------------


def _with_sev1_internal(minutes: int) -> Playbook:
    sev1 = replace(PLAYBOOK.severity(1), internal_update_minutes=minutes)
    return replace(PLAYBOOK, severities=[sev1, *PLAYBOOK.severities[1:]])


def internal_due(store: Store, incident_id: str) -> datetime | None:
    clocks = compute_clocks(store.get(incident_id), store.playbook, store.clock())
    return {c.kind: c for c in clocks}[ClockKind.INTERNAL_UPDATE].due_at


def test_declaring_captures_the_clock_values(st: Store, inc: Incident) -> None:
    sev = PLAYBOOK.severity(1)
    assert inc.clock_values == ClockValues(
        acknowledge_minutes=sev.acknowledge_minutes,
        resolve_minutes=sev.resolve_minutes,
        internal_update_minutes=sev.internal_update_minutes,
        stakeholder_update_minutes=sev.stakeholder_update_minutes,
        customer_comms_minutes=sev.customer_comms_minutes,
    )
    assert st.get(inc.id).clock_values == inc.clock_values
    assert st.declare("Minor", 3).clock_values.customer_comms_minutes is None  # type: ignore[union-attr]


def test_an_open_incident_keeps_its_clocks_until_its_severity_changes(
    st: Store, inc: Incident
) -> None:
    assert internal_due(st, inc.id) == t(10, 30)
    st.playbook = _with_sev1_internal(10)
    assert internal_due(st, inc.id) == t(10, 30)  # still 30 minutes: announced already
    assert st.declare("New one", 1).clock_values.internal_update_minutes == 10  # type: ignore[union-attr]
    st.set_severity(inc.id, 2)
    assert internal_due(st, inc.id) == t(11)  # SEV-2: 60 minutes
    st.set_severity(inc.id, 1)
    assert internal_due(st, inc.id) == t(10, 10)  # back at SEV-1: the new playbook's 10


def test_an_incident_whose_severity_left_the_playbook_still_has_clocks(
    st: Store, inc: Incident
) -> None:
    st.playbook = replace(PLAYBOOK, severities=PLAYBOOK.severities[1:])
    assert internal_due(st, inc.id) == t(10, 30)


def test_attached_sections_keep_their_texts_after_a_playbook_change(
    st: Store, inc: Incident
) -> None:
    st.attach_scenario(inc.id, "payments_failing")
    st.start_mitigation(inc.id, "rollback")
    before = st.checklist(inc.id)
    changed = replace(
        PLAYBOOK,
        scenarios=[replace(PAYMENTS, diagnosis=["Look at Stripe"])],
        mitigations=[replace(ROLLBACK, steps=["Press the button"])],
        checklists=[],
    )
    st.playbook = changed
    assert st.playbook is changed
    assert sorted(st.checklist(inc.id), key=lambda i: i.id) == sorted(before, key=lambda i: i.id)
    # Future actions follow the new playbook.
    other = st.declare("Another", 2)
    st.attach_scenario(other.id, "payments_failing")
    st.start_mitigation(other.id, "rollback")
    assert section(st, other.id, "scenario:payments_failing:diagnosis") == [
        ("Look at Stripe", False)
    ]
    assert section(st, other.id, "mitigation:rollback") == [("Press the button", False)]
    with pytest.raises(KeyError, match=r"no scenario 'site_outage' \(known: payments_failing\)"):
        st.attach_scenario(other.id, "site_outage")


# --- issue #4: a database written by the previous release ----------------------------------

SCHEMA_1 = """
CREATE TABLE incident (
    id VARCHAR NOT NULL, title VARCHAR NOT NULL, severity INTEGER NOT NULL,
    status VARCHAR NOT NULL, impact_users VARCHAR NOT NULL, impact_features VARCHAR NOT NULL,
    detected_at DATETIME NOT NULL, declared_at DATETIME NOT NULL, acknowledged_at DATETIME,
    mitigated_at DATETIME, resolved_at DATETIME, closed_at DATETIME,
    last_internal_update_at DATETIME, last_stakeholder_update_at DATETIME,
    last_customer_update_at DATETIME, review_json VARCHAR NOT NULL, review_path VARCHAR,
    PRIMARY KEY (id)
);
CREATE INDEX ix_incident_status ON incident (status);
CREATE TABLE timeline_entry (
    id INTEGER NOT NULL, incident_id VARCHAR NOT NULL, at DATETIME NOT NULL,
    logged_at DATETIME NOT NULL, kind VARCHAR NOT NULL, text VARCHAR NOT NULL,
    author VARCHAR NOT NULL, pinned BOOLEAN NOT NULL, data_json VARCHAR NOT NULL,
    PRIMARY KEY (id), FOREIGN KEY(incident_id) REFERENCES incident (id)
);
CREATE INDEX ix_entry_incident_at ON timeline_entry (incident_id, at, id);
CREATE TABLE role_assignment (
    id INTEGER NOT NULL, incident_id VARCHAR NOT NULL, role VARCHAR NOT NULL,
    person VARCHAR NOT NULL, assigned_at DATETIME NOT NULL, assigned_by VARCHAR NOT NULL,
    ended_at DATETIME, PRIMARY KEY (id), FOREIGN KEY(incident_id) REFERENCES incident (id)
);
CREATE INDEX ix_role_assignment_incident_id ON role_assignment (incident_id);
CREATE TABLE checklist_item (
    id INTEGER NOT NULL, incident_id VARCHAR NOT NULL, section VARCHAR NOT NULL,
    position INTEGER NOT NULL, text VARCHAR NOT NULL, done_at DATETIME, done_by VARCHAR,
    PRIMARY KEY (id), FOREIGN KEY(incident_id) REFERENCES incident (id)
);
CREATE INDEX ix_checklist_item_incident_id ON checklist_item (incident_id);
CREATE TABLE action_item (
    id INTEGER NOT NULL, incident_id VARCHAR NOT NULL, text VARCHAR NOT NULL,
    owner VARCHAR NOT NULL, priority VARCHAR NOT NULL, due_at DATETIME NOT NULL,
    status VARCHAR NOT NULL, created_at DATETIME NOT NULL,
    PRIMARY KEY (id), FOREIGN KEY(incident_id) REFERENCES incident (id)
);
CREATE INDEX ix_action_item_incident_id ON action_item (incident_id);
INSERT INTO incident VALUES ('INC-2026-11-27-1', 'Old one', 1, 'identified', 'all', 'payments',
    '2026-11-27 09:50:00.000000', '2026-11-27 10:00:00.000000', '2026-11-27 10:02:00.000000',
    NULL, NULL, NULL, NULL, NULL, NULL, '{"root_cause": "deploy"}', NULL);
INSERT INTO timeline_entry VALUES (1, 'INC-2026-11-27-1', '2026-11-27 10:00:00.000000',
    '2026-11-27 10:00:00.000000', 'declared', 'Incident declared', 'alice', 0,
    '{"severity": 1}');
INSERT INTO role_assignment VALUES (1, 'INC-2026-11-27-1', 'ic', 'alice',
    '2026-11-27 10:01:00.000000', 'alice', NULL);
INSERT INTO checklist_item VALUES (1, 'INC-2026-11-27-1', 'triage', 0, 'Is it real?',
    '2026-11-27 10:03:00.000000', 'bob');
INSERT INTO action_item VALUES (1, 'INC-2026-11-27-1', 'Add alert', 'bob', 'P0',
    '2026-11-29 10:00:00.000000', 'Open', '2026-11-27 10:00:00.000000');
"""


def _columns(db: Path, table: str) -> list[str]:
    with closing(sqlite3.connect(db)) as conn:
        return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def _user_version(db: Path) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


@pytest.mark.sqlite_only("an SQLite file of an earlier schema (PRAGMA user_version)")
def test_a_database_of_the_previous_release_is_upgraded(db: Path, fake_clock: FakeClock) -> None:
    with closing(sqlite3.connect(db)) as conn:
        conn.executescript(SCHEMA_1)
    assert "root_cause_category" not in _columns(db, "incident")
    assert _user_version(db) == 0

    store = Store(db, PLAYBOOK, clock=fake_clock, author="alice")
    try:
        assert _columns(db, "incident")[-9:] == [
            "root_cause_category",
            "clock_acknowledge_minutes",
            "clock_resolve_minutes",
            "clock_internal_update_minutes",
            "clock_stakeholder_update_minutes",
            "clock_customer_comms_minutes",
            "impact_start_at",  # schema 5
            "impact_end_at",
            "original_id",  # schema 6
        ]
        assert _user_version(db) == SCHEMA_VERSION == 8
        assert "chain_hash" in _columns(db, "timeline_entry")  # schema 8
        assert "reason" in _columns(db, "entry_revision")
        assert "saved_at" in _columns(db, "form_draft")  # schema 3's table, added
        # The data is intact.
        old = store.get("INC-2026-11-27-1")
        assert (old.title, old.severity, old.status) == ("Old one", 1, Status.IDENTIFIED)
        assert (old.detected_at, old.acknowledged_at) == (t(9, 50), t(10, 2))
        assert old.review.root_cause == "deploy"
        assert (old.root_cause_category, old.clock_values) == (None, None)
        assert [e.text for e in store.timeline(old.id)] == ["Incident declared"]
        assert store.roles(old.id)["ic"].person == "alice"
        (item,) = store.checklist(old.id)
        assert (item.text, item.done_by, item.done_at) == ("Is it real?", "bob", t(10, 3))
        assert [a.text for a in store.action_items(old.id)] == ["Add alert"]
        # Without captured values, the playbook decides its clocks, as before.
        assert internal_due(store, old.id) == t(10, 30)
        # The new columns are usable.
        assert store.set_root_cause(old.id, "recent").root_cause_category == "recent_deployment"
        assert store.set_severity(old.id, 2).clock_values is not None
        new = store.declare("New one", 3)
        assert store.get(new.id).clock_values == new.clock_values
        # Schema 4: the clock_snooze table is there and usable.
        assert "reason" in _columns(db, "clock_snooze")
        assert store.snoozes(old.id) == []
        store.snooze(old.id, ClockKind.RESOLVE, timedelta(minutes=15), "waiting on Stripe")
        assert [s.reason for s in store.snoozes(old.id)] == ["waiting on Stripe"]
        # Schema 8: the old entry has no hash; the chain starts with the first new one, and
        # its index on (incident, id) was added to the old table.
        report = store.verify_chain(old.id)
        first_new = min(e.id for e in store.timeline(old.id) if e.id != 1)
        assert report.ok and report.unchained_before == first_new
        with closing(sqlite3.connect(db)) as conn:
            indexes = {row[1] for row in conn.execute("PRAGMA index_list(timeline_entry)")}
        assert "ix_entry_incident_id" in indexes
    finally:
        store.dispose()

    reopened = Store(db, PLAYBOOK, clock=fake_clock)
    try:
        assert reopened.get("INC-2026-11-27-1").root_cause_category == "recent_deployment"
        assert len(reopened.incidents()) == 2
    finally:
        reopened.dispose()


def test_an_up_to_date_database_is_not_written_on_open(db: Path, st: Store, inc: Incident) -> None:
    before = st.data_version()
    other = Store(db, PLAYBOOK)
    try:
        assert other.get(inc.id) == inc
    finally:
        other.dispose()
    assert st.data_version() == before


def test_add_missing_columns_refuses_a_not_null_column(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    metadata = MetaData()
    Table(
        "t",
        metadata,
        Column("a", Integer),
        Column("b", Integer),
        Column("c", Integer, nullable=False),
    )
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (a INTEGER)")
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        refused = pytest.raises(StoreError, match=r"cannot add column t\.c: NOT NULL, no default")
        with refused, engine.begin() as conn:
            add_missing_columns(conn, metadata)
        with engine.connect() as conn:  # nothing was added, not even the nullable b
            assert [r[1] for r in conn.exec_driver_sql("PRAGMA table_info(t)")] == ["a"]
        metadata.remove(metadata.tables["t"])
        Table("t", metadata, Column("a", Integer), Column("b", Integer))
        with engine.begin() as conn:
            assert add_missing_columns(conn, metadata) == ["t.b"]
            assert add_missing_columns(conn, metadata) == []
            assert conn.exec_driver_sql("SELECT a, b FROM t").fetchall() == [(1, None)]
    finally:
        engine.dispose()


@pytest.mark.sqlite_only("an SQLite file of an earlier schema (PRAGMA user_version)")
def test_an_old_read_only_database_is_a_clear_error(db: Path) -> None:
    with closing(sqlite3.connect(db)) as conn:
        conn.executescript(SCHEMA_1)
        conn.execute("PRAGMA journal_mode=WAL")
    mode = stat.S_IMODE(db.stat().st_mode)
    db.chmod(0o444)
    try:
        if os.access(db, os.W_OK):
            pytest.skip("running as root: chmod 0o444 does not prevent writes")
        with pytest.raises(StoreError) as info:
            Store(db, PLAYBOOK).dispose()
        _assert_one_line_naming(info.value, db)
    finally:
        db.chmod(mode)
    assert "root_cause_category" not in _columns(db, "incident")


@pytest.mark.sqlite_only("SQLite's write lock on the file")
def test_an_old_database_locked_by_another_writer_is_a_clear_error(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upgrade needs the write lock; if it cannot get it, the open fails in one line."""
    with closing(sqlite3.connect(db)) as conn:
        conn.executescript(SCHEMA_1)
    monkeypatch.setattr("warroom.store.connection.BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError, match="cannot open: database is locked") as info:
            Store(db, PLAYBOOK).dispose()
        _assert_one_line_naming(info.value, db)
    finally:
        holder.close()
    assert "root_cause_category" not in _columns(db, "incident")
    store = Store(db, PLAYBOOK)  # once the other writer is done, the upgrade goes through
    try:
        assert store.get("INC-2026-11-27-1").title == "Old one"
        assert "root_cause_category" in _columns(db, "incident")
    finally:
        store.dispose()


def test_playbook_conflicts_name_open_incidents_it_cannot_show(
    st: Store, inc: Incident, fake_clock: FakeClock
) -> None:
    minor = st.declare("Minor", 3)
    no_sev1 = replace(PLAYBOOK, severities=PLAYBOOK.severities[1:])
    assert st.playbook_conflicts(PLAYBOOK) == []
    assert st.playbook_conflicts(no_sev1) == [
        f"{inc.id} is SEV-1, which the playbook does not define"
    ]
    st.close(inc.id)  # a closed incident no longer needs its severity on screen
    assert st.playbook_conflicts(no_sev1) == []
    only_sev1 = replace(PLAYBOOK, severities=PLAYBOOK.severities[:1])
    assert st.playbook_conflicts(only_sev1) == [
        f"{minor.id} is SEV-3, which the playbook does not define"
    ]


def test_a_read_only_store_never_writes(db: Path, st: Store, inc: Incident) -> None:
    observer = Store(db, PLAYBOOK, read_only=True)
    try:
        before = st.data_version()
        assert observer.get(inc.id) == inc
        with pytest.raises(StoreError, match="read-only: cannot log the entry"):
            observer.log(inc.id, "from the observer")
        with pytest.raises(StoreError, match="read-only: cannot declare"):
            observer.declare("Another", 3)
        assert st.data_version() == before
    finally:
        observer.dispose()


@pytest.mark.sqlite_only("an SQLite file of an earlier schema (PRAGMA user_version)")
def test_a_read_only_store_does_not_upgrade_or_create(db: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "w.db"
    with pytest.raises(StoreError, match="no such file") as info:
        Store(missing, PLAYBOOK, read_only=True)
    _assert_one_line_naming(info.value, missing)
    assert not missing.parent.exists()

    with closing(sqlite3.connect(db)) as conn:
        conn.executescript(SCHEMA_1)
    with pytest.raises(StoreError, match="open it once without --read-only") as info:
        Store(db, PLAYBOOK, read_only=True)
    _assert_one_line_naming(info.value, db)
    assert "root_cause_category" not in _columns(db, "incident")
    assert _user_version(db) == 0


def test_declaring_can_acknowledge_and_name_the_commander(st: Store) -> None:
    inc = st.declare("Checkout down", 1, acknowledged=True, commander="@carol")
    assert inc.acknowledged_at == inc.declared_at
    assert st.roles(inc.id)["ic"].person == "carol"
    assert texts(st, inc.id)[-2:] == ["Acknowledged", "IC assigned to carol"]
    st.assign(inc.id, "ic", "dave")
    assert texts(st, inc.id)[-1] == "IC handed off from carol to dave"


def test_declaring_names_no_commander_unless_told(st: Store) -> None:
    inc = st.declare("Checkout down", 1)
    assert (inc.acknowledged_at, st.roles(inc.id)) == (None, {})
    with pytest.raises(ValueError, match="commander needs a name"):
        st.declare("Another", 2, commander=" @ ")
    no_ic = replace(PLAYBOOK, roles=[r for r in PLAYBOOK.roles if r.key != "ic"])
    st.playbook = no_ic
    with pytest.raises(KeyError, match="no IC role"):
        st.declare("Another", 2, commander="carol")
    assert [i.title for i in st.incidents()] == ["Checkout down"]  # nothing half-declared


# --- auto ticks ----------------------------------------------------------------------------

AUTO = default_playbook()  # with the runbook's auto ticks


@pytest.fixture
def auto(db: Path, fake_clock: FakeClock) -> Iterator[Store]:
    store = Store(db, AUTO, clock=fake_clock, author="alice")
    yield store
    store.dispose()


def ticked(store: Store, incident_id: str) -> dict[str, str | None]:
    """Ticked items: text -> who ticked it."""
    return {i.text: i.done_by for i in store.checklist(incident_id) if i.done_at is not None}


def auto_entries(store: Store, incident_id: str) -> list[tuple[str, str]]:
    return [(e.data["auto"], e.text) for e in store.timeline(incident_id) if "auto" in e.data]


DECLARE = "Declare incident - Create incident thread if SEV-1 or SEV-2"
COMMUNICATE = "Communicate - Update team and affected users"
DOCUMENT = "Document - Complete post-incident review"


def test_the_war_rooms_declaration_ticks_what_it_did(auto: Store) -> None:
    inc = auto.declare("Checkout down", 1, acknowledged=True, commander="alice")
    assert ticked(auto, inc.id) == {
        "Acknowledge immediately - Respond in incident channel": "alice",
        DECLARE: "alice",
        "Acknowledge alert in incident channel": "alice",
        "Assign Incident Commander": "alice",
    }
    assert auto_entries(auto, inc.id) == [
        (
            "acknowledged",
            "Done: Acknowledge immediately - Respond in incident channel (Quick Start)",
        ),
        ("declared", f"Done: {DECLARE} (Quick Start)"),
        ("acknowledged", "Done: Acknowledge alert in incident channel (First 5 minutes)"),
        ("ic_assigned", "Done: Assign Incident Commander (SEV-1 actions)"),
    ]


def test_a_scripts_declaration_ticks_only_declare_until_a_person_acts(auto: Store) -> None:
    inc = auto.declare("Checkout down", 1, author="deploybot")
    assert ticked(auto, inc.id) == {DECLARE: "deploybot"}  # the record shows it declared
    auto.acknowledge(inc.id, author="bob")
    assert len(ticked(auto, inc.id)) == 3
    assert [who for text, who in ticked(auto, inc.id).items() if text != DECLARE] == ["bob"] * 2


def test_declaring_ticks_declare_incident(auto: Store) -> None:
    """Issue 8: "Declare incident" ticks when declared (not when a declaration is sent)."""
    inc = auto.declare("Checkout down", 2, author="carol")
    assert ticked(auto, inc.id) == {DECLARE: "carol"}
    assert auto_entries(auto, inc.id) == [("declared", f"Done: {DECLARE} (Quick Start)")]


def test_a_declare_incident_a_person_unticks_stays_unticked(auto: Store) -> None:
    inc = auto.declare("Checkout down", 2)
    item = next(i for i in auto.checklist(inc.id) if i.text == DECLARE)
    auto.tick(item.id, False, author="bob")
    auto.acknowledge(inc.id)  # the checks run again
    auto.set_severity(inc.id, 1)
    assert DECLARE not in ticked(auto, inc.id)


def test_the_first_internal_status_update_ticks_communicate(
    auto: Store, fake_clock: FakeClock
) -> None:
    """Issue 8: "Communicate" ticks when the first internal update is sent; the declaration
    and the customer and stakeholder updates are not one."""
    inc = auto.declare("Checkout down", 1)
    send_message(auto, inc.id, "declaration", "INCIDENT DECLARED", ["ops"])
    send_message(auto, inc.id, "customer", "Dear users", ["status page"])
    auto.record_update(inc.id, UpdateKind.STAKEHOLDER, "execs told")
    assert COMMUNICATE not in ticked(auto, inc.id)
    fake_clock.advance(minutes=30)
    send_message(auto, inc.id, "status_update", "Still looking", ["ops"], author="dave")
    assert ticked(auto, inc.id)[COMMUNICATE] == "dave"
    done = next(i for i in auto.checklist(inc.id) if i.text == COMMUNICATE)
    send_message(auto, inc.id, "status_update", "Rolled back", ["ops"], author="erin")
    assert next(i for i in auto.checklist(inc.id) if i.id == done.id) == done  # ticked once


def test_an_update_recorded_by_hand_ticks_communicate(auto: Store) -> None:
    inc = auto.declare("Checkout down", 2)
    auto.record_update(inc.id, UpdateKind.INTERNAL, "told the team in chat", author="bob")
    assert ticked(auto, inc.id)[COMMUNICATE] == "bob"


def test_recording_the_final_review_ticks_document(auto: Store) -> None:
    """Issue 8: "Document" ticks when the review is written (export_review records its path;
    tests/unit/test_review.py checks that the written review shows it)."""
    inc = auto.declare("Checkout down", 2)
    auto.close(inc.id)
    assert DOCUMENT not in ticked(auto, inc.id)
    auto.set_review_path(inc.id, "/tmp/review.md", author="alice")
    assert ticked(auto, inc.id)[DOCUMENT] == "alice"
    assert auto_entries(auto, inc.id)[-1] == ("review_written", f"Done: {DOCUMENT} (Quick Start)")


def test_a_document_a_person_ticked_is_left_alone(auto: Store) -> None:
    inc = auto.declare("Checkout down", 2)
    item = next(i for i in auto.checklist(inc.id) if i.text == DOCUMENT)
    auto.tick(item.id, True, author="carol")  # written elsewhere, before the close
    auto.close(inc.id)
    auto.set_review_path(inc.id, "/tmp/review.md", author="alice")
    assert ticked(auto, inc.id)[DOCUMENT] == "carol"


def test_a_severity_raise_counts_an_action_done_under_the_old_severity(
    auto: Store, fake_clock: FakeClock
) -> None:
    """Issue 8: after SEV-2 -> SEV-1 the review listed "Assign Incident Commander" under
    "SEV-2 actions (1/1)" while "SEV-1 actions" showed 0/5."""
    inc = auto.declare("Checkout down", 2)
    item = next(i for i in auto.checklist(inc.id) if i.text == "Assign Incident Commander")
    auto.tick(item.id, True, author="bob")
    fake_clock.advance(minutes=5)
    auto.set_severity(inc.id, 1, author="carol")
    sev1 = [i for i in auto.checklist(inc.id) if i.section == "severity-1"]
    assert [i.text for i in sev1] == SEV1_ACTIONS
    done = [i for i in sev1 if i.done]
    assert [(i.id, i.text, i.done_by, i.done_at) for i in done] == [
        (item.id, "Assign Incident Commander", "bob", START)
    ]
    assert section(auto, inc.id, "severity-2") == []
    auto.set_severity(inc.id, 2)  # and back again: still one, still done
    assert section(auto, inc.id, "severity-2") == [
        (text, text == item.text) for text in SEV2_ACTIONS
    ]
    assert section(auto, inc.id, "severity-1") == []


def test_every_role_held_ticks_assign_roles(auto: Store) -> None:
    inc = auto.declare("Checkout down", 2, commander="alice")
    for role, person in (("ops", "bob"), ("dev", "carol")):
        auto.assign(inc.id, role, person)
        assert "Assign roles - IC, Ops, Dev, Comms" not in ticked(auto, inc.id)
    auto.assign(inc.id, "comms", "dave", author="erin")
    assert ticked(auto, inc.id)["Assign roles - IC, Ops, Dev, Comms"] == "erin"


def test_an_item_a_person_unticked_stays_unticked(auto: Store) -> None:
    inc = auto.declare("Checkout down", 1, acknowledged=True)
    item = next(i for i in auto.checklist(inc.id) if i.text.startswith("Acknowledge immediately"))
    auto.tick(item.id, False, author="bob")
    auto.assign(inc.id, "ic", "alice")  # another change: the checks run again
    auto.set_severity(inc.id, 2)
    assert item.text not in ticked(auto, inc.id)
    assert "Acknowledge alert in incident channel" in ticked(auto, inc.id)


def test_a_severity_change_ticks_new_actions_already_done(auto: Store) -> None:
    inc = auto.declare("Search slow", 3, commander="alice")
    assert "Assign Incident Commander" not in ticked(auto, inc.id)  # SEV-3 does not ask it
    auto.set_severity(inc.id, 1, author="bob")
    assert ticked(auto, inc.id)["Assign Incident Commander"] == "bob"


def test_mitigation_and_resolution_tick_their_steps(auto: Store, fake_clock: FakeClock) -> None:
    inc = auto.declare("Checkout down", 1)
    auto.start_mitigation(inc.id, "rollback")
    assert "Mitigate - Rollback, disable features, or apply hotfix" not in ticked(auto, inc.id)
    fake_clock.advance(minutes=5)
    auto.apply_mitigation(inc.id, "rollback")
    assert "Mitigate - Rollback, disable features, or apply hotfix" in ticked(auto, inc.id)
    auto.set_status(inc.id, Status.RESOLVED)
    assert "Resolve - Verify fix and monitor" in ticked(auto, inc.id)


def test_closing_unresolved_ticks_resolve_before_closing(auto: Store) -> None:
    inc = auto.declare("Checkout down", 2)
    auto.close(inc.id)
    kinds_texts = [(e.kind, e.text) for e in auto.timeline(inc.id)][-3:]
    assert kinds_texts == [
        (EntryKind.STATUS, "Status Investigating -> Resolved"),
        (EntryKind.CHECKLIST, "Done: Resolve - Verify fix and monitor (Quick Start)"),
        (EntryKind.CLOSED, "Incident closed"),
    ]


def test_sending_the_declaration_ticks_declare_items(auto: Store) -> None:
    inc = auto.declare("Checkout down", 1)
    send_message(auto, inc.id, "status_update", "Still looking", ["ops"])
    assert "Declare incident in team channel" not in ticked(auto, inc.id)
    send_message(auto, inc.id, "declaration", "INCIDENT DECLARED", ["ops"], author="carol")
    assert ticked(auto, inc.id)["Declare incident in team channel"] == "carol"


def test_a_severity_action_a_person_unticked_stays_unticked_at_another_severity(
    auto: Store,
) -> None:
    inc = auto.declare("Checkout down", 2, commander="alice")
    item = next(i for i in auto.checklist(inc.id) if i.text == "Assign Incident Commander")
    assert item.done_by == "alice"
    auto.tick(item.id, False, author="bob")
    auto.set_severity(inc.id, 1, author="bob")  # brings a new "Assign Incident Commander"
    assert "Assign Incident Commander" not in ticked(auto, inc.id)


def test_an_opt_out_is_by_text_not_by_a_reused_row(auto: Store) -> None:
    inc = auto.declare("Search slow", 3)
    team = next(i for i in auto.checklist(inc.id) if i.text == "Assign to relevant team")
    auto.tick(team.id, True)
    auto.tick(team.id, False)
    auto.set_severity(inc.id, 1)  # the SEV-3 rows go; SQLite may give their ids to new rows
    send_message(auto, inc.id, "declaration", "INCIDENT DECLARED", [])
    assert "Declare incident in team channel" in ticked(auto, inc.id)


def test_reopening_unticks_what_resolving_ticked(auto: Store) -> None:
    inc = auto.declare("Checkout down", 2)
    resolve = "Resolve - Verify fix and monitor"
    auto.set_status(inc.id, Status.RESOLVED)
    assert resolve in ticked(auto, inc.id)
    auto.set_status(inc.id, Status.MITIGATING, author="bob")  # the fix did not hold
    assert resolve not in ticked(auto, inc.id)
    assert texts(auto, inc.id)[-1] == f"Unticked: {resolve} (Quick Start)"
    auto.set_status(inc.id, Status.RESOLVED)  # an automatic untick is no person's opt-out
    assert resolve in ticked(auto, inc.id)


def test_reopening_leaves_what_a_person_ticked(auto: Store) -> None:
    inc = auto.declare("Checkout down", 2)
    item = next(i for i in auto.checklist(inc.id) if i.text.startswith("Resolve - Verify"))
    auto.tick(item.id, True, author="carol")
    auto.set_status(inc.id, Status.RESOLVED)
    auto.set_status(inc.id, Status.MITIGATING)
    assert ticked(auto, inc.id)[item.text] == "carol"


def test_the_commander_is_the_role_keyed_ic(auto: Store) -> None:
    renamed = [replace(r, key="commander") if r.key == "ic" else r for r in AUTO.roles]
    auto.playbook = replace(AUTO, roles=renamed, auto_tick=AutoTicks())
    with pytest.raises(KeyError, match="no IC role"):
        auto.declare("Checkout down", 1, commander="alice")
    assert auto.incidents() == []


def test_observations_are_logged_once_across_war_rooms_and_never_into_a_closed_incident(
    db_path: Path, clock: FakeClock
) -> None:
    here = Store(db_path, default_playbook(), clock=clock, author="alice")
    there = Store(db_path, default_playbook(), clock=clock, author="bob")  # another machine
    incident = here.declare("Payments failing", 1)
    lines = ["Stripe: API major outage", "Stripe: API major outage", "Vercel: degraded"]
    assert here.record_observations(incident.id, lines, "radar") == 2
    assert there.record_observations(incident.id, lines[:1], "radar") == 0
    clock.advance(minutes=16)  # the same change again, much later: a new event
    assert there.record_observations(incident.id, lines[:1], "radar") == 1
    logged = [e for e in here.timeline(incident.id) if e.author == "radar"]
    assert [e.text for e in logged] == [lines[0], lines[2], lines[0]]
    report = here.verify_chain(incident.id)  # the radar's entries are links like any other
    assert report.ok and report.unchained_before is None
    here.close(incident.id)
    assert there.record_observations(incident.id, ["Stripe: resolved"], "radar") == 0
    assert there.record_observations("INC-1999-01-01-1", ["x"], "radar") == 0
    here.dispose()
    there.dispose()
