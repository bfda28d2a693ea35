"""The review keeps user text literal: rendered to HTML (markdown-it, as a viewer would), no
string typed into any field becomes a link, an image, emphasis or a bidi override, and no
control sequence leaves debris behind."""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from warroom.comms.review import export_review
from warroom.domain.model import EntryKind, ReviewNotes
from warroom.domain.text import clean_text
from warroom.playbook import default_playbook
from warroom.store.store import Store

HOSTILE = [
    "[x](https://evil)",
    "![](https://tracker/p.png)",
    "__init__",
    "5*3*2",
    "**bold** _em_ *em*",
    "<https://auto.link>",
    "[ref]: https://evil",
    "pay\u202etxt.exe",
    "red\x9b31mtext",
    "osc\x1b]8;;https://evil\x07click\x1b]8;;\x07",
    "isolate\u2066x\u2069",
]
TEXT = " ".join(HOSTILE)


def rendered(tmp_path: Path) -> tuple[str, str]:
    store = Store(tmp_path / "w.db", default_playbook())
    try:
        incident = store.declare(TEXT, 1, impact_users=TEXT, impact_features=TEXT)
        for kind in (EntryKind.NOTE, EntryKind.FINDING, EntryKind.DECISION):
            store.log(incident.id, TEXT, kind)
        for line in HOSTILE:
            store.log(incident.id, line, EntryKind.ACTION)
        store.assign(incident.id, "ic", "mallory [x](https://evil)")
        store.add_action_item(incident.id, TEXT, "P1", owner="__init__")
        notes = ReviewNotes(**{f.name: TEXT for f in dataclasses.fields(ReviewNotes)})
        store.close(incident.id, notes)
        path = export_review(store, incident.id, reviews_dir=tmp_path / "reviews")
    finally:
        store.dispose()
    text = path.read_text(encoding="utf-8")
    return text, MarkdownIt("commonmark").enable("table").render(text)


def test_clean_text_keeps_bidi_visible_and_drops_c1_sequences() -> None:
    assert clean_text("pay\u202etxt.exe") == "pay\\u202etxt.exe"
    assert clean_text("red\x9b31mtext") == "redtext"
    assert clean_text("a\x9d0;title\x9cb") == "ab"


@pytest.fixture(scope="module")
def review(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    return rendered(tmp_path_factory.mktemp("review"))


def test_no_link_image_or_autolink(review: tuple[str, str]) -> None:
    _, page = review
    assert "<a " not in page and "href=" not in page
    assert "<img" not in page and "src=" not in page


def test_no_emphasis_from_user_text(review: tuple[str, str]) -> None:
    _, page = review
    # The template's own emphasis ("_Not recorded_", "**Severity:**") is all there is.
    for inner in re.findall(r"<(?:em|strong)>(.*?)</(?:em|strong)>", page):
        assert not any(word in inner for word in ("init", "3", "bold", "em")), inner
    text = html.unescape(page)
    for literal in ("__init__", "5*3*2", "[x](https://evil)", "![](https://tracker/p.png)"):
        assert literal in text, literal


def test_no_bidi_override_no_c1_debris(review: tuple[str, str]) -> None:
    source, page = review
    for char in ("\u202e", "\u2066", "\u2069", "\x9b", "\x9d", "\x1b"):
        assert char not in source and char not in page, repr(char)
    assert "31m" not in source
    assert "\\u202etxt.exe" in html.unescape(page)
