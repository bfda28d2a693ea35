"""One-shot commands: a hook's `warroom log TEXT` (and every other write) against the floor.

The floor, measured in the same run: a bare Python process that opens an SQLite file in WAL
mode and commits one row (`python -c "import sqlite3; ..."`). Each command runs as a whole
process (the console script), alternating with the floor, after one discarded warm-up of
each (it fills the private bytecode cache: bench_env says why). Every command works on one
incident in a database of its own; commands that toggle (status, sev, close/reopen) go back
and forth so that every run writes.

Figures: per command, the median wall time of the runs and its ratio to the floor's median.
Target (issue 11): every simple write <= 6x the floor. `import` (pydantic validates the
record) and `close --answers` (jinja2 writes the review) are reported too; they are not
simple writes.

    python bench/oneshot.py [--quick] [--runs N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from _harness import bench_env, fmt_ms, median, temp_dir, verdict, warroom_command

TARGET = 6.0

FLOOR = (
    "import sqlite3, sys\n"
    "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
    "c.execute('PRAGMA journal_mode=WAL')\n"
    "c.execute('BEGIN IMMEDIATE')\n"
    "c.execute('INSERT INTO t (text) VALUES (?)', ('deploy finished',))\n"
    "c.execute('COMMIT')\n"
)


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {proc.stderr.strip()}")
    return elapsed


def commands(answers: Path, record: Path) -> dict[str, Callable[[int], list[str]]]:
    """Each command's arguments for run N (toggling where a repeat would change nothing)."""
    statuses = ["identified", "mitigating"]
    return {
        "log": lambda n: ["log", f"deploy {n} finished"],
        "ack": lambda n: ["ack"],
        "status": lambda n: ["status", statuses[n % 2]],
        "sev": lambda n: ["sev", str(2 + n % 2)],
        "assign": lambda n: ["assign", "ops", f"person{n}"],
        "item": lambda n: ["item", "--owner", "bob", "P2", f"Follow-up {n}"],
        "update": lambda n: ["update", "internal", f"still on it ({n})"],
        "impact": lambda n: ["impact", "--users", f"{n}% of EU users"],
        "detected": lambda n: ["detected", "-30m"],
        "declare": lambda n: ["declare", "--title", f"Hook incident {n}", "--sev", "3"],
        "reopen+close": lambda n: ["reopen"] if n % 2 else ["close"],
        "close --answers": lambda n: ["reopen"] if n % 2 else ["close", "--answers", str(answers)],
        "import": lambda n: ["import", str(record)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 runs")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--only", help="one command of the table (e.g. log)")
    args = parser.parse_args()
    runs = 5 if args.quick else args.runs
    with temp_dir("warroom-oneshot-") as home:
        env = bench_env(home)
        floor_db = home / "floor.db"
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import sqlite3,sys; sqlite3.connect(sys.argv[1])"
                ".execute('CREATE TABLE t (id INTEGER PRIMARY KEY, text TEXT)')",
                str(floor_db),
            ],
            check=True,
        )
        floor_cmd = [sys.executable, "-c", FLOOR, str(floor_db)]
        answers = home / "answers.toml"
        answers.write_text('root_cause = "a bad deploy"\nresolution = "rolled back"\n')
        record = home / "record.json"
        print(f"one-shot commands, {runs} runs each, alternating with the floor")
        print(f"{'command':<18}{'median':>10}{'floor':>10}{'ratio':>8}  target <= {TARGET}x")
        table = commands(answers, record)
        for name, argv in table.items():
            if args.only and name != args.only:
                continue
            db = home / f"{name.split()[0]}.db"
            base = [*warroom_command(), "--db", str(db), "--as", "bench"]
            if name != "declare":
                subprocess.run(
                    [*base, "declare", "--title", "Checkout down", "--sev", "2"],
                    env=env,
                    check=True,
                    capture_output=True,
                )
            if name == "import":  # the open incident's record, imported again and again
                shown = subprocess.run(
                    [*base, "show", "--json"], env=env, check=True, capture_output=True, text=True
                )
                record.write_text(shown.stdout)
            timed(floor_cmd, env)  # warm-ups, discarded
            timed([*base, *argv(0)], env)
            mine, floors = [], []
            for n in range(1, runs + 1):
                floors.append(timed(floor_cmd, env))
                mine.append(timed([*base, *argv(n)], env))
            ratio = median(mine) / median(floors)
            simple = name not in ("import", "close --answers")
            mark = verdict(ratio <= TARGET) if simple else "(not a simple write)"
            print(
                f"{name:<18}{fmt_ms(median(mine)):>10}{fmt_ms(median(floors)):>10}"
                f"{ratio:>7.1f}x  {mark}"
            )


if __name__ == "__main__":
    main()
