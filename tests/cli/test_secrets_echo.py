"""A webhook server that echoes the request path (or the URL, or the token) in its error reply
must not put the token anywhere: not in the database or its WAL, not on `send`'s stdout or
stderr, not in `warroom outbox`, the delivery module's output, the war room's notification,
the F12 outbox or the F6 compose screen. Real servers on 127.0.0.1 (tests/httpserver.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from httpserver import LoopbackServer, Reply

from warroom import cli
from warroom.integrations import delivery
from warroom.integrations.redact import redact
from warroom.playbook import default_playbook
from warroom.store.outbox import list_outbox

TOKEN = "SECRETTOKEN123"
PATH = f"/services/T000/B000/{TOKEN}"
QUERY_SECRET = "QuerySecret987"


def echoes(url: str) -> dict[str, tuple[int, str]]:
    """What a server may answer, by name: each one repeats the secret somehow."""
    return {
        "path": (403, f"forbidden: {PATH}"),
        "express": (404, f"<pre>Cannot POST {PATH}</pre>"),
        "url": (400, f"bad webhook {url}"),
        "encoded": (400, f"bad webhook {quote(url, safe='')}"),
        "encoded-lower": (400, f"bad {quote(url, safe='').lower()}"),
        "no-scheme": (500, f"upstream {url.split('://', 1)[1]} down"),
        "token": (401, f"invalid token {TOKEN}"),
    }


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
        "WARROOM_TOKEN_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    return db


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


def configure(how: str, url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    if how == "env":
        monkeypatch.setenv("WARROOM_SLACK_WEBHOOK", url)
    elif how == "url":
        config.write_text(f'[[channels]]\nname = "ops"\ntype = "slack"\nurl = "{url}"\n')
    else:
        monkeypatch.setenv("WARROOM_TOKEN_URL", url)
        config.write_text(
            '[[channels]]\nname = "ops"\ntype = "slack"\nurl_env = "WARROOM_TOKEN_URL"\n'
        )


def leaks(text: str | bytes) -> list[str]:
    data = text if isinstance(text, bytes) else text.encode("utf-8", "replace")
    return [s for s in (TOKEN, QUERY_SECRET) if s.encode() in data]


def test_redact_every_form() -> None:
    url = f"https://hooks.example.com{PATH}?sig={QUERY_SECRET}&v=1"
    for name, (_, body) in echoes(url).items():
        assert not leaks(redact(body, url)), name
    assert not leaks(redact(f"sig={quote(QUERY_SECRET)}", url))
    assert redact("the webhook answered 500", url) == "the webhook answered 500"


@pytest.mark.parametrize("how", ["env", "url", "url_env"])
@pytest.mark.parametrize(
    "echo", ["path", "express", "url", "encoded", "encoded-lower", "no-scheme", "token"]
)
def test_an_echoing_server_never_gets_the_token_shown_or_stored(
    server: LoopbackServer,
    env: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    how: str,
    echo: str,
) -> None:
    full = f"{PATH}?sig={QUERY_SECRET}"
    url = server.url(full)
    status, body = echoes(url)[echo]
    server.script(full, Reply(status, body + f" sig={QUERY_SECRET}"))
    server.default = Reply(status, body)
    configure(how, url, tmp_path, monkeypatch)
    shown = []
    assert cli.main(["declare", "--sev", "2", "--title", "Echo"]) == 0
    iid = capsys.readouterr().out.strip()
    cli.main(["send", iid, "status"])
    out, err = capsys.readouterr()
    shown += [out, err]
    assert server.received(), "the message was not posted"
    cli.main(["outbox"])
    shown.append("".join(capsys.readouterr()))
    # Again, through the delivery module, after a retry.
    from warroom.store.outbox import retry
    from warroom.store.store import Store

    store = Store(env, default_playbook())
    try:
        for item in list_outbox(store):
            retry(store, item.id)
            shown.append(item.last_error)
    finally:
        store.dispose()
    delivery.main(["--once"])
    shown.append("".join(capsys.readouterr()))
    shown += [r.getMessage() for r in caplog.records]
    for text in shown:
        assert not leaks(text), text
    for file in env.parent.iterdir():
        if file.name.startswith(env.name):
            assert not leaks(file.read_bytes()), file.name


async def test_the_war_room_shows_no_token(
    server: LoopbackServer,
    store,
    make_app,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from textual.widgets import DataTable

    url = server.url(PATH)
    server.default = Reply(403, f"forbidden: {PATH} ({TOKEN})")
    configure("url", url, tmp_path, monkeypatch)
    incident = store.declare("Echo in the war room", 2)
    app = make_app(deliver=True)
    async with app.run_test(size=(200, 50), notifications=True) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        await pilot.press("ctrl+s")
        for _ in range(100):
            await pilot.pause(0.05)
            if any("NOT delivered" in (n.title or "") for n in app.said):
                break
        said = [f"{n.title} {n.message}" for n in app.said]
        assert any("403" in s for s in said), said
        for text in said:
            assert not leaks(text), text
        assert not leaks(app.export_screenshot())
        await pilot.press("f12")
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        cells = [str(c) for r in range(table.row_count) for c in table.get_row_at(r)]
        assert any("403" in c for c in cells)
        for cell in cells:
            assert not leaks(cell), cell
        assert not leaks(app.export_screenshot())
        await pilot.press("escape")
        await pilot.press("f6")
        await pilot.pause()
        assert not leaks(app.export_screenshot())
    for item in list_outbox(store, incident.id):
        assert not leaks(item.last_error)
    for file in store.path.parent.iterdir():
        if file.name.startswith(store.path.name):
            assert not leaks(file.read_bytes()), file.name
