"""The outbox: one transaction per send, atomic claims, retries, crash recovery."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import FakeClock

from warroom.comms.messages import MessageKind
from warroom.domain.model import EntryKind, Status
from warroom.playbook import default_playbook
from warroom.store import outbox
from warroom.store.outbox import (
    OutboxStatus,
    claim,
    counts,
    due_messages,
    list_outbox,
    mark_failed,
    mark_retry,
    mark_sent,
    recover_interrupted,
    retry,
    send_message,
)
from warroom.store.store import NotFound, Store, StoreError
from warroom.store.target import DatabaseTarget


@pytest.fixture
def db_path(any_db: Path | DatabaseTarget) -> Path | DatabaseTarget:
    """conftest's `store` on SQLite and on PostgreSQL (conftest.any_db)."""
    return any_db


@pytest.fixture
def iid(store: Store) -> str:
    return store.declare("Checkout failing", 1).id


def test_send_records_the_update_and_queues_one_row_per_channel(
    store: Store, clock: FakeClock, iid: str
) -> None:
    clock.advance(minutes=10)
    ids = send_message(store, iid, MessageKind.STATUS_UPDATE, "⏱️ UPDATE\nall good", ["a", "b"])
    assert len(ids) == 2
    incident = store.get(iid)
    assert incident.last_internal_update_at == clock()
    assert incident.last_customer_update_at is None
    assert incident.last_stakeholder_update_at is None
    entry = [e for e in store.timeline(iid) if e.kind is EntryKind.UPDATE][-1]
    assert entry.text == "Status update sent (status_update):\n⏱️ UPDATE\nall good"
    assert entry.data == {"update": "internal", "message": "status_update", "channels": "a, b"}
    assert entry.author == "alice"
    rows = sorted(list_outbox(store, iid), key=lambda r: r.id)
    assert [(r.channel, r.status, r.attempts) for r in rows] == [
        ("a", OutboxStatus.PENDING, 0),
        ("b", OutboxStatus.PENDING, 0),
    ]
    assert all(r.text == "⏱️ UPDATE\nall good" for r in rows)
    assert all(r.entry_id == entry.id and r.next_attempt_at == clock() for r in rows)
    assert rows[0].idempotency_key != rows[1].idempotency_key
    assert rows[0].label == "Internal: Status Update"


@pytest.mark.parametrize("kind", [MessageKind.CUSTOMER, MessageKind.CUSTOMER_RESOLVED])
def test_customer_messages_restart_the_customer_and_stakeholder_clocks(
    store: Store, clock: FakeClock, iid: str, kind: MessageKind
) -> None:
    clock.advance(minutes=61)
    send_message(store, iid, kind, "Dear users", [])
    incident = store.get(iid)
    assert incident.last_customer_update_at == clock()
    assert incident.last_stakeholder_update_at == clock()
    assert incident.last_internal_update_at is None
    assert store.timeline(iid)[-1].data["update"] == "customer"


def test_zero_channels_is_recorded_with_nothing_queued(store: Store, iid: str) -> None:
    assert send_message(store, iid, "declaration", "🚨 declared", []) == []
    assert store.get(iid).last_internal_update_at is not None
    assert list_outbox(store) == []


def test_channel_names_are_deduplicated_and_text_cleaned(store: Store, iid: str) -> None:
    ids = send_message(store, iid, "resolved", "ok \x1b[31mred\x1b[0m\r\n", ["a", "a", " a "])
    assert len(ids) == 1
    assert list_outbox(store)[0].text == "ok red"


@pytest.mark.parametrize(
    ("text", "channels", "error"),
    [("  \n", ["a"], "empty"), ("x", [""], "channel needs a name")],
)
def test_bad_sends_are_refused(
    store: Store, iid: str, text: str, channels: list[str], error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        send_message(store, iid, "status_update", text, channels)
    assert store.get(iid).last_internal_update_at is None


def test_send_to_unknown_or_closed_incident(store: Store, iid: str) -> None:
    with pytest.raises(NotFound):
        send_message(store, "INC-1999-01-01-1", "status_update", "x", ["a"])
    store.close(iid)
    with pytest.raises(ValueError, match="closed"):
        send_message(store, iid, "status_update", "x", ["a"])
    assert list_outbox(store) == []


def test_send_is_one_transaction(store: Store, iid: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure while queueing leaves no clock restarted and no timeline entry."""

    monkeypatch.setattr("warroom.store.incidents.new_key", lambda: "always-the-same")
    before = len(store.timeline(iid))
    with pytest.raises(StoreError):
        send_message(store, iid, "status_update", "x", ["a", "b"])  # unique key violated
    assert store.get(iid).last_internal_update_at is None
    assert len(store.timeline(iid)) == before
    assert list_outbox(store) == []


# -- due, claim, settle ------------------------------------------------------------------


def test_one_row_per_channel_is_due_oldest_first(store: Store, clock: FakeClock, iid: str) -> None:
    first = send_message(store, iid, "declaration", "one", ["slack", "hook"])
    second = send_message(store, iid, "status_update", "two", ["slack"])
    due = due_messages(store, clock())
    assert [d.id for d in due] == first
    # While the head of "slack" is being sent, nothing else of "slack" is due.
    assert claim(store, first[0], clock()) is not None
    assert [d.id for d in due_messages(store, clock())] == [first[1]]
    mark_sent(store, first[0], clock())
    assert [d.id for d in due_messages(store, clock())] == [first[1], second[0]]


def test_claim_is_atomic_and_counts_an_attempt(store: Store, clock: FakeClock, iid: str) -> None:
    [mid] = send_message(store, iid, "declaration", "one", ["a"])
    claimed = claim(store, mid, clock(), owner="me:1")
    assert claimed is not None
    assert (claimed.status, claimed.attempts, claimed.claimed_by) == (
        OutboxStatus.SENDING,
        1,
        "me:1",
    )
    assert claimed.claimed_at == clock()
    assert claim(store, mid, clock()) is None


def test_claim_waits_for_next_attempt(store: Store, clock: FakeClock, iid: str) -> None:
    [mid] = send_message(store, iid, "declaration", "one", ["a"])
    claim(store, mid, clock())
    mark_retry(store, mid, "503 Service Unavailable", clock() + timedelta(seconds=30))
    assert due_messages(store, clock()) == []
    assert claim(store, mid, clock()) is None
    later = clock.advance(seconds=30)
    [item] = due_messages(store, later)
    assert item.last_error == "503 Service Unavailable"
    assert claim(store, mid, later) is not None


def test_two_stores_racing_claim_once(db_path: Path, store: Store, clock: FakeClock) -> None:
    iid = store.declare("x", 1).id
    [mid] = send_message(store, iid, "declaration", "one", ["a"])
    stores = [Store(db_path, default_playbook(), clock=clock) for _ in range(6)]
    wins: list[object] = []
    barrier = threading.Barrier(len(stores))

    def race(other: Store) -> None:
        barrier.wait()
        wins.append(claim(other, mid, clock()))

    threads = [threading.Thread(target=race, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.dispose()
    assert len([w for w in wins if w is not None]) == 1


def test_sent_holds_the_channel_for_its_rate_limit(
    store: Store, clock: FakeClock, iid: str
) -> None:
    [a1] = send_message(store, iid, "declaration", "one", ["slack"])
    [a2] = send_message(store, iid, "status_update", "two", ["slack"])
    claim(store, a1, clock())
    sent = mark_sent(store, a1, clock(), hold_channel_until=clock() + timedelta(seconds=1))
    assert sent.status is OutboxStatus.SENT and sent.sent_at == clock()
    assert due_messages(store, clock()) == []  # held in the database: survives a restart
    assert [d.id for d in due_messages(store, clock() + timedelta(seconds=1))] == [a2]


def test_retry_after_holds_the_whole_channel(store: Store, clock: FakeClock, iid: str) -> None:
    [a1] = send_message(store, iid, "declaration", "one", ["slack"])
    [a2] = send_message(store, iid, "status_update", "two", ["slack"])
    claim(store, a1, clock())
    until = clock() + timedelta(seconds=20)
    mark_retry(store, a1, "429 Too Many Requests", until, hold_channel=True)
    rows = {r.id: r for r in list_outbox(store)}
    assert rows[a1].next_attempt_at == until
    assert rows[a2].next_attempt_at == until


def test_failed_and_the_ics_retry(store: Store, clock: FakeClock, iid: str) -> None:
    [mid] = send_message(store, iid, "declaration", "one", ["a"])
    claim(store, mid, clock())
    failed = mark_failed(store, mid, "410 Gone: the webhook was deleted")
    assert failed.status is OutboxStatus.FAILED
    assert failed.last_error == "410 Gone: the webhook was deleted"
    assert due_messages(store, clock()) == []
    assert counts(store, iid)[OutboxStatus.FAILED] == 1
    later = clock.advance(minutes=5)
    again = retry(store, mid)
    assert (again.status, again.attempts, again.next_attempt_at) == (
        OutboxStatus.PENDING,
        0,
        later,
    )
    assert [d.id for d in due_messages(store, later)] == [mid]
    claim(store, mid, later)
    with pytest.raises(ValueError, match="being sent"):
        retry(store, mid)
    mark_sent(store, mid, later)
    with pytest.raises(ValueError, match="already sent"):
        retry(store, mid)
    with pytest.raises(NotFound):
        retry(store, 999)


def test_a_failed_head_does_not_block_its_channel(store: Store, clock: FakeClock, iid: str) -> None:
    [a1] = send_message(store, iid, "declaration", "one", ["a"])
    [a2] = send_message(store, iid, "status_update", "two", ["a"])
    claim(store, a1, clock())
    mark_failed(store, a1, "400 Bad Request")
    assert [d.id for d in due_messages(store, clock())] == [a2]


def test_errors_are_one_short_line(store: Store, clock: FakeClock, iid: str) -> None:
    [mid] = send_message(store, iid, "declaration", "one", ["a"])
    claim(store, mid, clock())
    item = mark_failed(store, mid, "line one\nline two \x1b[31m" + "x" * 1000)
    assert "\n" not in item.last_error and "\x1b" not in item.last_error
    assert len(item.last_error) <= outbox.ERROR_LENGTH


def test_list_and_counts(store: Store, clock: FakeClock) -> None:
    one = store.declare("one", 1).id
    two = store.declare("two", 2).id
    send_message(store, one, "declaration", "a", ["x", "y"])
    send_message(store, two, "declaration", "b", ["x"])
    assert [r.incident_id for r in list_outbox(store)] == [two, one, one]  # newest first
    assert len(list_outbox(store, one)) == 2
    assert len(list_outbox(store, limit=1)) == 1
    assert counts(store) == {
        OutboxStatus.PENDING: 3,
        OutboxStatus.SENDING: 0,
        OutboxStatus.SENT: 0,
        OutboxStatus.FAILED: 0,
    }


# -- crash recovery ----------------------------------------------------------------------


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_rows_of_a_dead_process_go_back_to_pending(
    store: Store, clock: FakeClock, iid: str
) -> None:
    [mid] = send_message(store, iid, "declaration", "one", ["a"])
    claim(store, mid, clock(), owner=f"{outbox.socket.gethostname()}:{_dead_pid()}")
    assert due_messages(store, clock()) == []
    assert recover_interrupted(store, clock()) == [mid]
    [item] = due_messages(store, clock())
    assert item.attempts == 1  # the interrupted attempt counts
    assert "interrupted" in item.last_error


def test_rows_of_a_live_process_wait_for_the_lease(
    store: Store, clock: FakeClock, iid: str
) -> None:
    [mine] = send_message(store, iid, "declaration", "one", ["a"])
    [other_host] = send_message(store, iid, "declaration", "one", ["b"])
    [live] = send_message(store, iid, "declaration", "one", ["c"])
    host = outbox.socket.gethostname()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        claim(store, mine, clock())  # this process: another thread may be posting it
        claim(store, other_host, clock(), owner="elsewhere:1")
        claim(store, live, clock(), owner=f"{host}:{sleeper.pid}")
        assert recover_interrupted(store, clock()) == []
        later = clock() + outbox.DEFAULT_LEASE
        assert sorted(recover_interrupted(store, later)) == [mine, other_host, live]
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.sqlite_only("SQLite's write lock on the file")
def test_recovery_without_rows_sending_takes_no_write_lock(store: Store) -> None:
    blocker = sqlite3.connect(store.path, timeout=0.1)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        assert recover_interrupted(store, store.clock()) == []
    finally:
        blocker.rollback()
        blocker.close()


# -- the table -----------------------------------------------------------------------------


@pytest.mark.sqlite_only("an SQLite file of an earlier release")
def test_the_table_is_created_for_an_older_database(db_path: Path, clock: FakeClock) -> None:
    first = Store(db_path, default_playbook(), clock=clock)
    iid = first.declare("x", 1).id
    first.dispose()
    with sqlite3.connect(db_path) as raw:
        raw.execute("DROP TABLE outbox_message")
    again = Store(db_path, default_playbook(), clock=clock)
    try:
        assert send_message(again, iid, "declaration", "x", ["a"]) == [1]
    finally:
        again.dispose()


def test_the_table_joins_the_metadata() -> None:
    from sqlmodel import SQLModel

    assert "outbox_message" in SQLModel.metadata.tables


def test_a_status_change_keeps_the_queue(store: Store, clock: FakeClock, iid: str) -> None:
    send_message(store, iid, "declaration", "x", ["a"])
    store.set_status(iid, Status.RESOLVED)
    assert len(due_messages(store, clock())) == 1


def test_the_outbox_loads_neither_jinja2_nor_httpx() -> None:
    """The store imports it (for the table): `warroom log` must stay light."""
    code = (
        "import sys, warroom.store.outbox, warroom.store.store; "
        "print(sorted(m for m in ('jinja2', 'httpx', 'textual') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
