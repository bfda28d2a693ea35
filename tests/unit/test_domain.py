"""The pure domain: incident IDs, parsing, time formats, text cleaning, checklists, review facts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from warroom.domain import ChecklistItem, EntryKind, Incident, Status, TimelineEntry, UpdateKind
from warroom.domain.clocks import ClockKind, clock_values, compute_clocks, next_update_due
from warroom.domain.incident import (
    AttachedScenario,
    KeyMoment,
    MitigationUse,
    SectionPlan,
    SeverityPeriod,
    action_due,
    checklist_plan,
    incident_id,
    key_moments,
    mitigation_plan,
    mitigations_used,
    next_incident_id,
    order_checklist,
    scenario_plan,
    scenarios_attached,
    section_title,
    severity_actions,
    severity_periods,
    severity_section,
    swap_severity_actions,
)
from warroom.domain.model import ClockValues
from warroom.domain.text import clean_line, clean_text
from warroom.domain.timefmt import (
    countdown,
    duration,
    hhmm,
    parse_time_of_day,
    parse_when,
    stamp,
    utc,
)
from warroom.playbook import default_playbook

PLAYBOOK = default_playbook()
DAY = date(2026, 11, 27)


def t(hour: int, minute: int = 0, second: int = 0, day: int = 27, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def incident(severity: int = 2, **kw: Any) -> Incident:
    fields: dict[str, Any] = {
        "id": "INC-2026-11-27-1",
        "title": "Search not working",
        "severity": severity,
        "status": Status.INVESTIGATING,
        "impact_users": "many",
        "impact_features": "search",
        "detected_at": t(10),
        "declared_at": t(10),
    }
    fields.update(kw)
    return Incident(**fields)


_ids = iter(range(1, 10_000))


def entry(kind: EntryKind, at: datetime, text: str = "", **data: Any) -> TimelineEntry:
    return TimelineEntry(
        id=next(_ids),
        incident_id="INC-2026-11-27-1",
        at=at,
        logged_at=at,
        kind=kind,
        text=text or kind.value,
        author="alice",
        data=data,
    )


def sev_change(at: datetime, old: int, new: int) -> TimelineEntry:
    return entry(
        EntryKind.SEVERITY, at, f"Severity SEV-{old} -> SEV-{new}", **{"from": old, "to": new}
    )


def status_change(at: datetime, old: Status, new: Status) -> TimelineEntry:
    return entry(EntryKind.STATUS, at, **{"from": old.value, "to": new.value})


# --- incident IDs --------------------------------------------------------------------------


def test_incident_id_format() -> None:
    assert incident_id(DAY, 1) == "INC-2026-11-27-1"
    assert incident_id(date(2027, 1, 5), 12) == "INC-2027-01-05-12"


def test_first_incident_of_the_day_is_1() -> None:
    assert next_incident_id(DAY, []) == "INC-2026-11-27-1"


def test_next_id_counts_up_within_the_day() -> None:
    assert next_incident_id(DAY, ["INC-2026-11-27-1"]) == "INC-2026-11-27-2"
    assert next_incident_id(DAY, ["INC-2026-11-27-1", "INC-2026-11-27-2"]) == "INC-2026-11-27-3"


def test_next_id_skips_to_max_plus_one_and_never_reuses_a_gap() -> None:
    existing = ["INC-2026-11-27-5", "INC-2026-11-27-1"]
    assert next_incident_id(DAY, existing) == "INC-2026-11-27-6"


def test_next_id_compares_numbers_not_strings() -> None:
    existing = ["INC-2026-11-27-9", "INC-2026-11-27-10", "INC-2026-11-27-2"]
    assert next_incident_id(DAY, existing) == "INC-2026-11-27-11"


def test_next_id_ignores_other_days() -> None:
    existing = ["INC-2026-11-26-7", "INC-2026-11-28-3", "INC-2025-11-27-4"]
    assert next_incident_id(DAY, existing) == "INC-2026-11-27-1"


def test_next_id_ignores_garbage() -> None:
    existing = [
        "",
        "junk",
        "INC-2026-11-27-",
        "INC-2026-11-27-x",
        "INC-2026-11-27-99-extra",
        "XINC-2026-11-27-50",
        "INC-2026-11-27--40",
        "INC-2026-11-27-3",
    ]
    assert next_incident_id(DAY, existing) == "INC-2026-11-27-4"


def test_next_id_accepts_any_iterable() -> None:
    assert next_incident_id(DAY, (f"INC-2026-11-27-{n}" for n in (1, 2))) == "INC-2026-11-27-3"


# --- Status and UpdateKind -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("investigating", Status.INVESTIGATING),
        ("inv", Status.INVESTIGATING),
        ("ide", Status.IDENTIFIED),
        ("Identified", Status.IDENTIFIED),
        ("  MIT  ", Status.MITIGATING),
        ("mon", Status.MONITORING),
        ("r", Status.RESOLVED),
        ("res", Status.RESOLVED),
        ("c", Status.CLOSED),
        ("CLOSED", Status.CLOSED),
    ],
)
def test_status_parse_accepts_unique_prefixes(text: str, status: Status) -> None:
    assert Status.parse(text) is status


@pytest.mark.parametrize(
    "text", ["", "   ", "i", "m", "x", "investigatingx", "done", "in vestigating"]
)
def test_status_parse_rejects_empty_ambiguous_and_unknown(text: str) -> None:
    with pytest.raises(ValueError) as info:
        Status.parse(text)
    message = str(info.value)
    assert repr(text) in message
    assert "investigating, identified, mitigating, monitoring, resolved, closed" in message


def test_status_labels_and_activity() -> None:
    assert Status.MITIGATING.label == "Mitigating"
    assert [s for s in Status if s.is_active] == [
        Status.INVESTIGATING,
        Status.IDENTIFIED,
        Status.MITIGATING,
        Status.MONITORING,
    ]


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        ("internal", UpdateKind.INTERNAL),
        ("Int", UpdateKind.INTERNAL),
        ("internals", UpdateKind.INTERNAL),
        ("stakeholder", UpdateKind.STAKEHOLDER),
        ("Stakeholders", UpdateKind.STAKEHOLDER),
        ("stake", UpdateKind.STAKEHOLDER),
        ("customers", UpdateKind.CUSTOMER),
        ("CUST", UpdateKind.CUSTOMER),
    ],
)
def test_update_kind_named_by_the_first_word(word: str, kind: UpdateKind) -> None:
    assert UpdateKind.leading(word) is kind


@pytest.mark.parametrize(
    "word",
    ["rolled", "i", "st", "cu", "team", "we", "", "custom", "Internet", "internally", "external"],
)
def test_other_first_words_are_the_updates_text(word: str) -> None:
    assert UpdateKind.leading(word) is None


@pytest.mark.parametrize(
    ("word", "guess"),
    [
        ("stakeholdr", "stakeholder"),
        ("stakholders", "stakeholder"),
        ("custmer", "customer"),
        ("cusotmer", "customer"),
        ("internak", "internal"),
        ("stakeholderz", "stakeholder"),
    ],
)
def test_a_near_miss_is_an_error_not_text(word: str, guess: str) -> None:
    with pytest.raises(ValueError, match=rf"unknown update kind '{word}': did you mean {guess}\?"):
        UpdateKind.leading(word)


def test_entry_kinds_automatic_or_typed() -> None:
    typed = {k for k in EntryKind if not k.is_automatic}
    assert typed == {
        EntryKind.NOTE,
        EntryKind.FINDING,
        EntryKind.ACTION,
        EntryKind.DECISION,
        EntryKind.TODO,
    }
    assert EntryKind.SEVERITY.is_automatic
    assert EntryKind.DECLARED.is_automatic


# --- the Incident value --------------------------------------------------------------------


def test_incident_start_is_the_earlier_of_detected_and_declared() -> None:
    assert incident(detected_at=t(9, 40), declared_at=t(10)).started_at == t(9, 40)
    assert incident(detected_at=t(10, 5), declared_at=t(10)).started_at == t(10)


def test_incident_elapsed_stops_at_resolution() -> None:
    inc = incident(detected_at=t(9, 30))
    assert inc.elapsed(t(10, 30)) == 3600
    resolved = incident(detected_at=t(9, 30), resolved_at=t(10))
    assert resolved.elapsed(t(23)) == 1800
    assert inc.elapsed(t(9)) == 0  # never negative


def test_incident_is_open_until_closed() -> None:
    assert incident(status=Status.RESOLVED).is_open
    assert not incident(status=Status.CLOSED).is_open


def test_checklist_item_done() -> None:
    item = ChecklistItem(id=1, section="triage", position=0, text="x")
    assert not item.done
    assert ChecklistItem(id=1, section="triage", position=0, text="x", done_at=t(10)).done


# --- time formats --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0m"),
        (59, "0m"),
        (60, "1m"),
        (45 * 60, "45m"),
        (59 * 60 + 59, "59m"),
        (3600, "1h 00m"),
        (3900, "1h 05m"),
        (4 * 3600 + 30 * 60, "4h 30m"),
        (86400, "1d 0h 00m"),
        (2 * 86400 + 3 * 3600 + 10 * 60, "2d 3h 10m"),
        (-120, "0m"),
    ],
)
def test_duration(seconds: float, text: str) -> None:
    assert duration(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "00:00"),
        (5, "00:05"),
        (59.9, "00:59"),
        (1799, "29:59"),
        (1800, "30:00"),
        (3599, "59:59"),
        (3600, "1:00:00"),
        (7199, "1:59:59"),
        (25 * 3600, "25:00:00"),
        (-1, "-00:01"),
        (-60, "-01:00"),
        (-599, "-09:59"),
        (-3600, "-1:00:00"),
        (-3661, "-1:01:01"),
    ],
)
def test_countdown(seconds: float, text: str) -> None:
    assert countdown(seconds) == text


def test_hhmm_and_stamp_show_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    local = datetime(2026, 11, 27, 16, 5, tzinfo=plus_two)
    assert hhmm(local) == "14:05"
    assert stamp(local) == "2026-11-27 14:05 UTC"
    assert utc(datetime(2026, 11, 27, 14, 5)) == t(14, 5)  # naive is taken as UTC
    assert utc(local).tzinfo is UTC


def test_parse_time_of_day_earlier_today() -> None:
    assert parse_time_of_day("14:05", t(15)) == t(14, 5)
    assert parse_time_of_day("9:05", t(15)) == t(9, 5)
    assert parse_time_of_day(" 09:05:30 ", t(15)) == t(9, 5, 30)


def test_parse_time_of_day_now_exactly_is_today() -> None:
    assert parse_time_of_day("15:00", t(15)) == t(15)
    assert parse_time_of_day("15:00", t(15).replace(microsecond=500_000)) == t(15)


def test_parse_time_of_day_in_the_future_means_yesterday() -> None:
    assert parse_time_of_day("16:00", t(15)) == t(16, day=26)
    assert parse_time_of_day("15:00:01", t(15)) == t(15, 0, 1, day=26)


def test_parse_time_of_day_yesterday_across_a_month_boundary() -> None:
    now = datetime(2026, 12, 1, 0, 10, tzinfo=UTC)
    assert parse_time_of_day("23:50", now) == datetime(2026, 11, 30, 23, 50, tzinfo=UTC)


def test_parse_time_of_day_is_utc_whatever_the_zone_of_now() -> None:
    plus_two = timezone(timedelta(hours=2))
    now = datetime(2026, 11, 27, 17, 0, tzinfo=plus_two)  # 15:00 UTC
    result = parse_time_of_day("15:30", now)
    assert result == t(15, 30, day=26)
    assert result.tzinfo is UTC


@pytest.mark.parametrize("text", ["", "24:00", "14:60", "1405", "14:5", "2pm", "14:05:61"])
def test_parse_time_of_day_rejects_bad_input(text: str) -> None:
    with pytest.raises(ValueError, match=r"HH:MM"):
        parse_time_of_day(text, t(15))


NOW = t(15, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14:05", t(14, 5)),
        ("16:30", t(16, 30, day=26)),
        ("-15m", t(14, 45)),
        ("-2h", t(13)),
        ("  -90m ", t(13, 30)),
        ("-0m", NOW),
        ("2026-11-27T14:05:00Z", t(14, 5)),
        ("2026-11-27T14:05:00+00:00", t(14, 5)),
        ("2026-11-27T15:05+01:00", t(14, 5)),
        ("2026-11-27 14:05", t(14, 5)),
        ("2026-11-27 14:05 UTC", t(14, 5)),
        ("2026-11-26T23:59:59", t(23, 59, 59, day=26)),
    ],
)
def test_parse_when(text: str, expected: datetime) -> None:
    result = parse_when(text, NOW)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize("text", ["", "soon", "yesterday", "+15m", "-15x", "15m", "-m", "14:5"])
def test_parse_when_rejects_garbage_with_a_clear_message(text: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_when(text, NOW)
    message = str(info.value)
    assert repr(text.strip()) in message
    assert "HH:MM" in message
    assert "-15m" in message
    assert "\n" not in message
    assert info.value.__cause__ is None  # not a raw fromisoformat traceback chain


# --- text cleaning -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("\x1b[31mred\x1b[0m", "red"),
        ("\x1b[1;31;47mbold\x1b[m text", "bold text"),
        ("\x1b[2J\x1b[Hcleared", "cleared"),
        ("\x1b[?25lhidden cursor\x1b[?25h", "hidden cursor"),
        ("\x1b]0;pwned title\x07after", "after"),
        ("\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\", "click"),
        ("a\x00b\x07c\x08d\x7fe", "abcde"),
        ("a\x85b\x9cc\x9fd", "abcd"),
        ("keep\ttabs", "keep\ttabs"),
    ],
)
def test_clean_text_removes_escape_sequences_and_controls(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        # `tput sgr0` on xterm emits "\x1b(B\x1b[m": a charset designation, then SGR reset.
        ("\x1b[1mOK\x1b(B\x1b[m done", "OK done"),
        ("\x1b7saved\x1b8", "saved"),  # DECSC / DECRC
        ("\x1bcreset", "reset"),  # RIS
        ("\x1b=keypad\x1b>", "keypad"),  # DECKPAM / DECKPNM
    ],
)
def test_clean_text_removes_whole_short_escape_sequences(raw: str, clean: str) -> None:
    # A terminal consumes the bytes after ESC; leaving them behind ("(B", "7") is garbage.
    assert clean_text(raw) == clean


def test_clean_text_never_lets_a_control_character_through() -> None:
    nasty = [
        "\x1b",
        "\x1b\x1b[31m",
        "\x1b]0;unterminated",
        "\x1b[",
        "x\x1b\x00[31m",
        "".join(chr(c) for c in range(0x00, 0x20)),
        "".join(chr(c) for c in range(0x7F, 0xA0)),
    ]
    allowed = {"\n", "\t"}
    for raw in nasty:
        cleaned = clean_text(raw)
        bad = [c for c in cleaned if (ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0) and c not in allowed]
        assert bad == [], f"{raw!r} -> {cleaned!r}"
        assert "\x1b" not in clean_line(raw)


def test_clean_text_keeps_newlines_and_normalises_line_ends() -> None:
    assert clean_text("line 1\nline 2\n\nline 4") == "line 1\nline 2\n\nline 4"
    assert clean_text("a\r\nb\rc") == "a\nb\nc"
    assert clean_text("  indented\n  twice  \n\n") == "  indented\n  twice"


@pytest.mark.parametrize(
    "text",
    [
        "| a | b |",
        "`rm -rf /tmp/x` and ```code```",
        "{{ config.SECRET }} {% for x in y %}{{ x }}{% endfor %}",
        "<script>alert(1)</script> & &amp;",
        "unicode: é ✅ 🚨 日本",
        "$(whoami) ${HOME} %s %(name)s",
    ],
)
def test_clean_text_and_clean_line_leave_user_text_untouched(text: str) -> None:
    assert clean_text(text) == text
    assert clean_line(text) == text


def test_clean_line_folds_line_breaks_and_runs_of_whitespace() -> None:
    assert clean_line("a\nb\r\nc\td   e") == "a b c d e"
    assert clean_line("  padded \n") == "padded"
    assert clean_line("\x1b[31mred\x1b[0m\nline") == "red line"
    assert clean_line("\n\n") == ""


# --- checklists ----------------------------------------------------------------------------


@pytest.mark.parametrize("severity", [1, 2, 3])
def test_checklist_plan_sections_in_order(severity: int) -> None:
    plan = checklist_plan(PLAYBOOK, severity)
    assert [s.key for s in plan] == [
        "quick_start",
        "first_5_minutes",
        "triage",
        f"severity-{severity}",
    ]
    assert [s.title for s in plan] == [
        "Quick Start",
        "First 5 minutes",
        "Triage questions",
        f"SEV-{severity} actions",
    ]
    assert plan[-1].items == tuple(PLAYBOOK.severity(severity).actions)


def test_checklist_plan_items_follow_the_runbook() -> None:
    quick, first5, triage, actions = checklist_plan(PLAYBOOK, 1)
    assert len(quick.items) == 9
    assert quick.items[0] == "Acknowledge immediately - Respond in incident channel"
    assert quick.items[-1] == "Document - Complete post-incident review"
    assert len(first5.items) == 6
    assert first5.items[0] == "Acknowledge alert in incident channel"
    assert len(triage.items) == 5
    assert triage.items[0] == "Is the issue confirmed or a false alarm?"
    assert actions.items[0] == "Page on-call engineer immediately"
    assert actions.items[-1] == "Customer communication required"
    sev3 = checklist_plan(PLAYBOOK, 3)[-1]
    assert sev3.items == (
        "Log in issue tracker",
        "Assign to relevant team",
        "Daily status updates",
        "Customer communication typically not needed",
    )


def test_checklist_plan_rejects_unknown_severity() -> None:
    with pytest.raises(KeyError):
        checklist_plan(PLAYBOOK, 4)


def test_severity_sections_and_titles() -> None:
    assert severity_section(2) == "severity-2"
    assert severity_actions(PLAYBOOK, 2).key == "severity-2"
    assert section_title(PLAYBOOK, "first_5_minutes") == "First 5 minutes"
    assert section_title(PLAYBOOK, "severity-2") == "SEV-2 actions"
    assert section_title(PLAYBOOK, "my_custom_list") == "My custom list"


def action(id_: int, section: str, position: int, text: str, done: bool = False) -> ChecklistItem:
    return ChecklistItem(id_, section, position, text, t(10, id_) if done else None, "bob")


def test_a_severity_change_carries_a_done_action_into_the_new_section() -> None:
    """Issue 8: after SEV-2 -> SEV-1, "Assign Incident Commander" done under SEV-2 showed as
    "SEV-2 actions (1/1)" while "SEV-1 actions" said 0 of 5 done."""
    sev2 = PLAYBOOK.severity(2).actions
    items = [action(i + 1, "severity-2", i, text) for i, text in enumerate(sev2)]
    ic = items[2]
    assert ic.text == "Assign Incident Commander"
    items[2] = replace(ic, done_at=t(10, 5))
    plan = severity_actions(PLAYBOOK, 1)
    swap = swap_severity_actions(items, plan)
    assert swap.section == "severity-1"
    assert swap.move == ((ic.id, plan.items.index("Assign Incident Commander")),)
    assert set(swap.drop) == {i.id for i in items if i.id != ic.id}
    assert [text for _, text in swap.add] == [
        text for text in plan.items if text != "Assign Incident Commander"
    ]
    assert [p for p, _ in swap.add] == [
        p for p, text in enumerate(plan.items) if text != "Assign Incident Commander"
    ]


def test_a_severity_change_keeps_done_actions_the_new_severity_does_not_ask() -> None:
    page = action(1, "severity-1", 0, "Page on-call engineer immediately", done=True)
    swap = swap_severity_actions([page], severity_actions(PLAYBOOK, 2))
    assert swap.move == () and swap.drop == ()
    assert len(swap.add) == len(PLAYBOOK.severity(2).actions)


def test_a_severity_change_back_finds_the_done_action_again() -> None:
    """SEV-1 -> SEV-2 -> SEV-1: the done items are where they belong; nothing is added twice."""
    plan = severity_actions(PLAYBOOK, 1)
    items = [
        action(1, "severity-1", 0, plan.items[0], done=True),  # stayed under SEV-1
        action(2, "severity-2", 2, "Assign Incident Commander", done=True),
        action(3, "severity-2", 0, "Notify on-call engineer"),
    ]
    swap = swap_severity_actions(items, plan)
    assert swap.move == ((2, plan.items.index("Assign Incident Commander")),)
    assert swap.drop == (3,)
    assert {text for _, text in swap.add} == set(plan.items[1:]) - {"Assign Incident Commander"}


def test_a_severity_change_ignores_other_sections() -> None:
    quick = action(1, "quick_start", 0, "Assign Incident Commander", done=True)
    swap = swap_severity_actions([quick], severity_actions(PLAYBOOK, 1))
    assert swap.move == () and swap.drop == ()
    assert len(swap.add) == len(PLAYBOOK.severity(1).actions)


@pytest.mark.parametrize(
    ("name", "delta"),
    [
        ("P0", timedelta(hours=48)),
        ("P1", timedelta(weeks=1)),
        ("P2", timedelta(weeks=2)),
        ("P3", timedelta(days=30)),
    ],
)
def test_action_due_from_priority(name: str, delta: timedelta) -> None:
    assert action_due(PLAYBOOK.priority(name), t(10)) == t(10) + delta


# --- severity periods ----------------------------------------------------------------------


def test_severity_periods_without_changes_is_one_period() -> None:
    inc = incident(severity=2)
    assert severity_periods(inc, [], t(11, 30)) == [SeverityPeriod(2, 5400)]


def test_severity_periods_start_at_the_declaration() -> None:
    inc = incident(severity=1, detected_at=t(9, 30))  # declared at 10:00
    assert severity_periods(inc, [], t(10, 30)) == [SeverityPeriod(1, 1800)]


def test_severity_periods_ignore_other_entries() -> None:
    inc = incident(severity=2)
    entries = [
        entry(EntryKind.NOTE, t(10, 10), "not a change", to=1),
        entry(EntryKind.SEVERITY, t(10, 20), "malformed", to="1"),
        status_change(t(10, 30), Status.INVESTIGATING, Status.IDENTIFIED),
    ]
    assert severity_periods(inc, entries, t(11)) == [SeverityPeriod(2, 3600)]


def test_severity_periods_single_escalation() -> None:
    inc = incident(severity=1)
    entries = [sev_change(t(10, 20), 2, 1)]
    assert severity_periods(inc, entries, t(11)) == [
        SeverityPeriod(2, 1200),
        SeverityPeriod(1, 2400),
    ]


def test_severity_periods_2_1_2_in_order() -> None:
    inc = incident(severity=2)
    # Given out of order: the function sorts the changes by time.
    entries = [sev_change(t(11), 1, 2), sev_change(t(10, 30), 2, 1)]
    periods = severity_periods(inc, entries, t(12))
    assert periods == [SeverityPeriod(2, 1800), SeverityPeriod(1, 1800), SeverityPeriod(2, 3600)]
    assert sum(p.seconds for p in periods) == 7200


def test_severity_periods_merge_neighbours_at_the_same_level() -> None:
    inc = incident(severity=2)
    # Escalated by mistake and put back at the same instant: one SEV-2 span, no empty SEV-1.
    entries = [sev_change(t(10, 30), 2, 1), sev_change(t(10, 30), 1, 2)]
    assert severity_periods(inc, entries, t(12)) == [SeverityPeriod(2, 7200)]


def test_severity_periods_change_exactly_at_start_drops_the_empty_span() -> None:
    inc = incident(severity=1)
    entries = [sev_change(t(10), 2, 1)]
    assert severity_periods(inc, entries, t(11)) == [SeverityPeriod(1, 3600)]


def test_severity_periods_change_at_start_then_later() -> None:
    inc = incident(severity=3)
    entries = [sev_change(t(10), 2, 1), sev_change(t(10, 45), 1, 3)]
    assert severity_periods(inc, entries, t(11)) == [
        SeverityPeriod(1, 2700),
        SeverityPeriod(3, 900),
    ]


def test_severity_periods_at_the_very_start_are_one_empty_period() -> None:
    inc = incident(severity=2)
    assert severity_periods(inc, [], t(10)) == [SeverityPeriod(2, 0)]


# --- key moments ---------------------------------------------------------------------------

LABELS = [
    "Issue first detected",
    "Incident declared",
    "Acknowledged",
    "Root cause identified",
    "Mitigation started",
    "Service partially restored (monitoring)",
    "Full resolution confirmed",
    "Incident closed",
]


def test_key_moments_of_a_fresh_incident() -> None:
    inc = incident(detected_at=t(9, 50))
    moments = key_moments(inc, [])
    assert [m.label for m in moments] == LABELS
    assert [m.at for m in moments] == [t(9, 50), t(10), None, None, None, None, None, None]


def test_key_moments_of_a_full_incident_use_the_first_status_change() -> None:
    inc = incident(
        detected_at=t(9, 50),
        acknowledged_at=t(10, 2),
        resolved_at=t(11, 30),
        closed_at=t(12),
        status=Status.CLOSED,
    )
    entries = [
        status_change(t(10, 40), Status.MITIGATING, Status.MONITORING),
        status_change(t(10, 45), Status.MONITORING, Status.MITIGATING),
        status_change(t(10, 20), Status.IDENTIFIED, Status.MITIGATING),
        status_change(t(10, 10), Status.INVESTIGATING, Status.IDENTIFIED),
        status_change(t(11), Status.MITIGATING, Status.MONITORING),
        entry(EntryKind.NOTE, t(10, 5), "identified? not a status change", to="identified"),
    ]
    assert key_moments(inc, entries) == [
        KeyMoment("Issue first detected", t(9, 50)),
        KeyMoment("Incident declared", t(10)),
        KeyMoment("Acknowledged", t(10, 2)),
        KeyMoment("Root cause identified", t(10, 10)),
        KeyMoment("Mitigation started", t(10, 20)),
        KeyMoment("Service partially restored (monitoring)", t(10, 40)),
        KeyMoment("Full resolution confirmed", t(11, 30)),
        KeyMoment("Incident closed", t(12)),
    ]


# --- issue #4: scenario and mitigation sections, their order, their moments -----------------


def test_scenario_and_mitigation_plans() -> None:
    payments = PLAYBOOK.scenario("payments_failing")
    assert scenario_plan(payments) == [
        SectionPlan(
            "scenario:payments_failing:diagnosis",
            "Payment processing failures: diagnosis",
            tuple(payments.diagnosis),
        ),
        SectionPlan(
            "scenario:payments_failing:resolution",
            "Payment processing failures: resolution",
            tuple(payments.resolution),
        ),
    ]
    rollback = PLAYBOOK.mitigation("rollback")
    assert [(s.key, s.title, s.items) for s in mitigation_plan(rollback)] == [
        ("mitigation:rollback", "Rollback deployment: steps", tuple(rollback.steps)),
        (
            "mitigation:rollback:verify",
            "Rollback deployment: verification",
            tuple(rollback.verification),
        ),
    ]
    assert [s.key for s in mitigation_plan(PLAYBOOK.mitigation("scale"))] == ["mitigation:scale"]
    no_diagnosis = replace(payments, diagnosis=[])
    assert [s.key for s in scenario_plan(no_diagnosis)] == ["scenario:payments_failing:resolution"]


@pytest.mark.parametrize(
    ("key", "title"),
    [
        ("scenario:payments_failing:diagnosis", "Payment processing failures: diagnosis"),
        ("scenario:site_outage:resolution", "Complete site outage: resolution"),
        ("mitigation:rollback", "Rollback deployment: steps"),
        ("mitigation:migration_rollback:verify", "Database migration rollback: verification"),
        # No longer in the playbook (edited while the incident was open): still readable.
        ("scenario:old_one:diagnosis", "Old one: diagnosis"),
        ("mitigation:old_fix", "Old fix: steps"),
        ("mitigation:old_fix:verify", "Old fix: verification"),
        ("scenario:x:other", "Scenario:x:other"),
    ],
)
def test_section_titles_of_scenarios_and_mitigations(key: str, title: str) -> None:
    assert section_title(PLAYBOOK, key) == title


def item(item_id: int, section: str, position: int = 0) -> ChecklistItem:
    return ChecklistItem(
        id=item_id, section=section, position=position, text=f"{section} {item_id}"
    )


def test_order_checklist() -> None:
    items = [
        item(50, "mitigation:rollback", 1),
        item(49, "mitigation:rollback", 0),
        item(51, "mitigation:rollback:verify"),
        item(40, "scenario:site_outage:diagnosis"),
        item(41, "scenario:site_outage:resolution"),
        item(60, "severity-2"),
        item(30, "mitigation:feature_flag"),
        item(20, "scenario:payments_failing:diagnosis"),
        item(21, "scenario:payments_failing:resolution"),
        item(5, "severity-1"),
        item(3, "retired_list"),
        item(2, "triage"),
        item(1, "quick_start"),
        item(4, "first_5_minutes"),
    ]
    ordered = order_checklist(PLAYBOOK, items)
    assert [i.id for i in ordered] == [1, 4, 2, 3, 5, 60, 20, 21, 40, 41, 30, 49, 50, 51]
    assert order_checklist(PLAYBOOK, []) == []


def mitigation(at: datetime, key: str, phase: str, name: str = "") -> TimelineEntry:
    data: dict[str, Any] = {"mitigation": key, "phase": phase}
    if name:
        data["name"] = name
    return entry(EntryKind.MITIGATION, at, f"Mitigation {phase}", **data)


def test_mitigations_used() -> None:
    entries = [
        mitigation(t(10, 41), "rollback", "applied", "Rollback deployment"),
        mitigation(t(10, 35), "rollback", "started", "Rollback deployment"),
        mitigation(t(10, 20), "feature_flag", "started", "Feature flag disable"),
        mitigation(t(10, 50), "hotfix", "applied"),  # applied without a start: started then
        mitigation(t(10, 55), "rollback", "applied", "Rollback deployment"),  # again: ignored
        mitigation(t(10, 56), "scale", "thinking about it"),  # not a phase
        entry(EntryKind.NOTE, t(10, 57), "rollback", mitigation="rollback", phase="started"),
    ]
    assert mitigations_used(entries) == [
        MitigationUse("feature_flag", "Feature flag disable", t(10, 20)),
        MitigationUse("rollback", "Rollback deployment", t(10, 35), t(10, 41)),
        MitigationUse("hotfix", "Hotfix", t(10, 50), t(10, 50)),
    ]
    assert mitigations_used([]) == []


def test_scenarios_attached() -> None:
    entries = [
        entry(EntryKind.SCENARIO, t(10, 5), scenario="site_outage", name="Complete site outage"),
        entry(EntryKind.SCENARIO, t(10, 2), scenario="payments_failing", name="Payments"),
        entry(EntryKind.SCENARIO, t(10, 9), scenario="site_outage", name="Again"),
        entry(EntryKind.SCENARIO, t(10, 9), scenario="db_performance"),
        entry(EntryKind.NOTE, t(10, 9), scenario="third_party"),
    ]
    assert scenarios_attached(entries) == [
        AttachedScenario("payments_failing", "Payments", t(10, 2)),
        AttachedScenario("site_outage", "Complete site outage", t(10, 5)),
        AttachedScenario("db_performance", "Db performance", t(10, 9)),
    ]


def test_key_moments_name_the_mitigations() -> None:
    inc = incident()
    entries = [
        status_change(t(10, 30), Status.INVESTIGATING, Status.IDENTIFIED),
        mitigation(t(10, 35), "rollback", "started", "Rollback deployment"),
        status_change(t(10, 35), Status.IDENTIFIED, Status.MITIGATING),
        mitigation(t(10, 20), "feature_flag", "started", "Feature flag disable"),
        mitigation(t(10, 41), "rollback", "applied", "Rollback deployment"),
        status_change(t(10, 50), Status.MITIGATING, Status.MONITORING),
    ]
    moments = [(m.label, m.at) for m in key_moments(inc, entries)]
    assert moments == [
        ("Issue first detected", t(10)),
        ("Incident declared", t(10)),
        ("Acknowledged", None),
        ("Root cause identified", t(10, 30)),
        ("Mitigation started (Feature flag disable)", t(10, 20)),
        ("Mitigation started (Rollback deployment)", t(10, 35)),
        ("Mitigation applied (Rollback deployment)", t(10, 41)),
        ("Service partially restored (monitoring)", t(10, 50)),
        ("Full resolution confirmed", None),
        ("Incident closed", None),
    ]


def test_key_moments_fall_back_to_the_mitigating_status() -> None:
    entries = [status_change(t(10, 35), Status.IDENTIFIED, Status.MITIGATING)]
    labels = {m.label: m.at for m in key_moments(incident(), entries)}
    assert labels["Mitigation started"] == t(10, 35)
    assert not any(label.startswith("Mitigation applied") for label in labels)


# --- issue #4: captured clock values -------------------------------------------------------


def internal_due_of(inc: Incident, playbook: Any = PLAYBOOK) -> datetime | None:
    clocks = {c.kind: c for c in compute_clocks(inc, playbook, t(10))}
    return clocks[ClockKind.INTERNAL_UPDATE].due_at


def test_clock_values_of_a_severity() -> None:
    assert clock_values(PLAYBOOK.severity(3)) == ClockValues(60, 1440, 1440, 1440, None)
    assert clock_values(PLAYBOOK.severity(1)) == ClockValues(5, 60, 30, 60, 60)


def test_captured_clock_values_win_over_the_playbook() -> None:
    captured = ClockValues(
        acknowledge_minutes=7,
        resolve_minutes=70,
        internal_update_minutes=17,
        stakeholder_update_minutes=27,
        customer_comms_minutes=None,
    )
    inc = incident(severity=1, clock_values=captured)
    clocks = {c.kind: c for c in compute_clocks(inc, PLAYBOOK, t(10))}
    assert clocks[ClockKind.INTERNAL_UPDATE].due_at == t(10, 17)
    assert clocks[ClockKind.STAKEHOLDER_UPDATE].due_at == t(10, 27)
    assert clocks[ClockKind.ACKNOWLEDGE].due_at == t(10, 7)
    assert clocks[ClockKind.RESOLVE].due_at == t(11, 10)
    assert clocks[ClockKind.CUSTOMER_COMMS].note == "not needed"
    assert next_update_due(inc, PLAYBOOK.severity(1)) == t(10, 17)
    # Without captured values (recorded before they existed): the playbook's.
    assert internal_due_of(incident(severity=1)) == t(10, 30)
    assert next_update_due(incident(severity=1), PLAYBOOK.severity(1)) == t(10, 30)


def test_captured_clock_values_need_no_severity_in_the_playbook() -> None:
    inc = incident(severity=7, clock_values=ClockValues(5, 60, 30, 60, 60))
    assert internal_due_of(inc) == t(10, 30)
    with pytest.raises(KeyError, match="no severity 7"):
        internal_due_of(incident(severity=7))


def test_auto_tick_conditions_follow_the_record() -> None:
    from warroom.domain.incident import auto_tick_conditions

    roles = ["ic", "ops", "dev", "comms"]
    fresh = incident()
    assert auto_tick_conditions(fresh, [], roles, False) == {"declared"}
    done = replace(
        fresh,
        acknowledged_at=t(10, 1),
        mitigated_at=t(10, 20),
        resolved_at=t(10, 30),
        review_path="/reviews/INC-2026-11-27-1-review.md",
    )
    assert auto_tick_conditions(done, ["ic", "ops"], roles, True, internal_update_sent=True) == {
        "declared",
        "acknowledged",
        "ic_assigned",
        "declaration_sent",
        "internal_update_sent",
        "mitigated",
        "resolved",
        "review_written",
    }
    assert "roles_assigned" in auto_tick_conditions(fresh, roles, roles, False)
    assert "roles_assigned" not in auto_tick_conditions(fresh, [], [], False)  # no roles at all


@pytest.mark.parametrize(
    ("data", "internal"),
    [
        ({"update": "internal"}, True),  # /update
        ({"update": "internal", "message": "status_update"}, True),
        ({"update": "internal", "message": "resolved"}, True),
        ({"update": "internal", "message": "declaration"}, False),
        ({"update": "customer", "message": "customer"}, False),
        ({"update": "stakeholder"}, False),
        ({}, False),
    ],
)
def test_which_updates_are_internal_status_updates(data: dict[str, Any], internal: bool) -> None:
    from warroom.domain.incident import is_internal_status_update

    assert is_internal_status_update(data) is internal
