"""The packaged playbook matches the runbook, and bad playbook files are reported clearly."""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict, fields
from pathlib import Path

import pytest

from warroom.playbook import PlaybookError, default_playbook, load_playbook
from warroom.playbook.loader import dotted, locate
from warroom.playbook.models import Playbook, Templates

DEFAULT_TOML = (Path(__file__).parents[2] / "warroom" / "playbook" / "default.toml").read_text(
    encoding="utf-8"
)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "my.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, needle: str, occurrence: int = 0) -> int:
    """1-based line number of the ``occurrence``-th line starting with ``needle``."""
    hits = [n for n, line in enumerate(text.splitlines(), 1) if line.startswith(needle)]
    return hits[occurrence]


# --- the default playbook ----------------------------------------------------------------


def test_default_loads_and_is_cached() -> None:
    playbook = default_playbook()
    assert playbook.name == "MaidConnect Incident Response Runbook"
    assert playbook.version == "2.0.0"
    assert playbook.warn_minutes == 5
    assert playbook.alert_repeat_seconds == 60
    assert default_playbook() is playbook
    assert load_playbook() == playbook


def test_severities_clocks() -> None:
    playbook = default_playbook()
    assert [s.level for s in playbook.severities] == [1, 2, 3]
    assert [s.name for s in playbook.severities] == ["SEV-1", "SEV-2", "SEV-3"]
    assert [s.emoji for s in playbook.severities] == ["🔴", "🟡", "🔵"]

    sev1, sev2, sev3 = (playbook.severity(n) for n in (1, 2, 3))
    assert sev1.title == "Critical Outage"
    assert sev1.response_time == "Immediate (< 5 minutes)"
    assert (sev1.acknowledge_minutes, sev1.resolve_minutes) == (5, 60)
    assert (sev1.internal_update_minutes, sev1.stakeholder_update_minutes) == (30, 60)
    assert sev1.customer_comms_minutes == 60
    assert sev1.customer_comms == "Customer communication required"
    assert len(sev1.examples) == 5

    assert sev2.title == "Major Degradation"
    assert sev2.response_time == "< 15 minutes"
    assert (sev2.acknowledge_minutes, sev2.resolve_minutes) == (15, 240)
    assert (sev2.internal_update_minutes, sev2.stakeholder_update_minutes) == (60, 120)
    assert sev2.customer_comms_minutes == 60
    assert sev2.customer_comms == "Customer communication if prolonged (> 1 hour)"

    assert sev3.title == "Minor Issue"
    assert sev3.response_time == "< 1 hour (during business hours)"
    assert (sev3.acknowledge_minutes, sev3.resolve_minutes) == (60, 1440)
    assert (sev3.internal_update_minutes, sev3.stakeholder_update_minutes) == (1440, 1440)
    assert sev3.customer_comms_minutes is None
    assert sev3.customer_comms == "Customer communication typically not needed"


def test_sev2_actions_match_runbook() -> None:
    assert default_playbook().severity(2).actions == [
        "Notify on-call engineer",
        "Create incident thread",
        "Assign Incident Commander",
        "Team mobilization",
        "Every 2 hours status updates",
        "Customer communication if prolonged (> 1 hour)",
    ]


def test_roles() -> None:
    playbook = default_playbook()
    assert [r.key for r in playbook.roles] == ["ic", "ops", "dev", "comms"]
    assert [r.short for r in playbook.roles] == ["IC", "Ops", "Dev", "Comms"]
    ic = playbook.role("IC")
    assert ic is playbook.role("ic")
    assert ic.name == "Incident Commander"
    assert ic.responsibilities[0] == "Owns the incident from detection to resolution"
    assert ic.tools == []
    assert playbook.role("comms").tools == ["Communication templates"]
    assert "Supabase SQL Editor" in playbook.role("Dev Engineer").tools
    with pytest.raises(KeyError):
        playbook.role("nobody")


def test_checklists() -> None:
    checklists = default_playbook().checklists
    assert [(c.key, c.title, len(c.items)) for c in checklists] == [
        ("quick_start", "Quick Start", 9),
        ("first_5_minutes", "First 5 minutes", 6),
        ("triage", "Triage questions", 5),
    ]
    assert checklists[0].items[0] == "Acknowledge immediately - Respond in incident channel"
    assert checklists[1].items[0] == "Acknowledge alert in incident channel"
    assert all("\n" not in item for c in checklists for item in c.items)


def test_priorities() -> None:
    playbook = default_playbook()
    assert [(p.name, p.label, p.due_hours) for p in playbook.priorities] == [
        ("P0", "Critical", 48),
        ("P1", "High", 168),
        ("P2", "Medium", 336),
        ("P3", "Low", 720),
    ]
    assert playbook.priority("p1").description == "Prevent recurrence of SEV-2"


def test_playbook_package_has_no_ui_or_network_imports() -> None:
    source_dir = Path(__file__).parents[2] / "warroom" / "playbook"
    for source in source_dir.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+(textual|httpx)\b", text, re.M), source


# --- error reporting ---------------------------------------------------------------------


def test_bad_value_names_file_line_and_field(tmp_path: Path) -> None:
    # Second severity: acknowledge_minutes = 15 -> 0.
    text = DEFAULT_TOML.replace("acknowledge_minutes = 15", "acknowledge_minutes = 0")
    assert text != DEFAULT_TOML
    path = _write(tmp_path, text)
    with pytest.raises(PlaybookError) as info:
        load_playbook(path)
    line = _line_of(text, "acknowledge_minutes", 1)
    assert str(info.value) == (
        f"{path}:{line}: severities[1].acknowledge_minutes: Input should be greater than 0"
    )


def test_missing_key_points_at_table_header(tmp_path: Path) -> None:
    text = DEFAULT_TOML.replace('definition = "Major feature', 'not_definition = "Major feature')
    path = _write(tmp_path, text)
    with pytest.raises(PlaybookError) as info:
        load_playbook(path)
    lines = str(info.value).splitlines()
    header = _line_of(text, "[[severities]]", 1)
    extra = _line_of(text, "not_definition")
    assert f"{path}:{header}: severities[1].definition: Field required" in lines
    assert f"{path}:{extra}: severities[1].not_definition: Extra inputs are not permitted" in lines


def test_unknown_field_reported_with_its_line(tmp_path: Path) -> None:
    text = DEFAULT_TOML.replace('short = "Dev"', 'short = "Dev"\npager = "555-0100"')
    path = _write(tmp_path, text)
    with pytest.raises(PlaybookError) as info:
        load_playbook(path)
    line = _line_of(text, "pager =")
    assert str(info.value) == f"{path}:{line}: roles[2].pager: Extra inputs are not permitted"


def test_top_level_errors(tmp_path: Path) -> None:
    text = 'version = "1"\nname = "x"\nwarn_minutes = -1\nseverities = []\nroles = []\n'
    path = _write(tmp_path, text)
    with pytest.raises(PlaybookError) as info:
        load_playbook(path)
    lines = str(info.value).splitlines()
    assert f"{path}:3: warn_minutes: Input should be greater than 0" in lines
    assert f"{path}:1: checklists: Field required" in lines
    assert f"{path}:1: priorities: Field required" in lines


def test_duplicate_key_points_at_the_repeat(tmp_path: Path) -> None:
    text = DEFAULT_TOML.replace('key = "dev"', 'key = "ops"')
    path = _write(tmp_path, text)
    with pytest.raises(PlaybookError) as info:
        load_playbook(path)
    line = _line_of(text, 'key = "ops"', 1)
    assert str(info.value) == (
        f"{path}:{line}: roles[2].key: duplicate 'ops' (already used by roles[1])"
    )


@pytest.mark.parametrize(
    ("old", "new", "field", "first"),
    [
        ("level = 3", "level = 1", "severities[2].level", "severities[0]"),
        ('name = "P2"', 'name = "P1"', "priorities[2].name", "priorities[1]"),
        ('key = "hotfix"', 'key = "rollback"', "mitigations[3].key", "mitigations[0]"),
        ('key = "db_performance"', 'key = "site_outage"', "scenarios[3].key", "scenarios[0]"),
        ('key = "security"', 'key = "database"', "root_causes[5].key", "root_causes[1]"),
        (
            'name = "Vercel Status"',
            'name = "Stripe Status"',
            "quick_links[5].name",
            "quick_links[3]",
        ),
        ('name = "Vercel"\n', 'name = "Stripe"\n', "status_pages[2].name", "status_pages[0]"),
    ],
)
def test_duplicates_in_every_list(
    tmp_path: Path, old: str, new: str, field: str, first: str
) -> None:
    """The problem is reported on the line that repeats the key, naming the first user."""
    assert DEFAULT_TOML.count(old) == 1, old
    line = _line_of(DEFAULT_TOML, old.strip())
    path = _write(tmp_path, DEFAULT_TOML.replace(old, new))
    with pytest.raises(PlaybookError) as info:
        load_playbook(path)
    (problem,) = info.value.problems
    (value,) = tomllib.loads(new).values()
    assert problem == f"{path}:{line}: {field}: duplicate {value!r} (already used by {first})"


def test_no_severity_at_all(tmp_path: Path) -> None:
    text = re.sub(r"(?ms)^\[\[severities\]\].*?(?=^# -{10})", "", DEFAULT_TOML)
    text = text.replace("# Minutes before", "severities = []\n# Minutes before")
    path = _write(tmp_path, text)
    with pytest.raises(PlaybookError) as info:
        load_playbook(path)
    line = _line_of(text, "severities = []")
    assert str(info.value) == (
        f"{path}:{line}: severities: List should have at least 1 item after validation, not 0"
    )


def test_toml_syntax_error_names_line(tmp_path: Path) -> None:
    path = _write(tmp_path, 'name = "x"\nversion = "1"\n\nwarn_minutes = = 5\n')
    with pytest.raises(PlaybookError) as info:
        load_playbook(path)
    message = str(info.value)
    assert message.startswith(f"{path}:4: ")
    assert "(at line 4, column" in message


def test_missing_file_cannot_read(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(PlaybookError) as info:
        load_playbook(str(path))
    assert str(info.value) == f"{path}: cannot read: No such file or directory"


def test_non_utf8_file_cannot_read(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'name = "caf\xe9"\n')
    with pytest.raises(PlaybookError, match=r"latin1\.toml: cannot read: .*utf-8"):
        load_playbook(path)


# --- the location mapping ----------------------------------------------------------------

SAMPLE = """\
name = "x"
"version" = "1"
[[severities]]
level = 1
text = '''
[[severities]]
acknowledge_minutes = 1
'''
[[ severities ]]  # second
level = 2
acknowledge_minutes = 0
[[roles]]
key = "ic"
[settings]
deep.value = 1
"""


@pytest.mark.parametrize(
    ("loc", "line"),
    [
        ((), 1),
        (("name",), 1),
        (("version",), 2),
        (("severities",), 3),
        (("severities", 0), 3),
        (("severities", 0, "level"), 4),
        (("severities", 0, "acknowledge_minutes"), 3),  # only inside a string: the header
        (("severities", 1, "acknowledge_minutes"), 11),
        (("severities", 1, "examples", 2), 9),
        (("severities", 5, "level"), 3),  # no such table: the first header of that name
        (("roles", 0, "key"), 13),
        (("settings",), 14),
        (("missing",), 1),
    ],
)
def test_locate(loc: tuple[int | str, ...], line: int) -> None:
    assert locate(SAMPLE, loc) == line


def test_dotted() -> None:
    assert dotted(("severities", 1, "acknowledge_minutes")) == "severities[1].acknowledge_minutes"
    assert dotted(("severities", 0, "examples", 2)) == "severities[0].examples[2]"
    assert dotted(()) == ""


def test_directory_cannot_read(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match=r": cannot read: "):
        load_playbook(tmp_path)


# --- issue #4: root causes, mitigations, scenarios, links, status pages, templates ----------


def test_root_causes_match_the_runbook() -> None:
    causes = default_playbook().root_causes
    assert [(c.key, c.name, c.next_step) for c in causes] == [
        ("recent_deployment", "Recent Deployment", "Consider rollback"),
        ("database", "Database Issues", "Check Supabase health, recent migrations"),
        ("third_party", "Third-Party Service", "Check status pages"),
        ("environment", "Environment Configuration", "Check Vercel environment settings"),
        ("traffic_spike", "Traffic Spike", "Check analytics, scale resources"),
        ("security", "Security Incident", "Check access logs, IP patterns"),
    ]
    assert causes[1].signs == [
        "Migration failed/incomplete",
        "Connection pool exhausted",
        "Query performance degradation",
    ]


def test_mitigations_match_the_runbook() -> None:
    playbook = default_playbook()
    assert [(m.key, m.name) for m in playbook.mitigations] == [
        ("rollback", "Rollback deployment"),
        ("feature_flag", "Feature flag disable"),
        ("migration_rollback", "Database migration rollback"),
        ("hotfix", "Hotfix deployment"),
        ("scale", "Scale resources"),
    ]
    rollback = playbook.mitigation("rollback")
    assert rollback.when_to_use[1] == "No data migration involved"
    assert "Find last known good deployment (green check, before errors)" in rollback.steps
    assert rollback.verification == [
        "Check Better Stack for error rate drop",
        "Test affected functionality manually",
        "Monitor for 10-15 minutes",
    ]
    assert playbook.mitigation("migration_rollback").cautions == [
        "Database rollbacks can cause data loss. Assess carefully."
    ]
    assert "Make minimal fix (ONE THING ONLY)" in playbook.mitigation("hotfix").steps
    assert all(m.steps and m.when_to_use for m in playbook.mitigations)


def test_scenarios_match_the_runbook() -> None:
    playbook = default_playbook()
    assert [(s.key, s.name, len(s.diagnosis), len(s.resolution)) for s in playbook.scenarios] == [
        ("site_outage", "Complete site outage", 3, 4),
        ("auth_broken", "Authentication broken", 3, 5),
        ("payments_failing", "Payment processing failures", 3, 5),
        ("db_performance", "Database performance degradation", 3, 5),
        ("third_party", "Third-party service outage", 2, 6),
    ]
    payments = playbook.scenario("payments_failing")
    assert payments.symptoms == [
        "Users cannot complete bookings",
        "Stripe webhook failures",
        "Payment intents failing",
    ]
    assert payments.resolution[0] == "Check Stripe status page (status.stripe.com)"


def test_links_status_pages_and_templates() -> None:
    playbook = default_playbook()
    assert [(q.name, q.url) for q in playbook.quick_links][:3] == [
        ("Better Stack Dashboard", "https://logs.betterstack.com"),
        ("Vercel Dashboard", "https://vercel.com/dashboard"),
        ("Supabase Dashboard", "https://supabase.com/dashboard"),
    ]
    assert {q.group for q in playbook.quick_links} == {"Monitoring & Logs", "Status Pages"}
    assert [(s.name, s.url) for s in playbook.status_pages] == [
        ("Stripe", "https://status.stripe.com/api/v2/summary.json"),
        ("Supabase", "https://status.supabase.com/api/v2/summary.json"),
        ("Vercel", "https://www.vercel-status.com/api/v2/summary.json"),
    ]
    assert asdict(playbook.templates) == {
        "declaration": "declaration.md.j2",
        "status_update": "status_update.md.j2",
        "stakeholder_update": "stakeholder_update.md.j2",
        "resolved": "resolved.md.j2",
        "customer": "customer.md.j2",
        "customer_resolved": "customer_resolved.md.j2",
        "review": "review.md.j2",
    }


def test_every_message_has_its_template_in_the_playbook() -> None:
    """[templates] names a file for each kind of message and for the review."""
    from warroom.domain.messages import MessageKind

    templates = default_playbook().templates
    for kind in MessageKind:
        assert templates.name(kind.value) == kind.template
    assert templates.name("review") == "review.md.j2"


def test_the_packaged_default_fills_every_section() -> None:
    """New sections are optional in user files, so the default must not rely on that."""
    data = tomllib.loads(DEFAULT_TOML)
    assert set(data) == {f.name for f in fields(Playbook)}
    for name in ("root_causes", "mitigations", "scenarios", "quick_links", "status_pages"):
        assert data[name], name
    assert set(data["templates"]) == {f.name for f in fields(Templates)}


def test_every_list_item_is_one_line() -> None:
    playbook = default_playbook()
    lines = [
        *(line for c in playbook.root_causes for line in c.signs),
        *(
            line
            for m in playbook.mitigations
            for line in (*m.when_to_use, *m.steps, *m.verification, *m.cautions)
        ),
        *(line for s in playbook.scenarios for line in (*s.symptoms, *s.diagnosis, *s.resolution)),
    ]
    assert len(lines) > 100
    assert all(line.strip() == line and "\n" not in line for line in lines)


def _without_new_sections(text: str) -> str:
    """The default as an earlier release wrote it: everything from root causes on removed."""
    cut = text.index("# Triage, Step 3: common root causes")
    return text[: text.rindex("\n# ---", 0, cut)] + "\n"


def test_an_older_playbook_still_loads(tmp_path: Path) -> None:
    older = _without_new_sections(DEFAULT_TOML)
    assert "[[mitigations]]" not in older and "[[priorities]]" in older
    playbook = load_playbook(_write(tmp_path, older))
    assert playbook.severities == default_playbook().severities
    assert (playbook.root_causes, playbook.mitigations, playbook.scenarios) == ([], [], [])
    assert (playbook.quick_links, playbook.status_pages) == ([], [])
    assert playbook.templates == default_playbook().templates
    with pytest.raises(KeyError, match=r"no mitigation 'rollback' \(known: none in the playbook\)"):
        playbook.mitigation("rollback")


def test_templates_may_be_named_in_part(tmp_path: Path) -> None:
    text = _without_new_sections(DEFAULT_TOML) + '[templates]\nreview = "our-review.md.j2"\n'
    templates = load_playbook(_write(tmp_path, text)).templates
    assert templates.review == "our-review.md.j2"
    assert templates.declaration == "declaration.md.j2"


@pytest.mark.parametrize(
    ("wanted", "key"),
    [
        ("payments_failing", "payments_failing"),
        ("PAYMENTS_FAILING", "payments_failing"),
        ("Payment processing failures", "payments_failing"),
        ("payment", "payments_failing"),
        ("  Payment Proc ", "payments_failing"),
        ("auth", "auth_broken"),
        ("third", "third_party"),
        ("db", "db_performance"),
        ("Database performance", "db_performance"),
    ],
)
def test_scenario_lookup(wanted: str, key: str) -> None:
    assert default_playbook().scenario(wanted).key == key


@pytest.mark.parametrize(
    ("wanted", "key"),
    [
        ("rollback", "rollback"),
        ("Rollback deployment", "rollback"),
        ("feature", "feature_flag"),
        ("migration", "migration_rollback"),
        ("Database migration", "migration_rollback"),
        ("hot", "hotfix"),
        ("SCALE RESOURCES", "scale"),
    ],
)
def test_mitigation_lookup(wanted: str, key: str) -> None:
    assert default_playbook().mitigation(wanted).key == key


@pytest.mark.parametrize(
    ("wanted", "key"),
    [
        ("recent", "recent_deployment"),
        ("Recent Deployment", "recent_deployment"),
        ("database", "database"),  # the key, although "Database Issues" also starts so
        ("traffic", "traffic_spike"),
        ("security incident", "security"),
        ("env", "environment"),
    ],
)
def test_root_cause_lookup(wanted: str, key: str) -> None:
    assert default_playbook().root_cause(wanted).key == key


def test_lookups_name_the_known_keys() -> None:
    playbook = default_playbook()
    with pytest.raises(KeyError) as info:
        playbook.scenario("ddos")
    assert info.value.args[0] == (
        "no scenario 'ddos' (known: site_outage, auth_broken, payments_failing, "
        "db_performance, third_party)"
    )
    with pytest.raises(KeyError, match=r"no mitigation 'revert' \(known: rollback, feature_flag,"):
        playbook.mitigation("revert")
    with pytest.raises(KeyError, match=r"no root cause '  ' \(known: recent_deployment, "):
        playbook.root_cause("  ")


def test_an_ambiguous_prefix_is_refused() -> None:
    with pytest.raises(KeyError) as info:
        default_playbook().root_cause("t")
    assert info.value.args[0] == "root cause 't' is ambiguous (matches: third_party, traffic_spike)"
    # A key and a name of the same entry are one match, not two.
    assert default_playbook().scenario("d").key == "db_performance"


# --- problems in the new sections name file, line and field --------------------------------


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = _write(tmp_path, text)
    with pytest.raises(PlaybookError) as info:
        load_playbook(path)
    prefix = f"{path}:"
    assert all(p.startswith(prefix) for p in info.value.problems)
    return [p.removeprefix(prefix) for p in info.value.problems]


def test_an_empty_step_names_its_own_line(tmp_path: Path) -> None:
    old = '    "Apply it: Supabase dashboard'
    text = DEFAULT_TOML.replace(old, '    "  ",\n' + old)
    line = _line_of(text, '    "  ",')
    assert _problems(tmp_path, text) == [
        f"{line}: mitigations[2].steps[2]: String should have at least 1 character"
    ]


def test_a_mitigation_needs_steps(tmp_path: Path) -> None:
    text = re.sub(r'(?s)(key = "scale".*?)steps = \[.*?\]\n', r"\1steps = []\n", DEFAULT_TOML)
    line = _line_of(text, "steps = []")
    assert _problems(tmp_path, text) == [
        f"{line}: mitigations[4].steps: List should have at least 1 item after validation, not 0"
    ]


def test_a_scenario_needs_some_steps(tmp_path: Path) -> None:
    text = DEFAULT_TOML + '\n[[scenarios]]\nkey = "empty"\nname = "E"\nsymptoms = []\n'
    text += "diagnosis = []\nresolution = []\n"
    header = _line_of(text, "[[scenarios]]", 5)
    assert _problems(tmp_path, text) == [
        f"{header}: scenarios[5]: Value error, a scenario needs diagnosis or resolution steps"
    ]


@pytest.mark.parametrize("key", ["Rollback", "roll back", "scenario:x", "", "_x"])
def test_keys_are_plain(tmp_path: Path, key: str) -> None:
    text = DEFAULT_TOML.replace('key = "rollback"', f'key = "{key}"')
    line = text.splitlines().index(f'key = "{key}"') + 1
    (problem,) = _problems(tmp_path, text)
    assert problem.startswith(f"{line}: mitigations[0].key: String should match pattern ")


@pytest.mark.parametrize("url", ["status.stripe.com", "ftp://x.y", "https://", "https:// x"])
def test_urls_must_be_http(tmp_path: Path, url: str) -> None:
    old = 'url = "https://www.vercel-status.com/api/v2/summary.json"'
    text = DEFAULT_TOML.replace(old, f'url = "{url}"')
    line = text.splitlines().index(f'url = "{url}"') + 1
    (problem,) = _problems(tmp_path, text)
    assert problem.startswith(f"{line}: status_pages[2].url: String should match pattern ")


@pytest.mark.parametrize("name", ["../review.md.j2", "sub/review.md.j2", "", ".hidden"])
def test_template_names_are_file_names(tmp_path: Path, name: str) -> None:
    text = DEFAULT_TOML.replace('review = "review.md.j2"', f'review = "{name}"')
    line = _line_of(text, f'review = "{name}"')
    (problem,) = _problems(tmp_path, text)
    assert problem.startswith(f"{line}: templates.review: String should match pattern ")


def test_an_unknown_template_is_reported(tmp_path: Path) -> None:
    text = DEFAULT_TOML.replace("[templates]\n", '[templates]\npostmortem = "pm.md.j2"\n')
    line = _line_of(text, "postmortem =")
    assert _problems(tmp_path, text) == [
        f"{line}: templates.postmortem: Extra inputs are not permitted"
    ]


def test_inline_tables_are_located_by_element(tmp_path: Path) -> None:
    links = (
        "quick_links = [\n"
        '    { name = "Dash", url = "https://dash.example" },\n'
        '    { name = "Logs", url = "logs.example" },\n'
        "]\n"
    )
    older = _without_new_sections(DEFAULT_TOML)
    text = older.replace('version = "2.0.0"\n', 'version = "2.0.0"\n' + links)
    line = _line_of(text, '    { name = "Logs"')
    (problem,) = _problems(tmp_path, text)
    assert problem.startswith(f"{line}: quick_links[1].url: String should match pattern ")


NESTED = """\
name = "x"
links = [ { name = "a" },
  { name = "b" }, # [not] a header, "nor a string
  "x,]", 'y"', \"\"\"multi
line\"\"\", [1,
2], 3
]
[[mitigations]]
key = "a"
[[mitigations]]
key = "b"
steps = [
  "one", # [comment], "two"
  "two",
  '''three,
  still three''',
  "four \\" ] ,",
]
verification = ["v0", "v1"]
[templates]
review = 3
"""


@pytest.mark.parametrize(
    ("loc", "line"),
    [
        (("links", 0), 2),
        (("links", 1, "name"), 3),
        (("links", 2), 4),
        (("links", 3), 4),
        (("links", 4), 4),
        (("links", 5), 5),
        (("links", 6), 6),
        (("links", 7), 2),  # no such element: the key's line
        (("name", 0), 1),  # not an array
        (("mitigations", 1, "steps"), 12),
        (("mitigations", 1, "steps", 0), 13),
        (("mitigations", 1, "steps", 1), 14),
        (("mitigations", 1, "steps", 2), 15),
        (("mitigations", 1, "steps", 3), 17),
        (("mitigations", 1, "steps", 4), 12),
        (("mitigations", 1, "verification", 1), 19),
        (("mitigations", 0, "steps", 1), 8),  # no steps key: the entry's header
        (("templates", "review"), 21),
        (("templates", "declaration"), 20),  # a missing key: the table's header
        (("templates",), 20),
    ],
)
def test_locate_nested(loc: tuple[int | str, ...], line: int) -> None:
    assert locate(NESTED, loc) == line


def test_only_what_makes_an_entry_useful_is_required(tmp_path: Path) -> None:
    """Adding a scenario, mitigation or root cause in a hurry takes a key, a name and steps."""
    text = _without_new_sections(DEFAULT_TOML) + (
        '[[root_causes]]\nkey = "cert"\nname = "Expired certificate"\n'
        '[[mitigations]]\nkey = "renew"\nname = "Renew the certificate"\n'
        'steps = ["certbot renew"]\n'
        '[[scenarios]]\nkey = "tls"\nname = "TLS errors"\nresolution = ["Renew"]\n'
    )
    playbook = load_playbook(_write(tmp_path, text))
    assert playbook.root_cause("cert").signs == [] and playbook.root_cause("cert").next_step == ""
    assert playbook.mitigation("renew").when_to_use == []
    assert playbook.mitigation("renew").verification == playbook.mitigation("renew").cautions == []
    assert playbook.scenario("tls").symptoms == playbook.scenario("tls").diagnosis == []
    missing = text.replace('steps = ["certbot renew"]\n', "").replace('name = "TLS errors"\n', "")
    header = _line_of(missing, "[[mitigations]]")
    scenario = _line_of(missing, "[[scenarios]]")
    assert _problems(tmp_path, missing) == [
        f"{header}: mitigations[0].steps: Field required",
        f"{scenario}: scenarios[0].name: Field required",
    ]


def test_an_auto_tick_must_name_an_item(tmp_path: Path) -> None:
    text = DEFAULT_TOML.replace(
        'ic_assigned = ["Assign Incident Commander"]', 'ic_assigned = ["Assign Incident Comander"]'
    )
    assert text != DEFAULT_TOML
    path = _write(tmp_path, text)
    with pytest.raises(PlaybookError) as info:
        load_playbook(path)
    line = _line_of(text, "ic_assigned")
    assert str(info.value) == (
        f"{path}:{line}: auto_tick.ic_assigned[0]: "
        "no checklist item or severity action says 'Assign Incident Comander'"
    )


def test_an_unknown_auto_tick_condition_is_reported(tmp_path: Path) -> None:
    text = DEFAULT_TOML.replace("ic_assigned = [", "commander_assigned = [")
    path = _write(tmp_path, text)
    with pytest.raises(PlaybookError, match=r"auto_tick\.commander_assigned: Extra inputs"):
        load_playbook(path)


def test_auto_ticks_are_optional(tmp_path: Path) -> None:
    start = DEFAULT_TOML.index("[auto_tick]")
    end = DEFAULT_TOML.index("# ----", start)
    playbook = load_playbook(_write(tmp_path, DEFAULT_TOML[:start] + DEFAULT_TOML[end:]))
    assert playbook.auto_tick.texts(["acknowledged", "resolved"]) == set()
    assert default_playbook().auto_tick.texts(["resolved"]) == {"Resolve - Verify fix and monitor"}


def test_auto_ticking_the_ic_needs_a_role_keyed_ic(tmp_path: Path) -> None:
    text = DEFAULT_TOML.replace('key = "ic"', 'key = "commander"')
    assert text != DEFAULT_TOML
    path = _write(tmp_path, text)
    with pytest.raises(PlaybookError, match=r"auto_tick\.ic_assigned\[0\]: no role has key 'ic'"):
        load_playbook(path)
