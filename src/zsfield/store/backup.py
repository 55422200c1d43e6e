"""An officer's own backup and restore: SQLite's online backup API, checked after writing.

:func:`backup_database` copies the database consistently while the app (or a sync) may be using it: the copy
is one read snapshot, written beside the target as ``….partial``, checked (``PRAGMA integrity_check``) and only
then renamed into place; an existing file is never overwritten. :func:`restore_database` puts a backup in the
database's place: the backup is copied and checked first, migrated if it is older, refused if it is newer,
and the current file (with its ``-wal``) is kept aside, never deleted. A restored laptop pulls everything
again from cursor 0 and, before sending, checks its outbox against the server under the same client id
(:func:`~zsfield.store.sync_state.prepare_restored`): the ops the live database sent after the backup are
replayed by the server (acknowledged, never applied twice, never a conflict with the officer's own later
edits), the others are sent. A restore waits for no sync: while one runs it is refused (``SyncBusy``).
"""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import datetime
from pathlib import Path

from zsfield.store.errors import (
    SQLITE_HEADER,
    DatabaseCorrupt,
    DatabaseMissing,
    StoreError,
    check_file,
)

SIDE_FILES = ("-wal", "-shm", "-journal")


def _remove_with_side_files(path: Path) -> None:
    """Remove ``path`` and its WAL, shared-memory and journal files, where they exist."""
    for suffix in ("", *SIDE_FILES):
        Path(str(path) + suffix).unlink(missing_ok=True)


class WouldOverwrite(StoreError):
    """The file to write already exists (a backup never overwrites; a restore needs ``--force``)."""

    exit_code = 2


def _stamp(now: datetime | None = None) -> str:
    return (now or datetime.now()).strftime("%Y%m%d-%H%M%S")


def default_backup_path(db_path: Path, data_dir: Path, now: datetime | None = None) -> Path:
    """``<data dir>/backups/<database name>-<YYYYmmdd-HHMMSS>.db`` (a second backup in the same second gets
    ``-2``, ``-3``…: a backup never overwrites another)."""
    folder = Path(data_dir) / "backups"
    base = f"{Path(db_path).stem}-{_stamp(now)}"
    out = folder / f"{base}.db"
    n = 2
    while out.exists():
        out = folder / f"{base}-{n}.db"
        n += 1
    return out


def _translate(exc: sqlite3.Error, path: Path) -> StoreError:
    from zsfield.store.engine import translate_error

    return translate_error(exc, path) or DatabaseCorrupt("store.corrupt", path=path)


def _copy(source: Path, dest: Path) -> None:
    """``source`` → ``dest`` (a new file) in one step of the online backup API, then integrity-checked.
    ``dest`` is removed again on any failure."""
    try:
        src = sqlite3.connect(source, timeout=5)
    except sqlite3.Error as exc:
        raise _translate(exc, source) from exc
    try:
        try:
            dst = sqlite3.connect(dest)
        except sqlite3.Error as exc:
            raise _translate(exc, dest) from exc
        try:
            try:
                src.backup(dst)  # all pages in one step: one consistent snapshot of the source
            except sqlite3.Error as exc:
                # the source cannot be read (damaged, locked), or the copy cannot be written (disk full)
                text = str(exc).lower()
                raise _translate(exc, dest if "full" in text else source) from exc
            problem = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if problem != "ok":
                raise DatabaseCorrupt("store.integrity", path=source, problem=problem)
        finally:
            dst.close()
    except BaseException:
        _remove_with_side_files(dest)
        raise
    finally:
        src.close()


def backup_database(source: Path | object, out: Path) -> int:
    """Copy the database at ``source`` (a path, or a :class:`~zsfield.store.db.Store`) to the new file ``out``,
    consistently while it may be in use; returns the size of the backup.

    Raises :class:`WouldOverwrite` when ``out`` exists, :class:`DatabaseMissing` / :class:`DatabaseCorrupt`
    / :class:`DatabaseLocked` for a source that cannot be read, :class:`DiskFull` when the copy does not fit.
    The source is only read.
    """
    path = Path(getattr(source, "path", source))  # type: ignore[arg-type]
    out = Path(out)
    if out.exists():
        raise WouldOverwrite("backup.exists", path=out)
    if not path.exists():
        raise DatabaseMissing("store.missing", path=path)
    bad = check_file(path)
    if bad is not None:
        raise bad
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    _remove_with_side_files(tmp)  # the leftover of a backup that was killed
    _copy(path, tmp)
    if out.exists():  # appeared meanwhile: keep it, drop ours
        tmp.unlink(missing_ok=True)
        raise WouldOverwrite("backup.exists", path=out)
    tmp.replace(out)
    return out.stat().st_size


def aside_path(target: Path, now: datetime | None = None) -> Path:
    """Where a restore keeps the file it replaces: ``<name>.before-restore-<YYYYmmdd-HHMMSS>``."""
    aside = target.with_name(f"{target.name}.before-restore-{_stamp(now)}")
    n = 2
    while aside.exists():
        aside = target.with_name(f"{target.name}.before-restore-{_stamp(now)}-{n}")
        n += 1
    return aside


def restore_database(
    backup: Path, target: Path, *, force: bool = False, now: datetime | None = None
) -> Path | None:
    """Put the backup ``backup`` in the place of the database ``target``; returns where the previous file was
    kept (None when there was none).

    The backup is only read. It is copied beside ``target`` and checked first: a damaged backup
    (:class:`DatabaseCorrupt`) or one from a newer zsfield (:class:`DatabaseTooNew`) leaves ``target`` as it
    was. An existing ``target`` is refused (:class:`WouldOverwrite`) unless ``force``; then it is renamed,
    with its ``-wal`` and ``-shm``, to :func:`aside_path` — nothing is deleted. The restored database keeps
    its outbox and client id and pulls everything again (:func:`~zsfield.store.sync_state.prepare_restored`).
    Refused with :class:`~zsfield.store.sync_lock.SyncBusy` while a sync of ``target`` runs.
    """
    from zsfield.store.sync_lock import sync_lock

    Path(target).parent.mkdir(parents=True, exist_ok=True)
    with sync_lock(target, busy="restore.busy"):
        return _restore(Path(backup), Path(target), force=force, now=now)


def _restore(backup: Path, target: Path, *, force: bool, now: datetime | None) -> Path | None:
    from zsfield.store.db import Store
    from zsfield.store.sync_state import K_SERVER, prepare_restored

    if not backup.exists():
        raise DatabaseMissing("store.missing", path=backup)
    if target.exists() and backup.resolve() == target.resolve():
        raise WouldOverwrite("restore.same_file", path=target)
    with backup.open("rb") as fh:
        if fh.read(16) != SQLITE_HEADER:
            raise DatabaseCorrupt("store.not_sqlite", path=backup)
    aside = aside_path(target, now) if target.exists() else None
    if aside is not None and not force:
        raise WouldOverwrite("restore.target_exists", target=target, aside=aside)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".restoring")
    _remove_with_side_files(tmp)
    bad = check_file(backup)
    if bad is not None:
        raise bad
    _copy(backup, tmp)
    try:
        store = Store.open(tmp, create=False)  # migrates an older backup; refuses a newer one
        try:
            if store.get_state(K_SERVER):
                prepare_restored(store)
        finally:
            store.close()
    except BaseException:
        _remove_with_side_files(tmp)
        raise
    if aside is not None:
        # the current file and its WAL together, so that the kept copy opens with every committed change
        for suffix in ("", "-wal", "-shm"):
            current = Path(str(target) + suffix)
            if current.exists():
                current.replace(Path(str(aside) + suffix))
    for suffix in SIDE_FILES:
        with contextlib.suppress(FileNotFoundError):
            Path(str(target) + suffix).unlink()
    for suffix in ("-wal", "-shm"):  # normally gone with the last connection; if not, they travel along
        side = Path(str(tmp) + suffix)
        if side.exists():
            side.replace(Path(str(target) + suffix))
    tmp.replace(target)
    return aside
