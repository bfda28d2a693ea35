"""Drill files: the runbook's quarterly exercises as TOML beside the playbook, validated
with pydantic, mistakes reported as `path:line: field: message` by the playbook's own
machinery (loader.py: `locate`, the same lines `warroom playbook check` prints).

    title = "Database connection failures"
    severity = 1                                   # a level of the playbook
    detected = "Better Stack: 500s on /api/bookings"
    expected_mitigation = "scale"                  # a playbook mitigation's key
    scenario = "db_performance"                    # optional: a playbook scenario's key

    [[injects]]
    at = "4m"                                      # simulated time after the start
    kind = "alert"                                 # alert|status_page|message|deploy|metric
    author = "Better Stack"
    text = "remaining connection slots are reserved"

The packaged drills are in `drills/` beside default.toml; `warroom drill --list` shows them.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

from warroom.playbook.drill_models import Drill, Inject, InjectKind
from warroom.playbook.loader import PlaybookError, _problems, read_toml
from warroom.playbook.models import Playbook

__all__ = ["DrillError", "drill_keys", "load_drill", "packaged_drill_path", "parse_drill"]

DrillError = PlaybookError
"""A drill file could not be loaded: one `path:line: field: message` per problem."""

_AT = re.compile(r"^\s*(?:(?P<h>\d+)h)?\s*(?:(?P<m>\d+)m)?\s*(?:(?P<s>\d+)s)?\s*$")


def parse_offset(text: str) -> timedelta:
    """ "0m", "90s", "4m", "1h30m", "2m30s": simulated time after the start."""
    match = _AT.match(text.strip().casefold())
    if not text.strip() or match is None or not any(match.groupdict().values()):
        raise ValueError(f"not a time after the start: {text!r} (write 90s, 4m or 1h30m)")
    span = timedelta(
        hours=int(match["h"] or 0), minutes=int(match["m"] or 0), seconds=int(match["s"] or 0)
    )
    if span > timedelta(days=7):
        raise ValueError(f"too late: {text!r} (a drill lasts at most a week)")
    return span


def _schema() -> Any:
    """The pydantic models (built on first use: pydantic is imported only to validate)."""
    from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

    Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$")]

    def offset(value: str) -> str:
        parse_offset(value)
        return value

    Offset = Annotated[str, AfterValidator(offset)]

    class _Model(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True)

    class InjectModel(_Model):
        at: Offset
        kind: InjectKind
        author: Text
        text: Text

    class DrillModel(_Model):
        title: Text
        severity: int
        detected: Text
        expected_mitigation: Key
        scenario: Key | None = None
        expected_root_cause: Key | None = None
        briefing: str = ""
        injects: list[InjectModel] = Field(min_length=1)

    return DrillModel


def _check_against(data: Any, playbook: Playbook, text: str, where: str) -> list[str]:
    """What only the playbook can say: the severity, mitigation, scenario and root cause
    must be its own (one line each, at the field's line)."""
    from warroom.playbook.loader import dotted, locate

    checks: list[tuple[str, object, list[object], str]] = [
        ("severity", data.severity, [s.level for s in playbook.severities], "severity"),
        (
            "expected_mitigation",
            data.expected_mitigation,
            [m.key for m in playbook.mitigations],
            "mitigation",
        ),
        ("scenario", data.scenario, [s.key for s in playbook.scenarios], "scenario"),
        (
            "expected_root_cause",
            data.expected_root_cause,
            [r.key for r in playbook.root_causes],
            "root cause",
        ),
    ]
    problems = []
    for name, value, known, what in checks:
        if value is not None and value not in known:
            choices = ", ".join(str(k) for k in known) or "none"
            line = locate(text, (name,))
            problems.append(
                f"{where}:{line}: {dotted((name,))}: unknown {what} {value!r}"
                f" (the playbook has: {choices})"
            )
    return problems


def parse_drill(text: str, playbook: Playbook, where: str = "<drill>", key: str = "") -> Drill:
    """Parse and validate drill TOML TEXT against PLAYBOOK; WHERE names it in errors."""
    data = read_toml(text, where)  # a mistake: one "file:line: ..." (DrillError is PlaybookError)
    from pydantic import ValidationError

    try:
        model = _schema().model_validate(data)
    except ValidationError as exc:
        raise DrillError(_problems(exc, text, where)) from exc
    problems = _check_against(model, playbook, text, where)
    if problems:
        raise DrillError(problems)
    return Drill(
        key=key or Path(where).stem,
        title=model.title,
        severity=model.severity,
        detected=model.detected,
        expected_mitigation=model.expected_mitigation,
        scenario=model.scenario,
        expected_root_cause=model.expected_root_cause,
        briefing=model.briefing.strip(),
        injects=tuple(
            sorted(
                (
                    Inject(parse_offset(i.at), InjectKind(i.kind), i.author, i.text)
                    for i in model.injects
                ),
                key=lambda i: i.at,
            )
        ),
    )


def load_drill(path: str | os.PathLike[str], playbook: Playbook) -> Drill:
    """Load and validate the drill file at PATH (raises DrillError)."""
    where = os.fspath(path)
    try:
        text = Path(where).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise DrillError([f"{where}: cannot read: {reason}"]) from exc
    return parse_drill(text, playbook, where, Path(where).stem)


def _folder() -> Path:
    return Path(str(files("warroom.playbook") / "drills"))


def drill_keys() -> list[str]:
    """The packaged drills' names, sorted."""
    return sorted(p.stem for p in _folder().glob("*.toml"))


def packaged_drill_path(key: str) -> Path:
    """The packaged drill KEY's file; a ValueError names the ones there are."""
    path = _folder() / f"{key}.toml"
    if not path.is_file():
        raise ValueError(f"no drill {key!r} (the drills are: {', '.join(drill_keys())})")
    return path


def onboarding_checklist() -> list[str]:
    """The runbook's "New Team Member Onboarding" checklist (drills/onboarding.md)."""
    text = (_folder() / "onboarding.md").read_text(encoding="utf-8")
    return [
        line.split("]", 1)[1].strip()
        for line in text.splitlines()
        if line.lstrip().startswith("- [")
    ]
