"""`warroom playbook init` and `warroom playbook check`: no database, clear problems."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from warroom import cli
from warroom.cli import playbook as cli_playbook
from warroom.cli.playbook import (
    add_parsers,
    default_playbook_path,
    default_playbook_text,
    init_playbook,
)
from warroom.playbook import default_playbook, load_playbook

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TOML = (ROOT / "warroom" / "playbook" / "default.toml").read_text(encoding="utf-8")
OK_SUMMARY = (
    "3 severities, 5 scenarios, 5 mitigations, 6 root causes, 4 roles, 3 checklists, "
    "4 priorities, 6 quick links, 3 status pages"
)


def main(argv: list[str]) -> int:
    """`warroom playbook ARGV...` (no database is opened for it)."""
    return cli.main(["playbook", *argv])


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith(needle))


# -- init --------------------------------------------------------------------------------


def test_init_writes_the_packaged_playbook_verbatim(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "conf" / "my playbook.toml"
    assert main(["init", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == f"{path}\n"
    assert f"--playbook {path}" in err
    assert path.read_bytes() == default_playbook_text()
    assert path.read_text(encoding="utf-8") == DEFAULT_TOML  # comments and all
    assert load_playbook(path) == default_playbook()


def test_init_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "playbook.toml"
    path.write_text("# mine, edited\n", encoding="utf-8")
    assert main(["init", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"warroom: error: {path} already exists (use --force to overwrite it)\n"
    assert path.read_text(encoding="utf-8") == "# mine, edited\n"


def test_init_force_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "playbook.toml"
    path.write_text("# mine, edited\n", encoding="utf-8")
    assert main(["init", "--force", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}\n"
    assert path.read_bytes() == default_playbook_text()
    assert [p.name for p in tmp_path.iterdir()] == ["playbook.toml"]  # no temporary left


def test_init_defaults_to_the_user_config_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "config" / "warroom" / "playbook.toml"
    monkeypatch.setattr(cli_playbook, "default_playbook_path", lambda: target)
    assert main(["init"]) == 0
    assert capsys.readouterr().out == f"{target}\n"
    assert target.read_bytes() == default_playbook_text()


def test_default_path_is_platformdirs_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", "/somewhere/config")
    if sys.platform.startswith("linux"):
        assert default_playbook_path() == Path("/somewhere/config/warroom/playbook.toml")
    assert default_playbook_path().name == "playbook.toml"
    assert default_playbook_path().parent.name == "warroom"


def test_init_into_a_directory_or_an_unwritable_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path)]) == 1
    assert capsys.readouterr().err == f"warroom: error: cannot write {tmp_path}: is a directory\n"
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["init", str(blocker / "playbook.toml")]) == 1
    err = capsys.readouterr().err
    assert err == f"warroom: error: cannot write {blocker}: Not a directory\n"
    assert blocker.read_text() == "x"


def test_init_playbook_is_exclusive_without_force(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    init_playbook(path)
    with pytest.raises(FileExistsError):
        init_playbook(path)
    path.write_text("changed")
    assert init_playbook(path, force=True) == path
    assert path.read_bytes() == default_playbook_text()


# -- check -------------------------------------------------------------------------------


def test_check_a_good_playbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.toml"
    path.write_text(DEFAULT_TOML, encoding="utf-8")
    assert main(["check", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == f"{path}: ok ({OK_SUMMARY})\n"
    assert err == ""


def test_check_counts_in_the_singular(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cut = DEFAULT_TOML.index("# Triage, Step 3: common root causes")
    older = DEFAULT_TOML[: DEFAULT_TOML.rindex("\n# ---", 0, cut)] + "\n"
    older += '[[scenarios]]\nkey = "x"\nname = "X"\nsymptoms = []\ndiagnosis = ["d"]\n'
    older += "resolution = []\n"
    path = tmp_path / "old.toml"
    path.write_text(older, encoding="utf-8")
    assert main(["check", str(path)]) == 0
    assert capsys.readouterr().out == (
        f"{path}: ok (3 severities, 1 scenario, 0 mitigations, 0 root causes, 4 roles, "
        "3 checklists, 4 priorities, 0 quick links, 0 status pages)\n"
    )


def test_check_a_bad_playbook_names_file_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Three mistakes: an empty mitigation step, a bad status page URL, a duplicate scenario.
    text = DEFAULT_TOML.replace(
        '    "Make minimal fix (ONE THING ONLY)",',
        '    "Make minimal fix (ONE THING ONLY)",\n    "",',
    )
    text = text.replace(
        'url = "https://status.supabase.com/api/v2/summary.json"',
        'url = "status.supabase.com/api/v2/summary.json"',
    )
    text = text.replace(
        'key = "third_party"\nname = "Third-party', 'key = "auth_broken"\nname = "T'
    )
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")

    assert main(["check", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    step = _line_of(text, '    "",')
    url = _line_of(text, 'url = "status.supabase.com')
    duplicate = text.splitlines().index('key = "auth_broken"', _line_of(text, "# Scenario 5.")) + 1
    assert err.splitlines() == [
        f"{path}:{step}: mitigations[3].steps[2]: String should have at least 1 character",
        f"{path}:{duplicate}: scenarios[4].key: duplicate 'auth_broken'"
        " (already used by scenarios[1])",
        f"{path}:{url}: status_pages[1].url: String should match pattern '^https?://[^\\s/]+\\S*$'",
    ]


def test_check_a_file_that_is_not_toml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('name = "x"\n[[severities]\n', encoding="utf-8")
    assert main(["check", str(path)]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"{path}:2: ")


def test_check_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nope.toml"
    assert main(["check", str(path)]) == 1
    assert capsys.readouterr().err == f"{path}: cannot read: No such file or directory\n"


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert main(["check"]) == 2
    assert main(["lint", "x"]) == 2
    assert "usage: warroom playbook" in capsys.readouterr().err


# -- as a real process, and wired into `warroom` ----------------------------------------------


def test_check_as_a_process(tmp_path: Path) -> None:
    text = DEFAULT_TOML.replace("acknowledge_minutes = 15", "acknowledge_minutes = 0")
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "warroom", "playbook", "check", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    line = _line_of(text, "acknowledge_minutes = 0")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        f"{path}:{line}: severities[1].acknowledge_minutes: Input should be greater than 0\n"
    )


def test_every_action_sets_what_main_dispatches_on() -> None:
    parser = argparse.ArgumentParser()
    add_parsers(parser.add_subparsers(dest="command"), [])
    for argv in (["playbook", "init"], ["playbook", "check", "x.toml"]):
        args = parser.parse_args(argv)
        assert args.needs_store is False
        assert args.run is args.handler
        assert callable(args.usage_error)


def test_wired_into_warroom_without_a_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "never" / "warroom.db"
    monkeypatch.setenv("WARROOM_DB", str(db))
    path = tmp_path / "p.toml"
    assert cli.main(["playbook", "init", str(path)]) == 0
    assert cli.main(["playbook", "check", str(path), "--db", str(db)]) == 0
    assert capsys.readouterr().out == f"{path}\n{path}: ok ({OK_SUMMARY})\n"
    path.write_text(DEFAULT_TOML.replace("level = 3", 'level = "three"'), encoding="utf-8")
    assert cli.main(["--db", str(db), "playbook", "check", str(path)]) == 1
    (problem,) = capsys.readouterr().err.splitlines()
    assert problem.startswith(f"{path}:")
    assert ": severities[2].level: Input should be a valid integer" in problem
    assert not db.parent.exists()
