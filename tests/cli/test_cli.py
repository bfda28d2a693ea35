"""The `warroom` command line: output for scripts, one-line errors, and `log -` streaming."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import python_c

from warroom import __version__, cli
from warroom.cli import main
from warroom.playbook import default_playbook
from warroom.store.store import Store

ROOT = Path(__file__).resolve().parents[2]
ID = re.compile(r"INC-\d{4}-\d{2}-\d{2}-1")


@pytest.fixture(autouse=True)
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "w.db"
    monkeypatch.setenv("WARROOM_DB", str(db))
    monkeypatch.setenv("WARROOM_USER", "alice")
    monkeypatch.delenv("WARROOM_PLAYBOOK", raising=False)
    return db


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_error(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("warroom: error: ")
    return lines[0]


def declare(capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    code, out, err = run(capsys, "declare", "--sev", "2", "--title", "Checkout failing", *extra)
    assert (code, err) == (0, "")
    return out.strip()


def show_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = run(capsys, "show", "--json", *argv)
    assert (code, err) == (0, "")
    data: dict[str, Any] = json.loads(out)
    return data


def notes(data: dict[str, Any]) -> list[str]:
    return [e["text"] for e in data["timeline"] if e["kind"] == "note"]


# -- declare -----------------------------------------------------------------------------


def test_declare_prints_only_the_new_id(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "declare", "--sev", "SEV-1", "--title", "Checkout down")
    assert code == 0 and err == ""
    assert ID.fullmatch(out.rstrip("\n"))
    assert out.count("\n") == 1


@pytest.mark.parametrize("sev", ["1", "2", "SEV-3", "sev2", "Sev 1"])
def test_declare_accepts_severity_spellings(capsys: pytest.CaptureFixture[str], sev: str) -> None:
    code, out, _ = run(capsys, "declare", "--sev", sev, "--title", "t")
    assert code == 0
    assert show_json(capsys, out.strip())["severity"] == int(sev[-1])


def test_declare_with_impact_and_detection_time(capsys: pytest.CaptureFixture[str]) -> None:
    incident = declare(
        capsys, "--impact", "EU users", "--features", "checkout", "--detected", "-10m"
    )
    data = show_json(capsys, incident)
    assert data["impact"] == {
        "users": "EU users",
        "features": "checkout",
        "revenue": "",
        "start": None,
        "end": None,
    }
    detected = datetime.fromisoformat(data["detected_at"])
    declared = datetime.fromisoformat(data["declared_at"])
    assert timedelta(minutes=9) < declared - detected < timedelta(minutes=11)


def test_declare_can_name_the_commander(capsys: pytest.CaptureFixture[str]) -> None:
    incident = declare(capsys, "--ic", "@carol")
    texts = [entry["text"] for entry in show_json(capsys, incident)["timeline"]]
    assert "IC assigned to carol" in texts
    assert texts[-1] == "Done: Assign Incident Commander (SEV-2 actions)"
    code, _, err = run(capsys, "declare", "--sev", "2", "--title", "t", "--ic", "@")
    assert code == 1 and "commander needs a name" in one_error(err)


def test_bad_severity_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "declare", "--sev", "critical", "--title", "t")
    assert code == 2 and out == ""
    assert "--sev" in err and "critical" in err
    assert "Traceback" not in err


def test_unknown_severity_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "declare", "--sev", "7", "--title", "t")
    assert code == 1
    assert one_error(err) == "warroom: error: no severity 7 (known: 1, 2, 3)"


# -- log ---------------------------------------------------------------------------------


def test_log_is_quiet_and_lands_in_the_timeline(capsys: pytest.CaptureFixture[str]) -> None:
    incident = declare(capsys)
    assert run(capsys, "log", "Rolled", "back", "deploy", "4512") == (0, "", "")
    entry = show_json(capsys)["timeline"][-1]
    assert entry["text"] == "Rolled back deploy 4512"
    assert entry["kind"] == "note" and entry["author"] == "alice" and entry["pinned"] is False
    at = datetime.fromisoformat(entry["at"])
    assert at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - at) < timedelta(minutes=1)
    assert show_json(capsys, incident)["id"] == incident


def test_log_with_kind_pin_author_and_time(capsys: pytest.CaptureFixture[str]) -> None:
    incident = declare(capsys)
    code, _, err = run(
        capsys,
        "log",
        "--kind",
        "finding",
        "--pin",
        "--at",
        "2001-02-03 04:05",
        "DB pool",
        "--as",
        "bob",
    )
    assert (code, err) == (0, "")
    assert run(capsys, "log", "--incident", incident, "--at", "-15m", "paged DBA")[0] == 0
    timeline = show_json(capsys)["timeline"]
    first = timeline[0]
    assert first["at"] in ("2001-02-03T04:05:00Z", "2001-02-03T04:05:00+00:00")
    assert (first["text"], first["kind"], first["pinned"], first["author"]) == (
        "DB pool",
        "finding",
        True,
        "bob",
    )
    paged = next(e for e in timeline if e["text"] == "paged DBA")
    ago = datetime.now(UTC) - datetime.fromisoformat(paged["at"])
    assert timedelta(minutes=14) < ago < timedelta(minutes=16)


def test_log_at_a_bad_or_future_time(capsys: pytest.CaptureFixture[str]) -> None:
    declare(capsys)
    code, _, err = run(capsys, "log", "--at", "25:99", "x")
    assert code == 1 and "not a time" in one_error(err)
    code, _, err = run(capsys, "log", "--at", "2999-01-01T00:00Z", "x")
    assert code == 1 and "future" in one_error(err)


def test_log_without_an_open_incident(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "log", "hello")
    assert code == 1 and out == ""
    assert "no open incident" in one_error(err)


def test_unknown_incident(capsys: pytest.CaptureFixture[str]) -> None:
    declare(capsys)
    code, _, err = run(capsys, "log", "--incident", "INC-1999-01-01-9", "hello")
    assert code == 1
    assert one_error(err) == "warroom: error: no incident INC-1999-01-01-9"
    code, _, err = run(capsys, "show", "INC-1999-01-01-9")
    assert code == 1 and "no incident" in one_error(err)


def test_log_stdin_one_entry_per_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    declare(capsys)
    monkeypatch.setattr(sys, "stdin", io.StringIO("deploy started\n\ndeploy \x1b[31mfailed\n"))
    assert run(capsys, "log", "-") == (0, "", "")
    assert notes(show_json(capsys)) == ["deploy started", "deploy failed"]


def test_log_stdin_refuses_single_entry_options(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    declare(capsys)
    monkeypatch.setattr(sys, "stdin", io.StringIO("x\n"))
    code, _, err = run(capsys, "log", "--pin", "-")
    assert code == 2 and "--pin" in err


# -- list and show -----------------------------------------------------------------------


def test_list_shows_incidents_newest_first(capsys: pytest.CaptureFixture[str]) -> None:
    first = declare(capsys)
    second = run(capsys, "declare", "--sev", "sev3", "--title", "Slow search")[1].strip()
    code, out, _ = run(capsys, "list")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split()[:3] == ["ID", "SEV", "STATUS"]
    assert rows[0].startswith(second) and rows[0].endswith("Slow search")
    assert rows[1].startswith(first) and "SEV-2" in rows[1] and "investigating" in rows[1]
    assert rows[0].index("SEV-3") == rows[1].index("SEV-2")  # aligned columns
    assert run(capsys, "list", "--open")[1] == out
    assert run(capsys, "list", "--all")[1] == out


def test_show_text(capsys: pytest.CaptureFixture[str]) -> None:
    incident = declare(capsys, "--impact", "EU users")
    run(capsys, "log", "--at", "2001-02-03T04:05Z", "two\nlines")
    code, out, _ = run(capsys, "show")
    assert code == 0
    assert out.startswith(f"{incident}  Checkout failing\n")
    assert "Severity:  SEV-2" in out and "Status:    Investigating" in out
    assert "Impact:    users: EU users" in out
    assert "04:05  two  #" in out and "\n       lines\n" in out
    assert "-- 2001-02-03 --" in out  # the timeline spans days


def test_show_json_has_the_whole_incident(capsys: pytest.CaptureFixture[str]) -> None:
    incident = declare(capsys)
    data = show_json(capsys, incident)
    assert data["id"] == incident and data["title"] == "Checkout failing"
    assert data["severity"] == 2 and data["status"] == "investigating"
    assert data["roles"] == []
    assert data["action_items"] == [] and data["severity_history"] == []
    assert data["checklist"] and set(data["checklist"][0]) == {
        "section",
        "position",
        "text",
        "done",
        "done_by",
        "done_at",
    }
    assert data["timeline"][0]["kind"] == "declared"


# -- options and errors ------------------------------------------------------------------


def test_global_options_before_or_after_the_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    other = str(tmp_path / "other.db")
    incident = run(capsys, "--db", other, "declare", "--sev", "1", "--title", "t")[1].strip()
    assert incident in run(capsys, "list", "--db", other)[1]
    assert incident not in run(capsys, "list")[1]


def test_db_that_is_a_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "--db", str(tmp_path), "list")
    assert code == 1 and out == ""
    assert str(tmp_path) in one_error(err)


def test_bad_playbook_names_file_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nversion = [\n', encoding="utf-8")
    code, _, err = run(capsys, "--playbook", str(bad), "list")
    assert code == 1
    assert f"{bad}:" in one_error(err)


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--version") == (0, f"warroom {__version__}\n", "")
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "declare" in out and "--db" in out
    assert run(capsys, "log", "--help")[0] == 0
    assert run(capsys, "frobnicate")[0] == 2


def test_export_writes_the_review(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pytest.importorskip("warroom.comms.review")
    declare(capsys)
    code, out, err = run(capsys, "export")
    assert (code, err) == (0, "")
    assert Path(out.strip()).is_file()
    target = tmp_path / "review.md"
    code, out, _ = run(capsys, "export", "-o", str(target))
    assert code == 0 and Path(out.strip()) == target and target.is_file()


# -- the real process --------------------------------------------------------------------


def _process_env(db: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "WARROOM_DB": str(db)}


def test_log_stdin_pipe_of_20000_lines(env: Path) -> None:
    store = Store(env, default_playbook())
    incident = store.declare("Deploy gone wrong", 2).id
    lines = "".join(f"deploy log line {n}\n" for n in range(20_000))
    started = time.monotonic()
    piped = subprocess.run(
        [sys.executable, "-m", "warroom", "log", "-"],
        input=lines,
        capture_output=True,
        text=True,
        env=_process_env(env),
        timeout=60,
    )
    assert (piped.returncode, piped.stdout, piped.stderr) == (0, "", "")
    assert time.monotonic() - started < 15
    shown = subprocess.run(
        [sys.executable, "-m", "warroom", "show", "--json", incident],
        capture_output=True,
        text=True,
        env=_process_env(env),
        timeout=60,
    )
    texts = notes(json.loads(shown.stdout))
    assert len(texts) == 20_000
    assert texts[0] == "deploy log line 0" and texts[-1] == "deploy log line 19999"


def test_log_stdin_commits_what_it_read_on_sigterm(env: Path) -> None:
    store = Store(env, default_playbook())
    incident = store.declare("Streaming", 2).id
    before = store.entry_count(incident)
    proc = subprocess.Popen(
        [sys.executable, "-m", "warroom", "log", "-"],
        stdin=subprocess.PIPE,
        env=_process_env(env),
    )
    assert proc.stdin is not None
    try:
        proc.stdin.write(b"first\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 10
        while store.entry_count(incident) == before:  # streamed without waiting for EOF
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.stdin.write(b"second\nthird without newline")
        proc.stdin.flush()
        time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 128 + signal.SIGTERM
    finally:
        proc.kill()
    texts = [e.text for e in store.timeline(incident)][-3:]
    assert texts == ["first", "second", "third without newline"]


def test_scripts_do_not_import_textual() -> None:
    code = "import sys, warroom.cli; print('textual' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    ).stdout
    assert out.strip() == "False"


def test_show_and_export_default_to_the_last_incident_once_closed(env, capsys):
    assert main(["declare", "--sev", "2", "--title", "Closed soon"]) == 0
    incident_id = capsys.readouterr().out.strip()
    from warroom.playbook import default_playbook
    from warroom.store.store import Store

    store = Store(env, default_playbook())
    store.close(incident_id)
    store.dispose()
    assert main(["show", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == incident_id
    assert main(["log", "too late"]) == 1
    assert "no open incident" in capsys.readouterr().err


def test_log_refuses_to_guess_between_two_open_incidents(env, capsys):
    assert main(["declare", "--sev", "1", "--title", "One"]) == 0
    assert main(["declare", "--sev", "2", "--title", "Two"]) == 0
    ids = capsys.readouterr().out.split()
    assert main(["log", "which one?"]) == 1
    err = capsys.readouterr().err
    assert "2 open incidents" in err and ids[0] in err and ids[1] in err
    assert main(["log", "--incident", ids[0], "this one"]) == 0


def test_an_observer_needs_a_database_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], env: Path
) -> None:
    code, _, err = run(capsys, "--read-only")
    assert code == 1
    assert err.startswith("warroom: error: database ") and "no such file" in err
    assert not env.exists()
    declare(capsys)
    code, _, err = run(capsys, "--read-only", "log", "from an observer")
    assert (code, err.count("\n")) == (1, 1)
    assert "read-only: cannot log the entry" in err


def test_show_json_carries_the_metrics(capsys: pytest.CaptureFixture[str]) -> None:
    incident_id = declare(capsys, "--detected", "-10m")
    metrics = show_json(capsys, incident_id)["metrics"]
    assert 599 <= metrics["time_to_declare"] <= 601  # detected 10 minutes before declaring
    assert metrics["time_to_acknowledge"] is None  # a script's declaration is not a response
    assert metrics["acknowledge_target"]["seconds"] == 15 * 60  # SEV-2
    assert list(metrics["time_at_severity"]) == ["2"]
    assert metrics["cadence_compliance"] is None


# -- a command line loads only what its command needs -------------------------------------


def _subcommands(parser: argparse.ArgumentParser) -> set[str]:
    found = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return set(found[0].choices)


def test_each_group_of_subcommands_is_what_its_module_adds() -> None:
    everything = _subcommands(cli._parser())
    for names in cli.GROUPS.values():  # a command line loads its own group, and no other
        assert _subcommands(cli._parser(names[0])) == set(names)
    assert everything == {n for names in cli.GROUPS.values() for n in names}
    assert _subcommands(cli._parser("no-such-command")) == everything
    assert _subcommands(cli._parser(None, war_room=True)) == set()  # the war room: none


def test_opening_the_war_room_loads_no_command_module() -> None:
    code = (
        "import sys\n"
        "from warroom import cli\n"
        "words = ['--db', 'x.db']\n"
        "cli._parser(cli.command_of(words), war_room=True).parse_args(words)\n"
        "print(sorted(m for m in sys.modules if m.startswith('warroom.cli.')"
        " and m not in ('warroom.cli.args', 'warroom.cli.common')))\n"
    )
    assert python_c(code).strip() == "[]"


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["log", "x"], "log"),
        (["--db", "log", "status", "ok"], "status"),  # a database named "log"
        (["--as", "bob", "--read-only", "show"], "show"),
        (["--db=x.db", "ack"], "ack"),
        (["--read-only"], None),
        (["--", "log"], None),
        ([], None),
    ],
)
def test_the_command_is_found_before_parsing(argv: list[str], command: str | None) -> None:
    assert cli.command_of(argv) == command


def test_a_hook_log_imports_no_other_command_nor_the_orm(tmp_path: Path) -> None:
    """What `warroom log TEXT` loads: its own command and the store; no ORM, no templates,
    no other command's module (bench/oneshot.py measures what that is worth)."""
    db = tmp_path / "w.db"
    store = Store(db, default_playbook())
    incident = store.declare("Checkout down", 2)
    store.dispose()
    code = (
        "import sys\n"
        "from warroom import cli\n"
        "assert cli.main(sys.argv[1:]) == 0\n"
        "heavy = ('sqlalchemy', 'sqlmodel', 'pydantic', 'jinja2', 'textual', 'httpx', 'logging',"
        " 'uuid', 'warroom.cli.actions', 'warroom.cli.comms', 'warroom.cli.deps')\n"
        "print(sorted(m for m in sys.modules if m in heavy or m.split('.')[0] in heavy))\n"
    )
    python_c(code, "--db", str(db), "log", "deploy started")  # the playbook's cache, warm
    assert python_c(code, "--db", str(db), "log", "deploy done").strip() == "[]"
    assert Store(db, default_playbook()).last_entry(incident.id).text == "deploy done"
