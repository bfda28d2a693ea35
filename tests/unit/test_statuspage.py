"""The status radar's network side: configuration, fetching (respx), a real local server, CLI.

Network: respx mocks everything in the unit tests; the integration tests talk only to an
HTTP server of their own on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from warroom.cli import deps as cli_deps
from warroom.domain.model import EntryKind
from warroom.integrations import statuspage
from warroom.integrations.statuspage import (
    DEFAULT_STATUS_PAGES,
    Radar,
    fetch_status,
    playbook_status_pages,
    record,
    status_pages_from_env,
)
from warroom.playbook import default_playbook
from warroom.store.store import Store, StoreError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "statuspage"
NOW = datetime(2026, 11, 27, 10, 15, tzinfo=UTC)
URL = "https://status.example.com/api/v2/summary.json"
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def body(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False) as client:
        yield client


# -- configuration ---------------------------------------------------------------------------


def test_the_default_pages_are_the_runbooks():
    assert status_pages_from_env({}) == DEFAULT_STATUS_PAGES
    assert status_pages_from_env({"WARROOM_STATUS_PAGES": "  "}) == DEFAULT_STATUS_PAGES
    assert set(DEFAULT_STATUS_PAGES) == {"Stripe", "Supabase", "Vercel"}


def test_pages_from_the_environment():
    env = {"WARROOM_STATUS_PAGES": " Stripe = https://a.test/s.json ,GitHub=http://b.test/x=1,"}
    assert status_pages_from_env(env) == {
        "Stripe": "https://a.test/s.json",
        "GitHub": "http://b.test/x=1",
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Stripe https://a.test", "item 1 ('Stripe https://a.test'): expected Name=URL"),
        ("=https://a.test", "item 1 ('=https://a.test'): expected Name=URL"),
        ("A=https://a.test,B=a.test/x", "item 2 ('B=a.test/x'): the URL must start with"),
        ("A=ftp://a.test", "the URL must start with https:// or http://"),
        ("A=https://", "the URL must start with https:// or http://"),
        ("A=https://a.test,A=https://b.test", "item 2 ('A=https://b.test'): 'A' is given twice"),
        (",,", "no Name=URL items"),
    ],
)
def test_malformed_pages_are_a_clear_error(value: str, message: str):
    with pytest.raises(ValueError, match="WARROOM_STATUS_PAGES") as caught:
        status_pages_from_env({"WARROOM_STATUS_PAGES": value})
    assert message in str(caught.value)


def test_the_playbooks_pages_are_the_default():
    @dataclass
    class Page:
        name: str
        url: str

    @dataclass
    class Playbook:
        status_pages: list[Page]

    mine = Playbook([Page("GitHub", "https://www.githubstatus.com/api/v2/summary.json")])
    assert playbook_status_pages(mine) == {"GitHub": mine.status_pages[0].url}
    assert playbook_status_pages(Playbook([])) == DEFAULT_STATUS_PAGES
    assert playbook_status_pages(object()) == DEFAULT_STATUS_PAGES  # before issue #4's section
    assert playbook_status_pages(default_playbook()) == DEFAULT_STATUS_PAGES


# -- fetch_status (respx) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "indicator"),
    [
        ("operational", "none"),
        ("minor_degraded", "minor"),
        ("major_incident", "major"),
        ("maintenance", "maintenance"),
        ("wrong_shape", "unknown"),
        ("unknown_status", "unknown"),
    ],
)
@respx.mock
def test_fetch_a_summary(client: httpx.Client, fixture: str, indicator: str):
    respx.get(URL).respond(200, content=body(fixture))
    status = fetch_status(client, "Example", URL, NOW)
    assert status.indicator == indicator
    assert status.name == "Example"
    assert status.url_label == "status.example.com"
    assert status.checked_at == NOW


def fetch_with(client: httpx.Client, **route: Any) -> tuple[str, str]:
    with respx.mock:
        respx.get(URL).mock(**route)
        status = fetch_status(client, "Example", URL, NOW)
    return status.indicator, status.error


def test_an_http_error_is_unknown(client: httpx.Client):
    response = httpx.Response(503, text="Service Unavailable")
    assert fetch_with(client, return_value=response) == ("unknown", "HTTP 503")
    response = httpx.Response(404, json={"error": "no"})
    assert fetch_with(client, return_value=response) == ("unknown", "HTTP 404")


def test_a_timeout_is_unknown(client: httpx.Client):
    assert fetch_with(client, side_effect=httpx.ConnectTimeout) == (
        "unknown",
        "timeout after 5s",
    )
    with respx.mock:
        respx.get(URL).mock(side_effect=httpx.ReadTimeout)
        status = fetch_status(client, "Example", URL, NOW, timeout=2.5)
    assert status.error == "timeout after 2.5s"


def test_no_network_is_unknown(client: httpx.Client):
    assert fetch_with(client, side_effect=httpx.ConnectError) == ("unknown", "cannot connect")
    assert fetch_with(client, side_effect=httpx.RemoteProtocolError) == (
        "unknown",
        "request failed (RemoteProtocolError)",
    )


def test_not_json_is_unknown(client: httpx.Client):
    html = httpx.Response(200, content=body("not_json"))
    assert fetch_with(client, return_value=html) == ("unknown", "not JSON")
    binary = httpx.Response(200, content=b"\xff\xfe\x00garbage")
    assert fetch_with(client, return_value=binary) == ("unknown", "not JSON")
    deep = httpx.Response(200, content=b"[" * 100_000)
    assert fetch_with(client, return_value=deep) == ("unknown", "not JSON")


def test_a_huge_body_is_not_read_to_the_end(client: httpx.Client, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(statuspage, "MAX_BYTES", 1000)
    huge = httpx.Response(200, content=b" " * 5000)
    assert fetch_with(client, return_value=huge) == ("unknown", "response too large")


def test_a_bad_url_is_unknown_not_an_exception(client: httpx.Client):
    status = fetch_status(client, "Example", "ftp://127.0.0.1/summary.json", NOW)
    assert status.error == "request failed (UnsupportedProtocol)"
    status = fetch_status(client, "Example", "http://[::1/summary.json", NOW)
    assert status.indicator == "unknown" and status.error.startswith("cannot fetch")


@respx.mock
def test_redirects_are_followed():
    respx.get(URL).respond(301, headers={"Location": "https://status.example.com/v2.json"})
    respx.get("https://status.example.com/v2.json").respond(200, content=body("operational"))
    with statuspage.new_client() as client:
        assert fetch_status(client, "Example", URL, NOW).indicator == "none"


# -- Radar (respx) -------------------------------------------------------------------------


@respx.mock
def test_radar_polls_every_page_and_says_what_changed(client: httpx.Client):
    stripe = respx.get("https://stripe.test/summary.json")
    vercel = respx.get("https://vercel.test/summary.json")
    supabase = respx.get("https://supabase.test/summary.json")
    stripe.respond(200, content=body("operational"))
    vercel.respond(200, content=body("minor_degraded"))
    supabase.mock(side_effect=httpx.ConnectTimeout)
    radar = Radar(
        {
            "Stripe": "https://stripe.test/summary.json",
            "Vercel": "https://vercel.test/summary.json",
            "Supabase": "https://supabase.test/summary.json",
        }
    )
    assert radar.statuses == []

    statuses, lines = radar.poll(client, NOW)
    assert [(s.name, s.indicator) for s in statuses] == [
        ("Stripe", "none"),
        ("Vercel", "minor"),
        ("Supabase", "unknown"),
    ]
    assert lines == [  # Supabase was never reached: the Dependencies pane shows it, not this
        "Vercel: minor: Partially Degraded Service",
        "Vercel: Builds & Deployments / Washington, D.C. (iad1) degraded performance",
    ]
    assert radar.statuses == statuses

    statuses, lines = radar.poll(client, NOW)
    assert lines == []

    stripe.respond(200, content=body("major_incident"))
    supabase.mock(side_effect=None).respond(200, content=body("operational"))
    _, lines = radar.poll(client, NOW)
    assert lines == [
        "Stripe: major: Partial System Outage",
        "Stripe: API partial outage",
        "Stripe: Webhooks major outage",
        "Stripe: incident 'Elevated API errors' (investigating)",
        # Supabase's first answer: all good, so nothing to say (it was never "known" before).
    ]

    supabase.mock(side_effect=httpx.ConnectTimeout)  # reached once: now losing it is news
    _, lines = radar.poll(client, NOW)
    assert lines == ["Supabase: status unknown (timeout after 5s)"]
    supabase.mock(side_effect=None).respond(200, content=body("operational"))
    _, lines = radar.poll(client, NOW)
    assert lines == ["Supabase: status known again: all systems operational"]


@respx.mock
def test_offline_the_first_polls_log_nothing(client: httpx.Client):
    """Issue 8: offline, the first poll logged three "status unknown" entries."""
    pages = {name: f"https://{name.lower()}.test/summary.json" for name in DEFAULT_STATUS_PAGES}
    routes = {name: respx.get(url) for name, url in pages.items()}
    for route in routes.values():
        route.mock(side_effect=httpx.ConnectError)
    radar = Radar(pages)
    for _ in range(3):
        statuses, lines = radar.poll(client, NOW)
        assert lines == []
        assert [(s.name, s.summary) for s in statuses] == [  # the pane still shows them
            (name, "unknown (cannot connect)") for name in pages
        ]
    routes["Vercel"].mock(side_effect=None).respond(200, content=body("minor_degraded"))
    _, lines = radar.poll(client, NOW)
    assert lines == [  # the first answer is a first look: a problem says itself
        "Vercel: minor: Partially Degraded Service",
        "Vercel: Builds & Deployments / Washington, D.C. (iad1) degraded performance",
    ]


def test_a_radar_without_pages_does_nothing(client: httpx.Client):
    assert Radar({}).poll(client, NOW) == ([], [])


def test_record_logs_each_line_as_a_radar_note(store: Store):
    incident = store.declare("Checkout failing", 2)
    lines = ["Stripe: API partial outage", "Stripe: incident 'Elevated API errors' (investigating)"]
    assert record(store, incident.id, lines) == 2
    radar = [e for e in store.timeline(incident.id) if e.author == "radar"]
    assert [(e.kind, e.text) for e in radar] == [(EntryKind.NOTE, line) for line in lines]
    assert record(store, incident.id, []) == 0


def test_record_writes_nothing_into_a_closed_or_unknown_incident(store: Store):
    incident = store.declare("Checkout failing", 2)
    store.close(incident.id)
    assert record(store, incident.id, ["Stripe: API partial outage"]) == 0
    assert record(store, "INC-1999-01-01-1", ["Stripe: API partial outage"]) == 0
    assert [e for e in store.timeline(incident.id) if e.author == "radar"] == []


def test_record_raises_when_the_database_cannot_be_written(store: Store, db_path):
    incident = store.declare("Checkout failing", 2)
    observer = Store(db_path, store.playbook, read_only=True)
    with pytest.raises(StoreError, match="read-only"):
        record(observer, incident.id, ["Stripe: API partial outage"])
    observer.dispose()


# -- a real HTTP server on 127.0.0.1 ---------------------------------------------------------


@dataclass
class LocalPages:
    """Status pages served on 127.0.0.1: path -> (HTTP status, body, seconds to stall)."""

    base: str
    routes: dict[str, tuple[int, bytes, float]] = field(default_factory=dict)
    trickle: dict[str, float] = field(default_factory=dict)  # path -> seconds between pieces

    def serve(self, path: str, fixture: str) -> str:
        self.routes[path] = (200, body(fixture), 0.0)
        return self.base + path


SLOW = 5.0  # seconds a stalled page waits (released at teardown); the clients wait 1.5 s
TIMEOUT = 1.5  # generous: a loaded CI machine must not make a healthy page time out


@pytest.fixture
def pages() -> Iterator[LocalPages]:
    routes: dict[str, tuple[int, bytes, float]] = {}
    trickle: dict[str, float] = {}
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, content, stall = routes.get(self.path, (404, b"no such page", 0.0))
            if stall:
                release.wait(stall)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                pause = trickle.get(self.path)
                if pause is None:
                    self.wfile.write(content)
                for start in range(0, len(content) if pause else 0, 30):
                    self.wfile.write(content[start : start + 30])
                    self.wfile.flush()
                    if release.wait(pause):
                        break
            except OSError:  # the client gave up waiting
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield LocalPages(f"http://127.0.0.1:{server.server_address[1]}", routes, trickle)
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_radar_against_a_real_server(pages: LocalPages, client: httpx.Client, store: Store):
    incident = store.declare("Payments failing", 1)
    radar = Radar(
        {
            "Stripe": pages.serve("/stripe/api/v2/summary.json", "operational"),
            "Vercel": pages.serve("/vercel/api/v2/summary.json", "operational"),
            "Supabase": pages.base + "/supabase/api/v2/summary.json",
            "Down": pages.base + "/down",
            "Html": pages.base + "/html",
        },
        timeout=TIMEOUT,
    )
    pages.routes["/supabase/api/v2/summary.json"] = (200, body("operational"), SLOW)
    pages.routes["/down"] = (503, b"Service Unavailable", 0.0)
    pages.routes["/html"] = (200, body("not_json"), 0.0)

    started = time.monotonic()
    statuses, lines = radar.poll(client, NOW)
    took = time.monotonic() - started
    assert [(s.name, s.indicator, s.error) for s in statuses] == [
        ("Stripe", "none", ""),
        ("Vercel", "none", ""),
        ("Supabase", "unknown", "timeout after 1.5s"),
        ("Down", "unknown", "HTTP 503"),
        ("Html", "unknown", "not JSON"),
    ]
    assert statuses[0].url_label == pages.base.removeprefix("http://")
    # Not waiting for the stalled page (it holds its answer for SLOW seconds).
    assert took < SLOW, "a stalled page is given up on after the timeout"
    assert lines == []  # pages never read are for the Dependencies pane, not the record
    record(store, incident.id, lines)

    pages.serve("/stripe/api/v2/summary.json", "major_incident")
    _, lines = radar.poll(client, NOW)
    assert lines == [
        "Stripe: major: Partial System Outage",
        "Stripe: API partial outage",
        "Stripe: Webhooks major outage",
        "Stripe: incident 'Elevated API errors' (investigating)",
    ]
    record(store, incident.id, lines)

    pages.serve("/stripe/api/v2/summary.json", "operational")
    pages.serve("/supabase/api/v2/summary.json", "maintenance")
    _, lines = radar.poll(client, NOW)
    assert lines == [
        "Stripe: all systems operational again",
        "Stripe: incident 'Elevated API errors' resolved",
        "Supabase: maintenance: Service Under Maintenance",  # its first answer: a first look
        "Supabase: Database under maintenance",
        "Supabase: maintenance 'Database engine upgrade (eu-west-1)' (in progress)",
    ]
    record(store, incident.id, lines)

    logged = [e.text for e in store.timeline(incident.id) if e.author == "radar"]
    assert len(logged) == 9
    assert logged[0] == "Stripe: major: Partial System Outage"


def test_a_page_that_trickles_is_cut_off(pages: LocalPages, client: httpx.Client):
    url = pages.serve("/trickle", "major_incident")  # about 1.5 kB: 50 pieces, 2.5 s in all
    pages.trickle["/trickle"] = 0.05  # each read well within the timeout...
    started = time.monotonic()
    status = fetch_status(client, "Slow", url, NOW, timeout=0.2)
    assert status.error == "timeout after 0.4s"  # ...but not the whole
    assert time.monotonic() - started < 2.5  # the whole page takes 2.5 s to trickle in


# -- `warroom deps` ------------------------------------------------------------------------


def deps_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="warroom")
    cli_deps.add_parsers(parser.add_subparsers(dest="command"), [])
    return parser.parse_args(["deps", *argv])


@pytest.fixture
def deps_env(pages: LocalPages, monkeypatch: pytest.MonkeyPatch) -> LocalPages:
    for var in PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv(
        "WARROOM_STATUS_PAGES",
        ",".join(
            [
                "Stripe=" + pages.serve("/stripe", "operational"),
                "Vercel=" + pages.serve("/vercel", "minor_degraded"),
                "Supabase=" + pages.base + "/supabase",
            ]
        ),
    )
    pages.routes["/supabase"] = (200, body("operational"), SLOW)
    return pages


def test_deps_prints_one_block_per_page(deps_env: LocalPages, capsys: pytest.CaptureFixture[str]):
    args = deps_args("--timeout", str(TIMEOUT))
    assert args.needs_store is False
    assert args.run(None, args) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out == (
        "Stripe      ● operational\n"
        "Vercel      ▲ minor: Partially Degraded Service\n"
        "              Builds & Deployments / Washington, D.C. (iad1): degraded performance\n"
        "Supabase    ? unknown (timeout after 1.5s)\n"
    )


def test_deps_json(deps_env: LocalPages, capsys: pytest.CaptureFixture[str]):
    deps_env.serve("/stripe", "major_incident")
    args = deps_args("--json", "--timeout", str(TIMEOUT))
    assert args.run(None, args) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(d["name"], d["indicator"], d["error"]) for d in data] == [
        ("Stripe", "major", ""),
        ("Vercel", "minor", ""),
        ("Supabase", "unknown", "timeout after 1.5s"),
    ]
    assert data[0]["url"] == deps_env.base + "/stripe"
    assert data[0]["incidents"] == [
        {
            "name": "Elevated API errors",
            "status": "investigating",
            "impact": "major",
            "shortlink": "https://stspg.io/abc123",
        }
    ]
    assert data[0]["components"][0] == {"name": "API", "status": "partial_outage"}
    assert data[0]["checked_at"].endswith("Z")


def test_deps_with_bad_configuration_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("WARROOM_STATUS_PAGES", "Stripe status.stripe.com")
    args = deps_args()
    assert args.run(None, args) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("warroom: error: WARROOM_STATUS_PAGES: item 1") and err.count("\n") == 1


def test_deps_with_a_bad_playbook_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.delenv("WARROOM_STATUS_PAGES", raising=False)
    monkeypatch.setenv("WARROOM_PLAYBOOK", str(tmp_path / "missing.toml"))
    args = deps_args()
    assert args.run(None, args) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("warroom: error: ") and "missing.toml" in err


def test_deps_rejects_a_bad_timeout(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as caught:
        deps_args("--timeout", "soon")
    assert caught.value.code == 2


def test_deps_through_main_needs_no_database(
    deps_env: LocalPages,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    from warroom.cli import main

    db = tmp_path / "never" / "warroom.db"
    monkeypatch.setenv("WARROOM_DB", str(db))
    assert main(["deps", "--timeout", str(TIMEOUT)]) == 0
    assert capsys.readouterr().out.startswith("Stripe      ● operational\n")
    assert not db.exists()
    monkeypatch.setenv("WARROOM_STATUS_PAGES", "nonsense")
    assert main(["deps"]) == 1


def test_status_pages_none_turns_the_radar_off() -> None:
    from warroom.integrations.statuspage import status_pages_from_env

    assert status_pages_from_env({"WARROOM_STATUS_PAGES": "none"}) == {}
    assert status_pages_from_env({"WARROOM_STATUS_PAGES": " OFF "}) == {}


async def test_the_war_room_shows_the_radar_off_and_polls_no_more(make_app, monkeypatch) -> None:
    from warroom.tui.widgets.dependencies import DependenciesPane

    monkeypatch.setenv("WARROOM_STATUS_PAGES", "none")
    app = make_app(radar=True)
    async with app.run_test(size=(160, 48)) as pilot:
        for _ in range(40):
            await pilot.pause(0.05)
            if "radar off" in str(app.main.query_one(DependenciesPane).render()):
                break
        assert "status radar off" in str(app.main.query_one(DependenciesPane).render())
        assert not [w for w in app.workers if w.group == "radar" and w.is_running]
