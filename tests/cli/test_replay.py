"""A published-style incident replayed by a script made only of warroom commands: the record,
`show --json` and the review reproduce its times, order and durations to the minute.

The incident (ours, in the shape of public postmortems): detected 23:41 UTC, declared SEV-2 at
23:48, raised to SEV-1 after midnight, IC handed off, mitigated, impact over before the
resolution, lowered to SEV-2 while monitoring, resolved and closed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli

from warroom.cli import main

DAY1, DAY2 = "2025-03-14", "2025-03-15"

SCRIPT: list[list[str]] = [
    # What led up to it comes first in time, though it is entered after the declaration.
    [
        "declare",
        "--sev",
        "2",
        "--title",
        "Checkout 502s",
        "--detected",
        f"{DAY1}T23:41",
        "--at",
        f"{DAY1}T23:48",
        "--ic",
        "ann",
    ],
    ["log", "--at", f"{DAY1}T23:30", "config push 7731 to the edge proxies"],
    ["ack", "--at", f"{DAY1}T23:50"],
    ["assign", "--at", f"{DAY1}T23:52", "ops", "omar"],
    ["update", "--at", f"{DAY1}T23:58", "internal", "investigating 502s at the edge"],
    ["sev", "--at", f"{DAY2}T00:05", "1"],
    ["status", "--at", f"{DAY2}T00:12", "identified"],
    ["assign", "--at", f"{DAY2}T00:20", "ic", "bea"],  # handoff
    ["update", "--at", f"{DAY2}T00:25", "customer", "Checkout errors; fix in progress"],
    ["status", "--at", f"{DAY2}T00:31", "mitigating"],
    ["log", "--at", f"{DAY2}T00:33", "--kind", "action", "rolled back config 7731"],
    ["status", "--at", f"{DAY2}T00:40", "monitoring"],
    [
        "impact",
        "--users",
        "~20% of checkouts",
        "--start",
        f"{DAY1}T23:38",
        "--end",
        f"{DAY2}T00:38",
    ],
    ["sev", "--at", f"{DAY2}T00:45", "2"],
    ["item", "--at", f"{DAY2}T00:50", "--owner", "omar", "P1", "canary config pushes"],
    ["status", "--at", f"{DAY2}T01:10", "resolved"],
]


@pytest.fixture
def db(cli_db: Path) -> Path:
    return cli_db


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = run_cli(capsys, *argv)
    assert (code, err) == (0, ""), (argv, err)
    return out


def replay(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> tuple[str, dict[str, Any], str]:
    incident_id = run(capsys, *SCRIPT[0]).strip()
    for argv in SCRIPT[1:]:
        run(capsys, *argv)
    answers = tmp_path / "answers.toml"
    answers.write_text(
        'root_cause = "A config push halved the proxies\' upstream pool"\n'
        'action_items = ["P0 @bea alert on edge 5xx rate"]\n',
        encoding="utf-8",
    )
    review = Path(run(capsys, "close", "--at", f"{DAY2}T01:30", "--answers", str(answers)).strip())
    record = json.loads(run(capsys, "show", incident_id, "--json"))
    return incident_id, record, review.read_text(encoding="utf-8")


def test_the_replayed_record_has_the_published_times(capsys, db, tmp_path) -> None:
    incident_id, record, _ = replay(capsys, tmp_path)
    assert incident_id == "INC-2025-03-14-1"  # the declaration's UTC date, not today's
    assert record["detected_at"].startswith(f"{DAY1}T23:41")
    assert record["declared_at"].startswith(f"{DAY1}T23:48")
    assert record["acknowledged_at"].startswith(f"{DAY1}T23:50")
    assert record["mitigated_at"].startswith(f"{DAY2}T00:40")
    assert record["resolved_at"].startswith(f"{DAY2}T01:10")
    assert record["closed_at"].startswith(f"{DAY2}T01:30")
    ics = [
        (r["name"], r["since"][11:16], (r["until"] or "")[11:16])
        for r in record["roles"]
        if r["role"] == "ic"
    ]
    assert ics == [("ann", "23:48", "00:20"), ("bea", "00:20", "")]
    assert [(h["to"], h["at"][11:16]) for h in record["severity_history"]] == [
        (1, "00:05"),
        (2, "00:45"),
    ]
    assert record["impact"]["start"].startswith(f"{DAY1}T23:38")
    dues = {item["priority"]: item["due"][:16] for item in record["action_items"]}
    assert dues == {"P0": "2025-03-17T01:30", "P1": "2025-03-22T00:50"}  # 48 h, a week
    times = [entry["at"] for entry in record["timeline"]]
    assert times == sorted(times)  # in time order, whatever the order of entry
    assert record["timeline"][0]["text"] == "config push 7731 to the edge proxies"


def test_the_replayed_metrics_are_to_the_minute(capsys, db, tmp_path) -> None:
    _, record, _ = replay(capsys, tmp_path)
    m = record["metrics"]
    minutes = {k: v / 60 for k, v in m.items() if isinstance(v, int | float)}
    assert minutes["time_to_detect"] == 3  # impact 23:38, detected 23:41
    assert minutes["time_to_acknowledge"] == 9
    assert minutes["time_to_declare"] == 7
    assert minutes["time_to_identify"] == 31  # 00:12
    assert minutes["time_to_mitigate"] == 59  # monitoring at 00:40
    assert minutes["time_to_resolve"] == 89  # 01:10
    assert minutes["downtime"] == 60  # the impact window, not the duration
    # From the declaration: SEV-2 23:48-00:05, SEV-1 00:05-00:45, SEV-2 00:45-01:10.
    assert {k: v / 60 for k, v in m["time_at_severity"].items()} == {"2": 17 + 25, "1": 40}
    assert m["acknowledge_target"]["met"] is True  # SEV-2 when acknowledged: 15 min
    # SEV-2 at the end: 4 h from detection to resolve; 89 minutes taken.
    assert (m["resolve_target"]["met"], m["resolve_target"]["margin"] / 60) == (True, 151)
    sent = [(u["kind"], u["sent"]) for u in m["updates"] if u["sent"]]
    assert ("customer", f"{DAY2}T00:25:00+00:00") in sent


def test_the_replayed_review_tells_the_same_story(capsys, db, tmp_path) -> None:
    _, _, review = replay(capsys, tmp_path)
    assert "**Incident Commander:** bea (handed off from ann at 2025-03-15 00:20)" in review
    assert "- **Downtime:** 1h 00m" in review
    assert "| Time at each severity (from declaration) | SEV-2 42m, SEV-1 40m |" in review
    assert "A config push halved the proxies' upstream pool" in review
    assert "alert on edge 5xx rate" in review
    assert "DRAFT" not in review


# -- import: the record read back ----------------------------------------------------------


def _review_body(text: str) -> str:
    """The review without the line saying when it was generated."""
    return "\n".join(line for line in text.splitlines() if "enerated" not in line)


def test_import_round_trip_gives_the_same_review(capsys, db, tmp_path, monkeypatch) -> None:
    incident_id, record, review = replay(capsys, tmp_path)
    source = tmp_path / "record.json"
    source.write_text(json.dumps(record), encoding="utf-8")
    monkeypatch.setenv("WARROOM_DB", str(tmp_path / "team.db"))
    assert run(capsys, "import", str(source)).strip() == incident_id
    again = json.loads(run(capsys, "show", incident_id, "--json"))
    exported = Path(run(capsys, "export", incident_id, "-o", str(tmp_path / "r.md")).strip())
    assert _review_body(exported.read_text(encoding="utf-8")) == _review_body(review)
    for key in ("timeline", "roles", "checklist", "action_items", "metrics", "impact"):
        if key == "timeline":  # entry ids are this database's
            strip = [{k: v for k, v in e.items() if k != "id"} for e in again[key]]
            assert strip == [{k: v for k, v in e.items() if k != "id"} for e in record[key]]
        else:
            assert again[key] == record[key], key


def test_import_of_a_taken_id_assigns_a_new_one(capsys, db, tmp_path) -> None:
    incident_id, record, _ = replay(capsys, tmp_path)
    source = tmp_path / "record.json"
    source.write_text(json.dumps(record), encoding="utf-8")
    out = run(capsys, "import", str(source)).strip()
    assert out == f"INC-2025-03-14-2 (was {incident_id}: that ID is taken here)"
    assert json.loads(run(capsys, "show", "INC-2025-03-14-2", "--json"))["original_id"] == (
        incident_id
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["timeline"][3].update(at="yesterday"), "timeline[3].at: not a date"),
        (lambda r: r.pop("declared_at"), "declared_at: missing"),
        (lambda r: r.update(status="sleeping"), "status:"),
        (lambda r: r["roles"][0].update(since=None), "roles[0].since:"),
    ],
)
def test_bad_records_are_named_by_place_and_write_nothing(
    capsys, db, tmp_path, monkeypatch, change, message
) -> None:
    _, record, _ = replay(capsys, tmp_path)
    change(record)
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(record), encoding="utf-8")
    monkeypatch.setenv("WARROOM_DB", str(tmp_path / "empty.db"))
    code = main(["import", str(source)])
    _, err = capsys.readouterr()
    assert code == 1 and message in err and len(err.splitlines()) == 1, err
    code = main(["list"])
    out, _ = capsys.readouterr()
    assert code == 0 and "INC-" not in out
