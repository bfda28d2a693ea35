"""The PostgreSQL fixtures: a real server, a fresh database for each test.

Where the server comes from, in order:
1. `WARROOM_TEST_POSTGRES`: a URL whose role may CREATE DATABASE (CI: .ci/run starts a
   throwaway cluster and sets it); `WARROOM_TEST_POSTGRES_OBSERVER`, optional, is a second
   role with no privileges of its own (the read-only tests grant it SELECT).
2. PostgreSQL's binaries on this machine (tests/pgcluster.py finds initdb): a throwaway
   cluster for the session, stopped and removed at the end.
3. Neither: the PostgreSQL tests are skipped, saying why; with `CI=true` they fail instead
   (CI must never pass by skipping them).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import pytest
from pgcluster import Cluster, find_bindir

if TYPE_CHECKING:
    from warroom.store.target import DatabaseTarget


@dataclass
class PgServer:
    url: str = field(repr=False)  # a role that may create databases, on its own database
    observer_url: str | None = field(repr=False)  # a role granted nothing, or None
    source: str  # where it came from, for the report header


@dataclass
class PgDatabase:
    """A fresh database for one test: `url` (its owner) and `observer_url` (SELECT only,
    once `grant_read()` ran: call it after the schema is there)."""

    name: str
    url: str = field(repr=False)  # no password in a failing test's report either
    server: PgServer

    @property
    def observer_url(self) -> str:
        if self.server.observer_url is None:
            _unavailable("WARROOM_TEST_POSTGRES_OBSERVER is not set (no read-only role)")
        assert self.server.observer_url is not None
        return with_database(self.server.observer_url, self.name)

    @property
    def password(self) -> str:
        return urlsplit(self.url).password or ""

    def grant_read(self) -> None:
        import psycopg

        observer = urlsplit(self.observer_url).username
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{observer}"')


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"PostgreSQL tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


def pg_source() -> str:
    """What the session will use, for the report header."""
    url = os.environ.get("WARROOM_TEST_POSTGRES")
    if url:
        from warroom.store.target import DatabaseTarget

        return f"WARROOM_TEST_POSTGRES={DatabaseTarget.parse(url).display}"
    bindir = find_bindir()
    if bindir:
        return f"a throwaway cluster from {bindir}"
    return "none: set WARROOM_TEST_POSTGRES or install PostgreSQL (tests skipped)"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    url = os.environ.get("WARROOM_TEST_POSTGRES")
    if url:
        yield PgServer(url, os.environ.get("WARROOM_TEST_POSTGRES_OBSERVER") or None, "env")
        return
    bindir = find_bindir()
    if bindir is None:
        _unavailable(
            "WARROOM_TEST_POSTGRES is not set and PostgreSQL is not installed"
            " (no initdb in /usr/lib/postgresql/*/bin or on PATH; apt-get install postgresql)"
        )
    try:
        cluster = Cluster.start(bindir)
    except Exception as exc:
        _unavailable(f"cannot start a throwaway cluster from {bindir}: {exc}")
        raise
    try:
        yield PgServer(cluster.url, cluster.observer_url, str(bindir))
    finally:
        cluster.stop()


@pytest.fixture
def pg(pg_server: PgServer) -> Iterator[PgDatabase]:
    """A new, empty database on the test server, dropped after the test."""
    import psycopg

    name = f"wt_{secrets.token_hex(6)}"
    with psycopg.connect(pg_server.url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield PgDatabase(name, with_database(pg_server.url, name), pg_server)
    finally:
        try:
            with psycopg.connect(pg_server.url, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        except psycopg.Error:  # another role still connected: it goes with the cluster
            pass


@pytest.fixture(scope="session")
def pg_template(pg_server: PgServer) -> Iterator[str]:
    """A database with warroom's schema set up, once a session: each `pg_target` is a copy
    (`CREATE DATABASE ... TEMPLATE`, a file copy: faster than setting the schema up again)."""
    import psycopg

    from warroom.store import pg
    from warroom.store.target import DatabaseTarget

    name = f"wt_template_{secrets.token_hex(4)}"
    with psycopg.connect(pg_server.url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        pg.ensure_schema(DatabaseTarget.parse(with_database(pg_server.url, name)))
        yield name
    finally:
        try:
            with psycopg.connect(pg_server.url, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        except psycopg.Error:
            pass


@pytest.fixture
def pg_target(pg_server: PgServer, pg_template: str) -> Iterator[DatabaseTarget]:
    """A fresh PostgreSQL database with warroom's schema (a copy of `pg_template`), as the
    Store's target; dropped after the test."""
    import psycopg

    from warroom.store.target import DatabaseTarget

    name = f"wt_{secrets.token_hex(6)}"
    with psycopg.connect(pg_server.url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {pg_template}")
    try:
        yield DatabaseTarget.parse(with_database(pg_server.url, name))
    finally:
        try:
            with psycopg.connect(pg_server.url, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        except psycopg.Error:
            pass
