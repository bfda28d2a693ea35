"""The network edges are bounded: an error body is read only up to a few KB, an attempt has
one deadline however slowly the server trickles, closing the deliverer (quitting the war room)
cuts a post in flight at once, a URL with a bad port is refused when the config is read, and a
failed delivery is one line on stderr."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from httpserver import LoopbackServer, Reply
from pydantic import SecretStr

from warroom import cli
from warroom.integrations.delivery import MAX_ERROR_BODY, Deliverer, Outcome
from warroom.integrations.settings import (
    Channel,
    ChannelType,
    Settings,
    SettingsError,
    load_settings,
    url_problem,
)
from warroom.store.outbox import OutboxStatus, list_outbox, send_message


class RawServer:
    """A TCP server on 127.0.0.1 whose `serve(conn)` writes whatever it likes."""

    def __init__(self, serve: Callable[[socket.socket], None]) -> None:
        self.serve = serve
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sent = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook/TOKEN"

    def _run(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            conn.settimeout(30)
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _, rest = data.partition(b"\r\n\r\n")
            length = int(
                next(
                    (
                        line.split(b":")[1]
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    b"0",
                )
            )
            while len(rest) < length:
                rest += conn.recv(65536)
            with contextlib.suppress(OSError):
                self.serve(conn)
        self.done.set()

    def __enter__(self) -> RawServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


def settings(url: str) -> Settings:
    return Settings(channels=(Channel(name="ops", type=ChannelType.WEBHOOK, url=SecretStr(url)),))


@pytest.fixture
def queued(store) -> int:
    incident = store.declare("Network", 2)
    [mid] = send_message(store, incident.id, _kind(), "hello", ["ops"])
    return mid


def _kind():
    from warroom.comms.messages import MessageKind

    return MessageKind.STATUS_UPDATE


def test_a_huge_error_body_is_not_read(store, queued) -> None:
    def endless(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 500 Oops\r\nContent-Length: 268435456\r\n\r\n")
        chunk = b"x" * 65536
        conn.settimeout(2)
        while server.sent < 268435456:
            conn.sendall(chunk)
            server.sent += len(chunk)

    with RawServer(endless) as server:
        d = Deliverer(store, settings(server.url()), timeout=5)
        started = time.monotonic()
        [result] = d.deliver_due()
        d.close()
        assert time.monotonic() - started < 4
        server.done.wait(5)
    assert result.outcome is Outcome.RETRY and "500" in result.detail
    # What the kernel's buffers hold at most, nowhere near 256 MB.
    assert server.sent < 16 * 1024 * 1024
    assert MAX_ERROR_BODY <= 8192


def test_a_trickling_server_meets_the_deadline(store, queued) -> None:
    def trickle(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        for _ in range(40):  # a byte every 0.25 s: no single read ever times out
            time.sleep(0.25)
            conn.sendall(b"a")

    with RawServer(trickle) as server:
        d = Deliverer(store, settings(server.url()), timeout=1)
        started = time.monotonic()
        [result] = d.deliver_due()
        took = time.monotonic() - started
        d.close()
    assert took < 3, took
    assert result.outcome is Outcome.RETRY
    assert "within" in result.detail


def test_closing_cuts_a_post_in_flight_and_keeps_the_message(store, queued) -> None:
    with LoopbackServer() as server:
        server.script("/hook", Reply(hold=True))
        d = Deliverer(store, settings(server.url("/hook")), timeout=30)
        results: list[object] = []
        worker = threading.Thread(target=lambda: results.extend(d.deliver_due()))
        worker.start()
        server.wait_for(1)
        started = time.monotonic()
        d.close()
        worker.join(5)
        assert time.monotonic() - started < 1.0
        assert not worker.is_alive()
    [item] = list_outbox(store)
    assert item.status is OutboxStatus.PENDING  # the outbox keeps it for the next start


@pytest.mark.parametrize(
    "url", ["http://localhost:abc/hook", "https://hooks.example.com:99999999/x", "https://[::1/x"]
)
def test_a_bad_port_is_refused_when_the_config_is_read(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert url_problem(url) is not None
    config = tmp_path / "config.toml"
    config.write_text(f'[[channels]]\nname = "ops"\ntype = "webhook"\nurl = "{url}"\n')
    with pytest.raises(SettingsError, match=r"config.toml:4: channels\[0\].url: is not a URL"):
        load_settings(config, environ={})
    monkeypatch.setenv("WARROOM_WEBHOOK", url)
    with pytest.raises(SettingsError, match="WARROOM_WEBHOOK"):
        load_settings(tmp_path / "none.toml")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("WARROOM_DB", str(tmp_path / "w.db"))
    monkeypatch.setenv("WARROOM_USER", "alice")
    monkeypatch.setenv("WARROOM_CONFIG", str(tmp_path / "config.toml"))
    for name in ("WARROOM_PLAYBOOK", "WARROOM_SLACK_WEBHOOK", "WARROOM_WEBHOOK"):
        monkeypatch.delenv(name, raising=False)
    yield tmp_path


def test_a_failed_delivery_is_one_line_on_stderr(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import logging

    # What a terminal gets: no handler but Python's last resort (pytest's are taken away).
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    with LoopbackServer() as server:
        server.script("/hook", Reply(410, "gone"))
        monkeypatch.setenv("WARROOM_WEBHOOK", server.url("/hook"))
        assert cli.main(["declare", "--sev", "2", "--title", "x"]) == 0
        iid = capsys.readouterr().out.strip()
        assert cli.main(["send", iid, "status"]) == 1
        assert server.received()
    _, err = capsys.readouterr()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("warroom: error: message 1 to webhook: 410 Gone"), err


QUIT_SCRIPT = r"""
import asyncio, os, sys, time
sys.path.insert(0, sys.argv[1])
from httpserver import LoopbackServer, Reply
from warroom.comms.messages import MessageKind
from warroom.playbook import default_playbook
from warroom.store.outbox import list_outbox, send_message
from warroom.store.store import Store
from warroom.tui.app import WarRoomApp

server = LoopbackServer()
server.start()
server.script("/hook", Reply(hold=True))
os.environ["WARROOM_WEBHOOK"] = server.url("/hook")
store = Store(sys.argv[2], default_playbook())
incident = store.declare("Quit during a hang", 2)
send_message(store, incident.id, MessageKind.STATUS_UPDATE, "hi", ["webhook"])
started = 0.0

async def main():
    global started
    app = WarRoomApp(store, watch_files=False, deliver=True, radar=False)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.main.deliverer is not None
        app.main.deliverer.soon()
        for _ in range(200):
            await pilot.pause(0.05)
            if server.received():
                break
        assert server.received()
        started = time.monotonic()
        await pilot.press("ctrl+q")

asyncio.run(main())  # returns once the delivery thread is done too
print(f"{time.monotonic() - started:.2f}")
print(list_outbox(store)[0].status.value)
"""


def test_quitting_the_war_room_does_not_wait_for_a_hung_webhook(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = {**os.environ, "WARROOM_CONFIG": str(tmp_path / "none.toml")}
    done = subprocess.run(
        [sys.executable, "-c", QUIT_SCRIPT, str(Path(__file__).parents[1]), str(tmp_path / "w.db")],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    took, status = done.stdout.split()
    assert float(took) < 1.0
    assert status == "pending"  # the outbox keeps the message
