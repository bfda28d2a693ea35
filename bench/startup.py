"""Start-up: process start to first paint of an open incident, against a bare Textual app.

Headline (real process, real terminal): each run starts the process in a fresh 160x48 tmux
session on a private server and polls `capture-pane` every 10 ms until the marker is on
screen: for warroom the incident's title and "Timeline", for the baseline
(bench/_baseline_app.py: the same panes and layout, no store) its title and "Timeline".
The time runs from just before `tmux new-session` to the capture that shows the marker.
Runs alternate baseline / warroom; one warm-up run of each is discarded.

Also: the same in-process (App.run_test, headless, from constructing the app, and for
warroom opening the Store, to the first refresh after mount), and the import times of
`textual.app` and `warroom.tui.app` (`python -c "import ..."`), which dominate start-up.

Target: warroom / baseline <= 1.5x (median of the tmux runs).

    python bench/startup.py [--quick] [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from _harness import (
    COLS,
    ROWS,
    Tmux,
    all_on_screen,
    baseline_command,
    bench_env,
    fmt_ms,
    median,
    run_cli,
    temp_dir,
    verdict,
    warroom_command,
)

TARGET_RATIO = 1.5
TITLE = "Checkout failing STARTUP-BENCH"
BASE_TITLE = "Baseline STARTUP-BENCH"
POLL = 0.010


def tmux_runs(db: Path, env: dict[str, str], runs: int) -> dict[str, list[float]]:
    commands = {
        "baseline": (baseline_command("--title", BASE_TITLE), BASE_TITLE),
        "warroom": ([*warroom_command(), "--db", str(db)], TITLE),
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    with Tmux("startup", env) as tmux:
        for i in range(runs + 1):  # run 0 is the warm-up (page cache, .pyc files)
            order = list(commands) if i % 2 else list(reversed(commands))
            for name in order:
                command, title = commands[name]
                session, spawned = tmux.start(command)
                seen = tmux.wait_for(
                    session,
                    all_on_screen(title, "Timeline"),
                    timeout=60,
                    interval=POLL,
                    what=f"{name}'s first paint",
                )
                tmux.stop(session)
                if i:
                    times[name].append(seen - spawned)
    return times


def in_process_runs(db: Path, runs: int) -> dict[str, list[float]]:
    from _baseline_app import BaselineApp

    from warroom.playbook import default_playbook
    from warroom.store.store import Store
    from warroom.tui.app import WarRoomApp

    playbook = default_playbook()

    async def first_paint(name: str) -> float:
        started = time.perf_counter()
        store = Store(db, playbook, author="bench") if name == "warroom" else None
        app = WarRoomApp(store, reviews_dir=db.parent / "reviews") if store else BaselineApp()
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause()
            elapsed = time.perf_counter() - started
        if store is not None:
            store.dispose()
        return elapsed

    times: dict[str, list[float]] = {"baseline": [], "warroom": []}
    for i in range(runs + 1):
        for name in times:
            elapsed = asyncio.run(first_paint(name))
            if i:
                times[name].append(elapsed)
    return times


def import_time(module: str, env: dict[str, str]) -> float:
    code = f"import {module}" if module else "pass"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    return time.perf_counter() - started


def import_times(env: dict[str, str], runs: int) -> dict[str, list[float]]:
    modules = {"(python -c pass)": "", "textual.app": "textual.app"}
    modules |= {"warroom.tui.app": "warroom.tui.app", "warroom.cli": "warroom.cli"}
    modules |= {"sqlmodel (the Store's ORM)": "sqlmodel"}
    times: dict[str, list[float]] = {name: [] for name in modules}
    for i in range(runs + 1):
        for name, module in modules.items():
            elapsed = import_time(module, env)
            if i:
                times[name].append(elapsed)
    return times


def heaviest_packages(module: str, env: dict[str, str], top: int = 6) -> list[tuple[str, float]]:
    """Self import time by top-level package, from `python -X importtime`."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    by_package: dict[str, float] = defaultdict(float)
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, name = line.removeprefix("import time:").split("|")
        by_package[name.strip().split(".")[0]] += int(self_us) / 1e6
    return sorted(by_package.items(), key=lambda kv: -kv[1])[:top]


def row(label: str, values: list[float]) -> str:
    return (
        f"  {label:<28}{fmt_ms(median(values)):>10}{fmt_ms(min(values)):>10}"
        f"{fmt_ms(max(values)):>10}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="warroom start-up benchmark")
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (2 runs each)")
    parser.add_argument("--runs", type=int, help="measured runs per app (default 7, quick 2)")
    args = parser.parse_args()
    runs = args.runs or (2 if args.quick else 7)

    with temp_dir("warroom-bench-startup-") as tmp:
        env = bench_env(tmp)
        db = tmp / "warroom.db"
        run_cli("--db", str(db), "declare", "--sev", "2", "--title", TITLE, env=env)

        print(f"startup: process start to first paint, tmux {COLS}x{ROWS}, median of {runs}")
        print(f"  {'':<28}{'median':>10}{'min':>10}{'max':>10}")
        terminal = tmux_runs(db, env, runs)
        for name, values in terminal.items():
            print(row(name, values))
        ratio = median(terminal["warroom"]) / median(terminal["baseline"])
        print(
            f"  ratio warroom/baseline: {ratio:.2f}x   target <= {TARGET_RATIO}x   "
            f"{verdict(ratio <= TARGET_RATIO)}"
        )

        print(f"\nin-process (App.run_test 160x48, construct to first refresh), median of {runs}")
        inproc = in_process_runs(db, runs)
        for name, values in inproc.items():
            print(row(name, values))
        print(
            "  ratio warroom/baseline: "
            f"{median(inproc['warroom']) / median(inproc['baseline']):.2f}x   (information)"
        )

        import_runs = max(runs, 5) if not args.quick else 2
        print(
            f'\nimports: python -c "import X" (interpreter start included), median of {import_runs}'
        )
        imports = import_times(env, import_runs)
        for name, values in imports.items():
            print(row(name, values))
        bare = median(imports["(python -c pass)"])
        textual_cost = median(imports["textual.app"]) - bare
        warroom_cost = median(imports["warroom.tui.app"]) - bare
        print(
            f"  import cost over a bare interpreter: textual.app {fmt_ms(textual_cost)}, "
            f"warroom.tui.app {fmt_ms(warroom_cost)} ({warroom_cost / textual_cost:.2f}x)"
        )
        heavy = heaviest_packages("warroom.tui.app", env)
        print(
            "  self import time by package (warroom.tui.app, -X importtime, one run): "
            + ", ".join(f"{name} {fmt_ms(seconds)}" for name, seconds in heavy)
        )

    return 0


if __name__ == "__main__":
    raise SystemExit(main())
