"""Drain: Enter-to-visible latency while the outbox drains to a slow webhook, vs an idle outbox.

The war room posts its outbox from a worker thread on a chained timer
(`tui/services/delivery.py`, `Deliverer.run_once`), so typing should not wait for chat.
This measures whether it does.

A slow webhook runs in this process: a ThreadingHTTPServer on 127.0.0.1 (ephemeral port,
loopback only) that answers each POST with 200 after DELAY seconds (default 0.5 s) and
counts the requests and their idempotency keys. It also serves a Statuspage summary ("all
systems operational") that the war rooms' status radar polls instead of the internet.

Two war rooms run side by side, each in its own 160x48 session of a private tmux server and
on its own database, with the same environment: WARROOM_WEBHOOK=http://127.0.0.1:PORT/hook
(the generic webhook channel "webhook"), WARROOM_STATUS_PAGES pointing at the summary, and
WARROOM_CONFIG naming a file that does not exist (no user config leaks in):

  idle       a SEV-2 incident with MESSAGES status updates sent with
             `send_message(..., channels=["webhook"])` and then marked sent in the database,
             before start: the same timeline and outbox table, nothing waiting
  draining   the same, left pending: the war room starts posting them 0.5 s after mount,
             one at a time (DELAY each), all through the measurement

Probes go round-robin to the two, as in latency.py, and which one goes first alternates:
type `probe-<i>`, wait until it is in the entry line, then time from just before `send-keys
Enter` to the capture showing it on a timeline line (starting with the HH:MM time) and no
longer in the entry line. The first probe of each is a warm-up. Probes start once the
webhook has received its first POST. The script prints the POSTs received before and after
the measurement window, so a run in which nothing was delivered meanwhile cannot pass
unnoticed (it is a MISS, with a warning), how many draining probes overlapped a POST in
flight, and how many saw a POST answered (the deliverer's claim/mark_sent commits fall
around it).

Target: median(draining) / median(idle) <= 1.2x.

    python bench/drain.py [--quick] [--probes N] [--messages N] [--delay S]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from _harness import (
    Tmux,
    all_on_screen,
    bench_env,
    fmt_ms,
    latency_row,
    logged,
    make_incident,
    median,
    temp_dir,
    typed,
    verdict,
    warroom_command,
)

TARGET_RATIO = 1.2
IDLE_TITLE = "Checkout failing DRAIN-BENCH-IDLE"
DRAIN_TITLE = "Checkout failing DRAIN-BENCH-DRAINING"
POLL = 0.001  # between captures, each of which takes ~2-3 ms
SETTLE = 1.5  # after the first paint (and the first POST), before the first probe
CHANNEL_VARIABLES = (
    "WARROOM_SLACK_WEBHOOK",
    "WARROOM_DISCORD_WEBHOOK",
    "WARROOM_TEAMS_WEBHOOK",
    "WARROOM_WEBHOOK",
    "WARROOM_STATUS_PAGES",
    "WARROOM_TEMPLATES",
)
SUMMARY = json.dumps(
    {
        "page": {"name": "Bench", "url": "http://127.0.0.1"},
        "status": {"indicator": "none", "description": "All Systems Operational"},
        "components": [],
        "incidents": [],
        "scheduled_maintenances": [],
    }
).encode()


# -- the slow webhook ----------------------------------------------------------------------


@dataclass
class Post:
    started: float  # monotonic, when the request line arrived
    answered: float | None = None  # when the 200 was written; None while in flight


class SlowHook(ThreadingHTTPServer):
    """A webhook on 127.0.0.1 that takes `delay` seconds to answer each POST with 200."""

    daemon_threads = True

    def __init__(self, delay: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.delay = delay
        self.lock = threading.Lock()
        self.posts: list[Post] = []
        self.keys: set[str] = set()
        self.summaries = 0
        self.stopping = threading.Event()  # cuts a POST's wait short at the end
        self._thread = threading.Thread(target=self.serve_forever, name="slow-hook", daemon=True)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self._thread.is_alive():
            self.shutdown()
            self._thread.join(5)
        self.server_close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A war room that went away (closed at the end, its connection reset): no report."""
        if not self.stopping.is_set() and not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def received(self) -> int:
        with self.lock:
            return len(self.posts)

    def busy(self, start: float, end: float) -> tuple[bool, bool]:
        """(a POST was in flight at some time in [start, end], one was answered in it)."""
        with self.lock:
            posts = list(self.posts)
        in_flight = any(
            p.started <= end and (p.answered is None or p.answered >= start) for p in posts
        )
        answered = any(p.answered is not None and start <= p.answered <= end for p in posts)
        return in_flight, answered


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real webhook over HTTPS
    server: SlowHook

    def do_POST(self) -> None:
        post = Post(time.monotonic())
        with self.server.lock:
            self.server.posts.append(post)
            key = self.headers.get("Idempotency-Key")
            if key:
                self.server.keys.add(key)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.server.stopping.wait(self.server.delay):
            return  # the bench is over: no answer (the war room is gone anyway)
        self._answer(b'{"ok": true}')
        with self.server.lock:
            post.answered = time.monotonic()

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.summaries += 1
        self._answer(SUMMARY)

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


# -- the incidents -------------------------------------------------------------------------


def queue_updates(db: Path, title: str, messages: int, sent: bool) -> str:
    """Declare an incident, send MESSAGES status updates to "webhook"; if `sent`, mark them
    sent at once (the idle war room's outbox: the same rows and timeline, nothing waiting)."""
    from warroom.domain.timefmt import utc
    from warroom.playbook import default_playbook
    from warroom.store.outbox import mark_sent, send_message
    from warroom.store.store import Store

    incident_id = make_incident(db, title)
    store = Store(db, default_playbook(), author="bench")
    try:
        for n in range(messages):
            text = f"Update {n + 1}: checkout errors at 2.1%, rollback of api v412 in progress."
            ids = send_message(store, incident_id, "status_update", text, ["webhook"])
            if sent:
                for message_id in ids:
                    mark_sent(store, message_id, utc(store._now()))
        return incident_id
    finally:
        store.dispose()


# -- the probes ----------------------------------------------------------------------------


@dataclass
class Result:
    times: dict[str, list[float]]
    overlap: list[tuple[bool, bool]]  # per draining probe: (POST in flight, POST answered)
    before: int  # POSTs received when the window opened
    after: int  # ... and when it closed
    window: float  # seconds
    distinct: int  # distinct idempotency keys seen by the end
    summaries: int
    drain_subtitle: str  # the draining war room's outbox line, at the end of the window


def measure(tmp: Path, probes: int, messages: int, delay: float) -> Result:
    idle_db, drain_db = tmp / "idle.db", tmp / "draining.db"
    queue_updates(idle_db, IDLE_TITLE, messages, sent=True)
    queue_updates(drain_db, DRAIN_TITLE, messages, sent=False)

    hook = SlowHook(delay)
    hook.start()
    try:
        env = bench_env(tmp)
        for name in CHANNEL_VARIABLES:
            env.pop(name, None)
        env["WARROOM_CONFIG"] = str(tmp / "no-such-config.toml")
        env["WARROOM_WEBHOOK"] = f"http://127.0.0.1:{hook.port}/hook"
        env["WARROOM_STATUS_PAGES"] = f"Bench=http://127.0.0.1:{hook.port}/summary.json"
        apps = {
            "idle": ([*warroom_command(), "--db", str(idle_db)], IDLE_TITLE),
            "draining": ([*warroom_command(), "--db", str(drain_db)], DRAIN_TITLE),
        }
        times: dict[str, list[float]] = {name: [] for name in apps}
        overlap: list[tuple[bool, bool]] = []
        with Tmux("drain", env) as tmux:
            sessions = {}
            for name, (command, title) in apps.items():
                session, _ = tmux.start(command)
                tmux.wait_for(session, all_on_screen(title, "Timeline"), 60, 0.01, f"{name} open")
                sessions[name] = session
            deadline = time.monotonic() + 30
            while not hook.received():
                if time.monotonic() > deadline:
                    screen = tmux.capture(sessions["draining"])
                    raise RuntimeError(f"the webhook got no POST in 30 s; screen:\n{screen}")
                time.sleep(0.05)
            time.sleep(SETTLE)

            before, opened = hook.received(), time.monotonic()
            order = list(sessions.items())
            for i in range(probes + 1):  # probe 0 warms up
                for name, session in order if i % 2 else order[::-1]:  # who goes first alternates
                    token = f"probe-{i}"
                    tmux.send_text(session, token)
                    tmux.wait_for(session, typed(token), 10, POLL, f"{token} typed into {name}")
                    started = time.monotonic()
                    tmux.send_key(session, "Enter")
                    seen = tmux.wait_for(session, logged(token), 10, POLL, f"{token} in {name}")
                    if i:
                        times[name].append(seen - started)
                        if name == "draining":
                            overlap.append(hook.busy(started, seen))
                    time.sleep(0.02)
            after, closed = hook.received(), time.monotonic()
            screen = tmux.capture(sessions["draining"])
            subtitle = re.search(r"outbox: [^─│╯]*", screen)
        with hook.lock:
            distinct, summaries = len(hook.keys), hook.summaries
    finally:
        hook.stop()
    return Result(
        times,
        overlap,
        before,
        after,
        closed - opened,
        distinct,
        summaries,
        subtitle[0].strip() if subtitle else "",
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description="warroom Enter-to-visible latency while the outbox drains to a slow webhook"
    )
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (5 probes)")
    parser.add_argument("--probes", type=int, help="probes per war room (default 30, quick 5)")
    parser.add_argument("--messages", type=int, default=100, help="queued messages (100)")
    parser.add_argument("--delay", type=float, default=0.5, help="webhook answer delay (0.5 s)")
    args = parser.parse_args()
    probes = args.probes or (5 if args.quick else 30)

    with temp_dir("warroom-bench-drain-") as tmp:
        result = measure(tmp, probes, args.messages, args.delay)

    times = result.times
    print(
        f"drain: Enter to entry visible while {args.messages} messages drain to a webhook "
        f"answering in {args.delay:g} s; tmux 160x48, {probes} probes each (1 warm-up)"
    )
    print(f"  {'':<12}{'median':>10}{'p95':>10}{'min':>10}{'max':>10}{'vs idle':>10}")
    base = median(times["idle"])
    for name, values in times.items():
        print(latency_row(name, values, base, 12, 9))
    sent = result.after - result.before
    in_flight = sum(flight for flight, _ in result.overlap)
    answered = [t for t, (_, a) in zip(times["draining"], result.overlap, strict=True) if a]
    print(
        f"  webhook POSTs received: {result.before} before the window, {result.after} after "
        f"({sent} in {result.window:.1f} s, {sent / result.window:.2f}/s); "
        f"{result.distinct} distinct idempotency keys; {result.summaries} status-page GETs"
    )
    print(
        f"  draining probes with a POST in flight: {in_flight}/{len(result.overlap)}; "
        f"with a POST answered (claim/mark_sent commits) during the probe: {len(answered)}"
        + (f", median {fmt_ms(median(answered))}" if answered else "")
    )
    if result.drain_subtitle:
        print(f"  draining war room at the end of the window: {result.drain_subtitle}")
    delivering = sent > 0 and result.after < args.messages
    if not delivering:
        print(
            "  WARNING: the draining war room was not delivering through the whole window "
            "(no POST in it, or the outbox ran dry): the ratio does not measure draining"
        )
    ratio = median(times["draining"]) / base
    print(
        f"  ratio draining / idle (median) {ratio:.2f}x   target <= {TARGET_RATIO:.1f}x   "
        f"{verdict(ratio <= TARGET_RATIO and delivering)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
