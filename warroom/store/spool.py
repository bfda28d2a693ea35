"""The spool: entries typed while the database cannot be reached, kept on this machine until
it can, then written in the order typed, each with the time it was typed.

A team database (PostgreSQL) may go away mid-incident: the network, a failover, a restart.
What the IC types meanwhile must not be lost, nor wait. Each entry is appended to a file
beside the user's data as one JSON line, flushed and fsynced before the war room says it is
kept (durable across kill -9; a line torn by a crash mid-append is skipped when read). When
the database answers again, `drain` writes them in order through `Store.log_spooled`, which
records each one's key in the same transaction: an entry written just before a crash is not
written twice when the drain runs again.

Only entries are spooled. A change of state (status, severity, roles, close) needs the
database's answer (an incident closed meanwhile, a role already handed off): it is refused
while the database is unreachable, with the line kept for the IC to send again.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from warroom.domain.timefmt import utc
from warroom.store.files import file_mode, private_dir

__all__ = ["Spool", "Spooled"]


@dataclass(frozen=True, slots=True)
class Spooled:
    """One entry typed while the database was unreachable."""

    key: str
    """Unique: the entry's mark in the timeline, so that it is written once."""
    incident_id: str
    text: str
    kind: str
    at: datetime
    """When it was typed (the time it is about)."""
    author: str


class Spool:
    """An append-only file of `Spooled` entries (JSON lines)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @staticmethod
    def new(incident_id: str, text: str, kind: str, at: datetime, author: str) -> Spooled:
        return Spooled(secrets.token_hex(8), incident_id, text, kind, utc(at), author)

    def add(self, item: Spooled) -> None:
        """Keep `item`: on disk (fsynced) when this returns; OSError if it cannot be."""
        private_dir(self.path.parent)
        record = {**asdict(item), "at": item.at.isoformat()}
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, file_mode(self.path.parent))
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def items(self) -> list[Spooled]:
        """What is waiting, in the order typed (a line torn by a crash is skipped)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        found = []
        for line in raw.splitlines():
            try:
                data = json.loads(line)
                found.append(
                    Spooled(
                        key=str(data["key"]),
                        incident_id=str(data["incident_id"]),
                        text=str(data["text"]),
                        kind=str(data["kind"]),
                        at=utc(datetime.fromisoformat(data["at"])),
                        author=str(data["author"]),
                    )
                )
            except (ValueError, KeyError, TypeError):
                continue  # torn (kill -9 mid-append) or not ours: nothing to write
        return found

    def __len__(self) -> int:
        return len(self.items())

    @property
    def refused_path(self) -> Path:
        """Where entries the database refused are kept (their incident was closed before
        they were typed, by someone else meanwhile): never dropped, for the IC to read."""
        return self.path.with_name(self.path.name + ".refused")

    def drain(self, write: Callable[[Spooled], object]) -> tuple[int, int]:
        """Write what is waiting, in order, with `write` (Store.log_spooled); each one
        leaves the file as soon as it is written. One the database refuses (a ValueError:
        its incident was closed before it was typed) moves to `refused_path`. Any other
        error stops the drain and is raised: the rest stays for the next try.
        (written, refused)."""
        waiting = self.items()
        written = refused = 0
        for done, item in enumerate(waiting, 1):
            try:
                if write(item) is not False:  # False: it was there already
                    written += 1
            except ValueError:
                Spool(self.refused_path).add(item)
                refused += 1
            self._keep(waiting[done:])
        return written, refused

    def _keep(self, rest: list[Spooled]) -> None:
        """Replace the file with `rest` (atomically: a crash leaves the old or the new)."""
        if not rest:
            self.path.unlink(missing_ok=True)
            return
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, file_mode(self.path.parent))
        try:
            for item in rest:
                record = {**asdict(item), "at": item.at.isoformat()}
                os.write(fd, (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
