"""The `warroom` command: the war room itself, and subcommands for scripts.

    warroom                          open the war room (the full-screen TUI)
    warroom declare --sev 1 --title "Checkout failing"       prints the new ID
    warroom log "Rolled back deploy 4512"                     quiet on success
    tail -f deploy.log | warroom log -                        one entry per line
    warroom list | show [ID] [--json] | export [ID] [-o PATH]

Errors are one line on stderr, `warroom: error: ...`, exit code 1; usage errors exit 2.
Textual and the review templates are imported only by the commands that need them.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path

from warroom.cli.args import (
    attach_relative_times,
    command_of,
    dashes_as_text,
    global_options,
    readable_args,
    restore_dashes,
)
from warroom.cli.common import reviews_dir, target
from warroom.config import (
    APP_NAME,
    current_user,
    playbook_path,
    resolve_db_target,
    resolve_playbook,
)
from warroom.playbook import PlaybookError
from warroom.store.store import Store, StoreError

__all__ = ["GROUPS", "Run", "command_of", "main"]

Run = Callable[[Store, argparse.Namespace], int]
"""What a subcommand does with the open store and its arguments; its exit status."""

GROUPS: dict[str, tuple[str, ...]] = {
    "incidents": ("declare", "log", "list", "show", "export", "check"),
    "actions": (
        "ack",
        "status",
        "sev",
        "assign",
        "item",
        "update",
        "impact",
        "detected",
        "close",
        "reopen",
    ),
    "records": ("import",),
    "history": ("search", "stats", "items"),
    "comms": ("draft", "send", "outbox"),
    "deps": ("deps",),
    "playbook": ("playbook",),
    "drill": ("drill",),
    "corrections": ("edit", "strike", "verify"),
}
"""The subcommands each module of this package adds (`add_parsers`). A command line loads
only the module of its command: a hook's `warroom log TEXT` imports none of them, a
`warroom --help` all (tests/cli/test_cli.py holds this table to what each module adds)."""


def _parser(only: str | None = None, war_room: bool = False) -> argparse.ArgumentParser:
    """The command line's parser; given the subcommand about to run, only what it needs.
    WAR_ROOM: no subcommand and no --help: the war room, which needs none of them."""
    parser = argparse.ArgumentParser(
        prog=APP_NAME,
        description="A war room for production incidents. Without a command: open the war room.",
        parents=[global_options(in_subcommand=False)],
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="open the war room as an observer: everything live, nothing changes",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub_globals = [global_options(in_subcommand=True)]

    known = {name for names in GROUPS.values() for name in names}
    for group, names in GROUPS.items():
        if only in names or (only not in known and not war_room):  # help, a typo: all
            module = importlib.import_module(f"warroom.cli.{group}")
            if group == "actions":
                module.add_parsers(commands, sub_globals, target, reviews_dir)
            elif group == "corrections":
                module.add_parsers(commands, sub_globals, target)
            else:
                module.add_parsers(commands, sub_globals)
    return parser


# -- entry point -------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    try:
        raw = readable_args(sys.argv[1:] if argv is None else argv)
        words = dashes_as_text(attach_relative_times(raw))
        command = command_of(words)
        war_room = command is None and not {"-h", "--help"} & set(words)
        args = _parser(command, war_room).parse_args(words)
        restore_dashes(args)
        if getattr(args, "config", None):  # one config file for every reader of it
            os.environ["WARROOM_CONFIG"] = str(Path(args.config).expanduser())
        if not getattr(args, "needs_store", True):  # e.g. `deps`, `playbook check`: no database
            return int(args.run(None, args))
        target = resolve_db_target(args.db)
        path = target.sqlite_path
        unwritable = path is not None and not getattr(args, "writes", True) and _unwritable(path)
        store = Store(
            target,
            resolve_playbook(args.playbook),
            author=args.author or current_user(),
            read_only=args.read_only or unwritable,
        )
        try:
            run: Run = getattr(args, "run", _war_room)
            return run(store, args)
        finally:
            store.dispose()
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    except PlaybookError as exc:
        for problem in exc.problems:
            _error(problem)
    except KeyError as exc:  # the playbook's lookups: no such severity, role or priority
        _error(str(exc.args[0]) if exc.args else "not found")
    except (StoreError, ValueError, OverflowError) as exc:
        _error(str(exc))
    except BrokenPipeError:  # `warroom show | head`: the reader has gone, nothing to say
        _silence_stdout()
    except OSError as exc:
        _error(f"{exc.filename}: {exc.strerror}" if exc.filename and exc.strerror else str(exc))
    except ImportError as exc:
        _error(f"cannot load {exc.name or 'a module'}: {exc}")
    except KeyboardInterrupt:
        return 130
    return 1


def _unwritable(path: Path) -> bool:
    """Whether this process cannot write the database (a read-only filesystem, another
    user's file): then the commands that only read open it read-only."""
    if not path.is_file():
        return False
    return not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))


def _error(message: str) -> None:
    line = " ".join(message.split())
    print(f"{APP_NAME}: error: {line}", file=sys.stderr)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _war_room(store: Store, args: argparse.Namespace) -> int:
    from warroom.tui.app import run_app  # Textual is imported only for the war room itself

    return int(
        run_app(
            store=store,
            reviews_dir=reviews_dir(store, args),
            playbook_path=playbook_path(args.playbook),
            read_only=args.read_only or store.read_only,  # a user who may only read
        )
    )
