"""Load a playbook TOML file and report mistakes as ``path:line: field: message``.

A file is validated (schema.py, pydantic) the first time it is seen, and what it says is kept
in the user's cache directory under a hash of its text (and of warroom's code that reads it).
Loading the same text again reads that back into the records without importing pydantic:
about a tenth of a second of every start, more than all the rest of warroom's imports. Only
valid playbooks are kept, so an invalid file is always validated, and always reported.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from warroom import __version__
from warroom.playbook.models import Playbook

if TYPE_CHECKING:
    from pydantic import ValidationError

__all__ = ["PlaybookError", "default_playbook", "load_playbook"]


class PlaybookError(Exception):
    """A playbook could not be loaded; ``str()`` is one ``path:line: ...`` line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("\n".join(self.problems))


DEFAULT_PLAYBOOK = Path(__file__).with_name("default.toml")
"""The packaged playbook (a file in the package, shipped in the wheel; read as a path, not
through importlib.resources, whose import a hook's one-shot command would pay for)."""


def load_playbook(path: str | os.PathLike[str] | None = None) -> Playbook:
    """Load and validate a playbook; ``None`` loads the packaged default."""
    if path is None:
        where = str(DEFAULT_PLAYBOOK)
        reader = DEFAULT_PLAYBOOK.read_bytes
    else:
        where = os.fspath(path)
        reader = Path(where).read_bytes
    try:
        text = reader().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PlaybookError([f"{where}: cannot read: {reason}"]) from exc
    return parse_playbook(text, where)


def read_toml(text: str, where: str) -> dict[str, Any]:
    """TEXT as TOML; a mistake is a PlaybookError naming WHERE and its line ("file:12: ...")."""
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(match.group(1)) if match else max(1, len(text.splitlines()))
        raise PlaybookError([f"{where}:{line}: {message}"]) from exc


def parse_playbook(text: str, where: str = "<playbook>") -> Playbook:
    """Parse and validate playbook TOML ``text``; ``where`` names it in error messages."""
    key = _cache_key(text)
    kept = _read_kept(key)
    if kept is not None:
        return kept
    data = read_toml(text, where)  # only for a text not seen before (the cache has the rest)
    from pydantic import ValidationError

    from warroom.playbook import schema

    try:
        playbook = schema.validate(data)
    except ValidationError as exc:
        raise PlaybookError(_problems(exc, text, where)) from exc
    _keep(key, playbook)
    return playbook


def _problems(exc: ValidationError, text: str, where: str) -> list[str]:
    problems = []
    for err in exc.errors(include_url=False):
        loc, message = tuple(err["loc"]), err["msg"]
        if err["type"] == "duplicate_key":
            loc, message = _duplicate(loc, err.get("ctx", {}))
        elif err["type"] == "unknown_item":  # the whole playbook's check: point at the text
            ctx = err.get("ctx", {})
            loc = ("auto_tick", ctx.get("condition", ""), ctx.get("index", 0))
        line = locate(text, loc)
        name = dotted(loc)
        prefix = f"{where}:{line}: {name}: " if name else f"{where}:{line}: "
        problems.append(prefix + message)
    return problems


# --- validated playbooks, kept -------------------------------------------------------------

KEPT = 16
"""How many validated playbooks the cache keeps (the most recently written)."""


CACHE_ENV = "WARROOM_CACHE"


def cache_dir() -> Path:
    """`playbooks/` in $WARROOM_CACHE, else in the platform's user cache directory."""
    base = os.environ.get(CACHE_ENV)
    return (Path(base) if base else platformdirs.user_cache_path("warroom")) / "playbooks"


@functools.cache
def _code_fingerprint() -> bytes:
    """What decides how a text is read: warroom's version and the two modules that read it."""
    here = Path(__file__).parent
    digest = hashlib.sha256(__version__.encode())
    for name in ("schema.py", "models.py"):
        try:
            digest.update((here / name).read_bytes())
        except OSError:  # not a plain file (a zip import): the version alone decides
            digest.update(name.encode())
    return digest.digest()


def _cache_key(text: str) -> str:
    return hashlib.sha256(_code_fingerprint() + text.encode()).hexdigest()


def _read_kept(key: str) -> Playbook | None:
    """The playbook kept under ``key``, or None (none kept, or unreadable: validate again)."""
    try:
        data = json.loads((cache_dir() / f"{key}.json").read_text(encoding="utf-8"))
        return Playbook.from_dict(data)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _keep(key: str, playbook: Playbook) -> None:
    """Keep a validated playbook (atomically; a cache that cannot be written is no error)."""
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        import tempfile  # only when a playbook is kept (the first time its text is seen)

        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(dataclasses.asdict(playbook), out)
        os.replace(tmp, folder / f"{key}.json")
        kept = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[KEPT:]:
            old.unlink(missing_ok=True)
    except OSError:
        Path(tmp).unlink(missing_ok=True)


def _duplicate(
    loc: tuple[int | str, ...], ctx: dict[str, Any]
) -> tuple[tuple[int | str, ...], str]:
    """A repeated key is reported where it repeats: ``mitigations[3].key``, not the list."""
    index, first, attribute = ctx.get("index"), ctx.get("first"), ctx.get("attribute")
    if not (isinstance(index, int) and isinstance(first, int) and isinstance(attribute, str)):
        return loc, "duplicate entry"
    message = f"duplicate {ctx.get('value')!r} (already used by {dotted((*loc, first))})"
    return (*loc, index, attribute), message


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
    """Best line number in ``text`` for a pydantic error ``loc``; 1 if nothing better.

    Handles what a playbook is made of: top-level keys, ``[table]`` keys, ``[[array]]``
    entries and their keys, and elements of (multi-line) arrays, written inline or not:
    ``("mitigations", 2, "steps", 3)`` is the line of the fourth step of the third
    ``[[mitigations]]``.
    """
    if not loc or not isinstance(loc[0], str):
        return 1
    tables = _tables(text)
    lines = list(enumerate(text.splitlines(), start=1))
    name, rest = loc[0], loc[1:]
    if rest and isinstance(rest[0], int):
        entries = [t for t in tables if t.name == name and t.is_array]
        if entries:
            if 0 <= rest[0] < len(entries):
                return _in_table(entries[rest[0]], rest[1:], lines)
            return entries[0].line
    for table in tables[1:]:
        if table.name == name and not table.is_array:
            return _in_table(table, rest, lines)
    found = _key_line(tables[0].body, name)
    if found is not None:
        return _in_value(lines, found, rest)
    for table in tables[1:]:
        if table.name is not None and (table.name == name or table.name.startswith(name + ".")):
            return table.line
    return 1


def _in_table(table: _Table, rest: tuple[int | str, ...], lines: list[tuple[int, str]]) -> int:
    """The line of ``rest`` inside one table: its key's line, else the table's header."""
    if not rest or not isinstance(rest[0], str):
        return table.line
    found = _key_line(table.body, rest[0])
    if found is None:
        return table.line
    return _in_value(lines, found, rest[1:])


def _in_value(lines: list[tuple[int, str]], line: int, rest: tuple[int | str, ...]) -> int:
    """The line of element ``rest[0]`` of the array whose key is on ``line``; else ``line``."""
    if not rest or not isinstance(rest[0], int):
        return line
    starts = _element_lines(lines[line - 1 :])
    return starts[rest[0]] if 0 <= rest[0] < len(starts) else line


def _element_lines(lines: list[tuple[int, str]]) -> list[int]:
    """Where each element of the array value ``key = [...]`` on ``lines[0]`` starts.

    A small scanner rather than a TOML parser: it tracks strings (so brackets and commas
    inside them do not count), comments and nesting, which is all it takes to find the
    commas that separate the top-level elements.
    """
    starts: list[int] = []
    depth = 0
    expecting = False  # the next significant character starts an element
    quote: str | None = None
    for index, (number, line) in enumerate(lines):
        i = line.index("=") + 1 if index == 0 and "=" in line else 0
        while i < len(line):
            char = line[i]
            if quote is not None:
                if char == "\\" and quote in ('"', '"""'):
                    i += 2
                elif line.startswith(quote, i):
                    i += len(quote)
                    quote = None
                else:
                    i += 1
                continue
            if char == "#":
                break
            if char in " \t":
                i += 1
                continue
            if depth == 0 and char != "[":
                return starts  # not an array
            if depth == 1 and expecting and char not in ",]":
                starts.append(number)
                expecting = False
            if char in "\"'":
                quote = char * 3 if line.startswith(char * 3, i) else char
                i += len(quote)
                continue
            if char in "[{":
                depth += 1
                expecting = expecting or (depth == 1 and char == "[")
            elif char in "]}":
                depth -= 1
                if depth == 0:
                    return starts
            elif char == "," and depth == 1:
                expecting = True
            i += 1
    return starts
