"""What every group of subcommands shares: how a subcommand is added."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from warroom.config import default_reviews_dir
from warroom.store.store import NotFound, Store


def subcommand(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: Sequence[argparse.ArgumentParser],
    name: str,
    run: Any,
    help: str,
) -> argparse.ArgumentParser:
    """`warroom NAME`: its help is its description; `run(store, args)` does it, and
    `args.usage_error` reports a misuse the parser could not see (exit 2)."""
    sub = subparsers.add_parser(name, parents=list(parents), help=help, description=help)
    sub.set_defaults(run=run, usage_error=sub.error)
    return sub


def target(store: Store, incident_id: str | None, how: str, closed_too: bool = False) -> str:
    """The named incident (checked), else the open one; to read, else the one declared last."""
    if incident_id:
        return store.resolve_id(incident_id)
    open_ids = [i.id for i in store.incidents() if i.is_open]
    if len(open_ids) > 1 and not closed_too:  # a script must not guess which one it meant
        raise NotFound(f"{len(open_ids)} open incidents ({', '.join(open_ids)}): name one {how}")
    current = store.current()
    if current is not None:
        return current.id
    latest = store.incidents() if closed_too else []
    if latest:
        return latest[0].id
    raise NotFound(f"no open incident (declare one, or name one {how})")


def reviews_dir(store: Store, args: argparse.Namespace) -> Path:
    if args.reviews_dir:
        return Path(args.reviews_dir).expanduser()
    return default_reviews_dir(store.path)
