"""Corrections and the timeline's chain: `warroom edit | strike | verify`.

    warroom edit   [--incident ID] ENTRY TEXT      correct a typed entry (the original stays)
    warroom strike [--incident ID] ENTRY REASON    strike a typed entry out, saying why
    warroom verify [ID]                            recompute the incident's hash chain

ENTRY is the entry's number: its id, as `warroom show` prints it (`#12`) and the war room's
entry view shows it. Automatic entries (status changes, ticks...) are not corrected: log a
note instead. `verify` prints the chain's head (exit 0), or names the first entry that does
not match (exit 1). Handlers follow cli/__init__.py's convention.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from warroom.cli.common import subcommand

if TYPE_CHECKING:
    from warroom.store.store import Store

__all__ = ["add_parsers", "entry_number"]

Target = Callable[..., str]


def add_parsers(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: Sequence[argparse.ArgumentParser],
    target: Target,
) -> None:
    def command(name: str, run: Any, help: str) -> argparse.ArgumentParser:
        sub = subcommand(subparsers, parents, name, run, help)
        sub.set_defaults(target=target)
        return sub

    edit = command("edit", _edit, "correct a typed timeline entry (the original is kept)")
    edit.add_argument("--incident", metavar="ID", help="the entry's incident (a check)")
    edit.add_argument("entry", metavar="ENTRY", help="the entry's number (#N in warroom show)")
    edit.add_argument("text", nargs="+", metavar="TEXT", help="the corrected text")
    strike = command("strike", _strike, "strike a typed timeline entry out, saying why")
    strike.add_argument("--incident", metavar="ID", help="the entry's incident (a check)")
    strike.add_argument("entry", metavar="ENTRY", help="the entry's number (#N in warroom show)")
    strike.add_argument("reason", nargs="+", metavar="REASON", help="why it is struck out")
    verify = command("verify", _verify, "check the incident's timeline against its hash chain")
    verify.add_argument("id", nargs="?", metavar="ID", help="default: the open incident")
    verify.set_defaults(writes=False)


def entry_number(text: str) -> int:
    """ "12" or "#12" -> 12; anything else is a clear error."""
    number = text.strip().removeprefix("#")
    if not number.isdigit() or int(number) == 0:
        raise ValueError(f"{text!r} is not an entry number (#N, as warroom show prints it)")
    return int(number)


def _incident(store: Store, args: argparse.Namespace) -> str | None:
    return store.resolve_id(args.incident) if args.incident else None


def _edit(store: Store, args: argparse.Namespace) -> int:
    number = entry_number(args.entry)
    entry = store.edit_entry(number, " ".join(args.text), incident_id=_incident(store, args))
    print(f"#{entry.id} edited: {entry.shown_text}")
    return 0


def _strike(store: Store, args: argparse.Namespace) -> int:
    number = entry_number(args.entry)
    store.strike_entry(number, " ".join(args.reason), incident_id=_incident(store, args))
    print(f"#{number} struck out")
    return 0


def _verify(store: Store, args: argparse.Namespace) -> int:
    incident_id: str = args.target(store, args.id, "as: warroom verify ID", True)
    report = store.verify_chain(incident_id)
    if report.broken_at is not None:
        raise ValueError(
            f"{incident_id}: chain broken at entry #{report.broken_at}: {report.problem}"
        )
    if report.broken_correction is not None:
        raise ValueError(
            f"{incident_id}: chain broken at a correction of entry #{report.broken_correction}:"
            f" {report.problem}"
        )
    if report.head is None:
        print(f"{incident_id}: OK, nothing chained ({report.entries} entries before the chain)")
        return 0
    before = (
        f"; unchained before entry #{report.unchained_before} (written before the chain)"
        if report.unchained_before is not None
        else ""
    )
    corrections = (
        f"; {report.corrections} correction{'s' if report.corrections != 1 else ''},"
        f" head {report.corrections_head}"
        if report.corrections
        else ""
    )
    print(f"{incident_id}: OK, {report.entries} entries, head {report.head}{before}{corrections}")
    return 0
