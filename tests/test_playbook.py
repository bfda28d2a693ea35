"""The packaged playbook matches the runbook, and bad playbook files are reported clearly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from warroom.playbook import PlaybookError, default_playbook, load_playbook
from warroom.playbook.loader import dotted, locate

DEFAULT_TOML = (Path(__file__).parent.parent / "warroom" / "playbook" / "default.toml").read_text(
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
    source_dir = Path(__file__).parent.parent / "warroom" / "playbook"
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


def test_model_level_error(tmp_path: Path) -> None:
    text = DEFAULT_TOML.replace('key = "dev"', 'key = "ops"')
    path = _write(tmp_path, text)
    with pytest.raises(PlaybookError, match=r"my\.toml:1: Value error, duplicate roles\.key"):
        load_playbook(path)


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
