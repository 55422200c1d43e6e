"""Who may do what at the sync server: every role against every operation, token storage and revocation.

Roles: an officer of team A, an officer of team B, team A's leader, a supervisor, an admin, a revoked
officer, and no token. Operations: whoami, push an edit of team A's project ("own team" for A), of team B's
project, of the shared company index, pull (which records come back), the conflict log, and health.
SQLite, and PostgreSQL where ZSFIELD_TEST_PG_URL is set; a real uvicorn server on loopback.
"""

from __future__ import annotations

import hashlib
import inspect
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from sync_helpers import ThreadedServer, backends, running_server
from sync_helpers import raw_push as _push
from sync_helpers import wire_op as _op
from zsfield import protocol

ROLES = ("officer_a", "officer_b", "leader_a", "supervisor", "admin", "revoked", "anonymous")


@dataclass
class World:
    server: ThreadedServer
    tokens: dict[str, str | None]
    teams: dict[str, str]
    projects: dict[str, str]  # team letter -> project id
    visits: dict[str, str]  # team letter -> visit id (a child record: follows its project's team)
    company_id: str
    conflicts: dict[str, str] = field(default_factory=dict)  # team letter -> conflict id


def _client(server: ThreadedServer, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=60)


@pytest.fixture(scope="module", params=backends())
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    for server in running_server(request.param, tmp_path_factory.mktemp("authz")):
        tokens: dict[str, str | None] = {
            "officer_a": server.add_officer("甲组专员", team="甲组"),
            "officer_b": server.add_officer("乙组专员", team="乙组"),
            "leader_a": server.add_officer("甲组领导", team="甲组", role="leader"),
            "supervisor": server.add_officer("招商局督查", team=None, role="supervisor"),
            "admin": server.add_officer("管理员", team=None, role="admin"),
            "revoked": server.add_officer("丢了电脑的专员", team="甲组"),
            "anonymous": None,
        }
        server.revoke("丢了电脑的专员")
        with _client(server, tokens["supervisor"]) as sup:
            teams = {
                letter: next(r["id"] for r in server.records("team") if r["data"]["name"] == f"{letter}组")
                for letter in ("甲", "乙")
            }
            teams = {"A": teams["甲"], "B": teams["乙"]}
            projects = {t: str(uuid.uuid4()) for t in teams}
            visits = {t: str(uuid.uuid4()) for t in teams}
            company_id = str(uuid.uuid4())
            ops = [_op(1, "company", company_id, {"name": "共享索引公司"})]
            for n, t in enumerate(teams):
                ops.append(
                    _op(2 + 2 * n, "project", projects[t], {"name": f"{t}组项目", "owner_team_id": teams[t]})
                )
                ops.append(
                    _op(3 + 2 * n, "visit", visits[t], {"project_id": projects[t], "summary": f"{t}组拜访"})
                )
            r = _push(sup, ops)
            assert r.status_code == 200 and {x["status"] for x in r.json()["results"]} == {"applied"}, r.text
            # one open conflict in each team's log: two of the supervisor's laptops edit the same name
            conflicts: dict[str, str] = {}
            for t in teams:
                assert (
                    _push(
                        sup, [_op(1, "project", projects[t], {"name": f"{t}组新名"}, "update", 1)]
                    ).status_code
                    == 200
                )
                r = _push(sup, [_op(1, "project", projects[t], {"name": f"{t}组另一个名"}, "update", 1)])
                conflicts[t] = r.json()["results"][0]["conflicts"][0]["conflict_id"]
        yield World(server, tokens, teams, projects, visits, company_id, conflicts)


# --- the matrix -------------------------------------------------------------------------------------------------

SEES_A = {"officer_a", "leader_a", "supervisor", "admin"}
SEES_B = {"officer_b", "supervisor", "admin"}
AUTHENTICATED = {"officer_a", "officer_b", "leader_a", "supervisor", "admin"}


def _refused_401(r: httpx.Response, role: str) -> None:
    assert r.status_code == 401, (role, r.status_code, r.text)
    expected = protocol.ERR_REVOKED if role == "revoked" else protocol.ERR_UNAUTHORIZED
    assert r.json()["code"] == expected and r.json()["message"]
    assert r.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("role", ROLES)
def test_health_is_open_to_all(world: World, role: str) -> None:
    with _client(world.server, world.tokens[role]) as c:
        r = c.get("/v1/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


@pytest.mark.parametrize("role", ROLES)
def test_whoami(world: World, role: str) -> None:
    with _client(world.server, world.tokens[role]) as c:
        r = c.get("/v1/whoami")
    if role not in AUTHENTICATED:
        _refused_401(r, role)
        return
    assert r.status_code == 200
    officer = r.json()["officer"]
    expected_role = {"officer_a": "officer", "officer_b": "officer", "leader_a": "leader"}.get(role, role)
    assert officer["role"] == expected_role
    assert officer["team_id"] == {"officer_a": world.teams["A"], "leader_a": world.teams["A"],
                                  "officer_b": world.teams["B"]}.get(role)  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", ["project_A", "project_B", "visit_A", "company"])
def test_push_edit(world: World, role: str, target: str) -> None:
    """Team A's project ("own team" for A's officer and leader), team B's, a child record of A's project, and
    the zone's shared company index."""
    server = world.server
    entity, record_id = {
        "project_A": ("project", world.projects["A"]),
        "project_B": ("project", world.projects["B"]),
        "visit_A": ("visit", world.visits["A"]),
        "company": ("company", world.company_id),
    }[target]
    before = server.record(entity, record_id)
    assert before is not None
    field_name = {"project": "open_questions", "visit": "next_step", "company": "note"}[entity]
    value = f"{role} 写入 {uuid.uuid4().hex[:6]}"
    with _client(server, world.tokens[role]) as c:
        r = _push(c, [_op(1, entity, record_id, {field_name: value}, "update", before["version"])])
    after = server.record(entity, record_id)
    if role not in AUTHENTICATED:
        _refused_401(r, role)
        assert after == before
        return
    assert r.status_code == 200, r.text
    result = r.json()["results"][0]
    allowed = (
        target == "company"
        or role in ("supervisor", "admin")
        or (target in ("project_A", "visit_A") and role in ("officer_a", "leader_a"))
        or (target == "project_B" and role == "officer_b")
    )
    if allowed:
        assert result["status"] == "applied", (role, target, result)
        assert after is not None and after["data"][field_name] == value
    else:
        assert (result["status"], result["code"]) == ("rejected", protocol.REJECT_FORBIDDEN), (
            role,
            target,
            result,
        )
        assert result["message"]
        assert after == before


@pytest.mark.parametrize("role", ROLES)
def test_push_of_a_new_project_for_another_team(world: World, role: str) -> None:
    """Creating a record in a team's name is writing that team's records (and ``*`` is nobody's team)."""
    with _client(world.server, world.tokens[role]) as c:
        pid = str(uuid.uuid4())
        r = _push(c, [_op(1, "project", pid, {"name": "塞给乙组的项目", "owner_team_id": world.teams["B"]})])
    if role not in AUTHENTICATED:
        _refused_401(r, role)
        return
    status = r.json()["results"][0]["status"]
    assert status == ("applied" if role in SEES_B else "rejected"), (role, r.json())
    assert (world.server.record("project", pid) is not None) == (role in SEES_B)
    with _client(world.server, world.tokens[role]) as c:
        shared = str(uuid.uuid4())
        r = _push(c, [_op(1, "project", shared, {"name": "人人可见的项目", "owner_team_id": "*"})])
    assert r.json()["results"][0]["status"] == "rejected", (role, r.json())
    assert world.server.record("project", shared) is None


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("to", ["team_B", "shared", "none"])
def test_moving_team_As_project(world: World, role: str, to: str) -> None:
    """A team's project changes team (or is put in the shared scope ``*``) only by a supervisor's op, and never
    into ``*``: the scope follows the server's facts, not the field."""
    server = world.server
    pid = str(uuid.uuid4())
    with _client(server, world.tokens["supervisor"]) as sup:
        made = _push(sup, [_op(1, "project", pid, {"name": "要搬的项目", "owner_team_id": world.teams["A"]})])
        assert made.json()["results"][0]["status"] == "applied"
    before = server.record("project", pid)
    assert before is not None
    value = {"team_B": world.teams["B"], "shared": "*", "none": None}[to]
    with _client(server, world.tokens[role]) as c:
        r = _push(c, [_op(1, "project", pid, {"owner_team_id": value}, "update", before["version"])])
    after = server.record("project", pid)
    if role not in AUTHENTICATED:
        _refused_401(r, role)
        assert after == before
        return
    result = r.json()["results"][0]
    if role in ("supervisor", "admin") and to != "shared":
        assert result["status"] == "applied", result
        assert after is not None and after["scope"] == {"team_B": world.teams["B"], "none": ""}[to]
        return
    expected = protocol.REJECT_INVALID if role in ("supervisor", "admin") else protocol.REJECT_FORBIDDEN
    assert (result["status"], result["code"]) == ("rejected", expected), (role, to, result)
    assert after == before


def _pull_all(c: httpx.Client) -> dict[tuple[str, str], dict[str, Any]]:
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    since = 0
    while True:
        page = c.get("/v1/pull", params={"since": since, "limit": 7}).json()
        for ch in page["changes"]:
            seen[(ch["entity"], ch["id"])] = ch
        since = page["cursor"]
        if not page["has_more"]:
            return seen


@pytest.mark.parametrize("role", ROLES)
def test_pull_returns_shared_records_and_only_the_own_teams(world: World, role: str) -> None:
    with _client(world.server, world.tokens[role]) as c:
        if role not in AUTHENTICATED:
            _refused_401(c.get("/v1/pull", params={"since": 0}), role)
            return
        seen = _pull_all(c)
    keys = set(seen)
    # the shared records: the organisation and the company index
    assert ("company", world.company_id) in keys
    assert {("team", world.teams["A"]), ("team", world.teams["B"])} <= keys
    assert {e for e, _ in keys} >= {"office", "team", "officer", "company"}
    for t, sees in (("A", SEES_A), ("B", SEES_B)):
        assert (("project", world.projects[t]) in keys) == (role in sees), (role, t)
        assert (("visit", world.visits[t]) in keys) == (role in sees), (role, t)
    if role not in ("supervisor", "admin"):
        # never another team's private record, whatever its entity
        own = world.teams["A"] if role in SEES_A else world.teams["B"]
        server_rows = {(r["entity"], r["id"]): r["scope"] for r in world.server.records()}
        assert {server_rows[k] for k in keys} <= {"*", own}


@pytest.mark.parametrize("role", ROLES)
def test_conflict_log(world: World, role: str) -> None:
    with _client(world.server, world.tokens[role]) as c:
        r = c.get("/v1/conflicts", params={"open_only": "false"})
    if role not in AUTHENTICATED:
        _refused_401(r, role)
        return
    assert r.status_code == 200
    ids = {x["id"] for x in r.json()["conflicts"]}
    assert (world.conflicts["A"] in ids) == (role in SEES_A), role
    assert (world.conflicts["B"] in ids) == (role in SEES_B), role


@pytest.mark.parametrize("role", ["officer_b", "revoked", "anonymous"])
def test_resolving_another_teams_conflict_is_refused(world: World, role: str) -> None:
    with _client(world.server, world.tokens[role]) as c:
        op = _op(
            1, "", str(uuid.uuid4()), {"conflict_id": world.conflicts["A"], "resolution": "theirs"}, "resolve"
        )
        op["entity"] = "project"
        r = _push(c, [op])
    if role not in AUTHENTICATED:
        _refused_401(r, role)
    else:
        assert r.json()["results"][0]["code"] == protocol.REJECT_FORBIDDEN
    with _client(world.server, world.tokens["supervisor"]) as sup:
        log = sup.get("/v1/conflicts", params={"open_only": "true"}).json()["conflicts"]
    assert world.conflicts["A"] in {x["id"] for x in log}


# --- tokens ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "bearer zsf_x y",
        "Basic dXNlcjpwYXNz",
        "Token zsf_abc",
        "Bearer zsf_" + "a" * 300,
        "Bearer zsf_nope",
    ],
)
def test_malformed_or_unknown_authorization_is_401(world: World, header: str) -> None:
    with httpx.Client(base_url=world.server.url, timeout=30) as c:
        r = c.get("/v1/whoami", headers={"Authorization": header} if header else {})
    assert r.status_code == 401 and r.json()["code"] == protocol.ERR_UNAUTHORIZED


def test_tokens_are_stored_hashed_and_never_in_plain_text(world: World) -> None:
    from sqlalchemy import MetaData

    from zsfield_sync.storage import accounts, read_tx

    tokens = [t for t in world.tokens.values() if t]
    dumped: list[str] = []
    with read_tx(world.server.engine) as conn:
        meta = MetaData()
        meta.reflect(conn)
        for table in meta.sorted_tables:
            for row in conn.execute(table.select()):
                dumped.extend(str(v) for v in row)
        hashes = set(conn.execute(accounts.select().with_only_columns(accounts.c.token_hash)).scalars())
    everything = "\n".join(dumped)
    for token in tokens:
        assert token not in everything
        assert token[4:] not in everything  # not even without its prefix
        assert hashlib.sha256(token.encode()).hexdigest() in hashes
    assert len(hashes) == len(tokens) and all(len(h) == 64 for h in hashes)


def test_tokens_are_looked_up_by_hash_and_compared_in_constant_time() -> None:
    """The token itself is never compared with ``==``: the database is searched for its SHA-256, and the row
    found is checked with :func:`hmac.compare_digest`."""
    from zsfield_sync import auth

    source = inspect.getsource(auth.authenticate)
    assert "accounts.c.token_hash == digest" in source
    assert "hmac.compare_digest(" in source
    assert "token ==" not in source and "== token" not in source


def test_a_revoked_token_stops_at_once(world: World) -> None:
    server = world.server
    token = server.add_officer("即将吊销", team="甲组")
    cid = str(uuid.uuid4())
    with _client(server, token) as c:  # one keep-alive connection throughout
        assert c.get("/v1/whoami").status_code == 200
        assert _push(c, [_op(1, "company", str(uuid.uuid4()), {"name": "吊销前"})], cid).status_code == 200
        server.revoke("即将吊销")
        r = _push(c, [_op(2, "company", str(uuid.uuid4()), {"name": "吊销后"})], cid)
        _refused_401(r, "revoked")
        assert "revoked" in r.json()["message"] and "kept" in r.json()["message"]
        for path in ("/v1/whoami", "/v1/pull", "/v1/conflicts"):
            _refused_401(c.get(path), "revoked")
        assert not [x for x in server.records("company") if x["data"]["name"] == "吊销后"]
        # a new token (rotate) works at once, and the old one stays dead
        from zsfield_sync.admin import rotate_token

        _, fresh = rotate_token(server.engine, "即将吊销")
        _refused_401(c.get("/v1/whoami"), "anonymous")
        with _client(server, fresh) as c2:
            assert c2.get("/v1/whoami").status_code == 200
