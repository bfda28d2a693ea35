"""The third-party status radar's network side: fetch Statuspage summaries, remember, compare.

The runbook's Scenario 5 ("Third-Party Service Outage") says: check the status pages of
Stripe, Supabase and Vercel. The radar does that on a timer and says what changed.

Nothing here raises for a page that cannot be read: no network, a timeout, an HTTP error or a
body that is not JSON all become the indicator "unknown" with a short reason, because a
status page being down is information too, and the radar runs unattended in a worker.

Use from the war room (the Dependencies pane), in a worker thread:

    radar = Radar(status_pages_from_env(default=playbook_status_pages(store.playbook)))
    client = new_client()                      # one per app; close it on exit
    statuses, lines = radar.poll(client, clock())
    record(store, incident_id, lines)          # if an incident is open

`poll` blocks for about `timeout` seconds at most, twice that for a page that trickles (the
pages are fetched in parallel). Start
the next poll with `set_timer` once the previous one has finished, so that polls never
overlap (and a slow page never piles up requests); `poll` also holds a lock, so overlapping
calls would wait for each other rather than mix their results.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING

import httpx

from warroom import __version__
from warroom.domain.dependencies import (
    DependencyStatus,
    changes,
    label_of_url,
    parse_summary,
    reached,
    unknown_status,
)

if TYPE_CHECKING:
    from warroom.store.store import Store

DEFAULT_STATUS_PAGES: Mapping[str, str] = {
    "Stripe": "https://status.stripe.com/api/v2/summary.json",
    "Supabase": "https://status.supabase.com/api/v2/summary.json",
    "Vercel": "https://www.vercel-status.com/api/v2/summary.json",
}
"""The runbook's Quick Links: the services MaidConnect depends on."""

ENV_VAR = "WARROOM_STATUS_PAGES"
DEFAULT_TIMEOUT = 5.0
"""Seconds to wait for a page to connect, and then for each read; twice this in all."""
POLL_INTERVAL = 60.0
"""Seconds between the end of one poll and the start of the next (a suggestion for the TUI)."""
RADAR_AUTHOR = "radar"
"""The author of the timeline entries the radar writes."""
MAX_BYTES = 2_000_000  # a summary is a few kB to a few hundred; more is not a summary
MAX_WORKERS = 8


def status_pages_from_env(
    env: Mapping[str, str] = os.environ,
    default: Mapping[str, str] = DEFAULT_STATUS_PAGES,
) -> dict[str, str]:
    """The pages to watch: `WARROOM_STATUS_PAGES="Name=URL,Name=URL"`, else `default`.

    Unset or blank means the default; "none" (or "off") means no pages: the radar is off.
    Raises ValueError, naming the variable and the item, for
    an item that is not `Name=URL` with an http(s) URL, or a name given twice.
    """
    raw = env.get(ENV_VAR, "")
    if not raw.strip():
        return dict(default)
    if raw.strip().casefold() in ("none", "off"):
        return {}  # the radar is off
    pages: dict[str, str] = {}
    for number, item in enumerate(raw.split(","), start=1):
        if not item.strip():
            continue  # "a=..,b=..," : a trailing comma is harmless
        name, equals, url = (part.strip() for part in item.partition("="))
        where = f"{ENV_VAR}: item {number} ({item.strip()!r})"
        if not equals or not name:
            raise ValueError(f"{where}: expected Name=URL")
        if not url.startswith(("https://", "http://")) or not label_of_url(url):
            raise ValueError(f"{where}: the URL must start with https:// or http://")
        if name in pages:
            raise ValueError(f"{where}: {name!r} is given twice")
        pages[name] = url
    if not pages:
        raise ValueError(f"{ENV_VAR}: no Name=URL items (unset it for the default pages)")
    return pages


def playbook_status_pages(playbook: object) -> dict[str, str]:
    """The playbook's `[[status_pages]]` as name -> URL; DEFAULT_STATUS_PAGES if it has none.

    Typed loosely on purpose: playbooks written before that section existed have no such
    attribute, and a playbook that lists no pages still gets the runbook's three.
    """
    listed = getattr(playbook, "status_pages", None) or ()
    pages = {
        page.name: page.url
        for page in listed
        if isinstance(getattr(page, "name", None), str)
        and isinstance(getattr(page, "url", None), str)
    }
    return pages or dict(DEFAULT_STATUS_PAGES)


def new_client(timeout: float = DEFAULT_TIMEOUT) -> httpx.Client:
    """An HTTP client for the radar: follows redirects, honours proxy settings (HTTPS_PROXY)."""
    return httpx.Client(
        timeout=timeout,
        follow_redirects=True,
        headers={
            "User-Agent": f"warroom/{__version__} (status radar)",
            "Accept": "application/json",
        },
    )


def fetch_status(
    client: httpx.Client,
    name: str,
    url: str,
    now: datetime,
    timeout: float = DEFAULT_TIMEOUT,
) -> DependencyStatus:
    """One page's status, read now. Never raises: a failure is an "unknown" with its reason."""
    label = label_of_url(url)
    # httpx's timeout bounds each step (connect, each read); a page that trickles its bytes
    # is cut off here, so that one slow page cannot hold up a poll for long.
    deadline = time.monotonic() + 2 * timeout
    try:
        with client.stream("GET", url, timeout=timeout) as response:
            if response.status_code != 200:
                return unknown_status(name, f"HTTP {response.status_code}", now, label)
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    return unknown_status(name, "response too large", now, label)
                if time.monotonic() > deadline:
                    return unknown_status(name, f"timeout after {2 * timeout:g}s", now, label)
    except httpx.TimeoutException:
        return unknown_status(name, f"timeout after {timeout:g}s", now, label)
    except httpx.ConnectError:
        return unknown_status(name, "cannot connect", now, label)
    except httpx.TooManyRedirects:
        return unknown_status(name, "too many redirects", now, label)
    except httpx.HTTPError as exc:
        return unknown_status(name, f"request failed ({type(exc).__name__})", now, label)
    except Exception as exc:  # a bad URL, a broken proxy setting: still only a status
        return unknown_status(name, f"cannot fetch ({type(exc).__name__})", now, label)
    try:
        payload = json.loads(bytes(body))
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return unknown_status(name, "not JSON", now, label)
    return parse_summary(name, payload, now, url_label=label)


class Radar:
    """The status pages to watch and the last status seen of each.

    Keep one for the life of the war room: `poll` compares each page with what the previous
    poll saw, so the change lines say only what is new.
    """

    def __init__(
        self,
        pages: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.pages: dict[str, str] = dict(DEFAULT_STATUS_PAGES if pages is None else pages)
        self.timeout = timeout
        self._last: dict[str, DependencyStatus] = {}
        self._reached: set[str] = set()  # pages read at least once
        self._lock = threading.Lock()

    @property
    def statuses(self) -> list[DependencyStatus]:
        """What the last poll saw, in the order the pages were given (empty before any poll)."""
        return [self._last[name] for name in self.pages if name in self._last]

    def poll(self, client: httpx.Client, now: datetime) -> tuple[list[DependencyStatus], list[str]]:
        """Fetch every page (in parallel), remember the results, and say what changed.

        A page that has not answered once yet changes nothing in the record: offline, the
        first polls return its "unknown" status (for the Dependencies pane) and no line.
        Returns the statuses in page order and the change lines (see
        `warroom.domain.dependencies.changes`), pages in order. Blocks for up to about twice
        `timeout`; call it from a worker thread, never from the UI's event loop.
        """
        with self._lock:
            items = list(self.pages.items())
            if not items:
                return [], []
            workers = min(len(items), MAX_WORKERS)
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="radar") as pool:
                futures = [
                    pool.submit(fetch_status, client, name, url, now, self.timeout)
                    for name, url in items
                ]
                statuses = [future.result() for future in futures]
            lines: list[str] = []
            for status in statuses:
                # A page never read has no previous state to compare with: until it answers
                # it is shown in the Dependencies pane only (domain: `changes`).
                seen = self._last.get(status.name) if status.name in self._reached else None
                lines += changes(seen, status)
                self._last[status.name] = status
                if reached(status):
                    self._reached.add(status.name)
            return statuses, lines


def record(store: Store, incident_id: str, lines: Iterable[str]) -> int:
    """Log each change line as its own timeline note by "radar", once however many war rooms
    saw it (`Store.record_observations`); nothing into an incident closed meanwhile.

    Returns how many entries were written. Raises StoreError for a database that cannot be
    written, for the caller to show.
    """
    return store.record_observations(incident_id, lines, RADAR_AUTHOR)
