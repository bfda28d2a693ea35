"""The outbox: each message to each channel, from "sent by the IC" to "posted" (or not).

Sending a message is one transaction (`send_message`): the incident's update clocks restart,
the full text goes into the timeline, and one pending row per channel joins the outbox. What
happens on the network comes later and elsewhere (warroom.integrations.delivery), so typing
never waits for chat and nothing is lost when chat is down.

A delivery goes pending -> sending (`claim`: one atomic UPDATE, so two processes never post
the same row) -> sent, or back to pending with a later `next_attempt_at` (`mark_retry`), or
failed (`mark_failed`), which the IC can `retry`. Rows of one channel go out in order: only the
oldest unfinished row of a channel is ever due.

At-least-once, not exactly-once. A row is marked sent only after the channel answered 2xx,
so a process killed between the post and that commit leaves it in `sending`;
`recover_interrupted` puts it back to pending and it is posted again. The generic webhook
carries the row's idempotency key (header and body) so the receiver can drop the repeat;
Slack, Discord and Teams webhooks have no such key and will show it twice. The window is kept
small (the row is marked sent right after the answer), and a duplicate update is better than
a lost one. A timeout is the same: the channel may have posted it, and it is sent again.

The table is `tables.OutboxMessage`. As in the Store, reads and writes are plain SQL, through
the Store's public `query` and `transaction` (sql.py says why there is no ORM on this path).
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from warroom.domain.messages import MessageKind, OutboxStatus
from warroom.domain.text import clean_line, clean_text
from warroom.domain.timefmt import utc
from warroom.store.reader import NotFound, Record
from warroom.store.sql import NO_LIMIT, Tx

if TYPE_CHECKING:
    from warroom.store.store import Store

__all__ = [
    "DEFAULT_LEASE",
    "OutboxItem",
    "OutboxStatus",
    "claim",
    "counts",
    "due_messages",
    "list_outbox",
    "mark_failed",
    "mark_retry",
    "mark_sent",
    "get_message",
    "next_attempt_at",
    "note_problem",
    "pending_heads",
    "process_owner",
    "recover_interrupted",
    "retry",
    "send_message",
]

DEFAULT_LEASE = timedelta(minutes=2)
"""A row left in `sending` longer than this is taken back, whoever claimed it.

Longer than any one post can take (the client's timeout is 10 s per phase)."""

ERROR_LENGTH = 300


_UNFINISHED = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A row of the outbox as the rest of warroom sees it: immutable, times aware UTC."""

    id: int
    incident_id: str
    kind: str  # a MessageKind value
    channel: str
    text: str
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str
    created_at: datetime
    sent_at: datetime | None
    claimed_at: datetime | None
    claimed_by: str
    idempotency_key: str
    author: str
    entry_id: int | None

    @property
    def label(self) -> str:
        """The message's template, as the runbook names it."""
        try:
            return MessageKind(self.kind).label
        except ValueError:
            return self.kind


def _item(row: Record) -> OutboxItem:
    assert row.id is not None
    return OutboxItem(
        id=row.id,
        incident_id=row.incident_id,
        kind=row.kind,
        channel=row.channel,
        text=row.text,
        status=OutboxStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=utc(row.next_attempt_at),
        last_error=row.last_error,
        created_at=utc(row.created_at),
        sent_at=utc(row.sent_at) if row.sent_at else None,
        claimed_at=utc(row.claimed_at) if row.claimed_at else None,
        claimed_by=row.claimed_by,
        idempotency_key=row.idempotency_key,
        author=row.author,
        entry_id=row.entry_id,
    )


def process_owner() -> str:
    """Who claims a row: this host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _row(tx: Tx, message_id: int) -> Record:
    row = tx.get("outbox_message", message_id)
    if row is None:
        raise NotFound(f"no outbox message {message_id}")
    return row


def _error_text(text: str) -> str:
    line = clean_line(text)
    return line if len(line) <= ERROR_LENGTH else line[: ERROR_LENGTH - 1] + "…"


# -- sending -------------------------------------------------------------------------------


def send_message(
    store: Store,
    incident_id: str,
    kind: MessageKind | str,
    text: str,
    channels: Sequence[str],
    author: str | None = None,
) -> list[int]:
    """The IC sends a message: in one transaction, restart its clocks, put the full text in the
    timeline, and queue one pending row per channel. Returns the rows' ids (none for no
    channels: the update is recorded all the same)."""
    kind = MessageKind(kind)
    body = clean_text(text)
    if not body.strip():
        raise ValueError("nothing to send: the message is empty")
    names: list[str] = []
    for name in channels:
        cleaned = clean_line(name)
        if not cleaned:
            raise ValueError("a channel needs a name")
        if cleaned not in names:
            names.append(cleaned)
    return store.send_message(incident_id, kind, body, names, author)


# -- reading -------------------------------------------------------------------------------


def list_outbox(
    store: Store, incident_id: str | None = None, limit: int | None = None
) -> list[OutboxItem]:
    """The outbox, newest first; one incident's or everything."""
    where, params = (
        ("WHERE incident_id = ?", [incident_id]) if incident_id is not None else ("", [])
    )
    rows = store.query(
        f"SELECT * FROM outbox_message {where} ORDER BY id DESC LIMIT ?",
        (*params, NO_LIMIT if limit is None else limit),
    )
    return [_item(r) for r in rows]


def get_message(store: Store, message_id: int) -> OutboxItem:
    row = store.query_first("SELECT * FROM outbox_message WHERE id = ?", (message_id,))
    if row is None:
        raise NotFound(f"no outbox message {message_id}")
    return _item(row)


def counts(store: Store, incident_id: str | None = None) -> dict[OutboxStatus, int]:
    """How many rows are in each status (for a status bar: "2 waiting, 1 failed")."""
    where, params = (
        ("WHERE incident_id = ?", (incident_id,)) if incident_id is not None else ("", ())
    )
    rows = store.query(
        f"SELECT status, count(*) AS n FROM outbox_message {where} GROUP BY status", params
    )
    found = {s: 0 for s in OutboxStatus}
    for row in rows:
        found[OutboxStatus(row.status)] = int(row.n)
    return found


def due_messages(store: Store, now: datetime, limit: int = 20) -> list[OutboxItem]:
    """Pending rows whose time has come, at most one per channel, soonest first."""
    now = utc(now)
    due = [h for h in pending_heads(store) if h.next_attempt_at <= now]
    due.sort(key=lambda h: (h.next_attempt_at, h.id))
    return due[:limit]


def pending_heads(store: Store) -> list[OutboxItem]:
    """Each channel's oldest unfinished row, if it is pending: what may go out next.

    Only the oldest unfinished row of a channel may go, so that a channel's messages keep
    their order.
    """
    rows = store.query(
        "SELECT m.* FROM outbox_message AS m JOIN ("
        " SELECT min(id) AS head FROM outbox_message WHERE status IN (?, ?) GROUP BY channel"
        ") AS first ON m.id = first.head",
        _UNFINISHED,
    )
    heads = [_item(r) for r in rows]
    return [h for h in heads if h.status is OutboxStatus.PENDING]


def next_attempt_at(store: Store) -> datetime | None:
    """When the next pending row (of any channel) becomes due; None if nothing is waiting."""
    return min((h.next_attempt_at for h in pending_heads(store)), default=None)


# -- the delivery's steps ------------------------------------------------------------------


def claim(
    store: Store, message_id: int, now: datetime, owner: str | None = None
) -> OutboxItem | None:
    """pending -> sending, atomically, if the row is still pending and due; None otherwise.

    Counts an attempt: a message that kills its sender every time still runs out of attempts.
    """
    now = utc(now)
    with store.transaction("claim the message") as tx:
        changed = tx.execute(
            "UPDATE outbox_message SET status = ?, attempts = attempts + 1, claimed_at = ?,"
            " claimed_by = ? WHERE id = ? AND status = ? AND next_attempt_at <= ?",
            (
                OutboxStatus.SENDING.value,
                now,
                owner if owner is not None else process_owner(),
                message_id,
                OutboxStatus.PENDING.value,
                now,
            ),
        )
        return _item(_row(tx, message_id)) if changed == 1 else None


def _hold_channel(tx: Tx, channel: str, until: datetime, but: int) -> None:
    """Nothing else goes to `channel` before `until`: its rate limit, kept across restarts."""
    tx.execute(
        "UPDATE outbox_message SET next_attempt_at = ?"
        " WHERE channel = ? AND status = ? AND id != ? AND next_attempt_at < ?",
        (until, channel, OutboxStatus.PENDING.value, but, until),
    )


def mark_sent(
    store: Store, message_id: int, now: datetime, hold_channel_until: datetime | None = None
) -> OutboxItem:
    """The channel answered 2xx. `hold_channel_until` keeps its other rows back (rate limit)."""
    with store.transaction("mark the message sent") as tx:
        row = _row(tx, message_id)
        row.status = OutboxStatus.SENT.value
        row.sent_at = utc(now)
        row.last_error = ""
        row.claimed_by = ""
        tx.save("outbox_message", row)
        if hold_channel_until is not None:
            _hold_channel(tx, row.channel, utc(hold_channel_until), message_id)
        return _item(row)


def mark_retry(
    store: Store,
    message_id: int,
    error: str,
    next_at: datetime,
    hold_channel: bool = False,
) -> OutboxItem:
    """Back to pending, to be tried again at `next_at`; `hold_channel` holds the whole channel
    (the channel said it is rate limited or unavailable)."""
    with store.transaction("reschedule the message") as tx:
        row = _row(tx, message_id)
        row.status = OutboxStatus.PENDING.value
        row.next_attempt_at = utc(next_at)
        row.last_error = _error_text(error)
        row.claimed_by = ""
        tx.save("outbox_message", row)
        if hold_channel:
            _hold_channel(tx, row.channel, utc(next_at), message_id)
        return _item(row)


def mark_failed(store: Store, message_id: int, reason: str) -> OutboxItem:
    """Given up: the IC sees the reason in the outbox and can `retry`."""
    with store.transaction("mark the message failed") as tx:
        row = _row(tx, message_id)
        row.status = OutboxStatus.FAILED.value
        row.last_error = _error_text(reason)
        row.claimed_by = ""
        tx.save("outbox_message", row)
        return _item(row)


def note_problem(store: Store, message_id: int, problem: str) -> None:
    """Say on a pending row why it is not going out (no write if it already says so)."""
    text = _error_text(problem)
    current = store.query("SELECT last_error FROM outbox_message WHERE id = ?", (message_id,))
    if not current or current[0].last_error == text:
        return
    with store.transaction("note the problem") as tx:
        tx.execute(
            "UPDATE outbox_message SET last_error = ? WHERE id = ? AND status = ?",
            (text, message_id, OutboxStatus.PENDING.value),
        )


def retry(store: Store, message_id: int, now: datetime | None = None) -> OutboxItem:
    """The IC's retry: a failed row (or one waiting for its next attempt) goes out now,
    with a fresh count of attempts."""
    when = utc(now) if now is not None else utc(store.now())
    with store.transaction("retry the message") as tx:
        row = _row(tx, message_id)
        if row.status == OutboxStatus.SENT.value:
            raise ValueError(f"outbox message {message_id} was already sent")
        if row.status == OutboxStatus.SENDING.value:
            raise ValueError(f"outbox message {message_id} is being sent right now")
        if row.status == OutboxStatus.FAILED.value:
            row.attempts = 0
        row.status = OutboxStatus.PENDING.value
        row.next_attempt_at = when
        tx.save("outbox_message", row)
        return _item(row)


def _alive(pid: int) -> bool:
    """Whether a process of this host is still running (True when we cannot tell)."""
    if sys.platform == "win32":  # os.kill(pid, 0) would be a CTRL_C_EVENT there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _interrupted(row: Record, now: datetime, lease: timedelta, host: str) -> bool:
    claimed_at = utc(row.claimed_at) if row.claimed_at else None
    if claimed_at is None or claimed_at <= now - lease:
        return True
    owner_host, _, pid_text = row.claimed_by.rpartition(":")
    if owner_host != host or not pid_text.isdigit():
        return False  # another machine's process: only its lease tells
    pid = int(pid_text)
    return pid != os.getpid() and not _alive(pid)


def recover_interrupted(store: Store, now: datetime, lease: timedelta = DEFAULT_LEASE) -> list[int]:
    """Rows left in `sending` by a process that died go back to pending (to be sent again).

    A row is taken back when its sender on this host is no longer running, or when its
    lease has run out (a sender on another host, or a hung one).
    """
    now = utc(now)
    host = socket.gethostname()
    sending = store.query(  # the usual case, without taking the write lock
        "SELECT id FROM outbox_message WHERE status = ? LIMIT 1", (OutboxStatus.SENDING.value,)
    )
    if not sending:
        return []
    with store.transaction("recover interrupted messages") as tx:
        rows = tx.rows(
            "SELECT * FROM outbox_message WHERE status = ? ORDER BY id",
            (OutboxStatus.SENDING.value,),
        )
        taken = []
        for row in rows:
            if not _interrupted(row, now, lease, host):
                continue
            row.status = OutboxStatus.PENDING.value
            row.next_attempt_at = now
            row.last_error = "interrupted while sending: sending again (it may arrive twice)"
            row.claimed_by = ""
            tx.save("outbox_message", row)
            taken.append(row.id)
        return taken
