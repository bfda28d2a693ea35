"""Every war-room action as a subcommand, each with its own time (`--at WHEN`).

    warroom ack      [--incident ID] [--at WHEN]
    warroom status   [--incident ID] [--at WHEN] investigating|identified|mitigating|...
    warroom sev      [--incident ID] [--at WHEN] 1|2|3
    warroom assign   [--incident ID] [--at WHEN] ic|ops|dev|comms NAME
    warroom item     [--incident ID] [--at WHEN] [--owner NAME] P0|P1|P2|P3 TEXT
    warroom item done ITEM
    warroom item owner ITEM NAME
    warroom update   [--incident ID] [--at WHEN] internal|stakeholder|customer [TEXT]
    warroom impact   [--incident ID] [--users T] [--features T] [--revenue T]
                     [--start WHEN] [--end WHEN]
    warroom detected [--incident ID] WHEN
    warroom close    [--incident ID] [--at WHEN] [--answers FILE]   prints the review's path
    warroom reopen   [--incident ID] [--at WHEN]

WHEN is HH:MM (UTC, the most recent past one), ISO 8601 (no zone: UTC) or -15m / -2h; the
future is refused. A script replaying an incident gets its times to the minute: what each
action sets off (ticks, role since, restarted clocks) takes the action's time (`Store.at`).
Scripts are never asked to confirm anything. Handlers follow cli/__init__.py's convention.
"""

from __future__ import annotations

import argparse
import json
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warroom.cli.common import subcommand
from warroom.domain.model import ReviewNotes, Status, UpdateKind
from warroom.domain.timefmt import parse_when

if TYPE_CHECKING:
    from warroom.store.store import Store

__all__ = ["add_parsers"]

Target = Callable[..., str]
"""cli.common.target: (store, incident_id, how, closed_too=False) -> the incident's ID."""

_STATUSES = [s.value for s in Status if s is not Status.CLOSED]
_UPDATES = [k.value for k in UpdateKind]
_WHEN = "HH:MM (UTC), ISO 8601 or -15m"


def add_parsers(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: Sequence[argparse.ArgumentParser],
    target: Target,
    reviews_dir: Callable[[Store, argparse.Namespace], Path],
) -> None:
    """Add the war room's actions to warroom's subcommands."""

    def command(name: str, run: Any, help: str, at: bool = True) -> argparse.ArgumentParser:
        sub = subcommand(subparsers, parents, name, run, help)
        sub.set_defaults(target=target, reviews=reviews_dir)
        sub.add_argument("--incident", metavar="ID", help="default: the open incident")
        if at:
            sub.add_argument("--at", metavar="WHEN", help=f"when it happened: {_WHEN}")
        return sub

    command("ack", _ack, "acknowledge the incident (stops the response-time clock)")
    status = command("status", _status, "change the incident's status")
    status.add_argument("status", choices=_STATUSES, metavar="STATUS", help=" | ".join(_STATUSES))
    sev = command("sev", _sev, "change the severity (its actions join the checklist)")
    sev.add_argument("severity", metavar="N", help="1, 2 or 3")
    assign = command("assign", _assign, "assign a role; replacing its holder is a handoff")
    assign.add_argument("role", metavar="ROLE", help="ic, ops, dev or comms")
    assign.add_argument("name", metavar="NAME")
    item = command(
        "item",
        _item,
        "add an action item (due date from its priority); item done ITEM; item owner ITEM NAME",
    )
    item.add_argument("--owner", metavar="NAME", default="", help="who does it")
    item.add_argument("priority", metavar="PRIORITY", help="P0, P1, P2 or P3; or 'done'")
    item.add_argument("text", nargs="+", metavar="TEXT", help="what to do; after done: ITEM")
    update = command("update", _update, "record a status update as sent (restarts its clock)")
    update.add_argument("kind", choices=_UPDATES, metavar="KIND", help=" | ".join(_UPDATES))
    update.add_argument("text", nargs="*", metavar="TEXT", help="what it said")
    impact = command("impact", _impact, "record the impact and its window", at=False)
    impact.add_argument("--users", metavar="TEXT", help="users affected")
    impact.add_argument("--features", metavar="TEXT", help="features affected")
    impact.add_argument("--revenue", metavar="TEXT", help="revenue impact (for the review)")
    impact.add_argument("--start", metavar="WHEN", help=f"impact began: {_WHEN}")
    impact.add_argument("--end", metavar="WHEN", help=f"impact ended: {_WHEN}")
    detected = command("detected", _detected, "correct when the incident was detected", at=False)
    detected.add_argument("when", metavar="WHEN", help=_WHEN)
    close = command("close", _close, "close the incident and write the final review")
    close.add_argument(
        "--answers",
        metavar="FILE",
        help="the close dialog's answers as TOML or JSON ('-': stdin); all optional",
    )
    command("reopen", _reopen, "reopen a closed or resolved incident")


def _when(store: Store, text: str | None) -> datetime | None:
    return parse_when(text, store.clock()) if text else None


def _incident(store: Store, args: argparse.Namespace, closed_too: bool = False) -> str:
    incident_id: str = args.target(store, args.incident, "with --incident", closed_too)
    return incident_id


def _ack(store: Store, args: argparse.Namespace) -> int:
    incident_id = _incident(store, args)
    with store.at(_when(store, args.at)):
        store.acknowledge(incident_id)
    return 0


def _status(store: Store, args: argparse.Namespace) -> int:
    incident_id = _incident(store, args)
    with store.at(_when(store, args.at)):
        store.set_status(incident_id, Status(args.status))
    return 0


def _sev(store: Store, args: argparse.Namespace) -> int:
    from warroom.domain.notation import parse_severity

    level = parse_severity(args.severity)
    incident_id = _incident(store, args)
    with store.at(_when(store, args.at)):
        store.set_severity(incident_id, level)
    return 0


def _assign(store: Store, args: argparse.Namespace) -> int:
    incident_id = _incident(store, args)
    with store.at(_when(store, args.at)):
        store.assign(incident_id, args.role.casefold(), args.name)
    return 0


def _item(store: Store, args: argparse.Namespace) -> int:
    if args.priority.casefold() == "done":  # `warroom item done 12`: a follow-up finished
        if len(args.text) != 1 or not args.text[0].isdigit():
            args.usage_error("item done ITEM: ITEM is the number `warroom items` shows")
        with store.at(_when(store, args.at)):
            store.set_action_item_done(int(args.text[0]))
        return 0
    if args.priority.casefold() == "owner":  # `warroom item owner 12 NAME`: it has one now
        if len(args.text) < 2 or not args.text[0].isdigit():
            args.usage_error("item owner ITEM NAME: ITEM is the number `warroom items` shows")
        with store.at(_when(store, args.at)):
            store.set_action_item_owner(int(args.text[0]), " ".join(args.text[1:]))
        return 0
    incident_id = _incident(store, args, closed_too=True)
    with store.at(_when(store, args.at)):
        item = store.add_action_item(
            incident_id, " ".join(args.text), args.priority.upper(), args.owner
        )
    if not item.owner:  # recorded, and said once: nobody owns it yet
        import sys

        print(
            f"warroom: warning: action item {item.id} has no owner (unassigned);"
            f" warroom item owner {item.id} NAME gives it one",
            file=sys.stderr,
        )
    return 0


def _update(store: Store, args: argparse.Namespace) -> int:
    incident_id = _incident(store, args)
    with store.at(_when(store, args.at)):
        store.record_update(incident_id, UpdateKind(args.kind), " ".join(args.text))
    return 0


def _impact(store: Store, args: argparse.Namespace) -> int:
    given = (args.users, args.features, args.revenue, args.start, args.end)
    if all(value is None for value in given):
        args.usage_error("say what: --users, --features, --revenue, --start or --end")
    incident_id = _incident(store, args, closed_too=True)
    if args.users is not None or args.features is not None or args.start or args.end:
        store.set_impact(
            incident_id,
            users=args.users,
            features=args.features,
            start=_when(store, args.start),
            end=_when(store, args.end),
        )
    if args.revenue is not None:
        notes = store.get(incident_id).review
        store.save_review_notes(
            incident_id, ReviewNotes(**{**_as_dict(notes), "revenue_impact": args.revenue})
        )
    return 0


def _detected(store: Store, args: argparse.Namespace) -> int:
    incident_id = _incident(store, args, closed_too=True)
    at = _when(store, args.when)
    assert at is not None
    store.set_detected(incident_id, at)
    return 0


def _close(store: Store, args: argparse.Namespace) -> int:
    from warroom.comms.review import export_review  # templates load only when closing

    incident_id = _incident(store, args)
    notes, items = _answers(args.answers) if args.answers else (None, [])
    with store.at(_when(store, args.at)):
        store.close(incident_id, notes, items=items)
    print(export_review(store, incident_id, reviews_dir=args.reviews(store, args)))
    return 0


def _reopen(store: Store, args: argparse.Namespace) -> int:
    incident_id = _incident(store, args, closed_too=True)
    with store.at(_when(store, args.at)):
        store.reopen(incident_id)
    return 0


# -- close --answers FILE ----------------------------------------------------------------

_NOTES = {f.name for f in fields(ReviewNotes)}


def _as_dict(notes: ReviewNotes) -> dict[str, str]:
    return {name: str(getattr(notes, name)) for name in _NOTES}


def _answers(source: str) -> tuple[ReviewNotes, list[tuple[str, str, str]]]:
    """The close dialog's answers from a TOML or JSON file: each answer a string (or a list
    of lines), `action_items` a list of "P1 @owner text" or {priority, owner, text}."""
    import sys

    from warroom.domain.notation import parse_action_item

    text = sys.stdin.read() if source == "-" else Path(source).expanduser().read_text("utf-8")
    where = "stdin" if source == "-" else source
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{where}: not TOML or JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a table of answers")
    unknown = sorted(set(data) - _NOTES - {"action_items"})
    if unknown:
        known = ", ".join(sorted(_NOTES | {"action_items"}))
        raise ValueError(f"{where}: unknown answer {unknown[0]!r} (known: {known})")
    answers: dict[str, str] = {}
    for name in _NOTES & set(data):
        value = data[name]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = "\n".join(value)
        if not isinstance(value, str):
            raise ValueError(f"{where}: {name}: a text or a list of lines")
        answers[name] = value
    items: list[tuple[str, str, str]] = []
    for number, item in enumerate(data.get("action_items", []), 1):
        place = f"{where}: action_items[{number}]"
        if isinstance(item, str):
            try:
                items.append(parse_action_item(item))
            except ValueError as exc:
                raise ValueError(f"{place}: {exc}") from None
        elif isinstance(item, dict) and isinstance(item.get("text"), str):
            priority, owner = str(item.get("priority", "")), str(item.get("owner", ""))
            items.append((priority.upper(), owner.lstrip("@"), item["text"]))
        else:
            raise ValueError(f'{place}: write "P1 @owner what to do" or a table with text')
    return ReviewNotes(**answers), items
