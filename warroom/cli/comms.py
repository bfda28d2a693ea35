"""`warroom draft | send | outbox`: the runbook's messages from the command line.

    warroom draft INC-2026-11-27-1 status_update        print the message, filled from the record
    warroom send INC-2026-11-27-1 status [--text-file F] [--channel ops-slack ...] [--no-deliver]
    warroom outbox [--incident ID]                       what was queued, sent, or failed and why

TEMPLATE is declaration, status_update, stakeholder_update, resolved, customer or
customer_resolved, or a unique prefix of one ("decl", "status", "stake"; "cust" is
ambiguous). `send` records the update (its clocks restart, the text joins the timeline),
queues it for every configured channel (or the ones named), then tries one delivery round;
what cannot be posted yet waits in the outbox for the war room (or
`python -m warroom.integrations.delivery`) to retry.

Handlers follow cli/__init__.py's convention: `(store, args) -> exit code`, wired with
`set_defaults(run=..., usage_error=...)`. Errors are raised as ValueError/StoreError for
cli.main to print as one line; jinja2 and httpx are imported only when a command runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warroom.cli.common import subcommand
from warroom.config import APP_NAME
from warroom.domain.timefmt import utc

if TYPE_CHECKING:
    from warroom.comms.messages import Draft, MessageKind
    from warroom.integrations.settings import Settings
    from warroom.store.store import Store

__all__ = ["add_parsers"]

_TEMPLATES = "declaration, status_update, stakeholder_update, resolved, customer, customer_resolved"


def add_parsers(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: Sequence[argparse.ArgumentParser],
) -> None:
    """Add `draft`, `send` and `outbox` to warroom's subcommands."""

    def command(name: str, run: Any, help: str) -> argparse.ArgumentParser:
        return subcommand(subparsers, parents, name, run, help)

    draft = command("draft", _draft, "print a runbook message filled from the incident")
    draft.add_argument("id", metavar="ID", help="the incident")
    draft.add_argument("template", metavar="TEMPLATE", help=f"{_TEMPLATES} (or a prefix)")

    send = command("send", _send, "record a message as sent and post it to the chat channels")
    send.add_argument("id", metavar="ID", help="the incident")
    send.add_argument("template", metavar="TEMPLATE", help=f"{_TEMPLATES} (or a prefix)")
    send.add_argument(
        "--text-file", metavar="FILE", help="the message to send ('-': stdin); default: the draft"
    )
    send.add_argument(
        "--channel",
        action="append",
        metavar="NAME",
        help="post to this channel (repeatable); default: every configured channel",
    )
    send.add_argument(
        "--record-only", action="store_true", help="record the update, post it nowhere"
    )
    send.add_argument("--no-deliver", action="store_true", help="queue only; the war room posts it")

    outbox = command("outbox", _outbox, "list queued, sent and failed messages")
    outbox.add_argument("--incident", metavar="ID", help="only this incident's messages")
    draft.set_defaults(writes=False)
    outbox.set_defaults(writes=False)


# -- helpers -------------------------------------------------------------------------------


def _warn(message: str) -> None:
    print(f"{APP_NAME}: warning: {' '.join(message.split())}", file=sys.stderr)


def _settings(store: Store) -> Settings:
    """The config file cli.main settled on (--config, WARROOM_CONFIG); on a drill's database,
    as a drill sees them: every message marked DRILL, no channel to post to."""
    from warroom.integrations.settings import drill_settings, load_settings

    settings = load_settings()
    return drill_settings(settings, False) if store.is_drill else settings


def _draft_for(store: Store, incident_id: str, kind: MessageKind, settings: Settings) -> Draft:
    from warroom.comms.messages import draft_message, load_message_data

    data = load_message_data(
        store, incident_id, company=settings.company, status_page_url=settings.status_page_url
    )
    draft = draft_message(kind, data, settings.template_environment())
    if draft.problem is not None:
        _warn(f"{draft.problem} (used the built-in template)")
    return draft


def _read_text(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).expanduser().read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{name}: not UTF-8 text") from None


def _clock(dt: datetime | None) -> str:
    return utc(dt).strftime("%H:%M:%S") if dt else "-"


# -- commands ------------------------------------------------------------------------------


def _draft(store: Store, args: argparse.Namespace) -> int:
    from warroom.comms.messages import MessageKind

    kind = MessageKind.parse(args.template)
    settings = _settings(store)
    draft = _draft_for(store, store.resolve_id(args.id), kind, settings)
    sys.stdout.write(draft.text)
    return 0


def _send(store: Store, args: argparse.Namespace) -> int:
    from warroom.comms.messages import MessageKind
    from warroom.store.outbox import send_message

    kind = MessageKind.parse(args.template)
    settings = _settings(store)
    incident_id = store.resolve_id(args.id)
    if args.record_only and args.channel:
        args.usage_error("--record-only and --channel do not go together")
    if store.is_drill and args.channel:
        raise ValueError("a drill's database: nothing is posted (warroom drill --live-comms)")
    if args.record_only:
        channels: list[str] = []
    elif args.channel:
        channels = []
        for name in args.channel:
            chosen = settings.channel(name)
            if not chosen.audience.takes(kind):
                readers = "internal" if kind.is_customer_facing else "customer-facing"
                raise ValueError(
                    f"channel {chosen.name!r} is for {chosen.audience.value}:"
                    f" the {kind.label} does not go to a {readers} channel"
                )
            channels.append(chosen.name)
    else:
        channels = settings.channels_for(kind)
    if args.text_file:
        text = _read_text(args.text_file)
    else:
        text = _draft_for(store, incident_id, kind, settings).text
    if store.is_drill:
        from warroom.comms.drill import mark

        text = mark(text)
    ids = send_message(store, incident_id, kind, text, channels)
    if not ids:
        readers = "customers" if kind.is_customer_facing else "the team"
        why = (
            "--record-only"
            if args.record_only
            else "a drill's database: nothing is posted"
            if store.is_drill
            else f"no channel for {readers} is configured"
        )
        print(f"recorded the {kind.label} for {incident_id}; not posted ({why})")
        return 0
    if args.no_deliver:
        for message_id, channel in zip(ids, channels, strict=True):
            print(f"{message_id}  {channel}  queued")
        return 0
    return _deliver_round(store, settings, ids, channels)


def _deliver_round(store: Store, settings: Settings, ids: list[int], channels: list[str]) -> int:
    from warroom.integrations.delivery import Deliverer, Outcome, describe

    with Deliverer(store, settings) as deliverer:
        deliverer.run_once()
    results = {r.message_id: r for r in deliverer.last_results}
    failed = 0
    for message_id, channel in zip(ids, channels, strict=True):
        result = results.get(message_id)
        if result is None:  # behind an earlier message of its channel, or its rate limit
            print(f"{message_id}  {channel}  queued")
        elif result.outcome is Outcome.FAILED:
            failed += 1
            print(f"{message_id}  {channel}  failed")
            print(
                f"{APP_NAME}: error: message {message_id} to {channel}: {result.detail}",
                file=sys.stderr,
            )
        else:
            print(describe(result))
    return 1 if failed else 0


def _outbox(store: Store, args: argparse.Namespace) -> int:
    from warroom.domain.messages import OutboxStatus
    from warroom.store.outbox import list_outbox

    incident_id = store.get(args.incident.strip()).id if args.incident else None
    items = list_outbox(store, incident_id)
    rows = [("ID", "INCIDENT", "CREATED (UTC)", "TEMPLATE", "CHANNEL", "STATUS", "TRIES")]
    details = ["DETAIL"]
    for item in items:
        rows.append(
            (
                str(item.id),
                item.incident_id,
                utc(item.created_at).strftime("%Y-%m-%d %H:%M"),
                item.kind,
                item.channel,
                item.status.value,
                str(item.attempts),
            )
        )
        if item.status is OutboxStatus.SENT:
            detail = f"sent {_clock(item.sent_at)}"
        elif item.status is OutboxStatus.PENDING:
            detail = f"next attempt {_clock(item.next_attempt_at)}"
            detail += f" (last: {item.last_error})" if item.last_error else ""
        elif item.status is OutboxStatus.SENDING:
            detail = f"being sent since {_clock(item.claimed_at)}"
        else:
            detail = item.last_error or "failed"
        details.append(detail)
    if not items:
        print("the outbox is empty")
        return 0
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    for row, detail in zip(rows, details, strict=True):
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        print("  ".join([*cells, detail]))
    return 0
