"""Other writers' commits and playbook edits, as file events: no busy polling."""

from __future__ import annotations

from pathlib import Path

from textual.dom import DOMNode

from warroom.tui.messages import (
    DatabaseChanged,
    PlaybookChanged,
    ServiceTrouble,
    WatchingChanged,
)


class DatabaseWatcher:
    """Posts DatabaseChanged when the database's files change, PlaybookChanged when the
    playbook file does, and WatchingChanged as it starts and stops (until it runs, and if
    it fails, the host's tick looks for changes instead)."""

    def __init__(self, database: Path | None, playbook: Path | None) -> None:
        """`database` None: the playbook file only (on PostgreSQL, PostgresWatcher tells of
        the database's changes, and says whether it is watching)."""
        self.database = database.resolve() if database else None
        self.playbook = playbook.resolve() if playbook else None

    def start(self, host: DOMNode) -> None:
        host.run_worker(self._watch(host), exclusive=True, group="watch-files", exit_on_error=False)

    async def _watch(self, host: DOMNode) -> None:
        db = self.database
        db_names = {db.name, f"{db.name}-wal", f"{db.name}-shm"} if db else set()
        folders = {db.parent} if db else set()
        playbook = self.playbook
        if playbook is not None:
            folders.add(playbook.parent)
        if not folders:
            return

        from watchfiles import awatch

        def changed() -> None:
            host.post_message(DatabaseChanged())

        try:
            watcher = awatch(*folders, debounce=40, step=20, recursive=False)
            if db is not None:
                host.post_message(WatchingChanged(True))
                changed()  # what was written since the last look
            async for changes in watcher:
                paths = {Path(path) for _, path in changes}
                if db and any(path.name in db_names and path.parent == db.parent for path in paths):
                    changed()
                    # The event can precede the commit's visibility (WAL frames land before
                    # the commit mark): look again shortly, so a write is never missed.
                    host.set_timer(0.1, changed)
                    host.set_timer(0.4, changed)
                if playbook is not None and playbook in paths:
                    host.post_message(PlaybookChanged())
        except Exception as error:  # the fallback is the tick's check: say so, keep going
            host.post_message(
                ServiceTrouble(
                    f"Not watching files ({error}); checking every second instead"
                    if db is not None
                    else f"Not watching the playbook file ({error}): restart to reload it",
                    "information",
                )
            )
        finally:
            if db is not None:
                host.post_message(WatchingChanged(False))
