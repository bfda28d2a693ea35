"""Scale: an incident with 100,000 entries opens about as fast as an empty one, in bounded memory.

Two databases: an "empty" incident (declared, plus one note) and a big one (declared,
100,000 notes added with Store.log_many in batches of 5,000, then the same last note).
Open time is measured in a real terminal, as in startup.py: `warroom --db X` starts in a
fresh 160x48 session of a private tmux server and `capture-pane` is polled every 10 ms
until the incident's title and the last note (on a timeline line) are on screen; the time
runs from just before `tmux new-session` to that capture. Runs alternate empty / big; one
warm-up run of each is discarded. Peak RSS is VmHWM from /proc/<pid>/status of the warroom
process (the pane's process), read 1 s after its timeline showed the last note.

For information: jumping to the first entry (focus the timeline, Home) on the big incident,
and the wall time of `warroom show ID --json`, `warroom export ID` and `warroom log` on it.

Targets: open(100k) / open(empty) <= 2.0x (medians); peak RSS with 100k entries < 300 MB.

With `--postgres`, the same two incidents in PostgreSQL databases as well (bench/_pg.py:
$WARROOM_TEST_POSTGRES's server, else a throwaway cluster), opened with `--db URL`, runs
alternating with the SQLite ones, after `VACUUM ANALYZE` (_pg.settle: what autovacuum does
on a server soon after a bulk insert). Target: pg open(100k) / pg open(empty) <= 2.0x.

    python bench/scale.py [--quick] [--runs N] [--entries N] [--postgres]
"""

from __future__ import annotations

import argparse
import subprocess
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from _harness import (
    TIMELINE_LINE,
    Tmux,
    bench_env,
    fmt_ms,
    make_incident,
    median,
    peak_rss_kb,
    temp_dir,
    verdict,
    warroom_command,
)

TARGET_RATIO = 2.0
TARGET_RSS_MB = 300
TITLE = "Checkout failing SCALE-BENCH"
LAST = "LAST-ENTRY rolled back deploy 4512"
FIRST = "Incident declared"
POLL = 0.010


def on_timeline(text: str) -> Callable[[str], bool]:
    def found(screen: str) -> bool:
        return TITLE in screen and any(
            text in line and TIMELINE_LINE.match(line) for line in screen.splitlines()
        )

    return found


def open_runs(
    dbs: dict[str, Path | str], env: dict[str, str], runs: int
) -> tuple[dict[str, list[float]], dict[str, list[int]], list[float]]:
    times: dict[str, list[float]] = {name: [] for name in dbs}
    rss: dict[str, list[int]] = {name: [] for name in dbs}
    jumps: list[float] = []
    with Tmux("scale", env) as tmux:
        for i in range(runs + 1):  # run 0 is the warm-up
            order = list(dbs) if i % 2 else list(reversed(dbs))
            for name in order:
                session, spawned = tmux.start([*warroom_command(), "--db", str(dbs[name])])
                seen = tmux.wait_for(session, on_timeline(LAST), 120, POLL, f"{name} to open")
                time.sleep(1.0)
                kb = peak_rss_kb(tmux.pid(session))
                if i:
                    times[name].append(seen - spawned)
                    rss[name].append(kb)
                if i and "empty" not in name:
                    tmux.send_key(session, "BTab")  # the entry line -> the timeline
                    time.sleep(0.3)
                    started = time.monotonic()
                    tmux.send_key(session, "Home")
                    seen = tmux.wait_for(session, on_timeline(FIRST), 30, POLL, "first entry")
                    jumps.append(seen - started)
                tmux.stop(session)
    return times, rss, jumps


def cli_runs(db: Path, incident: str, tmp: Path, env: dict[str, str], runs: int) -> None:
    commands = {
        "show ID --json": ["show", incident, "--json"],
        "export ID": ["export", incident, "-o", str(tmp / "review.md")],
        "log TEXT": ["log", "--incident", incident, "one more note"],
    }
    print(f"\nCLI on the big incident (wall time, median of {runs}, information):")
    for label, args in commands.items():
        times = []
        size = 0
        for _ in range(runs):
            started = time.perf_counter()
            proc = subprocess.run(
                [*warroom_command(), "--db", str(db), *args],
                env=env,
                capture_output=True,
                check=True,
            )
            times.append(time.perf_counter() - started)
            size = len(proc.stdout)
        if label.startswith("export"):
            size = (tmp / "review.md").stat().st_size
        note = f"   output {size / 1e6:.1f} MB" if size > 1000 else ""
        print(f"  warroom {label:<18}{fmt_ms(median(times)):>10}{note}")


def main() -> int:
    parser = argparse.ArgumentParser(description="warroom scale benchmark")
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (10k, 2 runs)")
    parser.add_argument("--runs", type=int, help="measured runs per database (default 5)")
    parser.add_argument("--entries", type=int, help="entries in the big incident (100,000)")
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    args = parser.parse_args()
    runs = args.runs or (2 if args.quick else 5)
    entries = args.entries or (10_000 if args.quick else 100_000)
    big = f"{entries // 1000}k" if entries >= 1000 else str(entries)

    with temp_dir("warroom-bench-scale-") as tmp, ExitStack() as stack:
        env = bench_env(tmp)
        files = {"empty": tmp / "empty.db", big: tmp / "big.db"}
        make_incident(files["empty"], TITLE, last=LAST)
        started = time.perf_counter()
        incident = make_incident(files[big], TITLE, entries=entries, last=LAST)
        built = time.perf_counter() - started
        size = files[big].stat().st_size / 1e6
        print(f"built: {entries:,} entries via Store.log_many in {built:.1f} s ({size:.0f} MB)")
        dbs: dict[str, Path | str] = dict(files)
        if args.postgres:
            from _pg import server, settle

            new_database = stack.enter_context(server())
            pg_empty, pg_big = new_database(), new_database()
            make_incident(pg_empty, TITLE, last=LAST)
            started = time.perf_counter()
            make_incident(pg_big, TITLE, entries=entries, last=LAST)
            built = time.perf_counter() - started
            settle(pg_empty)
            settle(pg_big)
            print(f"built on PostgreSQL: {entries:,} entries in {built:.1f} s (VACUUM ANALYZE)")
            dbs["pg empty"], dbs[f"pg {big}"] = pg_empty.url or "", pg_big.url or ""

        times, rss, jumps = open_runs(dbs, env, runs)
        print(f"\nscale: open to title + last entry visible, tmux 160x48, median of {runs}")
        print(f"  {'':<10}{'median':>10}{'min':>10}{'max':>10}{'peak RSS':>12}")
        for name in dbs:
            values = times[name]
            print(
                f"  {name:<10}{fmt_ms(median(values)):>10}{fmt_ms(min(values)):>10}"
                f"{fmt_ms(max(values)):>10}{max(rss[name]) / 1024:>9.0f} MB"
            )
        if args.postgres:
            pg_ratio = median(times[f"pg {big}"]) / median(times["pg empty"])
            print(
                f"  ratio pg {big}/pg empty: {pg_ratio:.2f}x   target <= {TARGET_RATIO}x   "
                f"{verdict(pg_ratio <= TARGET_RATIO)}"
            )
        ratio = median(times[big]) / median(times["empty"])
        peak = max(rss[big]) / 1024
        print(
            f"  ratio {big}/empty: {ratio:.2f}x   target <= {TARGET_RATIO}x   "
            f"{verdict(ratio <= TARGET_RATIO)}"
        )
        print(
            f"  peak RSS with {big} entries: {peak:.0f} MB   target < {TARGET_RSS_MB} MB   "
            f"{verdict(peak < TARGET_RSS_MB)}"
        )
        print(f"  jump to the first entry (Home) with {big}: {fmt_ms(median(jumps))} (information)")

        cli_runs(files[big], incident, tmp, env, 1 if args.quick else 3)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
