"""Where the database is (warroom/store/target.py, config.resolve_db_target): no server needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from warroom.config import resolve_db_target
from warroom.store.target import DatabaseTarget

SECRET = "pa:ss@w%2Frd"  # a password with URL-special characters, percent-encoded


@pytest.mark.parametrize(
    ("text", "display"),
    [
        ("postgresql://warroom@db.internal/warroom", "postgresql://warroom@db.internal/warroom"),
        (
            f"postgresql://warroom:{SECRET}@db.internal:5433/warroom?sslmode=require",
            "postgresql://warroom:***@db.internal:5433/warroom?sslmode=require",
        ),
        (f"postgres://u:{SECRET}@h/d", "postgres://u:***@h/d"),
        ("postgresql://u:pa:ss/x#y@w/rd@h:5432/d", "postgresql://u:***@h:5432/d"),
        ("postgresql:///warroom", "postgresql:///warroom"),
        ("POSTGRESQL://h/d", "POSTGRESQL://h/d"),
        (
            f"postgresql://h/d?user=u&password={SECRET}&sslmode=verify-full",
            "postgresql://h/d?user=u&password=***&sslmode=verify-full",
        ),
    ],
)
def test_a_postgres_url_is_shown_without_its_password(text: str, display: str) -> None:
    target = DatabaseTarget.parse(text)
    assert target.is_postgres and target.sqlite_path is None and target.url == text
    assert target.display == display == str(target)
    for shown in (target.display, str(target), repr(target), f"{[target]}"):
        assert "pa:ss" not in shown and "w%2Frd" not in shown and "w/rd" not in shown
    if "***" in display:
        assert "pa:ss" not in target.scrub(f"failed for {text}")


@pytest.mark.parametrize(
    "text", ["warroom.db", "/srv/x.db", "postgresql.db", "postgresql:foo", "./postgres://x"]
)
def test_anything_else_is_an_sqlite_path(text: str) -> None:
    target = DatabaseTarget.parse(text)
    assert not target.is_postgres and target.sqlite_path == Path(text)
    assert target.display == str(Path(text)) and target.host == ""


def test_the_host_is_named() -> None:
    assert DatabaseTarget.parse(f"postgresql://u:{SECRET}@db.internal/w").host == "db.internal"
    assert DatabaseTarget.parse("postgresql://u:a/b#c@db.internal:5433/w").host == "db.internal"
    assert DatabaseTarget.parse("postgresql:///w").host == ""


def test_precedence_db_then_env_then_config_then_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "conf" / "config.toml"
    config.parent.mkdir()
    monkeypatch.setenv("WARROOM_CONFIG", str(config))
    monkeypatch.delenv("WARROOM_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    default = resolve_db_target(None)
    assert default.sqlite_path is not None and default.sqlite_path.name == "warroom.db"

    config.write_text('database = "team.db"\n')  # relative to the config file
    assert resolve_db_target(None).sqlite_path == config.parent / "team.db"
    config.write_text('database = "postgresql://warroom@db.internal/warroom"\n')
    assert resolve_db_target(None).url == "postgresql://warroom@db.internal/warroom"

    monkeypatch.setenv("WARROOM_DB", "postgres://env@h/d")
    assert resolve_db_target(None).url == "postgres://env@h/d"
    assert resolve_db_target("~/cli.db").sqlite_path == Path("~/cli.db").expanduser()
    assert resolve_db_target("postgresql://cli@h/d").url == "postgresql://cli@h/d"

    config.write_text("database = 3\n")
    monkeypatch.delenv("WARROOM_DB")
    with pytest.raises(ValueError, match=r"config\.toml: database: must be"):
        resolve_db_target(None)


def test_a_command_on_an_unreachable_postgres_says_so_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import run_cli

    monkeypatch.setenv("WARROOM_DB", f"postgresql://warroom:{SECRET}@db.internal/warroom")
    code, out, err = run_cli(capsys, "log", "hello")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert err.startswith("warroom: error: database postgresql://warroom:***@db.internal/warroom")
    code, out, err = run_cli(capsys, "--help")
    assert "postgresql://" in out and "pa:ss" not in out + err
