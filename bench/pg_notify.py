"""PostgreSQL NOTIFY: a commit on one connection to a listener waking on another.

What the war room on PostgreSQL will rely on to learn of another process's write
(warroom/store/pg.py: `notify` in the write transaction, `Listener.wait`). For each probe a
writer commits an INSERT with `pg_notify('warroom', id)` (`run_transaction`), and a thread
blocked in `Listener.wait` records when it wakes with that id.

Baseline, measured in the same run: SQLite in WAL mode, a writer committing an INSERT on
one connection, and a thread on another connection polling `PRAGMA data_version` every
5 ms (the value changes when another connection commits): how fast a poll finds a commit,
without PostgreSQL's network round trips. The ratio is NOTIFY's median over that.

The server: $WARROOM_TEST_POSTGRES if set (a role that may create a database), else a
throwaway cluster started here from the local PostgreSQL binaries (tests/pgcluster.py) and
removed at the end. Needs psycopg (`pip install -e '.[postgres]'`).

Target: commit -> listener wakes, median <= 20 ms.

    python bench/pg_notify.py [--quick] [--probes N]
"""

from __future__ import annotations

import argparse
import os
import secrets
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from _harness import latency_row, median, temp_dir, verdict

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from pgcluster import Cluster  # noqa: E402 (tests/ holds the throwaway-cluster helper)

from warroom.store import pg  # noqa: E402
from warroom.store.target import DatabaseTarget  # noqa: E402

TARGET_MS = 20.0
SQLITE_POLL_S = 0.005


@contextmanager
def server() -> Iterator[DatabaseTarget]:
    """A fresh database on $WARROOM_TEST_POSTGRES's server or on a throwaway cluster."""
    import psycopg

    url = os.environ.get("WARROOM_TEST_POSTGRES")
    cluster = None if url else Cluster.start()
    base = url or (cluster.url if cluster else "")
    name = f"bench_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        head, _, _ = base.rpartition("/")
        yield DatabaseTarget.parse(f"{head}/{name}")
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        if cluster is not None:
            cluster.stop()


def measure_notify(where: DatabaseTarget, probes: int) -> list[float]:
    setup = pg.connect(where)
    setup.execute("CREATE TABLE IF NOT EXISTS probe (id serial PRIMARY KEY, text text NOT NULL)")
    setup.commit()
    setup.close()
    listener = pg.Listener(where)
    writer = pg.connect(where)
    woke: dict[str, float] = {}
    done = threading.Event()
    wanted = {f"probe-{i}" for i in range(probes + 1)}

    def listen() -> None:
        while not done.is_set() and not wanted <= set(woke):
            for payload in listener.wait(0.2):
                woke.setdefault(payload, time.perf_counter())

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    times = []
    try:
        for i in range(probes + 1):
            token = f"probe-{i}"

            def write(c: pg.Connection, token: str = token) -> None:
                c.execute("INSERT INTO probe (text) VALUES (%s)", (token,))
                pg.notify(c, token)

            time.sleep(0.02)  # the listener is blocked in its wait, as in the war room
            started = time.perf_counter()
            pg.run_transaction(writer, write)
            deadline = time.monotonic() + 5
            while token not in woke and time.monotonic() < deadline:
                time.sleep(0.0002)
            if token not in woke:
                raise RuntimeError(f"{token}: no notification within 5 s")
            if i:  # the first is a warm-up
                times.append(woke[token] - started)
    finally:
        done.set()
        thread.join(2)
        writer.close()
        listener.close()
    return times


def measure_sqlite(tmp: Path, probes: int) -> list[float]:
    path = tmp / "poll.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA synchronous=FULL")
    writer.execute("CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
    poller = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    seen: list[float] = []
    done = threading.Event()

    def poll() -> None:
        last = poller.execute("PRAGMA data_version").fetchone()[0]
        while not done.is_set():
            version = poller.execute("PRAGMA data_version").fetchone()[0]
            if version != last:
                last = version
                seen.append(time.perf_counter())
            time.sleep(SQLITE_POLL_S)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    times = []
    try:
        for i in range(probes + 1):
            time.sleep(0.02 + SQLITE_POLL_S * (i % 5) / 5)  # commits land anywhere in a poll
            before = len(seen)
            started = time.perf_counter()
            writer.execute("BEGIN IMMEDIATE")
            writer.execute("INSERT INTO probe (text) VALUES (?)", (f"probe-{i}",))
            writer.execute("COMMIT")
            deadline = time.monotonic() + 5
            while len(seen) == before and time.monotonic() < deadline:
                time.sleep(0.0002)
            if len(seen) == before:
                raise RuntimeError("the poll never saw the commit")
            if i:
                times.append(seen[before] - started)
    finally:
        done.set()
        thread.join(2)
        poller.close()
        writer.close()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description="PostgreSQL commit -> NOTIFY listener wakes")
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (10 probes)")
    parser.add_argument("--probes", type=int, help="probes per variant (default 50, quick 10)")
    args = parser.parse_args()
    probes = args.probes or (10 if args.quick else 50)

    with temp_dir("warroom-bench-pg-") as tmp, server() as where:
        # Alternate the two, a batch at a time, so both see the same machine load.
        notify: list[float] = []
        poll: list[float] = []
        batch = max(1, probes // 5)
        for _ in range(0, probes, batch):
            notify += measure_notify(where, batch)
            poll += measure_sqlite(tmp, batch)
        times = {"sqlite": poll, "notify": notify}

    print(f"pg_notify: commit on one connection -> another wakes, {len(notify)} probes each")
    print(f"  {'':<34}{'median':>10}{'p95':>10}{'min':>10}{'max':>10}{'vs poll':>10}")
    base = median(times["sqlite"])
    print(
        latency_row(f"SQLite data_version poll, {SQLITE_POLL_S * 1000:.0f} ms", poll, base, 34, 9)
    )
    print(latency_row("PostgreSQL NOTIFY -> Listener.wait", notify, base, 34, 9))
    got = median(notify) * 1000
    print(
        f"  NOTIFY median {got:.2f} ms   target <= {TARGET_MS:.0f} ms   {verdict(got <= TARGET_MS)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
