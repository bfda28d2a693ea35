"""The outbox deliverer: posts what the outbox holds, in a thread, on a chained timer."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.dom import DOMNode
from textual.timer import Timer

from warroom.store.store import Store
from warroom.tui.messages import DeliveryDone, ServiceTrouble

if TYPE_CHECKING:
    from warroom.integrations.delivery import Deliverer
    from warroom.integrations.settings import Settings


class OutboxDeliverer:
    """One round at a time (typing never waits for a webhook); each round posts
    DeliveryDone and sets the next. `soon()` after something was queued."""

    def __init__(self, store: Store, settings: Callable[[], Settings]) -> None:
        self.store = store
        self.settings = settings
        self._host: DOMNode | None = None
        self._deliverer: Deliverer | None = None
        self._timer: Timer | None = None
        self._delivering = False

    def start(self, host: DOMNode, delay: float) -> None:
        self._host = host
        self._schedule(delay)

    def soon(self) -> None:
        """Something was queued (sent, retried): deliver it now rather than at the next round."""
        if self._host is not None:
            self._schedule(0.05)

    def _schedule(self, wait: float) -> None:
        assert self._host is not None
        if self._timer is not None:
            self._timer.stop()
        self._timer = self._host.set_timer(max(0.05, wait), self._deliver)

    def _deliver(self) -> None:
        """Start a round unless one is running (it sets the next when done)."""
        if self._host is not None and not self._delivering:
            self._delivering = True
            self._host.run_worker(self._round, thread=True, exit_on_error=False, group="delivery")

    def _round(self) -> None:
        from warroom.integrations.delivery import Deliverer, Outcome

        assert self._host is not None
        host = self._host
        wait = 30.0
        failures: list[tuple[str, str]] = []
        try:
            if self._deliverer is None:
                self._deliverer = Deliverer(self.store, self.settings())
            wait = self._deliverer.run_once()
            failures = [
                (r.channel, r.detail)
                for r in self._deliverer.last_results
                if r.outcome is Outcome.FAILED
            ]
        except Exception as error:  # settings or database trouble: say so, try again later
            host.post_message(ServiceTrouble(f"Delivery: {error}"))
        finally:
            host.app.call_from_thread(self._done, failures, wait)

    def _done(self, failures: list[tuple[str, str]], wait: float) -> None:
        self._delivering = False
        if self._host is not None:
            self._host.post_message(DeliveryDone(failures))
            self._schedule(wait)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        if self._deliverer is not None:
            self._deliverer.close()
