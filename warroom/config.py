"""Where warroom keeps its data and who is typing: command line, then environment, then defaults.

No Textual here: scripts (`warroom log`) and the TUI share these rules.
"""

from __future__ import annotations

import getpass
import os
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


def playbook_path(arg: str | os.PathLike[str] | None) -> Path | None:
    """The playbook file chosen by `--playbook` or `WARROOM_PLAYBOOK`; None for the default."""
    chosen = arg or _env("WARROOM_PLAYBOOK")
    return Path(chosen).expanduser() if chosen else None


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
