"""Small things the command line must get right: a line of dashes is text, bytes that are not
UTF-8 are named and stored with U+FFFD, a broken config.toml does not stop logging."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from warroom import cli
from warroom.playbook import default_playbook
from warroom.store.store import Store


@pytest.fixture(autouse=True)
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "w.db"
    monkeypatch.setenv("WARROOM_DB", str(db))
    monkeypatch.setenv("WARROOM_USER", "alice")
    monkeypatch.setenv("WARROOM_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.delenv("WARROOM_PLAYBOOK", raising=False)
    return db


def texts(db: Path) -> list[str]:
    store = Store(db, default_playbook())
    try:
        [incident] = store.incidents()
        return [e.text for e in store.timeline(incident.id)]
    finally:
        store.dispose()


@pytest.fixture
def declared(capsys: pytest.CaptureFixture[str]) -> str:
    assert cli.main(["declare", "--sev", "2", "--title", "Small"]) == 0
    return capsys.readouterr().out.strip()


def test_a_line_of_dashes_is_text(env: Path, declared: str, capsys) -> None:
    assert cli.main(["log", "---"]) == 0
    assert cli.main(["log", "-----", "--pin"]) == 0
    assert capsys.readouterr().err == ""
    assert texts(env)[-2:] == ["---", "-----"]


def test_invalid_utf8_in_an_argument_is_named_and_replaced(
    env: Path, declared: str, capsys
) -> None:
    bad = b"caf\xe9 \xff down".decode("utf-8", "surrogateescape")  # what Python makes of argv
    assert cli.main(["log", bad]) == 0
    err = capsys.readouterr().err
    assert err.startswith("warroom: warning: argument 2 is not valid UTF-8")
    assert len(err.splitlines()) == 1
    assert texts(env)[-1] == "caf\ufffd \ufffd down"


def test_invalid_utf8_on_stdin_names_the_line(
    env: Path, declared: str, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = b"first\nsecond \xff\xfe here\nthird\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8"))
    assert cli.main(["log", "-"]) == 0
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "warroom: warning: line 2 is not valid UTF-8; stored with \ufffd for the bad bytes"
    ]
    assert texts(env)[-3:] == ["first", "second \ufffd\ufffd here", "third"]


def test_a_broken_config_does_not_stop_logging(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "config.toml").write_text('company = "unclosed\n[[channels]\n')
    assert cli.main(["declare", "--sev", "2", "--title", "Broken config"]) == 0
    assert cli.main(["log", "still logging"]) == 0
    err = capsys.readouterr().err
    assert "config.toml" in err and "warning" in err
    assert len(err.splitlines()) == 1, err  # once per process
    assert texts(env)[-1] == "still logging"


async def test_the_war_room_with_a_broken_config_keeps_working(
    make_app, store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "broken.toml"
    config.write_text('company = "unclosed\n')
    monkeypatch.setenv("WARROOM_CONFIG", str(config))
    incident = store.declare("Broken config in the war room", 2)
    app = make_app(deliver=True)
    async with app.run_test(size=(140, 44), notifications=True) as pilot:
        for key in ("f6", "escape", "f12", "escape"):
            await pilot.press(key)
            await pilot.pause()
        await pilot.press(*"still logging")
        await pilot.press("enter")
        await pilot.pause()
        assert app.is_running
    assert app.return_code in (None, 0)
    assert store.timeline(incident.id)[-1].text == "still logging"
