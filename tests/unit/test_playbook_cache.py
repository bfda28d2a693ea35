"""Validated playbooks are kept, so that a start reads one without importing pydantic."""

from __future__ import annotations

from dataclasses import MISSING, asdict, fields
from pathlib import Path

import pytest
from conftest import python_c
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from warroom.playbook import PlaybookError, load_playbook, models, schema
from warroom.playbook.loader import KEPT, cache_dir

DEFAULT_TOML = (Path(__file__).parents[2] / "warroom" / "playbook" / "default.toml").read_text(
    encoding="utf-8"
)

RECORDS = [name for name in models.__all__ if isinstance(getattr(models, name), type)]


def _write(tmp_path: Path, text: str, name: str = "my.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _kept() -> list[Path]:
    folder = cache_dir()
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


@pytest.mark.parametrize("name", RECORDS)
def test_the_records_and_the_schema_have_the_same_fields_and_defaults(name: str) -> None:
    record, rules = getattr(models, name), getattr(schema, name)
    assert [f.name for f in fields(record)] == list(rules.model_fields)
    for f in fields(record):
        rule = rules.model_fields[f.name]
        if f.default is not MISSING:
            assert rule.default == f.default, f"{name}.{f.name}"
        elif f.default_factory is not MISSING:
            default = rule.get_default(call_default_factory=True)
            if isinstance(default, BaseModel):  # a table's defaults: compare what they hold
                assert default.model_dump() == asdict(f.default_factory()), f.name
            else:
                assert default == f.default_factory(), f.name
        else:
            assert rule.is_required() and rule.default is PydanticUndefined, f"{name}.{f.name}"


def test_a_valid_playbook_is_kept_and_read_back_equal(tmp_path: Path) -> None:
    path = _write(tmp_path, DEFAULT_TOML)
    assert _kept() == []
    first = load_playbook(path)
    (kept,) = _kept()
    second = load_playbook(path)
    assert second == first
    assert second is not first
    assert _kept() == [kept]


def test_an_invalid_playbook_is_never_kept(tmp_path: Path) -> None:
    path = _write(
        tmp_path, DEFAULT_TOML.replace("acknowledge_minutes = 5", "acknowledge_minutes = 0")
    )
    for _ in range(2):  # reported every time, never read back as valid
        with pytest.raises(PlaybookError, match=r"acknowledge_minutes"):
            load_playbook(path)
    assert _kept() == []


def test_an_edit_is_validated_again(tmp_path: Path) -> None:
    path = _write(tmp_path, DEFAULT_TOML)
    assert load_playbook(path).warn_minutes == 5
    path.write_text(DEFAULT_TOML.replace("warn_minutes = 5", "warn_minutes = 7"), encoding="utf-8")
    assert load_playbook(path).warn_minutes == 7
    path.write_text(DEFAULT_TOML.replace("warn_minutes = 5", "warn_minutes = -1"), encoding="utf-8")
    with pytest.raises(PlaybookError, match="warn_minutes"):
        load_playbook(path)
    assert len(_kept()) == 2


def test_a_damaged_entry_is_validated_again_and_replaced(tmp_path: Path) -> None:
    path = _write(tmp_path, DEFAULT_TOML)
    expected = load_playbook(path)
    (kept,) = _kept()
    for damage in ("{not json", '{"name": "x"}', "[]", ""):
        kept.write_text(damage, encoding="utf-8")
        assert load_playbook(path) == expected
        assert load_playbook(path) == expected  # and it was written again
    assert _kept() == [kept]


def test_a_cache_that_cannot_be_written_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv("WARROOM_CACHE", str(blocker))
    path = _write(tmp_path, DEFAULT_TOML)
    assert load_playbook(path).name == "MaidConnect Incident Response Runbook"
    assert load_playbook(path).name == "MaidConnect Incident Response Runbook"


def test_only_the_newest_are_kept(tmp_path: Path) -> None:
    for n in range(KEPT + 3):
        text = DEFAULT_TOML.replace('version = "2.0.0"', f'version = "2.0.{n}"')
        load_playbook(_write(tmp_path, text, f"p{n}.toml"))
    assert len(_kept()) == KEPT
    assert not list(cache_dir().glob(".*.tmp"))


KEPT_START = """
import sys
import warroom.cli, warroom.tui.app  # all that a start imports
from warroom.playbook import load_playbook
playbook = load_playbook(sys.argv[1])
print(playbook.severity(1).name, "pydantic" in sys.modules)
"""


def test_a_kept_playbook_loads_without_pydantic(tmp_path: Path) -> None:
    path = _write(tmp_path, DEFAULT_TOML)
    assert python_c(KEPT_START, str(path)).strip() == "SEV-1 True"  # validated the first time
    assert python_c(KEPT_START, str(path)).strip() == "SEV-1 False"  # then read back
