"""Load a playbook TOML file and report mistakes as ``path:line: field: message``."""

from __future__ import annotations

import functools
import os
import re
import tomllib
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from pydantic import ValidationError

from warroom.playbook.models import Playbook

__all__ = ["PlaybookError", "default_playbook", "load_playbook"]


class PlaybookError(Exception):
    """A playbook could not be loaded; ``str()`` is one ``path:line: ...`` line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("\n".join(self.problems))


def load_playbook(path: str | os.PathLike[str] | None = None) -> Playbook:
    """Load and validate a playbook; ``None`` loads the packaged default."""
    if path is None:
        resource = files("warroom.playbook") / "default.toml"
        where = str(resource)
        reader = resource.read_bytes
    else:
        where = os.fspath(path)
        reader = Path(where).read_bytes
    try:
        text = reader().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PlaybookError([f"{where}: cannot read: {reason}"]) from exc
    return parse_playbook(text, where)


def parse_playbook(text: str, where: str = "<playbook>") -> Playbook:
    """Parse and validate playbook TOML ``text``; ``where`` names it in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(match.group(1)) if match else max(1, len(text.splitlines()))
        raise PlaybookError([f"{where}:{line}: {message}"]) from exc
    try:
        return Playbook.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            line = locate(text, loc)
            name = dotted(loc)
            prefix = f"{where}:{line}: {name}: " if name else f"{where}:{line}: "
            problems.append(prefix + err["msg"])
        raise PlaybookError(problems) from exc


@functools.cache
def default_playbook() -> Playbook:
    """The packaged default playbook, loaded once."""
    return load_playbook()


def dotted(loc: tuple[int | str, ...]) -> str:
    """``("severities", 1, "acknowledge_minutes")`` -> ``severities[1].acknowledge_minutes``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


# --- mapping an error location to a line of the TOML text -------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")


@dataclass
class _Table:
    name: str | None  # None: the top level, before any header
    is_array: bool
    line: int
    body: list[tuple[int, str]] = field(default_factory=list)


def _tables(text: str) -> list[_Table]:
    """Split ``text`` into the top level and its ``[table]``/``[[array]]`` sections."""
    tables = [_Table(None, False, 1)]
    in_string: str | None = None  # the open multi-line string delimiter, if any
    for number, line in enumerate(text.splitlines(), start=1):
        if in_string is None:
            header = _HEADER.match(line)
            if header:
                name = re.sub(r"\s*\.\s*", ".", header.group(2)).replace('"', "").replace("'", "")
                tables.append(_Table(name, header.group(1) == "[[", number))
                continue
            tables[-1].body.append((number, line))
        for delim in re.findall(r'"""|\'\'\'', line):
            if in_string is None:
                in_string = delim
            elif delim == in_string:
                in_string = None
    return tables


def _key_line(body: list[tuple[int, str]], key: str) -> int | None:
    pattern = re.compile(
        rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*[=.]"""
    )
    for number, line in body:
        if pattern.match(line):
            return number
    return None


def locate(text: str, loc: tuple[int | str, ...]) -> int:
    """Best line number in ``text`` for a pydantic error ``loc``; 1 if nothing better."""
    if not loc or not isinstance(loc[0], str):
        return 1
    tables = _tables(text)
    name = loc[0]
    if len(loc) >= 2 and isinstance(loc[1], int):
        entries = [t for t in tables if t.name == name and t.is_array]
        if 0 <= loc[1] < len(entries):
            entry = entries[loc[1]]
            if len(loc) >= 3 and isinstance(loc[2], str):
                return _key_line(entry.body, loc[2]) or entry.line
            return entry.line
    found = _key_line(tables[0].body, name)
    if found is not None:
        return found
    for table in tables[1:]:
        if table.name == name:
            return table.line
    return 1
