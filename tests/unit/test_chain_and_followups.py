"""Between incidents, in the pure core: the timeline's hash chain and overdue action items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from warroom.domain.chain import ChainLink, link_hash, verify_chain
from warroom.domain.followups import overdue, overdue_text, unowned
from warroom.domain.model import ActionItem

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def _links(*texts: str) -> list[ChainLink]:
    links, previous = [], None
    for number, text in enumerate(texts, 1):
        at = T0 + timedelta(minutes=number)
        previous = link_hash(previous, "INC-1", at, "note", text, "alice")
        links.append(ChainLink(number, "INC-1", at, "note", text, "alice", previous))
    return links


def test_link_hash_covers_every_field_and_the_previous_link() -> None:
    base = link_hash("", "INC-1", T0, "note", "db down", "alice")
    assert len(base) == 64 and int(base, 16) >= 0  # sha256, hex
    assert base == link_hash(None, "INC-1", T0, "note", "db down", "alice")
    changed = [
        link_hash("x", "INC-1", T0, "note", "db down", "alice"),
        link_hash("", "INC-2", T0, "note", "db down", "alice"),
        link_hash("", "INC-1", T0 + timedelta(microseconds=1), "note", "db down", "alice"),
        link_hash("", "INC-1", T0, "finding", "db down", "alice"),
        link_hash("", "INC-1", T0, "note", "db down!", "alice"),
        link_hash("", "INC-1", T0, "note", "db down", "bob"),
    ]
    assert base not in changed and len(set(changed)) == len(changed)
    # The same moment in another zone is the same time: the same link.
    other_zone = T0.astimezone(timezone(timedelta(hours=2)))
    assert link_hash("", "INC-1", other_zone, "note", "db down", "alice") == base


def test_a_sound_chain_reports_its_head() -> None:
    links = _links("one", "two", "three")
    report = verify_chain(links)
    assert report.ok and report.head == links[-1].chain_hash
    assert (report.entries, report.unchained_before, report.broken_at) == (3, None, None)


def test_a_changed_entry_breaks_the_chain_there() -> None:
    links = _links("one", "two", "three")
    links[1] = ChainLink(**{**{s: getattr(links[1], s) for s in links[1].__slots__}, "text": "2"})
    report = verify_chain(links)
    assert not report.ok and report.broken_at == 2
    # A removed entry breaks the link after it.
    report = verify_chain([links[0], *_links("one", "two", "three")[2:]])
    assert report.broken_at == 3


def test_entries_from_before_the_chain_are_unchained_not_broken() -> None:
    old = [ChainLink(n, "INC-1", T0, "note", "old", "", None) for n in (1, 2)]
    newer = [
        ChainLink(
            n + 2, link.incident_id, link.at, link.kind, link.text, link.author, link.chain_hash
        )
        for n, link in enumerate(_links("new", "newer"), 1)
    ]
    report = verify_chain(old + newer)
    assert report.ok and report.unchained_before == 3 and report.head == newer[-1].chain_hash
    assert verify_chain(old).head is None and verify_chain(old).ok
    # A hash missing after the chain started is a break, not an old entry.
    gap = ChainLink(9, "INC-1", T0, "note", "x", "", None)
    assert verify_chain([*newer, gap]).broken_at == 9


def _item(number: int, due: datetime, status: str = "Open", owner: str = "") -> ActionItem:
    return ActionItem(number, "INC-1", f"item {number}", owner, "P1", due, status)


def test_overdue_items_are_open_and_past_due_most_overdue_first() -> None:
    now = T0 + timedelta(days=3)
    items = [
        _item(1, now - timedelta(hours=1)),
        _item(2, now - timedelta(days=2)),
        _item(3, now + timedelta(hours=1)),  # not yet due
        _item(4, now - timedelta(days=5), status="Done"),  # done: never overdue
        _item(5, now),  # due this very moment: not yet overdue
    ]
    assert [i.id for i in overdue(items, now)] == [2, 1]
    assert overdue([], now) == []


def test_overdue_text_and_unowned() -> None:
    assert overdue_text(0) == ""
    assert overdue_text(1) == "1 action item overdue"
    assert overdue_text(3) == "3 action items overdue"
    items = [_item(1, T0, owner="bob"), _item(2, T0), _item(3, T0, status="Done")]
    assert [i.id for i in unowned(items)] == [2]


def test_corrections_chain_on_their_entries() -> None:
    from warroom.domain.chain import RevisionLink, revision_hash

    links = _links("one", "two")
    at = T0 + timedelta(hours=1)
    first = revision_hash(None, links[0].chain_hash, at, "bob", "edit", "one", "1", "")
    second = revision_hash(first, links[1].chain_hash, at, "bob", "strike", "two", "two", "no")
    revisions = [
        RevisionLink(1, 1, at, "bob", "edit", "one", "1", "", first),
        RevisionLink(2, 2, at, "bob", "strike", "two", "two", "no", second),
    ]
    report = verify_chain(links, revisions)
    assert report.ok and report.head == links[-1].chain_hash
    assert (report.corrections, report.corrections_head) == (2, second)
    # A correction's text changed, or moved to another entry: found, by its entry.
    changed = [revisions[0], RevisionLink(2, 2, at, "bob", "strike", "two", "two", "yes", second)]
    report = verify_chain(links, changed)
    assert not report.ok and report.broken_correction == 2 and report.broken_at is None
    moved = [RevisionLink(1, 2, at, "bob", "edit", "one", "1", "", first), revisions[1]]
    assert verify_chain(links, moved).broken_correction == 2
    # The entries' chain is checked first: a broken entry is named as such.
    assert verify_chain(list(reversed(links)), revisions).broken_at is not None
