"""The runbook's actions in the war room: scenarios, mitigation strategies, the root cause,
quick links, and the dependencies' status pages."""

from __future__ import annotations

from collections.abc import Callable

from warroom.tui.entry_grammar import (
    EntryError,
)
from warroom.tui.screens.base import (
    WarRoomBase,
)
from warroom.tui.screens.dialogs import (
    ChoiceScreen,
)
from warroom.tui.widgets.dependencies import DependenciesScreen


class RunbookActions(WarRoomBase):
    """The runbook: scenarios, mitigations, root cause, links."""

    def action_runbook(self, arg: str = "") -> None:
        from warroom.tui.screens.runbook import link_choices, runbook_menu

        links = self.playbook.quick_links

        def link_chosen(result: str | None) -> None:
            if result is not None:
                url = links[int(result)].url
                self.app.copy_to_clipboard(url)
                self.notify(f"Copied to the clipboard: {url}", markup=False)

        def chosen(result: str | None) -> None:
            if result == "links":
                self.app.push_screen(ChoiceScreen("Quick links", link_choices(links)), link_chosen)
            elif result is not None:
                self._guarded(lambda: self._runbook(result, ""))

        def open_menu() -> None:
            self._require()
            self.app.push_screen(ChoiceScreen("Runbook", runbook_menu(self.playbook)), chosen)

        open_menu()

    def _runbook(self, what: str, key: str) -> None:
        """Attach a scenario, start or apply a mitigation, set the root cause: by key, or
        by choosing from the playbook's list when no key is given."""
        from warroom.domain.incident import mitigations_used
        from warroom.tui.screens import runbook

        incident = self._require()
        actions: dict[str, Callable[[str, str], object]] = {
            "scenario": self.store.attach_scenario,
            "mitigate": self.store.start_mitigation,
            "applied": self.store.apply_mitigation,
            "cause": self.store.set_root_cause,
        }
        if key:
            actions[what](incident.id, key)
            self.changed()
            return
        if what == "applied":
            started = {use.key for use in mitigations_used(self.store.timeline(incident.id))}
            choices = runbook.mitigation_choices(self.playbook, started or None)
        else:
            choices = {
                "scenario": runbook.scenario_choices,
                "mitigate": runbook.mitigation_choices,
                "cause": runbook.root_cause_choices,
            }[what](self.playbook)
        if not choices:
            raise EntryError(f"the playbook has nothing for /{what}")
        titles = {
            "scenario": "Attach a scenario",
            "mitigate": "Start a mitigation",
            "applied": "Mitigation applied",
            "cause": "Root cause category",
        }

        def chosen(result: str | None) -> None:
            if result is not None:
                self._guarded(lambda: self._runbook(what, result))

        self.app.push_screen(ChoiceScreen(titles[what], choices), chosen)

    def action_dependencies(self, arg: str = "") -> None:
        self.app.push_screen(DependenciesScreen(self.dependencies))

    def action_scenario(self, arg: str = "") -> None:
        self._runbook("scenario", arg)

    def action_mitigate(self, arg: str = "") -> None:
        self._runbook("mitigate", arg)

    def action_applied(self, arg: str = "") -> None:
        self._runbook("applied", arg)

    def action_cause(self, arg: str = "") -> None:
        self._runbook("cause", arg)
