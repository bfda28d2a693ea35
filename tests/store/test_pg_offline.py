"""A real PostgreSQL server stopped and restarted mid-incident: what is typed meanwhile is
kept on this machine and written, in order and with its times, once the server is back;
`warroom log` says in one line which host it cannot reach, without the password."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import FakeClock, run_cli
from pgcluster import Cluster, find_bindir

from warroom.playbook import default_playbook
from warroom.store.spool import Spool
from warroom.store.store import Store, Unreachable
from warroom.store.target import DatabaseTarget


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """A server of this test's own, to stop and start (the shared one stays up)."""
    if find_bindir() is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("PostgreSQL binaries are needed in CI", pytrace=False)
        pytest.skip("no PostgreSQL installed (initdb, pg_ctl)")
    running = Cluster.start()
    try:
        yield running
    finally:
        running.stop()


def test_the_server_goes_away_and_comes_back_nothing_is_lost(
    cluster: Cluster, clock: FakeClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = DatabaseTarget.parse(cluster.url)
    store = Store(target, default_playbook(), clock=clock, author="alice")
    incident = store.declare("Checkout down", 1)
    store.log(incident.id, "before the outage")
    cluster.halt()
    typed = [clock.advance(minutes=1), clock.advance(minutes=1)]
    with pytest.raises(Unreachable) as gone:
        store.log(incident.id, "typed while it was away")
    assert "127.0.0.1" in str(gone.value) and cluster.password not in str(gone.value)
    # A hook's `warroom log`: one line naming the database, exit 1, no password.
    code, out, err = run_cli(capsys, "--db", cluster.url, "log", "from a hook")
    assert code == 1 and out == "" and len(err.splitlines()) == 1
    assert "127.0.0.1" in err and cluster.password not in err
    # The war room keeps what is typed meanwhile (base.py `_keep_offline`), in order.
    spool = Spool(tmp_path / "spool" / "team.jsonl")
    for text, at in zip(["rolled back 4512", "EU back"], typed, strict=True):
        spool.add(Spool.new(incident.id, text, "note", at, "alice"))
    with pytest.raises(Unreachable):
        spool.drain(store.log_spooled)
    assert len(spool) == 2
    cluster.resume()  # the server is back; the Store reconnects by itself
    clock.advance(minutes=5)
    assert spool.drain(store.log_spooled) == (2, 0)
    entries = store.timeline(incident.id)
    texts = [e.text for e in entries]
    assert texts.index("before the outage") < texts.index("rolled back 4512")
    kept = [(e.text, e.at) for e in entries if e.text in ("rolled back 4512", "EU back")]
    assert kept == [("rolled back 4512", typed[0]), ("EU back", typed[1])]
    assert all(e.logged_at - e.at == timedelta(minutes=5) for e in entries if e.text == "EU back")
    store.dispose()
