"""Formatting and parsing of times and durations. Everything is UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_HHMM = re.compile(r"^(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?$")


def utc(dt: datetime) -> datetime:
    """The same instant as an aware UTC datetime (naive values are taken as UTC)."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def hhmm(dt: datetime) -> str:
    return utc(dt).strftime("%H:%M")


def stamp(dt: datetime) -> str:
    return utc(dt).strftime("%Y-%m-%d %H:%M UTC")


def duration(seconds: float) -> str:
    """A human duration: "45m", "1h 05m", "2d 3h 10m"."""
    total = int(max(0, seconds)) // 60
    days, rest = divmod(total, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h {minutes:02d}m"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m"


def span(seconds: float) -> str:
    """A duration that never hides a short one as "0m": "40s" under a minute, else as
    `duration` ("3m", "1h 05m")."""
    return f"{int(max(0.0, seconds))}s" if seconds < 60 else duration(seconds)


def lateness(seconds: float) -> str:
    """How late: `span`, at least "1s" (late is never nothing)."""
    return span(max(1.0, seconds))


def cadence(minutes: int) -> str:
    """A cadence as people say it: "30 min", "2 h", "1 h 30 min", "24 h"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


_SPAN = re.compile(r"^(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m(?:in)?)?$")


def parse_span(text: str) -> timedelta:
    """A length typed by a person: "15m", "1h", "1h30m", "90" (minutes)."""
    wanted = text.strip().casefold()
    match = _SPAN.match(wanted)
    if not wanted.isdigit() and (not wanted or match is None or not (match["h"] or match["m"])):
        raise ValueError(f"not a length: {text!r} (write 15m, 1h or 1h30m)")
    try:
        if wanted.isdigit():
            span = timedelta(minutes=int(wanted))
        else:
            assert match is not None
            span = timedelta(hours=int(match["h"] or 0), minutes=int(match["m"] or 0))
    except OverflowError:
        span = timedelta.max
    if span > timedelta(days=366):
        raise ValueError(f"too long: {text!r} (at most a year)")
    return span


def countdown(seconds: float) -> str:
    """A clock face: "29:59", "1:59:59"; negative values (overdue) get a leading "-"."""
    sign = "-" if seconds < 0 else ""
    total = int(abs(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{minutes:02d}:{secs:02d}"


def parse_time_of_day(text: str, now: datetime) -> datetime:
    """ "14:05" as the latest such UTC time not after `now` (so it may be yesterday)."""
    match = _HHMM.match(text.strip())
    if match is None:
        raise ValueError(f"not a time of day (HH:MM, UTC): {text!r}")
    now = utc(now)
    at = now.replace(
        hour=int(match["h"]), minute=int(match["m"]), second=int(match["s"] or 0), microsecond=0
    )
    if at > now:
        at -= timedelta(days=1)
    return at


EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
"""No incident of this program's is older: an earlier date is a typing mistake."""
FUTURE_LIMIT = timedelta(days=1)
"""How far ahead of now a typed time may be (clock skew between machines, time zones)."""


def parse_when(text: str, now: datetime) -> datetime:
    """A time typed by a person: "14:05", "2026-11-27 14:05", ISO 8601, or "-15m"/"-2h".

    ValueError, in one line, for anything else, for a time before 2000 and for one more than
    a day after `now`.
    """
    text = text.strip()
    relative = re.fullmatch(r"-(\d+)([mh])", text)
    if relative:
        amount = int(relative[1])
        try:
            delta = timedelta(minutes=amount) if relative[2] == "m" else timedelta(hours=amount)
            at = utc(now) - delta
        except OverflowError:
            at = EARLIEST - timedelta(days=1)
    elif _HHMM.match(text):
        return parse_time_of_day(text, now)
    else:
        try:
            at = utc(datetime.fromisoformat(text.replace(" UTC", "").replace("Z", "+00:00")))
        except (ValueError, OverflowError):
            raise ValueError(
                f"not a time: {text!r} (use HH:MM in UTC, YYYY-MM-DD HH:MM, or -15m)"
            ) from None
    if at < EARLIEST:
        raise ValueError(f"{text!r} is before 2000: not a time of this incident")
    if at > utc(now) + FUTURE_LIMIT:
        raise ValueError(f"{text!r} is more than a day in the future ({stamp(at)})")
    return at


BACKDATE_LIMIT = timedelta(hours=12)
"""A time further back than this, typed as HH:MM or -Nh, is checked with the person."""


def is_explicit_date(text: str) -> bool:
    """Whether TEXT names its date (an ISO date), rather than HH:MM or -15m."""
    text = text.strip()
    return not (_HHMM.match(text) or re.fullmatch(r"-(\d+)([mh])", text))


def backdating_concern(
    at: datetime, now: datetime, detected: datetime, explicit: bool = False
) -> str | None:
    """Why a backdated time deserves a question before it is recorded, or None.

    "19:30" typed at 18:59 means yesterday's 19:30, and "07:05" may be twelve hours before
    anything happened: a person should see that before it goes into the record. A time
    typed with its date says what it means.
    """
    if explicit:
        return None
    at, now = utc(at), utc(now)
    concerns = []
    days = (now.date() - at.date()).days
    if days == 1:
        concerns.append(f"that is yesterday, {stamp(at)}")
    elif days > 1:
        concerns.append(f"that is {days} days ago, {stamp(at)}")
    elif now - at > BACKDATE_LIMIT:
        hours, minutes = divmod(int((now - at).total_seconds()) // 60, 60)
        concerns.append(f"that is {hours} h {minutes:02d} min ago, {stamp(at)}")
    if at < utc(detected):
        concerns.append(f"before detection ({stamp(detected)})")
    return "; ".join(concerns) or None
