"""The sync server's HTTP API, spoken to directly: sequence numbers, replays, atomic batches, limits,
authorisation and clear 4xx refusals (never a 500). SQLite, and PostgreSQL where ZSFIELD_TEST_PG_URL is set."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sync_helpers import ThreadedServer, backends, running_server
from zsfield import protocol


@pytest.fixture(params=backends())
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ThreadedServer]:
    yield from running_server(request.param, tmp_path)


def client(server: ThreadedServer, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=30)


def company_op(seq: int, name: str = "示例公司", **kw: Any) -> dict[str, Any]:
    op = {
        "client_seq": seq,
        "op_id": str(uuid.uuid4()),
        "entity": "company",
        "entity_id": str(uuid.uuid4()),
        "op": "insert",
        "fields": {"name": name, "aliases": ["示例"], "country": "CN"},
        "base_version": 0,
        "schema_version": protocol.SCHEMA_VERSION,
    }
    op.update(kw)
    return op


def push(c: httpx.Client, client_id: str, ops: list[dict[str, Any]], **kw: Any) -> httpx.Response:
    return c.post(
        "/v1/push", json={"client_id": client_id, "schema_version": protocol.SCHEMA_VERSION, "ops": ops, **kw}
    )


def test_health_whoami_and_tokens(server: ThreadedServer) -> None:
    token = server.add_officer("王芳", team="一组", office="东京")
    with client(server, None) as anon:
        health = anon.get("/v1/health").json()
        assert health["status"] == "ok" and health["schema_version"] == protocol.SCHEMA_VERSION
        r = anon.get("/v1/whoami")
        assert r.status_code == 401 and r.json()["code"] == "unauthorized"
        assert anon.get("/v1/pull").status_code == 401
    with client(server, "zsf_not-a-token") as bad:
        assert bad.get("/v1/whoami").status_code == 401
    with client(server, token) as c:
        who = protocol.WhoAmI.model_validate(c.get("/v1/whoami").json())
        assert (who.officer.name, who.officer.role, who.officer.team_name, who.officer.office_name) == (
            "王芳",
            "officer",
            "一组",
            "东京",
        )
        assert who.epoch == health["epoch"]
        server.revoke("王芳")
        r = c.get("/v1/whoami")
        assert r.status_code == 401 and r.json()["code"] == protocol.ERR_REVOKED
    # tokens are stored only as their hash
    from sqlalchemy import select

    from zsfield_sync.storage import accounts, read_tx

    with read_tx(server.engine) as conn:
        stored = conn.execute(select(accounts.c.token_hash)).scalars().all()
    assert token not in stored and all(len(h) == 64 for h in stored)


def test_sequence_replay_gap_and_atomic_batches(server: ThreadedServer) -> None:
    token = server.add_officer("李强")
    cid = str(uuid.uuid4())
    with client(server, token) as c:
        ops = [company_op(1, "甲公司"), company_op(2, "乙公司")]
        first = protocol.PushResponse.model_validate(push(c, cid, ops).json())
        assert first.last_seq == 2 and [r.status for r in first.results] == ["applied", "applied"]
        # the same ops again: replayed, nothing applied twice
        again = protocol.PushResponse.model_validate(push(c, cid, ops).json())
        assert all(r.replayed for r in again.results) and again.last_seq == 2
        assert [r.version for r in again.results] == [1, 1]
        assert len(server.records("company")) == 2
        # a gap is refused with the number the server expects; nothing applied
        r = push(c, cid, [company_op(4)])
        assert (
            r.status_code == 409
            and r.json()["code"] == protocol.ERR_SEQ_GAP
            and r.json()["expected_seq"] == 3
        )
        # a number reused by another op: the whole batch is refused, its new op (3) is not applied
        reused = [ops[0], company_op(2, "冒用"), company_op(3, "丙公司")]
        r = push(c, cid, reused)
        assert r.status_code == 409 and r.json()["code"] == protocol.ERR_SEQ_REUSED
        assert len(server.records("company")) == 2
        # not consecutive
        r = push(c, cid, [company_op(3), company_op(5)])
        assert r.status_code == 422 and "consecutive" in r.json()["message"]
        # a replayed prefix followed by new ops
        mixed = protocol.PushResponse.model_validate(push(c, cid, [ops[1], company_op(3, "丙公司")]).json())
        assert [r.replayed for r in mixed.results] == [True, False] and mixed.last_seq == 3
        # another officer cannot use this client id
        other = server.add_officer("赵敏")
        with client(server, other) as c2:
            r = push(c2, cid, [company_op(4)])
            assert r.status_code == 403 and r.json()["code"] == protocol.ERR_CLIENT_NOT_YOURS


def test_limits_and_malformed_requests_are_4xx(server: ThreadedServer) -> None:
    token = server.add_officer("陈晨")
    cid = str(uuid.uuid4())
    with client(server, token) as c:
        r = push(c, cid, [company_op(i + 1) for i in range(protocol.MAX_BATCH_OPS + 1)])
        assert r.status_code == 422 and r.json()["code"] == protocol.ERR_INVALID
        r = push(c, cid, [company_op(1, note="x" * (protocol.MAX_BODY_BYTES + 10))])
        assert r.status_code == 413 and r.json()["code"] == protocol.ERR_TOO_LARGE
        r = c.post("/v1/push", content=b"{not json", headers={"Content-Type": "application/json"})
        assert r.status_code == 422 and r.json()["message"]
        r = c.post("/v1/push", json={"client_id": "not-a-uuid", "schema_version": 1, "ops": []})
        assert r.status_code == 422 and "client_id" in r.json()["message"]
        r = push(c, cid, [company_op(1, op="upsert")])
        assert r.status_code == 422
        r = push(c, cid, [], schema_version=protocol.SCHEMA_VERSION + 1)
        assert r.status_code == 409 and r.json()["code"] == protocol.ERR_SCHEMA_TOO_NEW
        r = push(c, cid, [company_op(1, schema_version=protocol.SCHEMA_VERSION + 1)])
        assert r.status_code == 409 and "update the server" in r.json()["message"]
        assert c.get("/v1/pull", params={"limit": protocol.MAX_PULL_LIMIT + 1}).status_code == 422
        assert c.get("/v1/pull", params={"since": -1}).status_code == 422
        assert c.get("/v1/nowhere").status_code == 404
        assert server.records("company") == []
        # bad ops are rejected one by one, for good, and the queue moves on
        bad = [
            company_op(1, entity="spaceship"),
            company_op(2, fields={"name": "有", "aliases": "not a list"}),
            company_op(3, fields={"name": "有", "colour": "red"}),
            company_op(4, fields={"aliases": []}),  # name is required
            company_op(5, op="update", fields={"name": "无此记录"}),
            {**company_op(6, entity="project"), "fields": {"name": "无团队的项目", "stage": "moon"}},
            company_op(7, "好公司"),
        ]
        reply = protocol.PushResponse.model_validate(push(c, cid, bad).json())
        assert [(r.status, r.code) for r in reply.results] == [
            ("rejected", protocol.REJECT_UNKNOWN_ENTITY),
            ("rejected", protocol.REJECT_INVALID),
            ("rejected", protocol.REJECT_INVALID),
            ("rejected", protocol.REJECT_INVALID),
            ("rejected", protocol.REJECT_NOT_FOUND),
            ("rejected", protocol.REJECT_INVALID),
            ("applied", None),
        ]
        assert all(r.message for r in reply.results[:-1]) and reply.last_seq == 7
        assert [r["data"]["name"] for r in server.records("company")] == ["好公司"]


def test_authorisation_and_what_each_role_pulls(server: ThreadedServer) -> None:
    a = server.add_officer("一组专员", team="一组")
    b = server.add_officer("二组专员", team="二组")
    s = server.add_officer("督查", team=None, role="supervisor")
    with client(server, a) as ca, client(server, b) as cb, client(server, s) as cs:
        team_a = ca.get("/v1/whoami").json()["officer"]["team_id"]
        pid = str(uuid.uuid4())
        project = {
            **company_op(1),
            "entity": "project",
            "entity_id": pid,
            "fields": {"name": "一组项目", "owner_team_id": team_a},
        }
        assert push(ca, str(uuid.uuid4()), [project]).json()["results"][0]["status"] == "applied"
        cid_b = str(uuid.uuid4())
        steal = {
            **company_op(1),
            "entity": "project",
            "entity_id": pid,
            "op": "update",
            "fields": {"name": "改"},
        }
        office = {**company_op(2), "entity": "office", "fields": {"name": "伦敦"}}
        visit = {**company_op(3), "entity": "visit", "fields": {"project_id": pid, "summary": "越权"}}
        company = company_op(4, "共享公司")
        results = push(cb, cid_b, [steal, office, visit, company]).json()["results"]
        assert [(r["status"], r.get("code")) for r in results] == [
            ("rejected", "forbidden"),
            ("rejected", "forbidden"),
            ("rejected", "forbidden"),
            ("applied", None),
        ]
        assert server.record("project", pid)["data"]["name"] == "一组项目"  # type: ignore[index]

        def pulled(c: httpx.Client) -> set[str]:
            page = protocol.PullResponse.model_validate(c.get("/v1/pull", params={"since": 0}).json())
            return {ch.entity for ch in page.changes}

        assert "project" in pulled(ca) and "project" not in pulled(cb)
        assert {"office", "team", "officer", "company"} <= pulled(cb)
        assert "project" in pulled(cs)
        # the supervisor may write anything, including another team's project and the organisation
        sup = {**steal, "fields": {"name": "督查改名"}, "base_version": 1}
        sup_office = {**office, "client_seq": 2, "op_id": str(uuid.uuid4())}
        assert [r["status"] for r in push(cs, str(uuid.uuid4()), [sup, sup_office]).json()["results"]] == [
            "applied",
            "applied",
        ]


def test_pull_pages_and_cursor(server: ThreadedServer) -> None:
    token = server.add_officer("孙丽", role="supervisor", team=None)
    with client(server, token) as c:
        cid = str(uuid.uuid4())
        push(c, cid, [company_op(i + 1, f"公司{i}") for i in range(25)])
        seen: list[str] = []
        since, pages = 0, 0
        while True:
            page = protocol.PullResponse.model_validate(
                c.get("/v1/pull", params={"since": since, "limit": 7}).json()
            )
            seqs = [ch.server_seq for ch in page.changes]
            assert seqs == sorted(seqs) and all(s > since for s in seqs)
            seen += [ch.id for ch in page.changes]
            since, pages = page.cursor, pages + 1
            if not page.has_more:
                break
        assert len(seen) == len(set(seen)) == 25 + 2  # the companies, the office and the officer
        assert pages == 4 and since == page.head


def test_openapi_describes_the_protocol(server: ThreadedServer) -> None:
    with client(server, None) as c:
        doc = c.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    for name in ("PushRequest", "PushResponse", "PullResponse", "Op", "OpResult", "WhoAmI", "ErrorBody"):
        assert name in schemas
    assert schemas["PushRequest"]["properties"]["ops"]["maxItems"] == protocol.MAX_BATCH_OPS
    assert {"/v1/push", "/v1/pull", "/v1/whoami", "/v1/health", "/v1/conflicts"} <= set(doc["paths"])


def test_concurrent_pushes_never_let_a_pull_skip_a_change(server: ThreadedServer) -> None:
    import threading

    tokens = [server.add_officer(f"并发{n}", role="supervisor", team=None) for n in range(4)]
    done = threading.Event()
    errors: list[BaseException] = []
    pushed: set[str] = set()
    lock = threading.Lock()

    def writer(token: str) -> None:
        try:
            with client(server, token) as c:
                cid = str(uuid.uuid4())
                for batch in range(8):
                    ops = [company_op(batch * 15 + i + 1, f"并发公司{i}") for i in range(15)]
                    r = push(c, cid, ops)
                    assert r.status_code == 200, r.text
                    with lock:
                        pushed.update(op["entity_id"] for op in ops)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    seen: dict[str, int] = {}

    def puller() -> None:
        since = 0
        with client(server, tokens[0]) as c:
            while True:
                finished = done.is_set()  # read before pulling: one more full pass after the writers end
                page = protocol.PullResponse.model_validate(
                    c.get("/v1/pull", params={"since": since, "limit": 50}).json()
                )
                for ch in page.changes:
                    assert ch.server_seq > since
                    seen[ch.id] = ch.server_seq
                since = page.cursor
                if finished and not page.has_more:
                    return

    threads = [threading.Thread(target=writer, args=(t,)) for t in tokens]
    pull_thread = threading.Thread(target=puller)
    pull_thread.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    done.set()
    pull_thread.join(timeout=120)
    assert not errors, errors
    assert len(pushed) == 4 * 8 * 15
    assert pushed <= set(seen)  # every change committed by a writer was seen by the cursor-following puller


def test_migrations_create_exactly_the_tables_the_server_uses(server: ThreadedServer) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from zsfield_sync.storage import metadata

    with server.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
