"""`warroom playbook`: start your own copy of the runbook, and check it before you use it.

    warroom playbook init [PATH] [--force]   write the packaged playbook (comments and all)
    warroom playbook check PATH              validate; problems as `file:line: field: message`

Neither command needs a database: they set `needs_store=False`, so `warroom.cli.main` calls
`run(None, args)` without opening one. `init` prints the path it wrote; `check` prints
`PATH: ok (...)` and exits 0, or one line per problem on stderr and exits 1, the format
editors and CI understand.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path

from warroom.config import APP_NAME, user_playbook_path
from warroom.playbook import PlaybookError, load_playbook
from warroom.playbook.models import Playbook

__all__ = ["add_parsers", "check_playbook", "default_playbook_path", "init_playbook"]


def default_playbook_path() -> Path:
    """Where `playbook init` writes when not told, and where warroom then finds it."""
    return user_playbook_path()


def add_parsers(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: Sequence[argparse.ArgumentParser] = (),
) -> argparse.ArgumentParser:
    """Add `playbook init` and `playbook check` to `warroom`'s subcommands; the parser.

    Each action sets `run` (what `warroom.cli.main` dispatches on), `handler` (the same
    function), `needs_store=False` and `usage_error`, like the other commands.
    """
    about = "write your own playbook, or check one"
    playbook = subparsers.add_parser(
        "playbook", parents=list(parents), help=about, description=about
    )
    actions = playbook.add_subparsers(dest="playbook_action", metavar="ACTION", required=True)

    about = "write the packaged playbook (with its comments) to PATH and print PATH"
    init = actions.add_parser("init", parents=list(parents), help=about, description=about)
    init.add_argument("path", nargs="?", metavar="PATH", help=f"default: {default_playbook_path()}")
    init.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    init.set_defaults(run=run_init, handler=run_init, needs_store=False, usage_error=init.error)

    about = "check a playbook file: 'PATH: ok' or one 'file:line: field: message' per problem"
    check = actions.add_parser("check", parents=list(parents), help=about, description=about)
    check.add_argument("path", metavar="PATH")
    check.set_defaults(run=run_check, handler=run_check, needs_store=False, usage_error=check.error)
    return playbook


# -- init --------------------------------------------------------------------------------


def default_playbook_text() -> bytes:
    """The packaged default playbook, byte for byte: its comments are its documentation."""
    return (files("warroom.playbook") / "default.toml").read_bytes()


def init_playbook(path: Path, force: bool = False) -> Path:
    """Write the default playbook to `path` (parents created); FileExistsError unless `force`.

    Without `force` the file is created exclusively, so a file that appears meanwhile is not
    overwritten; with it, the new file replaces the old in one rename.
    """
    path = path.expanduser()
    if path.is_dir():
        raise IsADirectoryError(21, "is a directory", str(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a file where a directory should be: not "already exists"
        raise NotADirectoryError(20, "Not a directory", str(path.parent)) from None
    data = default_playbook_text()
    if not force:
        with open(path, "xb") as handle:
            handle.write(data)
        return path
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def run_init(store: object, args: argparse.Namespace) -> int:
    """`playbook init`: `store` is not used (None)."""
    path = Path(args.path) if args.path else default_playbook_path()
    try:
        written = init_playbook(path, force=args.force)
    except FileExistsError:
        return _error(f"{path} already exists (use --force to overwrite it)")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return _error(f"cannot write {exc.filename or path}: {reason}")
    print(written)
    if Path(written).resolve() == default_playbook_path().resolve():
        hint = "edit it: warroom uses it from there"
    else:
        hint = f"edit it, then use it with: {APP_NAME} --playbook {written} (or WARROOM_PLAYBOOK)"
    print(f"{APP_NAME}: {hint}", file=sys.stderr)
    return 0


# -- check -------------------------------------------------------------------------------

_COUNTS = (
    ("severities", "severity", "severities"),
    ("scenarios", "scenario", "scenarios"),
    ("mitigations", "mitigation", "mitigations"),
    ("root_causes", "root cause", "root causes"),
    ("roles", "role", "roles"),
    ("checklists", "checklist", "checklists"),
    ("priorities", "priority", "priorities"),
    ("quick_links", "quick link", "quick links"),
    ("status_pages", "status page", "status pages"),
)


def summary(playbook: Playbook) -> str:
    """ "3 severities, 5 scenarios, ...": what a valid playbook holds."""
    parts = []
    for field, one, many in _COUNTS:
        count = len(getattr(playbook, field))
        parts.append(f"{count} {one if count == 1 else many}")
    return ", ".join(parts)


def check_playbook(path: Path) -> tuple[Playbook | None, list[str]]:
    """Load `path`: the playbook and no problems, or None and one line per problem."""
    try:
        return load_playbook(path), []
    except PlaybookError as exc:
        return None, list(exc.problems)


def run_check(store: object, args: argparse.Namespace) -> int:
    """`playbook check`: `store` is not used (None)."""
    path = Path(args.path).expanduser()
    playbook, problems = check_playbook(path)
    if playbook is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1
    print(f"{path}: ok ({summary(playbook)})")
    return 0


def _error(message: str) -> int:
    print(f"{APP_NAME}: error: {' '.join(message.split())}", file=sys.stderr)
    return 1
