"""Shared plumbing for the benchmarks: a private tmux server, screen polling, statistics.

Not a benchmark itself. The scripts in this directory import it (Python puts the script's
directory first on sys.path), so each stays runnable as `python bench/NAME.py`.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from warroom.store.target import DatabaseTarget

BENCH_DIR = Path(__file__).resolve().parent
BASELINE_APP = BENCH_DIR / "_baseline_app.py"
COLS, ROWS = 160, 48
TMUX = shutil.which("tmux") or "/usr/bin/tmux"

# A line of the timeline pane: the border, then the entry's HH:MM (or MM-DD HH:MM).
TIMELINE_LINE = re.compile(r"^│(?:\d\d-\d\d )?\d\d:\d\d ")


def warroom_command() -> list[str]:
    """The console script beside this interpreter (any venv), else `python -m warroom`."""
    script = Path(sys.executable).parent / "warroom"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "warroom"]


def baseline_command(*args: str) -> list[str]:
    return [sys.executable, str(BASELINE_APP), *args]


def run_cli(*args: str, env: dict[str, str] | None = None) -> str:
    """Run `warroom ARGS`, return its stdout; raise with its stderr on failure."""
    proc = subprocess.run(
        [*warroom_command(), *args], capture_output=True, text=True, env=env, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"warroom {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout


def bench_env(home: Path) -> dict[str, str]:
    """The environment for the processes under test: no user config or data leaks in.

    They get a private bytecode cache in HOME (filled by each script's warm-up run), as a
    user's install has: with PYTHONDONTWRITEBYTECODE set (CI images, some sandboxes) an
    editable warroom would otherwise be compiled from source at every start, and nothing
    is written beside the sources.
    """
    env = dict(os.environ)
    for name in ("WARROOM_DB", "WARROOM_PLAYBOOK", "TEXTUAL", "TEXTUAL_ANIMATIONS"):
        env.pop(name, None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
    env["WARROOM_USER"] = "bench"
    env["XDG_DATA_HOME"] = str(home / "data")
    return env


def make_incident(
    db: Path | DatabaseTarget, title: str, entries: int = 0, last: str = "", batch: int = 5000
) -> str:
    """Declare a SEV-2 incident in DB, add ENTRIES bulk notes (Store.log_many in batches)
    and then LAST as the newest entry; return the incident's ID."""
    from warroom.playbook import default_playbook
    from warroom.store.store import Store

    store = Store(db, default_playbook(), author="bench")
    try:
        incident = store.declare(title, 2)
        for start in range(0, entries, batch):
            count = min(batch, entries - start)
            store.log_many(
                incident.id,
                (f"bulk entry {n:06d}: p99 latency 2.3s on checkout-api" for n in range(count)),
            )
        if last:
            store.log(incident.id, last)
        return incident.id
    finally:
        store.dispose()


@contextmanager
def temp_dir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# -- statistics --------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:.1f} ms"


def latency_row(
    label: str, values: Sequence[float], base: float, label_width: int, ratio_width: int
) -> str:
    """One row of a latency table: median, p95, min, max and the median's ratio to `base`."""
    return (
        f"  {label:<{label_width}}{fmt_ms(median(values)):>10}{fmt_ms(p95(values)):>10}"
        f"{fmt_ms(min(values)):>10}{fmt_ms(max(values)):>10}"
        f"{median(values) / base:>{ratio_width}.2f}x"
    )


# -- processes ---------------------------------------------------------------------------


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def peak_rss_kb(pid: int) -> int:
    """VmHWM: the process's peak resident set, in kB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for pid {pid}")


def wait_gone(pid: int, timeout: float = 5.0) -> None:
    """Wait for a process we started to exit; SIGKILL it (by its pid) if it does not."""
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() > deadline:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)
            return
        time.sleep(0.01)


# -- tmux --------------------------------------------------------------------------------


class Tmux:
    """A private tmux server (its own socket, no user config) for one benchmark script.

    A holder session keeps the server up between measured sessions, so server start-up is
    not in any figure. Panes stay after their process exits (remain-on-exit), so a crash
    leaves its traceback on screen for the error message.
    """

    def __init__(self, tag: str, env: dict[str, str] | None = None) -> None:
        self.socket = f"warroom-bench-{tag}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._env = env  # the server's, hence every session's, environment
        self._count = 0
        self._pids: dict[str, int] = {}
        self._tmux("new-session", "-d", "-s", "holder", "-x", "80", "-y", "24", "sleep 3600")
        self._socket_path = self._tmux("display-message", "-p", "#{socket_path}").strip()
        self._tmux("set-option", "-g", "remain-on-exit", "on")
        self._tmux("set-option", "-g", "history-limit", "0")

    def _tmux(self, *args: str, check: bool = True) -> str:
        proc = subprocess.run(
            [TMUX, "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            env=self._env,
            check=False,
        )
        if check and proc.returncode != 0:
            raise RuntimeError(f"tmux {args[0]} failed: {proc.stderr.strip()}")
        return proc.stdout

    def start(self, command: Sequence[str]) -> tuple[str, float]:
        """Start COMMAND in a new 160x48 session; return (session, monotonic time of spawn)."""
        self._count += 1
        name = f"run{self._count}"
        args = ["new-session", "-d", "-s", name, "-x", str(COLS), "-y", str(ROWS)]
        args += ["-e", "COLORTERM=truecolor", "-P", "-F", "#{pane_pid}"]
        line = " ".join(_quote(part) for part in command)
        spawned = time.monotonic()
        pid = self._tmux(*args, line).strip()
        self._pids[name] = int(pid)
        return name, spawned

    def pid(self, session: str) -> int:
        return self._pids[session]

    def capture(self, session: str) -> str:
        return subprocess.run(
            [TMUX, "-L", self.socket, "capture-pane", "-p", "-t", session],
            capture_output=True,
            text=True,
            check=False,
        ).stdout

    def send_text(self, session: str, text: str) -> None:
        self._tmux("send-keys", "-t", session, "-l", text)

    def send_key(self, session: str, key: str) -> None:
        self._tmux("send-keys", "-t", session, key)

    def wait_for(
        self,
        session: str,
        found: Callable[[str], bool],
        timeout: float,
        interval: float,
        what: str,
    ) -> float:
        """Poll the screen until `found(screen)`; return the monotonic time it was seen.

        The time is taken when the successful capture returns: an upper bound, which
        includes one capture (~2-3 ms: a tmux client process) of polling overhead.
        """
        deadline = time.monotonic() + timeout
        while True:
            screen = self.capture(session)
            now = time.monotonic()
            if found(screen):
                return now
            if now > deadline:
                raise RuntimeError(f"timed out waiting for {what}; screen:\n{screen}")
            if not pid_alive(self._pids[session]):
                raise RuntimeError(f"the process exited before {what}; screen:\n{screen}")
            if interval:
                time.sleep(interval)

    def stop(self, session: str) -> None:
        """Kill the session (SIGHUP to its process) and wait for the process to exit."""
        pid = self._pids.pop(session)
        self._tmux("kill-session", "-t", session, check=False)
        wait_gone(pid)

    def close(self) -> None:
        for session in list(self._pids):
            self.stop(session)
        self._tmux("kill-server", check=False)
        if self._socket_path:  # tmux 3.3 leaves the socket file behind
            with suppress(OSError):
                os.unlink(self._socket_path)

    def __enter__(self) -> Tmux:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _quote(part: str) -> str:
    if re.fullmatch(r"[\w@%+=:,./-]+", part):
        return part
    return "'" + part.replace("'", "'\"'\"'") + "'"


def all_on_screen(*markers: str) -> Callable[[str], bool]:
    return lambda screen: all(marker in screen for marker in markers)


# -- probes: a token typed into the entry line, then logged -----------------------------------


def typed(token: str) -> Callable[[str], bool]:
    """The token is in the entry line (some line that is not a timeline entry)."""
    pattern = re.compile(re.escape(token) + r"(?!\d)")
    return lambda screen: any(
        pattern.search(line) and not TIMELINE_LINE.match(line) for line in screen.splitlines()
    )


def logged(token: str) -> Callable[[str], bool]:
    """The token is on a timeline line, and the entry line no longer holds it."""
    pattern = re.compile(re.escape(token) + r"(?!\d)")

    def found(screen: str) -> bool:
        lines = [line for line in screen.splitlines() if pattern.search(line)]
        return bool(lines) and all(TIMELINE_LINE.match(line) for line in lines)

    return found
