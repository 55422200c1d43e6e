"""The real ``zsfield`` command in subprocesses: seed, status, match-company, backup, and the messages (and
exit codes) a person gets for a missing, newer, locked or damaged database."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from cli_helpers import digest, zsfield
from zsfield.store.errors import DatabaseCorrupt, DatabaseLocked, DatabaseMissing, DatabaseTooNew


def assert_clean_failure(result: subprocess.CompletedProcess[str], exit_code: int, *phrases: str) -> None:
    assert result.returncode == exit_code, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("zsfield: ")
    for phrase in phrases:
        assert phrase in result.stderr


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("cli") / "demo.db"
    result = zsfield("seed", "--db", str(path), "--projects", "40", "--seed", "5")
    assert result.returncode == 0, result.stderr
    return path, json.loads(result.stdout)


def test_seed_then_status_reports_what_was_seeded(seeded: tuple[Path, dict]) -> None:
    path, report = seeded
    assert report["database"] == str(path) and report["projects"] == 40 and report["seconds"] > 0
    result = zsfield("status", "--db", str(path), "--json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["counts"] == report["counts"]
    assert status["counts"]["project"] == 40
    assert status["outbox_pending"] == 0
    assert status["officer_id"] == report["officer_id"]
    assert status["officer"]["officer_name"] == report["officer"]
    assert status["officer"]["team_name"] == "驻上海招商组"
    assert status["database"] == str(path)
    assert status["schema_revision"] == status["schema_head"]


def test_seed_refuses_a_seeded_database(seeded: tuple[Path, dict]) -> None:
    path, _ = seeded
    before = digest(path)
    result = zsfield("seed", "--db", str(path), "--projects", "5")
    assert_clean_failure(result, 8, "already has 40 projects", "--force")
    assert digest(path) == before


def test_match_company_finds_seeded_companies(seeded: tuple[Path, dict]) -> None:
    path, _ = seeded
    conn = sqlite3.connect(path)
    try:
        company_id, name, aliases = conn.execute(
            "SELECT id, name, aliases FROM company WHERE country = 'CN' AND note = '' ORDER BY id LIMIT 1"
        ).fetchone()
    finally:
        conn.close()
    short = json.loads(aliases)[0]  # 字号 + 行业, as people say it
    assert short != name
    result = zsfield("match-company", short, "--db", str(path), "--json")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["query"] == short
    assert company_id in [c["company_id"] for c in found["candidates"]]
    assert all(c["reason"].startswith("match.reason.") for c in found["candidates"])


def test_a_missing_database_is_named_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "officer.db"
    result = zsfield("status", "--db", str(missing), "--json")
    assert_clean_failure(result, DatabaseMissing.exit_code, str(missing), "zsfield seed")
    assert not missing.exists()


def test_a_database_from_a_newer_version_is_refused_and_left_alone(tmp_path: Path) -> None:
    from zsfield.store import Store

    path = tmp_path / "newer.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.commit()
    conn.close()
    before = digest(path)
    # seed would write the most; it is refused before anything touches the file
    result = zsfield("seed", "--db", str(path), "--projects", "3")
    assert_clean_failure(result, DatabaseTooNew.exit_code, "newer version", "9999_from_the_future")
    assert digest(path) == before


def test_a_locked_database_says_so(tmp_path: Path) -> None:
    from zsfield.store import Store

    path = tmp_path / "busy.db"
    Store.open(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        # in WAL mode readers pass a plain write lock: exclusive locking mode keeps everyone out
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        result = zsfield("status", "--db", str(path))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_clean_failure(result, DatabaseLocked.exit_code, "locked by another program")


def test_a_file_that_is_not_a_database_is_called_damaged(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"minutes of the Tuesday meeting\n" * 200)
    before = digest(path)
    result = zsfield("status", "--db", str(path))
    assert_clean_failure(result, DatabaseCorrupt.exit_code, "not a SQLite database", "left untouched")
    assert digest(path) == before


@pytest.mark.parametrize(("value", "phrase"), [("0", "must be above zero"), ("abc", "is not a whole number")])
def test_projects_must_be_a_positive_whole_number(tmp_path: Path, value: str, phrase: str) -> None:
    path = tmp_path / "never.db"
    result = zsfield("seed", "--db", str(path), "--projects", value)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--projects" in result.stderr and phrase in result.stderr
    assert not path.exists()


def test_backup_writes_a_new_file_and_refuses_an_existing_one(
    seeded: tuple[Path, dict], tmp_path: Path
) -> None:
    path, report = seeded
    out = tmp_path / "backups" / "officer-backup.db"
    result = zsfield("backup", "--db", str(path), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "integrity ok" in result.stdout
    conn = sqlite3.connect(out)
    try:
        assert conn.execute("SELECT count(*) FROM project").fetchone()[0] == report["counts"]["project"]
    finally:
        conn.close()
    before = digest(out)
    again = zsfield("backup", "--db", str(path), "--out", str(out))
    assert_clean_failure(again, 2, "already exists")
    assert digest(out) == before
