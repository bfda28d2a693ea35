"""The spool: entries typed while the database is unreachable, kept and written later."""

from __future__ import annotations

import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import FakeClock

from warroom.playbook import default_playbook
from warroom.store.spool import Spool, Spooled
from warroom.store.store import Store, StoreError, Unreachable


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    return Spool(tmp_path / "data" / "spool" / "team.jsonl")


def test_kept_in_order_with_the_time_typed_and_written_once(
    spool: Spool, store: Store, clock: FakeClock
) -> None:
    incident = store.declare("Checkout down", 1)
    typed = [clock.advance(minutes=1) for _ in range(3)]
    for n, at in enumerate(typed):
        spool.add(Spool.new(incident.id, f"typed offline {n}", "note", at, "alice"))
    assert [i.text for i in spool.items()] == [f"typed offline {n}" for n in range(3)]
    assert stat.S_IMODE(spool.path.stat().st_mode) == 0o600
    clock.advance(minutes=5)  # the database is back later
    assert spool.drain(store.log_spooled) == (3, 0)
    assert not spool.path.exists() and len(spool) == 0
    entries = [e for e in store.timeline(incident.id) if e.text.startswith("typed offline")]
    assert [(e.text, e.at, e.author) for e in entries] == [
        (f"typed offline {n}", at, "alice") for n, at in enumerate(typed)
    ]


def test_a_drain_that_ran_before_a_crash_writes_nothing_twice(
    spool: Spool, store: Store, clock: FakeClock
) -> None:
    incident = store.declare("Checkout down", 1)
    item = Spool.new(incident.id, "written, then the process died", "note", clock(), "bob")
    spool.add(item)
    assert store.log_spooled(item) is True  # written; the spool was not yet told
    assert spool.drain(store.log_spooled) == (0, 0)  # there already: not written again
    assert not spool.path.exists()
    texts = [e.text for e in store.timeline(incident.id)]
    assert texts.count("written, then the process died") == 1


def test_a_failure_stops_the_drain_and_keeps_the_rest(spool: Spool, clock: FakeClock) -> None:
    items = [Spool.new("INC-1", f"line {n}", "note", clock(), "a") for n in range(4)]
    for item in items:
        spool.add(item)
    seen: list[str] = []

    def flaky(item: Spooled) -> None:
        if len(seen) == 2:
            raise Unreachable("database db.internal: unreachable")
        seen.append(item.text)

    with pytest.raises(Unreachable):
        spool.drain(flaky)
    assert [i.text for i in spool.items()] == ["line 2", "line 3"]  # in order, nothing lost
    assert spool.drain(lambda item: seen.append(item.text)) == (2, 0)
    assert seen == ["line 0", "line 1", "line 2", "line 3"]


def test_an_entry_typed_after_someone_closed_the_incident_is_kept_aside(
    spool: Spool, store: Store, clock: FakeClock
) -> None:
    incident = store.declare("Checkout down", 1)
    before = Spool.new(incident.id, "typed while it was open", "note", clock(), "a")
    clock.advance(minutes=1)
    store.close(incident.id)  # another machine closed it
    clock.advance(minutes=1)
    after = Spool.new(incident.id, "typed after it was closed", "note", clock(), "a")
    spool.add(before)
    spool.add(after)
    assert spool.drain(store.log_spooled) == (1, 1)
    texts = [e.text for e in store.timeline(incident.id)]
    assert "typed while it was open" in texts and "typed after it was closed" not in texts
    assert [i.text for i in Spool(spool.refused_path).items()] == ["typed after it was closed"]


def test_a_line_torn_by_a_crash_is_skipped(spool: Spool, clock: FakeClock) -> None:
    spool.add(Spool.new("INC-1", "whole", "note", clock(), "a"))
    with spool.path.open("ab") as handle:
        handle.write(b'{"key": "abc", "incident_id": "INC-1", "te')  # kill -9 mid-append
    assert [i.text for i in spool.items()] == ["whole"]


KILLED = """
import os, sys
from datetime import datetime, UTC
from pathlib import Path
from warroom.store.spool import Spool
spool = Spool(Path(sys.argv[1]))
spool.add(Spool.new("INC-1", "kept before the kill", "note", datetime.now(UTC), "a"))
os.kill(os.getpid(), 9)
"""


def test_kept_means_on_disk_across_kill_9(spool: Spool) -> None:
    done = subprocess.run([sys.executable, "-c", KILLED, str(spool.path)], check=False)
    assert done.returncode == -9
    assert [i.text for i in spool.items()] == ["kept before the kill"]


def test_unknown_incident_is_a_store_error(store: Store, clock: FakeClock) -> None:
    item = Spool.new("INC-1999-01-01-1", "x", "note", clock(), "a")
    with pytest.raises(StoreError):
        store.log_spooled(item)


def test_the_store_reports_an_unreachable_database_as_its_own_error() -> None:
    assert issubclass(Unreachable, StoreError)  # every handler of StoreError still catches it


def test_a_spooled_entry_keeps_its_time_even_if_typed_long_ago(
    spool: Spool, db_path: Path, clock: FakeClock
) -> None:
    store = Store(db_path, default_playbook(), clock=clock)
    incident = store.declare("Long outage", 1)
    typed = clock.advance(minutes=1)
    spool.add(Spool.new(incident.id, "typed at the start of the outage", "finding", typed, "c"))
    clock.advance(hours=3)  # the server was away for three hours
    spool.drain(store.log_spooled)
    entry = next(e for e in store.timeline(incident.id) if e.text.startswith("typed at"))
    assert entry.at == typed and entry.logged_at == typed + timedelta(hours=3)
    assert entry.kind.value == "finding"
    store.dispose()
