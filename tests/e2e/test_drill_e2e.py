"""End to end: the real `warroom drill --speed 60` in a real terminal (tmux, private socket)."""

from __future__ import annotations

from pathlib import Path

from test_e2e import (  # the e2e helpers: private tmux server, settled frames, clean exit
    HEIGHT,
    WIDTH,
    Tmux,
    centred_in_full_width,
    pytestmark,
    quit_war_room,
    tmux,
    wait_for,
    warroom_command,
)

__all__ = ["pytestmark", "tmux"]  # the markers (e2e, needs tmux) and the fixture, reused


def test_a_drill_at_speed_60_shows_its_banner_and_its_injects_arrive(
    tmux: Tmux, tmp_path: Path
) -> None:
    real_db = tmp_path / "data" / "warroom.db"
    env = {
        "COLORTERM": "truecolor",
        "TEXTUAL_ANIMATIONS": "none",
        "WARROOM_DB": str(real_db),
        "WARROOM_USER": "e2e",
        "HOME": str(tmp_path / "home"),
        "WARROOM_CONFIG": str(tmp_path / "config.toml"),
        "WARROOM_CACHE": str(tmp_path / "cache"),
    }
    options = [arg for name, value in env.items() for arg in ("-e", f"{name}={value}")]
    command = [*warroom_command(), "drill", "bad_deploy", "--speed", "60"]
    size = ["-x", str(WIDTH), "-y", str(HEIGHT)]
    tmux.run("new-session", "-d", "-s", "drill", *size, *options, *command)
    target = "drill:0.0"

    # The declare dialog, drawn on its full frame, filled in from the drill, under the banner.
    screen = wait_for(
        tmux,
        target,
        lambda s: centred_in_full_width(s, "Declare incident") and "DRILL ·" in s,
        label="the declare dialog under the DRILL banner",
    )
    assert "Recent deployment causing errors" in screen
    assert screen.splitlines()[0].strip().startswith("DRILL · Recent deployment causing errors")
    tmux.keys(target, "C-s")

    # Declared: the alert (T+0) and the deploy (T+1m) are in the timeline; at x60 the dev's
    # message (T+5m) follows within seconds of real time.
    wait_for(tmux, target, "FINDING [DRILL alert] ALERT TypeError")
    screen = wait_for(tmux, target, "[DRILL message] 4512 is mine")
    assert "DRILL ·" in screen.splitlines()[0]
    assert "INC-" in screen and "SEV-2" in screen

    tmux.line(target, "/pause")
    wait_for(tmux, target, "PAUSED (/resume)")
    quit_war_room(tmux, target)

    drills = real_db.parent / "drills.db"
    assert drills.is_file()  # its own database, beside the real one...
    assert not real_db.exists()  # ...which a drill never touches
