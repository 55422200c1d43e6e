"""Two officers of one team, an officer of another team and a supervisor, each with their own ZSFIELD_HOME and
database, working offline and syncing in every order against a real uvicorn server (SQLite, and PostgreSQL
where ZSFIELD_TEST_PG_URL is set): merges, conflicts, deletes, timelines, authorisation."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from sync_helpers import (
    Zone,
    backends,
    edit_project,
    fetch_conflicts,
    make_project,
    project_row,
    same_project,
    synced,
    visit,
    zone_fixture,
)
from zsfield.domain.models import Project
from zsfield.store.conflicts import resolve_conflict
from zsfield.store.read.sync_lists import open_conflicts


@pytest.fixture(params=backends())
def zone(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Zone]:
    yield from zone_fixture(request.param, tmp_path)


def test_edits_of_different_fields_merge(zone: Zone) -> None:
    a1, a2 = zone.laptop("A1"), zone.laptop("A2")
    pid = make_project(a1, "宁德时代华东基地")
    synced(a1, a2)
    edit_project(a1, pid, park_area="东区")
    edit_project(a2, pid, industry="新能源", planned_investment="1200000000")
    synced(a1, a2, a1)
    for lap in (a1, a2):
        row = project_row(lap, pid)
        assert (row["park_area"], row["industry"], row["planned_investment"]) == (
            "东区",
            "新能源",
            "1200000000",
        )
        assert row["band"] is not None  # derived on both sides from the merged amount
        assert not open_conflicts(lap.store)
    same_project(a1, a2, pid)
    server = zone.server.record("project", pid)
    assert server is not None and server["version"] == project_row(a1, pid)["version"]


def test_same_field_conflict_seen_by_both_and_decided(zone: Zone) -> None:
    a1, a2 = zone.laptop("A1"), zone.laptop("A2")
    sup = zone.laptop("S", team=None, role="supervisor")
    pid = make_project(a1, "比亚迪电池")
    synced(a1, a2)
    edit_project(a1, pid, park_area="东区")
    edit_project(a2, pid, park_area="西区", industry="电池")
    synced(a1)
    result = a2.sync()
    assert result.ok and result.conflicts == 1 and result.exit_code == 1
    (conflict,) = open_conflicts(a2.store)
    assert (conflict["field"], conflict["mine"], conflict["theirs"]) == ("park_area", "西区", "东区")
    # the server kept the first value, the other field of the same edit went through
    assert project_row(a2, pid)["park_area"] == "东区" and project_row(a2, pid)["industry"] == "电池"
    # the other officer of the team and the supervisor see the conflict in the server's log
    for lap in (a1, sup):
        entries = fetch_conflicts(lap.store, lap.settings)
        assert [(e.field, e.mine, e.theirs) for e in entries] == [("park_area", "西区", "东区")]
    # A2 decides "keep mine": the decision is an op that syncs, and closes the log entry
    resolve_conflict(a2.store, conflict["id"], "mine", actor_id=a2.officer_id)
    assert project_row(a2, pid)["park_area"] == "西区"
    synced(a2, a1)
    assert project_row(a1, pid)["park_area"] == "西区"
    assert zone.server.record("project", pid)["data"]["park_area"] == "西区"  # type: ignore[index]
    assert fetch_conflicts(sup.store, sup.settings) == []
    assert not open_conflicts(a2.store)


def test_take_theirs_and_edit_decisions(zone: Zone) -> None:
    a1, a2 = zone.laptop("A1"), zone.laptop("A2")
    pid = make_project(a1, "隆基光伏")
    synced(a1, a2)
    edit_project(a1, pid, park_area="北区", industry="光伏")
    edit_project(a2, pid, park_area="南区", industry="硅片")
    synced(a1, a2)
    by_field = {c["field"]: c for c in open_conflicts(a2.store)}
    assert set(by_field) == {"park_area", "industry"}
    resolve_conflict(a2.store, by_field["park_area"]["id"], "theirs")
    resolve_conflict(a2.store, by_field["industry"]["id"], "edited", "光伏组件")
    synced(a2, a1)
    for lap in (a1, a2):
        row = project_row(lap, pid)
        assert (row["park_area"], row["industry"]) == ("北区", "光伏组件")
    assert fetch_conflicts(a1.store, a1.settings) == []


@pytest.mark.parametrize("first", ["delete", "edit"])
def test_edit_meeting_delete_is_a_conflict(zone: Zone, first: str) -> None:
    a1, a2 = zone.laptop("A1"), zone.laptop("A2")
    pid = make_project(a1, "蔚来汽车")
    synced(a1, a2)
    with a1.store.write(a1.officer_id) as w:
        w.delete(w.session.get(Project, pid))
    edit_project(a2, pid, industry="汽车")
    order = (a1, a2) if first == "delete" else (a2, a1)
    synced(*order)
    loser = order[1]
    (conflict,) = open_conflicts(loser.store)
    assert conflict["field"] == "*"
    server = zone.server.record("project", pid)
    assert server is not None
    if first == "delete":
        assert conflict["mine"] == {"industry": "汽车"} and conflict["theirs"] is None
        assert server["deleted"] is True or server["deleted"] == 1  # nothing silently resurrected
        assert server["data"]["industry"] != "汽车"
        # keep mine: restores the project with the edit
        resolve_conflict(a2.store, conflict["id"], "mine")
        synced(a2, a1)
        assert not project_row(a1, pid)["deleted"] and project_row(a1, pid)["industry"] == "汽车"
    else:
        assert conflict["mine"] is None and conflict["theirs"] == {"industry": "汽车"}
        assert not server["deleted"] and server["data"]["industry"] == "汽车"
        # keep mine: the delete goes through, based on the version that had the edit
        resolve_conflict(a1.store, conflict["id"], "mine")
        synced(a1, a2)
        assert project_row(a2, pid)["deleted"]


def test_visits_and_follow_ups_arrive_once_in_every_order(zone: Zone) -> None:
    a1, a2 = zone.laptop("A1"), zone.laptop("A2")
    sup = zone.laptop("S", team=None, role="supervisor")
    laptops = (a1, a2, sup)
    pid = make_project(a1, "宁波港口物流")
    synced(*laptops)
    expected: set[str] = set()
    for n, order in enumerate(itertools.permutations(laptops)):
        for lap in laptops:  # everyone works offline
            expected.add(visit(lap, pid, f"{lap.name} 第{n}次拜访", next_on=date(2026, 12, 1 + n)))
            edit_project(
                lap, pid, **{{"A1": "park_area", "A2": "industry", "S": "capacity"}[lap.name]: f"v{n}"}
            )
        synced(*order)
        synced(*order)
        for lap in laptops:
            rows = lap.rows("visit", "project_id = :p", p=pid)
            assert sorted(r["id"] for r in rows) == sorted(expected), (order, lap.name)
            follow_ups = lap.rows("follow_up", "project_id = :p", p=pid)
            assert len(follow_ups) == len(expected) == len({f["visit_id"] for f in follow_ups})
            row = project_row(lap, pid)
            assert (row["park_area"], row["industry"], row["capacity"]) == (f"v{n}", f"v{n}", f"v{n}")
            assert not open_conflicts(lap.store)
        same_project(a1, sup, pid)
    assert len(zone.server.records("visit")) == len(expected)
    assert len(zone.server.records("follow_up")) == len(expected)


def test_other_team_write_is_refused_recorded_and_does_not_block(zone: Zone) -> None:
    a1 = zone.laptop("A1")
    b1 = zone.laptop("B1", team="二组", office="深圳")
    pid = make_project(a1, "腾讯华南总部")
    synced(a1, b1)
    assert not b1.rows("project")  # another team's project is never pulled
    assert b1.rows("company")  # the company index is shared
    # B1 tries: a visit on A's project, a project owned by A's team, then a project of their own
    visit(b1, pid, "越权拜访")
    make_project(b1, "越权项目")  # lead + project of team 二组 …
    with b1.store.write(b1.officer_id) as w:  # … and one assigned to A's team
        stolen = Project(name="挂到一组的项目", owner_team_id=a1.team_id, leader_id=b1.officer_id)
        w.insert(stolen)
    own = make_project(b1, "深圳自有项目")
    result = b1.sync()
    assert result.ok and result.rejections == 2 and b1.outbox() == 0
    codes = sorted((r["entity"], r["code"]) for r in b1.rows("rejection"))
    assert codes == [("project", "forbidden"), ("visit", "forbidden")]
    assert zone.server.record("project", own) is not None  # the queue went on
    assert zone.server.record("project", stolen.id) is None
    synced(a1)
    assert len(a1.rows("visit", "project_id = :p", p=pid)) == 0


def test_supervisor_reassigns_a_project_to_another_team(zone: Zone) -> None:
    a1 = zone.laptop("A1")
    b1 = zone.laptop("B1", team="二组", office="深圳")
    sup = zone.laptop("S", team=None, role="supervisor")
    pid = make_project(a1, "小米汽车")
    visit(a1, pid, "首次拜访")
    synced(a1, b1, sup)
    assert not b1.rows("project")
    edit_project(sup, pid, owner_team_id=b1.team_id)
    synced(sup, b1)
    assert project_row(b1, pid)["owner_team_id"] == b1.team_id
    assert len(b1.rows("visit", "project_id = :p", p=pid)) == 1  # the children follow the project
    visit(b1, pid, "接手后拜访")
    assert b1.sync().rejections == 0
