"""The data directory holds customer data (recordings, posters, snapshots, database): owner-only from creation.

The process umask is 0077 from the start, so every file and folder any part creates (SQLite and its WAL/SHM,
recording segments, posters, exports) is born 0600/0700; nothing is chmod'ed after it was written. Folders
and files an older version left readable are tightened once at start."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600


def restrict_new_files() -> None:
    """Make every file this process creates from now on owner-only."""
    os.umask(PRIVATE_UMASK)


def prepare_data_dir(data_dir: Path) -> Path:
    """Create (0700) or tighten the data directory and what is already in it; returns its resolved path."""
    restrict_new_files()
    data_dir = data_dir.resolve()
    data_dir.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    loosened = tighten(data_dir)
    if loosened:
        log.warning("restricted %d files and folders in %s to the owner (they were readable by others)",
                    loosened, data_dir)
    return data_dir


def tighten(root: Path) -> int:
    """Set 0700/0600 on root and everything under it that allows group/other access; returns how many."""
    changed = 0
    for path in (root, *root.rglob("*")):
        try:
            st = path.lstat()
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(st.st_mode) or not (st.st_mode & 0o077):
            continue
        path.chmod(DIR_MODE if stat.S_ISDIR(st.st_mode) else FILE_MODE)
        changed += 1
    return changed


def create_private_file(path: Path, content: bytes) -> bool:
    """Write a new file created 0600 atomically (O_EXCL); False if it already existed."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    return True
