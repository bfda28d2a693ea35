"""`warroom draft | send | outbox`, run through warroom's real entry point (cli.main)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from httpserver import LoopbackServer, Reply

from warroom import cli
from warroom.domain.model import EntryKind, Status
from warroom.playbook import default_playbook
from warroom.store.outbox import OutboxStatus, list_outbox
from warroom.store.store import Store

GOLDEN = Path(__file__).parents[1] / "golden" / "messages"


@pytest.fixture(autouse=True)
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "w.db"
    monkeypatch.setenv("WARROOM_DB", str(db))
    monkeypatch.setenv("WARROOM_USER", "alice")
    monkeypatch.setenv("WARROOM_CONFIG", str(tmp_path / "config.toml"))
    for name in (
        "WARROOM_PLAYBOOK",
        "WARROOM_SLACK_WEBHOOK",
        "WARROOM_DISCORD_WEBHOOK",
        "WARROOM_TEAMS_WEBHOOK",
        "WARROOM_WEBHOOK",
        "WARROOM_TEMPLATES",
    ):
        monkeypatch.delenv(name, raising=False)
    return db


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(dedupe=True) as running:
        yield running


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_error(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("warroom: error: ")
    return lines[0]


@pytest.fixture
def iid(capsys: pytest.CaptureFixture[str]) -> str:
    code, out, _ = run(capsys, "declare", "--sev", "1", "--title", "Checkout failing")
    assert code == 0
    return out.strip()


def open_store(db: Path) -> Store:
    return Store(db, default_playbook())


# -- draft -----------------------------------------------------------------------------------


def test_draft_prints_the_message(capsys: pytest.CaptureFixture[str], iid: str) -> None:
    code, out, err = run(capsys, "draft", iid, "decl")
    assert (code, err) == (0, "")
    assert out.startswith("🚨 INCIDENT DECLARED: SEV-1 (Critical Outage) 🔴\n")
    assert "**Issue:** Checkout failing\n" in out
    assert "- IC: @[unassigned]\n" in out


def test_draft_status_update_lists_the_actions_not_a_screen_placeholder(
    capsys: pytest.CaptureFixture[str], iid: str, env: Path
) -> None:
    """Issue 8: twelve actions and then eight status changes drafted as eight status changes
    and the line "- (12 earlier in the timeline)", which would have been sent as written."""
    st = open_store(env)
    for n in range(1, 13):
        st.log(iid, f"action {n}", EntryKind.ACTION)
    for _ in range(4):
        st.set_status(iid, Status.IDENTIFIED)
        st.set_status(iid, Status.INVESTIGATING)
    st.dispose()
    code, out, err = run(capsys, "draft", iid, "status")
    assert (code, err) == (0, "")
    taken = out.split("**Actions taken:**\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [line.split(" ", 2)[2] for line in taken] == [f"action {n}" for n in range(12, 4, -1)]
    assert "earlier in the timeline" not in out


@pytest.mark.parametrize("template", ["status_update", "status-update", "res", "customer"])
def test_draft_accepts_values_and_prefixes(
    capsys: pytest.CaptureFixture[str], iid: str, template: str
) -> None:
    code, out, err = run(capsys, "draft", iid, template)
    assert (code, err) == (0, "") and out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["c"], "ambiguous template 'c'"),
        (["nope"], "unknown template 'nope'"),
    ],
)
def test_draft_errors(
    capsys: pytest.CaptureFixture[str], iid: str, args: list[str], words: str
) -> None:
    code, out, err = run(capsys, "draft", iid, *args)
    assert (code, out) == (1, "")
    assert words in one_error(err)


def test_draft_of_an_unknown_incident(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "draft", "INC-1999-01-01-1", "status")
    assert code == 1
    assert one_error(err) == "warroom: error: no incident INC-1999-01-01-1"


def test_draft_with_a_broken_user_template_warns_and_falls_back(
    capsys: pytest.CaptureFixture[str], iid: str, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"  # beside config.toml: used without configuration
    templates.mkdir()
    (templates / "status_update.md.j2").write_text("fine\n{{ oops }\n")
    code, out, err = run(capsys, "draft", iid, "status")
    assert code == 0
    assert out.startswith("⏱️ UPDATE ")
    assert err == (
        f"warroom: warning: {templates / 'status_update.md.j2'}:2: unexpected '}}' "
        "(used the built-in template)\n"
    )


def test_draft_uses_the_configured_company_and_templates(
    capsys: pytest.CaptureFixture[str], iid: str, tmp_path: Path
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "declaration.md.j2").write_text("DECLARED {{ incident_id }} for {{ company }}\n")
    (tmp_path / "config.toml").write_text('company = "Acme"\ntemplates_dir = "mine"\n')
    code, out, _ = run(capsys, "draft", iid, "declaration")
    assert (code, out) == (0, f"DECLARED {iid} for Acme\n")
    code, out, _ = run(capsys, "draft", iid, "customer")
    assert "Dear Acme Users," in out


# -- send ------------------------------------------------------------------------------------


def test_send_without_channels_records_the_update(
    capsys: pytest.CaptureFixture[str], iid: str, env: Path
) -> None:
    code, out, err = run(capsys, "send", iid, "status")
    assert (code, err) == (0, "")
    why = "not posted (no channel for the team is configured)"
    assert out == f"recorded the Internal: Status Update for {iid}; {why}\n"
    store = open_store(env)
    try:
        assert store.get(iid).last_internal_update_at is not None
        updates = [e for e in store.timeline(iid) if e.kind is EntryKind.UPDATE]
        assert updates[-1].text.startswith("Status update sent (status_update):\n⏱️")
    finally:
        store.dispose()


def test_send_queues_for_every_configured_channel(
    capsys: pytest.CaptureFixture[str], iid: str, env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARROOM_SLACK_WEBHOOK", "https://hooks.slack.com/services/T/B/sekrit")
    monkeypatch.setenv("WARROOM_WEBHOOK", "https://hooks.example.com/sekrit")
    code, out, err = run(capsys, "send", iid, "declaration", "--no-deliver")
    assert (code, err) == (0, "")
    assert out == "1  slack  queued\n2  webhook  queued\n"
    code, out, _ = run(capsys, "outbox")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "ID",
        "INCIDENT",
        "CREATED",
        "(UTC)",
        "TEMPLATE",
        "CHANNEL",
        "STATUS",
        "TRIES",
        "DETAIL",
    ]
    assert [line.split()[5] for line in lines[1:]] == ["webhook", "slack"]
    assert all(" pending " in line for line in lines[1:])
    assert "sekrit" not in out


def test_send_a_text_file_to_one_channel_and_deliver(
    capsys: pytest.CaptureFixture[str],
    iid: str,
    env: Path,
    tmp_path: Path,
    server: LoopbackServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "config.toml").write_text(
        "[[channels]]\n"
        'name = "ops"\n'
        'type = "webhook"\n'
        'url_env = "WARROOM_TEST_HOOK"\n'
        "[[channels]]\n"
        'name = "other"\n'
        'type = "slack"\n'
        'url = "https://hooks.slack.com/services/never/used"\n'
    )
    monkeypatch.setenv("WARROOM_TEST_HOOK", server.url("/hook"))
    message = tmp_path / "update.md"
    message.write_text("⏱️ UPDATE by hand\n\nall | good\n")
    code, out, err = run(
        capsys, "send", iid, "status", "--text-file", str(message), "--channel", "ops"
    )
    assert (code, err) == (0, "")
    assert out == "1  ops  sent\n"
    [received] = server.received("/hook")
    assert received.json["text"] == "⏱️ UPDATE by hand\n\nall | good"
    assert received.json["incident"] == iid
    code, out, _ = run(capsys, "outbox", "--incident", iid)
    assert " sent " in out and "ops" in out and "other" not in out


def test_send_reports_a_failed_channel(
    capsys: pytest.CaptureFixture[str],
    iid: str,
    server: LoopbackServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server.script("/gone", Reply(410, body=""))
    server.script("/busy", Reply(503, body=""))
    monkeypatch.setenv("WARROOM_SLACK_WEBHOOK", server.url("/gone"))
    monkeypatch.setenv("WARROOM_WEBHOOK", server.url("/busy"))
    code, out, err = run(capsys, "send", iid, "resolved")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "1  slack  failed"
    assert lines[1].startswith("2  webhook  waiting: 503 Service Unavailable; next attempt ")
    assert one_error(err) == (
        "warroom: error: message 1 to slack: 410 Gone: the webhook was deleted"
    )
    code, out, _ = run(capsys, "outbox")
    assert "410 Gone: the webhook was deleted" in out
    assert "next attempt" in out and "(last: 503 Service Unavailable)" in out
    assert str(server.port) not in out + err


def test_send_to_a_channel_whose_variable_is_unset_keeps_it_queued(
    capsys: pytest.CaptureFixture[str], iid: str, tmp_path: Path
) -> None:
    (tmp_path / "config.toml").write_text(
        '[[channels]]\nname = "ops"\ntype = "slack"\nurl_env = "WARROOM_TEST_UNSET"\n'
    )
    code, out, err = run(capsys, "send", iid, "status")
    assert (code, err) == (0, "")
    assert out == "1  ops  queued: channel ops: WARROOM_TEST_UNSET is not set\n"
    code, out, _ = run(capsys, "outbox")
    assert "pending" in out and "(last: channel ops: WARROOM_TEST_UNSET is not set)" in out


def test_send_from_stdin(
    capsys: pytest.CaptureFixture[str], iid: str, monkeypatch: pytest.MonkeyPatch, env: Path
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("Dear users,\nall fine.\n"))
    code, _, err = run(capsys, "send", iid, "customer_r", "--text-file", "-", "--record-only")
    assert (code, err) == (0, "")
    store = open_store(env)
    try:
        incident = store.get(iid)
        assert incident.last_customer_update_at is not None
        assert incident.last_stakeholder_update_at is not None
        assert store.timeline(iid)[-1].text == (
            "Status update sent (customer_resolved):\nDear users,\nall fine."
        )
    finally:
        store.dispose()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--channel", "nowhere"], "no channel 'nowhere' (channels: none configured)"),
        (["--text-file", "/nonexistent/msg.md"], "/nonexistent/msg.md: No such file"),
    ],
)
def test_send_errors(
    capsys: pytest.CaptureFixture[str], iid: str, args: list[str], words: str, env: Path
) -> None:
    code, out, err = run(capsys, "send", iid, "status", *args)
    assert (code, out) == (1, "")
    assert words in one_error(err)
    store = open_store(env)
    try:
        assert store.get(iid).last_internal_update_at is None  # nothing was recorded
    finally:
        store.dispose()


def test_a_bad_config_names_the_file_line_and_field(
    capsys: pytest.CaptureFixture[str], iid: str, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[[channels]]\nname = "ops"\ntype = "slak"\nurl = "https://hooks.slack.com/s/sekrit"\n'
    )
    code, _, err = run(capsys, "send", iid, "status")
    assert code == 1
    line = one_error(err)
    assert line.startswith(f"warroom: error: {config}:3: channels[0].type: Input should be ")
    assert "sekrit" not in err


def test_outbox_when_empty(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "outbox") == (0, "the outbox is empty\n", "")


def test_outbox_of_an_unknown_incident(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "outbox", "--incident", "INC-1999-01-01-1")
    assert code == 1 and "no incident INC-1999-01-01-1" in one_error(err)


def test_outbox_statuses(
    capsys: pytest.CaptureFixture[str], iid: str, env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARROOM_WEBHOOK", "https://hooks.example.com/x")
    run(capsys, "send", iid, "status", "--no-deliver")
    store = open_store(env)
    try:
        [item] = list_outbox(store)
        assert item.status is OutboxStatus.PENDING
    finally:
        store.dispose()


def test_config_option(capsys: pytest.CaptureFixture[str], iid: str, tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text('company = "Other Co"\n')
    code, out, _ = run(capsys, "draft", iid, "customer", "--config", str(other))
    assert code == 0 and "Dear Other Co Users," in out


def test_send_goes_to_the_channels_of_its_audience(
    capsys: pytest.CaptureFixture[str], iid: str, tmp_path: Path
) -> None:
    (tmp_path / "config.toml").write_text(
        '[[channels]]\nname = "team"\ntype = "slack"\n'
        'url = "https://hooks.slack.com/services/T/B/team"\n'
        '[[channels]]\nname = "status"\ntype = "webhook"\n'
        'url = "https://status.example.com/hook"\naudience = "customers"\n'
    )
    code, out, _ = run(capsys, "send", iid, "status", "--no-deliver")
    assert (code, out) == (0, "1  team  queued\n")
    code, out, _ = run(capsys, "send", iid, "customer", "--no-deliver")
    assert (code, out) == (0, "2  status  queued\n")
    code, out, err = run(capsys, "send", iid, "status", "--channel", "status", "--no-deliver")
    assert (code, out) == (1, "")
    assert "channel 'status' is for customers" in err and err.count("\n") == 1


# -- a drill's database: DRILL on every message, nothing posted --------------------------------


def test_a_drills_database_marks_every_message_and_posts_nothing(
    capsys: pytest.CaptureFixture[str],
    env: Path,
    iid: str,
    server: LoopbackServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WARROOM_WEBHOOK", server.url("/hook"))
    store = open_store(env)
    assert not store.is_drill
    store.mark_as_drill()  # what `warroom drill` does to its database
    assert open_store(env).is_drill  # kept in the file, for whoever opens it next
    code, out, _ = run(capsys, "draft", iid, "status")
    assert code == 0 and out.startswith("[DRILL] ")
    code, out, _ = run(capsys, "send", iid, "status")
    assert code == 0 and "not posted (a drill's database: nothing is posted)" in out
    assert list_outbox(open_store(env)) == [] and server.received() == []
    code, _, err = run(capsys, "send", iid, "status", "--channel", "webhook")
    assert code == 1 and "a drill's database: nothing is posted" in one_error(err)
    updates = [e.text for e in open_store(env).timeline(iid) if e.kind == EntryKind.UPDATE]
    assert updates and all("[DRILL]" in text for text in updates)
