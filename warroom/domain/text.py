"""User text is data: stored verbatim, except control characters that could drive a terminal."""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, and C1 controls (ESC, CSI and friends).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# A whole ANSI/VT escape sequence, so that "\x1b[31m" leaves nothing behind but its text:
# CSI, OSC, and the short ones (ESC [intermediates] final, e.g. "\x1b(B" from `tput sgr0`).
# The same as 8-bit C1 controls: CSI (0x9b) and OSC (0x9d, ended by BEL or ST 0x9c).
_ESCAPE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[ -/]*[0-~])"
    r"|\x9b[0-?]*[ -/]*[@-~]|\x9d[^\x07\x9c]*[\x07\x9c]?"
)
# Bidirectional overrides, embeddings and isolates: they can make text read other than it is
# stored ("Trojan Source"). Kept, but visibly, as their escape: "\u202e".
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    return f"\\u{ord(match[0]):04x}"


def clean_text(text: str) -> str:
    """Multi-line text without escape sequences or control characters (C0 and C1, 7- and
    8-bit), bidi overrides shown as their escape ("\\u202e"); CRLF becomes LF."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _BIDI.sub(_visible, _CONTROL.sub("", _ESCAPE.sub("", text))).rstrip()


def clean_line(text: str) -> str:
    """One line of text: as clean_text, with line breaks folded into spaces."""
    return " ".join(clean_text(text).split())
