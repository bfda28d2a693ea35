"""`python -m warroom.smoke`: start the war room headless on a scratch database and use it.

CI runs this against the installed wheel to prove the stylesheet and the default playbook
ship inside the package and that the app starts, logs and renders.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from warroom.playbook import default_playbook
from warroom.resources import styles_path
from warroom.store.store import Store


async def _drive(folder: Path) -> str:
    from textual.widgets import Input

    from warroom.tui.app import WarRoomApp

    store = Store(folder / "smoke.db", default_playbook(), author="smoke")
    incident = store.declare("Smoke test", 2)
    app = WarRoomApp(store, reviews_dir=folder / "reviews")
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one("#entry", Input).value = "smoke entry"
        await pilot.press("enter")
        await pilot.pause()
        svg = app.export_screenshot()
    texts = [e.text for e in store.timeline(incident.id)]
    store.dispose()
    if "smoke entry" not in texts:
        raise SystemExit("smoke: the entry was not saved")
    if "Timeline" not in svg or "Next" not in svg:
        raise SystemExit("smoke: the panes did not render")
    return incident.id


def main() -> int:
    print(f"stylesheet: {styles_path()}")
    print(f"playbook: {default_playbook().name} {default_playbook().version}")
    with tempfile.TemporaryDirectory() as folder:
        incident_id = asyncio.run(_drive(Path(folder)))
    print(f"smoke ok: {incident_id} declared, logged and rendered headless")
    return 0


if __name__ == "__main__":
    sys.exit(main())
