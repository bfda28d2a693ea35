"""The tamper-evident timeline: each entry's hash covers the previous entry's hash and its
own content, so a change to any recorded entry (or a removal) breaks every link after it.

What a link covers, in this order, as a JSON array (UTF-8, no spaces): the previous
entry's hash ("" for the first link), the incident's ID, the entry's time (`at`, ISO 8601
UTC with microseconds), its kind, its text and its author. Not covered: the pin (a view
choice, changed at will) and corrections (`entry_revision` keeps them beside the entry:
the entry itself is never rewritten). An incident's chain runs in the order the entries
were written (their ids), not their `at` order: a backdated entry is the newest link.

Entries written before the chain existed have no hash: a chain may start after them
("unchained before entry N"); an entry without a hash after a hashed one is a break.
Pure: hashlib only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from warroom.domain.timefmt import utc

__all__ = ["ChainLink", "ChainReport", "link_hash", "verify_chain"]


def link_hash(
    previous: str | None, incident_id: str, at: datetime, kind: str, text: str, author: str
) -> str:
    """The hash of one entry (sha256, hex) given the previous link's (None/"": the first)."""
    content = [previous or "", incident_id, utc(at).isoformat(), kind, text, author]
    blob = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainLink:
    """An entry as the chain sees it (in the order written)."""

    id: int
    incident_id: str
    at: datetime
    kind: str
    text: str
    author: str
    chain_hash: str | None


@dataclass(frozen=True, slots=True)
class ChainReport:
    entries: int
    """Entries checked."""
    head: str | None
    """The last link's hash (None: nothing is chained)."""
    unchained_before: int | None = None
    """The first chained entry's id, when older entries have no hash."""
    broken_at: int | None = None
    """The id of the first entry whose hash does not match."""
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(links: Sequence[ChainLink]) -> ChainReport:
    """Recompute an incident's chain over its entries (in the order written)."""
    previous: str | None = None
    unchained_before: int | None = None
    started = False
    for number, link in enumerate(links):
        if link.chain_hash is None:
            if started:
                return ChainReport(
                    len(links), previous, unchained_before, link.id, "its hash is missing"
                )
            continue
        if not started:
            started = True
            if number:
                unchained_before = link.id
        expected = link_hash(previous, link.incident_id, link.at, link.kind, link.text, link.author)
        if expected != link.chain_hash:
            return ChainReport(
                len(links),
                previous,
                unchained_before,
                link.id,
                "its content or the entry before it changed",
            )
        previous = link.chain_hash
    return ChainReport(len(links), previous, unchained_before)
