"""Where warroom keeps its data and who is typing: command line, then environment, then defaults.

No Textual here: scripts (`warroom log`) and the TUI share these rules.
"""

from __future__ import annotations

import getpass
import os
import sys
import tomllib
from pathlib import Path

import platformdirs

from warroom.playbook import Playbook, default_playbook, load_playbook

APP_NAME = "warroom"


def _env(name: str) -> str | None:
    """An environment variable's value; unset and empty are the same."""
    return os.environ.get(name) or None


def default_db_path() -> Path:
    """The database in the platform's per-user data directory."""
    return platformdirs.user_data_path(APP_NAME) / "warroom.db"


def resolve_db_path(arg: str | os.PathLike[str] | None) -> Path:
    """`--db`, else `WARROOM_DB`, else the default; `~` is expanded."""
    chosen = arg or _env("WARROOM_DB")
    return Path(chosen).expanduser() if chosen else default_db_path()


def default_reviews_dir(db: Path) -> Path:
    """Post-incident reviews go next to the database unless told otherwise."""
    return db.parent / "reviews"


def config_file() -> Path:
    """`WARROOM_CONFIG`, else config.toml in the platform's per-user config directory."""
    chosen = _env("WARROOM_CONFIG")
    return Path(chosen).expanduser() if chosen else config_dir() / "config.toml"


def config_dir() -> Path:
    return platformdirs.user_config_path(APP_NAME)


def user_playbook_path() -> Path:
    """Where `warroom playbook init` writes, and where a playbook is found without being named."""
    return config_dir() / "playbook.toml"


def playbook_path(arg: str | os.PathLike[str] | None) -> Path | None:
    """The playbook file to use; None for the packaged default.

    `--playbook`, else `WARROOM_PLAYBOOK`, else `playbook = "..."` in the config file, else
    playbook.toml in the config directory if there is one.
    """
    chosen = arg or _env("WARROOM_PLAYBOOK") or _configured_playbook()
    if chosen:
        return Path(chosen).expanduser()
    user = user_playbook_path()
    return user if user.is_file() else None


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    line = " ".join(message.split())
    if line not in _warned:
        _warned.add(line)
        print(f"{APP_NAME}: warning: {line}", file=sys.stderr)


def _configured_playbook() -> str | None:
    path = config_file()
    try:
        with path.open("rb") as handle:
            value = tomllib.load(handle).get("playbook")
    except FileNotFoundError:
        return None
    except tomllib.TOMLDecodeError as error:
        # A broken config file must not stop logging: say so once, carry on without it (the
        # packaged playbook; the commands that need channels report the error themselves).
        _warn_once(f"{path}: {error}; ignoring the file (no channels, default playbook)")
        return None
    except OSError as error:
        raise ValueError(f"{path}: {error}") from None
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{path}: playbook: must be the path of a playbook file")
    # A relative path is relative to the config file, as a user writing it would expect.
    return str((path.parent / Path(value).expanduser()).resolve())


def resolve_playbook(arg: str | os.PathLike[str] | None) -> Playbook:
    """`--playbook`, else `WARROOM_PLAYBOOK`, else the packaged default (raises PlaybookError)."""
    path = playbook_path(arg)
    return load_playbook(path) if path else default_playbook()


def current_user() -> str:
    """The author of what this process writes: `WARROOM_USER`, else the login name, else "ic"."""
    name = _env("WARROOM_USER")
    if name is None:
        try:
            name = getpass.getuser()
        except (OSError, KeyError, ImportError):
            name = None
    return (name or "").strip() or "ic"
