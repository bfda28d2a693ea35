"""The runbook's guidance as choices: scenarios, mitigation strategies, root-cause categories."""

from __future__ import annotations

from rich.text import Text

from warroom.playbook.models import Mitigation, Playbook, RootCause, Scenario

Choice = tuple[str, str, Text | str]


def _section(text: Text, title: str, lines: list[str], style: str = "") -> None:
    if lines:
        text.append(f"\n{title}\n", style="bold")
        for line in lines:
            text.append(f"  • {line}\n", style=style)


def scenario_help(scenario: Scenario) -> Text:
    text = Text(f"{scenario.name}\n", style="bold")
    _section(text, "Symptoms", scenario.symptoms)
    _section(text, "Diagnosis (joins the checklist)", scenario.diagnosis)
    _section(text, "Resolution (joins the checklist)", scenario.resolution)
    return text


def mitigation_help(mitigation: Mitigation) -> Text:
    text = Text(f"{mitigation.name}\n", style="bold")
    _section(text, "Caution", mitigation.cautions, style="bold yellow")
    _section(text, "When to use", mitigation.when_to_use)
    _section(text, "Steps (join the checklist)", mitigation.steps)
    _section(text, "Verification", mitigation.verification)
    return text


def root_cause_help(cause: RootCause) -> Text:
    text = Text(f"{cause.name}\n", style="bold")
    _section(text, "Signs", cause.signs)
    if cause.next_step:
        text.append(f"\n→ {cause.next_step}\n", style="italic")
    return text


def scenario_choices(playbook: Playbook) -> list[Choice]:
    return [(s.key, s.name, scenario_help(s)) for s in playbook.scenarios]


def mitigation_choices(playbook: Playbook, only: set[str] | None = None) -> list[Choice]:
    return [
        (m.key, m.name, mitigation_help(m))
        for m in playbook.mitigations
        if only is None or m.key in only
    ]


def root_cause_choices(playbook: Playbook) -> list[Choice]:
    return [(c.key, c.name, root_cause_help(c)) for c in playbook.root_causes]


RUNBOOK_MENU: list[Choice] = [
    (
        "scenario",
        "Attach a scenario",
        "A common scenario's diagnosis and resolution steps join the checklist.",
    ),
    (
        "mitigate",
        "Start a mitigation",
        "A strategy's steps and verification join the checklist; 'mitigation started' is logged.",
    ),
    ("applied", "Mitigation applied", "Log that a started strategy is in place."),
    ("cause", "Root cause category", "One of the runbook's common root causes, for the review."),
]
