"""Where the database is: an SQLite file, or a PostgreSQL server named by its URL.

A pure value: no driver is imported here (the SQLite start-up path must not load psycopg),
and nothing here connects. `--db`, `WARROOM_DB` and `database = "..."` in config.toml all
give a string; `DatabaseTarget.parse` decides what it names:

- `postgresql://...` or `postgres://...`: a PostgreSQL server. The URL goes to libpq
  untouched, so libpq's own settings apply (PGHOST, PGUSER, PGPASSWORD, PGSSLMODE,
  ~/.pgpass, `?sslmode=` in the URL...).
- anything else: the path of an SQLite file (`~` expanded), as always.

Whatever prints a database location (errors, notifications, logs, reviews, exports) uses
`display`, never `url`: the password, in the URL's user part or as `?password=`, is shown
as `***`. `str()` and `repr()` are the display too, so an f-string or a traceback's locals
cannot leak it either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

__all__ = ["POSTGRES_SCHEMES", "DatabaseTarget", "redact_url"]

POSTGRES_SCHEMES = ("postgresql", "postgres")
_SCHEME = re.compile(r"^(postgresql|postgres)://", re.IGNORECASE)
MASK = "***"


def redact_url(url: str) -> str:
    """`url` with its password (user part, or a `password=` query parameter) as `***`; the
    rest exactly as written."""
    try:
        parts = urlsplit(url)
    except ValueError:  # a URL too broken to split: show the scheme only
        return f"{url.split(':', 1)[0]}://{MASK}"
    shown = url
    # The user part ends at the last "@" before the query: not at the first "/" or "#",
    # which an unencoded password may hold (urlsplit would then miss it).
    start = url.find("://") + 3
    authority = url[start:].split("?", 1)[0]
    if start >= 3 and "@" in authority:
        userinfo, _, _ = authority.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        if colon:
            shown = url[:start] + f"{user}:{MASK}" + url[start + len(userinfo) :]
    if parts.query:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        if any(key.casefold() == "password" for key, _ in pairs):
            pairs = [(k, MASK if k.casefold() == "password" else v) for k, v in pairs]
            query = urlencode(pairs, safe="*/:,", quote_via=quote)
            before, _, _ = shown.partition("?")
            shown = f"{before}?{query}" + (f"#{parts.fragment}" if parts.fragment else "")
    return shown


@dataclass(frozen=True)
class DatabaseTarget:
    """An SQLite file (`sqlite_path`) or a PostgreSQL URL (`url`); `display` is for people."""

    sqlite_path: Path | None = None
    url: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if (self.sqlite_path is None) == (self.url is None):
            raise ValueError("a database target is either an SQLite path or a PostgreSQL URL")

    @classmethod
    def parse(cls, text: str | Path) -> DatabaseTarget:
        """A PostgreSQL target for a `postgresql://` or `postgres://` URL; else an SQLite path."""
        if isinstance(text, Path):
            return cls(sqlite_path=text.expanduser())
        if _SCHEME.match(text.strip()):
            return cls(url=text.strip())
        return cls(sqlite_path=Path(text).expanduser())

    @classmethod
    def sqlite(cls, path: Path) -> DatabaseTarget:
        return cls(sqlite_path=path)

    @property
    def is_postgres(self) -> bool:
        return self.url is not None

    @property
    def display(self) -> str:
        """The path, or the URL with any password as `***`: what may be printed."""
        if self.url is not None:
            return redact_url(self.url)
        assert self.sqlite_path is not None
        return str(self.sqlite_path)

    @property
    def host(self) -> str:
        """The server's host for a PostgreSQL URL ("" when libpq's default applies)."""
        if self.url is None:
            return ""
        start = self.url.find("://") + 3
        authority = self.url[start:].split("?", 1)[0]
        hostport = authority.rpartition("@")[2].split("/", 1)[0]
        host = hostport[1:].partition("]")[0] if hostport.startswith("[") else hostport
        return unquote(host.partition(":")[0] if not hostport.startswith("[") else host)

    def scrub(self, text: str) -> str:
        """`text` (a driver's error, say) with this target's password, if any, as `***`."""
        if self.url is None:
            return text
        for secret in self._secrets():
            text = text.replace(secret, MASK)
        return text.replace(self.url, self.display)

    def _secrets(self) -> list[str]:
        assert self.url is not None
        start = self.url.find("://") + 3
        authority = self.url[start:].split("?", 1)[0]
        userinfo = authority.rpartition("@")[0] if "@" in authority else ""
        found = [userinfo.partition(":")[2]]
        try:
            query = urlsplit(self.url).query
            found += [v for k, v in parse_qsl(query) if k.casefold() == "password"]
        except ValueError:
            pass
        secrets = {s for s in found if s} | {unquote(s) for s in found if s}
        return sorted(secrets, key=len, reverse=True)

    def __str__(self) -> str:
        return self.display

    def __repr__(self) -> str:
        kind = "postgresql" if self.is_postgres else "sqlite"
        return f"DatabaseTarget({kind}: {self.display})"
