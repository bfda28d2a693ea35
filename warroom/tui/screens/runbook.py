"""The runbook's guidance as choices: scenarios, mitigation strategies, root-cause categories,
and its Quick Links."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from warroom.playbook.models import Link, Mitigation, Playbook, RootCause, Scenario

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


def link_groups(links: Sequence[Link]) -> list[tuple[str, list[Link]]]:
    """The links under their headings ("Monitoring & Logs", "Status Pages"), in playbook order."""
    groups: dict[str, list[Link]] = {}
    for link in links:
        groups.setdefault(link.group, []).append(link)
    return list(groups.items())


def _url(text: Text, url: str) -> None:
    """The URL, clickable where the terminal allows (it is playbook data: never markup)."""
    text.append(url, style=f"link {url}" if url.startswith(("https://", "http://")) else "")


def quick_links_help(links: Sequence[Link]) -> Text:
    """Every Quick Link by its heading: what the Runbook menu shows beside "Quick links"."""
    text = Text("Quick links\n", style="bold")
    for group, members in link_groups(links):
        if group:
            text.append(f"\n{group}\n", style="bold")
        for link in members:
            text.append(f"  • {link.name}: ")
            _url(text, link.url)
            text.append("\n")
    text.append("\nEnter lists them; choosing one copies its URL to the clipboard.", style="dim")
    return text


def link_choices(links: Sequence[Link]) -> list[Choice]:
    """One choice per link, keyed by its position (names are unique, URLs need not be)."""
    choices: list[Choice] = []
    for n, link in enumerate(links):
        text = Text(f"{link.name}\n", style="bold")
        if link.group:
            text.append(f"{link.group}\n", style="italic")
        text.append("\n")
        _url(text, link.url)
        text.append("\n\nEnter copies the URL to the clipboard.", style="dim")
        choices.append((str(n), link.name, text))
    return choices


def runbook_menu(playbook: Playbook) -> list[Choice]:
    """The Ctrl+R menu: RUNBOOK_MENU, then the Quick Links when the playbook has any."""
    links = getattr(playbook, "quick_links", None) or []
    if not links:
        return list(RUNBOOK_MENU)
    return [*RUNBOOK_MENU, ("links", "Quick links", quick_links_help(links))]
