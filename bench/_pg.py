"""PostgreSQL for the benchmarks: fresh databases on $WARROOM_TEST_POSTGRES's server (a role
that may create databases), else on a throwaway cluster from the local PostgreSQL binaries
(tests/pgcluster.py: fsync and synchronous_commit off). Needs psycopg (warroom[postgres])."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from pgcluster import Cluster  # noqa: E402 (tests/ holds the throwaway-cluster helper)

from warroom.store.target import DatabaseTarget  # noqa: E402


@contextmanager
def server() -> Iterator[Callable[[], DatabaseTarget]]:
    """A factory of fresh databases on $WARROOM_TEST_POSTGRES's server or a throwaway
    cluster; all dropped at the end."""
    import psycopg

    url = os.environ.get("WARROOM_TEST_POSTGRES")
    cluster = None if url else Cluster.start()
    base = url or (cluster.url if cluster else "")
    head, _, _ = base.rpartition("/")
    made: list[str] = []

    def new() -> DatabaseTarget:
        name = f"bench_{secrets.token_hex(4)}"
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        made.append(name)
        return DatabaseTarget.parse(f"{head}/{name}")

    try:
        yield new
    finally:
        try:
            with psycopg.connect(base, autocommit=True) as admin:
                for name in made:
                    admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            if cluster is not None:
                cluster.stop()


def settle(where: DatabaseTarget) -> None:
    """`VACUUM ANALYZE` after a bulk build: what autovacuum does on its own within a minute
    of 100,000 inserts (the planner's statistics, the visibility map for index-only
    counts); without it the first opens measure a table the server has not looked at yet."""
    import psycopg

    assert where.url is not None
    with psycopg.connect(where.url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
