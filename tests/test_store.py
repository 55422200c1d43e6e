"""The local store: every write appends its outbox op in the same transaction, failed writes leave nothing,
updates carry only what changed, deletes are tombstones, the file is WAL with synchronous=FULL, and each
project or lead knows the time of its last timeline entry."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from zsfield.domain.enums import LeadStatus, SourceChannel, Verdict, VisitKind
from zsfield.domain.models import Company, Lead, Note, Project
from zsfield.store import Store
from zsfield.store.actions.leads import capture_lead, convert_lead, screen_lead
from zsfield.store.actions.projects import move_stage
from zsfield.store.actions.timeline import log_visit
from zsfield.store.writer import SCHEMA_VERSION

ACTOR = "00000000-0000-4000-8000-000000000001"


def outbox(store: Store) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT client_seq, entity, entity_id, op, fields, base_version, schema_version FROM outbox ORDER BY client_seq"
            )
        ).all()
    return [
        {
            "seq": r[0],
            "entity": r[1],
            "id": r[2],
            "op": r[3],
            "fields": json.loads(r[4]),
            "base": r[5],
            "schema": r[6],
        }
        for r in rows
    ]


def count(store: Store, table: str) -> int:
    return store.scalar(f"SELECT count(*) FROM {table}")


def new_project(store: Store) -> str:
    with store.write(ACTOR) as w:
        lead = capture_lead(
            w,
            title="远澜储能项目",
            company_name="江苏远澜储能技术有限公司",
            source_channel=SourceChannel.FAIR,
        )
        screen_lead(w, lead, verdict=Verdict.REAL, reason="意向真实")
        project = convert_lead(w, lead, owner_team_id="team-1", leader_id="leader-1")
        return project.id


def test_every_write_appends_its_op_in_the_same_transaction(store: Store) -> None:
    with store.write(ACTOR) as w:
        lead = capture_lead(
            w,
            title="恒芯功率器件项目",
            company_name="无锡恒芯微电子有限公司",
            source_channel=SourceChannel.STATIONED,
            estimated_investment=Decimal("350000000"),
            contact_name="韩立",
            note="驻点走访获得",
        )
        # inside the transaction, another connection sees neither the rows nor their ops
        with store.engine.connect() as other:
            assert other.execute(text("SELECT count(*) FROM lead")).scalar() == 0
            assert other.execute(text("SELECT count(*) FROM outbox")).scalar() == 0
    ops = outbox(store)
    assert [(op["entity"], op["op"]) for op in ops] == [
        ("company", "insert"),
        ("lead", "insert"),
        ("contact", "insert"),
        ("lead", "update"),
        ("note", "insert"),
    ]
    assert [op["seq"] for op in ops] == sorted(op["seq"] for op in ops)
    assert all(op["schema"] == SCHEMA_VERSION and op["base"] == 0 for op in ops)
    insert = ops[1]
    assert insert["id"] == lead.id
    assert insert["fields"]["estimated_investment"] == "350000000"  # decimals travel as text
    assert insert["fields"]["source_channel"] == "stationed"  # enums as codes
    assert "id" not in insert["fields"] and "version" not in insert["fields"]
    assert "last_entry_at" not in insert["fields"]  # local only
    assert ops[3]["fields"] == {"contact_id": ops[2]["id"]}
    # every row written has exactly one insert op
    for table in ("company", "lead", "contact", "note"):
        assert count(store, table) == sum(1 for op in ops if op["entity"] == table and op["op"] == "insert")


def test_a_failed_write_leaves_neither_row_nor_op(store: Store) -> None:
    with pytest.raises(RuntimeError), store.write(ACTOR) as w:
        w.insert(Company(name="株式会社青葉精工"))
        w.insert(Lead(title="青葉精工项目"))
        raise RuntimeError("the laptop lid closed")
    assert count(store, "company") == count(store, "lead") == count(store, "outbox") == 0


def test_a_refused_action_writes_nothing(store: Store) -> None:
    project_id = new_project(store)
    before = (count(store, "stage_event"), count(store, "outbox"))
    from zsfield.domain.problems import DomainError

    with pytest.raises(DomainError), store.write(ACTOR) as w:
        project = w.session.get(Project, project_id)
        move_stage(w, project, "contract_signed")
    assert (count(store, "stage_event"), count(store, "outbox")) == before
    with store.read() as s:
        assert s.get(Project, project_id).stage == "screening"


def test_update_appends_only_the_changed_fields(store: Store) -> None:
    with store.write(ACTOR) as w:
        lead = w.insert(Lead(title="瀚光材料项目", industry="新材料", source_channel=SourceChannel.CHAMBER))
    with store.write(ACTOR) as w:
        lead = w.session.get(Lead, lead.id)
        changed = w.update(lead, title="瀚光材料二期项目", industry="新材料", source_channel="chamber")
        assert changed == {"title": "瀚光材料二期项目"}
        assert w.update(lead, industry="新材料") == {}  # nothing changed: nothing written
    ops = outbox(store)
    assert [op["op"] for op in ops] == ["insert", "update"]
    assert ops[1]["fields"] == {"title": "瀚光材料二期项目"}
    with pytest.raises(ValueError), store.write(ACTOR) as w:
        w.update(w.session.get(Lead, lead.id), id="another-id")


def test_delete_is_a_tombstone(store: Store) -> None:
    with store.write(ACTOR) as w:
        note = w.insert(Note(body="企业对园区营商环境评价较高。"))
    with store.write(ACTOR) as w:
        w.delete(w.session.get(Note, note.id))
    assert store.scalar("SELECT deleted FROM note WHERE id = :id", id=note.id) == 1
    assert count(store, "note") == 1
    assert [op["op"] for op in outbox(store)] == ["insert", "delete"]
    assert outbox(store)[1]["fields"] == {}


def test_wal_and_synchronous_full(store: Store) -> None:
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_last_entry_at_follows_the_latest_timeline_entry(store: Store) -> None:
    project_id = new_project(store)
    with store.read() as s:
        converted_at = s.get(Project, project_id).last_entry_at
    assert converted_at is not None  # the first stage event is an entry
    later = datetime.now(UTC) - timedelta(hours=1)
    earlier = later - timedelta(days=40)
    with store.write(ACTOR) as w:
        log_visit(w, project_id=project_id, kind=VisitKind.RECEPTION, occurred_at=earlier, summary="来访接待")
    with store.read() as s:
        assert (
            s.get(Project, project_id).last_entry_at == converted_at
        )  # an older entry does not move it back
    with store.write(ACTOR) as w:
        log_visit(
            w,
            project_id=project_id,
            kind=VisitKind.CALL,
            occurred_at=later,
            summary="电话沟通",
            next_step="提交投资协议草案",
            next_on=date.today() + timedelta(days=3),
        )
    with store.read() as s:
        touched = s.get(Project, project_id).last_entry_at
    assert touched is not None and touched >= later.replace(microsecond=0)


def test_insert_rows_is_the_same_writer_in_bulk(store: Store) -> None:
    project_id = new_project(store)
    ops_before = len(outbox(store))
    rows = [
        {
            "id": f"00000000-0000-4000-8000-0000000001{i:02d}",
            "project_id": project_id,
            "kind": "visit",
            "occurred_at": f"2030-01-0{i + 1}T02:00:00.000000",
            "summary": f"第{i + 1}次拜访",
        }
        for i in range(3)
    ]
    companies = [
        {
            "id": "00000000-0000-4000-8000-000000000201",
            "name": "Rheintal Sensorik GmbH",
            "aliases": ["莱茵塔尔传感技术"],
        },
    ]
    follow_ups = [  # a required column left out takes no default: the row says what it is
        {
            "id": "00000000-0000-4000-8000-000000000301",
            "project_id": project_id,
            "title": "回访",
            "due_on": "2030-01-10",
        }
    ]
    with store.write(ACTOR) as w:
        assert w.insert_rows("visit", rows) == 3
        assert w.insert_rows("company", companies) == 1
        assert w.insert_rows("follow_up", follow_ups) == 1
        assert w.insert_rows("note", []) == 0
    ops = outbox(store)[ops_before:]
    assert [(op["entity"], op["op"]) for op in ops] == [("visit", "insert")] * 3 + [
        ("company", "insert"),
        ("follow_up", "insert"),
    ]
    assert ops[3]["fields"]["aliases"] == ["莱茵塔尔传感技术"]
    assert (
        store.scalar("SELECT aliases FROM company WHERE id = :id", id=companies[0]["id"])
        == '["莱茵塔尔传感技术"]'
    )
    assert store.scalar("SELECT existing_investor FROM company WHERE id = :id", id=companies[0]["id"]) == 0
    assert store.scalar("SELECT done FROM follow_up") == 0
    assert (
        store.scalar("SELECT last_entry_at FROM project WHERE id = :id", id=project_id)
        == "2030-01-03T02:00:00.000000"
    )
    with store.read() as s:
        assert s.get(Company, companies[0]["id"]).aliases == ["莱茵塔尔传感技术"]


def test_insert_rows_without_outbox_queues_nothing_and_derives_project_columns(store: Store) -> None:
    with store.write(ACTOR, outbox=False) as w:
        w.insert_rows(
            "project",
            [
                {
                    "id": "00000000-0000-4000-8000-000000000401",
                    "name": "青叶精工精密数控机床项目",
                    "total_investment": "120000000",
                    "total_investment_currency": "USD",
                    "total_investment_rate": "7.1000",
                    "version": 3,
                }
            ],
        )
    assert count(store, "outbox") == 0
    with store.read() as s:
        project = s.get(Project, "00000000-0000-4000-8000-000000000401")
        assert project.total_investment_cny == Decimal("852000000.00")
        assert project.band == "b5yi"
        assert project.version == 3
        assert project.status == "active" and project.stage == "screening"


def test_lead_flow_updates_lead_status(store: Store) -> None:
    project_id = new_project(store)
    with store.read() as s:
        project = s.get(Project, project_id)
        lead = s.get(Lead, project.lead_id)
        assert lead.status == LeadStatus.CONVERTED and lead.project_id == project_id


# --- actions by id (what screens pass) --------------------------------------------------------------------------


def test_actions_take_ids_and_a_missing_id_writes_nothing(store: Store) -> None:
    from zsfield.domain.enums import ServiceState
    from zsfield.domain.models import ServiceItem
    from zsfield.store.actions.service import add_service_item, assign_service_item, set_service_item_state

    project_id = new_project(store)
    with store.write(ACTOR) as w:
        item_id = add_service_item(w, project_id, title="环评").id
    with store.write(ACTOR) as w:
        assign_service_item(w, item_id, responsible="王工", due_on=date(2026, 3, 1))
        set_service_item_state(w, item_id, ServiceState.DONE)
    with store.read() as s:
        item = s.get(ServiceItem, item_id)
        assert (item.project_id, item.responsible, item.due_on) == (project_id, "王工", date(2026, 3, 1))
        assert item.state == ServiceState.DONE
    ops = len(outbox(store))
    with pytest.raises(LookupError), store.write(ACTOR) as w:
        add_service_item(w, project_id, title="规划许可")
        set_service_item_state(w, "no-such-item", ServiceState.DONE)
    assert len(outbox(store)) == ops  # the whole transaction rolled back


def test_save_project_edits_finds_the_company_by_name_or_creates_it(store: Store) -> None:
    from zsfield.domain.enums import MilestoneKind
    from zsfield.store.actions.projects import save_project_edits

    project_id = new_project(store)
    with store.read() as s:
        first_company = s.get(Project, project_id).company_id
    with store.write(ACTOR) as w:
        save_project_edits(w, project_id, {"park_area": "东区"}, {}, company="江苏远澜储能技术有限公司")
    with store.read() as s:
        p = s.get(Project, project_id)
        assert (p.company_id, p.park_area) == (first_company, "东区")  # the same live company, not a copy
    companies = count(store, "company")
    kind = list(MilestoneKind)[0]
    with store.write(ACTOR) as w:
        save_project_edits(w, project_id, {}, {kind: date(2026, 6, 30)}, company="上海新澜科技有限公司")
    assert count(store, "company") == companies + 1
    with store.read() as s:
        p = s.get(Project, project_id)
        assert s.get(Company, p.company_id).name == "上海新澜科技有限公司"
        ms = [m for m in s.exec(text("SELECT kind, promised_on FROM milestone")).all()]
        assert [(m[0], str(m[1])) for m in ms] == [(kind.value, "2026-06-30")]


def test_advance_stage_moves_to_the_next_stage_or_refuses_without_writing(store: Store) -> None:
    from zsfield.domain.enums import Stage
    from zsfield.domain.problems import DomainError
    from zsfield.store.actions.projects import advance_stage

    project_id = new_project(store)
    with store.read() as s:
        before = Stage(s.get(Project, project_id).stage)
    ops = len(outbox(store))
    try:
        with store.write(ACTOR) as w:
            moved = advance_stage(w, project_id)
    except DomainError as err:
        assert err.problems  # names what is missing
        assert len(outbox(store)) == ops
    else:
        assert moved == before.next()
        with store.read() as s:
            assert Stage(s.get(Project, project_id).stage) == moved


def test_add_contact_ties_the_person_to_project_company_and_team(store: Store) -> None:
    from zsfield.domain.models import Contact
    from zsfield.store.actions.companies import add_contact

    project_id = new_project(store)
    with store.read() as s:
        company_id = s.get(Project, project_id).company_id
    with store.write(ACTOR) as w:
        contact_id = add_contact(
            w, project_id=project_id, company_id=company_id, team_id="team-1", name="李总", phone="139"
        ).id
    with store.read() as s:
        c = s.get(Contact, contact_id)
        assert (c.project_id, c.company_id, c.team_id, c.name, c.phone) == (
            project_id,
            company_id,
            "team-1",
            "李总",
            "139",
        )
    assert any(op["entity"] == "contact" and op["id"] == contact_id for op in outbox(store))
