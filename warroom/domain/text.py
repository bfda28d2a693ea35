"""User text is data: stored verbatim, except control characters that could drive a terminal."""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, and C1 controls (ESC, CSI and friends).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# A whole ANSI/VT escape sequence, so that "\x1b[31m" leaves nothing behind but its text:
# CSI, OSC, and the short ones (ESC [intermediates] final, e.g. "\x1b(B" from `tput sgr0`).
_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[ -/]*[0-~])")


def clean_text(text: str) -> str:
    """Multi-line text without escape sequences or control characters; CRLF becomes LF."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", _ESCAPE.sub("", text)).rstrip()


def clean_line(text: str) -> str:
    """One line of text: as clean_text, with line breaks folded into spaces."""
    return " ".join(clean_text(text).split())
