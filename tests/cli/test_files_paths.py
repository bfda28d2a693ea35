"""Incident data is private on disk; any database path works; reading needs no write access;
a user's own files are never deleted."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from warroom.comms.review import export_review
from warroom.domain.model import EntryKind
from warroom.playbook import default_playbook
from warroom.store.store import Store

ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_new_directories_are_0700_and_files_0600(tmp_path: Path, umask: None) -> None:
    db = tmp_path / "data" / "warroom" / "w.db"
    store = Store(db, default_playbook())
    incident = store.declare("Private", 1, impact_users="all EU customers")
    store.log(incident.id, "internal finding", EntryKind.FINDING)
    review = export_review(store, incident.id)
    files = [db, db.with_name("w.db-wal"), db.with_name("w.db-shm"), review]
    try:
        assert mode(tmp_path / "data") == 0o700
        assert mode(db.parent) == 0o700
        assert mode(review.parent) == 0o700
        for file in files:
            assert file.exists(), file
            assert mode(file) == 0o600, (file, oct(mode(file)))
    finally:
        store.dispose()


def test_a_group_shared_directory_and_the_umask_are_respected(tmp_path: Path) -> None:
    shared = tmp_path / "team"
    shared.mkdir()
    shared.chmod(0o2770)
    old = os.umask(0o002)
    try:
        store = Store(shared / "w.db", default_playbook())
        store.declare("Shared", 2)
        store.dispose()
        assert mode(shared / "w.db") == 0o660
        os.umask(0o077)
        store = Store(shared / "strict.db", default_playbook())
        store.dispose()
        assert mode(shared / "strict.db") == 0o600
    finally:
        os.umask(old)
    existing = tmp_path / "mine.db"
    existing.touch(mode=0o640)
    existing.chmod(0o640)
    Store(existing, default_playbook()).dispose()
    assert mode(existing) == 0o640  # the user's choice stands


@pytest.mark.parametrize("name", ["w?x.db", "w%41.db", "a#b.db", "with space.db", "ünï cødé.db"])
def test_any_database_name_reads_and_writes_the_same_file(tmp_path: Path, name: str) -> None:
    db = tmp_path / name
    store = Store(db, default_playbook())
    incident = store.declare("Path", 2)
    store.log(incident.id, "written through the ORM", EntryKind.NOTE)
    assert [e.text for e in store.timeline(incident.id)][-1] == "written through the ORM"
    store.dispose()
    names = {p.name for p in tmp_path.iterdir()}
    assert names <= {name, f"{name}-wal", f"{name}-shm"}, names
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM timeline_entry").fetchone()[0] >= 1
    conn.close()


def test_export_keeps_a_draft_warroom_did_not_write(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.db", default_playbook())
    incident = store.declare("Draft", 3)
    out = tmp_path / "out"
    ours = export_review(store, incident.id, output=out / f"{incident.id}-review-DRAFT.md")
    assert ours.exists()
    store.close(incident.id)
    export_review(store, incident.id, output=out / f"{incident.id}-review.md")
    assert not ours.exists()  # warroom's own draft is replaced
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    mine = theirs / f"{incident.id}-review-DRAFT.md"
    mine.write_text("my own notes, not warroom's\n")
    export_review(store, incident.id, output=theirs / f"{incident.id}-review.md")
    assert mine.read_text() == "my own notes, not warroom's\n"
    store.dispose()


def _pythonpath() -> str:
    return os.pathsep.join([str(ROOT), sysconfig.get_paths()["purelib"]])


def _as_nobody() -> list[str]:
    """`python -m warroom` as the user nobody (this interpreter, or the system's of the same
    version with this environment's packages, when this one lives where nobody cannot go)."""
    if os.geteuid() != 0 or not shutil.which("runuser"):
        pytest.skip("needs root and runuser to run as another user")
    problems = []
    version = f"python3.{sys.version_info[1]}"
    candidates = [sys.executable, f"/usr/bin/{version}", f"/usr/local/bin/{version}"]
    for python in dict.fromkeys(candidates):
        if not Path(python).exists():
            continue
        probe = subprocess.run(
            ["runuser", "-u", "nobody", "--", python, "-c", "import warroom.store.store"],
            capture_output=True,
            cwd="/",
            check=False,
            env={**os.environ, "PYTHONPATH": _pythonpath()},
        )
        if probe.returncode == 0:
            return ["runuser", "-u", "nobody", "--", python, "-m", "warroom"]
        problems.append(probe.stderr.decode()[-200:])
    pytest.skip(f"nobody cannot run warroom here: {problems}")


@pytest.mark.parametrize("argv", [["list"], ["show"], ["--read-only", "list"], ["outbox"]])
def test_reading_a_database_owned_by_someone_else(argv: list[str]) -> None:
    command = _as_nobody()
    folder = Path(tempfile.mkdtemp(prefix="warroom-ro-", dir="/tmp"))
    try:
        db = folder / "w.db"
        store = Store(db, default_playbook())
        store.declare("Someone else's", 2)
        store.dispose()
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        for extra in ("w.db-wal", "w.db-shm"):
            (folder / extra).unlink(missing_ok=True)
        db.chmod(0o644)
        folder.chmod(0o755)  # readable by all, writable by root only
        env = {
            **os.environ,
            "PYTHONPATH": _pythonpath(),
            "WARROOM_CONFIG": "/nonexistent/config.toml",
            "HOME": str(folder),
            "XDG_CONFIG_HOME": str(folder / "config"),
            "XDG_DATA_HOME": str(folder / "data"),
            "XDG_CACHE_HOME": str(folder / "cache"),
        }
        env.pop("WARROOM_PLAYBOOK", None)
        if argv[0] == "--read-only":
            full = [*command, "--db", str(db), *argv]
        else:
            full = [*command, argv[0], "--db", str(db), *argv[1:]]
        done = subprocess.run(full, capture_output=True, text=True, cwd="/", env=env, check=False)
        assert done.returncode == 0, done.stderr
        if argv[-1] != "outbox":
            assert "Someone else's" in done.stdout
    finally:
        shutil.rmtree(folder, ignore_errors=True)
