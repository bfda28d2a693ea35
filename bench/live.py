"""Live: an entry written by another process, to the entry visible in an open war room.

`warroom --db X` runs in a 160x48 tmux session. For each probe this script writes an entry
the way another process does (a Store of its own on the same database file), then polls
the war room's screen until the entry is on a timeline line. The war room learns of the
write from a file event (watchfiles on the database files), not by polling.

Two figures, measured in the same run:

  commit -> visible   from the other process's commit to the entry on screen: the war
                      room's own cost (file event, re-read, repaint) plus one capture
  warroom log -> visible
                      from starting `warroom log TEXT` (a new Python process each time)
                      to the entry on screen: what a deploy script sees (information)

The baseline is the same war room's Enter-to-visible for a typed entry (no file event at
all), so the ratio is what the cross-process path costs over a local keystroke.

Target: commit -> visible median <= 300 ms.

    python bench/live.py [--quick] [--probes N]
"""

from __future__ import annotations

import argparse
import subprocess
import time
from pathlib import Path

from _harness import (
    Tmux,
    all_on_screen,
    bench_env,
    latency_row,
    logged,
    make_incident,
    median,
    temp_dir,
    verdict,
    warroom_command,
)

TARGET_MS = 300.0
TITLE = "Shared incident LIVE-BENCH"
POLL = 0.002
SETTLE = 1.5


def measure(tmp: Path, env: dict[str, str], probes: int) -> dict[str, list[float]]:
    from warroom.playbook import default_playbook
    from warroom.store.store import Store

    db = tmp / "warroom.db"
    incident_id = make_incident(db, TITLE)
    writer = Store(db, default_playbook(), author="other-process")
    times: dict[str, list[float]] = {"typed Enter": [], "commit": [], "warroom log": []}
    try:
        with Tmux("live", env) as tmux:
            session, _ = tmux.start([*warroom_command(), "--db", str(db)])
            tmux.wait_for(session, all_on_screen(TITLE, "Timeline"), 60, 0.01, "war room")
            time.sleep(SETTLE)
            for i in range(probes + 1):  # probe 0 warms up
                token = f"typed-{i}"
                tmux.send_text(session, token)
                time.sleep(0.05)
                started = time.monotonic()
                tmux.send_key(session, "Enter")
                seen = tmux.wait_for(session, logged(token), 10, POLL, token)
                if i:
                    times["typed Enter"].append(seen - started)

                token = f"commit-{i}"
                started = time.monotonic()
                writer.log(incident_id, token)
                seen = tmux.wait_for(session, logged(token), 10, POLL, token)
                if i:
                    times["commit"].append(seen - started)

                token = f"cli-{i}"
                started = time.monotonic()
                subprocess.run(
                    [*warroom_command(), "--db", str(db), "log", token], env=env, check=True
                )
                seen = tmux.wait_for(session, logged(token), 10, POLL, token)
                if i:
                    times["warroom log"].append(seen - started)
                time.sleep(0.05)
    finally:
        writer.dispose()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description="another process's entry to visible")
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (5 probes)")
    parser.add_argument("--probes", type=int, help="probes (default 20, quick 5)")
    args = parser.parse_args()
    probes = args.probes or (5 if args.quick else 20)

    with temp_dir("warroom-bench-live-") as tmp:
        times = measure(tmp, bench_env(tmp), probes)

    print(f"live: another process's entry to visible, tmux 160x48, {probes} probes (1 warm-up)")
    print(f"  {'':<22}{'median':>10}{'p95':>10}{'min':>10}{'max':>10}{'vs typed':>11}")
    base = median(times["typed Enter"])
    labels = {
        "typed Enter": "typed Enter (baseline)",
        "commit": "commit -> visible",
        "warroom log": "warroom log -> visible",
    }
    for name, values in times.items():
        print(latency_row(labels[name], values, base, 22, 10))
    commit = median(times["commit"]) * 1000
    print(
        f"  commit -> visible median {commit:.1f} ms   target <= {TARGET_MS:.0f} ms   "
        f"{verdict(commit <= TARGET_MS)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
