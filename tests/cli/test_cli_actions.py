"""The war room's actions as subcommands: `--help`, one-line errors, nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli

from warroom.cli import GROUPS

ACTIONS = list(GROUPS["actions"])


pytestmark = pytest.mark.usefixtures("cli_db")
run = run_cli


def error_line(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, _, err = run(capsys, *argv)
    assert code == 1, (argv, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("warroom: error: "), err
    return lines[0]


def record(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, out, err = run(capsys, "show", "--json")
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_has_help(capsys, action: str) -> None:
    code, out, _ = run(capsys, action, "--help")
    assert code == 0 and "--incident" in out


def test_actions_need_an_incident_and_refuse_to_guess(capsys) -> None:
    assert "no open incident" in error_line(capsys, "ack")
    run(capsys, "declare", "--sev", "2", "--title", "One")
    run(capsys, "declare", "--sev", "3", "--title", "Two")
    assert "2 open incidents" in error_line(capsys, "status", "mitigating")


def test_each_action_with_its_time(capsys) -> None:
    run(capsys, "declare", "--sev", "2", "--title", "Checkout", "--at", "-30m")
    assert run(capsys, "ack", "--at", "-28m")[0] == 0
    assert run(capsys, "sev", "--at", "-20m", "1")[0] == 0
    assert run(capsys, "assign", "--at", "-19m", "ops", "omar")[0] == 0
    assert run(capsys, "update", "--at", "-15m", "stakeholder", "exec summary")[0] == 0
    assert run(capsys, "status", "--at", "-10m", "monitoring")[0] == 0
    assert run(capsys, "item", "--owner", "omar", "P2", "add", "a", "canary")[0] == 0
    assert run(capsys, "detected", "-40m")[0] == 0  # a relative time, not an option
    data = record(capsys)
    assert data["severity"] == 1 and data["status"] == "monitoring"
    declared = data["declared_at"]
    assert data["detected_at"] < declared < data["acknowledged_at"] < data["mitigated_at"]


def test_bad_input_is_one_line_and_changes_nothing(capsys, tmp_path: Path) -> None:
    run(capsys, "declare", "--sev", "2", "--title", "Checkout")
    assert "in the future" in error_line(capsys, "ack", "--at", "2999-01-01T00:00")
    assert "before the incident was detected" in error_line(
        capsys, "status", "--at", "-3h", "identified"
    )
    assert "9" in error_line(capsys, "sev", "9")  # no such severity
    answers = tmp_path / "a.toml"
    answers.write_text('root_cause = "x"\nrootcause = "typo"\n', encoding="utf-8")
    assert "unknown answer 'rootcause'" in error_line(capsys, "close", "--answers", str(answers))
    answers.write_text('action_items = ["P1 alert on pool", 3]\n', encoding="utf-8")
    assert "action_items[2]" in error_line(capsys, "close", "--answers", str(answers))
    data = record(capsys)
    assert data["status"] == "investigating" and data["acknowledged_at"] is None
    code, _, err = run(capsys, "update", "bogus")
    assert code == 2 and "invalid choice" in err


def test_close_with_answers_writes_the_final_review_and_reopen(capsys, tmp_path: Path) -> None:
    run(capsys, "declare", "--sev", "3", "--title", "Slow search")
    answers = tmp_path / "a.json"
    answers.write_text(
        json.dumps(
            {
                "root_cause": "an index dropped",
                "went_well": ["fast rollback", "clear comms"],
                "action_items": [{"priority": "P2", "owner": "@li", "text": "index check"}],
            }
        ),
        encoding="utf-8",
    )
    code, out, err = run(capsys, "close", "--answers", str(answers))
    assert code == 0, err
    review = Path(out.strip()).read_text(encoding="utf-8")
    assert "DRAFT" not in review and "an index dropped" in review and "index check" in review
    assert "- fast rollback" in review
    assert record(capsys)["status"] == "closed"
    assert run(capsys, "reopen")[0] == 0
    assert record(capsys)["status"] == "investigating"
