"""`warroom list` filters, `search`, `stats`, `items` and `item done`."""

from __future__ import annotations

import json
import shlex
from typing import Any

import pytest
from conftest import run_cli

pytestmark = pytest.mark.usefixtures("cli_db")
run = run_cli


def ok(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = run(capsys, *argv)
    assert (code, err) == (0, ""), (argv, err)
    return out


def as_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    return json.loads(ok(capsys, *argv, "--json"))


def two_incidents(capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    old = ok(capsys, "declare", "--sev", "1", "--title", "Old outage", "--at", "-30h").strip()
    ok(capsys, "log", "--incident", old, "--at", "-29h", "connection pool exhausted on db-3")
    ok(capsys, "ack", "--incident", old, "--at", "-29h")
    ok(capsys, "close", "--incident", old, "--at", "-28h")
    new = ok(capsys, "declare", "--sev", "2", "--title", "Search slow").strip()
    ok(capsys, "log", "--incident", new, "pool resized")
    return old, new


def test_list_filters(capsys) -> None:
    old, new = two_incidents(capsys)
    assert [i["id"] for i in as_json(capsys, "list")] == [new, old]
    assert [i["id"] for i in as_json(capsys, "list", "--open")] == [new]
    assert [i["id"] for i in as_json(capsys, "list", "--sev", "1")] == [old]
    assert [i["id"] for i in as_json(capsys, "list", "--since", "-24h")] == [new]
    assert "not a time" in run(capsys, "list", "--since", "last week")[2]


def test_search_marks_the_match(capsys) -> None:
    old, new = two_incidents(capsys)
    found = as_json(capsys, "search", "pool")
    assert {row["incident"] for row in found} == {old, new}
    assert any("[pool]" in row["marked"] for row in found)
    text = ok(capsys, "search", "db-3")
    assert text.startswith(old) and "@script" in text
    assert run(capsys, "search", "nothing-like-this")[0] == 1  # like grep: nothing found


def test_stats(capsys) -> None:
    two_incidents(capsys)
    data = as_json(capsys, "stats")
    assert data["incidents"] == 2
    sev1 = next(s for s in data["by_severity"] if s["severity"] == 1)
    assert sev1["time_to_acknowledge"]["median"] == pytest.approx(3600.0, abs=5)  # an hour on
    assert sev1["acknowledge_met_percent"] == 0.0
    assert as_json(capsys, "stats", "--since", "-24h")["incidents"] == 1
    table = ok(capsys, "stats")
    assert "SEV-1" in table and "SEV-2" in table and "Action items: 0 open" in table


def test_items_and_item_done(capsys) -> None:
    old, new = two_incidents(capsys)
    ok(capsys, "item", "--incident", old, "--owner", "bob", "P0", "alert on pool usage")
    code, _, err = run(capsys, "item", "--incident", new, "P3", "write it down")
    assert code == 0 and "has no owner (unassigned)" in err  # recorded, with a warning
    items = as_json(capsys, "items")
    assert [(i["priority"], i["owner"]) for i in items] == [("P0", "bob"), ("P3", "")]
    assert [i["text"] for i in as_json(capsys, "items", "--owner", "@bob")] == [
        "alert on pool usage"
    ]
    gh = ok(capsys, "items", "--format", "gh").splitlines()
    first = shlex.split(gh[0])
    assert first[:3] == ["gh", "issue", "create"] and "[P0] alert on pool usage" in first
    assert old in first[first.index("--body") + 1] and first[-2:] == ["--assignee", "bob"]
    ok(capsys, "item", "done", str(items[0]["id"]))
    assert [i["text"] for i in as_json(capsys, "items", "--open")] == ["write it down"]
    code, _, err = run(capsys, "item", "done", "999")
    assert code == 1 and "no action item 999" in err
    code, _, err = run(capsys, "item", "done", "x")
    assert code == 2
