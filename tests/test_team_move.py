"""A project moved to another team (issue 11, point 8), against a real uvicorn server (SQLite, and PostgreSQL
where ZSFIELD_TEST_PG_URL is set): two teams' laptops and a supervisor's.

The supervisor moves a project from team 一组 (A) to 二组 (B). A's laptops hear it at their next pull (an exit)
and drop the project and its children, keeping their unsent changes listed and queued; what A wrote before
it learned of the move reaches B — visits and follow-ups credited to their A author, field edits as conflicts
for B — and once A's laptop has pulled the exit, A's writes are refused as any other team's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from sync_helpers import (
    Laptop,
    Zone,
    backends,
    edit_project,
    fetch_conflicts,
    make_project,
    project_row,
    synced,
    visit,
    zone_fixture,
)
from zsfield import protocol
from zsfield.store.read.sync_lists import moved_changes, open_conflicts


@pytest.fixture(params=backends())
def zone(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Zone]:
    yield from zone_fixture(request.param, tmp_path)


def _teams(zone: Zone) -> tuple[Laptop, Laptop, Laptop, Laptop]:
    a1, a2 = zone.laptop("A1"), zone.laptop("A2")
    b1 = zone.laptop("B1", team="二组", office="深圳")
    sup = zone.laptop("S", team=None, role="supervisor")
    return a1, a2, b1, sup


def _children(lap: Laptop, pid: str) -> dict[str, list[dict[str, Any]]]:
    return {
        table: lap.rows(table, "project_id = :p", p=pid)
        for table in ("visit", "follow_up", "stage_event", "note", "service_plan")
    }


def test_the_old_team_drops_the_moved_project_and_what_it_wrote_before_reaches_the_new_team(
    zone: Zone,
) -> None:
    a1, a2, b1, sup = _teams(zone)
    pid = make_project(a1, "小米汽车")
    first = visit(a1, pid, "首次拜访", next_on=date(2026, 12, 20))
    synced(a1, a2, b1, sup)
    assert project_row(a2, pid) and not b1.rows("project")
    # A1 works offline, not knowing: a visit (with its follow-up) and a field edit of the project
    offline = visit(a1, pid, "离线拜访", next_on=date(2026, 12, 21))
    edit_project(a1, pid, park_area="东区")
    # the supervisor moves the project to B
    edit_project(sup, pid, owner_team_id=b1.team_id)
    synced(sup)

    # A1 syncs: its changes go out first (written before it knew), then the pull says the project left.
    # A visit typed while the pull's page is in hand is written before the laptop learned, too.
    during: list[str] = []

    def type_while_pulling(point: str) -> None:
        if point == "pull:page" and not during:
            during.append(visit(a1, pid, "同步时录入的拜访"))

    result = a1.sync(fault=type_while_pulling)
    assert result.ok, result.error
    assert result.rejections == 0  # nothing A wrote before it knew is refused
    assert result.moved_away >= 4  # the project, two visits, two follow-ups (and the visit typed meanwhile)
    assert not a1.rows("project", "id = :p", p=pid)
    assert all(not rows for rows in _children(a1, pid).values())
    # the unsent visit typed during the pull is kept, queued and listed
    listed = moved_changes(a1.store)
    assert [(m["entity"], m["entity_id"], m["label"]) for m in listed] == [("visit", during[0], "小米汽车")]
    assert result.moved_changes == 1 and a1.outbox() == 1
    # the field edit became a conflict for the new owners, not one A1 must decide (it no longer holds the project)
    assert not open_conflicts(a1.store)
    (closed,) = a1.rows("conflict")
    assert (closed["field"], closed["resolution"]) == ("park_area", "moved")

    # A2, which wrote nothing, drops it too
    synced(a2)
    assert not a2.rows("project", "id = :p", p=pid) and not a2.rows("visit", "project_id = :p", p=pid)

    # the next sync sends the visit typed during the pull: still written before A1 knew, so it is accepted
    again = a1.sync()
    assert again.ok and again.rejections == 0 and a1.outbox() == 0 and again.moved_changes == 0
    assert moved_changes(a1.store) == []
    assert not a1.rows("visit", "project_id = :p", p=pid)  # the reply does not bring it back

    # B has the project with every child, A's entries credited to their A author
    synced(b1)
    assert project_row(b1, pid)["owner_team_id"] == b1.team_id
    visits = {v["id"]: v for v in b1.rows("visit", "project_id = :p", p=pid)}
    assert set(visits) == {first, offline, during[0]}
    for v in visits.values():
        assert v["officer_id"] == a1.officer_id and v["created_by"] == a1.officer_id
    follow_ups = b1.rows("follow_up", "project_id = :p", p=pid)
    assert sorted(f["visit_id"] for f in follow_ups) == sorted([first, offline])
    assert all(f["created_by"] == a1.officer_id for f in follow_ups)
    # A1's field edit was not applied: B's team (and the supervisor) see it as a conflict to decide
    assert project_row(b1, pid)["park_area"] != "东区"
    server = zone.server.record("project", pid)
    assert server is not None and server["data"]["park_area"] != "东区"
    for lap in (b1, sup):
        entries = fetch_conflicts(lap.store, lap.settings)
        assert [(e.field, e.mine, e.officer_id, e.team_id) for e in entries] == [
            ("park_area", "东区", a1.officer_id, b1.team_id)
        ]

    # A1 has learned: a visit written now is refused like any other team's
    visit(a1, pid, "知道后还录入的拜访")
    late = a1.sync()
    assert late.ok and late.rejections == 1
    assert [(r["entity"], r["code"]) for r in a1.rows("rejection")] == [("visit", "forbidden")]
    synced(b1)
    assert len(b1.rows("visit", "project_id = :p", p=pid)) == 3


def test_a_field_edit_from_before_the_move_is_a_conflict_for_the_new_team(zone: Zone) -> None:
    a1, _a2, b1, sup = _teams(zone)
    pid = make_project(a1, "宁德时代")
    synced(a1, b1, sup)
    edit_project(a1, pid, industry="电池", park_area="西区")
    edit_project(sup, pid, owner_team_id=b1.team_id)
    synced(sup)
    result = a1.sync()
    assert result.ok and result.rejections == 0
    assert not a1.rows("project", "id = :p", p=pid)
    assert not open_conflicts(a1.store)  # not A's to decide: it no longer holds the project
    entries = fetch_conflicts(b1.store, b1.settings)
    assert sorted((e.field, e.mine, e.team_id) for e in entries) == [
        ("industry", "电池", b1.team_id),
        ("park_area", "西区", b1.team_id),
    ]
    synced(b1)  # nothing applied: B's copy keeps the server's values until B decides
    assert (project_row(b1, pid)["industry"], project_row(b1, pid)["park_area"]) != ("电池", "西区")


def test_after_the_old_team_pulled_the_move_its_writes_are_forbidden(zone: Zone) -> None:
    a1, _a2, b1, sup = _teams(zone)
    pid = make_project(a1, "比亚迪")
    synced(a1, b1, sup)
    edit_project(sup, pid, owner_team_id=b1.team_id)
    synced(sup, a1)
    assert not a1.rows("project", "id = :p", p=pid)
    # a laptop that claims to know less than it does: the server takes pulled_to as given, but an honest
    # client sends its cursor — and with it, after the exit, every write on the project is refused
    cursor = int(a1.store.get_state("cursor") or 0)
    client_id = a1.store.get_state("client_id")
    with httpx.Client(base_url=zone.server.url, headers={"Authorization": f"Bearer {a1.token}"}) as http:
        body = {
            "client_id": client_id,
            "schema_version": protocol.SCHEMA_VERSION,
            "pulled_to": cursor,
            "ops": [
                {
                    "client_seq": _next_seq(http, a1),
                    "op_id": "6a4c8a4e-0000-4000-8000-000000000001",
                    "entity": "project",
                    "entity_id": pid,
                    "op": "update",
                    "fields": {"park_area": "越权"},
                    "base_version": 1,
                }
            ],
        }
        reply = http.post("/v1/push", json=body).json()
    (r,) = reply["results"]
    assert (r["status"], r["code"], r["record"]) == ("rejected", "forbidden", None)
    assert zone.server.record("project", pid)["data"]["park_area"] != "越权"  # type: ignore[index]


def _next_seq(http: httpx.Client, lap: Laptop) -> int:
    """The client_seq the server expects next from this laptop's client id (asked with an empty push)."""
    reply = http.post(
        "/v1/push",
        json={
            "client_id": lap.store.get_state("client_id"),
            "schema_version": protocol.SCHEMA_VERSION,
            "ops": [],
        },
    ).json()
    return int(reply["last_seq"]) + 1


def test_a_lead_and_a_contact_moved_between_teams_leave_the_old_team(zone: Zone) -> None:
    from zsfield.domain.models import Contact, Lead
    from zsfield.store.actions.leads import capture_lead

    a1, _a2, b1, sup = _teams(zone)
    with a1.store.write(a1.officer_id) as w:
        lead = capture_lead(
            w, title="华为线索", company_name="华为", team_id=a1.team_id, received_by=a1.officer_id
        )
        lead_id = lead.id
        contact = Contact(name="王经理", team_id=a1.team_id)
        w.insert(contact)
        contact_id = contact.id
    with a1.store.write(a1.officer_id) as w:
        from zsfield.store.actions.timeline import log_visit

        log_visit(w, lead_id=lead_id, summary="线索拜访")
    synced(a1, b1, sup)
    assert a1.rows("visit", "lead_id = :l", l=lead_id)
    with sup.store.write(sup.officer_id) as w:
        w.update(w.session.get(Lead, lead_id), team_id=b1.team_id)
        w.update(w.session.get(Contact, contact_id), team_id=b1.team_id)
    synced(sup, a1, b1)
    assert not a1.rows("lead", "id = :l", l=lead_id)
    assert not a1.rows("visit", "lead_id = :l", l=lead_id)
    assert not a1.rows("contact", "id = :c", c=contact_id)
    assert b1.rows("lead", "id = :l", l=lead_id) and b1.rows("visit", "lead_id = :l", l=lead_id)
    assert b1.rows("contact", "id = :c", c=contact_id)


def test_a_project_moved_away_and_back_stays_and_pages_keep_the_cursor_rules(zone: Zone) -> None:
    a1, _a2, b1, sup = _teams(zone)
    pid = make_project(a1, "隆基光伏")
    for n in range(3):
        visit(a1, pid, f"拜访{n}")
    other = make_project(a1, "另一个项目")
    synced(a1, b1, sup)
    edit_project(sup, pid, owner_team_id=b1.team_id)
    edit_project(sup, other, owner_team_id=b1.team_id)
    synced(sup)
    edit_project(sup, pid, owner_team_id=a1.team_id)  # and back to A
    synced(sup)
    # one change or exit a page: every page's cursor moves past exits and records alike, nothing skipped.
    # An edit typed while the first page is in hand is still waiting when the project leaves and comes back.
    typed: list[str] = []

    def edit_while_pulling(point: str) -> None:
        if point == "pull:page" and not typed:
            typed.append("x")
            edit_project(a1, pid, park_area="北区")

    result = a1.sync(page_size=1, fault=edit_while_pulling)
    assert result.ok and result.pages > 10
    row = project_row(a1, pid)
    assert (row["owner_team_id"], row["park_area"]) == (a1.team_id, "北区")  # the waiting edit is kept
    assert len(a1.rows("visit", "project_id = :p", p=pid)) == 3
    assert not a1.rows("project", "id = :p", p=other)
    assert result.moved_changes == 0 and moved_changes(a1.store) == []  # back in A's scope: nothing listed
    synced(a1)  # sent as an ordinary edit of A's project
    assert zone.server.record("project", pid)["data"]["park_area"] == "北区"  # type: ignore[index]
    synced(b1)
    assert project_row(b1, other) and not b1.rows("project", "id = :p", p=pid)
    assert not b1.rows("visit", "project_id = :p", p=pid)


def test_the_pull_reply_with_exits_is_read_by_the_fast_parse_and_the_model_alike() -> None:
    import orjson

    page = {
        "changes": [],
        "cursor": 7,
        "has_more": False,
        "epoch": "e",
        "head": 7,
        "exits": [{"entity": "project", "id": "p1", "server_seq": 7}],
    }
    assert protocol.parse_pull_reply(orjson.dumps(page)) == page
    assert protocol.PullResponse.model_validate(page).model_dump() == page
    plain = {k: v for k, v in page.items() if k != "exits"}
    assert protocol.parse_pull_reply(orjson.dumps(plain))["exits"] == []
    with pytest.raises(ValueError):  # pydantic's ValidationError is a ValueError
        protocol.parse_pull_reply(orjson.dumps({**page, "exits": [{"entity": "project", "id": 1}]}))


async def test_the_sync_screen_lists_unsent_changes_about_a_moved_project(zone: Zone) -> None:
    from textual.widgets import DataTable

    from sync_helpers import file_credentials
    from zsfield.app import make_app

    a1, _a2, b1, sup = _teams(zone)
    pid = make_project(a1, "华虹半导体")
    synced(a1, b1, sup)
    edit_project(sup, pid, owner_team_id=b1.team_id)
    synced(sup)
    typed: list[str] = []

    def type_while_pulling(point: str) -> None:
        if point == "pull:page" and not typed:
            typed.append(visit(a1, pid, "同步时录入的拜访"))

    assert a1.sync(fault=type_while_pulling).moved_changes == 1
    app = make_app(a1.settings, store=a1.store, lang="en", start_mode="sync")
    with file_credentials():
        async with app.run_test(size=(140, 40)) as pilot:
            for _ in range(3):
                await pilot.app.workers.wait_for_complete()
                await pilot.pause()
            screen = app.screen
            outbox = screen.query_one("#sync-outbox", DataTable)
            assert outbox.row_count == 1
            assert "华虹半导体 (moved to another team)" in " ".join(str(c) for c in outbox.get_row_at(0))
            result = str(screen.query_one("#sync-result").render())
            assert "1 changes not yet sent concern a project that moved to another team" in result
            assert "records moved to another team and were removed from this laptop" in result
