"""The server trusts no claim of the client (issue 11, points 1, 2, 3 and 7): what an officer may write and read
is decided from identity (the token's role and team) and the server's own records, never from a field, a
replayed sequence number, a base version or a value's shape.

Each test is the regression test of one defect; a real uvicorn server on loopback, SQLite and PostgreSQL
(where ZSFIELD_TEST_PG_URL is set), ops crafted by hand as a broken or hostile client would send them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from sync_helpers import ThreadedServer, backends, running_server
from zsfield import protocol


@dataclass
class Zone:
    server: ThreadedServer
    tokens: dict[str, str]
    teams: dict[str, str]  # "A" / "B" -> team id

    def client(self, role: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.server.url, headers={"Authorization": f"Bearer {self.tokens[role]}"}, timeout=60
        )


def op(
    seq: int,
    entity: str,
    entity_id: str,
    fields: dict[str, Any],
    kind: str = "insert",
    base: int = 0,
    op_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "client_seq": seq,
        "op_id": op_id or str(uuid.uuid4()),
        "entity": entity,
        "entity_id": entity_id,
        "op": kind,
        "fields": fields,
        "base_version": base,
        "schema_version": protocol.SCHEMA_VERSION,
        **extra,
    }


def push(c: httpx.Client, ops: list[dict[str, Any]], client_id: str | None = None) -> httpx.Response:
    body = {
        "client_id": client_id or str(uuid.uuid4()),
        "schema_version": protocol.SCHEMA_VERSION,
        "ops": ops,
    }
    return c.post("/v1/push", json=body)


def one(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    (result,) = r.json()["results"]
    return result


def pull_all(c: httpx.Client) -> dict[tuple[str, str], dict[str, Any]]:
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    since = 0
    while True:
        page = c.get("/v1/pull", params={"since": since, "limit": 500}).json()
        for ch in page["changes"]:
            seen[(ch["entity"], ch["id"])] = ch
        since = page["cursor"]
        if not page["has_more"]:
            return seen


@pytest.fixture(scope="module", params=backends())
def zone(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Zone]:
    for server in running_server(request.param, tmp_path_factory.mktemp("trust")):
        tokens = {
            "officer_a": server.add_officer("甲组专员", team="甲组"),
            "officer_b": server.add_officer("乙组专员", team="乙组"),
            "leader_b": server.add_officer("乙组领导", team="乙组", role="leader"),
            "supervisor": server.add_officer("督查", team=None, role="supervisor"),
        }
        names = {r["data"]["name"]: r["id"] for r in server.records("team")}
        yield Zone(server, tokens, {"A": names["甲组"], "B": names["乙组"]})


def new_project(zone: Zone, team: str, name: str = "甲组的项目") -> str:
    """A project of ``team`` (with a visit), made by the supervisor."""
    pid = str(uuid.uuid4())
    with zone.client("supervisor") as sup:
        r = push(
            sup,
            [
                op(1, "project", pid, {"name": name, "owner_team_id": zone.teams[team]}),
                op(2, "visit", str(uuid.uuid4()), {"project_id": pid, "summary": "首次拜访"}),
            ],
        )
    assert r.status_code == 200 and {x["status"] for x in r.json()["results"]} == {"applied"}, r.text
    return pid


# --- 1. scope from identity, never from a field ------------------------------------------------------------


@pytest.mark.parametrize("role", ["officer_b", "leader_b"])
def test_another_teams_project_cannot_be_taken_by_setting_the_shared_scope(zone: Zone, role: str) -> None:
    """Issue 11.1: B set ``owner_team_id = "*"`` on A's project and it was applied (the scope was taken from the
    field, and the shared scope let through before the record's owner was checked)."""
    pid = new_project(zone, "A")
    before = zone.server.record("project", pid)
    assert before is not None and before["scope"] == zone.teams["A"]
    with zone.client(role) as c:
        for fields in (
            {"owner_team_id": "*"},
            {"owner_team_id": "*", "name": "乙组拿走了"},
            {"name": "改名"},
        ):
            result = one(push(c, [op(1, "project", pid, fields, "update", before["version"])]))
            assert (result["status"], result["code"]) == ("rejected", protocol.REJECT_FORBIDDEN), result
            assert result["record"] is None and "another team" in result["message"]
        assert ("project", pid) not in pull_all(c)
    assert zone.server.record("project", pid) == before


def test_an_officer_cannot_put_a_team_record_in_the_shared_scope(zone: Zone) -> None:
    """Issue 11.1: an officer inserted a project straight into ``"*"`` (and then every laptop pulled it); nor
    may an officer move their own project there."""
    pid = str(uuid.uuid4())
    with zone.client("officer_a") as c:
        result = one(push(c, [op(1, "project", pid, {"name": "人人可见", "owner_team_id": "*"})]))
        assert (result["status"], result["code"]) == ("rejected", protocol.REJECT_FORBIDDEN), result
        lead = str(uuid.uuid4())
        result = one(push(c, [op(1, "lead", lead, {"title": "公共线索", "team_id": "*"})]))
        assert (result["status"], result["code"]) == ("rejected", protocol.REJECT_FORBIDDEN), result
        own = new_project(zone, "A", "甲组自己的")
        before = zone.server.record("project", own)
        assert before is not None
        result = one(push(c, [op(1, "project", own, {"owner_team_id": "*"}, "update", before["version"])]))
        assert (result["status"], result["code"]) == ("rejected", protocol.REJECT_FORBIDDEN), result
    assert zone.server.record("project", pid) is None and zone.server.record("lead", lead) is None
    assert zone.server.record("project", own) == before
    with zone.client("officer_b") as c:
        seen = pull_all(c)
    assert ("project", own) not in seen and not [k for k in seen if k[0] in ("project", "lead", "visit")]
    # not even a supervisor: "*" is the shared entities' scope, never a team's
    with zone.client("supervisor") as sup:
        result = one(push(sup, [op(1, "project", pid, {"name": "人人可见", "owner_team_id": "*"})]))
    assert (result["status"], result["code"]) == ("rejected", protocol.REJECT_INVALID), result
    assert "not a team" in result["message"]
    assert not [r for r in zone.server.records() if r["scope"] == "*" and r["entity"] in ("project", "lead")]


def test_an_officers_insert_lands_in_their_own_team(zone: Zone) -> None:
    """Without a team field a new project or lead takes the officer's team from the token (field included)."""
    pid, lead = str(uuid.uuid4()), str(uuid.uuid4())
    with zone.client("officer_a") as c:
        r = push(
            c, [op(1, "project", pid, {"name": "没写组"}), op(2, "lead", lead, {"title": "没写组的线索"})]
        )
    assert r.status_code == 200 and [x["status"] for x in r.json()["results"]] == ["applied", "applied"]
    project, lead_rec = zone.server.record("project", pid), zone.server.record("lead", lead)
    assert project is not None and lead_rec is not None
    assert (project["scope"], project["data"]["owner_team_id"]) == (zone.teams["A"],) * 2
    assert (lead_rec["scope"], lead_rec["data"]["team_id"]) == (zone.teams["A"],) * 2


@pytest.mark.parametrize("role", ["officer_b", "leader_b"])
def test_moving_a_project_between_teams_is_a_supervisors_op(zone: Zone, role: str) -> None:
    pid = new_project(zone, "B", "乙组要送走的")
    before = zone.server.record("project", pid)
    assert before is not None
    with zone.client(role) as c:
        for team in (zone.teams["A"], None):
            fields = {"owner_team_id": team}
            result = one(push(c, [op(1, "project", pid, fields, "update", before["version"])]))
            assert (result["status"], result["code"]) == ("rejected", protocol.REJECT_FORBIDDEN), result
            assert "supervisor" in result["message"]
    assert zone.server.record("project", pid) == before
    with zone.client("supervisor") as sup:
        result = one(push(sup, [op(1, "project", pid, {"owner_team_id": zone.teams["A"]}, "update", 1)]))
        assert result["status"] == "applied", result
        bogus = one(push(sup, [op(1, "project", pid, {"owner_team_id": "no-such-team"}, "update", 2)]))
        assert (bogus["status"], bogus["code"]) == ("rejected", protocol.REJECT_INVALID), bogus
    moved = zone.server.record("project", pid)
    assert moved is not None and moved["scope"] == zone.teams["A"]


def test_a_child_takes_its_scope_from_its_parent_on_the_server(zone: Zone) -> None:
    """A visit under A's project is A's, whatever its fields say; B can neither add one nor move one there."""
    pid_a, pid_b = new_project(zone, "A", "甲组的"), new_project(zone, "B", "乙组的")
    with zone.client("officer_b") as c:
        visit = str(uuid.uuid4())
        result = one(push(c, [op(1, "visit", visit, {"project_id": pid_a, "summary": "乙组来访"})]))
        assert (result["status"], result["code"]) == ("rejected", protocol.REJECT_FORBIDDEN), result
        mine = str(uuid.uuid4())
        assert one(
            push(
                c, [op(1, "follow_up", mine, {"project_id": pid_b, "title": "回访", "due_on": "2026-12-20"})]
            )
        )["status"] == ("applied")
        result = one(push(c, [op(1, "follow_up", mine, {"project_id": pid_a}, "update", 1)]))
        assert (result["status"], result["code"]) == ("rejected", protocol.REJECT_FORBIDDEN), result
    assert zone.server.record("visit", visit) is None
    follow_up = zone.server.record("follow_up", mine)
    assert follow_up is not None and follow_up["scope"] == zone.teams["B"]
    assert follow_up["data"]["project_id"] == pid_b


# --- 2. a replay returns only what the op named, to whom made it -------------------------------------------------


def test_a_replay_naming_another_record_leaks_nothing(zone: Zone) -> None:
    """Issue 11.2: replaying one's own acknowledged (client_seq, op_id) while naming another team's record
    returned that record's current contents."""
    pid_a = new_project(zone, "A", "甲组的秘密项目")
    cid = str(uuid.uuid4())
    company = str(uuid.uuid4())
    with zone.client("officer_b") as c:
        first = op(1, "company", company, {"name": "乙组录入的公司"})
        assert one(push(c, [first], cid))["status"] == "applied"
        for entity, entity_id, kind in (
            ("project", pid_a, "update"),
            ("project", pid_a, "insert"),
            ("company", company, "update"),  # the same record, another kind of op
        ):
            crafted = {**first, "entity": entity, "entity_id": entity_id, "op": kind}
            r = push(c, [crafted], cid)
            assert r.status_code == 409 and r.json()["code"] == protocol.ERR_SEQ_REUSED, r.text
            assert "甲组的秘密项目" not in r.text and pid_a not in r.text
        # the honest resend is still answered from the log, with the record
        again = one(push(c, [first], cid))
        assert again["replayed"] and again["record"]["data"]["name"] == "乙组录入的公司"
    # another officer using B's client id is refused before anything is read
    with zone.client("officer_a") as c:
        r = push(c, [first], cid)
    assert r.status_code == 403 and r.json()["code"] == protocol.ERR_CLIENT_NOT_YOURS


def test_a_replay_returns_no_record_the_officer_can_no_longer_read(zone: Zone) -> None:
    """B's acknowledged edit of B's project, replayed after a supervisor moved the project to A: the reply
    keeps the stored result but not the record (A's now)."""
    pid = new_project(zone, "B", "后来归甲组")
    cid = str(uuid.uuid4())
    with zone.client("officer_b") as c:
        edit = op(1, "project", pid, {"park_area": "东区"}, "update", 1)
        assert one(push(c, [edit], cid))["status"] == "applied"
        with zone.client("supervisor") as sup:
            moved = one(push(sup, [op(1, "project", pid, {"owner_team_id": zone.teams["A"]}, "update", 2)]))
            assert moved["status"] == "applied"
        again = one(push(c, [edit], cid))
    assert again["replayed"] and again["status"] == "applied" and again["version"] == 2
    assert again["record"] is None
