"""The demo dataset (``zsfield seed``): deterministic, complete, consistent with the flow rules, and dated
relative to the day it is seeded for."""

from __future__ import annotations

import sqlite3
import uuid
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from zsfield.domain.credit_code import is_valid_credit_code
from zsfield.domain.enums import (
    INDUSTRIES,
    STAGES,
    LeadStatus,
    NoteKind,
    ProjectStatus,
    Role,
    SourceChannel,
    VisitKind,
)
from zsfield.domain.flow import context_from, missing_for
from zsfield.domain.models import ENTITIES, Milestone, Project, ServiceItem, StageEvent
from zsfield.domain.money import BANDS_DESC, band_for
from zsfield.seed import DatabaseNotEmpty, seed_database
from zsfield.store import Store
from zsfield.store.status import store_status

TODAY = date(2026, 6, 15)
TODAY_TEXT = TODAY.isoformat()
PROJECTS = 300


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("seed") / "demo.db"
    report = seed_database(path, projects=PROJECTS, seed=7, today=TODAY)
    return path, report


@pytest.fixture
def db(seeded: tuple[Path, dict]) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{seeded[0]}?mode=ro", uri=True)
    yield conn
    conn.close()


def _one(conn: sqlite3.Connection, sql: str, *params: object) -> object:
    return conn.execute(sql, params).fetchone()[0]


def _all_rows(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        return {
            cls.__tablename__: conn.execute(f"SELECT * FROM {cls.__tablename__} ORDER BY id").fetchall()  # type: ignore[attr-defined]
            for cls in ENTITIES.values()
        }
    finally:
        conn.close()


# --- determinism ------------------------------------------------------------------------------------------


def test_same_seed_and_day_give_the_same_data(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "c.db"
    report_a = seed_database(a, projects=60, seed=11, today=TODAY)
    report_b = seed_database(b, projects=60, seed=11, today=TODAY)
    seed_database(c, projects=60, seed=12, today=TODAY)
    assert report_a["counts"] == report_b["counts"]
    rows_a, rows_b = _all_rows(a), _all_rows(b)
    assert rows_a["project"] == rows_b["project"]
    assert rows_a == rows_b
    with Store.open(a) as sa, Store.open(b) as sb:
        status_a, status_b = store_status(sa), store_status(sb)
    assert status_a["counts"] == status_b["counts"] == {e: n for e, n in report_a["counts"].items()}
    assert status_a["officer_id"] == status_b["officer_id"] == report_a["officer_id"]
    assert _all_rows(c)["project"] != rows_a["project"]  # another seed, other data


def test_a_second_process_builds_exactly_the_same_rows(tmp_path: Path) -> None:
    here, there = tmp_path / "here.db", tmp_path / "there.db"
    seed_database(here, projects=25, seed=3, today=TODAY, parallel=False)
    seed_database(there, projects=25, seed=3, today=TODAY, parallel=True)
    assert _all_rows(here) == _all_rows(there)


def test_ids_are_unique_uuid7(db: sqlite3.Connection) -> None:
    ids: list[str] = []
    for cls in ENTITIES.values():
        ids += [r[0] for r in db.execute(f"SELECT id FROM {cls.__tablename__}")]  # type: ignore[attr-defined]
    assert len(ids) == len(set(ids))
    for value in ids[:: max(1, len(ids) // 200)]:
        u = uuid.UUID(value)
        assert str(u) == value and u.version == 7 and u.variant == uuid.RFC_4122


# --- what is in it ------------------------------------------------------------------------------------------


def test_report_counts_match_the_database(seeded: tuple[Path, dict], db: sqlite3.Connection) -> None:
    path, report = seeded
    assert report["database"] == str(path)
    assert report["projects"] == PROJECTS
    assert report["seconds"] > 0
    for entity, cls in ENTITIES.items():
        assert report["counts"][entity] == _one(db, f"SELECT count(*) FROM {cls.__tablename__}"), entity  # type: ignore[attr-defined]
    assert report["rows"] == sum(report["counts"].values())
    assert 9 <= report["rows"] / PROJECTS <= 16  # modest per project, so 100,000 projects stay fast


def test_organisation(db: sqlite3.Connection) -> None:
    offices = dict(db.execute("SELECT name, tz FROM office"))
    assert set(offices) == {"上海", "北京", "深圳", "香港", "东京", "首尔", "新加坡", "法兰克福"}
    assert {
        "Asia/Shanghai",
        "Asia/Hong_Kong",
        "Asia/Tokyo",
        "Asia/Seoul",
        "Asia/Singapore",
        "Europe/Berlin",
    } == set(offices.values())
    teams = db.execute("SELECT kind, office_id, leader_id, department FROM team").fetchall()
    assert {t[0] for t in teams} == {"project_dept", "task_force", "stationed"}
    assert all(t[1] and t[2] and t[3] for t in teams)
    roles = Counter(r[0] for r in db.execute("SELECT role FROM officer"))
    assert set(roles) == {r.value for r in Role}
    grades = {r[0] for r in db.execute("SELECT grade FROM officer WHERE role = 'officer'")}
    assert grades == {"senior", "grade1", "grade2"}
    assert _one(db, "SELECT count(*) FROM officer WHERE name_en LIKE '% %'") == _one(
        db, "SELECT count(*) FROM officer"
    )


def test_every_stage_status_channel_and_kind_is_present(db: sqlite3.Connection) -> None:
    assert {r[0] for r in db.execute("SELECT stage FROM project")} == {s.value for s in STAGES}
    assert {r[0] for r in db.execute("SELECT status FROM project")} == {s.value for s in ProjectStatus}
    assert {r[0] for r in db.execute("SELECT source_channel FROM lead")} == {c.value for c in SourceChannel}
    assert {r[0] for r in db.execute("SELECT status FROM lead")} == {s.value for s in LeadStatus}
    assert {r[0] for r in db.execute("SELECT kind FROM visit")} == {k.value for k in VisitKind}
    assert {r[0] for r in db.execute("SELECT band FROM project")} == {b.value for b in BANDS_DESC} | {None}
    assert {r[0] for r in db.execute("SELECT country FROM company")} >= {"CN", "JP", "KR", "DE", "US"}
    industries = {r[0] for r in db.execute("SELECT industry FROM project")}
    assert len(industries & set(INDUSTRIES)) >= 8
    assert _one(db, "SELECT count(*) FROM project WHERE is_real_estate = 1") >= 2
    assert _one(db, "SELECT count(*) FROM note WHERE kind = ?", NoteKind.SUPERVISION.value) >= 1
    assert _one(db, "SELECT count(*) FROM project WHERE total_investment_currency != 'CNY'") >= 1
    # new leads wait for screening; some are about an investor another team already follows
    assert _one(db, "SELECT count(*) FROM lead WHERE status = 'new' AND verdict IS NULL") >= 1
    dup = db.execute(
        "SELECT l.team_id, o.team_id FROM lead l JOIN lead o ON o.id = l.duplicate_of WHERE l.status = 'duplicate'"
    ).fetchall()
    assert dup and all(a != b for a, b in dup)


def test_projects_meet_their_stage_requirements(seeded: tuple[Path, dict]) -> None:
    with Store.open(seeded[0]) as store, store.read() as s:
        milestones, items = defaultdict(list), defaultdict(list)
        for m in s.exec(select(Milestone)).all():
            milestones[m.project_id].append(m)
        for i in s.exec(select(ServiceItem)).all():
            items[i.project_id].append(i)
        for p in s.exec(select(Project)).all():
            missing = missing_for(p.stage, p, context_from(milestones[p.id], items[p.id]))
            assert missing == [], (p.stage, [m.message("en") for m in missing])
            if p.credit_code:
                assert is_valid_credit_code(p.credit_code)
            if p.status.needs_reason:
                assert p.status_reason and p.status_on is not None
            if p.status == ProjectStatus.LOST:
                assert p.lost_to


def test_stage_events_follow_each_projects_path(seeded: tuple[Path, dict]) -> None:
    with Store.open(seeded[0]) as store, store.read() as s:
        events = defaultdict(list)
        for e in s.exec(select(StageEvent)).all():
            events[e.project_id].append(e)
        backwards = 0
        for p in s.exec(select(Project)).all():
            stage_events = sorted((e for e in events[p.id] if e.kind == "stage"), key=lambda e: e.at)
            assert stage_events[0].from_value is None and stage_events[0].to_value == "screening"
            for before, after in zip(stage_events, stage_events[1:], strict=False):
                assert after.from_value == before.to_value and after.at > before.at
                if after.backwards:
                    backwards += 1
                    assert after.note
            assert stage_events[-1].to_value == p.stage.value
            assert stage_events[-1].at == p.stage_since
            assert stage_events[0].at >= p.stage_since - timedelta(days=731)
            status_events = [e for e in events[p.id] if e.kind == "status"]
            assert len(status_events) == (p.status != ProjectStatus.ACTIVE)
            if p.intent_signed_on and p.contract_signed_on:
                assert p.intent_signed_on <= p.contract_signed_on
            if p.construction_start_on and p.production_start_on:
                assert p.construction_start_on <= p.completion_on <= p.production_start_on
    assert backwards >= 1


def test_dates_relative_to_today(db: sqlite3.Connection) -> None:
    """Due today, overdue, and stale — all measured from the seed's ``today``."""
    stale_before = (TODAY - timedelta(days=30)).isoformat()
    assert _one(db, "SELECT count(*) FROM follow_up WHERE done = 0 AND due_on = ?", TODAY_TEXT) >= 3
    assert _one(db, "SELECT count(*) FROM follow_up WHERE done = 0 AND due_on < ?", TODAY_TEXT) >= 5
    assert _one(db, "SELECT count(*) FROM follow_up WHERE done = 1 AND outcome != ''") >= 5
    assert _one(db, "SELECT count(*) FROM follow_up WHERE done = 0 AND due_on > ?", TODAY_TEXT) >= 5
    assert (
        _one(db, "SELECT count(*) FROM milestone WHERE actual_on IS NULL AND promised_on < ?", TODAY_TEXT)
        >= 5
    )
    assert _one(db, "SELECT count(*) FROM service_item WHERE state != 'done' AND due_on < ?", TODAY_TEXT) >= 1
    active_stale = _one(
        db, "SELECT count(*) FROM project WHERE status = 'active' AND last_entry_at < ?", stale_before
    )
    active_fresh = _one(
        db, "SELECT count(*) FROM project WHERE status = 'active' AND last_entry_at >= ?", stale_before
    )
    assert active_stale >= 5 and active_fresh > active_stale
    # nothing is dated after today, and everything lies within two years and a bit
    for table, column in (("visit", "occurred_at"), ("stage_event", "at"), ("note", "at")):
        assert _one(db, f"SELECT max({column}) FROM {table}") < TODAY_TEXT
        assert _one(db, f"SELECT min({column}) FROM {table}") >= (TODAY - timedelta(days=760)).isoformat()
    assert _one(db, "SELECT max(last_entry_at) FROM project") < TODAY_TEXT
    assert _one(db, "SELECT max(received_on) FROM lead") < TODAY_TEXT


def test_last_entry_at_is_the_latest_timeline_entry(db: sqlite3.Connection) -> None:
    latest = dict(
        db.execute(
            """
            SELECT project_id, max(t) FROM (
                SELECT project_id, occurred_at AS t FROM visit
                UNION ALL SELECT project_id, at FROM stage_event
                UNION ALL SELECT project_id, at FROM note
                UNION ALL SELECT project_id, created_at FROM follow_up
                UNION ALL SELECT project_id, created_at FROM service_item
            ) WHERE project_id IS NOT NULL GROUP BY project_id
            """
        )
    )
    stored = dict(db.execute("SELECT id, last_entry_at FROM project"))
    assert stored == latest


def test_demo_officer_has_an_interesting_dashboard(db: sqlite3.Connection, seeded: tuple[Path, dict]) -> None:
    state = dict(db.execute("SELECT key, value FROM sync_state"))
    assert state["demo"] == "1"
    me = state["officer_id"]
    assert me == seeded[1]["officer_id"]
    role, team = db.execute(
        "SELECT o.role, t.name FROM officer o JOIN team t ON t.id = o.team_id WHERE o.id = ?", (me,)
    ).fetchone()
    assert (role, team) == ("officer", "驻上海招商组")
    assert (state["role"], state["team_name"], state["office_name"]) == ("officer", "驻上海招商组", "上海")
    assert state["officer_name"] == seeded[1]["officer"]
    due_today = _one(
        db, "SELECT count(*) FROM follow_up WHERE assignee_id = ? AND done = 0 AND due_on = ?", me, TODAY_TEXT
    )
    overdue = _one(
        db, "SELECT count(*) FROM follow_up WHERE assignee_id = ? AND done = 0 AND due_on < ?", me, TODAY_TEXT
    )
    stale = _one(
        db,
        "SELECT count(*) FROM project WHERE service_officer_id = ? AND status IN ('active', 'delayed') "
        "AND last_entry_at < ?",
        me,
        (TODAY - timedelta(days=30)).isoformat(),
    )
    assert due_today >= 3 and overdue >= 1 and stale >= 2


def test_companies_names_codes_and_near_duplicates(seeded: tuple[Path, dict], db: sqlite3.Connection) -> None:
    from zsfield.store.read.lookups import company_index

    codes = [r[0] for r in db.execute("SELECT credit_code FROM company WHERE credit_code IS NOT NULL")]
    assert codes and all(is_valid_credit_code(c) for c in codes)
    assert (
        _one(db, "SELECT count(*) FROM company WHERE country = 'CN' AND credit_code IS NULL AND note = ''")
        == 0
    )
    names = [r[0] for r in db.execute("SELECT name FROM company")]
    assert any(n.endswith("有限公司") for n in names)
    assert any("株式会社" in n for n in names)
    assert any("주식회사" in n or "(주)" in n for n in names)
    assert any(n.endswith(("GmbH", "AG", "KG")) for n in names)
    assert any(n.endswith(("Inc.", "Corp.", "Co., Ltd.", "Limited", "Ltd.", "Pte. Ltd.")) for n in names)
    # the second records typed in by another team: the duplicate check finds the first one
    variants = db.execute("SELECT id, name, country FROM company WHERE note != ''").fetchall()
    assert variants
    with Store.open(seeded[0]) as store:
        index, _ = company_index(store)
    found = 0
    for variant_id, name, _country in variants:
        candidates = [c.company_id for c in index.candidates(name, limit=8) if c.company_id != variant_id]
        found += bool(candidates)
    assert found >= len(variants) * 0.6


def test_money_is_exact(db: sqlite3.Connection) -> None:
    for amount, currency, rate, usd in db.execute(
        "SELECT amount, currency, rate_to_usd, amount_usd FROM capital_receipt"
    ):
        assert Decimal(usd) == (Decimal(amount) * Decimal(rate)).quantize(Decimal("0.01")), currency
        assert Decimal(amount) > 0
    for total, currency, rate, cny, band in db.execute(
        "SELECT total_investment, total_investment_currency, total_investment_rate, total_investment_cny, band "
        "FROM project WHERE total_investment IS NOT NULL"
    ):
        expected = (
            Decimal(total)
            if currency == "CNY"
            else (Decimal(total) * Decimal(rate)).quantize(Decimal("0.01"))
        )
        assert Decimal(cny) == expected
        assert band == (b.value if (b := band_for(expected)) else None)


def test_targets_for_this_year(db: sqlite3.Connection) -> None:
    rows = db.execute(
        "SELECT owner_kind, owner_id, band, count FROM target WHERE year = ?", (TODAY.year,)
    ).fetchall()
    per_owner = Counter((kind, owner) for kind, owner, _band, _count in rows)
    assert set(per_owner.values()) == {len(BANDS_DESC)}
    kinds = Counter(kind for kind, _owner in per_owner)
    assert kinds["team"] == _one(db, "SELECT count(*) FROM team")
    assert kinds["department"] == _one(db, "SELECT count(DISTINCT department) FROM team")
    assert kinds["leader"] == _one(db, "SELECT count(*) FROM officer WHERE role = 'leader'")
    assert {band for _k, _o, band, _c in rows} == {b.value for b in BANDS_DESC}
    assert sum(c for *_rest, c in rows) > 0


# --- writing -------------------------------------------------------------------------------------------------


def test_synced_by_default_no_outbox(db: sqlite3.Connection) -> None:
    assert _one(db, "SELECT count(*) FROM outbox") == 0
    for cls in ENTITIES.values():
        assert _one(db, f"SELECT count(*) FROM {cls.__tablename__} WHERE version != 1") == 0  # type: ignore[attr-defined]


def test_outbox_queues_exactly_one_op_per_row(tmp_path: Path) -> None:
    path = tmp_path / "queued.db"
    report = seed_database(path, projects=20, seed=5, today=TODAY, outbox=True)
    conn = sqlite3.connect(path)
    try:
        ops = conn.execute("SELECT entity, entity_id, op, fields FROM outbox ORDER BY client_seq").fetchall()
        assert report["outbox_ops"] == len(ops) == report["rows"]
        assert Counter(op[0] for op in ops) == Counter({e: n for e, n in report["counts"].items() if n})
        assert {op[2] for op in ops} == {"insert"}
        assert len({op[1] for op in ops}) == len(ops)
        for cls in ENTITIES.values():
            table = cls.__tablename__  # type: ignore[attr-defined]
            assert conn.execute(f"SELECT count(*) FROM {table} WHERE version != 0").fetchone()[0] == 0
        assert all('"version"' not in op[3] and '"last_entry_at"' not in op[3] for op in ops)
    finally:
        conn.close()


def test_refuses_a_database_with_projects_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "once.db"
    first = seed_database(path, projects=15, seed=1, today=TODAY)
    before = _all_rows(path)
    with pytest.raises(DatabaseNotEmpty) as refused:
        seed_database(path, projects=15, seed=1, today=TODAY)
    assert "15 projects" in str(refused.value) and "--force" in str(refused.value)
    assert refused.value.exit_code != 0
    assert _all_rows(path) == before
    second = seed_database(path, projects=15, seed=1, today=TODAY, force=True)
    assert second["counts"] == first["counts"]
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT count(DISTINCT id) FROM project").fetchone()[0] == 30
    finally:
        conn.close()


def test_a_failed_seed_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from zsfield.store.writer import Writer

    original = Writer.insert_rows

    def failing(self: Writer, entity: str, rows: list) -> int:
        if entity == "visit":
            raise RuntimeError("disk on fire")
        return original(self, entity, rows)

    monkeypatch.setattr(Writer, "insert_rows", failing)
    fresh = tmp_path / "fresh.db"
    with pytest.raises(RuntimeError, match="disk on fire"):
        seed_database(fresh, projects=10, today=TODAY)
    assert not fresh.exists()
    existing = tmp_path / "existing.db"
    Store.open(existing).close()
    with pytest.raises(RuntimeError):
        seed_database(existing, projects=10, today=TODAY)
    assert existing.exists()
    conn = sqlite3.connect(existing)
    try:
        assert conn.execute("SELECT count(*) FROM company").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM sync_state").fetchone()[0] == 0
    finally:
        conn.close()


def _schema(path: Path) -> set[tuple]:
    conn = sqlite3.connect(path)
    try:
        return set(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall())
    finally:
        conn.close()


def test_the_seeded_file_has_exactly_the_migrated_schema(seeded: tuple[Path, dict], tmp_path: Path) -> None:
    # the seed builds the plain indexes after the rows, inside its transaction: the result is the migrated schema
    migrated = tmp_path / "migrated.db"
    Store.open(migrated).close()
    assert _schema(seeded[0]) == _schema(migrated)
    assert any(row[1] == "ix_project_stage_status" for row in _schema(seeded[0]))
    conn = sqlite3.connect(seeded[0])
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        plan = conn.execute("EXPLAIN QUERY PLAN SELECT id FROM visit WHERE project_id = 'x'").fetchall()
        assert "ix_visit_project_id" in str(plan)
    finally:
        conn.close()


def test_a_failed_seed_keeps_the_indexes_of_an_existing_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zsfield.store.writer import Writer

    existing = tmp_path / "existing.db"
    Store.open(existing).close()
    before = _schema(existing)

    def failing(self: Writer, entity: str, rows: list) -> int:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Writer, "insert_rows", failing)
    with pytest.raises(RuntimeError):
        seed_database(existing, projects=5, today=TODAY)
    assert _schema(existing) == before


def test_rejects_a_project_count_below_one(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        seed_database(tmp_path / "none.db", projects=0)


def test_a_failed_parallel_seed_stops_its_generator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from zsfield.store.writer import Writer

    def failing(self: Writer, entity: str, rows: list) -> int:
        raise RuntimeError("the disk filled up")

    monkeypatch.setattr(Writer, "insert_rows", failing)
    path = tmp_path / "parallel.db"
    with pytest.raises(RuntimeError, match="the disk filled up"):
        seed_database(path, projects=30, today=TODAY, parallel=True)
    assert not path.exists()
