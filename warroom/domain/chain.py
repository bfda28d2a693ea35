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

Corrections have a chain of their own (`revision_hash`), in the order they were made: each
covers the previous correction's hash, the hash of the entry it corrects (binding it to
that entry), its time, author, kind (edit/strike), the old and new text and the reason. So
a correction cannot be altered, removed or moved to another entry unnoticed either, and the
entries' chain stays what it was when they were written.
Pure: hashlib only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from warroom.domain.timefmt import utc

__all__ = [
    "ChainLink",
    "ChainReport",
    "RevisionLink",
    "link_hash",
    "revision_hash",
    "verify_chain",
]


def _sha256(content: list[str]) -> str:
    blob = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def link_hash(
    previous: str | None, incident_id: str, at: datetime, kind: str, text: str, author: str
) -> str:
    """The hash of one entry (sha256, hex) given the previous link's (None/"": the first)."""
    return _sha256([previous or "", incident_id, utc(at).isoformat(), kind, text, author])


def revision_hash(
    previous: str | None,
    entry_hash: str | None,
    at: datetime,
    author: str,
    kind: str,
    old_text: str,
    new_text: str,
    reason: str,
) -> str:
    """The hash of one correction, given the previous correction's and its entry's."""
    return _sha256(
        [
            previous or "",
            entry_hash or "",
            utc(at).isoformat(),
            author,
            kind,
            old_text,
            new_text,
            reason,
        ]
    )


@dataclass(frozen=True, slots=True)
class RevisionLink:
    """A correction as its chain sees it (in the order made)."""

    id: int
    entry_id: int
    at: datetime
    author: str
    kind: str
    old_text: str
    new_text: str
    reason: str
    chain_hash: str | None


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
    corrections: int = 0
    corrections_head: str | None = None
    """The last correction's hash (None: no correction)."""
    broken_correction: int | None = None
    """The entry whose correction does not match (the first such correction's)."""

    @property
    def ok(self) -> bool:
        return self.broken_at is None and self.broken_correction is None


def verify_chain(links: Sequence[ChainLink], revisions: Sequence[RevisionLink] = ()) -> ChainReport:
    """Recompute an incident's chains: its entries (in the order written), then its
    corrections (in the order made)."""
    report = _verify_entries(links)
    if not report.ok:
        return report
    entry_hashes = {link.id: link.chain_hash for link in links}
    previous: str | None = None
    for revision in revisions:
        expected = revision_hash(
            previous,
            entry_hashes.get(revision.entry_id),
            revision.at,
            revision.author,
            revision.kind,
            revision.old_text,
            revision.new_text,
            revision.reason,
        )
        if revision.entry_id not in entry_hashes or expected != revision.chain_hash:
            return replace(
                report,
                corrections=len(revisions),
                corrections_head=previous,
                broken_correction=revision.entry_id,
                problem="a correction of it changed, or the one before it",
            )
        previous = revision.chain_hash
    return replace(report, corrections=len(revisions), corrections_head=previous)


def _verify_entries(links: Sequence[ChainLink]) -> ChainReport:
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
