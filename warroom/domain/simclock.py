"""A drill's simulated clock: real time, N times faster, from a start, that can pause.

Pure: the real clock is injected (`real: Callable[[], datetime]`), so a test moves it by
hand. The simulated clock is itself a clock (call it for now): the Store, the war room's
countdowns, the overdue alerts and the review all read it, and follow simulated time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from warroom.domain.timefmt import utc


class SimulatedClock:
    """`now = start + (real now - real start - real time paused) x speed`.

    Pausing freezes simulated time; resuming continues from the same simulated instant
    (the real time spent paused does not count).
    """

    def __init__(
        self,
        real: Callable[[], datetime],
        speed: float = 1.0,
        start: datetime | None = None,
    ) -> None:
        if not speed > 0:
            raise ValueError(f"the speed must be more than 0, not {speed}")
        self.real = real
        self.speed = float(speed)
        self._real_anchor = utc(real())
        self.start: datetime = utc(start) if start is not None else self._real_anchor
        """The simulated time the drill starts at."""
        self._sim_anchor = self.start
        self._paused = False

    def __call__(self) -> datetime:
        if self._paused:
            return self._sim_anchor
        return self._sim_anchor + (utc(self.real()) - self._real_anchor) * self.speed

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def elapsed(self) -> timedelta:
        """Simulated time since the start."""
        return self() - self.start

    def pause(self) -> bool:
        """Stop simulated time; False if it was already stopped."""
        if self._paused:
            return False
        self._sim_anchor = self()
        self._paused = True
        return True

    def resume(self) -> bool:
        """Let simulated time run again from where it stopped; False if it was running."""
        if not self._paused:
            return False
        self._real_anchor = utc(self.real())
        self._paused = False
        return True

    def toggle(self) -> bool:
        """Pause if running, resume if paused; True when now paused."""
        if self._paused:
            self.resume()
        else:
            self.pause()
        return self._paused

    def real_seconds(self, simulated: timedelta) -> float:
        """How many real seconds SIMULATED takes at this speed."""
        return simulated.total_seconds() / self.speed
