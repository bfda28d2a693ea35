"""Files that hold incident data are private: customer impact and internal findings must not
be readable by everyone on a shared host.

A directory warroom creates is 0700 and a file 0600, always further limited by the umask.
Where the user has chosen to share (the directory the file goes in already exists and gives
its group write access, say a team directory `chmod 2770`), a new file gets the directory's
group permissions (0660, less the umask). Existing files keep the mode they have.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

__all__ = ["file_mode", "private_dir", "private_file"]


def private_dir(path: Path) -> None:
    """Create `path` (and missing parents) as 0700 directories; an existing one is left as is."""
    if path.is_dir():
        return
    missing = []
    here = path
    while not here.exists() and here != here.parent:
        missing.append(here)
        here = here.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)


def file_mode(directory: Path) -> int:
    """The mode for a new file in `directory`: 0600, or 0660 in a group-shared directory."""
    try:
        mode = directory.stat().st_mode
    except OSError:
        return 0o600
    return 0o660 if mode & stat.S_IWGRP else 0o600


def private_file(path: Path) -> None:
    """Create `path` empty with `file_mode` (and its directory with `private_dir`) unless it
    exists. SQLite then gives its -wal and -shm files the same mode."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, file_mode(path.parent))
    except FileExistsError:
        return
    os.close(fd)
