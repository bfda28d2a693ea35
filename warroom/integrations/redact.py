"""Cutting a webhook's secret out of text that came back from the webhook's server.

A webhook URL is a secret as a whole and in its parts: Slack's token is the last path segment,
Discord's the last two, a generic relay may carry it in a query value or in the user info.
Servers echo what they were sent: "forbidden: /services/T000/B000/SECRET", Express's
"Cannot POST /services/...", the full URL, the URL percent-encoded, or just the token.
`redact(text, url)` replaces, before any such text is stored or shown:

- the URL, with and without its scheme, raw, percent-decoded and percent-encoded (as `quote`
  and `quote_plus` would write it, in either case of hex digits);
- every path segment, query value and the user info, in the same forms;

with "***". Parts shorter than `MIN_PART` characters ("v1", "api") are not secrets and are
left alone so that the rest of the message stays readable. The host is not a secret.
"""

from __future__ import annotations

import re
from urllib.parse import quote, quote_plus, unquote, unquote_plus, urlsplit

__all__ = ["MIN_PART", "REDACTED", "redact", "secret_parts"]

REDACTED = "***"
MIN_PART = 3


def _forms(value: str) -> set[str]:
    """`value` as a server might echo it: raw, decoded, encoded (both hex cases)."""
    forms = {value, unquote(value), unquote_plus(value)}
    for base in list(forms):
        for encoded in (quote(base, safe=""), quote(base, safe="/"), quote_plus(base, safe="")):
            forms.add(encoded)
            forms.add(re.sub(r"%[0-9A-F]{2}", lambda m: m[0].lower(), encoded))
    return {f for f in forms if len(f) >= MIN_PART}


def secret_parts(url: str) -> list[str]:
    """Every string derived from `url` that must not be shown, longest first."""
    url = url.strip()
    if not url:
        return []
    candidates: set[str] = set()
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL: the whole of it is the secret
        return sorted(_forms(url), key=len, reverse=True)
    rest = url.split("://", 1)[1] if "://" in url else url
    host_and_path = rest.rsplit("@", 1)[-1] if "@" in rest.split("/", 1)[0] else rest
    pieces = [url, rest, host_and_path, parts.path, parts.query, parts.fragment]
    pieces += [parts.path + ("?" + parts.query if parts.query else "")]
    pieces += [seg for seg in parts.path.split("/") if seg]
    for pair in re.split(r"[&;]", parts.query):
        name, _, value = pair.partition("=")
        pieces.append(value or name)
    if "@" in parts.netloc:
        userinfo = parts.netloc.rsplit("@", 1)[0]
        pieces += [userinfo, *userinfo.split(":")]
    for piece in pieces:
        if piece and piece != "/":
            candidates |= _forms(piece)
    return sorted(candidates, key=len, reverse=True)


def redact(text: str, url: str | None) -> str:
    """`text` without any part of `url` (see the module's docstring)."""
    if not url or not text:
        return text
    parts = secret_parts(url)
    if not parts:
        return text
    pattern = re.compile("|".join(re.escape(p) for p in parts), re.IGNORECASE)
    return pattern.sub(REDACTED, text)
