"""Between incidents: `warroom search | stats | items`.

    warroom search TEXT [--json]                      every incident's timeline, newest first
    warroom stats [--since DATE] [--json]             the review's metrics across incidents
    warroom items [--open] [--overdue] [--owner NAME] [--json | --format gh]

Action items are closed with `warroom item done ITEM` (cli/actions.py). Handlers follow
cli/__init__.py's convention: `(store, args) -> exit code`; errors are raised for cli.main.
"""

from __future__ import annotations

import argparse
import json
import shlex
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from warroom.cli.common import subcommand
from warroom.domain.timefmt import duration, parse_when, stamp, utc

if TYPE_CHECKING:
    from warroom.store.store import Store

__all__ = ["add_parsers", "since_option"]


def add_parsers(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: Sequence[argparse.ArgumentParser],
) -> None:
    def command(name: str, run: Any, help: str) -> argparse.ArgumentParser:
        return subcommand(subparsers, parents, name, run, help)

    search = command("search", _search, "search every incident's timeline")
    search.add_argument("text", nargs="+", metavar="TEXT", help="words (all must match)")
    search.add_argument("--limit", type=int, default=50, metavar="N", help="at most N (50)")
    search.add_argument("--json", action="store_true", help="machine-readable output")

    stats = command("stats", _stats, "times to acknowledge, mitigate, resolve; targets met")
    since_option(stats)
    stats.add_argument("--json", action="store_true", help="machine-readable output")

    items = command("items", _items, "action items across incidents, soonest due first")
    items.add_argument("--open", action="store_true", help="only those not done")
    items.add_argument("--overdue", action="store_true", help="only those past due, not done")
    items.add_argument("--owner", metavar="NAME", help="only this owner's")
    out = items.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="machine-readable output")
    out.add_argument(
        "--format",
        choices=["gh"],
        help="gh: print `gh issue create` commands to run (warroom sends nothing)",
    )


def since_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since", metavar="DATE", help="incidents declared since DATE (ISO 8601, or -24h)"
    )


def since(store: Store, text: str | None) -> datetime | None:
    return parse_when(text, store.clock()) if text else None


def _search(store: Store, args: argparse.Namespace) -> int:
    found = store.search(" ".join(args.text), limit=args.limit)
    if args.json:
        rows = [
            {
                "incident": entry.incident_id,
                "at": utc(entry.at).isoformat(),
                "author": entry.author,
                "kind": entry.kind.value,
                "text": entry.text,
                "marked": marked,
            }
            for entry, marked in found
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    for entry, marked in found:
        author = f"  @{entry.author}" if entry.author else ""
        first = marked.split("\n")[0]
        print(f"{entry.incident_id}  {utc(entry.at):%Y-%m-%d %H:%M}  {first}{author}")
    return 0 if found else 1


def _stats(store: Store, args: argparse.Namespace) -> int:
    from warroom.domain.metrics import incident_metrics
    from warroom.domain.stats import Spread, incident_stats

    start = since(store, args.since)
    now = store.clock()
    incidents = [i for i in store.incidents() if start is None or i.declared_at >= start]
    measured = [
        (i, incident_metrics(i, store.timeline(i.id), store.playbook, now)) for i in incidents
    ]
    ids = {i.id for i in incidents}
    items = [item for item in store.all_action_items() if item.incident_id in ids]
    stats = incident_stats(measured, items, now)

    def spread_json(s: Spread) -> dict[str, Any]:
        return {"count": s.count, "median": s.median, "p90": s.p90}

    if args.json:
        data = {
            "since": start.isoformat() if start else None,
            "incidents": stats.incidents,
            "by_severity": [
                {
                    "severity": s.level,
                    "incidents": s.incidents,
                    "time_to_acknowledge": spread_json(s.acknowledge),
                    "time_to_mitigate": spread_json(s.mitigate),
                    "time_to_resolve": spread_json(s.resolve),
                    "acknowledge_met_percent": s.acknowledge_met,
                    "resolve_met_percent": s.resolve_met,
                }
                for s in stats.by_severity
            ],
            "cadence_compliance_percent": stats.cadence_compliance,
            "action_items_open": stats.action_items_open,
            "action_items_overdue": stats.action_items_overdue,
        }
        print(json.dumps(data, indent=2))
        return 0

    def cell(s: Spread) -> str:
        if s.median is None or s.p90 is None:
            return "—"
        return f"{duration(s.median)} / {duration(s.p90)}"

    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value:.0f}%"

    scope = f"since {stamp(start)}" if start else "all time"
    print(f"{stats.incidents} incidents, {scope}")
    rows = [
        ("SEV", "N", "ACK med/p90", "MITIGATE med/p90", "RESOLVE med/p90", "ACK MET", "SLA MET")
    ]
    rows += [
        (
            f"SEV-{s.level}",
            str(s.incidents),
            cell(s.acknowledge),
            cell(s.mitigate),
            cell(s.resolve),
            pct(s.acknowledge_met),
            pct(s.resolve_met),
        )
        for s in stats.by_severity
    ]
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    print(f"Update cadence: {pct(stats.cadence_compliance)} of required updates on time")
    print(f"Action items: {stats.action_items_open} open, {stats.action_items_overdue} overdue")
    return 0


def _items(store: Store, args: argparse.Namespace) -> int:
    now = store.clock()
    items = store.all_action_items()
    if args.open or args.overdue:
        items = [i for i in items if i.status.casefold() != "done"]
    if args.overdue:
        items = [i for i in items if i.due_at < now]
    if args.owner:
        owner = args.owner.lstrip("@").casefold()
        items = [i for i in items if i.owner.casefold() == owner]
    if args.json:
        rows = [
            {
                "id": i.id,
                "incident": i.incident_id,
                "priority": i.priority,
                "owner": i.owner,
                "text": i.text,
                "due": utc(i.due_at).isoformat(),
                "done": i.status.casefold() == "done",
                "overdue": i.status.casefold() != "done" and i.due_at < now,
            }
            for i in items
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if args.format == "gh":
        for i in items:
            title = f"[{i.priority}] {i.text}"
            body = (
                f"Action item from incident {i.incident_id} (warroom show {i.incident_id}). "
                f"Due {stamp(i.due_at)}. Owner: {i.owner or 'unassigned'}."
            )
            parts = ["gh", "issue", "create", "--title", title, "--body", body]
            if i.owner:
                parts += ["--assignee", i.owner]
            print(" ".join(shlex.quote(part) for part in parts))
        return 0
    for i in items:
        late = " OVERDUE" if i.status.casefold() != "done" and i.due_at < now else ""
        owner = f"@{i.owner}" if i.owner else "unassigned"
        print(
            f"{i.id:>4}  {i.priority}  {i.status:<4}  due {utc(i.due_at):%Y-%m-%d}{late}  "
            f"{owner}  {i.text}  ({i.incident_id})"
        )
    return 0
