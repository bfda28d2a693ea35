"""The Store on PostgreSQL against the Store on SQLite, measured in the same run.

Three figures (issue 12), store-level (no terminal: what the war room does, through the
Store, without Textual's paint, which both backends pay alike):

1. Enter to visible. One probe: `Store.log(incident, text)`, then what the war room reads
   to show it: the entry count and the timeline window at the end (40 entries, read
   backwards from the end as `TimelineView` does), checked to hold the probe. On an
   incident with 500 entries. SQLite and PostgreSQL alternate probe by probe (the same
   machine load). Target: PostgreSQL median <= 1.5x SQLite's.
2. Another machine's write to visible. A writer in another process (its own Store, its own
   connections) logs a probe; this process waits as the war room's PostgresWatcher does
   (`pg.Listener.wait`, woken by the commit's NOTIFY), then reads the count and the window
   and finds the probe. Time from just before the writer's `log` to the probe read here
   (`time.perf_counter`, CLOCK_MONOTONIC: one clock for both processes). Baseline: the same
   on SQLite with a `data_version()` poll every 5 ms. Target: PostgreSQL median <= 300 ms.
3. Opening an incident of 100,000 entries vs an empty one: a new Store, then what the war
   room reads for its first screen (`read_view`: data_version, the incident, the open
   ones, snoozes, roles, checklist, outbox counts) and the timeline's first window (count,
   the last 40 entries). Empty and big alternate; one warm-up each. Target: <= 2.0x.
   Both databases get `VACUUM ANALYZE` once built (_pg.settle: autovacuum's job on a
   server, done at once here).
   (`scale.py --postgres` measures the same in a real terminal.)

The server: $WARROOM_TEST_POSTGRES if set (a role that may create databases), else a
throwaway cluster from the local PostgreSQL binaries (tests/pgcluster.py: fsync and
synchronous_commit off, so PostgreSQL's commit is cheaper than a production server's; the
SQLite side runs as warroom runs it, synchronous=FULL).

    python bench/pg_store.py [--quick] [--probes N] [--entries N]
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from pathlib import Path
from typing import Any

from _harness import fmt_ms, latency_row, make_incident, median, temp_dir, verdict
from _pg import server, settle

from warroom.playbook import default_playbook
from warroom.store import pg
from warroom.store.outbox import counts
from warroom.store.store import Store
from warroom.store.target import DatabaseTarget

TARGET_ENTER = 1.5
TARGET_REMOTE_MS = 300.0
TARGET_OPEN = 2.0
WINDOW = 40
SQLITE_POLL_S = 0.005

Db = Path | DatabaseTarget


def visible(store: Store, incident_id: str, token: str) -> bool:
    """What the war room reads to show a new entry: the count, the window at the end."""
    total = store.entry_count(incident_id)
    window = store.timeline(incident_id, max(0, total - WINDOW), WINDOW, total)
    return any(entry.text == token for entry in window)


# -- 1. Enter to visible ---------------------------------------------------------------------


def measure_enter(dbs: dict[str, Db], probes: int) -> dict[str, list[float]]:
    stores = {name: Store(db, default_playbook(), author="bench") for name, db in dbs.items()}
    incidents = {name: make_incident(db, "ENTER-BENCH", entries=500) for name, db in dbs.items()}
    times: dict[str, list[float]] = {name: [] for name in dbs}
    try:
        for i in range(probes + 1):  # probe 0 warms up
            for name, store in stores.items():
                token = f"probe-{i}"
                started = time.perf_counter()
                store.log(incidents[name], token)
                if not visible(store, incidents[name], token):
                    raise RuntimeError(f"{token} not visible in {name}")
                if i:
                    times[name].append(time.perf_counter() - started)
    finally:
        for store in stores.values():
            store.dispose()
    return times


# -- 2. another machine's write to visible ----------------------------------------------------


def _writer(where: str, incident_id: str, requests: Any, replies: Any) -> None:
    """Child process: for each token asked for, log it and say when the write began."""
    store = Store(DatabaseTarget.parse(where), default_playbook(), author="elsewhere")
    store.prepare_writes()
    try:
        while (token := requests.get()) is not None:
            time.sleep(0.05)  # the reader is waiting, as the war room between changes
            started = time.perf_counter()
            store.log(incident_id, token)
            replies.put(started)
    finally:
        store.dispose()


def measure_remote(db: Db, probes: int) -> list[float]:
    where = db.url if isinstance(db, DatabaseTarget) and db.url else str(db)
    incident_id = make_incident(db, "REMOTE-BENCH", entries=500)
    store = Store(db, default_playbook(), author="bench")
    listener = pg.Listener(db) if isinstance(db, DatabaseTarget) and db.is_postgres else None
    context = multiprocessing.get_context("spawn")
    requests, replies = context.Queue(), context.Queue()
    child = context.Process(target=_writer, args=(where, incident_id, requests, replies))
    child.start()
    times = []
    try:
        for i in range(probes + 1):
            token = f"remote-{i}"
            version = store.data_version()
            requests.put(token)
            deadline = time.monotonic() + 10
            while True:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{token} never became visible")
                if listener is not None:
                    if not listener.wait(1.0):
                        continue
                else:
                    time.sleep(SQLITE_POLL_S)
                    if store.data_version() == version:
                        continue
                if visible(store, incident_id, token):
                    seen = time.perf_counter()
                    break
            started = replies.get(timeout=10)
            if i:
                times.append(seen - started)
    finally:
        requests.put(None)
        child.join(20)
        if listener is not None:
            listener.close()
        store.dispose()
    return times


# -- 3. opening 100,000 entries vs an empty incident ------------------------------------------


def open_once(db: Db) -> float:
    started = time.perf_counter()
    store = Store(db, default_playbook(), author="bench")
    try:
        store.data_version()
        incident = store.current()
        assert incident is not None
        others = [i for i in store.incidents() if i.is_open and i.id != incident.id]
        store.snoozes(incident.id)
        for other in others:
            store.snoozes(other.id)
        store.roles(incident.id)
        store.checklist(incident.id)
        counts(store, incident.id)
        total = store.entry_count(incident.id)
        window = store.timeline(incident.id, max(0, total - WINDOW), WINDOW, total)
        assert window and window[-1].text == "LAST"
        return time.perf_counter() - started
    finally:
        store.dispose()


def measure_open(dbs: dict[str, Db], runs: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in dbs}
    for i in range(runs + 1):
        order = list(dbs) if i % 2 else list(reversed(dbs))
        for name in order:
            took = open_once(dbs[name])
            if i:
                times[name].append(took)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description="warroom Store: PostgreSQL vs SQLite")
    parser.add_argument("--quick", action="store_true", help="a fast smoke run")
    parser.add_argument("--probes", type=int, help="probes (default 100, quick 10)")
    parser.add_argument("--entries", type=int, help="entries of the big incident (100,000)")
    args = parser.parse_args()
    probes = args.probes or (10 if args.quick else 100)
    entries = args.entries or (10_000 if args.quick else 100_000)
    runs = 3 if args.quick else 7

    with temp_dir("warroom-bench-pgstore-") as tmp, server() as new_database:
        enter = measure_enter({"sqlite": tmp / "enter.db", "postgresql": new_database()}, probes)
        print(f"1. Enter to visible (log + count + last {WINDOW} entries), store-level,")
        print(f"   incident of 500 entries, {probes} probes each (1 warm-up), alternating")
        print(f"  {'':<12}{'median':>10}{'p95':>10}{'min':>10}{'max':>10}{'vs sqlite':>12}")
        base = median(enter["sqlite"])
        for name, values in enter.items():
            print(latency_row(name, values, base, 12, 11))
        ratio = median(enter["postgresql"]) / base
        print(
            f"  ratio {ratio:.2f}x   target <= {TARGET_ENTER}x   {verdict(ratio <= TARGET_ENTER)}"
        )

        remote_probes = max(5, probes // 2)
        remote = {
            "sqlite poll": measure_remote(tmp / "remote.db", remote_probes),
            "postgresql": measure_remote(new_database(), remote_probes),
        }
        print("\n2. Another process's write to visible here (log there; NOTIFY or a 5 ms")
        print(f"   data_version poll here; count + window read), {remote_probes} probes each")
        print(f"  {'':<12}{'median':>10}{'p95':>10}{'min':>10}{'max':>10}{'vs sqlite':>12}")
        base = median(remote["sqlite poll"])
        for name, values in remote.items():
            print(latency_row(name, values, base, 12, 11))
        ms = median(remote["postgresql"]) * 1000
        print(
            f"  postgresql median {ms:.1f} ms   target <= {TARGET_REMOTE_MS:.0f} ms   "
            f"{verdict(ms <= TARGET_REMOTE_MS)}"
        )

        big = f"{entries // 1000}k"
        dbs: dict[str, Db] = {"empty": new_database(), big: new_database()}
        make_incident(dbs["empty"], "OPEN-BENCH", last="LAST")
        started = time.perf_counter()
        make_incident(dbs[big], "OPEN-BENCH", entries=entries, last="LAST")
        built = time.perf_counter() - started
        for db in dbs.values():
            assert isinstance(db, DatabaseTarget)
            settle(db)
        opened = measure_open(dbs, runs)
        print(f"\n3. Open (new Store + first screen's reads) on PostgreSQL, median of {runs}")
        print(
            f"   ({entries:,} entries built with Store.log_many in {built:.1f} s; VACUUM ANALYZE)"
        )
        for name, values in opened.items():
            print(
                f"  {name:<12}{fmt_ms(median(values)):>10}{fmt_ms(min(values)):>10}"
                f"{fmt_ms(max(values)):>10}"
            )
        ratio = median(opened[big]) / median(opened["empty"])
        print(
            f"  ratio {big}/empty {ratio:.2f}x   target <= {TARGET_OPEN}x   "
            f"{verdict(ratio <= TARGET_OPEN)}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
