"""`warroom deps`: the third-party status radar, once, on the command line.

    warroom deps              one block per status page, as the Dependencies pane shows it
    warroom deps --json       the same, for scripts

The pages: WARROOM_STATUS_PAGES="Name=URL,Name=URL" if set, else the playbook's
`[[status_pages]]`, else the runbook's three (Stripe, Supabase, Vercel).

Pages that cannot be read are information, not failure: the exit code is 0 whatever the
pages say; 1 only for bad configuration (WARROOM_STATUS_PAGES, the playbook); usage errors
exit 2, as argparse does.
Needs no database. httpx is imported only when the command runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from warroom.config import resolve_playbook
from warroom.domain.dependencies import DependencyStatus
from warroom.domain.model import system_clock
from warroom.domain.timefmt import utc
from warroom.playbook import PlaybookError

NAME_WIDTH = 12  # "Stripe      ● operational": names are padded to at least this


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 120:
        raise argparse.ArgumentTypeError(f"not a timeout in seconds (0-120): {text!r}")
    return value


def add_parsers(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: Sequence[argparse.ArgumentParser] = (),
) -> argparse.ArgumentParser:
    """Add `deps` to `warroom`'s subcommands; returns its parser.

    The command runs as `args.run(store, args)` like the others, with `needs_store=False`:
    `run_deps` ignores the store, so `main` may pass None instead of opening the database.
    """
    help_text = "check the third-party status pages (env WARROOM_STATUS_PAGES)"
    deps = subparsers.add_parser(
        "deps", parents=list(parents), help=help_text, description=help_text
    )
    deps.add_argument("--json", action="store_true", help="machine-readable output")
    deps.add_argument(
        "--timeout",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="wait this long for each page (default 5)",
    )
    deps.set_defaults(run=run_deps, usage_error=deps.error, needs_store=False)
    return deps


def run_deps(store: object, args: argparse.Namespace) -> int:
    """Fetch every status page once and print them. `store` is not used (it may be None)."""
    from warroom.integrations.statuspage import (  # httpx only for this command
        DEFAULT_TIMEOUT,
        Radar,
        new_client,
        playbook_status_pages,
        status_pages_from_env,
    )

    try:
        playbook = resolve_playbook(getattr(args, "playbook", None))
        pages = status_pages_from_env(default=playbook_status_pages(playbook))
    except PlaybookError as exc:
        return _errors(exc.problems)
    except (ValueError, OSError) as exc:
        return _errors([str(exc)])
    timeout = getattr(args, "timeout", None) or DEFAULT_TIMEOUT
    radar = Radar(pages, timeout=timeout)
    with new_client(timeout) as client:
        statuses, _ = radar.poll(client, system_clock())
    if getattr(args, "json", False):
        rows = [status_json(s, pages.get(s.name, "")) for s in statuses]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        sys.stdout.writelines(line + "\n" for line in status_text(statuses))
    return 0


def _errors(problems: Sequence[str]) -> int:
    for problem in problems:
        print(f"warroom: error: {' '.join(problem.split())}", file=sys.stderr)
    return 1


def status_text(statuses: Sequence[DependencyStatus]) -> Iterator[str]:
    """One block per page: "Stripe      ● operational", then its components and incidents."""
    width = max([NAME_WIDTH - 2, *(len(s.name) for s in statuses)]) + 2
    for status in statuses:
        yield f"{status.name.ljust(width)}{status.headline}"
        yield from (f"{'':{width}}  {line}" for line in status.details)


def status_json(status: DependencyStatus, url: str = "") -> dict[str, Any]:
    return {
        "name": status.name,
        "url": url,
        "url_label": status.url_label,
        "indicator": status.indicator,
        "description": status.description,
        "error": status.error,
        "components": [{"name": c.name, "status": c.status} for c in status.components],
        "incidents": [
            {"name": i.name, "status": i.status, "impact": i.impact, "shortlink": i.shortlink}
            for i in status.incidents
        ],
        "checked_at": utc(status.checked_at).isoformat().replace("+00:00", "Z"),
    }
