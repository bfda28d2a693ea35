"""Other writers' commits on PostgreSQL, as notifications: the twin of watcher.py.

Every write transaction NOTIFYs the channel `warroom` (store/pg.py: `notify`), which
PostgreSQL delivers at commit to every connection LISTENing on it, on any machine. This
service holds one such connection in a thread and posts the same `DatabaseChanged` the file
watcher posts for SQLite, so the screen keeps one refresh path whoever wrote.

When it cannot listen (the server is down, the connection dropped), it says so once
(`ServiceTrouble`), posts `WatchingChanged(False)`, and falls back to posting
`DatabaseChanged` every `poll_s` seconds (never more often than every 5 s: a war room per
responder must not hammer a shared server) while it tries to listen again. Each time it
starts listening it posts `DatabaseChanged` once, for what was committed meanwhile.

Not yet wired into the war room (screens/main.py starts `DatabaseWatcher`): that waits for
the Store on PostgreSQL, and is one `if target.is_postgres` there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.message import Message

from warroom.store.reader import StoreError
from warroom.store.target import DatabaseTarget
from warroom.tui.messages import DatabaseChanged, ServiceTrouble, WatchingChanged

if TYPE_CHECKING:
    from textual.dom import DOMNode

MIN_POLL_S = 5.0
WAKE_S = 0.5  # how often the listening thread looks whether it should stop

Post = Callable[[Message], object]


class PostgresWatcher:
    """Posts DatabaseChanged when another process commits to the PostgreSQL database;
    WatchingChanged as listening starts and stops; ServiceTrouble when it cannot listen."""

    def __init__(self, target: DatabaseTarget, poll_s: float = MIN_POLL_S) -> None:
        if not target.is_postgres:
            raise ValueError("PostgresWatcher needs a PostgreSQL target")
        self.target = target
        self.poll_s = max(MIN_POLL_S, poll_s)
        self._stop = threading.Event()
        self.listening = False

    def start(self, host: DOMNode) -> None:
        """Run in a thread worker of `host`; posted messages go to `host` (thread-safe)."""
        host.run_worker(
            lambda: self.run(host.post_message),
            thread=True,
            exclusive=True,
            group="watch-postgres",
            exit_on_error=False,
        )

    def stop(self) -> None:
        self._stop.set()

    def run(self, post: Post) -> None:
        """Listen until `stop()`; the body of the thread (tests call it directly)."""
        from warroom.store import pg  # the driver: only a PostgreSQL war room loads it

        troubled = False
        try:
            while not self._stop.is_set():
                try:
                    listener = pg.Listener(self.target)
                except StoreError as error:
                    if not troubled:
                        troubled = True
                        self._trouble(post, str(error))
                    post(DatabaseChanged())  # the fallback poll
                    self._stop.wait(self.poll_s)
                    continue
                troubled = False
                try:
                    self.listening = True
                    post(WatchingChanged(True))
                    post(DatabaseChanged())  # what was committed before we listened
                    while not self._stop.is_set():
                        if listener.wait(WAKE_S):
                            post(DatabaseChanged())
                except StoreError as error:  # the connection dropped: poll, then listen again
                    troubled = True
                    self._trouble(post, str(error))
                    post(DatabaseChanged())
                    self._stop.wait(self.poll_s)
                finally:
                    listener.close()
        finally:
            if self.listening:
                self.listening = False
                post(WatchingChanged(False))

    def _trouble(self, post: Post, error: str) -> None:
        if self.listening:
            self.listening = False
            post(WatchingChanged(False))
        post(
            ServiceTrouble(
                f"Not listening for changes ({error}); looking every {self.poll_s:g} s instead",
                "information",
            )
        )
