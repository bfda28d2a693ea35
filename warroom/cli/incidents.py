"""The commands about incidents themselves: declare, log (one entry, or stdin streamed),
list, show (text, or the full record as JSON), export, and check the database.

Long because `show --json` is the incident's full record (issue 11's format, which `import`
reads back) and `log -` streams stdin in batches that survive a signal; each is one piece."""

from __future__ import annotations

import argparse
import json
import os
import select
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

from warroom.cli import history as cli_history
from warroom.cli.args import severity_arg
from warroom.cli.common import reviews_dir, subcommand, target
from warroom.comms.corrections import correction_mark
from warroom.config import (
    APP_NAME,
    resolve_db_target,
)
from warroom.domain.model import EntryKind, Incident
from warroom.domain.timefmt import hhmm, parse_when, utc
from warroom.store.store import Store, StoreError
from warroom.store.target import DatabaseTarget

BATCH_LINES = 500  # `log -` commits once this many lines are waiting...
BATCH_SECONDS = 0.2  # ...or once the oldest waiting line is this old.

_TYPED_KINDS = [k.value for k in EntryKind if not k.is_automatic]


def add_parsers(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: Sequence[argparse.ArgumentParser],
) -> None:
    """declare, log, list, show, export, check."""

    def command(name: str, run: Any, help: str) -> argparse.ArgumentParser:
        return subcommand(subparsers, parents, name, run, help)

    declare = command("declare", _declare, "declare an incident and print its ID")
    declare.add_argument("--sev", required=True, type=severity_arg, metavar="N", help="1, 2, 3")
    declare.add_argument("--title", required=True, metavar="TITLE")
    declare.add_argument("--impact", default="", metavar="USERS", help="users affected")
    declare.add_argument("--features", default="", metavar="F", help="features affected")
    declare.add_argument("--detected", metavar="WHEN", help="HH:MM (UTC), ISO 8601 or -15m")
    declare.add_argument("--ic", metavar="NAME", help="the incident commander (default: none yet)")
    declare.add_argument(
        "--at", metavar="WHEN", help="declared at WHEN (the ID carries its UTC date); default now"
    )

    log = command("log", _log, "add to the timeline of the open incident ('-': stdin lines)")
    log.add_argument("--incident", metavar="ID", help="default: the open incident")
    log.add_argument("--kind", choices=_TYPED_KINDS, help="default: note")
    log.add_argument("--at", metavar="WHEN", help="when it happened: HH:MM (UTC), ISO or -15m")
    log.add_argument("--pin", action="store_true", help="pin the entry")
    log.add_argument("text", nargs="+", metavar="TEXT")

    listing = command("list", _list, "list incidents, newest first")
    which = listing.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="all incidents (the default)")
    which.add_argument("--open", action="store_true", help="only open incidents")
    cli_history.since_option(listing)
    listing.add_argument("--sev", type=severity_arg, metavar="N", help="only this severity")
    listing.add_argument("--json", action="store_true", help="machine-readable output")

    show = command("show", _show, "show an incident and its timeline")
    show.add_argument("id", nargs="?", metavar="ID", help="default: the open incident")
    show.add_argument("--json", action="store_true", help="machine-readable output")

    for reader in (listing, show):
        reader.set_defaults(writes=False)

    export = command("export", _export, "write the post-incident review and print its path")
    export.add_argument("id", nargs="?", metavar="ID", help="default: the open incident")
    export.add_argument("-o", "--output", metavar="PATH", help="file to write")

    check = command(
        "check", _check, "SQLite: check the file for damage; PostgreSQL: connect, schema, access"
    )
    check.set_defaults(needs_store=False)


def _check(_store: Store | None, args: argparse.Namespace) -> int:
    from warroom.store.reader import integrity_check

    target = resolve_db_target(args.db)
    if target.is_postgres:
        return _check_postgres(target)
    path = target.sqlite_path
    assert path is not None
    problems = integrity_check(path)
    if problems == ["ok"]:
        print(f"{path}: ok")
        return 0
    for problem in problems:
        print(f"{path}: {' '.join(problem.split())}")
    return 1


def _check_postgres(target: DatabaseTarget) -> int:
    """`warroom check` on PostgreSQL: can we connect, which schema, may this user write."""
    from warroom.store import pg  # the driver, only for a PostgreSQL target
    from warroom.store.reader import SCHEMA_VERSION

    version, reason = pg.inspect(target)
    access = f"read-only: {reason}" if reason else "read-write"
    if version > SCHEMA_VERSION:
        print(f"{target.display}: schema {version} is newer than this warroom's ({SCHEMA_VERSION})")
        return 1
    state = f"schema {version}" if version else "not set up yet (the first write sets it up)"
    print(f"{target.display}: ok, {state}, {access}")
    return 0


def _declare(store: Store, args: argparse.Namespace) -> int:
    detected = parse_when(args.detected, store.clock()) if args.detected else None
    at = parse_when(args.at, store.clock()) if args.at else None
    with store.at(at):
        incident = store.declare(
            args.title,
            args.sev,
            impact_users=args.impact,
            impact_features=args.features,
            detected_at=detected,
            commander=args.ic,
        )
    print(incident.id)
    return 0


def _log(store: Store, args: argparse.Namespace) -> int:
    if args.text == ["-"]:
        if args.kind or args.at or args.pin:
            args.usage_error("--kind, --at and --pin apply to one entry, not to 'log -'")
        return _log_stdin(store, target(store, args.incident, "with --incident"))
    incident_id = target(store, args.incident, "with --incident")
    at = parse_when(args.at, store.clock()) if args.at else None
    kind = EntryKind(args.kind or EntryKind.NOTE.value)
    store.log(incident_id, " ".join(args.text), kind=kind, at=at, pinned=args.pin)
    return 0


def _list(store: Store, args: argparse.Namespace) -> int:
    start = cli_history.since(store, args.since)
    incidents = [
        i
        for i in store.incidents()
        if (i.is_open or not args.open)
        and (start is None or i.declared_at >= start)
        and (args.sev is None or i.severity == args.sev)
    ]
    if args.json:
        now = store.clock()
        rows_json = [
            {
                "id": i.id,
                "title": i.title,
                "severity": i.severity,
                "status": i.status.value,
                "declared_at": _iso(i.declared_at),
                "resolved_at": _iso(i.resolved_at),
                "duration": i.elapsed(now),
            }
            for i in incidents
        ]
        print(json.dumps(rows_json, indent=2, ensure_ascii=False))
        return 0
    rows = [("ID", "SEV", "STATUS", "DECLARED (UTC)", "TITLE")]
    rows += [
        (i.id, f"SEV-{i.severity}", i.status.value, _minute(i.declared_at), i.title)
        for i in incidents
    ]
    widths = [max(len(row[c]) for row in rows) for c in range(4)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[4]]))
    return 0


def _show(store: Store, args: argparse.Namespace) -> int:
    incident = store.get(target(store, args.id, "as: warroom show ID", closed_too=True))
    if args.json:
        print(json.dumps(incident_json(store, incident), indent=2, ensure_ascii=False))
    else:
        sys.stdout.writelines(line + "\n" for line in _incident_text(store, incident))
    return 0


def _export(store: Store, args: argparse.Namespace) -> int:
    from warroom.comms.review import export_review  # templates load only when exporting

    incident_id = target(store, args.id, "as: warroom export ID", closed_too=True)
    output = Path(args.output).expanduser() if args.output else None
    path = export_review(store, incident_id, reviews_dir=reviews_dir(store, args), output=output)
    print(path)
    return 0


def _minute(dt: datetime | None) -> str:
    return utc(dt).strftime("%Y-%m-%d %H:%M") if dt else "-"


def _iso(dt: datetime | None) -> str | None:
    return utc(dt).isoformat().replace("+00:00", "Z") if dt else None


def _severity_label(store: Store, level: int) -> str:
    try:
        sev = store.playbook.severity(level)
    except KeyError:  # declared under another playbook
        return f"SEV-{level}"
    return f"{sev.name} {sev.title}"


def _role_label(store: Store, key: str) -> str:
    try:
        return store.playbook.role(key).short
    except KeyError:
        return key


def _incident_text(store: Store, incident: Incident) -> Iterator[str]:
    roles = store.roles(incident.id)
    impact = "; ".join(
        f"{label}: {value}"
        for label, value in (
            ("users", incident.impact_users),
            ("features", incident.impact_features),
        )
        if value
    )
    yield f"{incident.id}  {incident.title}"
    yield f"Severity:  {_severity_label(store, incident.severity)}"
    yield f"Status:    {incident.status.label}"
    yield f"Impact:    {impact or '-'}"
    yield f"Declared:  {_minute(incident.declared_at)} UTC"
    yield f"Detected:  {_minute(incident.detected_at)} UTC"
    yield f"Resolved:  {_minute(incident.resolved_at)}" + (" UTC" if incident.resolved_at else "")
    yield f"Closed:    {_minute(incident.closed_at)}" + (" UTC" if incident.closed_at else "")
    holders = ", ".join(f"{_role_label(store, k)} {a.person}" for k, a in roles.items())
    yield f"Roles:     {holders or '-'}"
    yield ""
    entries = store.timeline(incident.id)
    several_days = len({utc(e.at).date() for e in entries}) > 1
    day = None
    for entry in entries:
        if several_days and utc(entry.at).date() != day:
            day = utc(entry.at).date()
            yield f"-- {day.isoformat()} --"
        first, *rest = entry.shown_text.split("\n")
        yield f"{hhmm(entry.at)}  {first}  #{entry.id}{correction_mark(entry)}"
        yield from (f"       {line}" for line in rest)


def incident_json(store: Store, incident: Incident) -> dict[str, Any]:
    """The incident's full record (README: "show --json"); `warroom import` reads it back."""
    from warroom.domain.metrics import incident_metrics, metrics_json

    entries = store.timeline(incident.id)
    metrics = incident_metrics(incident, entries, store.playbook, store.clock())

    def history(kind: EntryKind) -> list[dict[str, Any]]:
        return [
            {"at": _iso(e.at), "from": e.data.get("from"), "to": e.data.get("to")}
            for e in entries
            if e.kind is kind and "to" in e.data
        ]

    values = incident.clock_values
    return {
        "format": 1,
        "id": incident.id,
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status.value,
        "detected_at": _iso(incident.detected_at),
        "declared_at": _iso(incident.declared_at),
        "acknowledged_at": _iso(incident.acknowledged_at),
        "mitigated_at": _iso(incident.mitigated_at),
        "resolved_at": _iso(incident.resolved_at),
        "closed_at": _iso(incident.closed_at),
        "last_internal_update_at": _iso(incident.last_internal_update_at),
        "last_stakeholder_update_at": _iso(incident.last_stakeholder_update_at),
        "last_customer_update_at": _iso(incident.last_customer_update_at),
        "impact": {
            "users": incident.impact_users,
            "features": incident.impact_features,
            "revenue": incident.review.revenue_impact,
            "start": _iso(incident.impact_start),
            "end": _iso(incident.impact_end),
        },
        "review": asdict(incident.review),
        "root_cause_category": incident.root_cause_category,
        "original_id": incident.original_id,
        "clock_values": asdict(values) if values else None,
        "roles": [
            {
                "role": a.role,
                "name": a.person,
                "since": _iso(a.assigned_at),
                "until": _iso(a.ended_at),
                "by": a.assigned_by,
            }
            for a in store.role_history(incident.id)
        ],
        "timeline": [
            {
                "id": e.id,
                "at": _iso(e.at),
                "kind": e.kind.value,
                "text": e.text,
                "author": e.author,
                "pinned": e.pinned,
                "logged_at": _iso(e.logged_at),
                "data": e.data,
                "revisions": [
                    {
                        "id": r.id,
                        "at": _iso(r.at),
                        "author": r.author,
                        "kind": r.kind,
                        "old_text": r.old_text,
                        "new_text": r.new_text,
                        "reason": r.reason,
                    }
                    for r in e.revisions
                ],
            }
            for e in entries
        ],
        "checklist": [
            {
                "section": item.section,
                "position": item.position,
                "text": item.text,
                "done": item.done,
                "done_by": item.done_by,
                "done_at": _iso(item.done_at),
            }
            for item in store.checklist(incident.id)
        ],
        "action_items": [
            {
                "priority": a.priority,
                "owner": a.owner,
                "text": a.text,
                "due": _iso(a.due_at),
                "done": a.status.casefold() == "done",
            }
            for a in store.action_items(incident.id)
        ],
        "severity_history": history(EntryKind.SEVERITY),
        "status_history": history(EntryKind.STATUS),
        "metrics": metrics_json(metrics),
    }


# -- `log -`: stdin, streamed ------------------------------------------------------------


def _log_stdin(store: Store, incident_id: str) -> int:
    """One entry per line of stdin, committed in batches as lines arrive (`tail -f | ...`).

    Every line read is committed before returning: at end of input, and on SIGINT, SIGTERM
    or SIGHUP (a second signal abandons what is still waiting).
    """
    try:
        fd = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):
        fd = -1  # not a real file (an embedding, a test): no live stream to wait for
    batches = _Batches(store, incident_id)
    if fd < 0 or sys.platform == "win32":
        binary = getattr(sys.stdin, "buffer", None)
        if binary is not None:
            lines = [batches.decode(line.rstrip(b"\n")) for line in binary]
        else:
            lines = [line.rstrip("\n") for line in sys.stdin]
            batches.read = len(lines)
        for start in range(0, len(lines), BATCH_LINES):
            batches.commit(lines[start : start + BATCH_LINES])
        return 0

    waiting: list[str] = []
    oldest = 0.0  # when the first waiting line arrived
    partial = b""
    with _signals_noted() as caught:
        while not caught:
            timeout = BATCH_SECONDS - (time.monotonic() - oldest) if waiting else BATCH_SECONDS
            readable, _, _ = select.select([fd], [], [], max(0.0, timeout))
            data = os.read(fd, 1 << 16) if readable else None
            if data:
                *complete, partial = (partial + data).split(b"\n")
                if complete and not waiting:
                    oldest = time.monotonic()
                waiting += [batches.decode(line) for line in complete]
            due = bool(waiting) and time.monotonic() - oldest >= BATCH_SECONDS
            if len(waiting) >= BATCH_LINES or due or data == b"":
                batches.commit(waiting)
                waiting.clear()
            if data == b"":
                break
        if partial:  # a last line without its newline
            waiting.append(batches.decode(partial))
        batches.commit(waiting)
    return 128 + caught[0] if caught else 0


class _Batches:
    """`log -`'s commits, counted in input lines, so that a failure (a full disk) can say
    exactly what was stored and where to resume: "stored 1,400 of 2,000 lines read; resume
    from line 1,401". A batch that fails is tried again in halves, to keep every line the
    database can still take."""

    def __init__(self, store: Store, incident_id: str) -> None:
        self.store = store
        self.incident_id = incident_id
        self.read = 0  # lines read from stdin so far
        self.stored = 0  # lines (blank ones included) committed, in order from the first

    def decode(self, line: bytes) -> str:
        """The next line read, as text: bytes that are not UTF-8 become U+FFFD, and a warning
        says which line."""
        self.read += 1
        try:
            return line.decode("utf-8")
        except UnicodeDecodeError:
            print(
                f"{APP_NAME}: warning: line {self.read:,} is not valid UTF-8;"
                " stored with \ufffd for the bad bytes",
                file=sys.stderr,
            )
            return line.decode("utf-8", "replace")

    def commit(self, lines: list[str]) -> None:
        try:
            self._commit(lines)
        except StoreError as exc:
            raise StoreError(
                f"{exc}; stored {self.stored:,} of {self.read:,} lines read;"
                f" resume from line {self.stored + 1:,}"
            ) from None

    def _commit(self, lines: list[str]) -> None:
        if not lines:
            return
        try:
            self.store.log_many(self.incident_id, lines)
        except StoreError:
            if len(lines) == 1:
                raise
            half = len(lines) // 2
            self._commit(lines[:half])
            self._commit(lines[half:])
            return
        self.stored += len(lines)


@contextmanager
def _signals_noted() -> Iterator[list[int]]:
    """Turn SIGINT/SIGTERM/SIGHUP into a note in the yielded list; a second one interrupts."""
    caught: list[int] = []

    def note(signum: int, _frame: FrameType | None) -> None:
        if caught:
            raise KeyboardInterrupt
        caught.append(signum)

    previous: dict[int, Any] = {}
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is not None:
            with suppress(ValueError):  # not the main thread: leave signals alone
                previous[signum] = signal.signal(signum, note)
    try:
        yield caught
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
