"""Shared fixtures: a fake clock, a store on a temporary database, a war room app."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pgfixtures import (  # noqa: F401 (fixtures: a real PostgreSQL)
    pg,
    pg_server,
    pg_source,
    pg_target,
    pg_template,
)

from warroom.playbook import default_playbook
from warroom.store.store import Store
from warroom.store.target import DatabaseTarget

# Deterministic looks: no animations, no cursor blink in snapshots.
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

START = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def pytest_report_header() -> str:
    return f"postgresql: {pg_source()}"


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture(autouse=True)
def isolated_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """No test reads the user's config, playbook, webhooks or cache."""
    home = tmp_path_factory.mktemp("config-home")
    monkeypatch.setenv("WARROOM_CONFIG", str(home / "config.toml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg"))
    monkeypatch.setenv("WARROOM_CACHE", str(home / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))  # the spool, the default database
    for name in (
        "WARROOM_SLACK_WEBHOOK",
        "WARROOM_DISCORD_WEBHOOK",
        "WARROOM_TEAMS_WEBHOOK",
        "WARROOM_WEBHOOK",
        "WARROOM_PLAYBOOK",
        "WARROOM_STATUS_PAGES",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Path | DatabaseTarget:
    """The Store's database on each backend in turn: an SQLite file, then a fresh PostgreSQL
    database (pg_target). The store's own tests take it; `@pytest.mark.sqlite_only(reason)`
    keeps a test about SQLite's files (permissions, damage, WAL, PRAGMA) off PostgreSQL."""
    if request.param == "sqlite":
        return tmp_path / "warroom.db"
    target: DatabaseTarget = request.getfixturevalue("pg_target")
    return target


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A `sqlite_only` test's PostgreSQL variant is not collected (deselected, not skipped:
    there is nothing to skip, it does not apply)."""
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_pg = callspec is not None and callspec.params.get("any_db") == "postgresql"
        (drop if on_pg and item.get_closest_marker("sqlite_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "warroom.db"


@pytest.fixture
def store(db_path: Path, clock: FakeClock) -> Iterator[Store]:
    store = Store(db_path, default_playbook(), clock=clock, author="alice")
    yield store
    store.dispose()


@pytest.fixture
def make_app(store: Store, clock: FakeClock, tmp_path: Path) -> Callable[..., object]:
    from warroom.tui.app import WarRoomApp

    def factory(**kwargs: object) -> WarRoomApp:
        kwargs.setdefault("watch_files", False)  # deterministic: tests call check_database()
        kwargs.setdefault("deliver", False)  # delivery tests run the Deliverer themselves
        kwargs.setdefault("radar", False)  # no network in tests; radar tests feed statuses in
        app = WarRoomApp(store, reviews_dir=tmp_path / "reviews", clock=clock, **kwargs)
        record_notices(app)
        return app

    return factory


def record_notices(app: Any) -> list[Any]:
    """Record what the app says (every notification, toasts and clock alerts alike: each is
    a public `Notify` message posted to the app) in `app.said`, as `Notification`s."""
    from textual.notifications import Notify

    said: list[Any] = []
    post = app.post_message

    def recording_post(message: Any) -> bool:
        if isinstance(message, Notify):
            said.append(message.notification)
        return bool(post(message))

    app.post_message = recording_post
    app.said = said
    return said


def python_c(code: str, *args: str) -> str:
    """Run `python -c CODE ARGS` in a fresh interpreter (what it imports is its own); stdout."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`warroom` commands run in this process (`cli.main`) use a database of their own."""
    path = tmp_path / "w.db"
    monkeypatch.setenv("WARROOM_DB", str(path))
    monkeypatch.setenv("WARROOM_USER", "script")
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`warroom ARGV` in this process: exit code, stdout, stderr."""
    from warroom.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
