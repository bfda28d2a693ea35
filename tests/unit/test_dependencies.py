"""The status radar's pure core: reading Statuspage summaries and saying what changed."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from warroom.domain.dependencies import (
    ComponentState,
    DependencyStatus,
    IncidentInfo,
    changes,
    label_of_url,
    parse_summary,
    unknown_status,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "statuspage"
NOW = datetime(2026, 11, 27, 10, 15, tzinfo=UTC)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def parse(name: str, page: str = "Stripe") -> DependencyStatus:
    return parse_summary(page, fixture(name), NOW)


# -- parse_summary -----------------------------------------------------------------------


def test_all_operational():
    status = parse("operational")
    assert status.indicator == "none"
    assert status.description == "All Systems Operational"
    assert status.components == () and status.incidents == ()
    assert status.all_good and not status.is_unknown and status.error == ""
    assert status.url_label == "status.stripe.com"
    assert status.checked_at == NOW
    assert status.headline == "● operational"
    assert status.details == []


def test_minor_with_a_degraded_component_in_a_group():
    status = parse("minor_degraded", "Vercel")
    assert status.indicator == "minor"
    assert status.components == (
        ComponentState("Builds & Deployments / Washington, D.C. (iad1)", "degraded_performance"),
    )
    assert status.headline == "▲ minor: Partially Degraded Service"
    assert status.details == [
        "Builds & Deployments / Washington, D.C. (iad1): degraded performance"
    ]
    assert not status.all_good


def test_major_outage_with_an_incident():
    status = parse("major_incident")
    assert status.indicator == "major"
    assert status.components == (
        ComponentState("API", "partial_outage"),
        ComponentState("Webhooks", "major_outage"),
    )
    assert status.incidents == (
        IncidentInfo("Elevated API errors", "investigating", "major", "https://stspg.io/abc123"),
    )
    assert status.headline == "✖ major: Partial System Outage"
    assert status.details == [
        "API: partial outage",
        "Webhooks: major outage",
        "incident 'Elevated API errors' (investigating)  https://stspg.io/abc123",
    ]


def test_maintenance_shows_only_the_running_one():
    status = parse("maintenance", "Supabase")
    assert status.indicator == "maintenance"
    assert status.components == (ComponentState("Database", "under_maintenance"),)
    assert status.incidents == (
        IncidentInfo(
            "Database engine upgrade (eu-west-1)",
            "in_progress",
            "maintenance",
            "https://stspg.io/mnt456",
        ),
    )
    assert status.headline == "◆ maintenance: Service Under Maintenance"
    assert status.details[-1] == (
        "maintenance 'Database engine upgrade (eu-west-1)' (in progress)  https://stspg.io/mnt456"
    )


def test_wrong_shapes_are_unknown_with_a_reason():
    status = parse("wrong_shape")
    assert status.indicator == "unknown"
    assert status.error == "no status indicator in the summary"
    assert status.headline == "? unknown (no status indicator in the summary)"


def test_unknown_values_are_kept_but_make_the_page_unknown():
    status = parse("unknown_status")
    assert status.indicator == "unknown"
    assert status.error == (
        "unrecognised indicator 'catastrophic'; unrecognised component status 'partially_on_fire'"
    )
    assert status.description == "Something New Happened"
    assert status.components == (ComponentState("API", "partially_on_fire"),)
    assert status.details == ["API: partially on fire"]


def test_an_unknown_component_status_makes_an_operational_page_unknown():
    payload = fixture("operational")
    payload["components"][0]["status"] = "melting"
    status = parse_summary("Stripe", payload, NOW)
    assert status.indicator == "unknown"
    assert status.error == "unrecognised component status 'melting'"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (None, "not a status page summary"),
        ([], "not a status page summary"),
        ("All Systems Operational", "not a status page summary"),
        (42, "not a status page summary"),
        ({}, "no status indicator in the summary"),
        ({"status": {}}, "no status indicator in the summary"),
        ({"status": {"indicator": None}}, "no status indicator in the summary"),
        ({"status": {"indicator": 3}}, "no status indicator in the summary"),
        ({"status": {"indicator": "   "}}, "no status indicator in the summary"),
        ({"status": {"indicator": "none"}, "components": "API"}, "components are not a list"),
        ({"status": {"indicator": "none"}, "incidents": {}}, "incidents are not a list"),
    ],
)
def test_garbage_is_unknown_never_an_exception(payload: object, reason: str):
    status = parse_summary("Stripe", payload, NOW)
    assert (status.indicator, status.error) == ("unknown", reason)


def test_bad_rows_are_skipped_and_missing_names_named():
    payload = {
        "status": {"indicator": "minor", "description": "Degraded"},
        "components": [
            "API",
            None,
            {"name": "No status"},
            {"status": "partial_outage"},
            {"name": ["list"], "status": "major_outage", "group_id": ["x"]},
            {"id": ["unhashable"], "group": True, "name": "G", "status": "major_outage"},
        ],
        "incidents": [
            7,
            {"status": "resolved", "name": "Over"},
            {"name": "Bad link", "status": "identified", "shortlink": "javascript:alert(1)"},
            {},
        ],
        "scheduled_maintenances": [{"name": "Later", "status": "scheduled"}],
    }
    status = parse_summary("X", payload, NOW)
    assert status.indicator == "minor"
    assert [c.name for c in status.components] == ["(unnamed component)", "(unnamed component)"]
    assert status.incidents == (
        IncidentInfo("Bad link", "identified", "unknown", ""),
        IncidentInfo("(unnamed)", "unknown", "unknown", ""),
    )


def test_remote_text_is_cleaned_and_bounded():
    payload = {
        "page": {"url": "https://user:secret@status.example.com/"},
        "status": {"indicator": "minor", "description": "\x1b[31mRed\x1b[0m\nalert"},
        "components": [{"name": "A" * 500, "status": "partial_outage"}],
    }
    status = parse_summary("X", payload, NOW)
    assert status.description == "Red alert"
    assert len(status.components[0].name) == 200
    assert status.url_label == "status.example.com"


def test_the_configured_label_wins_over_the_pages_own():
    status = parse_summary("Stripe", fixture("operational"), NOW, url_label="127.0.0.1:8000")
    assert status.url_label == "127.0.0.1:8000"


def test_parse_summary_survives_random_json():
    rng = random.Random(3)
    keys = ["status", "indicator", "components", "incidents", "name", "group", "id", "group_id"]

    def value(depth: int) -> object:
        choice = rng.randrange(7 if depth < 4 else 4)
        if choice == 0:
            return None
        if choice == 1:
            return rng.choice(["none", "minor", "operational", "partial_outage", "", "x"])
        if choice == 2:
            return rng.choice([True, False, 0, 1.5])
        if choice == 3:
            return rng.choice(["g1", "resolved", "in_progress", "https://stspg.io/x"])
        if choice in (4, 5):
            return {rng.choice(keys): value(depth + 1) for _ in range(rng.randrange(5))}
        return [value(depth + 1) for _ in range(rng.randrange(4))]

    for _ in range(2000):
        status = parse_summary("Fuzz", value(0), NOW)
        assert status.indicator in {"none", "minor", "major", "critical", "maintenance", "unknown"}
        assert status.headline


def test_label_of_url():
    assert label_of_url("https://www.vercel-status.com/api/v2/summary.json") == (
        "www.vercel-status.com"
    )
    assert label_of_url("http://127.0.0.1:8123/x") == "127.0.0.1:8123"
    assert label_of_url("not a url") == ""
    assert label_of_url("http://[::1") == ""


# -- changes ---------------------------------------------------------------------------------


def outage() -> DependencyStatus:
    return parse("major_incident")


def test_a_first_look_at_an_all_good_page_says_nothing():
    assert changes(None, parse("operational")) == []


def test_a_first_look_at_a_problem_says_it():
    assert changes(None, outage()) == [
        "Stripe: major: Partial System Outage",
        "Stripe: API partial outage",
        "Stripe: Webhooks major outage",
        "Stripe: incident 'Elevated API errors' (investigating)",
    ]


def test_no_change_no_lines():
    assert changes(outage(), outage()) == []
    assert changes(parse("operational"), parse("operational")) == []


def test_operational_to_outage_and_back():
    good, bad = parse("operational"), outage()
    assert changes(good, bad) == changes(None, bad)
    assert changes(bad, good) == [
        "Stripe: all systems operational again",
        "Stripe: incident 'Elevated API errors' resolved",
    ]


def test_a_component_recovers_while_others_stay_down():
    bad = outage()
    better = replace(bad, components=bad.components[1:])
    assert changes(bad, better) == ["Stripe: API operational again"]


def test_an_incident_moves_on():
    bad = outage()
    identified = replace(bad, incidents=(replace(bad.incidents[0], status="identified"),))
    assert changes(bad, identified) == ["Stripe: incident 'Elevated API errors' now identified"]


def test_the_indicator_changes():
    bad = outage()
    worse = replace(bad, indicator="critical", description="Major System Outage")
    assert changes(bad, worse) == ["Stripe: critical: Major System Outage"]


def test_maintenance_ends():
    running = parse("maintenance", "Supabase")
    done = parse_summary("Supabase", fixture("operational"), NOW)
    assert changes(running, done) == [
        "Supabase: all systems operational again",
        "Supabase: maintenance 'Database engine upgrade (eu-west-1)' over",
    ]


def test_going_unknown_is_said_once():
    timeout = unknown_status("Supabase", "timeout after 5s", NOW)
    http = unknown_status("Supabase", "HTTP 503", NOW)
    good = parse_summary("Supabase", fixture("operational"), NOW)
    assert changes(good, timeout) == ["Supabase: status unknown (timeout after 5s)"]
    assert changes(timeout, http) == []
    assert changes(timeout, timeout) == []


def test_a_page_never_read_stays_out_of_the_record():
    """Issue 8: offline, the first poll logged three "status unknown" entries. A page that
    cannot be read belongs in the Dependencies pane, not the timeline, until it was read."""
    for reason in ("cannot connect", "timeout after 5s", "HTTP 503", "not JSON"):
        assert changes(None, unknown_status("Stripe", reason, NOW)) == []
    # Read for the first time: a first look (all good says nothing, a problem says itself).
    assert changes(None, parse("operational")) == []
    assert changes(None, outage())[0] == "Stripe: major: Partial System Outage"


def test_coming_back_says_the_state_in_full():
    timeout = unknown_status("Stripe", "timeout after 5s", NOW)
    assert changes(timeout, parse("operational")) == [
        "Stripe: status known again: all systems operational"
    ]
    assert changes(timeout, outage()) == [
        "Stripe: status known again: major: Partial System Outage",
        "Stripe: API partial outage",
        "Stripe: Webhooks major outage",
        "Stripe: incident 'Elevated API errors' (investigating)",
    ]


def test_a_page_not_understood_still_counts_its_contents():
    weird = parse("unknown_status")
    assert changes(None, weird) == [
        "Stripe: status unknown (unrecognised indicator 'catastrophic'; "
        "unrecognised component status 'partially_on_fire')",
        "Stripe: API partially on fire",
    ]
    assert changes(weird, parse("operational")) == ["Stripe: all systems operational again"]
    timeout = unknown_status("Stripe", "timeout after 5s", NOW)
    assert changes(weird, timeout) == ["Stripe: status unknown (timeout after 5s)"]


def test_an_operational_page_with_an_incident():
    page = replace(
        parse("operational"),
        incidents=(IncidentInfo("Delayed payouts", "monitoring", "none"),),
    )
    assert changes(None, page) == ["Stripe: incident 'Delayed payouts' (monitoring)"]
    assert changes(page, parse("operational")) == [
        "Stripe: all systems operational again",
        "Stripe: incident 'Delayed payouts' resolved",
    ]
