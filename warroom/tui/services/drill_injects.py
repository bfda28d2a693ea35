"""A drill's injects: when each falls due on the simulated clock, the injector posts
`InjectDue` to its host (the drill's war room screen), which logs it. It keeps only how many
it has posted; simulated time, and so pausing, comes from the clock it is given."""

from __future__ import annotations

from dataclasses import dataclass

from textual.dom import DOMNode
from textual.message import Message
from textual.timer import Timer

from warroom.domain.drill import Drill, Inject, due_injects
from warroom.domain.simclock import SimulatedClock


@dataclass
class InjectDue(Message):
    """An inject of the drill is due: log it in the timeline."""

    inject: Inject


class DrillInjector:
    def __init__(self, drill: Drill, clock: SimulatedClock) -> None:
        self.drill = drill
        self.clock = clock
        self.posted = 0
        self._timer: Timer | None = None

    def start(self, host: DOMNode, interval: float) -> None:
        self.check(host)
        self._timer = host.set_interval(interval, lambda: self.check(host))

    def check(self, host: DOMNode) -> None:
        for inject in due_injects(self.drill, self.clock.elapsed, self.posted):
            self.posted += 1
            host.post_message(InjectDue(inject))

    @property
    def finished(self) -> bool:
        return self.posted >= len(self.drill.injects)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.stop()
