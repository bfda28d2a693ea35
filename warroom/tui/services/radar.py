"""The status radar: third-party status pages, polled in a thread."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from textual.dom import DOMNode

from warroom.playbook import Playbook
from warroom.tui.messages import RadarPolled, ServiceTrouble

if TYPE_CHECKING:
    import httpx

    from warroom.integrations.statuspage import Radar


class RadarPoller:
    """Polls the status pages and posts RadarPolled; the next poll is set once one is done,
    so polls never overlap."""

    def __init__(
        self,
        playbook: Callable[[], Playbook],
        clock: Callable[[], datetime],
        incident: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.playbook = playbook
        self.clock = clock
        self.incident = incident  # the open incident shown, if any, when a poll begins
        self._radar: tuple[Radar, httpx.Client] | None = None

    def start(self, host: DOMNode, delay: float) -> None:
        host.set_timer(delay, lambda: self._poll(host))

    def _poll(self, host: DOMNode) -> None:
        host.run_worker(
            lambda: self._round(host),
            thread=True,
            exclusive=True,
            exit_on_error=False,
            group="radar",
        )

    def _round(self, host: DOMNode) -> None:
        from warroom.integrations.statuspage import (
            POLL_INTERVAL,
            Radar,
            new_client,
            playbook_status_pages,
            status_pages_from_env,
        )

        try:
            if self._radar is None:
                pages = status_pages_from_env(default=playbook_status_pages(self.playbook()))
                if not pages:  # turned off: say so once, poll no more
                    host.post_message(RadarPolled([], [], off=True))
                    return
                self._radar = (Radar(pages), new_client())
            radar, client = self._radar
            incident_id = self.incident()
            statuses, lines = radar.poll(client, self.clock())
            host.post_message(RadarPolled(statuses, lines, incident_id=incident_id))
        except Exception as error:  # a bad WARROOM_STATUS_PAGES, say: report, try later
            host.post_message(ServiceTrouble(f"Status radar: {error}"))
        host.app.call_from_thread(host.set_timer, POLL_INTERVAL, lambda: self._poll(host))

    def close(self) -> None:
        if self._radar is not None:
            self._radar[1].close()
