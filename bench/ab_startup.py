"""Start-up A/B: two warroom builds (two venvs), alternating, to first paint in tmux.

    python bench/ab_startup.py OLD_VENV NEW_VENV [--runs N]

Each opens its own copy of one incident's database (built by the old build, so the new one
upgrades its copy in the discarded warm-up run). Prints each build's median and the ratio.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from _harness import Tmux, all_on_screen, bench_env, fmt_ms, median, temp_dir

TITLE = "Checkout failing STARTUP-BENCH"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with temp_dir("warroom-ab-") as home:
        env = bench_env(home)
        import subprocess

        first = home / "old.db"
        subprocess.run(
            [
                str(args.old / "bin" / "warroom"),
                "--db",
                str(first),
                "declare",
                "--sev",
                "2",
                "--title",
                TITLE,
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        shutil.copy(first, home / "new.db")
        builds = {
            "old": [str(args.old / "bin" / "warroom"), "--db", str(first)],
            "new": [str(args.new / "bin" / "warroom"), "--db", str(home / "new.db")],
        }
        times: dict[str, list[float]] = {name: [] for name in builds}
        with Tmux("ab", env) as tmux:
            for i in range(args.runs + 1):
                order = list(builds) if i % 2 else list(reversed(builds))
                for name in order:
                    session, spawned = tmux.start(builds[name])
                    seen = tmux.wait_for(
                        session,
                        all_on_screen(TITLE, "Timeline"),
                        timeout=60,
                        interval=0.01,
                        what=f"{name}'s first paint",
                    )
                    tmux.stop(session)
                    if i:
                        times[name].append(seen - spawned)
        for name, values in times.items():
            print(f"{name}: median {fmt_ms(median(values))} (min {fmt_ms(min(values))})")
        print(f"new / old: {median(times['new']) / median(times['old']):.2f}x")


if __name__ == "__main__":
    main()
