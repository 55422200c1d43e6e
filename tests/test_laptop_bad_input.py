"""Bad input at the laptop: a database that is random bytes, has a page overwritten, is cut short, comes from a
newer zsfield or is locked; a disk that fills up during a write; a config file with a typo. Each gives a clear
message in both languages and its exit code (the real ``zsfield`` in a subprocess, and the library), and
leaves what was there exactly as it was."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from cli_helpers import digest, zsfield
from zsfield.config import ConfigError, load_settings
from zsfield.domain.enums import SourceChannel
from zsfield.i18n import t
from zsfield.store import (
    DatabaseCorrupt,
    DatabaseLocked,
    DatabaseTooNew,
    DiskFull,
    Store,
    StoreError,
)
from zsfield.store.actions.leads import capture_lead

ACTOR = "00000000-0000-4000-8000-000000000001"


def side_files(path: Path) -> list[Path]:
    return [p for p in (Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")) if p.exists()]


def assert_refused(result: subprocess.CompletedProcess[str], code: int, key: str, **params: object) -> None:
    """Exit ``code``, no traceback, and the catalog message ``key`` in both languages."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("zsfield: ")
    for lang in ("zh", "en"):
        assert t(key, lang, **params) in result.stderr, (lang, result.stderr)


@pytest.fixture(scope="module")
def good_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small seeded database, closed cleanly (no -wal beside it)."""
    from zsfield.seed import seed_database

    path = tmp_path_factory.mktemp("good") / "good.db"
    seed_database(path, projects=20, seed=3)
    return path


def copy_of(good: Path, dest: Path) -> Path:
    dest.write_bytes(good.read_bytes())
    return dest


def root_page(path: Path, table: str) -> tuple[int, int]:
    conn = sqlite3.connect(path)
    try:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    finally:
        conn.close()
    return root, page_size


def overwrite_page(path: Path, page: int, page_size: int) -> None:
    data = bytearray(path.read_bytes())
    data[(page - 1) * page_size : page * page_size] = os.urandom(page_size)
    path.write_bytes(bytes(data))


# --- damaged files ---------------------------------------------------------------------------------------


def test_random_bytes_are_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "random.db"
    path.write_bytes(os.urandom(64 * 1024))
    before = digest(path)
    with pytest.raises(DatabaseCorrupt) as refused:
        Store.open(path)
    assert refused.value.key == "store.not_sqlite"
    result = zsfield("status", "--db", str(path))
    assert_refused(result, 6, "store.not_sqlite", path=path)
    assert digest(path) == before and side_files(path) == []


def test_a_database_with_a_page_overwritten(good_db: Path, tmp_path: Path) -> None:
    path = copy_of(good_db, tmp_path / "page.db")
    # the local state (who this laptop is, the cursor): every command and the app read it
    page, size = root_page(path, "sync_state")
    overwrite_page(path, page, size)
    before = digest(path)
    # the library: found at open (a full check) or at the first read of the page, never a bare sqlite error
    with pytest.raises(DatabaseCorrupt), Store.open(path, create=False) as store, store.read() as session:
        session.connection().exec_driver_sql("SELECT * FROM sync_state").all()
    result = zsfield("status", "--db", str(path))
    assert result.returncode == DatabaseCorrupt.exit_code, result.stderr
    assert "Traceback" not in result.stderr
    assert "damaged" in result.stderr or "integrity" in result.stderr
    assert "损坏" in result.stderr or "完整性" in result.stderr
    # a command that never reads the damaged page still works (here: the company index)
    result = zsfield("match-company", "不存在的企业名称", "--db", str(path))
    assert result.returncode == 0 and t("match.none", "en") in result.stdout, result.stderr
    assert digest(path) == before


def test_a_truncated_database(good_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "cut.db"
    data = good_db.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    before = digest(path)
    with pytest.raises(DatabaseCorrupt) as refused:
        Store.open(path)
    assert refused.value.key == "store.truncated"
    result = zsfield("status", "--db", str(path))
    assert_refused(result, 6, "store.truncated", path=path, size=len(data) // 3, expected=len(data))
    # the seed, which would write the most, is refused before anything touches the file
    result = zsfield("seed", "--db", str(path), "--projects", "2", "--force")
    assert result.returncode == 6 and "Traceback" not in result.stderr
    assert digest(path) == before and side_files(path) == []


def test_a_database_cut_inside_its_header(tmp_path: Path, good_db: Path) -> None:
    path = tmp_path / "stub.db"
    path.write_bytes(good_db.read_bytes()[:60])
    result = zsfield("status", "--db", str(path))
    assert_refused(result, 6, "store.truncated", path=path, size=60, expected=100)
    assert path.read_bytes() == good_db.read_bytes()[:60]


def test_a_database_from_a_newer_version(good_db: Path, tmp_path: Path) -> None:
    path = copy_of(good_db, tmp_path / "newer.db")
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = 'f00d_from_2031'")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(DatabaseTooNew) as refused:
        Store.open(path)
    assert refused.value.exit_code == 4 and "f00d_from_2031" in str(refused.value)
    for command in (("status",), ("seed", "--projects", "2", "--force")):
        result = zsfield(*command, "--db", str(path))
        assert_refused(result, 4, "store.too_new", path=path, revision="f00d_from_2031")
    assert digest(path) == before and side_files(path) == []


def test_a_locked_database(good_db: Path, tmp_path: Path) -> None:
    path = copy_of(good_db, tmp_path / "busy.db")
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        result = zsfield("status", "--db", str(path))
        with pytest.raises(DatabaseLocked):
            Store.open(path)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_refused(result, 5, "store.locked", path=path)
    assert digest(path) == digest(good_db)


# --- a full disk during a write -------------------------------------------------------------------------------


def test_a_full_disk_rolls_the_write_back(good_db: Path, tmp_path: Path) -> None:
    """SQLite's page limit gives the very error a full disk gives (SQLITE_FULL) on the same path."""
    from sqlalchemy import event

    path = copy_of(good_db, tmp_path / "full.db")
    store = Store.open(path)
    leads, ops = store.scalar("SELECT count(*) FROM lead"), store.scalar("SELECT count(*) FROM outbox")
    pages = store.scalar("PRAGMA page_count")

    @event.listens_for(store.engine, "connect")
    def no_room(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.execute(f"PRAGMA max_page_count={pages}")  # not one page more than the file has

    with pytest.raises(DiskFull) as full, store.write(ACTOR) as w:
        capture_lead(
            w,
            title="磁盘已满时的线索",
            company_name="满盘科技有限公司",
            source_channel=SourceChannel.STATIONED,
            note="长" * 20_000,  # more than the free pages hold
        )
    assert full.value.exit_code == 7
    assert "full" in str(full.value) and "已满" in str(full.value)
    event.remove(store.engine, "connect", no_room)
    assert store.scalar("SELECT count(*) FROM lead") == leads  # neither the row
    assert store.scalar("SELECT count(*) FROM outbox") == ops  # nor its outbox op
    assert store.scalar("SELECT count(*) FROM lead WHERE title = '磁盘已满时的线索'") == 0
    assert store.scalar("PRAGMA integrity_check") == "ok"
    with store.write(ACTOR) as w:  # and with room again, the same write goes through
        capture_lead(w, title="之后的线索", source_channel=SourceChannel.STATIONED)
    assert store.scalar("SELECT count(*) FROM lead") == leads + 1
    store.close()


# --- the app opens a bad database: a message, not a traceback ----------------------------------------------


def damage(path: Path, how: str) -> None:
    if how == "random":
        path.write_bytes(os.urandom(32 * 1024))
    elif how == "cut":
        path.write_bytes(path.read_bytes()[:20_000])
    elif how == "newer":
        conn = sqlite3.connect(path)
        conn.execute("UPDATE alembic_version SET version_num = 'f00d_from_2031'")
        conn.commit()
        conn.close()
    else:
        overwrite_page(path, *root_page(path, "sync_state"))


@pytest.mark.parametrize(("how", "code"), [("random", 6), ("cut", 6), ("newer", 4)])
def test_opening_the_app_on_a_bad_database_says_why(
    how: str, code: int, good_db: Path, tmp_path: Path
) -> None:
    """``zsfield`` refuses such a file before the full-screen app starts: the message and the exit code."""
    path = copy_of(good_db, tmp_path / "app.db")
    damage(path, how)
    before = digest(path)
    result = zsfield("--db", str(path))
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.startswith("zsfield: ")
    assert digest(path) == before and side_files(path) == []


@pytest.mark.parametrize("how", ["newer", "page"])
async def test_the_app_itself_shows_why_it_cannot_open_the_database(
    how: str, good_db: Path, tmp_path: Path
) -> None:
    from tui_common import settle
    from zsfield.app import make_app

    path = copy_of(good_db, tmp_path / "app.db")
    damage(path, how)
    before = digest(path)
    app = make_app(load_settings(db=path), lang="en")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.store_error and ("damaged" in app.store_error or "newer version" in app.store_error)
    assert app.return_code in (None, 0)
    assert digest(path) == before


# --- the config file -----------------------------------------------------------------------------------------


def write_config(home: Path, text: str) -> Path:
    path = home / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "key", "phrases"),
    [
        (
            'langauge = "zh"\n',
            "config.unknown_key",
            ["'langauge'", "did you mean 'language'", "「language」"],
        ),
        ('page_size = "200"\n', "config.bad_value", ["'page_size'", "from 10 to 5000", "10 到 5000"]),
        ("stale_days = true\n", "config.bad_value", ["'stale_days'", "days above zero"]),
        ('language = "zh"\nserver = "https://a\n', "config.bad_toml", ["line 2, column", "第 2 行"]),
        ('language = "zh"\n[bindings\nsync = "f9"\n', "config.bad_toml", ["line 2, column", "第 2 行"]),
        ('language = "fr"\n', "config.bad_language", ['"zh" or "en"', "'fr'"]),
    ],
)
def test_a_config_file_with_a_typo(
    isolated_home: Path, good_db: Path, text: str, key: str, phrases: list[str]
) -> None:
    config = write_config(isolated_home, text)
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert refused.value.key == key
    result = zsfield("status", "--db", str(good_db))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.startswith("zsfield: ")
    assert str(config) in result.stderr
    for phrase in phrases:
        assert phrase in result.stderr
    assert refused.value.message("en") in result.stderr and refused.value.message("zh") in result.stderr
    assert config.read_text(encoding="utf-8") == text


def test_the_app_refuses_a_bad_config_before_opening(isolated_home: Path, good_db: Path) -> None:
    write_config(isolated_home, "stale_dayz = 3\n")
    result = zsfield("--db", str(good_db))  # opening the app: refused before any screen
    assert result.returncode == 2 and "did you mean 'stale_days'" in result.stderr
    assert "Traceback" not in result.stderr


def test_store_errors_say_it_in_both_languages_and_either_one(tmp_path: Path) -> None:
    error = DatabaseLocked("store.locked", path=tmp_path / "x.db")
    assert error.message("zh") in str(error) and error.message("en") in str(error)
    assert "占用" in error.message("zh") and "locked" in error.message("en")
    assert str(StoreError("a plain sentence")) == "a plain sentence"
