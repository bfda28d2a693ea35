"""The Store, the commands and the outbox on a real PostgreSQL server, where the backend
itself is the subject: several delivery processes on one database, a user who may only
read, the commands with `--db postgresql://...`. (The Store's behaviour on both backends:
test_store.py, test_outbox.py, test_store_at.py, test_concurrency.py, through any_db.)"""

from __future__ import annotations

import io
import multiprocessing
import sys
import time
from pathlib import Path

import pytest
from conftest import run_cli
from httpserver import LoopbackServer
from pgfixtures import PgDatabase

from warroom.comms.messages import MessageKind
from warroom.playbook import default_playbook
from warroom.store.outbox import OutboxStatus, list_outbox, send_message
from warroom.store.store import Store, StoreError
from warroom.store.target import DatabaseTarget

pytestmark = pytest.mark.postgres

DELIVERERS = 5
CHANNELS = 4
MESSAGES = 12  # per channel


def _deliver_until_done(url: str, hooks: list[str], start: float) -> list[int]:
    """Child process: a Deliverer of its own on the database, posting what is due until
    nothing is left; the IDs of the rows it sent."""
    import httpx
    from pydantic import SecretStr

    from warroom.integrations.delivery import Deliverer, Outcome
    from warroom.integrations.settings import Channel, ChannelType, Settings

    settings = Settings(
        channels=tuple(
            Channel(name=f"hook{n}", type=ChannelType.WEBHOOK, url=SecretStr(hook))
            for n, hook in enumerate(hooks)
        )
    )
    store = Store(DatabaseTarget.parse(url), default_playbook(), author="deliverer")
    sent: list[int] = []
    try:
        deliverer = Deliverer(store, settings, httpx.Client())
        time.sleep(max(0.0, start - time.time()))  # all five begin together
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            deliverer.run_once()
            sent += [r.message_id for r in deliverer.last_results if r.outcome is Outcome.SENT]
            left = [i for i in list_outbox(store) if i.status is not OutboxStatus.SENT]
            if not left:
                break
            time.sleep(0.005)
        deliverer.close()
    finally:
        store.dispose()
    return sent


def test_five_deliverers_on_one_database_post_every_message_once(pg_target: DatabaseTarget):
    store = Store(pg_target, default_playbook(), author="alice")
    try:
        iid = store.declare("Checkout failing", 1).id
        with LoopbackServer() as server:
            hooks = [server.url(f"/hook{n}") for n in range(CHANNELS)]
            queued = []
            for m in range(MESSAGES):
                queued += send_message(
                    store,
                    iid,
                    MessageKind.STATUS_UPDATE,
                    f"update {m}",
                    [f"hook{n}" for n in range(CHANNELS)],
                )
            context = multiprocessing.get_context("spawn")
            start = time.time() + 3.0
            assert pg_target.url is not None
            with context.Pool(DELIVERERS) as pool:
                jobs = [
                    pool.apply_async(_deliver_until_done, (pg_target.url, hooks, start))
                    for _ in range(DELIVERERS)
                ]
                by_deliverer = [job.get(timeout=120) for job in jobs]
            received = server.received()
        sent = [mid for mine in by_deliverer for mid in mine]
        assert sorted(sent) == sorted(queued) and len(queued) == CHANNELS * MESSAGES
        items = list_outbox(store)
        assert {i.status for i in items} == {OutboxStatus.SENT}
        assert {i.attempts for i in items} == {1}
        keys = [r.idempotency_key for r in received]
        assert len(keys) == len(set(keys)) == len(queued)  # each posted once, by one of them
        assert sum(1 for mine in by_deliverer if mine) > 1  # they did share the work
    finally:
        store.dispose()


# -- a user who may only read -----------------------------------------------------------------


def test_a_select_only_user_reads_and_is_told_it_cannot_write(
    pg: PgDatabase, capsys: pytest.CaptureFixture[str]
) -> None:
    owner = Store(DatabaseTarget.parse(pg.url), default_playbook(), author="alice")
    try:
        iid = owner.declare("Checkout failing", 1).id
    finally:
        owner.dispose()
    pg.grant_read()
    observer = Store(DatabaseTarget.parse(pg.observer_url), default_playbook(), author="bob")
    try:
        assert observer.read_only
        assert observer.get(iid).title == "Checkout failing"
        with pytest.raises(StoreError, match="can only read") as caught:
            observer.log(iid, "hello")
        assert "\n" not in str(caught.value) and pg.password not in str(caught.value)
    finally:
        observer.dispose()

    code, out, err = run_cli(capsys, "--db", pg.observer_url, "list")
    assert code == 0 and iid in out and err == ""
    code, out, err = run_cli(capsys, "--db", pg.observer_url, "log", "--incident", iid, "hi")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "can only read" in err and "Traceback" not in err and pg.password not in err


def test_a_select_only_user_cannot_set_up_a_new_database(
    pg: PgDatabase, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(capsys, "--db", pg.observer_url, "list")
    assert code == 1 and err.count("\n") == 1
    assert "needs setting up" in err and "can only read" in err and pg.password not in err


# -- the commands --------------------------------------------------------------------------


def test_the_commands_on_postgresql(
    pg: PgDatabase,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def cli(*args: str, db: str = pg.url) -> str:
        code, out, err = run_cli(capsys, "--db", db, "--as", "carol", *args)
        assert (code, err) == (0, ""), err
        assert pg.password not in out
        return out

    iid = cli("declare", "--sev", "1", "--title", "Payments down").strip()
    assert iid.startswith("INC-") and iid in cli("list")
    cli("log", "rolled back deploy 4512")
    shown = cli("show", iid)
    assert "rolled back deploy 4512" in shown
    assert "[4512]" in cli("search", "4512")
    review = tmp_path / "review.md"
    cli("export", iid, "-o", str(review))
    assert "Payments down" in review.read_text()

    # Into an SQLite file (the laptop) and back into another PostgreSQL incident: the
    # offline path, both ways.
    monkeypatch.setattr(sys, "stdin", io.StringIO(cli("show", iid, "--json")))
    laptop = str(tmp_path / "laptop.db")
    assert iid in cli("import", "-", db=laptop)
    monkeypatch.setattr(sys, "stdin", io.StringIO(cli("show", iid, "--json", db=laptop)))
    again = cli("import", "-")
    assert iid in again  # taken here: imported under the next free ID, the old one kept
    store = Store(DatabaseTarget.parse(pg.url), default_playbook())
    try:
        assert sorted(str(i.original_id) for i in store.incidents()) == [iid, "None"]
    finally:
        store.dispose()


def test_connections_the_server_dropped_are_replaced(pg_target: DatabaseTarget) -> None:
    """A war room open for hours: the server restarts, or drops idle sessions. The next read
    and the next write go through on new connections, without an error."""
    import psycopg

    store = Store(pg_target, default_playbook(), author="alice")
    try:
        iid = store.declare("Checkout failing", 1).id
        store.log(iid, "before")
        assert pg_target.url is not None
        with psycopg.connect(pg_target.url, autocommit=True) as admin:
            killed = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()
        assert killed is not None and killed[0] >= 2  # the reader's and the writer's
        time.sleep(0.2)
        assert store.timeline(iid)[-1].text == "before"
        store.log(iid, "after")
        assert store.timeline(iid)[-1].text == "after"
    finally:
        store.dispose()
