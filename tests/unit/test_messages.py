"""The runbook's five communication templates, filled from the record (pure: no network)."""

from __future__ import annotations

import os
import warnings
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from warroom.comms.messages import (
    MAX_LIST_ITEMS,
    MessageData,
    MessageKind,
    TemplateProblem,
    draft_message,
    load_message_data,
    message_context,
    render_message,
)
from warroom.comms.render import create_environment
from warroom.domain.clocks import ClockKind
from warroom.domain.model import (
    ActionItem,
    EntryKind,
    Incident,
    ReviewNotes,
    RoleAssignment,
    Status,
    TimelineEntry,
    UpdateKind,
)
from warroom.playbook import default_playbook
from warroom.store.store import Store

GOLDEN = Path(__file__).parents[1] / "golden" / "messages"
T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
HOSTILE = (
    "a | b `code` {{ 7*7 }} {% raw %}x{% endraw %} <script>alert(1)</script>\n"
    "line two \x1b[31mred\x1b[0m # not a heading"
)


def check_golden(name: str, text: str) -> None:
    """Compare with tests/golden/messages/<name>; WARROOM_UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN / name
    if os.environ.get("WARROOM_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        return
    assert path.exists(), f"{path} is missing: run with WARROOM_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def entry(n: int, minutes: int, kind: EntryKind, text: str, pinned: bool = False) -> TimelineEntry:
    at = T0 + timedelta(minutes=minutes)
    return TimelineEntry(n, "INC-2026-11-27-1", at, at, kind, text, "bob", pinned)


def role(key: str, person: str, minutes: int, ended: int | None = None) -> RoleAssignment:
    end = T0 + timedelta(minutes=ended) if ended is not None else None
    return RoleAssignment(key, person, T0 + timedelta(minutes=minutes), "alice", end)


def make_data(
    *,
    status: Status = Status.MITIGATING,
    now_minutes: int = 40,
    entries: list[TimelineEntry] | None = None,
    roles: list[RoleAssignment] | None = None,
    review: ReviewNotes | None = None,
    resolved_minutes: int | None = None,
    title: str = "Checkout failing after deploy 4512",
    users: str = "~30% of users",
    features: str = "checkout, payments",
    items: list[ActionItem] | None = None,
    status_page_url: str = "",
) -> MessageData:
    incident = Incident(
        id="INC-2026-11-27-1",
        title=title,
        severity=1,
        status=status,
        impact_users=users,
        impact_features=features,
        detected_at=T0 - timedelta(minutes=5),
        declared_at=T0,
        last_internal_update_at=T0 + timedelta(minutes=20),
        resolved_at=T0 + timedelta(minutes=resolved_minutes) if resolved_minutes else None,
        review=review or ReviewNotes(),
    )
    if entries is None:
        entries = [
            entry(1, 3, EntryKind.FINDING, "Error rate 40% on /api/checkout since 09:55"),
            entry(2, 5, EntryKind.NOTE, "Deploy 4512 went out at 09:52", pinned=True),
            entry(3, 6, EntryKind.NOTE, "just chatter, not in the message"),
            entry(4, 8, EntryKind.STATUS, "Status Investigating -> Identified"),
            entry(5, 10, EntryKind.DECISION, "Roll back rather than hotfix"),
            entry(6, 12, EntryKind.ACTION, "Rolled back to deploy 4511"),
            entry(7, 13, EntryKind.STATUS, "Status Identified -> Mitigating"),
            entry(8, 15, EntryKind.TODO, "Verify payments in Stripe test mode"),
            entry(9, 16, EntryKind.CHECKLIST, "Done: Check Vercel (First 5 minutes)"),
        ]
    if roles is None:
        roles = [role("ic", "alice", 0), role("ops", "bob", 2), role("dev", "carol", 4)]
    return MessageData(
        incident=incident,
        entries=entries,
        role_history=roles,
        action_items=items or [],
        playbook=default_playbook(),
        now=T0 + timedelta(minutes=now_minutes),
        status_page_url=status_page_url,
    )


def resolved_data() -> MessageData:
    return make_data(
        status=Status.RESOLVED,
        now_minutes=50,
        resolved_minutes=48,
        review=ReviewNotes(
            root_cause="Deploy 4512 dropped the Stripe customer ID check.",
            resolution="Rolled back to deploy 4511.",
            verification="Error rate back under 0.1%\n- Test payment passed",
        ),
        items=[
            ActionItem(
                1,
                "INC-2026-11-27-1",
                "Add a test for the customer ID",
                "dave",
                "P0",
                T0 + timedelta(hours=48),
            ),
            ActionItem(
                2, "INC-2026-11-27-1", "Alert on checkout errors", "", "P1", T0 + timedelta(days=7)
            ),
        ],
    )


def hostile_data() -> MessageData:
    return make_data(
        title="Title # | `x` <b> {{ 7*7 }}",
        users="users | `all` <i>",
        features="check{{ out }} {% raw %}",
        entries=[
            entry(1, 3, EntryKind.FINDING, HOSTILE),
            entry(2, 5, EntryKind.ACTION, "- 1. {{ 7*7 }} | `rm -rf` <script>"),
            entry(3, 6, EntryKind.TODO, "\x1b]0;pwned\x07{% endraw %}\r\nnext"),
        ],
        roles=[role("ic", "eve|`<x>`", 0)],
    )


# -- kinds -------------------------------------------------------------------------------


def test_kinds_in_the_runbook_order() -> None:
    assert [k.label for k in MessageKind] == [
        "Internal: Incident Declaration",
        "Internal: Status Update",
        "Stakeholders: Status Update",
        "Internal: Incident Resolved",
        "External: Customer Communication",
        "External: Resolution Notice",
    ]
    assert [k.value for k in MessageKind] == [
        "declaration",
        "status_update",
        "stakeholder_update",
        "resolved",
        "customer",
        "customer_resolved",
    ]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("declaration", MessageKind.DECLARATION),
        ("decl", MessageKind.DECLARATION),
        ("status-update", MessageKind.STATUS_UPDATE),
        ("STATUS", MessageKind.STATUS_UPDATE),
        ("r", MessageKind.RESOLVED),
        ("customer", MessageKind.CUSTOMER),  # exact, though also a prefix of customer_resolved
        ("customer_r", MessageKind.CUSTOMER_RESOLVED),
    ],
)
def test_parse(text: str, kind: MessageKind) -> None:
    assert MessageKind.parse(text) is kind


@pytest.mark.parametrize(("text", "word"), [("c", "ambiguous"), ("x", "unknown"), ("", "unknown")])
def test_parse_errors(text: str, word: str) -> None:
    with pytest.raises(ValueError, match=word):
        MessageKind.parse(text)


def test_which_clocks_a_send_restarts() -> None:
    for kind in (MessageKind.DECLARATION, MessageKind.STATUS_UPDATE, MessageKind.RESOLVED):
        assert kind.updates == (UpdateKind.INTERNAL,)
        assert kind.clocks == (ClockKind.INTERNAL_UPDATE,)
        assert kind.audience == "Internal"
    for kind in (MessageKind.CUSTOMER, MessageKind.CUSTOMER_RESOLVED):
        assert kind.updates == (UpdateKind.CUSTOMER, UpdateKind.STAKEHOLDER)
        assert kind.clocks == (ClockKind.CUSTOMER_COMMS, ClockKind.STAKEHOLDER_UPDATE)
        assert kind.is_customer_facing and kind.audience == "External"
    # A stakeholder update restarts the stakeholder clock, and only that one.
    assert MessageKind.STAKEHOLDER_UPDATE.updates == (UpdateKind.STAKEHOLDER,)
    assert MessageKind.STAKEHOLDER_UPDATE.clocks == (ClockKind.STAKEHOLDER_UPDATE,)
    assert MessageKind.parse("stakeholder") is MessageKind.STAKEHOLDER_UPDATE


def test_stakeholder_update_is_the_status_update_addressed_to_stakeholders() -> None:
    text = render_message(MessageKind.STAKEHOLDER_UPDATE, make_data())
    assert text.startswith("📣 STAKEHOLDER UPDATE 10:40 UTC\n\n**To:** Stakeholders\n")
    assert "- 10:05 Deploy 4512 went out at 09:52\n" in text  # drawn from the record
    assert "- 10:12 Rolled back to deploy 4511\n" in text
    assert "**Next stakeholder update:** 11:40 UTC\n" in text  # SEV-1: hourly


# -- golden files ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(MessageKind), ids=lambda k: k.value)
def test_every_template_matches_its_golden_file(kind: MessageKind) -> None:
    data = (
        resolved_data()
        if kind in (MessageKind.RESOLVED, MessageKind.CUSTOMER_RESOLVED)
        else (make_data())
    )
    check_golden(f"{kind.value}.md", render_message(kind, data))


@pytest.mark.parametrize("kind", list(MessageKind), ids=lambda k: k.value)
def test_every_template_with_hostile_text_matches_its_golden_file(kind: MessageKind) -> None:
    check_golden(f"{kind.value}_hostile.md", render_message(kind, hostile_data()))


@pytest.mark.parametrize("kind", list(MessageKind), ids=lambda k: k.value)
def test_every_template_of_an_empty_record_matches_its_golden_file(kind: MessageKind) -> None:
    data = make_data(entries=[], roles=[], users="", features="", status=Status.INVESTIGATING)
    check_golden(f"{kind.value}_empty.md", render_message(kind, data))


# -- what the messages say -----------------------------------------------------------------


def test_declaration_follows_the_runbook() -> None:
    text = render_message(MessageKind.DECLARATION, make_data())
    assert text.startswith("🚨 INCIDENT DECLARED: SEV-1 (Critical Outage) 🔴\n")
    assert "**Issue:** Checkout failing after deploy 4512\n" in text
    assert "**Impact:** Users: ~30% of users; Features: checkout, payments\n" in text
    assert "**Started:** 2026-11-27 09:55 UTC\n" in text  # detected before declared
    assert "**Status:** Mitigating\n" in text
    assert "- IC: @alice\n- Ops: @bob\n- Dev: @carol\n- Comms: @[unassigned]\n" in text
    # Sending it restarts the internal clock: the next update is one cadence (30 min) away.
    assert "**Next Update:** 11:10 UTC\n" in text
    assert text.endswith("Thread for all updates 👇\n")


def test_status_update_lists_what_we_know_actions_and_next_steps() -> None:
    text = render_message(MessageKind.STATUS_UPDATE, make_data())
    assert text.startswith("⏱️ UPDATE 10:40 UTC\n")
    assert "**Current Status:** Mitigating\n" in text
    assert (
        "**What we know:**\n"
        "- 10:05 Deploy 4512 went out at 09:52\n"
        "- 10:03 Error rate 40% on /api/checkout since 09:55\n\n"
    ) in text
    assert (  # what people did first, newest first; then what warroom recorded
        "**Actions taken:**\n"
        "- 10:12 Rolled back to deploy 4511\n"
        "- 10:10 Decision: Roll back rather than hotfix\n"
        "- 10:13 Status Identified → Mitigating\n"
        "- 10:08 Status Investigating → Identified\n\n"
    ) in text
    assert "**Next steps:**\n- 10:15 Verify payments in Stripe test mode\n" in text
    assert "**ETA to resolution:** Unknown (SLA: resolve by 10:55 UTC)\n" in text
    assert "**Next update:** 11:10 UTC\n" in text
    assert "chatter" not in text and "Check Vercel" not in text


def test_next_steps_default_to_the_next_update() -> None:
    data = make_data(entries=[entry(1, 3, EntryKind.FINDING, "x")])
    text = render_message(MessageKind.STATUS_UPDATE, data)
    assert "**Next steps:**\n- Next update at 11:10 UTC\n" in text


def test_passed_sla_is_said() -> None:
    text = render_message(MessageKind.STATUS_UPDATE, make_data(now_minutes=70))
    assert "(SLA: resolve by 10:55 UTC, passed)" in text


def test_long_lists_keep_the_newest_and_say_nothing_of_the_rest() -> None:
    findings = [entry(i, i, EntryKind.FINDING, f"finding {i}") for i in range(1, 13)]
    context = message_context(make_data(entries=findings), MessageKind.STATUS_UPDATE)
    known = context["what_we_know"]
    assert known == [f"10:{i:02d} finding {i}" for i in range(12, 12 - MAX_LIST_ITEMS, -1)]
    text = render_message(MessageKind.STATUS_UPDATE, make_data(entries=findings))
    assert "earlier in the timeline" not in text


def test_human_actions_come_before_warroom_events_in_a_busy_incident() -> None:
    """Issue 8: twelve actions, then a burst of status/severity/mitigation changes. The draft
    listed the eight automatic events and folded every action into "(12 earlier ...)"."""
    actions = [entry(i, i, EntryKind.ACTION, f"action {i}") for i in range(1, 13)]
    kinds = [EntryKind.STATUS, EntryKind.SEVERITY, EntryKind.MITIGATION]
    automatic = [entry(100 + i, 20 + i, kinds[i % 3], f"event {i}") for i in range(8)]
    data = make_data(entries=actions + automatic, now_minutes=40)
    context = message_context(data, MessageKind.STATUS_UPDATE)
    assert context["actions_taken"] == [
        f"10:{i:02d} action {i}" for i in range(12, 12 - MAX_LIST_ITEMS, -1)
    ]
    text = render_message(MessageKind.STATUS_UPDATE, data)
    assert "earlier in the timeline" not in text
    assert "event" not in text
    assert "- 10:12 action 12\n- 10:11 action 11\n" in text


def test_warroom_events_fill_the_list_after_the_human_entries() -> None:
    entries = [
        entry(1, 1, EntryKind.STATUS, "Status Investigating -> Identified"),
        entry(2, 2, EntryKind.ACTION, "Restarted the pool"),
        entry(3, 3, EntryKind.SEVERITY, "Severity SEV-2 -> SEV-1"),
        entry(4, 4, EntryKind.DECISION, "Page the DBA"),
        entry(5, 5, EntryKind.SEVERITY, "Severity SEV-1 -> SEV-2", pinned=True),
    ]
    context = message_context(make_data(entries=entries), MessageKind.STATUS_UPDATE)
    assert context["actions_taken"] == [
        "10:05 Severity SEV-1 → SEV-2",  # pinned by a person: a human entry
        "10:04 Decision: Page the DBA",
        "10:02 Restarted the pool",
        "10:03 Severity SEV-2 → SEV-1",
        "10:01 Status Investigating → Identified",
    ]


def test_next_steps_are_the_newest_todos_first() -> None:
    todos = [entry(i, i, EntryKind.TODO, f"todo {i}") for i in range(1, 11)]
    context = message_context(make_data(entries=todos), MessageKind.STATUS_UPDATE)
    assert context["next_steps"] == [
        f"10:{i:02d} todo {i}" for i in range(10, 10 - MAX_LIST_ITEMS, -1)
    ]


def test_incident_spanning_days_shows_dates() -> None:
    text = render_message(MessageKind.STATUS_UPDATE, make_data(now_minutes=26 * 60))
    assert text.startswith("⏱️ UPDATE 2026-11-28 12:00 UTC\n")
    assert "- 2026-11-27 10:03 Error rate" in text
    assert "**Next update:** 2026-11-28 12:30 UTC" in text


def test_resolved_uses_the_review_notes() -> None:
    text = render_message(MessageKind.RESOLVED, resolved_data())
    assert text.startswith("✅ INCIDENT RESOLVED\n")
    assert "**Resolution Time:** 53m\n" in text  # 09:55 detected to 10:48 resolved
    assert "**Root Cause:** Deploy 4512 dropped the Stripe customer ID check.\n" in text
    assert "**Fix Applied:** Rolled back to deploy 4511.\n" in text
    assert "**Verification:**\n- Error rate back under 0.1%\n- Test payment passed\n" in text
    assert "- Post-incident review: due by 2026-11-28 10:48 UTC\n" in text
    assert (
        "- Action items:\n"
        "  - P0: Add a test for the customer ID (@dave, due 2026-11-29)\n"
        "  - P1: Alert on checkout errors (due 2026-12-04)\n"
    ) in text
    assert text.endswith("Thanks to @alice, @bob and @carol for quick response!\n")


def test_resolved_without_notes_prompts_like_the_runbook() -> None:
    text = render_message(MessageKind.RESOLVED, make_data(roles=[], entries=[]))
    assert "**Root Cause:** [Brief explanation]\n" in text
    assert "**Fix Applied:** [What we did]\n" in text
    assert "- [Check 1: passed]\n" in text
    assert "- Action items: none recorded yet\n" in text
    assert "Thanks to the team for quick response!" in text


def test_handed_off_roles_show_the_current_holder_and_thank_everyone() -> None:
    roles = [role("ic", "alice", 0, ended=10), role("ic", "dan", 10)]
    data = make_data(roles=roles)
    assert "- IC: @dan\n" in render_message(MessageKind.DECLARATION, data)
    assert "Thanks to @alice and @dan " in render_message(MessageKind.RESOLVED, data)


def test_customer_messages_follow_the_runbook() -> None:
    text = render_message(MessageKind.CUSTOMER, make_data(status_page_url="https://status.x.io"))
    assert text.startswith("Subject: Service Disruption Update - checkout, payments\n\n")
    assert "Dear MaidConnect Users,\n\nWe are currently experiencing issues with checkout" in text
    assert "**Affected Users:** ~30% of users\n" in text
    assert "**Status:** We have identified the issue and are applying a fix.\n" in text
    assert "Updates: https://status.x.io\n" in text
    assert text.endswith("- The MaidConnect Team\n")
    done = render_message(MessageKind.CUSTOMER_RESOLVED, resolved_data())
    assert done.startswith("Subject: Service Restored - checkout, payments\n")
    assert "**Resolution time:** 53m\n**Current status:** Fully operational\n" in done


@pytest.mark.parametrize("kind", [MessageKind.CUSTOMER, MessageKind.CUSTOMER_RESOLVED])
def test_customer_messages_leak_nothing_internal(kind: MessageKind) -> None:
    data = resolved_data()
    text = render_message(kind, data)
    internal = [
        data.incident.id,
        data.incident.title,
        "alice",
        "bob",
        "carol",
        "dave",
        "Stripe",
        "4511",
        "4512",
        "SEV",
        "Error rate",
    ]
    for word in internal:
        assert word not in text, word
    context = message_context(data, kind)
    assert not {"incident", "entries", "roles", "title", "root_cause", "team"} & set(context)


def test_hostile_text_stays_inert_and_the_structure_holds() -> None:
    """Chat messages carry user text as typed (a reader must not see `\\|` or `&lt;`: the
    channel builders escape what their service needs), but inert: never evaluated, no
    terminal escapes, and no line of it becomes a heading."""
    md = MarkdownIt("commonmark")
    for kind in MessageKind:
        clean = render_message(kind, make_data())
        text = render_message(kind, hostile_data())
        assert "49" not in text  # {{ 7*7 }} was never evaluated
        assert "\x1b" not in text and "\x07" not in text and "\r" not in text
        assert "&lt;" not in text and "\\|" not in text
        shape = [t.type for t in md.parse(clean) if t.type.endswith("_open")]
        assert "heading_open" not in shape
        assert "heading_open" not in [t.type for t in md.parse(text)]
    update = render_message(MessageKind.STATUS_UPDATE, hostile_data())
    assert "{% raw %}x{% endraw %}" in update and "{{ 7*7 }}" in update
    assert "a | b `code`" in update


def test_user_text_is_never_template_source() -> None:
    data = make_data(title="{{ incident.id }} {% for x in range(3) %}x{% endfor %}")
    text = render_message(MessageKind.DECLARATION, data)
    assert "**Issue:** {{ incident.id }} {% for x in range(3) %}x{% endfor %}\n" in text


# -- the user's templates ------------------------------------------------------------------


def test_a_user_template_wins(tmp_path: Path) -> None:
    (tmp_path / "status_update.md.j2").write_text("UPDATE {{ incident_id }}: {{ title | md }}\n")
    env = create_environment(user_templates=tmp_path)
    draft = draft_message(MessageKind.STATUS_UPDATE, make_data(title="a|b"), env)
    assert draft.text == "UPDATE INC-2026-11-27-1: a\\|b\n"
    assert draft.problem is None
    # Templates the user did not write are the packaged ones.
    declaration = draft_message(MessageKind.DECLARATION, make_data(), env)
    assert declaration.text == render_message(MessageKind.DECLARATION, make_data())


def test_the_playbooks_templates_choose_the_file(tmp_path: Path) -> None:
    """Playbook [templates]: a message is rendered by the file the playbook names."""
    (tmp_path / "our-update.md.j2").write_text("OURS {{ incident_id }}\n")
    data = make_data()
    data = replace(
        data,
        playbook=replace(
            data.playbook,
            templates=replace(data.playbook.templates, status_update="our-update.md.j2"),
        ),
    )
    env = create_environment(user_templates=tmp_path)
    assert draft_message(MessageKind.STATUS_UPDATE, data, env).text == "OURS INC-2026-11-27-1\n"
    # The other messages keep their own files.
    declaration = draft_message(MessageKind.DECLARATION, data, env)
    assert declaration.text == render_message(MessageKind.DECLARATION, make_data())
    # A file the playbook names that is nowhere: the packaged one, and it says which.
    lost = replace(
        data,
        playbook=replace(
            data.playbook, templates=replace(data.playbook.templates, resolved="gone.md.j2")
        ),
    )
    draft = draft_message(MessageKind.RESOLVED, lost, env)
    assert draft.text == render_message(MessageKind.RESOLVED, make_data())
    assert draft.problem is not None and "gone.md.j2" in str(draft.problem)


@pytest.mark.parametrize(
    ("source", "line", "words"),
    [
        ("ok\n{{ incident_id }\n", 2, "unexpected '}'"),
        ("ok\nline two\n{% for x in %}\n", 3, "Expected an expression"),
        ("ok\n{{ no_such_value }}\n", 2, "'no_such_value' is undefined"),
        ("{{ incident_id }}\n\n{{ 1 // 0 }}\n", 3, "ZeroDivisionError"),
        ("{% include 'missing.j2' %}\n", 1, "missing.j2"),
    ],
)
def test_a_broken_user_template_falls_back_and_says_where(
    tmp_path: Path, source: str, line: int, words: str
) -> None:
    path = tmp_path / "status_update.md.j2"
    path.write_text(source)
    env = create_environment(user_templates=tmp_path)
    draft = draft_message(MessageKind.STATUS_UPDATE, make_data(), env)
    assert draft.text == render_message(MessageKind.STATUS_UPDATE, make_data())
    problem = draft.problem
    assert problem is not None
    assert problem.line == line
    assert str(problem).startswith(f"{path}:{line}: ")
    assert words in str(problem)


def test_the_problem_shows_home_as_a_tilde(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    templates = tmp_path / ".config" / "warroom" / "templates"
    templates.mkdir(parents=True)
    (templates / "resolved.md.j2").write_text("\n\n{{ oops }\n")
    draft = draft_message(
        MessageKind.RESOLVED, make_data(), create_environment(user_templates=templates)
    )
    assert str(draft.problem) == ("~/.config/warroom/templates/resolved.md.j2:3: unexpected '}'")


def test_render_message_warns_about_a_broken_template(tmp_path: Path) -> None:
    (tmp_path / "customer.md.j2").write_text("{{ ")
    env = create_environment(user_templates=tmp_path)
    with pytest.warns(TemplateProblem, match="customer.md.j2:1"):
        text = render_message(MessageKind.CUSTOMER, make_data(), env)
    assert text.startswith("Subject: Service Disruption Update")


def test_a_working_template_gives_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        render_message(MessageKind.CUSTOMER, make_data())


# -- from the store ----------------------------------------------------------------------


def test_load_message_data_from_the_store(store: Store) -> None:
    clock = store.clock
    incident = store.declare("Checkout failing", 2, impact_users="many", impact_features="checkout")
    store.assign(incident.id, "ic", "alice")
    store.log(incident.id, "5xx on checkout", kind=EntryKind.FINDING)
    store.log(incident.id, "rolled back", kind=EntryKind.ACTION)
    store.set_status(incident.id, Status.MITIGATING)
    data = load_message_data(store, incident.id, company="Acme", status_page_url="https://s.io")
    assert data.now == clock()
    assert data.company == "Acme"
    text = render_message(MessageKind.STATUS_UPDATE, data)
    assert "- 10:00 5xx on checkout\n" in text
    assert "- 10:00 rolled back\n- 10:00 Status Investigating → Mitigating\n" in text
    assert "**Next update:** 11:00 UTC" in text  # SEV-2: an hour
    customer = render_message(MessageKind.CUSTOMER, data)
    assert "Dear Acme Users," in customer and "Updates: https://s.io" in customer


def test_message_context_is_plain_values() -> None:
    for kind in MessageKind:
        for value in message_context(make_data(), kind).values():
            assert isinstance(value, str | int | bool | list | datetime), type(value)


def test_a_pinned_action_is_listed_once() -> None:
    data = make_data(entries=[entry(1, 3, EntryKind.ACTION, "Rolled back", pinned=True)])
    context = message_context(data, MessageKind.STATUS_UPDATE)
    assert context["what_we_know"] == []
    assert context["actions_taken"] == ["10:03 Rolled back"]


def test_an_empty_draft_has_no_bracketed_fill_in_prompts() -> None:
    """A draft is sendable as written: no "[Action 1]" left for people to read."""
    for kind in (MessageKind.STATUS_UPDATE, MessageKind.STAKEHOLDER_UPDATE):
        text = (GOLDEN / f"{kind.value}_empty.md").read_text(encoding="utf-8")
        assert "[Action" not in text and "[Finding" not in text and "[Next action" not in text
