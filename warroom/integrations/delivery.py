"""Posting the outbox to the chat webhooks, with retries, backoff and rate limits.

    deliverer = Deliverer(store, load_settings())
    wait = deliverer.run_once()      # claim what is due, post it, say when to call again

The war room runs `run_once` from a background worker thread on a chained timer (the next call
`wait` seconds after this one returns), so typing never waits for the network. The Store may be
shared with the UI thread: every call opens its own session, and the engine's pool gives each
thread its own SQLite connection. Two processes (two war rooms, or the command line) may
deliver at once: a row is claimed with one atomic UPDATE, so each is posted by one of them.

What a channel answers decides what happens to the message:

- 2xx: sent (marked at once, to keep the window for a duplicate after a crash small).
- timeout, connection error, 408, 425, 429, 5xx: tried again after an exponential backoff with
  jitter (a 429 or 503's `Retry-After`, in seconds or as an HTTP date, is honoured and holds the
  whole channel), up to `max_attempts`, then failed.
- 400, 401, 403, 404, 410 and other 4xx, or a redirect: failed at once, with the reason
  ("410 Gone: the webhook was deleted"). The IC can retry it from the outbox.

A row for a channel this process cannot post to (not in its settings, or its URL variable
unset) is not touched beyond a note of why: another war room, started with other settings,
may have the channel. It waits, pending, and the outbox view shows the reason.

Slack allows about one message a second per webhook (Discord: 30 a minute): rows of one
channel go out at most every `Channel.min_interval` seconds. The limit is kept in memory and
written into the other waiting rows' `next_attempt_at`, so a restart respects it too.

Secrets: the URL is read from the settings just before the post, inside `_post`, and never kept
in a variable of a frame that can raise into a traceback printer; errors are converted to
`DeliveryError`/plain strings that say what went wrong without the URL. httpx's own log lines
(which name the URL) are redacted.

`python -m warroom.integrations.delivery --db PATH --once` delivers one round and exits.

Long because delivery is one state machine (claim, post, interpret the answer, retry or
fail, hold the channel) and the secrets rule (no URL in any frame that can raise) is
easiest to check when every line that touches a URL is in one file.
"""

from __future__ import annotations

import argparse
import contextlib
import enum
import logging
import random
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any

import httpx
from pydantic import SecretStr

from warroom import __version__
from warroom.domain.model import Now, system_clock
from warroom.domain.text import clean_line
from warroom.domain.timefmt import utc
from warroom.integrations.channels import Outgoing, build_payload
from warroom.integrations.redact import redact
from warroom.integrations.settings import Channel, Settings, SettingsError
from warroom.store.outbox import (
    DEFAULT_LEASE,
    OutboxItem,
    claim,
    due_messages,
    mark_failed,
    mark_retry,
    mark_sent,
    note_problem,
    pending_heads,
    process_owner,
    recover_interrupted,
)
from warroom.store.store import Store

__all__ = [
    "DeliveryError",
    "DeliveryResult",
    "Deliverer",
    "Outcome",
    "RetryPolicy",
    "main",
]

log = logging.getLogger(__name__)
# Records go nowhere unless a program adds a handler (not to Python's last-resort handler,
# which would print every warning on stderr beside the command's own one line).
logging.getLogger("warroom").addHandler(logging.NullHandler())

DEADLINE_GRACE = 0.5
"""An attempt's deadline is the timeout plus this, however the server trickles its answer."""

MAX_ERROR_BODY = 4096
"""Bytes of an error reply read (for its reason); the rest is never received."""

IDLE_SECONDS = 5.0
"""How long `run_once` says to wait when nothing is due (another process may queue meanwhile)."""

_PERMANENT = {
    400: "400 Bad Request: the channel rejected the message",
    401: "401 Unauthorized: the webhook URL is not valid",
    403: "403 Forbidden: the webhook may not post (revoked, or posting is restricted)",
    404: "404 Not Found: no webhook at this URL (mistyped, or deleted)",
    410: "410 Gone: the webhook was deleted",
    413: "413 Payload Too Large: the message is too long for this channel",
}
_RETRYABLE = {408, 425, 429}
_HONOURS_RETRY_AFTER = {429, 503}
_URLISH = re.compile(r"https?://\S+", re.IGNORECASE)


class DeliveryError(Exception):
    """A post that did not get an answer (timeout, connection). The message has no URL."""


class Outcome(enum.StrEnum):
    SENT = "sent"
    RETRY = "retry"  # back to pending, tried again at next_attempt_at
    FAILED = "failed"
    # Not for this process: the channel is not configured here, or its URL variable is unset.
    # The row stays pending (with the reason) for a process that has the channel.
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class DeliveryResult:
    message_id: int
    channel: str
    outcome: Outcome
    detail: str = ""  # the reason for a retry or a failure
    status_code: int | None = None
    next_attempt_at: datetime | None = None
    attempts: int = 0


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: base * 2^(attempt-1), capped, times 0.5-1.0."""

    base_seconds: float = 2.0
    cap_seconds: float = 300.0
    max_attempts: int = 8
    max_retry_after_seconds: float = 3600.0

    def delay(self, attempts: int, rng: Callable[[], float] = random.random) -> float:
        raw = min(self.cap_seconds, self.base_seconds * 2.0 ** max(0, attempts - 1))
        return raw * (0.5 + 0.5 * rng())


@dataclass(frozen=True)
class _Reply:
    status_code: int
    retry_after: str | None
    detail: str  # a short, cleaned line of the body (Slack says "invalid_payload" and so on)


# -- secrets out of the logs ---------------------------------------------------------------


class _RedactURLs(logging.Filter):
    """httpx logs "HTTP Request: POST https://hooks.slack.com/services/T/B/secret": cut it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record that cannot format: let logging report it
            return True
        if _URLISH.search(message):
            record.msg = _URLISH.sub(_redacted_url, message)
            record.args = None
        return True


def _redacted_url(match: re.Match[str]) -> str:
    url = match[0]
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    return f"{scheme}://{host}/***"


for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).addFilter(_RedactURLs())


def _safe(text: str, secret: SecretStr | None = None) -> str:
    """One line, without any part of the secret URL or anything that looks like a URL.

    Every path segment and query value of the channel's URL goes, in any form a server may
    echo it (percent-encoded, without the scheme, the token alone): see `redact`.
    """
    if secret is not None:
        text = redact(text, secret.get_secret_value())
    return clean_line(_URLISH.sub(_redacted_url, text))


# -- what an answer means ------------------------------------------------------------------


def _reason(code: int) -> str:
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"HTTP {code}"


def _retry_after(value: str | None, now: datetime, cap: float) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), cap)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - now).total_seconds()), cap)


def _failure(reply: _Reply) -> str | None:
    """Why a reply means the message will never get through; None if it may yet."""
    code = reply.status_code
    if 200 <= code < 300 or code in _RETRYABLE or code >= 500:
        return None
    if 300 <= code < 400:
        base = f"{_reason(code)}: the webhook redirects (check the URL)"
    else:
        base = _PERMANENT.get(code, f"{_reason(code)}: the channel refused the message")
    return f"{base} ({reply.detail})" if reply.detail else base


# -- the deliverer -------------------------------------------------------------------------


class _Base:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        clock: Now = system_clock,
        *,
        environ: Mapping[str, str] | None = None,
        policy: RetryPolicy | None = None,
        timeout: float | None = None,
        rng: Callable[[], float] = random.random,
        idle_seconds: float = IDLE_SECONDS,
        lease: timedelta = DEFAULT_LEASE,
        owner: str | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.environ = environ
        self.policy = policy or RetryPolicy(max_attempts=settings.delivery.max_attempts)
        self.timeout = timeout if timeout is not None else settings.delivery.timeout_seconds
        self.rng = rng
        self.idle_seconds = idle_seconds
        self.lease = lease
        self.owner = owner or process_owner()
        self.last_results: list[DeliveryResult] = []
        # Per channel: not before this time (its rate limit, or a Retry-After).
        self._not_before: dict[str, datetime] = {}

    def _now(self) -> datetime:
        return utc(self.clock())

    def recover(self, now: datetime | None = None) -> list[int]:
        """Rows a dead process left in `sending` go back to pending (call at startup)."""
        return recover_interrupted(self.store, now or self._now(), self.lease)

    def _due(self, now: datetime, limit: int) -> list[OutboxItem]:
        return [
            item
            for item in due_messages(self.store, now, limit)
            if self._not_before.get(item.channel, now) <= now
        ]

    def channel_problem(self, name: str) -> str | None:
        """Why this process cannot post to channel `name`; None if it can.

        Another process (the war room in another terminal, started with other settings or
        environment) may well have the channel, so such rows are left pending for it rather
        than failed. The reason is noted on the row, for the outbox view.
        """
        return self.settings.channel_problem(name, self.environ)

    def _begin(
        self, item: OutboxItem, now: datetime
    ) -> tuple[OutboxItem, Channel] | DeliveryResult | None:
        """Claim `item`; the channel to post it to, a result if it cannot go, None if taken."""
        problem = self.channel_problem(item.channel)
        if problem is not None:
            note_problem(self.store, item.id, problem)
            return DeliveryResult(
                item.id, item.channel, Outcome.UNAVAILABLE, problem, attempts=item.attempts
            )
        channel = self.settings.channel(item.channel)
        claimed = claim(self.store, item.id, now, self.owner)
        if claimed is None:
            return None
        if claimed.attempts > self.policy.max_attempts:
            return self._fail(
                claimed, f"gave up after {claimed.attempts - 1} attempts: {claimed.last_error}"
            )
        return claimed, channel

    def _fail(self, item: OutboxItem, reason: str, code: int | None = None) -> DeliveryResult:
        mark_failed(self.store, item.id, reason)
        log.warning("message %s to %s failed: %s", item.id, item.channel, reason)
        return DeliveryResult(
            item.id, item.channel, Outcome.FAILED, reason, code, attempts=item.attempts
        )

    def _retry(
        self, item: OutboxItem, error: str, code: int | None, retry_after: str | None
    ) -> DeliveryResult:
        now = self._now()
        if item.attempts >= self.policy.max_attempts:
            return self._fail(item, f"gave up after {item.attempts} attempts: {error}", code)
        wait = None
        if code in _HONOURS_RETRY_AFTER:
            wait = _retry_after(retry_after, now, self.policy.max_retry_after_seconds)
        hold = wait is not None
        if wait is None:
            wait = self.policy.delay(item.attempts, self.rng)
        next_at = now + timedelta(seconds=wait)
        if hold:
            self._not_before[item.channel] = next_at
        mark_retry(self.store, item.id, error, next_at, hold_channel=hold)
        log.info("message %s to %s: %s; next attempt in %.0f s", item.id, item.channel, error, wait)
        return DeliveryResult(
            item.id, item.channel, Outcome.RETRY, error, code, next_at, item.attempts
        )

    def _settle(
        self, item: OutboxItem, channel: Channel, reply: _Reply | DeliveryError
    ) -> DeliveryResult:
        if isinstance(reply, DeliveryError):
            return self._retry(item, str(reply), None, None)
        code = reply.status_code
        if 200 <= code < 300:
            now = self._now()
            free_at = now + timedelta(seconds=channel.min_interval)
            hold = free_at if channel.min_interval > 0 else None
            if hold is not None:
                self._not_before[item.channel] = hold
            mark_sent(self.store, item.id, now, hold_channel_until=hold)
            log.info("message %s sent to %s", item.id, item.channel)
            return DeliveryResult(
                item.id, item.channel, Outcome.SENT, "", code, None, item.attempts
            )
        failure = _failure(reply)
        if failure is not None:
            return self._fail(item, failure, code)
        error = _reason(code) + (f" ({reply.detail})" if reply.detail else "")
        return self._retry(item, error, code, reply.retry_after)

    def _outgoing(self, item: OutboxItem, channel: Channel) -> Outgoing:
        return build_payload(channel.type, item)

    def _secret(self, item: OutboxItem, channel: Channel) -> SecretStr | DeliveryResult:
        try:
            return channel.resolve_url(self.environ)
        except SettingsError as exc:  # it changed since `_begin` looked
            return self._retry(item, str(exc), None, None)

    def _reply(self, response: httpx.Response, body: bytes, secret: SecretStr) -> _Reply:
        detail = ""
        if body:
            text = body.decode(response.charset_encoding or "utf-8", errors="replace")
            detail = _safe(text, secret)[:120]  # redacted whole, then cut: no half token
        return _Reply(response.status_code, response.headers.get("retry-after"), detail)

    def _describe(self, exc: Exception, expired: bool = False) -> str:
        """What went wrong, by the exception's type only: its message may hold the URL."""
        if isinstance(exc, httpx.TimeoutException):
            return f"no answer within {self.timeout:g} s ({type(exc).__name__})"
        if expired:
            deadline = self.timeout + DEADLINE_GRACE
            return f"no complete answer within {deadline:g} s (the attempt's deadline)"
        if isinstance(exc, httpx.TransportError):
            return f"cannot reach the webhook ({type(exc).__name__})"
        log.warning("posting failed unexpectedly: %s", type(exc).__name__)
        return f"request failed ({type(exc).__name__})"

    def wait_seconds(self, delivered: int = 0, limit_hit: bool = False) -> float:
        """Seconds until something may be due: the soonest waiting row or channel limit."""
        if limit_hit:
            return 0.0
        now = self._now()
        soonest = now + timedelta(seconds=self.idle_seconds)
        for item in pending_heads(self.store):
            if self.channel_problem(item.channel) is not None:
                continue
            at = max(item.next_attempt_at, self._not_before.get(item.channel, item.next_attempt_at))
            soonest = min(soonest, at)
        wait = max(0.0, (soonest - now).total_seconds())
        # Something due that this round did not send (claimed elsewhere): do not spin.
        return wait if wait > 0 or delivered else 0.25


def _tally(results: list[DeliveryResult], limit: int) -> tuple[int, bool]:
    """How many rows this round posted (or tried), and whether it stopped at `limit`."""
    tried = sum(r.outcome is not Outcome.UNAVAILABLE for r in results)
    return tried, len(results) >= limit


class Deliverer(_Base):
    """Delivers the outbox with a (sync) httpx.Client; one round per `run_once`."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        client: httpx.Client | None = None,
        clock: Now = system_clock,
        **options: Any,
    ) -> None:
        super().__init__(store, settings, clock, **options)
        self._own_client = client is None
        self.client = client or httpx.Client(
            follow_redirects=False,
            headers={"User-Agent": f"warroom/{__version__}"},
            # A fresh connection per post: its socket is the one the deadline can cut.
            limits=httpx.Limits(max_keepalive_connections=0),
        )
        self._lock = threading.Lock()
        self._sockets_lock = threading.Lock()
        self._sockets: set[socket.socket] = set()  # of the posts in flight
        self._closing = False

    def close(self) -> None:
        """Stop at once: a post in flight is cut (its message stays in the outbox, pending),
        and no further one starts. Safe to call from another thread (the war room quitting)."""
        self._closing = True
        self._cut(self._in_flight())
        if self._own_client:
            self.client.close()

    def _in_flight(self) -> list[socket.socket]:
        with self._sockets_lock:
            return list(self._sockets)

    def _cut(self, sockets: list[socket.socket]) -> None:
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked reading it

    def _trace(self, mine: list[socket.socket]) -> Callable[[str, dict[str, Any]], None]:
        """An httpx trace hook that keeps the post's socket, for the deadline to cut."""

        def trace(event: str, info: dict[str, Any]) -> None:
            if event.endswith("connect_tcp.complete") or event.endswith("start_tls.complete"):
                stream = info.get("return_value")
                sock = stream.get_extra_info("socket") if stream is not None else None
                if isinstance(sock, socket.socket):
                    mine.append(sock)
                    with self._sockets_lock:
                        self._sockets.add(sock)
                    if self._closing:
                        self._cut([sock])

        return trace

    def __enter__(self) -> Deliverer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, secret: SecretStr, outgoing: Outgoing) -> _Reply | DeliveryError:
        # The URL exists only as an argument expression here: no local holds it, and the
        # httpx frames that do are gone before anything is raised.
        # Each attempt has one deadline for everything (connect, send, every read): httpx's
        # timeout is per operation, and a server dripping a byte every few seconds would
        # never trip it. At the deadline the socket is shut down. An error's body is read up
        # to MAX_ERROR_BODY bytes, never more.
        problem: Exception
        mine: list[socket.socket] = []
        expired = threading.Event()

        def at_deadline() -> None:
            expired.set()
            self._cut(mine)

        # Half a second of grace: an answer that never starts is httpx's own read timeout.
        timer = threading.Timer(self.timeout + DEADLINE_GRACE, at_deadline)
        timer.daemon = True
        timer.start()
        try:
            if self._closing:
                raise DeliveryError("stopped: the war room is closing")
            with self.client.stream(
                "POST",
                secret.get_secret_value(),
                content=outgoing.content(),
                headers=outgoing.headers,
                timeout=self.timeout,
                extensions={"trace": self._trace(mine)},
            ) as response:
                # Read (a capped part of) every body: a 2xx's too, so that the connection
                # is closed with nothing unread (no reset for the server to see).
                body = b""
                with contextlib.suppress(httpx.HTTPError):  # the status is what counts
                    for chunk in response.iter_raw(MAX_ERROR_BODY):
                        body += chunk
                        if len(body) >= MAX_ERROR_BODY or expired.is_set():
                            break
                encoding = response.headers.get("content-encoding", "").strip().lower()
                if 200 <= response.status_code < 300 or encoding not in ("", "identity"):
                    body = b""  # a compressed reason is not worth decompressing
                return self._reply(response, body[:MAX_ERROR_BODY], secret)
        except DeliveryError as exc:
            problem = exc
        except Exception as exc:  # anything: its traceback's httpx frames hold the URL
            problem = exc
        finally:
            timer.cancel()
            with self._sockets_lock:
                self._sockets.difference_update(mine)
        if isinstance(problem, DeliveryError):
            return problem
        if self._closing:
            return DeliveryError("stopped: the war room closed during the post")
        return DeliveryError(_safe(self._describe(problem, expired.is_set())))

    def deliver(self, item: OutboxItem, now: datetime | None = None) -> DeliveryResult | None:
        """Claim and post one row; None if another deliverer had it first."""
        begun = self._begin(item, now or self._now())
        if begun is None or isinstance(begun, DeliveryResult):
            return begun
        claimed, channel = begun
        secret = self._secret(claimed, channel)
        if isinstance(secret, DeliveryResult):
            return secret
        reply = self._post(secret, self._outgoing(claimed, channel))
        del secret
        return self._settle(claimed, channel, reply)

    def deliver_due(self, now: datetime | None = None, limit: int = 20) -> list[DeliveryResult]:
        """Post every row that is due now (one per channel), in order."""
        now = utc(now) if now is not None else self._now()
        results = []
        for item in self._due(now, limit):
            if self._closing:
                break
            result = self.deliver(item, now)
            if result is not None:
                results.append(result)
        return results

    def run_once(self, limit: int = 20) -> float:
        """One round: take back interrupted rows, post what is due; seconds until the next."""
        with self._lock:
            now = self._now()
            self.recover(now)  # cheap when nothing is in `sending`
            results = self.deliver_due(now, limit)
            self.last_results = results
            return self.wait_seconds(*_tally(results, limit))


def describe(result: DeliveryResult) -> str:
    """One line for a person: "12  ops-slack  sent" or the reason it was not."""
    if result.outcome is Outcome.SENT:
        return f"{result.message_id}  {result.channel}  sent"
    if result.outcome is Outcome.UNAVAILABLE:
        return f"{result.message_id}  {result.channel}  queued: {result.detail}"
    if result.outcome is Outcome.RETRY and result.next_attempt_at is not None:
        at = utc(result.next_attempt_at).strftime("%H:%M:%S UTC")
        return f"{result.message_id}  {result.channel}  waiting: {result.detail}; next attempt {at}"
    return f"{result.message_id}  {result.channel}  failed: {result.detail}"


def main(argv: Sequence[str] | None = None) -> int:
    from warroom.config import resolve_db_target, resolve_playbook
    from warroom.integrations.settings import load_settings
    from warroom.store.store import StoreError

    parser = argparse.ArgumentParser(
        prog="python -m warroom.integrations.delivery",
        description="Post the outbox's waiting messages to their chat webhooks.",
    )
    parser.add_argument("--db", metavar="PATH", help="database (env WARROOM_DB)")
    parser.add_argument("--playbook", metavar="PATH", help="playbook TOML (env WARROOM_PLAYBOOK)")
    parser.add_argument("--config", metavar="PATH", help="config.toml (env WARROOM_CONFIG)")
    parser.add_argument("--once", action="store_true", help="one round, then exit")
    parser.add_argument("--timeout", type=float, metavar="S", help="seconds per request")
    args = parser.parse_args(argv)
    store: Store | None = None
    try:
        settings = load_settings(args.config)
        store = Store(resolve_db_target(args.db), resolve_playbook(args.playbook))
        with Deliverer(store, settings, timeout=args.timeout) as deliverer:
            while True:
                wait = deliverer.run_once()
                for result in deliverer.last_results:
                    print(describe(result), flush=True)
                if args.once:
                    return 0
                time.sleep(wait)
    except KeyboardInterrupt:
        return 130
    except (SettingsError, StoreError, ValueError, OSError) as exc:
        print(f"warroom: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    finally:
        if store is not None:
            store.dispose()


if __name__ == "__main__":
    sys.exit(main())
