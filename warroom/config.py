"""Where warroom keeps its data and who is typing: command line, then environment, then defaults.

No Textual here: scripts (`warroom log`) and the TUI share these rules.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Mapping
from pathlib import Path

import platformdirs

from warroom.playbook import Playbook, default_playbook, load_playbook
from warroom.store.target import DatabaseTarget

APP_NAME = "warroom"


def _env(name: str) -> str | None:
    """An environment variable's value; unset and empty are the same."""
    return os.environ.get(name) or None


def spool_path(database: object) -> Path:
    """Where entries typed while DATABASE is unreachable are kept (store/spool.py): beside
    the user's data, one file per database (named by a hash of where it is; never the
    URL itself, which may hold a password)."""
    import hashlib

    digest = hashlib.sha256(str(database).encode("utf-8")).hexdigest()[:16]
    return platformdirs.user_data_path(APP_NAME) / "spool" / f"{digest}.jsonl"


def default_db_path() -> Path:
    """The database in the platform's per-user data directory."""
    return platformdirs.user_data_path(APP_NAME) / "warroom.db"


def resolve_db_target(arg: str | os.PathLike[str] | None) -> DatabaseTarget:
    """Where the database is: `--db`, else `WARROOM_DB`, else `database = "..."` in the config
    file, else the default SQLite file. A `postgresql://` (or `postgres://`) URL names a
    PostgreSQL server; anything else is an SQLite path (`~` expanded; relative to the config
    file when it comes from there)."""
    chosen = arg or _env("WARROOM_DB")
    if chosen:
        return DatabaseTarget.parse(os.fspath(chosen))
    configured = _configured_database()
    if configured is not None:
        return configured
    return DatabaseTarget.sqlite(default_db_path())


def default_reviews_dir(db: Path | None) -> Path:
    """Post-incident reviews go next to the SQLite database unless told otherwise; with
    PostgreSQL (`db` None), in the platform's per-user data directory."""
    if db is None:
        return platformdirs.user_data_path(APP_NAME) / "reviews"
    return db.parent / "reviews"


def config_file(environ: Mapping[str, str] | None = None) -> Path:
    """`WARROOM_CONFIG`, else config.toml in the platform's per-user config directory. The
    one place that says where the config file is (the playbook, keys and channels in it)."""
    chosen = (os.environ if environ is None else environ).get("WARROOM_CONFIG", "").strip()
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


def _config() -> dict[str, object]:
    """The config file's contents; {} when there is none. A file with a TOML mistake must
    not stop logging: it is reported once and read as empty (the packaged playbook, the
    default keys; the commands that need channels report the error themselves)."""
    path = config_file()
    try:
        with path.open("rb") as handle:
            import tomllib  # only where there is a file to read

            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except ValueError as error:  # tomllib.TOMLDecodeError is one
        _warn_once(f"{path}: {error}; ignoring the file (no channels, default playbook)")
        return {}
    except OSError as error:
        raise ValueError(f"{path}: {error}") from None


def keymap() -> dict[str, str]:
    """`[keys]` in the config file: the war room's keys by action id (`pin = "f7"`,
    `help = "f1,question_mark"`); the actions and their ids are in `warroom/tui/actions.py`
    and in the README."""
    table = _config().get("keys", {})
    if not isinstance(table, dict) or not all(
        isinstance(v, str) and v.strip() for v in table.values()
    ):
        raise ValueError(f'{config_file()}: [keys]: each must be a key, like pin = "f7"')
    return {str(k): str(v) for k, v in table.items()}


def _configured_playbook() -> str | None:
    path = config_file()
    value = _config().get("playbook")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{path}: playbook: must be the path of a playbook file")
    # A relative path is relative to the config file, as a user writing it would expect.
    return str((path.parent / Path(value).expanduser()).resolve())


def _configured_database() -> DatabaseTarget | None:
    path = config_file()
    value = _config().get("database")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{path}: database: must be an SQLite file's path or a postgresql:// URL")
    target = DatabaseTarget.parse(value)
    if target.sqlite_path is not None and not target.sqlite_path.is_absolute():
        return DatabaseTarget.sqlite((path.parent / target.sqlite_path).resolve())
    return target


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
