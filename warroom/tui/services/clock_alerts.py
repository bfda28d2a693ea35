"""Clock alerts: one notification per late clock, the bell, repeats and withdrawals.

What is due comes from the screen (`Alert`s by key, at each tick); this keeps what has been
posted and rung, and talks to the App only by posting `Notify` (and withdrawing its own).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from textual.app import App
from textual.notifications import Notification, Notify

from warroom.tui.alerts import Alert


class ClockAlerts:
    """One notification per alert: posted (with the bell) when it starts, again every
    `repeat_seconds` while a clock stays late, withdrawn when it is over (the update
    recorded, the clock snoozed). Nudges ring once; clocks due soon show once, without
    the bell. The bell rings at most once a tick, however many alerts start."""

    def __init__(self, app: Callable[[], App[Any]]) -> None:
        self._app = app
        self.posted: dict[str, Notification] = {}
        """The notification posted for each alert ("INC-.../internal_update"): one each,
        replaced when it repeats, withdrawn when it is over."""
        self._hints: dict[str, str] = {}
        self._rung: dict[str, datetime] = {}
        self._warned: set[str] = set()  # alerts that ring once, once they have

    def forget_warnings(self) -> None:
        """The incident changed (severity, detection, another one shown): warn afresh."""
        self._warned.clear()

    def update(self, wanted: dict[str, Alert], now: datetime, repeat_seconds: float) -> None:
        repeat = timedelta(seconds=repeat_seconds)
        for key in [k for k in self.posted if k not in wanted]:
            self._withdraw(key)
        for key in [k for k in self._rung if k not in wanted]:
            del self._rung[key]  # late again later: it rings at once
        bell = False
        for key, alert in wanted.items():
            if alert.repeats:
                last = self._rung.get(key)
                ring = last is None or now - last >= repeat
                if ring:
                    self._rung[key] = now
            else:
                ring = alert.once not in self._warned
                self._warned.add(alert.once)
            if ring:
                bell = bell or alert.rings
                self._post(key, alert, repeat_seconds)
            elif key in self.posted and self._hints.get(key) != alert.hint:
                self._post(key, alert, repeat_seconds)  # what to do changed: no bell
        if bell:
            self._app().bell()

    def _post(self, key: str, alert: Alert, repeat_seconds: float) -> None:
        self._withdraw(key)
        timeout = repeat_seconds + 5.0 if alert.repeats else 15.0
        notification = Notification(
            alert.message, alert.title, alert.severity, timeout, markup=False
        )
        self._app().post_message(Notify(notification))
        self.posted[key] = notification
        self._hints[key] = alert.hint

    def _withdraw(self, key: str) -> None:
        notification = self.posted.pop(key, None)
        self._hints.pop(key, None)
        if notification is not None:
            # Textual 8 has no public call to withdraw one notification; this is the one
            # its toasts use when they time out (a no-op for one already gone).
            self._app()._unnotify(notification)
