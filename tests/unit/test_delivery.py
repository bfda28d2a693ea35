"""Posting the outbox: payloads per channel, every status-code path, retries and rate limits
(respx), then against a real HTTP server on 127.0.0.1 (tests/httpserver.py), including a
delivery process killed with -9 in the middle of a post. Webhook URLs never leak."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from conftest import FakeClock
from httpserver import LoopbackServer, Reply
from pydantic import SecretStr

from warroom.comms.messages import MessageKind
from warroom.integrations import channels as ch
from warroom.integrations.delivery import (
    Deliverer,
    DeliveryResult,
    Outcome,
    RetryPolicy,
    describe,
)
from warroom.integrations.settings import (
    Audience,
    Channel,
    ChannelType,
    Settings,
    SettingsError,
    load_settings,
)
from warroom.playbook import default_playbook
from warroom.store.outbox import (
    OutboxItem,
    OutboxStatus,
    get_message,
    list_outbox,
    send_message,
)
from warroom.store.store import Store

SLACK = "https://hooks.slack.com/services/T0001/B0001/SlackSecret0123456789"
DISCORD = "https://discord.com/api/webhooks/123/DiscordSecret0123456789"
TEAMS = "https://prod.westeurope.logic.azure.com/workflows/abc/triggers/TeamsSecret0123"
HOOK = "https://hooks.example.com/warroom/HookSecret0123456789"
SECRETS = ("SlackSecret0123456789", "DiscordSecret0123456789", "TeamsSecret0123", "HookSecret")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user config, no webhook variables from the developer's shell."""
    monkeypatch.setenv("WARROOM_CONFIG", str(tmp_path / "no-config.toml"))
    for name in (
        "WARROOM_SLACK_WEBHOOK",
        "WARROOM_DISCORD_WEBHOOK",
        "WARROOM_TEAMS_WEBHOOK",
        "WARROOM_WEBHOOK",
        "WARROOM_TEMPLATES",
    ):
        monkeypatch.delenv(name, raising=False)


def settings(**urls: tuple[str, str]) -> Settings:
    """settings(ops=("slack", URL), ...)"""
    return Settings(
        channels=tuple(
            Channel(name=name, type=ChannelType(kind), url=SecretStr(url))
            for name, (kind, url) in urls.items()
        )
    )


ALL = settings(
    slack=("slack", SLACK),
    discord=("discord", DISCORD),
    teams=("teams", TEAMS),
    hook=("webhook", HOOK),
)
TEXT = "⏱️ UPDATE 10:30 UTC\n\n**Current Status:** Mitigating\n- a \\| b &lt;x&gt; \\`y\\`"


@pytest.fixture
def iid(store: Store) -> str:
    return store.declare("Checkout failing", 1).id


def queue(store: Store, iid: str, *channels: str, text: str = TEXT) -> list[int]:
    return send_message(store, iid, MessageKind.STATUS_UPDATE, text, list(channels))


def deliverer(store: Store, config: Settings = ALL, **options: Any) -> Deliverer:
    options.setdefault("rng", lambda: 1.0)  # no jitter: backoff is base * 2^(n-1)
    return Deliverer(store, config, httpx.Client(), store.clock, **options)


def row(store: Store, message_id: int) -> OutboxItem:
    return get_message(store, message_id)


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


# -- payloads ----------------------------------------------------------------------------


def test_slack_payload(store: Store, iid: str, mock: respx.MockRouter) -> None:
    route = mock.post(SLACK).respond(200, text="ok")
    [mid] = queue(store, iid, "slack")
    [result] = deliverer(store).deliver_due()
    assert result.outcome is Outcome.SENT
    body = json.loads(route.calls.last.request.content)
    mrkdwn = "⏱️ UPDATE 10:30 UTC\n\n*Current Status:* Mitigating\n• a | b &lt;x&gt; `y`"
    assert body == {
        "text": mrkdwn,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}],
    }
    assert route.calls.last.request.headers["content-type"].startswith("application/json")
    assert row(store, mid).status is OutboxStatus.SENT


def test_slack_escapes_what_could_ping_or_link() -> None:
    text = ch.slack_mrkdwn("<!channel> & <https://evil|click> &amp; **b**")
    assert text == "&lt;!channel&gt; &amp; &lt;https://evil|click&gt; &amp; *b*"


def test_slack_splits_long_text_into_sections() -> None:
    text = "\n".join(f"- line {i} " + "x" * 90 for i in range(100))
    payload = ch.slack_payload(text)
    sections = [b["text"]["text"] for b in payload["blocks"]]
    assert len(sections) == 4
    assert all(len(s) <= ch.SLACK_SECTION_LIMIT for s in sections)
    assert "\n".join(sections) == payload["text"]
    huge = ch.slack_payload("y" * 200_000)
    assert len(huge["blocks"]) == 50
    assert len(huge["text"]) <= 40_000


def test_discord_payload(store: Store, iid: str, mock: respx.MockRouter) -> None:
    route = mock.post(DISCORD).respond(204)
    queue(store, iid, "discord", text=TEXT + "\n@everyone")
    [result] = deliverer(store).deliver_due()
    assert result.outcome is Outcome.SENT
    body = json.loads(route.calls.last.request.content)
    assert body == {
        "content": "⏱️ UPDATE 10:30 UTC\n\n**Current Status:** Mitigating\n"
        "- a \\| b <x> \\`y\\`\n@everyone",
        "allowed_mentions": {"parse": []},  # "@everyone" pings nobody
    }


def test_discord_trims_at_2000() -> None:
    content = ch.discord_payload("z" * 5000)["content"]
    assert len(content) == 2000
    assert content.endswith(ch.TRUNCATED)


def test_teams_payload(store: Store, iid: str, mock: respx.MockRouter) -> None:
    route = mock.post(TEAMS).respond(202)
    queue(store, iid, "teams")
    [result] = deliverer(store).deliver_due()
    assert result.outcome is Outcome.SENT
    body = json.loads(route.calls.last.request.content)
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert [b["text"] for b in card["body"]] == [
        "⏱️ UPDATE 10:30 UTC",
        "**Current Status:** Mitigating",
        "- a | b <x> `y`",
    ]
    assert all(b["type"] == "TextBlock" and b["wrap"] is True for b in card["body"])
    assert card["body"][0]["weight"] == "Bolder"
    assert [b.get("spacing") for b in card["body"][1:]] == ["Medium", "None"]


def test_generic_webhook_payload(store: Store, iid: str, mock: respx.MockRouter) -> None:
    route = mock.post(HOOK).respond(200)
    [mid] = queue(store, iid, "hook")
    deliverer(store).deliver_due()
    request = route.calls.last.request
    key = row(store, mid).idempotency_key
    assert request.headers["idempotency-key"] == key
    assert json.loads(request.content) == {
        "incident": iid,
        "kind": "status_update",
        "text": TEXT,
        "idempotency_key": key,
    }


# -- what each answer means ----------------------------------------------------------------


@pytest.mark.parametrize("code", [200, 201, 202, 204])
def test_2xx_is_sent(store: Store, iid: str, mock: respx.MockRouter, code: int) -> None:
    mock.post(HOOK).respond(code)
    [mid] = queue(store, iid, "hook")
    [result] = deliverer(store).deliver_due()
    assert (result.outcome, result.status_code) == (Outcome.SENT, code)
    item = row(store, mid)
    assert (item.status, item.attempts, item.sent_at) == (OutboxStatus.SENT, 1, store.clock())


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (400, "400 Bad Request: the channel rejected the message (invalid_payload)"),
        (401, "401 Unauthorized: the webhook URL is not valid (invalid_payload)"),
        (403, "403 Forbidden: the webhook may not post"),
        (404, "404 Not Found: no webhook at this URL"),
        (410, "410 Gone: the webhook was deleted (invalid_payload)"),
        (413, "413 Payload Too Large"),
        (422, "422 Unprocessable"),
        (301, "301 Moved Permanently: the webhook redirects"),
    ],
)
def test_client_errors_fail_at_once(
    store: Store, iid: str, mock: respx.MockRouter, code: int, reason: str
) -> None:
    mock.post(SLACK).respond(code, text="invalid_payload")
    [mid] = queue(store, iid, "slack")
    [result] = deliverer(store).deliver_due()
    assert result.outcome is Outcome.FAILED
    assert result.detail.startswith(reason)
    item = row(store, mid)
    assert item.status is OutboxStatus.FAILED and item.last_error == result.detail


@pytest.mark.parametrize("code", [408, 425, 429, 500, 502, 503, 504])
def test_server_errors_are_retried_with_backoff(
    store: Store, clock: FakeClock, iid: str, mock: respx.MockRouter, code: int
) -> None:
    mock.post(SLACK).respond(code)
    [mid] = queue(store, iid, "slack")
    [result] = deliverer(store).deliver_due()
    assert result.outcome is Outcome.RETRY
    assert result.next_attempt_at == clock() + timedelta(seconds=2)
    item = row(store, mid)
    assert (item.status, item.attempts) == (OutboxStatus.PENDING, 1)
    assert item.last_error.startswith(str(code))


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (httpx.ReadTimeout("timed out"), "no answer within 10 s (ReadTimeout)"),
        (httpx.ConnectTimeout("timed out"), "no answer within 10 s (ConnectTimeout)"),
        (httpx.ConnectError("refused"), "cannot reach the webhook (ConnectError)"),
        (httpx.RemoteProtocolError("closed"), "cannot reach the webhook (RemoteProtocolError)"),
    ],
)
def test_no_answer_is_retried(
    store: Store, iid: str, mock: respx.MockRouter, error: Exception, words: str
) -> None:
    mock.post(SLACK).mock(side_effect=error)
    [mid] = queue(store, iid, "slack")
    [result] = deliverer(store).deliver_due()
    assert (result.outcome, result.detail) == (Outcome.RETRY, words)
    assert row(store, mid).last_error == words


def test_backoff_grows_to_the_cap_then_gives_up(
    store: Store, clock: FakeClock, iid: str, mock: respx.MockRouter
) -> None:
    mock.post(HOOK).respond(503)
    [mid] = queue(store, iid, "hook")
    d = deliverer(store, policy=RetryPolicy(base_seconds=2, cap_seconds=60, max_attempts=6))
    waits = []
    for _ in range(5):
        [result] = d.deliver_due()
        assert result.outcome is Outcome.RETRY and result.next_attempt_at is not None
        waits.append((result.next_attempt_at - clock()).total_seconds())
        clock.now = result.next_attempt_at
    assert waits == [2, 4, 8, 16, 32]
    [result] = d.deliver_due()
    assert result.outcome is Outcome.FAILED
    assert result.detail == "gave up after 6 attempts: 503 Service Unavailable"
    assert row(store, mid).status is OutboxStatus.FAILED


def test_jitter_keeps_within_half_to_full() -> None:
    policy = RetryPolicy(base_seconds=2, cap_seconds=300)
    assert policy.delay(3, lambda: 0.0) == 4.0
    assert policy.delay(3, lambda: 1.0) == 8.0
    assert policy.delay(20, lambda: 1.0) == 300.0


def test_retry_after_seconds_on_429(
    store: Store, clock: FakeClock, iid: str, mock: respx.MockRouter
) -> None:
    mock.post(SLACK).respond(429, headers={"Retry-After": "7"})
    [a, b] = [queue(store, iid, "slack")[0], queue(store, iid, "slack")[0]]
    d = deliverer(store, idle_seconds=60)
    [result] = d.deliver_due()
    assert result.next_attempt_at == clock() + timedelta(seconds=7)
    # The whole channel waits: in memory and in the database (for a restart).
    assert row(store, b).next_attempt_at == clock() + timedelta(seconds=7)
    assert d.wait_seconds() == 7
    clock.advance(seconds=6)
    assert d.deliver_due() == []
    clock.advance(seconds=1)
    mock.post(SLACK).respond(200)
    assert [r.message_id for r in d.deliver_due()] == [a]


def test_retry_after_http_date_on_503(
    store: Store, clock: FakeClock, iid: str, mock: respx.MockRouter
) -> None:
    when = clock() + timedelta(seconds=90)
    mock.post(HOOK).respond(503, headers={"Retry-After": format_datetime(when, usegmt=True)})
    queue(store, iid, "hook")
    [result] = deliverer(store).deliver_due()
    assert result.next_attempt_at == when


def test_retry_after_is_ignored_on_500(
    store: Store, clock: FakeClock, iid: str, mock: respx.MockRouter
) -> None:
    mock.post(HOOK).respond(500, headers={"Retry-After": "600"})
    queue(store, iid, "hook")
    [result] = deliverer(store).deliver_due()
    assert result.next_attempt_at == clock() + timedelta(seconds=2)


def test_slack_gets_at_most_one_message_a_second(
    store: Store, db_path: Path, clock: FakeClock, iid: str, mock: respx.MockRouter
) -> None:
    route = mock.post(SLACK).respond(200)
    ids = [queue(store, iid, "slack")[0] for _ in range(3)]
    d = deliverer(store)
    assert [r.message_id for r in d.deliver_due()] == ids[:1]
    assert d.deliver_due() == []
    assert d.wait_seconds() == 1.0
    # A new process (nothing in memory) respects it too: it is in next_attempt_at.
    fresh = Store(db_path, default_playbook(), clock=clock)
    try:
        assert deliverer(fresh).deliver_due() == []
    finally:
        fresh.dispose()
    clock.advance(seconds=1)
    assert [r.message_id for r in d.deliver_due()] == ids[1:2]
    assert route.call_count == 2


def test_channels_do_not_wait_for_each_other(
    store: Store, iid: str, mock: respx.MockRouter
) -> None:
    mock.post(SLACK).respond(200)
    mock.post(HOOK).respond(200)
    queue(store, iid, "slack", "hook")
    queue(store, iid, "hook")
    results = deliverer(store).run_once()
    assert results == 0.0  # the generic hook has no limit: its next message is due now


def test_a_channel_this_process_lacks_waits_for_one_that_has_it(
    store: Store, iid: str, mock: respx.MockRouter
) -> None:
    """Another war room may have other settings: its messages are not failed from here."""
    config = Settings(
        channels=(Channel(name="ops", type=ChannelType.SLACK, url_env="WARROOM_TEST_OPS_URL"),)
    )
    [gone] = queue(store, iid, "removed")
    [unset] = queue(store, iid, "ops")
    here = deliverer(store, config, idle_seconds=5)
    assert here.run_once() == 5.0  # nothing it can do: no busy loop
    results = {r.message_id: r for r in here.last_results}
    assert results[gone].outcome is Outcome.UNAVAILABLE
    assert results[gone].detail == "no channel 'removed' (channels: ops)"
    assert results[unset].detail == "channel ops: WARROOM_TEST_OPS_URL is not set"
    assert describe(results[unset]) == (
        f"{unset}  ops  queued: channel ops: WARROOM_TEST_OPS_URL is not set"
    )
    assert not mock.calls
    items = {i.id: i for i in list_outbox(store)}
    assert items[unset].status is OutboxStatus.PENDING and items[unset].attempts == 0
    assert items[unset].last_error == "channel ops: WARROOM_TEST_OPS_URL is not set"
    mock.post(SLACK).respond(200)
    there = deliverer(store, settings(removed=("slack", SLACK)))
    assert [(r.message_id, r.outcome) for r in there.deliver_due()] == [
        (gone, Outcome.SENT),
        (unset, Outcome.UNAVAILABLE),
    ]
    assert row(store, gone).last_error == ""


def test_url_from_the_environment_at_send_time(
    store: Store, iid: str, mock: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    route = mock.post(HOOK).respond(200)
    config = Settings(
        channels=(Channel(name="ops", type=ChannelType.WEBHOOK, url_env="WARROOM_TEST_OPS_URL"),)
    )
    queue(store, iid, "ops")
    monkeypatch.setenv("WARROOM_TEST_OPS_URL", HOOK)
    [result] = deliverer(store, config).deliver_due()
    assert result.outcome is Outcome.SENT and route.called


def test_run_once_says_how_long_to_wait(
    store: Store, clock: FakeClock, iid: str, mock: respx.MockRouter
) -> None:
    d = deliverer(store, idle_seconds=5)
    assert d.run_once() == 5.0  # nothing waiting
    mock.post(HOOK).respond(502)
    queue(store, iid, "hook")
    assert d.run_once() == 2.0  # the retry's backoff
    assert [r.outcome for r in d.last_results] == [Outcome.RETRY]


def test_run_once_from_a_worker_thread_while_the_ui_writes(
    store: Store, iid: str, mock: respx.MockRouter
) -> None:
    mock.post(HOOK).respond(200)
    for _ in range(20):
        queue(store, iid, "hook")
    d = deliverer(store)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(30):
                d.run_once()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    for n in range(30):
        store.log(iid, f"typing {n}")
    thread.join(timeout=20)
    assert errors == []
    assert {r.status for r in list_outbox(store)} == {OutboxStatus.SENT}


def test_describe() -> None:
    sent = DeliveryResult(1, "ops", Outcome.SENT)
    assert describe(sent) == "1  ops  sent"
    failed = DeliveryResult(2, "ops", Outcome.FAILED, "410 Gone: the webhook was deleted")
    assert describe(failed) == "2  ops  failed: 410 Gone: the webhook was deleted"


# -- secrets -------------------------------------------------------------------------------


def database_bytes(store: Store) -> bytes:
    path = store.path
    return b"".join(
        p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists()
    )


def test_urls_never_reach_errors_the_database_or_logs(
    store: Store, iid: str, mock: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    mock.post(SLACK).mock(side_effect=httpx.ConnectError(f"cannot connect to {SLACK}"))
    mock.post(DISCORD).respond(400, text=f"bad webhook {DISCORD} here")
    mock.post(TEAMS).respond(200)
    mock.post(HOOK).mock(side_effect=httpx.ReadTimeout(f"timeout talking to {HOOK}"))
    queue(store, iid, "slack", "discord", "teams", "hook")
    results = deliverer(store).deliver_due()
    assert len(results) == 4
    logging.getLogger("httpx").info("HTTP Request: POST %s 200 OK", TEAMS)
    shown = [describe(r) for r in results] + [r.detail for r in results]
    shown += [i.last_error for i in list_outbox(store)] + [e.text for e in store.timeline(iid)]
    shown += [record.getMessage() for record in caplog.records]
    shown += [repr(ALL), str(ALL), ALL.model_dump_json(), repr(ALL.channels[0])]
    data = database_bytes(store)
    for secret in SECRETS:
        assert not [s for s in shown if secret in s], secret
        assert secret.encode() not in data, secret
    httpx_lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert "HTTP Request: POST https://prod.westeurope.logic.azure.com/*** 200 OK" in httpx_lines


def test_post_frames_hold_no_url(store: Store, iid: str, mock: respx.MockRouter) -> None:
    """The traceback printer shows locals: the URL is not in one of our frames."""
    seen: list[dict[str, Any]] = []

    def spy(request: httpx.Request) -> httpx.Response:
        frame = sys._getframe()
        while frame is not None:
            if frame.f_code.co_filename.endswith(os.path.join("integrations", "delivery.py")):
                seen.append({k: repr(v) for k, v in frame.f_locals.items()})
            frame = frame.f_back  # type: ignore[assignment]
        return httpx.Response(500)

    mock.post(SLACK).mock(side_effect=spy)
    queue(store, iid, "slack")
    deliverer(store).deliver_due()
    assert seen
    for frame_locals in seen:
        assert not [v for v in frame_locals.values() if "SlackSecret" in v]


# -- a real server on 127.0.0.1 ------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(dedupe=True) as running:
        yield running


def loopback(server: LoopbackServer, kind: str = "webhook") -> Settings:
    return settings(ops=(kind, server.url("/hook")))


def test_fail_twice_then_succeed(
    store: Store, clock: FakeClock, iid: str, server: LoopbackServer
) -> None:
    server.script("/hook", Reply(503), Reply(500, body="oops"), Reply(200))
    [mid] = queue(store, iid, "ops")
    d = deliverer(store, loopback(server), timeout=5)
    outcomes = []
    for _ in range(3):
        [result] = d.deliver_due()
        outcomes.append(result.outcome)
        if result.next_attempt_at:
            clock.now = result.next_attempt_at
    assert outcomes == [Outcome.RETRY, Outcome.RETRY, Outcome.SENT]
    received = server.received("/hook")
    assert len(received) == 3
    assert {r.idempotency_key for r in received} == {row(store, mid).idempotency_key}
    assert [r.json["text"] for r in server.accepted()] == [TEXT]
    assert row(store, mid).attempts == 3


def test_timeout_then_succeed(
    store: Store, clock: FakeClock, iid: str, server: LoopbackServer
) -> None:
    server.script("/hook", Reply(delay=3.0))  # well beyond the client's timeout
    [mid] = queue(store, iid, "ops")
    d = deliverer(store, loopback(server), timeout=0.2)
    started = time.monotonic()
    [result] = d.deliver_due()
    assert time.monotonic() - started < 3.0  # gave up before the server answered
    assert (result.outcome, result.detail) == (
        Outcome.RETRY,
        "no answer within 0.2 s (ReadTimeout)",
    )
    clock.advance(seconds=2)
    [result] = d.deliver_due()
    assert result.outcome is Outcome.SENT
    # The receiver got it twice; with the key it processed it once.
    assert len(server.received()) == 2 and len(server.accepted()) == 1
    assert row(store, mid).status is OutboxStatus.SENT


def test_429_with_retry_after(
    store: Store, clock: FakeClock, iid: str, server: LoopbackServer
) -> None:
    server.script("/hook", Reply(429, headers={"Retry-After": "3"}))
    [mid] = queue(store, iid, "ops", text="x")
    [result] = deliverer(store, loopback(server, "slack")).deliver_due()
    assert result.outcome is Outcome.RETRY
    assert row(store, mid).next_attempt_at == clock() + timedelta(seconds=3)
    assert server.received()[0].json["text"] == "x"


def test_410_gone(store: Store, iid: str, server: LoopbackServer) -> None:
    server.script("/hook", Reply(410, body="channel_is_archived"))
    [mid] = queue(store, iid, "ops")
    [result] = deliverer(store, loopback(server, "slack")).deliver_due()
    assert result.outcome is Outcome.FAILED
    assert row(store, mid).last_error == "410 Gone: the webhook was deleted (channel_is_archived)"


def test_dropped_connection_is_retried(store: Store, iid: str, server: LoopbackServer) -> None:
    server.script("/hook", Reply(close=True))
    queue(store, iid, "ops")
    [result] = deliverer(store, loopback(server, "discord")).deliver_due()
    assert result.outcome is Outcome.RETRY
    assert result.detail == "cannot reach the webhook (RemoteProtocolError)"


def _delivery(db: Path, env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "warroom.integrations.delivery", "--db", str(db), "--once", *extra],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_killed_mid_delivery_then_restarted_delivers_once(
    tmp_path: Path, server: LoopbackServer
) -> None:
    """kill -9 while the server holds the post open; a new delivery process posts it again.

    The generic webhook's second post carries the same idempotency key, so a receiver that
    honours it (this server, with dedupe) processes the message once. A Slack, Discord or
    Teams webhook has no such key: it would show this message twice. That window is the time
    between the channel's 2xx and our commit of "sent", or a post that was killed or timed
    out after the channel had it. warroom chooses at-least-once: a duplicate update is better
    than a lost one.
    """
    db = tmp_path / "w.db"
    store = Store(db, default_playbook(), author="alice")  # the real clock, like the child's
    try:
        iid = store.declare("Checkout failing", 1).id
        [mid] = send_message(store, iid, MessageKind.STATUS_UPDATE, "once, please", ["webhook"])
        env = {
            **os.environ,
            "WARROOM_CONFIG": str(tmp_path / "none.toml"),
            "WARROOM_WEBHOOK": server.url("/hook"),
        }
        server.script("/hook", Reply(hold=True))
        first = _delivery(db, env, "--timeout", "30")
        try:
            server.wait_for(1, timeout=20)
        finally:
            first.kill()
            out, err = first.communicate(timeout=10)
        assert row(store, mid).status is OutboxStatus.SENDING  # it died before the answer
        server.release()

        second = _delivery(db, env)
        out2, err2 = second.communicate(timeout=30)
        assert second.returncode == 0, err2
        assert out2 == f"{mid}  webhook  sent\n"
        item = row(store, mid)
        assert (item.status, item.attempts) == (OutboxStatus.SENT, 2)
        received = server.received("/hook")
        assert len(received) == 2
        assert received[0].idempotency_key == received[1].idempotency_key == item.idempotency_key
        assert [r.json["text"] for r in server.accepted("/hook")] == ["once, please"]
        for text in (out, err, out2, err2):
            assert str(server.port) not in text
        assert server.url("/hook").encode() not in database_bytes(store)
    finally:
        store.dispose()


def test_delivery_module_reports_a_bad_config(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[[channels]]\nname = "ops"\ntype = "slack"\nurl = "http://example.com/x"\n')
    env = {**os.environ, "WARROOM_CONFIG": str(config)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "warroom.integrations.delivery",
            "--db",
            str(tmp_path / "w.db"),
            "--once",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"warroom: error: {config}:4: channels[0].url: "
        "must be an https:// URL (http:// only for localhost)\n"
    )
    assert "example.com" not in result.stderr


def test_settings_from_the_environment_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARROOM_SLACK_WEBHOOK", SLACK)
    monkeypatch.setenv("WARROOM_WEBHOOK", HOOK)
    loaded = load_settings()
    assert loaded.channel_names == ["slack", "webhook"]
    assert loaded.channel("slack").resolve_url().get_secret_value() == SLACK
    assert "SlackSecret" not in repr(loaded) + str(loaded)


# -- settings ------------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_settings_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(
        tmp_path,
        'company = "Acme"\n'
        'status_page_url = "https://status.acme.io"\n'
        'templates_dir = "tpl"\n'
        "[delivery]\ntimeout_seconds = 3\nmax_attempts = 4\n"
        "[status_pages]\nwhatever = 1  # another feature's table\n"
        '[[channels]]\nname = "ops-slack"\ntype = "slack"\nurl_env = "WARROOM_SLACK_OPS"\n'
        f'[[channels]]\nname = "slack"\ntype = "slack"\nurl = "{SLACK}"\n'
        "min_interval_seconds = 5\n",
    )
    monkeypatch.setenv("WARROOM_SLACK_WEBHOOK", "https://hooks.slack.com/services/env/only")
    monkeypatch.setenv("WARROOM_DISCORD_WEBHOOK", DISCORD)
    loaded = load_settings(path)
    # The file's "slack" wins over WARROOM_SLACK_WEBHOOK; discord comes from the environment.
    assert loaded.channel_names == ["ops-slack", "slack", "discord"]
    assert loaded.channel("slack").resolve_url().get_secret_value() == SLACK
    assert loaded.channel("slack").min_interval == 5
    assert loaded.channel("discord").min_interval == 2
    assert (loaded.company, loaded.status_page_url) == ("Acme", "https://status.acme.io")
    assert loaded.templates_dir == tmp_path / "tpl"
    assert (loaded.delivery.timeout_seconds, loaded.delivery.max_attempts) == (3, 4)
    with pytest.raises(SettingsError, match="WARROOM_SLACK_OPS is not set"):
        loaded.channel("ops-slack").resolve_url()
    monkeypatch.setenv("WARROOM_SLACK_OPS", SLACK)
    assert loaded.channel("ops-slack").resolve_url().get_secret_value() == SLACK
    d = Deliverer(Store.__new__(Store), loaded, httpx.Client())
    assert (d.timeout, d.policy.max_attempts) == (3, 4)
    for text in (repr(loaded), str(loaded), loaded.model_dump_json()):
        assert "SlackSecret" not in text and "DiscordSecret" not in text


def test_the_config_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from warroom.integrations.settings import config_path

    monkeypatch.setenv("WARROOM_CONFIG", "~/elsewhere.toml")
    assert config_path() == Path("~/elsewhere.toml").expanduser()
    monkeypatch.delenv("WARROOM_CONFIG")
    assert config_path().name == "config.toml" and "warroom" in str(config_path())


def test_templates_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARROOM_TEMPLATES", str(tmp_path / "mine"))
    assert load_settings(tmp_path / "none.toml").templates_dir == tmp_path / "mine"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[[channels]\n", ":1: Expected ']]' at the end of an array declaration"),
        (
            '[[channels]]\nname = "a"\ntype = "slack"\nurl_env = "X"\ncolour = "red"\n',
            ":5: channels[0].colour: Extra inputs are not permitted",
        ),
        (
            '[[channels]]\nname = "a"\ntype = "irc"\nurl_env = "X"\n',
            ":3: channels[0].type: Input should be 'slack', 'discord', 'teams' or 'webhook'",
        ),
        (
            f'[[channels]]\nname = "a"\ntype = "slack"\nurl_env = "X"\nurl = "{SLACK}"\n',
            ":1: channels[0]: give either url or url_env",
        ),
        ('[[channels]]\nname = "a"\ntype = "slack"\n', ":1: channels[0]: give either url or"),
        (
            '[[channels]]\nname = "a b"\ntype = "slack"\nurl_env = "X"\n',
            ":2: channels[0].name: String should match pattern",
        ),
        (
            '[[channels]]\nname = "a"\ntype = "slack"\nurl = "ftp://SlackSecret0123456789"\n',
            ":4: channels[0].url: must be an https:// URL",
        ),
        (
            '[[channels]]\nname = "a"\ntype = "slack"\nurl = "http://SlackSecret0123456789/"\n',
            ":4: channels[0].url: must be an https:// URL (http:// only for localhost)",
        ),
        (
            '[[channels]]\nname = "a"\ntype = "slack"\nurl_env = "X"\n'
            '[[channels]]\nname = "a"\ntype = "teams"\nurl_env = "Y"\n',
            ":1: channel 'a' is defined twice",
        ),
        ("[delivery]\nmax_attempts = 0\n", ":2: delivery.max_attempts: Input should be greater"),
    ],
)
def test_a_bad_config_file_is_named_with_line_and_field(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert message.startswith(str(path) + problem), message
    assert "SlackSecret" not in message and "hooks.slack.com" not in message


def test_a_bad_url_in_the_environment_is_named_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARROOM_TEAMS_WEBHOOK", "http://TeamsSecret0123.example.com/x")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value) == (
        "WARROOM_TEAMS_WEBHOOK: must be an https:// URL (http:// only for localhost)"
    )


def test_an_unreadable_config(tmp_path: Path) -> None:
    (tmp_path / "dir.toml").mkdir()
    with pytest.raises(SettingsError, match=r"dir\.toml: cannot read: Is a directory"):
        load_settings(tmp_path / "dir.toml")


def test_loopback_http_is_allowed(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[[channels]]\nname = "a"\ntype = "webhook"\nurl = "http://127.0.0.1:9/x"\n'
    )
    assert load_settings(path).channel_names == ["a"]


def test_an_unexpected_error_while_posting_is_a_retry_without_the_url(
    store: Store, iid: str, mock: respx.MockRouter
) -> None:
    mock.post(SLACK).mock(side_effect=RuntimeError(f"bug near {SLACK}"))
    [mid] = queue(store, iid, "slack")
    [result] = deliverer(store).deliver_due()
    assert (result.outcome, result.detail) == (Outcome.RETRY, "request failed (RuntimeError)")
    assert row(store, mid).last_error == "request failed (RuntimeError)"


def test_a_channels_audience_decides_its_messages(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f'[[channels]]\nname = "team"\ntype = "slack"\nurl = "{SLACK}"\n'
        f'[[channels]]\nname = "status"\ntype = "webhook"\nurl = "{HOOK}"\n'
        'audience = "customers"\n'
        f'[[channels]]\nname = "comms"\ntype = "discord"\nurl = "{DISCORD}"\naudience = "all"\n',
    )
    loaded = load_settings(path)
    assert loaded.channel("team").audience is Audience.INTERNAL  # the default
    internal = [MessageKind.DECLARATION, MessageKind.STATUS_UPDATE, MessageKind.RESOLVED]
    for kind in internal:
        assert loaded.channels_for(kind) == ["team", "comms"], kind
    for kind in (MessageKind.CUSTOMER, MessageKind.CUSTOMER_RESOLVED):
        assert loaded.channels_for(kind) == ["status", "comms"], kind
    with pytest.raises(SettingsError, match=r"channels\[0\]\.audience"):
        load_settings(
            write(
                tmp_path,
                f'[[channels]]\nname = "x"\ntype = "slack"\nurl = "{SLACK}"\naudience = "public"\n',
            )
        )


def test_the_environments_channels_are_internal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARROOM_SLACK_WEBHOOK", SLACK)
    loaded = load_settings()
    assert loaded.channels_for(MessageKind.STATUS_UPDATE) == ["slack"]
    assert loaded.channels_for(MessageKind.CUSTOMER) == []
