"""End to end: the real `warroom` process in a real terminal (tmux on a private socket).

What only this can show: keys typed into a real pty reach the right widget, what the IC saw as
logged survives `kill -9`, and a bad database path is one clear line on stderr.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux"),
]

WIDTH, HEIGHT = 160, 48
TIMEOUT = 15.0
POLL = 0.05
ID = re.compile(r"INC-\d{4}-\d{2}-\d{2}-\d+")

# A private configuration: no user ~/.tmux.conf; no status line, so that all the rows are the
# app's; a dead pane stays, so that its exit status can be read.
TMUX_CONF = """\
set -g status off
set -g remain-on-exit on
set -g history-limit 0
"""


def warroom_command() -> list[str]:
    """The console script installed beside this Python, else the module."""
    script = Path(sys.executable).parent / "warroom"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "warroom"]


def clean_env() -> dict[str, str]:
    """This process's environment, passed explicitly, without what would change the outcome.

    Explicitly, because with `env=None` a child inherits the C-level environment, where GNU
    readline (imported early by pytest's capture plugin) has put COLUMNS=80 and LINES=24:
    Textual believes those over the terminal, and would draw 80x24 in a 160x48 pane.
    """
    unwanted = ("COLUMNS", "LINES", "TMUX", "TMUX_PANE")
    return {
        k: v for k, v in os.environ.items() if k not in unwanted and not k.startswith("WARROOM_")
    }


def cli_env() -> dict[str, str]:
    return {**clean_env(), "WARROOM_USER": "e2e"}


def cli(db: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """`warroom --db DB ARGV...` as a script would run it."""
    return subprocess.run(
        [*warroom_command(), "--db", str(db), *argv],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=cli_env(),
        timeout=30,
        check=False,
    )


def show_json(db: Path, incident_id: str) -> dict[str, Any]:
    result = cli(db, "show", incident_id, "--json")
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


class Tmux:
    """One private tmux server; each war room runs in a session of its own."""

    def __init__(self, socket: str, config: Path) -> None:
        self.socket = socket
        self.config = config
        self.socket_path: Path | None = None

    def run(self, *args: str, check: bool = True) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, "-f", str(self.config), *args],
            capture_output=True,
            text=True,
            env=clean_env(),
            timeout=10,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def start(self, session: str, db: Path) -> str:
        """Open the war room on DB in a new WIDTHxHEIGHT session; the target to drive it by."""
        env = {
            "COLORTERM": "truecolor",
            "TEXTUAL_ANIMATIONS": "none",
            "WARROOM_DB": str(db),
            "WARROOM_USER": "e2e",
        }
        options = [arg for name, value in env.items() for arg in ("-e", f"{name}={value}")]
        command = [*warroom_command(), "--db", str(db)]
        size = ["-x", str(WIDTH), "-y", str(HEIGHT)]
        self.run("new-session", "-d", "-s", session, *size, *options, *command)
        target = f"{session}:0.0"
        self.socket_path = self.socket_path or Path(self.pane(target, "#{socket_path}"))
        return target

    def screen(self, target: str) -> str:
        return self.run("capture-pane", "-p", "-t", target)

    def type(self, target: str, text: str) -> None:
        self.run("send-keys", "-t", target, "-l", text)

    def keys(self, target: str, *keys: str) -> None:
        self.run("send-keys", "-t", target, *keys)

    def line(self, target: str, text: str) -> None:
        """Type a line into the entry and press Enter."""
        self.type(target, text)
        self.keys(target, "Enter")

    def pane(self, target: str, fmt: str) -> str:
        return self.run("display-message", "-p", "-t", target, fmt).strip()

    def ended(self, target: str) -> tuple[bool, str]:
        """Whether the pane's process has ended, and how ("status 0", "signal 9" or "")."""
        dead, status, signal = self.pane(
            target, "#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}"
        ).split(":")
        how = f"status {status}" if status else f"signal {signal}" if signal else ""
        return dead == "1", how

    def kill_server(self) -> None:
        self.run("kill-server", check=False)
        if self.socket_path is not None:  # not always removed by the server as it goes
            self.socket_path.unlink(missing_ok=True)


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    config = tmp_path / "tmux.conf"
    config.write_text(TMUX_CONF)
    server = Tmux(f"warroom-e2e-{secrets.token_hex(4)}", config)
    try:
        yield server
    finally:
        server.kill_server()


Check = Callable[[str], bool]


def wait_for(
    tmux: Tmux,
    target: str,
    what: str | re.Pattern[str] | Check,
    timeout: float = TIMEOUT,
    label: str = "",
) -> str:
    """Poll the screen until WHAT (text, regex or predicate) is on it; the screen.

    LABEL says what a predicate waits for, for the failure message.
    """
    if isinstance(what, str):
        text = what
        description = repr(text)
        check: Check = lambda screen: text in screen  # noqa: E731
    elif isinstance(what, re.Pattern):
        description = f"/{what.pattern}/"
        check = lambda screen: what.search(screen) is not None  # noqa: E731
    else:
        description = label or getattr(what, "__name__", "a condition")
        check = what
    deadline = time.monotonic() + timeout
    polls = 0
    while True:
        screen = tmux.screen(target)
        if check(screen):
            return screen
        polls += 1
        # A crashed war room will not draw what we wait for: say so at once.
        if polls % 20 == 0 or time.monotonic() > deadline:
            dead, how = tmux.ended(target)
            if dead:
                pytest.fail(f"warroom exited ({how}) while waiting for {description}:\n{screen}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {description}:\n{screen}")
        time.sleep(POLL)


def full_size(screen: str) -> bool:
    """The app fills the pane: the row under the header is a border from edge to edge."""
    lines = screen.splitlines()
    return len(lines) == HEIGHT and len(lines[1]) == WIDTH


def centred_in_full_width(screen: str, title: str) -> bool:
    """A dialog drawn in the middle of the whole pane (not of a stale 80x24 one)."""
    lines = screen.splitlines()
    border = next((line for line in lines if title in line), "")
    if "█" not in border:
        return False
    # The dialog's own frame, whatever the war room behind it shows either side.
    left = border.index("█")
    right = WIDTH - (border.rindex("█") + 1)
    return len(lines) == HEIGHT and left > 0 and abs(left - right) <= 2


def wait_exit(tmux: Tmux, target: str, timeout: float = TIMEOUT) -> str:
    """Wait for the pane's process to end; how it ended, "" when tmux did not see that."""
    deadline = time.monotonic() + timeout
    while True:
        dead, how = tmux.ended(target)
        if dead:
            # tmux marks the pane dead on the pty's EOF and learns the status a moment later.
            if not how and time.monotonic() < deadline:
                time.sleep(POLL)
                dead, how = tmux.ended(target)
            return how
        if time.monotonic() > deadline:
            pytest.fail(f"warroom still running after {timeout:.0f} s:\n{tmux.screen(target)}")
        time.sleep(POLL)


def quit_war_room(tmux: Tmux, target: str) -> None:
    """Ctrl+Q, and the war room leaves cleanly: status 0 and no traceback."""
    tmux.keys(target, "C-q")
    how = wait_exit(tmux, target)
    screen = tmux.screen(target)
    assert how in ("status 0", ""), f"warroom exited with {how}:\n{screen}"
    assert "Traceback" not in screen and "Error" not in screen, screen


def _cmdline(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    return [arg.decode(errors="replace") for arg in raw.split(b"\0") if arg]


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = task / "children"
        if children.exists():
            found += [int(child) for child in children.read_text().split()]
    return found


def _is_warroom(argv: list[str]) -> bool:
    names = [Path(arg).name for arg in argv[:3]]
    return "warroom" in names or argv[1:3] == ["-m", "warroom"]


def warroom_pid(tmux: Tmux, target: str) -> int:
    """The warroom process in the pane: the pane's process itself, or a shell's child."""
    pid = int(tmux.pane(target, "#{pane_pid}"))
    for _ in range(3):
        if _is_warroom(_cmdline(pid)):
            return pid
        children = _children(pid)
        if len(children) != 1:
            break
        pid = children[0]
    raise AssertionError(f"no warroom process in the pane (pid {pid}: {_cmdline(pid)})")


def running(pid: int) -> bool:
    """Still there and not a zombie.

    tmux 3.3 sometimes leaves a killed pane's process unreaped (a zombie keeps its /proc entry
    but runs no code and holds no files), and then has no exit status for the pane either.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


# -- a. what was logged survives kill -9 ----------------------------------------------------


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
def test_entry_survives_kill_9(tmux: Tmux, tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    declared = cli(db, "declare", "--sev", "1", "--title", "Checkout down")
    assert declared.returncode == 0, declared.stderr
    incident_id = declared.stdout.strip()
    assert ID.fullmatch(incident_id), declared.stdout

    first = tmux.start("before", db)
    screen = wait_for(
        tmux, first, lambda s: "Checkout down" in s and "Timeline" in s, label="title, Timeline"
    )
    assert full_size(screen), screen
    tmux.line(first, "db failover started 1234")
    logged = re.compile(r"\b\d{2}:\d{2}\b\s+db failover started 1234")
    wait_for(tmux, first, logged)

    pid = warroom_pid(tmux, first)
    os.kill(pid, 9)
    how = wait_exit(tmux, first)
    assert how in ("signal 9", ""), how
    deadline = time.monotonic() + TIMEOUT
    while running(pid):
        assert time.monotonic() < deadline, f"warroom pid {pid} still there after kill -9"
        time.sleep(POLL)

    entries = [(e["text"], e["author"]) for e in show_json(db, incident_id)["timeline"]]
    assert ("db failover started 1234", "e2e") in entries

    again = tmux.start("after", db)
    wait_for(tmux, again, logged)
    header = wait_for(
        tmux,
        again,
        lambda s: "SEV-1" in s.splitlines()[0] and incident_id in s.splitlines()[0],
        label=f"SEV-1 and {incident_id} in the header",
    ).splitlines()[0]
    assert "Checkout down" in header
    quit_war_room(tmux, again)


# -- b. an incident from declaration to review, all through the keyboard --------------------


def test_incident_commander_flow(tmux: Tmux, tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    room = tmux.start("ic", db)

    def header(screen: str) -> str:
        return screen.splitlines()[0] if screen else ""

    # The severity's definition shows once the dialog has mounted and its title has focus.
    # A loaded machine may capture a frame mid-layout: wait for the settled one.
    wait_for(
        tmux,
        room,
        lambda s: (
            "Declare incident" in s
            and "Complete service outage" in s
            and centred_in_full_width(s, "Declare incident")
        ),
        label="the declare dialog, mounted and centred",
    )
    tmux.type(room, "Login fails for EU users")
    wait_for(tmux, room, "Login fails for EU users")
    tmux.keys(room, "C-s")
    declared = wait_for(
        tmux, room, lambda s: "Login fails for EU users" in header(s), label="title in header"
    )
    found = ID.search(header(declared))
    assert found, declared
    incident_id = found[0]

    tmux.line(room, "auth-service 5xx since deploy 4411")
    wait_for(tmux, room, re.compile(r"\d{2}:\d{2}\s+auth-service 5xx since deploy 4411"))
    tmux.line(room, "/assign ic alice")
    wait_for(tmux, room, re.compile(r"IC\s+@alice"))
    tmux.line(room, "/sev 2")
    wait_for(tmux, room, lambda s: "SEV-2" in header(s), label="SEV-2 in the header")
    tmux.line(room, "/status mitigating")
    wait_for(tmux, room, lambda s: "MITIGATING" in header(s), label="MITIGATING in the header")

    tmux.keys(room, "F9")
    screen = wait_for(tmux, room, "space Tick")  # the footer: the checklist has focus
    # F9 highlights the first open item. Acknowledging (declaring counts) and taking IC
    # ticked theirs by themselves; "Assess severity" is the IC's to tick.
    done = re.search(r"Checklist (\d+)/\d+", screen)
    assert done is not None and "[x] Acknowledge immediately" in screen
    tmux.keys(room, "Space")
    wait_for(tmux, room, re.compile(rf"Checklist {int(done.group(1)) + 1}/\d+"))
    wait_for(tmux, room, "[x] Assess severity")
    # Escape alone: what follows at once would read as Alt+key. Wait for the entry to have focus.
    tmux.keys(room, "Escape")
    wait_for(tmux, room, lambda s: "space Tick" not in s, label="focus back on the entry")

    tmux.line(room, "/close")
    wait_for(
        tmux,
        room,
        lambda s: f"Close {incident_id}: post-incident review" in s and "Close incident" in s,
        label="the close dialog, mounted to its buttons",
    )
    tmux.keys(room, "C-s")
    wait_for(tmux, room, "Review written")

    reviews = sorted((db.parent / "reviews").glob("*.md"))
    assert len(reviews) == 1, reviews
    assert reviews[0].read_text().startswith("# Incident Review:")
    data = show_json(db, incident_id)
    assert data["status"] == "closed"
    assert data["severity"] == 2
    holders = [(r["role"], r["name"]) for r in data["roles"] if r["until"] is None]
    assert holders == [("ic", "alice")]  # e2e declared (and was IC), then handed off
    ticked = {item["text"]: item["done_by"] for item in data["checklist"] if item["done"]}
    assert set(ticked.values()) == {"e2e"}
    assert "Assess severity - Determine SEV level (1, 2, or 3)" in ticked
    assert "Resolve - Verify fix and monitor" in ticked  # closing resolved it
    texts = [e["text"] for e in data["timeline"]]
    assert "auth-service 5xx since deploy 4411" in texts
    quit_war_room(tmux, room)


# -- c. a path that cannot be a database ----------------------------------------------------


def test_directory_as_database_is_one_clear_error(tmp_path: Path) -> None:
    result = cli(tmp_path)
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("warroom: error: ")
    assert str(tmp_path) in lines[0]


# -- c. a burst and a paste through a real pty -----------------------------------------------


def _declared(tmux: Tmux, tmp_path: Path, session: str) -> tuple[Path, str, str]:
    db = tmp_path / "w.db"
    declared = cli(db, "declare", "--sev", "1", "--title", "Checkout down")
    assert declared.returncode == 0, declared.stderr
    target = tmux.start(session, db)
    wait_for(tmux, target, lambda s: "Checkout down" in s and "Timeline" in s, label="Timeline")
    return db, declared.stdout.strip(), target


def _texts(db: Path, incident_id: str) -> list[str]:
    return [e["text"] for e in show_json(db, incident_id)["timeline"]]


def test_forty_lines_in_one_burst_are_forty_entries_in_order(tmux: Tmux, tmp_path: Path) -> None:
    db, incident_id, target = _declared(tmux, tmp_path, "burst")
    lines = [f"b-{n:02d} step {n}" for n in range(40)]
    tmux.type(target, "".join(f"{line}\r" for line in lines))  # one write to the pty
    wait_for(tmux, target, "b-39 step 39")
    deadline = time.monotonic() + TIMEOUT
    while (found := [t for t in _texts(db, incident_id) if t.startswith("b-")]) != lines:
        assert time.monotonic() < deadline, found
        time.sleep(0.2)
    quit_war_room(tmux, target)


def test_a_pasted_block_of_three_lines_is_three_entries(tmux: Tmux, tmp_path: Path) -> None:
    db, incident_id, target = _declared(tmux, tmp_path, "paste")
    tmux.run("set-buffer", "-b", "wr", "p-1 first\np-2 second\np-3 third")
    tmux.run("paste-buffer", "-p", "-b", "wr", "-t", target)  # bracketed, as terminals paste
    wait_for(tmux, target, "Pasted 3 lines")
    tmux.keys(target, "Enter")  # "Log as 3 entries"
    wait_for(tmux, target, lambda s: "Pasted 3 lines" not in s, label="the question gone")
    expected = ["p-1 first", "p-2 second", "p-3 third"]
    deadline = time.monotonic() + TIMEOUT
    while (found := [t for t in _texts(db, incident_id) if t.startswith("p-")]) != expected:
        assert time.monotonic() < deadline, found
        time.sleep(0.2)
    quit_war_room(tmux, target)
