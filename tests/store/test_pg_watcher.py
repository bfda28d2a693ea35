"""The PostgreSQL live-update service (tui/services/pg_watcher.py) on a real server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from pgcluster import free_port
from pgfixtures import PgDatabase
from textual.app import App
from textual.message import Message

from warroom.store import pg as pgstore
from warroom.store.target import DatabaseTarget
from warroom.tui.messages import DatabaseChanged, ServiceTrouble, WatchingChanged
from warroom.tui.services.pg_watcher import MIN_POLL_S, PostgresWatcher


class Posted:
    """The messages a watcher posted, with when, from its thread."""

    def __init__(self) -> None:
        self.items: list[tuple[float, Message]] = []
        self._cond = threading.Condition()

    def __call__(self, message: Message) -> None:
        with self._cond:
            self.items.append((time.monotonic(), message))
            self._cond.notify_all()

    def of(self, kind: type[Message]) -> list[tuple[float, Message]]:
        with self._cond:
            return [(t, m) for t, m in self.items if isinstance(m, kind)]

    def wait_for(self, test: Callable[[], bool], timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(test, timeout)


def _run(watcher: PostgresWatcher, posted: Posted) -> threading.Thread:
    thread = threading.Thread(target=watcher.run, args=(posted,), daemon=True)
    thread.start()
    return thread


def _commit_with_notify(where: DatabaseTarget, incident_id: str = "INC-1") -> float:
    conn = pgstore.connect(where)
    try:
        started = time.monotonic()
        pgstore.run_transaction(conn, lambda c: pgstore.notify(c, incident_id))
        return started
    finally:
        conn.close()


def _listening(posted: Posted, count: int = 1) -> Callable[[], bool]:
    return lambda: sum(m.watching for _, m in posted.of(WatchingChanged)) >= count  # type: ignore[attr-defined]


def test_another_writers_commit_posts_database_changed(pg: PgDatabase) -> None:
    where = DatabaseTarget.parse(pg.url)
    watcher, posted = PostgresWatcher(where), Posted()
    thread = _run(watcher, posted)
    try:
        assert posted.wait_for(_listening(posted), 10)
        assert len(posted.of(DatabaseChanged)) == 1  # the catch-up look on starting
        started = _commit_with_notify(where)
        assert posted.wait_for(lambda: len(posted.of(DatabaseChanged)) == 2, 5)
        arrived = posted.of(DatabaseChanged)[-1][0]
        assert arrived - started < 1.0
    finally:
        watcher.stop()
        thread.join(5)
    assert not thread.is_alive()
    assert [m.watching for _, m in posted.of(WatchingChanged)] == [True, False]  # type: ignore[attr-defined]
    assert posted.of(ServiceTrouble) == []


def test_without_a_server_it_polls_no_faster_than_every_five_seconds() -> None:
    where = DatabaseTarget.parse(f"postgresql://warroom:hunter2@127.0.0.1:{free_port()}/none")
    watcher, posted = PostgresWatcher(where, poll_s=0.1), Posted()
    assert watcher.poll_s == MIN_POLL_S
    thread = _run(watcher, posted)
    try:
        assert posted.wait_for(lambda: len(posted.of(DatabaseChanged)) >= 2, MIN_POLL_S + 5)
    finally:
        watcher.stop()
        thread.join(5)
    times = [t for t, _ in posted.of(DatabaseChanged)]
    assert times[1] - times[0] >= MIN_POLL_S - 0.05
    (trouble,) = posted.of(ServiceTrouble)  # said once, not at every poll
    text = trouble[1].text  # type: ignore[attr-defined]
    assert "Not listening for changes" in text and "127.0.0.1" in text
    assert "hunter2" not in text and "every 5 s" in text
    assert posted.of(WatchingChanged) == []


def test_a_dropped_connection_falls_back_then_listens_again(pg: PgDatabase) -> None:
    where = DatabaseTarget.parse(pg.url)
    watcher, posted = PostgresWatcher(where), Posted()
    thread = _run(watcher, posted)
    try:
        assert posted.wait_for(_listening(posted), 10)
        admin = pgstore.connect(where, autocommit=True)
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"
        )
        admin.close()
        assert posted.wait_for(lambda: len(posted.of(ServiceTrouble)) == 1, 5)
        assert posted.wait_for(_listening(posted, 2), MIN_POLL_S + 5)  # listening again
        before = len(posted.of(DatabaseChanged))
        _commit_with_notify(where)
        assert posted.wait_for(lambda: len(posted.of(DatabaseChanged)) > before, 5)
    finally:
        watcher.stop()
        thread.join(5)
    watching = [m.watching for _, m in posted.of(WatchingChanged)]  # type: ignore[attr-defined]
    assert watching == [True, False, True, False]


class Host(App[None]):
    def __init__(self, watcher: PostgresWatcher) -> None:
        super().__init__()
        self.watcher = watcher
        self.changes = 0
        self.watching: bool | None = None

    def on_mount(self) -> None:
        self.watcher.start(self)

    def on_database_changed(self, _message: DatabaseChanged) -> None:
        self.changes += 1

    def on_watching_changed(self, message: WatchingChanged) -> None:
        self.watching = message.watching


async def test_in_a_textual_app_the_messages_arrive(pg: PgDatabase) -> None:
    where = DatabaseTarget.parse(pg.url)
    watcher = PostgresWatcher(where)
    app = Host(watcher)
    async with app.run_test() as pilot:
        deadline = time.monotonic() + 10
        while app.watching is not True and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert app.watching is True
        before = app.changes
        _commit_with_notify(where)
        deadline = time.monotonic() + 5
        while app.changes == before and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert app.changes > before
        watcher.stop()
