"""A full disk: `log -` keeps every line the database could take and says exactly where to
resume; `export` names the file it could not write. ENOSPC is mocked (no tmpfs needed)."""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path

import pytest

from warroom import cli
from warroom.store.reader import StoreError
from warroom.store.store import Store


@pytest.fixture(autouse=True)
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "w.db"
    monkeypatch.setenv("WARROOM_DB", str(db))
    monkeypatch.setenv("WARROOM_USER", "alice")
    monkeypatch.setenv("WARROOM_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.delenv("WARROOM_PLAYBOOK", raising=False)
    return db


def room_for(monkeypatch: pytest.MonkeyPatch, entries: int) -> None:
    """The disk fills up once `entries` lines are stored: a commit past that fails whole."""
    real = Store.log_many
    stored = [0]

    def log_many(self: Store, incident_id: str, texts, author=None) -> int:  # type: ignore[no-untyped-def]
        texts = list(texts)
        if stored[0] + len(texts) > entries:
            raise StoreError(
                f"database {self.path}: cannot log the entries: database or disk is full"
            )
        stored[0] += len(texts)
        return real(self, incident_id, texts, author)

    monkeypatch.setattr(Store, "log_many", log_many)


def test_log_stdin_on_a_full_disk_says_what_was_stored_and_where_to_resume(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: Path
) -> None:
    assert cli.main(["declare", "--sev", "2", "--title", "Disk"]) == 0
    capsys.readouterr()
    room_for(monkeypatch, 1400)
    lines = "".join(f"line {n}\n" for n in range(1, 2001))
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    assert cli.main(["log", "-"]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert "disk is full" in err
    assert "stored 1,400 of 2,000 lines read; resume from line 1,401" in err
    store = Store(env, cli.resolve_playbook(None))
    try:
        [incident] = store.incidents()
        texts = [e.text for e in store.timeline(incident.id)]
    finally:
        store.dispose()
    assert "line 1400" in texts and "line 1401" not in texts


def test_export_names_the_file_on_a_full_disk(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert cli.main(["declare", "--sev", "2", "--title", "Disk"]) == 0
    capsys.readouterr()

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("warroom.comms.review.os.fsync", full)
    target = tmp_path / "out" / "review.md"
    assert cli.main(["export", "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert err == f"warroom: error: {target}: No space left on device\n"
    assert not target.exists() and not list(target.parent.glob(".*.tmp"))
