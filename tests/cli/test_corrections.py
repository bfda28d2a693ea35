"""Corrections (edit, strike), the timeline's hash chain, and a reopened incident's reviews:
in the store, from two processes at once, and through `warroom edit | strike | verify`."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from conftest import FakeClock, run_cli

from warroom.comms.review import export_review, load_review_data, render_review
from warroom.domain.model import EntryKind, Status
from warroom.playbook import default_playbook
from warroom.store.store import NotFound, Store

PLAYBOOK = default_playbook()


@pytest.fixture
def st(tmp_path: Path, clock: FakeClock) -> Iterator[Store]:
    store = Store(tmp_path / "w.db", PLAYBOOK, clock=clock, author="alice")
    yield store
    store.dispose()


def _tamper(db: Path, sql: str, *params: object) -> None:
    with closing(sqlite3.connect(db)) as conn:
        conn.execute(sql, params)
        conn.commit()


# -- the store: corrections ---------------------------------------------------------------


def test_an_edit_keeps_the_original_and_shows_the_correction(st: Store, clock: FakeClock) -> None:
    inc = st.declare("Checkout down", 2)
    entry = st.log(inc.id, "db01 is down", kind=EntryKind.FINDING)
    clock.advance(minutes=4)
    edited = st.edit_entry(entry.id, "db02 is down", author="bob")
    assert edited.text == "db01 is down"  # the original: never rewritten
    assert edited.shown_text == "db02 is down"
    assert edited.edit is not None and edited.edit.author == "bob"
    assert (edited.edit.old_text, edited.edit.new_text) == ("db01 is down", "db02 is down")
    again = st.edit_entry(entry.id, "db03 is down")
    assert [r.old_text for r in again.revisions] == ["db01 is down", "db02 is down"]
    shown = [e for e in st.timeline(inc.id) if e.id == entry.id][0]
    assert shown.shown_text == "db03 is down" and len(shown.revisions) == 2


def test_a_strike_keeps_the_entry_with_its_reason(st: Store) -> None:
    inc = st.declare("Checkout down", 2)
    entry = st.log(inc.id, "rolled back deploy 41")
    struck = st.strike_entry(entry.id, "wrong incident", author="carol")
    assert struck.strike is not None and struck.strike.reason == "wrong incident"
    assert struck.shown_text == "rolled back deploy 41"
    assert entry.id in [e.id for e in st.timeline(inc.id)]  # nothing is deleted
    with pytest.raises(ValueError, match="struck out already"):
        st.strike_entry(entry.id, "again")
    with pytest.raises(ValueError, match="struck out already"):
        st.edit_entry(entry.id, "new text")


def test_what_cannot_be_corrected(st: Store) -> None:
    inc = st.declare("Checkout down", 2)
    entry = st.log(inc.id, "note")
    automatic = st.timeline(inc.id)[0]
    assert automatic.kind.is_automatic
    with pytest.raises(ValueError, match="automatic"):
        st.edit_entry(automatic.id, "not declared")
    with pytest.raises(ValueError, match="automatic"):
        st.strike_entry(automatic.id, "no")
    with pytest.raises(NotFound, match="no timeline entry 999"):
        st.edit_entry(999, "text")
    with pytest.raises(ValueError, match="needs a reason"):
        st.strike_entry(entry.id, "   ")
    with pytest.raises(ValueError, match="empty"):
        st.edit_entry(entry.id, "")
    with pytest.raises(ValueError, match="says that already"):
        st.edit_entry(entry.id, "note")
    other = st.declare("Another", 3)
    with pytest.raises(NotFound, match=f"in {other.id}"):
        st.edit_entry(entry.id, "text", incident_id=other.id)


def test_corrections_survive_an_export_and_import(st: Store, tmp_path: Path) -> None:
    from warroom.cli.records import parse_record

    inc = st.declare("Checkout down", 2)
    entry = st.log(inc.id, "typo heer")
    st.edit_entry(entry.id, "typo here")
    struck = st.log(inc.id, "nonsense")
    st.strike_entry(struck.id, "pasted by mistake")
    code_json = _show_json(st, inc.id)
    other = Store(tmp_path / "other.db", PLAYBOOK, clock=st.clock, author="x")
    try:
        imported = other.import_record(parse_record(json.dumps(code_json)))
        entries = {e.text: e for e in other.timeline(imported.id)}
        assert entries["typo heer"].shown_text == "typo here"
        assert entries["nonsense"].strike is not None
        # The same content in the same order: the same chain heads.
        assert other.chain_head(imported.id) == st.chain_head(inc.id)
        assert other.corrections_head(imported.id) == st.corrections_head(inc.id) is not None
        assert other.verify_chain(imported.id).ok
    finally:
        other.dispose()


def _show_json(store: Store, incident_id: str) -> dict[str, object]:
    from warroom.cli.incidents import incident_json as _incident_json

    data: dict[str, object] = json.loads(json.dumps(_incident_json(store, store.get(incident_id))))
    return data


# -- the store: the chain -----------------------------------------------------------------


def test_every_way_of_writing_chains(st: Store) -> None:
    inc = st.declare("Checkout down", 1)
    st.log(inc.id, "one")
    st.log_many(inc.id, ["two", "", "three"])
    st.set_status(inc.id, Status.MITIGATING)
    entry = st.log(inc.id, "four")
    head = st.chain_head(inc.id)
    st.edit_entry(entry.id, "4")  # a correction is no new link: the head stays
    st.set_pinned(entry.id)  # nor is a pin
    report = st.verify_chain(inc.id)
    assert report.ok and report.head == head and report.unchained_before is None
    assert report.entries == st.entry_count(inc.id)


def test_a_tampered_entry_is_found(st: Store) -> None:
    inc = st.declare("Checkout down", 1)
    for text in ("one", "two", "three"):
        st.log(inc.id, text)
    target = [e for e in st.timeline(inc.id) if e.text == "two"][0]
    _tamper(st.path, "UPDATE timeline_entry SET text = 'TWO' WHERE id = ?", target.id)
    report = st.verify_chain(inc.id)
    assert not report.ok and report.broken_at == target.id


def test_a_tampered_correction_is_found(st: Store) -> None:
    inc = st.declare("Checkout down", 1)
    entry = st.log(inc.id, "db01 down")
    st.edit_entry(entry.id, "db02 down")
    report = st.verify_chain(inc.id)
    assert report.ok and report.corrections == 1
    assert report.corrections_head == st.corrections_head(inc.id) is not None
    _tamper(st.path, "UPDATE entry_revision SET new_text = 'db03 down'")
    report = st.verify_chain(inc.id)
    assert not report.ok and report.broken_correction == entry.id


def _log_from_a_process(db: str, incident_id: str, name: str, count: int) -> None:
    store = Store(db, PLAYBOOK, author=name)
    try:
        for number in range(count):
            if number % 10 == 0:
                store.log_many(incident_id, [f"{name} batch {number}", f"{name} batch+{number}"])
            else:
                store.log(incident_id, f"{name} {number}")
    finally:
        store.dispose()


def test_two_processes_writing_at_once_chain_correctly(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    store = Store(db, PLAYBOOK, author="ic")
    try:
        incident_id = store.declare("Everyone writes", 1).id
    finally:
        store.dispose()
    context = multiprocessing.get_context("spawn")
    procs = [
        context.Process(target=_log_from_a_process, args=(str(db), incident_id, name, 60))
        for name in ("p1", "p2")
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
    assert [proc.exitcode for proc in procs] == [0, 0]
    store = Store(db, PLAYBOOK)
    try:
        report = store.verify_chain(incident_id)
        assert report.ok, report
        # Each link is on the one written before it, whoever wrote it: no two share a parent.
        assert report.entries == store.entry_count(incident_id) > 120
    finally:
        store.dispose()


def test_entries_from_before_the_chain_are_reported_unchained(st: Store) -> None:
    inc = st.declare("Old one", 2)
    st.log(inc.id, "old note")
    _tamper(st.path, "UPDATE timeline_entry SET chain_hash = NULL")  # as schema 7 wrote them
    first_new = st.log(inc.id, "new note")
    report = st.verify_chain(inc.id)
    assert report.ok and report.unchained_before == first_new.id


# -- reopen and close again: the earlier review is kept --------------------------------------


def test_closing_again_keeps_the_earlier_review(st: Store, clock: FakeClock, tmp_path) -> None:
    reviews = tmp_path / "reviews"
    inc = st.declare("Flapping", 2)
    st.close(inc.id)
    first = export_review(st, inc.id, reviews)
    assert export_review(st, inc.id, reviews) == first  # the same closure: replaced
    assert sorted(p.name for p in reviews.iterdir()) == [first.name]
    first_text = first.read_text(encoding="utf-8")
    clock.advance(hours=1)
    st.reopen(inc.id)
    clock.advance(hours=1)
    st.close(inc.id)
    second = export_review(st, inc.id, reviews)
    assert second == first  # the review is where it always was...
    kept = reviews / f"{inc.id}-review.1.md"
    assert kept.read_text(encoding="utf-8") == first_text  # ...and the earlier one beside it
    assert "Incident reopened" in second.read_text(encoding="utf-8")
    clock.advance(hours=1)
    st.reopen(inc.id)
    st.close(inc.id)
    export_review(st, inc.id, reviews)
    assert (reviews / f"{inc.id}-review.2.md").exists()
    assert sorted(p.name for p in reviews.iterdir() if not p.name.startswith(".")) == [
        f"{inc.id}-review.1.md",
        f"{inc.id}-review.2.md",
        f"{inc.id}-review.md",
    ]


def test_the_review_marks_corrections_and_names_the_chain_head(st: Store) -> None:
    inc = st.declare("Checkout down", 2)
    entry = st.log(inc.id, "db01 | down")
    st.edit_entry(entry.id, "db02 | down", author="bob")
    struck = st.log(inc.id, "cache is fine")
    st.strike_entry(struck.id, "it was not", author="bob")
    text = render_review(load_review_data(st, inc.id))
    assert "| 10:00 | db02 \\| down (@alice) _(✎ edited 10:00 by bob)_ |" in text
    assert "~~cache is fine (@alice)~~ _(✗ struck 10:00 by bob: it was not)_" in text
    assert f"`{st.chain_head(inc.id)}`" in text


# -- the CLI -----------------------------------------------------------------------------


@pytest.fixture
def cli(cli_db: Path) -> Path:
    return cli_db


def _error_line(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, _, err = run_cli(capsys, *argv)
    assert code == 1, (argv, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("warroom: error: "), err
    return lines[0]


def _entry_ids(capsys: pytest.CaptureFixture[str]) -> dict[str, int]:
    code, out, _ = run_cli(capsys, "show", "--json")
    assert code == 0
    return {e["text"]: e["id"] for e in json.loads(out)["timeline"]}


def test_cli_edit_strike_and_show(capsys, cli: Path) -> None:
    assert run_cli(capsys, "declare", "--sev", "2", "--title", "Checkout")[0] == 0
    run_cli(capsys, "log", "db01 is down")
    run_cli(capsys, "log", "wrong note")
    ids = _entry_ids(capsys)
    code, out, err = run_cli(capsys, "edit", str(ids["db01 is down"]), "db02", "is", "down")
    assert (code, err) == (0, "") and "db02 is down" in out
    code, out, _ = run_cli(capsys, "strike", f"#{ids['wrong note']}", "not", "ours")
    assert code == 0 and "struck" in out
    code, out, _ = run_cli(capsys, "show")
    assert f"db02 is down  #{ids['db01 is down']}  [✎ edited" in out
    assert "wrong note" in out and "✗ struck" in out and ": not ours]" in out
    code, out, _ = run_cli(capsys, "show", "--json")
    entry = [e for e in json.loads(out)["timeline"] if e["text"] == "db01 is down"][0]
    assert entry["revisions"][0]["new_text"] == "db02 is down"
    assert entry["revisions"][0]["author"] == "script"


def test_cli_corrections_refuse_bad_input_in_one_line(capsys, cli: Path) -> None:
    run_cli(capsys, "declare", "--sev", "2", "--title", "Checkout")
    run_cli(capsys, "log", "a note")
    ids = _entry_ids(capsys)
    declared = min(ids.values())
    note = ids["a note"]
    assert "no incident INC-1999-01-01-1" in _error_line(
        capsys, "edit", "--incident", "INC-1999-01-01-1", str(note), "x"
    )
    assert "no timeline entry 9999" in _error_line(capsys, "edit", "9999", "x")
    assert "no timeline entry 9999" in _error_line(capsys, "strike", "9999", "x")
    assert "automatic" in _error_line(capsys, "edit", str(declared), "x")
    assert "automatic" in _error_line(capsys, "strike", str(declared), "because")
    assert "needs a reason" in _error_line(capsys, "strike", str(note), " ")
    assert "not an entry number" in _error_line(capsys, "edit", "first", "x")
    assert "not an entry number" in _error_line(capsys, "strike", "0", "x")
    assert "no incident INC-1999-01-01-1" in _error_line(capsys, "verify", "INC-1999-01-01-1")
    # Nothing was recorded by any of them.
    code, out, _ = run_cli(capsys, "show", "--json")
    assert all(not e["revisions"] for e in json.loads(out)["timeline"])


def test_cli_verify_ok_and_tampered(capsys, cli: Path) -> None:
    code, out, _ = run_cli(capsys, "declare", "--sev", "2", "--title", "Checkout")
    incident_id = out.strip()
    for text in ("one", "two", "three"):
        run_cli(capsys, "log", text)
    code, out, err = run_cli(capsys, "verify", incident_id)
    assert code == 0 and err == ""
    assert out.startswith(f"{incident_id}: OK, ") and " head " in out
    ids = _entry_ids(capsys)
    _tamper(cli, "UPDATE timeline_entry SET author = 'mallory' WHERE id = ?", ids["two"])
    line = _error_line(capsys, "verify", incident_id)
    assert f"chain broken at entry #{ids['two']}" in line
    _tamper(cli, "UPDATE timeline_entry SET author = 'script' WHERE id = ?", ids["two"])
    assert run_cli(capsys, "verify", incident_id)[0] == 0  # put back: sound again
    run_cli(capsys, "edit", str(ids["one"]), "uno")
    code, out, _ = run_cli(capsys, "verify", incident_id)
    assert code == 0 and "; 1 correction, head " in out
    _tamper(cli, "UPDATE entry_revision SET author = 'mallory'")
    line = _error_line(capsys, "verify", incident_id)
    assert f"chain broken at a correction of entry #{ids['one']}" in line


def test_cli_verify_reports_entries_from_before_the_chain(capsys, cli: Path) -> None:
    code, out, _ = run_cli(capsys, "declare", "--sev", "2", "--title", "Checkout")
    run_cli(capsys, "log", "old")
    _tamper(cli, "UPDATE timeline_entry SET chain_hash = NULL")
    run_cli(capsys, "log", "new")
    ids = _entry_ids(capsys)
    code, out, _ = run_cli(capsys, "verify")
    assert code == 0 and f"unchained before entry #{ids['new']}" in out


def test_cli_item_without_owner_warns_and_records_unassigned(capsys, cli: Path) -> None:
    run_cli(capsys, "declare", "--sev", "2", "--title", "Checkout")
    code, out, err = run_cli(capsys, "item", "P1", "add", "an", "alert")
    assert code == 0 and out == ""
    assert err.count("\n") == 1 and err.startswith("warroom: warning: action item ")
    assert "no owner (unassigned)" in err
    code, out, err = run_cli(capsys, "item", "--owner", "bob", "P2", "canary")
    assert (code, err) == (0, "")
    code, out, _ = run_cli(capsys, "items", "--json")
    items = json.loads(out)
    unassigned = [i for i in items if not i["owner"]]
    assert len(unassigned) == 1
    code, _, err = run_cli(capsys, "item", "owner", str(unassigned[0]["id"]), "carol")
    assert (code, err) == (0, "")
    code, out, _ = run_cli(capsys, "items", "--json")
    assert sorted(i["owner"] for i in json.loads(out)) == ["bob", "carol"]
