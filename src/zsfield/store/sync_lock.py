"""One sync per database at a time, across processes: an OS file lock beside the database.

``<database>.sync-lock`` is locked (``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows) for the whole of
a sync — the app's, ``zsfield sync``'s, a second terminal's — and for a restore of the database. The OS
releases it when the process ends, however it ends (a kill, a crash, a power cut leaves no lock behind: the
file may stay, the lock does not), so a stale lock never blocks a laptop. Both calls lock per open file,
not per process: a second sync in the same process (the app's worker and a test's thread) is refused too.

The standard library does this on both systems in a few lines, so no dependency is added for it
(``filelock`` does the same with the same OS calls).

Nothing here waits: a second sync is told at once that one is running (:class:`SyncBusy`).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from zsfield.store.errors import StoreError


class SyncBusy(StoreError):
    """Another sync (or restore) of this database is running."""

    exit_code = 15


def lock_path(db_path: Path | str) -> Path:
    return Path(str(db_path) + ".sync-lock")


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        with contextlib.suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def sync_lock(db_path: Path | str, busy: str = "sync.busy") -> Iterator[None]:
    """Hold this database's sync lock for the block, or raise :class:`SyncBusy` (message ``busy``) at once."""
    path = lock_path(db_path)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if not _try_lock(fd):
            raise SyncBusy(busy, path=Path(db_path))
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


def sync_running(db_path: Path | str) -> bool:
    """True while another sync of this database holds its lock (the lock is taken and released at once)."""
    try:
        with sync_lock(db_path):
            return False
    except SyncBusy:
        return True


__all__ = ["SyncBusy", "lock_path", "sync_lock", "sync_running"]
