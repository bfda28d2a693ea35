"""The spool drainer: what was typed while the database was away, written once it is back."""

from __future__ import annotations

import time

from textual.dom import DOMNode

from warroom.store.spool import Spool
from warroom.store.store import Store, StoreError
from warroom.tui.messages import SpoolDrained

RETRY_SECONDS = 5.0
"""How often a war room tries again while the database is still away."""


class SpoolDrainer:
    """Drains the spool in a thread (a server still away can take seconds to say so), at
    most every RETRY_SECONDS while the database is away, one round at a time; each round
    posts SpoolDrained."""

    def __init__(self, spool: Spool, store: Store) -> None:
        self.spool = spool
        self.store = store
        self._tried = 0.0
        self._draining = False

    def try_now(self, host: DOMNode, away: bool) -> None:
        """A round, if something is kept and (while AWAY) the last try is old enough."""
        if self._draining or not self.spool.path.exists():
            return
        now = time.monotonic()
        if away and now - self._tried < RETRY_SECONDS:
            return
        self._tried, self._draining = now, True
        host.run_worker(lambda: self._round(host), thread=True, group="spool", exit_on_error=False)

    def _round(self, host: DOMNode) -> None:
        written = refused = 0
        error: StoreError | None = None
        try:
            written, refused = self.spool.drain(self.store.log_spooled)
        except StoreError as problem:
            error = problem
        finally:
            self._draining = False
        host.post_message(SpoolDrained(written, refused, error))
