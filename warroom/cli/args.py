"""The command line's words before argparse reads them, and the options every command takes.

`warroom log ---` (dashes are text), `--at -15m` (a relative time, not an option), bytes that
are not UTF-8, and which subcommand a command line names (so that only its module loads).
"""

from __future__ import annotations

import argparse
import re
import sys

from warroom import __version__
from warroom.config import (
    APP_NAME,
)

_SEVERITY = re.compile(r"(?:sev[-_ ]?)?(\d+)", re.IGNORECASE)
_WHEN_OPTIONS = ("--at", "--detected", "--start", "--end", "--since")
_RELATIVE = re.compile(r"-\d+[mh]")

_VALUED = ("--db", "--playbook", "--config", "--reviews-dir", "--as")
"""The global options that take a value (the command is the first word that is neither)."""


def severity_arg(text: str) -> int:
    match = _SEVERITY.fullmatch(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"not a severity: {text!r} (use 1, 2, 3 or SEV-1)")
    return int(match[1])


def attach_relative_times(argv: list[str]) -> list[str]:
    """`--at -15m` as `--at=-15m`: argparse would take "-15m" for an option."""
    out: list[str] = []
    for arg in argv:
        if out and out[-1] in _WHEN_OPTIONS and _RELATIVE.fullmatch(arg):
            out[-1] = f"{out[-1]}={arg}"
        elif out and out[-1] == "detected" and _RELATIVE.fullmatch(arg):
            out += ["--", arg]  # `warroom detected -15m`: a time, not an option
        else:
            out.append(arg)
    return out


_DASHES = re.compile(r"-{3,}")
_DASHES_MARK = "\x00dashes:"


def dashes_as_text(argv: list[str]) -> list[str]:
    """`warroom log ---`: a line of dashes is text, not an option argparse cannot find."""
    out = []
    for index, arg in enumerate(argv):
        if "--" in argv[:index]:
            out.append(arg)
        else:
            out.append(_DASHES_MARK + arg if _DASHES.fullmatch(arg) else arg)
    return out


def restore_dashes(args: argparse.Namespace) -> None:
    for name, value in vars(args).items():
        if isinstance(value, str) and value.startswith(_DASHES_MARK):
            setattr(args, name, value.removeprefix(_DASHES_MARK))
        elif isinstance(value, list):
            setattr(
                args,
                name,
                [v.removeprefix(_DASHES_MARK) if isinstance(v, str) else v for v in value],
            )


def readable_args(argv: list[str]) -> list[str]:
    """The arguments as text: bytes that are not UTF-8 (which Python keeps as surrogates, and
    SQLite cannot store) become U+FFFD, with a warning naming the argument."""
    out = []
    for number, arg in enumerate(argv, 1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            try:
                arg = arg.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            except UnicodeEncodeError:
                arg = arg.encode("utf-8", "replace").decode("utf-8")
            print(
                f"{APP_NAME}: warning: argument {number} is not valid UTF-8;"
                f" the bad bytes are kept as \ufffd: {arg!r}",
                file=sys.stderr,
            )
        out.append(arg)
    return out


def global_options(in_subcommand: bool) -> argparse.ArgumentParser:
    """Options accepted before and after the subcommand.

    A subcommand's copy has no defaults, so that it does not overwrite a value given before it.
    """
    default = argparse.SUPPRESS if in_subcommand else None
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("global options")
    group.add_argument(
        "--db",
        metavar="PATH|URL",
        default=default,
        help="SQLite file or postgresql:// URL (env WARROOM_DB, config: database)",
    )
    group.add_argument(
        "--playbook", metavar="PATH", default=default, help="playbook TOML (env WARROOM_PLAYBOOK)"
    )
    group.add_argument(
        "--config",
        metavar="PATH",
        default=default,
        help="config.toml: playbook, keys, channels, templates (env WARROOM_CONFIG)",
    )
    group.add_argument(
        "--reviews-dir", metavar="DIR", default=default, help="where reviews are written"
    )
    group.add_argument(
        "--as",
        dest="author",
        metavar="NAME",
        default=default,
        help="author of what you write (env WARROOM_USER, else your login name)",
    )
    group.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    return parent


def command_of(argv: list[str]) -> str | None:
    """The subcommand named on the command line, if any (before parsing it)."""
    words = iter(argv)
    for word in words:
        if word == "--":
            return None
        if word in _VALUED:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None
