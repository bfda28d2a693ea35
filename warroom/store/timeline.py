"""The timeline: entries logged (one, many, observed by the radar, kept offline), pins,
reading it in pages and by day, search, corrections (/edit, /strike) and the chain that
makes it tamper-evident."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from warroom.domain.chain import (
    ChainLink,
    ChainReport,
    RevisionLink,
    revision_hash,
    verify_chain,
)
from warroom.domain.model import (
    EntryKind,
    Status,
    TimelineEntry,
)
from warroom.domain.text import clean_line, clean_text
from warroom.domain.timefmt import utc
from warroom.store.reader import (
    NotFound,
    StoreError,
    deferred,
)
from warroom.store.spool import Spooled
from warroom.store.sql import NO_LIMIT, Tx

if TYPE_CHECKING:
    import sqlalchemy as sa
    import sqlmodel

    from warroom.store import tables
else:  # the schema's: imported only to set up or upgrade a database (sql.py says why)
    sa = deferred("sqlalchemy")
    sqlmodel = deferred("sqlmodel")
    tables = deferred("warroom.store.tables")
from warroom.store.convert import _aware_req, _chain, _to_entry
from warroom.store.incidents import IncidentOps


class TimelineOps(IncidentOps):
    """The timeline: entries, pages, search, corrections and the chain."""

    def log(
        self,
        incident_id: str,
        text: str,
        kind: EntryKind = EntryKind.NOTE,
        at: datetime | None = None,
        author: str | None = None,
        pinned: bool = False,
    ) -> TimelineEntry:
        text = clean_text(text)
        if not text.strip():
            raise ValueError("nothing to log: the entry is empty")
        if at is not None and utc(at) > self._now():
            raise ValueError("cannot log an entry in the future")
        who = self._who(author)
        with self._write("log the entry") as tx:
            self._open_row(tx, incident_id, before_detection_ok=True)
            row = self._add_entry(tx, incident_id, kind, text, who, at=at, pinned=pinned)
            return _to_entry(row)

    def log_many(self, incident_id: str, texts: Iterable[str], author: str | None = None) -> int:
        """Append many notes in one transaction (for `warroom log -`). Blank lines are skipped."""
        who = self._who(author)
        now = utc(self._now())
        rows = [
            {
                "incident_id": incident_id,
                "at": now,
                "logged_at": now,
                "kind": EntryKind.NOTE.value,
                "text": cleaned,
                "author": who,
                "pinned": False,
                "data_json": "{}",
                "chain_hash": None,
            }
            for cleaned in map(clean_text, texts)
            if cleaned.strip()
        ]
        if not rows:
            return 0
        with self._write("log the entries") as tx:
            self._open_row(tx, incident_id, before_detection_ok=True)
            previous = self._chain_previous(tx, incident_id)
            for row in rows:
                row["chain_hash"] = previous = _chain(previous, row)
            tx.insert_many("timeline_entry", rows)
        return len(rows)

    def record_observations(
        self,
        incident_id: str,
        lines: Iterable[str],
        author: str,
        within: timedelta = timedelta(minutes=15),
    ) -> int:
        """Changes an observer saw (the status radar), each logged once: a line the same
        author logged within `within` is not logged again, however many war rooms (on
        however many machines) saw it; the check and the write are one transaction. An
        incident closed meanwhile, or gone, gets nothing. How many entries were written."""
        texts = list(dict.fromkeys(t for t in map(clean_text, lines) if t.strip()))
        if not texts:
            return 0
        now = utc(self._now())
        with self._write("log the status pages") as tx:
            row = tx.get("incident", incident_id)
            if row is None or row.status == Status.CLOSED.value:
                return 0
            seen = set(
                tx.column(
                    "SELECT text FROM timeline_entry WHERE incident_id = ? AND author = ?"
                    " AND at >= ?",
                    (incident_id, author, now - within),
                )
            )
            fresh = [text for text in texts if text not in seen]
            for text in fresh:  # each a link of the incident's chain, as any entry
                self._add_entry(tx, incident_id, EntryKind.NOTE, text, author)
            return len(fresh)

    def log_spooled(self, item: Spooled) -> bool:
        """An entry typed while the database was unreachable (store/spool.py), written now
        with the time it was typed. False if it is there already (written by a drain that
        did not get to forget it). Refused (ValueError) if its incident was closed before
        it was typed; one typed while the incident was still open goes in, closed or not."""
        mark = {"spooled": item.key}
        with self._write("write the kept entry") as tx:
            row = self._incident_row(tx, item.incident_id)
            if row.closed_at is not None and utc(row.closed_at) <= item.at:
                raise ValueError(f"{item.incident_id} was closed before this was typed")
            if tx.first(
                "SELECT id FROM timeline_entry WHERE incident_id = ? AND data_json = ?",
                (item.incident_id, json.dumps(mark)),
            ):
                return False
            self._add_entry(
                tx,
                item.incident_id,
                EntryKind(item.kind),
                clean_text(item.text),
                clean_line(item.author),
                at=item.at,
                data=mark,
            )
        return True

    def set_pinned(
        self, entry_id: int, pinned: bool = True, author: str | None = None
    ) -> TimelineEntry:
        with self._write("pin the entry") as tx:
            row = tx.get("timeline_entry", entry_id)
            if row is None:
                raise NotFound(f"no timeline entry {entry_id}")
            row.pinned = pinned
            tx.update("timeline_entry", entry_id, pinned=pinned)
            return _to_entry(row)

    def last_entry(self, incident_id: str, typed_only: bool = True) -> TimelineEntry | None:
        kinds = [k.value for k in EntryKind if not (typed_only and k.is_automatic)]
        row = self._reader.first(
            f"SELECT * FROM timeline_entry WHERE incident_id = ?"
            f" AND kind IN ({', '.join('?' * len(kinds))}) ORDER BY id DESC LIMIT 1",
            (incident_id, *kinds),
        )
        return _to_entry(row) if row else None

    def entry_count(self, incident_id: str) -> int:
        return self._reader.number(
            "SELECT count(*) FROM timeline_entry WHERE incident_id = ?", (incident_id,)
        )

    def timeline(
        self,
        incident_id: str,
        offset: int = 0,
        limit: int | None = None,
        total: int | None = None,
    ) -> list[TimelineEntry]:
        """Entries in time order (`at`, then insertion); a window of them for large incidents.

        Given the `total` count, a window in the newer half is read backwards from the end,
        so showing the newest entries of a 100,000-entry incident skips nothing.
        """
        query = "SELECT * FROM timeline_entry WHERE incident_id = ?"
        if limit is not None and total is not None and offset > total // 2:
            end = min(total, offset + limit)
            rows = self._reader.rows(
                query + " ORDER BY at DESC, id DESC LIMIT ? OFFSET ?",
                (incident_id, max(0, end - offset), total - end),
            )
            rows.reverse()
        else:
            rows = self._reader.rows(
                query + " ORDER BY at, id LIMIT ? OFFSET ?",
                (incident_id, NO_LIMIT if limit is None else limit, offset),
            )
        return self._revised(incident_id, [_to_entry(r) for r in rows])

    def timeline_pager(
        self, incident_id: str, total: int, on_error: Callable[[str], None]
    ) -> Callable[[int, int], list[TimelineEntry]]:
        """`timeline(incident_id, offset, limit, total)` for a view that draws pages as it
        scrolls: a page that cannot be read (a damaged database) is empty, and `on_error`
        hears why, once, instead of the exception escaping into the drawing code."""
        told: list[str] = []

        def page(offset: int, limit: int) -> list[TimelineEntry]:
            try:
                return self.timeline(incident_id, offset, limit, total)
            except StoreError as exc:
                if not told:
                    told.append(str(exc))
                    on_error(str(exc))
                return []

        return page

    def timeline_days(self, incident_id: str) -> list[tuple[date, int]]:
        """The UTC days the timeline covers, in order, with the number of entries on each."""
        day = self._dialect.day_of("at")
        rows = self._reader.rows(
            f"SELECT {day} AS day, count(*) AS entries FROM timeline_entry"  # noqa: S608
            " WHERE incident_id = ? GROUP BY day ORDER BY day",
            (incident_id,),
        )
        return [(date.fromisoformat(r.day), int(r.entries)) for r in rows]

    def search(self, text: str, limit: int = 50) -> list[tuple[TimelineEntry, str]]:
        """Entries across every incident whose text has all of TEXT's words (any order,
        any case), newest first, each with its text with the matches in [brackets]."""
        phrase = self._dialect.search_param(text)
        if not phrase:
            raise ValueError("search for what? give some words")
        rows = self._reader.rows(self._dialect.search_sql(), (phrase, limit), what="search")
        return [(_to_entry(r), self._dialect.marked(r, text)) for r in rows]

    def entry(self, entry_id: int, incident_id: str | None = None) -> TimelineEntry:
        """One timeline entry, with its corrections (NotFound: none such in INCIDENT_ID)."""
        row = self._reader.first("SELECT * FROM timeline_entry WHERE id = ?", (entry_id,))
        if row is None or (incident_id is not None and row.incident_id != incident_id):
            where = f" in {incident_id}" if incident_id else ""
            raise NotFound(f"no timeline entry {entry_id}{where}")
        return self._revised(row.incident_id, [_to_entry(row)])[0]

    def edit_entry(
        self,
        entry_id: int,
        text: str,
        author: str | None = None,
        incident_id: str | None = None,
    ) -> TimelineEntry:
        """Correct a typed entry's text. The original stays (the chain covers it); the
        correction is kept with who made it and when, and the entry shows it."""
        return self._revise(entry_id, "edit", text, author, incident_id)

    def strike_entry(
        self,
        entry_id: int,
        reason: str,
        author: str | None = None,
        incident_id: str | None = None,
    ) -> TimelineEntry:
        """Strike a typed entry out, saying why. It stays in the timeline, struck through."""
        return self._revise(entry_id, "strike", reason, author, incident_id)

    def _revise(
        self, entry_id: int, kind: str, text: str, author: str | None, incident_id: str | None
    ) -> TimelineEntry:
        text = clean_text(text).strip() if kind == "edit" else clean_line(text)
        if not text:
            raise ValueError(
                "the corrected text is empty (strike the entry to withdraw it)"
                if kind == "edit"
                else "a strike needs a reason"
            )
        who = self._who(author)
        with self._write("correct the entry") as tx:
            row = tx.get("timeline_entry", entry_id)
            if row is None or (incident_id is not None and row.incident_id != incident_id):
                where = f" in {incident_id}" if incident_id else ""
                raise NotFound(f"no timeline entry {entry_id}{where}")
            if EntryKind(row.kind).is_automatic:
                raise ValueError(
                    f"entry {entry_id} is automatic ({row.kind}): only typed entries can be"
                    " corrected; log a note that says what was wrong"
                )
            revisions = tx.rows(
                "SELECT * FROM entry_revision WHERE entry_id = ? ORDER BY id", (entry_id,)
            )
            if any(r.kind == "strike" for r in revisions):
                raise ValueError(f"entry {entry_id} is struck out already")
            current = next((r.new_text for r in reversed(revisions) if r.kind == "edit"), row.text)
            if kind == "edit" and text == current:
                raise ValueError(f"entry {entry_id} says that already")
            self._insert_revision(
                tx,
                row.incident_id,
                entry_id,
                row.chain_hash,
                at=utc(self._now()),
                author=who,
                kind=kind,
                old_text=current,
                new_text=text if kind == "edit" else current,
                reason=text if kind == "strike" else "",
            )
        return self.entry(entry_id)

    @staticmethod
    def _insert_revision(
        tx: Tx, incident_id: str, entry_id: int, entry_hash: str | None, **values: Any
    ) -> None:
        """A correction, linked to the incident's previous correction and to its entry's
        hash, read in this write transaction (domain/chain.py)."""
        last = tx.first(
            "SELECT chain_hash FROM entry_revision WHERE incident_id = ? ORDER BY id DESC LIMIT 1",
            (incident_id,),
        )
        chain_hash = revision_hash(
            None if last is None else last.chain_hash,
            entry_hash,
            values["at"],
            values["author"],
            values["kind"],
            values["old_text"],
            values["new_text"],
            values["reason"],
        )
        tx.insert(
            "entry_revision",
            entry_id=entry_id,
            incident_id=incident_id,
            chain_hash=chain_hash,
            **values,
        )

    def _chain_links(self, incident_id: str) -> list[ChainLink]:
        rows = self._reader.rows(
            "SELECT id, incident_id, at, kind, text, author, chain_hash FROM timeline_entry"
            " WHERE incident_id = ? ORDER BY id",
            (incident_id,),
        )
        return [
            ChainLink(r.id, r.incident_id, _aware_req(r.at), r.kind, r.text, r.author, r.chain_hash)
            for r in rows
        ]

    def verify_chain(self, incident_id: str) -> ChainReport:
        """Recompute the incident's timeline chain and its corrections' (domain/chain.py):
        their heads, or the first entry that does not match."""
        self.get(incident_id)
        rows = self._reader.rows(
            "SELECT * FROM entry_revision WHERE incident_id = ? ORDER BY id", (incident_id,)
        )
        revisions = [
            RevisionLink(
                r.id,
                r.entry_id,
                _aware_req(r.at),
                r.author,
                r.kind,
                r.old_text,
                r.new_text,
                r.reason,
                r.chain_hash,
            )
            for r in rows
        ]
        return verify_chain(self._chain_links(incident_id), revisions)

    def corrections_head(self, incident_id: str) -> str | None:
        """The hash of the incident's last correction (None: none)."""
        row = self._reader.first(
            "SELECT chain_hash FROM entry_revision WHERE incident_id = ? ORDER BY id DESC LIMIT 1",
            (incident_id,),
        )
        return None if row is None else row.chain_hash

    def chain_head(self, incident_id: str) -> str | None:
        """The hash of the incident's last entry written (None: nothing chained)."""
        row = self._reader.first(
            "SELECT chain_hash FROM timeline_entry WHERE incident_id = ? ORDER BY id DESC LIMIT 1",
            (incident_id,),
        )
        return None if row is None else row.chain_hash
