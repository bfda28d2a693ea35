"""The jinja2 environment for warroom's documents, and filters that keep user text inert.

User text is data: it reaches a template only through the render context, never as template
source, so ``{{ 7*7 }}`` typed in a note stays ``{{ 7*7 }}``. The filters escape it for the
place it lands in a markdown document: a table cell (``cell``), running text (``md``) or a
bullet list (``bullets``), and strip control characters and terminal escape sequences.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2

from warroom.domain import timefmt
from warroom.domain.text import clean_text

__all__ = [
    "FILTERS",
    "NOT_RECORDED",
    "bullets",
    "cell",
    "create_environment",
    "duration",
    "hhmm",
    "md",
    "stamp",
]

NOT_RECORDED = "_Not recorded_"
"""The placeholder for a section or field nothing was recorded for."""

# A backslash that markdown would read as an escape: before ASCII punctuation or a line end.
_BACKSLASH = re.compile(r"\\(?=[!-/:-@\[-`{-~]|$)", re.MULTILINE)
# An ampersand that markdown would read as an entity (&amp; &#60; ...).
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
# Block structure a line of running text must not start: ATX headings, setext underlines and
# thematic breaks (a line of only - = * _). `>` is already an entity, fences lose their backticks.
_HEADING = re.compile(r"^( {0,3})#", re.MULTILINE)
_RULE = re.compile(r"^( {0,3})([-=*_])(?=[-=*_ \t]*$)", re.MULTILINE)
# A closing sequence of #s, which an ATX heading would drop.
_CLOSING_HASHES = re.compile(r"(\s)(#+)(?=[ \t]*$)", re.MULTILINE)
# What a person types to make a line a bullet already: "- x", "* x", "+ x", "• x".
# Inline markdown that user text must not make: code spans, links and images, emphasis,
# strikethrough.
_MARKUP = re.compile(r"[`\[\]*_]")
_BULLET_MARK = re.compile(r"^\s*[-*+•]\s+")
_ORDERED_MARK = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")


def _text(value: object) -> str:
    """User text without control characters (None and undefined-ish values as "")."""
    if value is None:
        return ""
    return clean_text(str(value))


def _inline(text: str) -> str:
    """Escape what could start HTML, a code span, an entity or a stray escape, a link or an
    image (`[x](https://evil)`, `![](https://tracker/p.png)`), emphasis (`__init__`,
    `5*3*2`) or strikethrough: user text shows as typed, and does nothing."""
    text = _BACKSLASH.sub(r"\\\\", text)
    text = _ENTITY.sub("&amp;", text)
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    return _MARKUP.sub(r"\\\g<0>", text)


def cell(value: object, empty: str = "") -> str:
    """User text for one markdown table cell: one line, no unescaped `|`, no raw HTML."""
    text = _text(value).strip()
    if not text:
        return empty
    text = _inline(text).replace("|", "\\|")
    return "<br>".join(line.strip() for line in text.split("\n"))


def md(value: object, empty: str = "") -> str:
    """User text for a paragraph: newlines kept, nothing that could change the page's structure."""
    text = _text(value).strip("\n")
    if not text.strip():
        return empty
    text = _inline(text).replace("|", "\\|")
    text = _HEADING.sub(r"\1\\#", text)
    text = _RULE.sub(r"\1\\\2", text)
    return _CLOSING_HASHES.sub(r"\1\\\2", text)


def bullets(value: object, empty: str = f"- {NOT_RECORDED}") -> str:
    """Multi-line user text as a list: one "- item" per non-empty line, or `empty`."""
    items = []
    for line in _text(value).split("\n"):
        line = _BULLET_MARK.sub("", line).strip()
        if line:
            items.append("- " + _ORDERED_MARK.sub(r"\1\\\2", md(line)))
    return "\n".join(items) if items else empty


def plain(value: object, empty: str = "") -> str:
    """User text for a chat message: as typed (no markdown escapes a reader would see),
    without control characters, and no line of it can become a heading."""
    text = _text(value).strip("\n")
    if not text.strip():
        return empty
    return _HEADING.sub(r"\1\\#", text)


def plain_bullets(value: object, empty: str = "- [Not recorded]") -> str:
    """Multi-line user text as "- item" lines for a chat message, each as typed."""
    items = []
    for line in _text(value).split("\n"):
        line = _BULLET_MARK.sub("", line).strip()
        if line:
            items.append("- " + line)
    return "\n".join(items) if items else empty


def hhmm(value: datetime) -> str:
    return timefmt.hhmm(value)


def stamp(value: datetime) -> str:
    return timefmt.stamp(value)


def duration(value: float | timedelta) -> str:
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    return timefmt.duration(seconds)


FILTERS: dict[str, Callable[..., Any]] = {
    "cell": cell,
    "md": md,
    "bullets": bullets,
    "plain": plain,
    "plain_bullets": plain_bullets,
    "hhmm": hhmm,
    "stamp": stamp,
    "duration": duration,
}


def create_environment(user_templates: str | Path | None = None) -> jinja2.Environment:
    """warroom's jinja2 environment; templates in `user_templates` win over the packaged ones."""
    loaders: list[jinja2.BaseLoader] = []
    if user_templates is not None:
        loaders.append(jinja2.FileSystemLoader(Path(user_templates)))
    loaders.append(jinja2.PackageLoader("warroom.comms", "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env
