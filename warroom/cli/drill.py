"""`warroom drill`: the runbook's quarterly exercises, on a simulated clock.

    warroom drill [SCENARIO|FILE] [--speed N] [--onboarding] [--live-comms]
    warroom drill --list                 the packaged drills
    warroom drill check FILE             validate a drill file: `FILE: ok (...)`, or one
                                         `file:line: field: message` per problem, exit 1

A drill runs in its own database (`drills.db` beside the real one; `--db` chooses, but never
the real one), its reviews and report in `reviews/drills/` beside the real reviews. Without
SCENARIO, the quarter's: the packaged drills in turn, one a quarter.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from warroom.cli.common import subcommand
from warroom.config import (
    APP_NAME,
    current_user,
    default_db_path,
    default_reviews_dir,
    resolve_db_target,
    resolve_playbook,
)
from warroom.domain.drill import Drill
from warroom.playbook.drills import (
    DrillError,
    drill_keys,
    load_drill,
    onboarding_checklist,
    packaged_drill_path,
)
from warroom.playbook.models import Playbook
from warroom.store.store import Store

__all__ = ["add_parsers", "drill_db_path"]


def add_parsers(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: Sequence[argparse.ArgumentParser],
) -> None:
    drill = subcommand(
        subparsers,
        parents,
        "drill",
        _drill,
        "run a drill on a simulated clock (--list the drills; 'check FILE' validates one)",
    )
    drill.add_argument(
        "scenario",
        nargs="?",
        metavar="SCENARIO",
        help="a packaged drill (--list), a drill file, or 'check'; default: the quarter's",
    )
    drill.add_argument("file", nargs="?", metavar="FILE", help="with 'check': the file")
    drill.add_argument("--list", action="store_true", help="list the packaged drills")
    drill.add_argument(
        "--speed",
        type=_speed,
        default=10.0,
        metavar="N",
        help="simulated time runs N times faster (default 10: a one-hour SEV-1 in six minutes)",
    )
    drill.add_argument(
        "--onboarding",
        action="store_true",
        help="first drill: show the runbook's New Team Member Onboarding checklist first",
    )
    drill.add_argument(
        "--live-comms",
        action="store_true",
        help="post the drill's messages to the configured channels (each prefixed DRILL)",
    )
    drill.set_defaults(needs_store=False)


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a speed: {text!r} (a number, like 10)") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"the speed must be more than 0 and at most 3600: {text}")
    return value


def drill_db_path(main: Path) -> Path:
    """The drills' own database: `drills.db` beside the real one."""
    return main.parent / "drills.db"


def _drill(_store: object, args: argparse.Namespace) -> int:
    playbook = resolve_playbook(args.playbook)
    if args.list:
        if args.scenario:
            args.usage_error("--list takes no SCENARIO")
        for key in drill_keys():
            drill = load_drill(packaged_drill_path(key), playbook)
            print(
                f"{key:<22} SEV-{drill.severity}  {drill.title}"
                f"  ({len(drill.injects)} injects over {_minutes(drill.length)};"
                f" expected mitigation: {drill.expected_mitigation})"
            )
        return 0
    if args.scenario == "check":
        if not args.file:
            args.usage_error("drill check needs a FILE")
        return _check(Path(args.file).expanduser(), playbook)
    if args.file:
        args.usage_error(f"unexpected argument: {args.file!r}")
    drill = load_drill(_drill_path(args.scenario), playbook)
    return _run(drill, args, playbook)


def _abandon(store: Store, incident_id: str, last: datetime) -> None:
    """Close a drill left open (its war room quit before the end) as of its last entry."""
    with store.at(last):
        store.log(incident_id, "Drill abandoned: not finished before the next drill started")
        store.close(incident_id)
    print(
        f"{APP_NAME}: warning: drill {incident_id} was left open; closed as abandoned",
        file=sys.stderr,
    )


def _minutes(span: timedelta) -> str:
    return f"{int(span.total_seconds() // 60)} min"


def _drill_path(scenario: str | None) -> Path:
    if scenario is None:
        keys = drill_keys()
        quarter = (datetime.now(UTC).month - 1) // 3
        return packaged_drill_path(keys[quarter % len(keys)])
    path = Path(scenario).expanduser()
    if scenario.endswith(".toml") or path.is_file():
        return path
    return packaged_drill_path(scenario)


def _check(path: Path, playbook: Playbook) -> int:
    try:
        drill = load_drill(path, playbook)
    except DrillError as exc:
        for problem in exc.problems:
            print(" ".join(problem.split()), file=sys.stderr)
        return 1
    print(
        f"{path}: ok ({drill.title}, SEV-{drill.severity}, {len(drill.injects)} injects"
        f" over {_minutes(drill.length)})"
    )
    return 0


def _run(drill: Drill, args: argparse.Namespace, playbook: Playbook) -> int:
    from warroom.domain.simclock import SimulatedClock
    from warroom.tui.app import user_keys
    from warroom.tui.drill import run_drill

    real = resolve_db_target(None).sqlite_path or default_db_path()  # on PostgreSQL: the default
    path = Path(args.db).expanduser() if args.db else drill_db_path(real)
    if path.resolve() == real.resolve():
        raise ValueError(f"{path}: that is the real incidents' database; a drill needs its own")
    keymap = user_keys()
    probe = Store(path, playbook, author=args.author or current_user())
    try:
        probe.mark_as_drill()  # whoever opens it later is told: a banner, DRILL on messages
        incidents = probe.incidents()
        left_open = {
            i.id: max((e.at for e in probe.timeline(i.id)), default=i.declared_at)
            for i in incidents
            if i.is_open
        }
    finally:
        probe.dispose()
    # Simulated time runs ahead of real time: a new drill starts after the last one ended,
    # so that its times (and IDs) follow on.
    times = [t for i in incidents for t in (i.closed_at, i.resolved_at, i.declared_at) if t]
    latest = max([*times, *left_open.values()], default=None)
    now = datetime.now(UTC)
    start = max(now, latest + timedelta(minutes=1)) if latest else now
    sim = SimulatedClock(lambda: datetime.now(UTC), args.speed, start=start.replace(microsecond=0))
    store = Store(path, playbook, clock=sim, author=args.author or current_user())
    reviews = (
        Path(args.reviews_dir).expanduser()
        if args.reviews_dir
        else default_reviews_dir(path) / "drills"
    )
    try:
        for incident_id, last in left_open.items():  # a drill quit before its end
            _abandon(store, incident_id, last)
        return run_drill(
            store,
            drill,
            sim,
            reviews,
            live_comms=args.live_comms,
            onboarding=onboarding_checklist() if args.onboarding else None,
            keymap=keymap,
        )
    finally:
        store.dispose()
