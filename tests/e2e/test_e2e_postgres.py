"""End to end on PostgreSQL: the real `warroom` in tmux on a `postgresql://` URL, typing a
burst, and another machine's write (another process) shown at once (LISTEN/NOTIFY)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import cast

import pytest
from test_e2e import TIMEOUT, Tmux, cli, quit_war_room, show_json, tmux, wait_for  # noqa: F401

from warroom.store.target import DatabaseTarget

pytestmark = pytest.mark.e2e


def test_the_war_room_on_postgresql_with_another_machine_writing(
    tmux: Tmux,  # noqa: F811 (the fixture, imported)
    pg_target: DatabaseTarget,
) -> None:
    url = cast(Path, pg_target.url)  # the helpers pass it on as text, as a path would be
    declared = cli(url, "declare", "--sev", "1", "--title", "Checkout down on PG")
    assert declared.returncode == 0, declared.stderr
    incident_id = declared.stdout.strip()
    target = tmux.start("pg", url)
    wait_for(tmux, target, lambda s: "Checkout down on PG" in s and "Timeline" in s, label="up")
    lines = [f"pg-{n:02d} step {n}" for n in range(15)]
    tmux.type(target, "".join(f"{line}\r" for line in lines))  # one write to the pty
    wait_for(tmux, target, "pg-14 step 14")
    deadline = time.monotonic() + TIMEOUT
    while True:
        texts = [e["text"] for e in show_json(url, incident_id)["timeline"]]
        if [t for t in texts if t.startswith("pg-")] == lines:
            break
        assert time.monotonic() < deadline, texts
        time.sleep(0.2)
    # Another machine (another process) logs: the war room shows it, told by NOTIFY.
    logged = cli(url, "log", "from the ops laptop")
    assert logged.returncode == 0, logged.stderr
    wait_for(tmux, target, "from the ops laptop", timeout=5)
    quit_war_room(tmux, target)
