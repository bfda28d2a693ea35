"""Communications in the war room: drafting and sending the runbook's messages, the outbox,
and acting on a late clock's alert (compose, acknowledge, snooze)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Input

from warroom.domain.clocks import (
    LABELS,
    SNOOZABLE,
    Action,
    snooze_word,
)
from warroom.domain.timefmt import (
    hhmm,
    parse_span,
)
from warroom.tui.alerts import by_urgency
from warroom.tui.entry_grammar import (
    EntryError,
    parse_snooze,
)
from warroom.tui.screens.record_actions import RecordActions

if TYPE_CHECKING:  # the network edge is imported only when it is used
    from warroom.comms.messages import MessageKind


class CommsActions(RecordActions):
    """Messages, the outbox and the alerts' actions."""

    def action_compose(self, arg: str = "") -> None:
        """Draft a runbook message (ARG: its kind, else a status update), edit, send."""
        from warroom.comms.messages import MessageKind, draft_message, load_message_data
        from warroom.tui.screens.compose import Composed, ComposeScreen

        def composed(result: Composed | None) -> None:
            if result is not None:
                self._guarded(lambda: self._send(result.kind, result.text))

        def open_dialog() -> None:
            incident = self._require()
            try:
                settings = self.war_room.settings()
                env = settings.template_environment()
                company, page = settings.company, settings.status_page_url

                def channels(kind: MessageKind) -> list[tuple[str, str | None]]:
                    return [(n, settings.channel_problem(n)) for n in settings.channels_for(kind)]

            except ValueError as error:  # a broken config file: still let the IC write
                self._error(error)
                env, company, page = None, "", ""

                def channels(kind: MessageKind) -> list[tuple[str, str | None]]:
                    return []

            data = load_message_data(
                self.store,
                incident.id,
                **({"company": company} if company else {}),
                status_page_url=page,
            )
            dialog = ComposeScreen(
                lambda k: draft_message(k, data, env),
                channels,
                MessageKind.parse(arg or "status_update"),
                self._draft(incident.id, "compose"),
            )
            dialog.keep_draft = lambda values: self._keep_draft(incident.id, "compose", values)
            self.app.push_screen(dialog, composed)

        open_dialog()

    def _send(self, kind: MessageKind, text: str) -> None:
        from warroom.store.outbox import send_message

        incident = self._require()
        try:
            channels = self.war_room.settings().channels_for(kind)
        except ValueError:
            channels = []
        send_message(self.store, incident.id, kind, text, channels)
        drafts = self._draft(incident.id, "compose")
        if drafts.pop(kind.value, None) is not None:  # sent: that draft has done its job
            self._keep_draft(incident.id, "compose", drafts)
        self.app.copy_to_clipboard(text)
        self.changed()
        readers = "customers" if kind.is_customer_facing else "the team"
        queued = (
            f"queued for {len(channels)} channel(s)"
            if channels
            else f"no channel for {readers} set up: post it yourself"
        )
        self.notify(
            f"{kind.label}: recorded, copied to the clipboard, {queued}",
            title="Sent" if channels else "Recorded, not posted",
            severity="information" if channels else "warning",
        )
        if self.deliverer is not None:
            self.deliverer.soon()

    def action_outbox(self, arg: str = "") -> None:
        from warroom.store.outbox import list_outbox
        from warroom.tui.screens.compose import OutboxScreen

        incident_id = self.incident.id if self.incident else None
        self.app.push_screen(OutboxScreen(lambda: list_outbox(self.store, incident_id, limit=200)))

    def action_act_on_alert(self, arg: str = "") -> None:
        """Ctrl+G: do what the most urgent late clock needs (compose, acknowledge, snooze)."""
        late = by_urgency(c for c in self.clocks if c.alerting)
        if not late:
            other = self.other_alert
            if other is not None:
                self._prefill(f"/switch {other.incident.id}")
            else:
                self.notify("Nothing is late", title="Alerts")
            return
        action = late[0].action
        if action is Action.ACKNOWLEDGE:
            self.action_ack()
        elif action is Action.NOTHING_TO_SEND:
            self.action_snooze()
        else:
            self.action_compose(action.value)

    def _snooze_next(self) -> None:
        """Ctrl+N: "/snooze CLOCK 15m " in the entry line for the most urgent late clock (again:
        the next one); the IC types the reason and Enter. Nothing is snoozed without one."""
        late = by_urgency(c for c in self.clocks if c.alerting and snooze_word(c.kind))
        soon = by_urgency(c for c in self.clocks if c.warning and snooze_word(c.kind))
        words = [snooze_word(c.kind) for c in late + soon]
        entry = self.query_one("#entry", Input)
        current = entry.value.strip()
        if current and not current.startswith("/snooze"):
            raise EntryError("the entry line has text: log or clear it, then Ctrl+N")
        if not words:
            self._prefill("/snooze ")
            return
        typed = current.split()[1] if len(current.split()) > 1 else ""
        following = words[(words.index(typed) + 1) % len(words)] if typed in words else words[0]
        self._prefill(f"/snooze {following} 15m ")

    def action_snooze(self, arg: str = "") -> None:
        """Snooze a clock for a while, saying why (ARG: "sla 15m waiting on Stripe"); no
        argument (Ctrl+N) puts the most urgent one in the entry line."""
        if not arg:
            self._snooze_next()
            return
        word, length, reason = parse_snooze(arg)
        matches = [k for w, k in SNOOZABLE.items() if w.startswith(word)]
        if len(matches) != 1:
            raise EntryError(
                f"cannot snooze {word!r}: /snooze internal|stakeholder|customer|sla 15m REASON"
            )
        incident = self._require()
        snooze = self.store.snooze(incident.id, matches[0], parse_span(length), reason)
        self.changed()
        self.notify(
            f"{snooze.reason}\nIt alerts again at {hhmm(snooze.until)} UTC if still late.",
            title=f"{LABELS[matches[0]]} snoozed",
        )

    def retry_delivery(self, message_id: int) -> None:
        """Queue a failed message again (r in the outbox)."""
        from warroom.store.outbox import retry

        def again() -> None:
            self._require_writable()
            retry(self.store, message_id)
            self.notify("Queued again")
            if self.deliverer is not None:
                self.deliverer.soon()

        self._guarded(again)
