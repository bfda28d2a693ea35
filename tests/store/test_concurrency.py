"""Many processes writing one incident at once: nothing lost, nothing refused, no "locked".

Real processes, not threads: SQLite's locking is per process and per connection, and what
DESIGN.md promises is that several terminals and scripts can write one database together.
Each test runs on SQLite and on PostgreSQL (conftest.any_db), but the one about SQLite's
lock itself.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from warroom.playbook import default_playbook
from warroom.store.store import Store
from warroom.store.target import DatabaseTarget

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 4
CLI_LINES = 2_500
STORE_CALLS = 250


Db = Path | DatabaseTarget


def _arg(db: Db) -> str:
    """The database as a command line or a child process names it (a URL, or a path)."""
    return db.url if isinstance(db, DatabaseTarget) and db.url else str(db)


def _declare(db: Db) -> str:
    store = Store(db, default_playbook(), author="ic")
    try:
        return store.declare("Everyone writes at once", 1).id
    finally:
        store.dispose()


def _count(db: Db, incident_id: str) -> tuple[int, list[str]]:
    store = Store(db, default_playbook())
    try:
        return store.entry_count(incident_id), [e.text for e in store.timeline(incident_id)]
    finally:
        store.dispose()


def _lines(process: int) -> list[bytes]:
    return [f"process {process} line {n:04d}\n".encode() for n in range(CLI_LINES)]


def _wait_for_first_lines(db: Db, incident_id: str, timeout: float = 60.0) -> None:
    """Until every process has committed its first line: all four are up and writing."""
    wanted = {f"process {p} line 0000" for p in range(PROCESSES)}
    deadline = time.monotonic() + timeout
    while not wanted <= set(_count(db, incident_id)[1]):
        assert time.monotonic() < deadline, "the CLI processes did not start"
        time.sleep(0.05)


def _stream(proc: subprocess.Popen[bytes], lines: list[bytes], start: threading.Barrier) -> None:
    """Feed `lines` in chunks over about half a second, so that the writers overlap."""
    assert proc.stdin is not None
    start.wait()
    for at in range(0, len(lines), 250):
        proc.stdin.write(b"".join(lines[at : at + 250]))
        proc.stdin.flush()
        time.sleep(0.05)
    proc.stdin.close()


def test_four_cli_processes_pipe_2500_lines_each(tmp_path: Path, any_db: Db) -> None:
    db = any_db
    incident_id = _declare(db)
    before, _ = _count(db, incident_id)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WARROOM_USER": "script"}
    env.pop("WARROOM_DB", None)
    command = [sys.executable, "-m", "warroom", "--db", _arg(db), "log", "-"]
    outputs = [(tmp_path / f"{p}.out", tmp_path / f"{p}.err") for p in range(PROCESSES)]
    procs = []
    for out, err in outputs:
        with out.open("wb") as stdout, err.open("wb") as stderr:
            procs.append(
                subprocess.Popen(
                    command, stdin=subprocess.PIPE, stdout=stdout, stderr=stderr, env=env
                )
            )
    try:
        lines = [_lines(p) for p in range(PROCESSES)]
        for proc, mine in zip(procs, lines, strict=True):
            assert proc.stdin is not None
            proc.stdin.write(mine[0])
            proc.stdin.flush()
        _wait_for_first_lines(db, incident_id)
        start = threading.Barrier(PROCESSES)
        with ThreadPoolExecutor(PROCESSES) as pool:
            fed = [
                pool.submit(_stream, proc, mine[1:], start)
                for proc, mine in zip(procs, lines, strict=True)
            ]
            for job in fed:
                job.result(timeout=120)
        codes = [proc.wait(timeout=120) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for code, (out, err) in zip(codes, outputs, strict=True):
        said = err.read_text(errors="replace")
        assert (code, out.read_bytes(), said) == (0, b"", ""), said

    after, texts = _count(db, incident_id)
    assert after - before == PROCESSES * CLI_LINES == 10_000
    # Every line once, and each process's lines in the order it read them.
    for p in range(PROCESSES):
        mine = [t for t in texts if t.startswith(f"process {p} ")]
        assert mine == [f"process {p} line {n:04d}" for n in range(CLI_LINES)]
    # (How much the writers interleave depends on the machine's load: not asserted here.)
    # However they interleaved, the timeline is one hash chain (each batch's previous link
    # read under the write lock).
    store = Store(db, default_playbook())
    try:
        assert store.verify_chain(incident_id).ok
    finally:
        store.dispose()


def _log_one_by_one(db: str, incident_id: str, worker: int, start: float) -> list[str]:
    """Child process: `STORE_CALLS` separate `Store.log` transactions; the errors it saw."""
    store = Store(DatabaseTarget.parse(db), default_playbook(), author=f"worker-{worker}")
    errors: list[str] = []
    try:
        time.sleep(max(0.0, start - time.time()))  # everyone begins at the same moment
        for n in range(STORE_CALLS):
            try:
                store.log(incident_id, f"worker {worker} entry {n:03d}")
            except Exception as exc:  # what is being tested: nothing may surface here
                errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        store.dispose()
    return errors


def test_four_processes_log_250_entries_each_one_transaction_at_a_time(any_db: Db) -> None:
    db = any_db
    incident_id = _declare(db)
    before, _ = _count(db, incident_id)
    context = multiprocessing.get_context("spawn")
    start = time.time() + 3.0  # time enough for the children to import and open the store
    with context.Pool(PROCESSES) as pool:
        pending = [
            pool.apply_async(_log_one_by_one, (_arg(db), incident_id, w, start))
            for w in range(PROCESSES)
        ]
        errors = [e for job in pending for e in job.get(timeout=120)]
    assert errors == []
    after, texts = _count(db, incident_id)
    assert after - before == PROCESSES * STORE_CALLS == 1_000
    assert not any("locked" in t for t in texts)
    for w in range(PROCESSES):
        mine = [t for t in texts if t.startswith(f"worker {w} ")]
        assert mine == [f"worker {w} entry {n:03d}" for n in range(STORE_CALLS)]
    # (How much the writers interleave depends on the machine's load: not asserted here.)
    # One hash chain, whoever wrote each link.
    store = Store(db, default_playbook())
    try:
        assert store.verify_chain(incident_id).ok
    finally:
        store.dispose()


def _log_when_ready(db: str, incident_id: str, ready: Any, results: Any) -> None:
    """Child process: open the store, say so, then log (blocked while the parent holds the lock)."""
    store = Store(Path(db), default_playbook(), author="late")
    try:
        ready.set()
        store.log(incident_id, "written after waiting")
        results.put("")
    except Exception as exc:
        results.put(f"{type(exc).__name__}: {exc}")
    finally:
        store.dispose()


def _declare_one(db: str, n: int, start: float) -> str:
    """Child process: declare one incident at `start`; its ID."""
    store = Store(DatabaseTarget.parse(db), default_playbook(), author=f"ic-{n}")
    try:
        time.sleep(max(0.0, start - time.time()))
        return store.declare(f"Declared by process {n}", 2).id
    finally:
        store.dispose()


def test_processes_declaring_at_once_get_distinct_ids(any_db: Db) -> None:
    """The next ID is read and written in one transaction that writers take in turns."""
    context = multiprocessing.get_context("spawn")
    start = time.time() + 3.0
    with context.Pool(PROCESSES) as pool:
        jobs = [
            pool.apply_async(_declare_one, (_arg(any_db), n, start)) for n in range(PROCESSES * 2)
        ]
        ids = [job.get(timeout=120) for job in jobs]
    assert len(set(ids)) == len(ids) == PROCESSES * 2
    store = Store(any_db, default_playbook())
    try:
        assert sorted(i.id for i in store.incidents()) == sorted(ids)
    finally:
        store.dispose()


@pytest.mark.sqlite_only("SQLite's write lock, held by a raw sqlite3 connection")
def test_the_store_waits_for_a_writer_instead_of_failing(tmp_path: Path) -> None:
    """What this module guards against does happen: a writer that does not wait gets
    "database is locked" at once; the Store's writer waits its turn instead."""
    db = tmp_path / "warroom.db"
    incident_id = _declare(db)
    before, _ = _count(db, incident_id)
    context = multiprocessing.get_context("spawn")
    ready, results = context.Event(), context.Queue()
    holder = sqlite3.connect(db, isolation_level=None)
    impatient = sqlite3.connect(db, timeout=0, isolation_level=None)
    child = context.Process(target=_log_when_ready, args=(str(db), incident_id, ready, results))
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            impatient.execute("BEGIN IMMEDIATE")
        child.start()
        assert ready.wait(60)
        time.sleep(0.5)  # the child is inside its write now, waiting for the lock
        assert child.is_alive() and results.empty()
        holder.execute("COMMIT")
        assert results.get(timeout=60) == ""
    finally:
        holder.close()
        impatient.close()
        child.join(60)
    count, texts = _count(db, incident_id)
    assert (count - before, texts[-1]) == (1, "written after waiting")
