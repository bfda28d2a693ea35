"""What every group of subcommands shares: how a subcommand is added."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any


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
