"""Latency: Enter in the entry line to the entry visible in the timeline, in a real terminal.

Four processes run side by side, each in its own 160x48 session of a private tmux server:

  baseline      bench/_baseline_app.py: a bare Textual app with warroom's panes; Enter echoes
                the line into its "Timeline" Log as `HH:MM   TEXT  @bench` and clears the input
  warroom       `warroom --db X` on a freshly declared SEV-2 incident: its timeline (one
                entry, then the probes) never fills the pane
  warroom 500   the same on an incident with 500 entries: the timeline is full, so each new
                entry scrolls it (the usual case an hour into an incident; information)
  warroom 100k  the same with 100,000 entries (information)

Probes go round-robin to the four so that they see the same machine load. For each probe:
type `probe-<i>` (`send-keys -l`), wait until it is in the entry line, then time from just
before `send-keys Enter` to the capture (polled back to back, ~2-3 ms each) showing it on a
timeline line (a line starting with the HH:MM time) and no longer in the entry line.
The baseline's figure is what the terminal, tmux and the polling cost; the ratio is
warroom's own cost over that.

Target: warroom median <= 50 ms.

With `--postgres`, two more: `warroom pg` and `warroom pg 500`, the same incidents in a
PostgreSQL database (bench/_pg.py: $WARROOM_TEST_POSTGRES's server, else a throwaway
cluster). Target: `warroom pg` median <= 1.5x `warroom`'s (SQLite), in the same run.

    python bench/latency.py [--quick] [--probes N] [--postgres]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from _harness import (
    Tmux,
    all_on_screen,
    baseline_command,
    bench_env,
    latency_row,
    logged,
    make_incident,
    median,
    temp_dir,
    typed,
    verdict,
    warroom_command,
)

TARGET_MS = 50.0
TARGET_PG_RATIO = 1.5
TITLE = "Checkout failing LATENCY-BENCH"
FULL_TITLE = "Checkout failing LATENCY-BENCH-500"
BIG_TITLE = "Checkout failing LATENCY-BENCH-100K"
BASE_TITLE = "Baseline LATENCY-BENCH"
POLL = 0.001  # between captures, each of which takes ~2-3 ms
SETTLE = 1.5  # after the first paint, before the first probe


@contextmanager
def postgres(wanted: bool) -> Iterator[Callable[[], str] | None]:
    """A factory of fresh PostgreSQL databases (their URLs) with --postgres, else None."""
    if not wanted:
        yield None
        return
    from _pg import server

    with server() as new:

        def url() -> str:
            where = new()
            assert where.url is not None
            return where.url

        yield url


def measure(
    tmp: Path,
    env: dict[str, str],
    probes: int,
    big_entries: int,
    new_pg: Callable[[], str] | None = None,
) -> dict[str, list[float]]:
    db, full, big = tmp / "warroom.db", tmp / "full.db", tmp / "big.db"
    make_incident(db, TITLE)
    make_incident(full, FULL_TITLE, entries=500)
    make_incident(big, BIG_TITLE, entries=big_entries)
    apps = {
        "baseline": (baseline_command("--title", BASE_TITLE), BASE_TITLE),
        "warroom": ([*warroom_command(), "--db", str(db)], TITLE),
        "warroom 500": ([*warroom_command(), "--db", str(full)], FULL_TITLE),
        f"warroom {big_entries // 1000}k": ([*warroom_command(), "--db", str(big)], BIG_TITLE),
    }
    if new_pg is not None:
        from warroom.store.target import DatabaseTarget

        pg_db, pg_full = new_pg(), new_pg()
        make_incident(DatabaseTarget.parse(pg_db), TITLE)
        make_incident(DatabaseTarget.parse(pg_full), FULL_TITLE, entries=500)
        apps["warroom pg"] = ([*warroom_command(), "--db", pg_db], TITLE)
        apps["warroom pg 500"] = ([*warroom_command(), "--db", pg_full], FULL_TITLE)
    times: dict[str, list[float]] = {name: [] for name in apps}
    with Tmux("latency", env) as tmux:
        sessions = {}
        for name, (command, title) in apps.items():
            session, _ = tmux.start(command)
            tmux.wait_for(session, all_on_screen(title, "Timeline"), 60, 0.01, f"{name} to open")
            sessions[name] = session
        time.sleep(SETTLE)
        for i in range(probes + 1):  # probe 0 warms up
            for name, session in sessions.items():
                token = f"probe-{i}"
                tmux.send_text(session, token)
                tmux.wait_for(session, typed(token), 10, POLL, f"{token} typed into {name}")
                started = time.monotonic()
                tmux.send_key(session, "Enter")
                seen = tmux.wait_for(session, logged(token), 10, POLL, f"{token} in {name}")
                if i:
                    times[name].append(seen - started)
                time.sleep(0.02)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description="warroom Enter-to-visible latency benchmark")
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (5 probes)")
    parser.add_argument("--probes", type=int, help="probes per app (default 30, quick 5)")
    parser.add_argument("--postgres", action="store_true", help="also warroom on PostgreSQL")
    args = parser.parse_args()
    probes = args.probes or (5 if args.quick else 30)
    big_entries = 10_000 if args.quick else 100_000

    with temp_dir("warroom-bench-latency-") as tmp, postgres(args.postgres) as new_pg:
        times = measure(tmp, bench_env(tmp), probes, big_entries, new_pg)

    print(f"latency: Enter to entry visible, tmux 160x48, {probes} probes each (1 warm-up)")
    print(f"  {'':<16}{'median':>10}{'p95':>10}{'min':>10}{'max':>10}{'vs baseline':>14}")
    base = median(times["baseline"])
    for name, values in times.items():
        print(latency_row(name, values, base, 16, 13))
    warroom = median(times["warroom"]) * 1000
    print(
        f"  warroom median {warroom:.1f} ms   target <= {TARGET_MS:.0f} ms   "
        f"{verdict(warroom <= TARGET_MS)}"
    )
    if "warroom pg" in times:
        ratio = median(times["warroom pg"]) / median(times["warroom"])
        print(
            f"  warroom pg / warroom (SQLite) {ratio:.2f}x   target <= {TARGET_PG_RATIO}x   "
            f"{verdict(ratio <= TARGET_PG_RATIO)}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
