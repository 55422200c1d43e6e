"""Bad input at the sync server: every malformed, oversized, out-of-order or domain-invalid push is a 4xx with a
clear message and a machine-readable code, and changes nothing (the database is inspected afterwards).
SQLite, and PostgreSQL where ZSFIELD_TEST_PG_URL is set; a real uvicorn server on loopback."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sync_helpers import ThreadedServer, Zone, backends, make_project, running_server, zone_fixture
from zsfield import protocol
from zsfield_sync.push_checks import ERR_INVALID_OP


@pytest.fixture(params=backends())
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ThreadedServer]:
    yield from running_server(request.param, tmp_path)


@pytest.fixture(params=backends())
def zone(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Zone]:
    yield from zone_fixture(request.param, tmp_path)


def client(server: ThreadedServer, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=60)


def op(seq: int, entity: str, fields: dict[str, Any], *, kind: str = "insert", **kw: Any) -> dict[str, Any]:
    return {
        "client_seq": seq,
        "op_id": str(uuid.uuid4()),
        "entity": entity,
        "entity_id": kw.pop("entity_id", None) or str(uuid.uuid4()),
        "op": kind,
        "fields": fields,
        "base_version": kw.pop("base_version", 0),
        "schema_version": protocol.SCHEMA_VERSION,
        **kw,
    }


def company(seq: int, name: str = "示例公司") -> dict[str, Any]:
    return op(seq, "company", {"name": name, "aliases": [], "country": "CN"})


def push(c: httpx.Client, client_id: str, ops: list[dict[str, Any]], **kw: Any) -> httpx.Response:
    body = {"client_id": client_id, "schema_version": protocol.SCHEMA_VERSION, "ops": ops, **kw}
    return c.post("/v1/push", json=body)


def snapshot(server: ThreadedServer) -> dict[str, Any]:
    """Everything a push could change: records, the counter, the op log, the conflict log, client cursors."""
    from sqlalchemy import func, select

    from zsfield_sync.storage import clients, conflicts, op_log, read_tx, records

    with read_tx(server.engine) as conn:
        return {
            "records": sorted(
                (r.entity, r.id, r.version, r.server_seq, r.data) for r in conn.execute(select(records)).all()
            ),
            "head": conn.execute(select(func.max(records.c.server_seq))).scalar(),
            "op_log": conn.execute(select(func.count()).select_from(op_log)).scalar(),
            "conflicts": conn.execute(select(func.count()).select_from(conflicts)).scalar(),
            "clients": sorted(
                tuple(r) for r in conn.execute(select(clients.c.client_id, clients.c.last_seq))
            ),
        }


def refused(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, (r.status_code, r.text[:500])
    body = r.json()
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and len(body["message"]) > 10, body
    return body


# --- whole requests -------------------------------------------------------------------------------------------


def test_malformed_requests_are_refused_and_change_nothing(server: ThreadedServer) -> None:
    token = server.add_officer("刘洋")
    cid = str(uuid.uuid4())
    with client(server, token) as c:
        assert push(c, cid, [company(1, "甲")]).status_code == 200
        before = snapshot(server)
        json_headers = {"Content-Type": "application/json"}
        cases: list[tuple[httpx.Response, int, str]] = [
            (c.post("/v1/push", content=b'{"client_id": ', headers=json_headers), 422, protocol.ERR_INVALID),
            (
                c.post("/v1/push", content=b"\xff\xfe\x00garbage", headers=json_headers),
                422,
                protocol.ERR_INVALID,
            ),
            (c.post("/v1/push", content=b"[]", headers=json_headers), 422, protocol.ERR_INVALID),
            (c.post("/v1/push", content=b"null", headers=json_headers), 422, protocol.ERR_INVALID),
            (push(c, cid, [{**company(2), "client_seq": "two"}]), 422, protocol.ERR_INVALID),
            (push(c, cid, [{**company(2), "client_seq": 2.5}]), 422, protocol.ERR_INVALID),
            (push(c, cid, [{**company(2), "fields": ["name", "乙"]}]), 422, protocol.ERR_INVALID),
            (push(c, cid, [{**company(2), "base_version": -1}]), 422, protocol.ERR_INVALID),
            (push(c, cid, [{**company(2), "op_id": "not-a-uuid"}]), 422, protocol.ERR_INVALID),
            (push(c, cid, [{**company(2), "surprise": True}]), 422, protocol.ERR_INVALID),
            (push(c, cid, {"ops": "all of them"}), 422, protocol.ERR_INVALID),  # type: ignore[arg-type]
            (push(c, "../../etc/passwd", [company(2)]), 422, protocol.ERR_INVALID),
            (c.post("/v1/push", json={"client_id": cid, "ops": []}), 422, protocol.ERR_INVALID),
            # a gap, a repeat with another op, a batch that is not consecutive
            (push(c, cid, [company(3)]), 409, protocol.ERR_SEQ_GAP),
            (push(c, cid, [company(1, "冒用")]), 409, protocol.ERR_SEQ_REUSED),
            (push(c, cid, [company(2), company(4)]), 422, protocol.ERR_INVALID),
            (push(c, cid, [company(2), company(2)]), 422, protocol.ERR_INVALID),
            # schema versions the server does not speak
            (push(c, cid, [company(2)], schema_version=0), 422, protocol.ERR_INVALID),
            (push(c, cid, [company(2)], schema_version=protocol.SCHEMA_VERSION + 1), 409, "schema_too_new"),
            (push(c, cid, [{**company(2), "schema_version": 99}]), 409, "schema_too_new"),
            # too many ops, too many bytes (declared, and streamed without a length)
            (
                push(c, cid, [company(i + 2) for i in range(protocol.MAX_BATCH_OPS + 1)]),
                422,
                protocol.ERR_INVALID,
            ),
            (
                push(c, cid, [op(2, "company", {"name": "x" * (protocol.MAX_BODY_BYTES + 1)})]),
                413,
                "too_large",
            ),
        ]

        def stream() -> Iterator[bytes]:
            yield b'{"client_id": "' + cid.encode() + b'", "schema_version": 1, "ops": [], "pad": "'
            for _ in range(protocol.MAX_BODY_BYTES // 65_536 + 1):
                yield b"y" * 65_536
            yield b'"}'

        cases.append((c.post("/v1/push", content=stream(), headers=json_headers), 413, "too_large"))
        for response, status, code in cases:
            refused(response, status, code)
        assert refused(push(c, cid, [company(5)]), 409, protocol.ERR_SEQ_GAP)["expected_seq"] == 2
        assert snapshot(server) == before
        # another officer's token with this laptop's client id
        other = server.add_officer("周敏", team="二组")
        after_add = snapshot(server)
        with client(server, other) as c2:
            refused(push(c2, cid, [company(2)]), 403, protocol.ERR_CLIENT_NOT_YOURS)
        assert snapshot(server) == after_add
        # and the queue goes on from where it was
        assert push(c, cid, [company(2, "乙")]).json()["last_seq"] == 2


# --- values the domain refuses -------------------------------------------------------------------------------


def _bad_values(team_id: str) -> list[tuple[str, dict[str, Any], str, str]]:
    """(entity, fields, field named in the error, error code)."""
    project = {"name": "坏数据项目", "owner_team_id": team_id}
    receipt = {
        "received_on": "2026-03-01",
        "amount": "100",
        "currency": "USD",
        "rate_to_usd": "1",
        "amount_usd": "100",
    }
    return [
        ("project", {**project, "planned_investment": "-5"}, "planned_investment", "negative_amount"),
        ("project", {**project, "total_investment": "-0.01"}, "total_investment", "negative_amount"),
        ("project", {**project, "total_investment": "一亿"}, "total_investment", "not_a_number"),
        ("project", {**project, "total_investment": 1.5e8}, "total_investment", "not_a_number"),
        ("project", {**project, "total_investment": "NaN"}, "total_investment", "not_a_number"),
        ("project", {**project, "total_investment": "Infinity"}, "total_investment", "not_a_number"),
        ("project", {**project, "total_investment": "1e999999"}, "total_investment", "too_large"),
        ("project", {**project, "total_investment": "1e-999999"}, "total_investment", "too_large"),
        ("project", {**project, "total_investment": True}, "total_investment", "not_a_number"),
        ("project", {**project, "total_investment": {"amount": 1}}, "total_investment", "not_a_number"),
        ("project", {**project, "total_investment": "9" * 60}, "total_investment", "too_large"),
        ("project", {**project, "committed_jobs": -3}, "committed_jobs", "negative_amount"),
        ("project", {**project, "total_investment_currency": "usd"}, "total_investment_currency", "bad_currency"),
        ("project", {**project, "contract_signed_on": "2099-01-01"}, "contract_signed_on", "implausible_date"),
        ("project", {**project, "created_at": "1970-01-01T00:00:00"}, "created_at", "implausible_time"),
        ("project", {**project, "stage_since": "2099-12-31T23:59:59"}, "stage_since", "implausible_time"),
        ("project", {**project, "name": "x" * 201}, "name", "too_long"),
        ("project", {**project, "policy_asks": "长" * 1_000_000}, "policy_asks", "too_long"),
        ("project", {**project, "name": "有\x00空字符"}, "", "nul_character"),
        ("visit", {"project_id": str(uuid.uuid4()), "occurred_at": "1970-01-01T08:00:00+08:00"}, "occurred_at",
         "implausible_time"),
        ("visit", {"project_id": str(uuid.uuid4()), "occurred_at": "2099-06-01T00:00:00Z"}, "occurred_at",
         "implausible_time"),
        ("visit", {"project_id": str(uuid.uuid4()), "occurred_at": "0001-01-01T00:00:00+08:00"}, "occurred_at",
         "bad_time"),  # before year 1 in UTC: refused, not a 500
        ("capital_receipt", {**receipt, "project_id": str(uuid.uuid4()), "amount": "-100"}, "amount",
         "negative_amount"),
        ("capital_receipt", {**receipt, "project_id": str(uuid.uuid4()), "rate_to_usd": "abc"}, "rate_to_usd",
         "not_a_number"),
        ("company", {"name": "大公司", "aliases": ["别名" * 20_000]}, "aliases", "too_long"),
    ]  # fmt: skip


def test_values_the_domain_refuses_refuse_the_whole_batch(server: ThreadedServer) -> None:
    token = server.add_officer("吴刚", team="一组")
    cid = str(uuid.uuid4())
    with client(server, token) as c:
        team_id = c.get("/v1/whoami").json()["officer"]["team_id"]
        before = snapshot(server)
        for entity, fields, field, code in _bad_values(team_id):
            bad = op(2, entity, fields)
            r = push(c, cid, [company(1, "前"), bad, company(3, "后")])
            if r.status_code == 413:  # the 1 MB strings: refused by size before anything else
                assert len(r.request.content) > protocol.MAX_BODY_BYTES
                continue
            body = refused(r, 422, ERR_INVALID_OP)
            assert "Nothing was applied" in body["message"], body
            error = body["errors"][0]
            assert (error["client_seq"], error["op_id"], error["code"]) == (2, bad["op_id"], code), (
                entity,
                body,
            )
            assert (error["field"] or "") == field, body
            assert snapshot(server) == before, f"{entity}.{field}: something changed"
        # a 1 MB string that fits in the body limit is still refused
        huge = op(2, "note", {"project_id": str(uuid.uuid4()), "body": "x" * 1_000_000})
        refused(push(c, cid, [company(1), huge]), 422, ERR_INVALID_OP)
        assert snapshot(server) == before
        # every bad op of a batch is named
        r = push(c, cid, [op(1, "project", {"name": "p", "planned_investment": "-1", "committed_tax": "-2"})])
        assert {e["field"] for e in refused(r, 422, ERR_INVALID_OP)["errors"]} == {
            "planned_investment",
            "committed_tax",
        }
        # the laptop's sequence is untouched: the same numbers apply once the values are right
        ok = push(c, cid, [company(1, "前"), op(2, "project", {"name": "好项目", "owner_team_id": team_id,
                                                             "planned_investment": "0", "committed_jobs": 0}),
                           company(3, "后")])  # fmt: skip
        assert ok.status_code == 200 and [x["status"] for x in ok.json()["results"]] == ["applied"] * 3


def test_a_base_version_no_record_can_have_is_refused(server: ThreadedServer) -> None:
    """Found by fuzzing: on PostgreSQL an edit with base_version ≥ 2**31 meeting a tombstone was logged as a
    conflict in a 32-bit column; the database refused it and the client was told to retry (503) for ever."""
    token = server.add_officer("冯军", role="supervisor", team=None)
    with client(server, token) as c:
        cid, cid2, eid = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
        r = push(c, cid, [op(1, "company", {"name": "将删除"}, entity_id=eid),
                          op(2, "company", {}, kind="delete", entity_id=eid, base_version=1)])  # fmt: skip
        assert r.status_code == 200
        before = snapshot(server)
        for base in (2**31, 2**40, 2**53):
            body = refused(push(c, cid2, [op(1, "company", {"name": "复活"}, kind="update", entity_id=eid,
                                            base_version=base)]), 422, ERR_INVALID_OP)  # fmt: skip
            assert body["errors"][0]["code"] == "bad_base_version"
        assert snapshot(server) == before
        r = push(
            c,
            cid2,
            [op(1, "company", {"name": "复活"}, kind="update", entity_id=eid, base_version=2**31 - 1)],
        )
        # the largest base a version column can hold is still a base the server never handed out (issue 11.3)
        assert r.status_code == 200, r.text
        assert (r.json()["results"][0]["status"], r.json()["results"][0]["code"]) == ("rejected", "bad_base")
        assert snapshot(server)["records"] == before["records"]


# --- the stage flow --------------------------------------------------------------------------------------------


class Pusher:
    """One laptop's client id and sequence, spoken to directly."""

    def __init__(self, c: httpx.Client) -> None:
        self.c, self.cid, self.seq = c, str(uuid.uuid4()), 0

    def ops(self, *items: tuple[str, str, dict[str, Any], dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for n, (entity, kind, fields, kw) in enumerate(items, start=self.seq + 1):
            out.append(op(n, entity, fields, kind=kind, **kw))
        return out

    def send(self, *items: tuple[str, str, dict[str, Any], dict[str, Any]]) -> httpx.Response:
        r = push(self.c, self.cid, self.ops(*items))
        if r.status_code == 200:
            self.seq = r.json()["last_seq"]
        return r


def update(pid: str, base: int, **fields: Any) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    return ("project", "update", fields, {"entity_id": pid, "base_version": base})


def event(
    pid: str, frm: str | None, to: str, *, backwards: bool = False, note: str = "", **extra: Any
) -> Any:
    fields = {"project_id": pid, "kind": "stage", "from_value": frm, "to_value": to, "backwards": backwards,
              "note": note, **extra}  # fmt: skip
    return ("stage_event", "insert", fields, {})


def test_stage_moves_follow_the_flow(server: ThreadedServer) -> None:
    token = server.add_officer("郑爽", team="一组")
    with client(server, token) as c:
        me = c.get("/v1/whoami").json()["officer"]
        lap = Pusher(c)
        pid = str(uuid.uuid4())
        project = {"name": "阶段项目", "owner_team_id": me["team_id"], "leader_id": me["id"],
                   "service_officer_id": me["id"], "source_channel": "fair", "stage": "screening",
                   "company_id": str(uuid.uuid4())}  # fmt: skip
        r = lap.send(("project", "insert", project, {"entity_id": pid}), event(pid, None, "screening"))
        assert r.status_code == 200, r.text

        def stage() -> tuple[str, int]:
            rec = server.record("project", pid)
            assert rec is not None
            return rec["data"]["stage"], rec["version"]

        def refuse(*items: Any, code: str) -> dict[str, Any]:
            before = snapshot(server)
            body = refused(lap.send(*items), 422, ERR_INVALID_OP)
            assert body["errors"][0]["code"] == code, body
            assert snapshot(server) == before
            return body

        trailer = ("company", "insert", {"name": "随后的公司"}, {})
        refuse(update(pid, 1, stage="moon"), trailer, code="unknown_stage")
        refuse(update(pid, 1, stage=None), trailer, code="unknown_stage")
        refuse(event(pid, "screening", "orbit"), code="unknown_stage")
        refuse(event(pid, "screening", "screening"), code="stage_jump")
        refuse(event(pid, "negotiating", "screening", backwards=False, note="x"), code="stage_jump")
        refuse(
            event(pid, "negotiating", "screening", backwards=True, note="  "),
            code="stage_back_without_reason",
        )
        # the next stage: accepted (the laptop checked what it needs)
        assert (
            lap.send(update(pid, 1, stage="negotiating"), event(pid, "screening", "negotiating")).status_code
            == 200
        )
        assert stage() == ("negotiating", 2)
        # a jump over stages whose requirements are missing
        body = refuse(
            update(pid, 2, stage="registered"), event(pid, "negotiating", "registered"), code="stage_jump"
        )
        assert "intent_signed" in body["message"] or "signing" in body["message"].lower(), body["message"]
        # the same jump with what the stages need (in the op itself, or earlier in the batch)
        needs = {"intent_signed_on": "2026-05-01", "planned_investment": "300000000",
                 "contract_signed_on": "2026-06-01", "total_investment": "300000000"}  # fmt: skip
        r = lap.send(update(pid, 2, **needs), update(pid, 2, stage="contract_signed"),
                     event(pid, "negotiating", "contract_signed"))  # fmt: skip
        assert r.status_code == 200, r.text
        assert stage()[0] == "contract_signed"
        # back without its reason (and not the batch's last op): refused; with it: accepted
        version = stage()[1]
        refuse(update(pid, version, stage="negotiating"), trailer, code="stage_back_without_reason")
        refuse(update(pid, version, stage="negotiating"), event(pid, "contract_signed", "intent_signed", backwards=True,
                                                                 note="wrong target"), code="stage_back_without_reason")  # fmt: skip
        r = lap.send(update(pid, version, stage="negotiating"),
                     event(pid, "contract_signed", "negotiating", backwards=True, note="投资方调整方案"))  # fmt: skip
        assert r.status_code == 200 and stage()[0] == "negotiating"
        # a move back as the batch's last op: its event opens the next batch and is judged there
        assert lap.send(update(pid, stage()[1], stage="intent_signed")).status_code == 200
        r = lap.send(update(pid, stage()[1], stage="screening"))
        assert r.status_code == 200 and stage()[0] == "screening"
        refuse(event(pid, "intent_signed", "screening", backwards=True), code="stage_back_without_reason")
        assert (
            lap.send(event(pid, "intent_signed", "screening", backwards=True, note="重新研判")).status_code
            == 200
        )


def test_a_stage_changed_by_someone_else_is_a_conflict_not_a_refusal(server: ThreadedServer) -> None:
    a = server.add_officer("甲专员", team="一组")
    b = server.add_officer("乙专员", team="一组")
    with client(server, a) as ca, client(server, b) as cb:
        me = ca.get("/v1/whoami").json()["officer"]
        lap_a, lap_b = Pusher(ca), Pusher(cb)
        pid = str(uuid.uuid4())
        project = {"name": "并行项目", "owner_team_id": me["team_id"], "leader_id": me["id"],
                   "service_officer_id": me["id"], "source_channel": "fair"}  # fmt: skip
        assert lap_a.send(("project", "insert", project, {"entity_id": pid})).status_code == 200
        # A moves on twice; B, who last saw version 1 (screening), moves it to negotiating and then back
        for to, frm in (("negotiating", "screening"), ("intent_signed", "negotiating")):
            extra = (
                {"intent_signed_on": "2026-01-05", "planned_investment": "1"} if to == "intent_signed" else {}
            )
            version = server.record("project", pid)["version"]  # type: ignore[index]
            assert lap_a.send(update(pid, version, stage=to, **extra), event(pid, frm, to)).status_code == 200
        # judged against the server row this would be a move back without a reason; it is a field conflict
        r = lap_b.send(update(pid, 1, stage="screening"), ("company", "insert", {"name": "后"}, {}))
        assert r.status_code == 200, r.text
        result = r.json()["results"][0]
        assert result["status"] == "conflict" and result["conflicts"][0]["field"] == "stage"
        assert server.record("project", pid)["data"]["stage"] == "intent_signed"  # type: ignore[index]
        # B decides "mine": an update based on the server's version, which jumps back; the open conflict lets it
        conflict = result["conflicts"][0]
        server_version = conflict["server_version"]
        r = lap_b.send(update(pid, server_version, stage="screening"),
                       ("project", "resolve", {"conflict_id": conflict["conflict_id"], "resolution": "mine"}, {}),
                       ("company", "insert", {"name": "再后"}, {}))  # fmt: skip
        assert r.status_code == 200, r.text
        assert server.record("project", pid)["data"]["stage"] == "screening"  # type: ignore[index]


def test_laptops_moving_stages_sync_through_the_checks(zone: Zone) -> None:
    """The real client: forward moves and a move back with its reason, sent one op per batch (so the move
    back is the last op of its batch and its event opens the next)."""
    from zsfield.domain.models import Project
    from zsfield.store.actions.projects import move_stage

    lap = zone.laptop("林晓", team="一组")
    pid = make_project(lap, "真实阶段项目")
    with lap.store.write(lap.officer_id) as w:
        move_stage(w, w.session.get(Project, pid), "negotiating")
    with lap.store.write(lap.officer_id) as w:
        move_stage(w, w.session.get(Project, pid), "screening", note="补充研判材料")
    for batch_ops in (1, 500):
        result = lap.sync(batch_ops=batch_ops)
        assert result.ok and result.rejections == 0, result.error
        if batch_ops == 1:
            with lap.store.write(lap.officer_id) as w:
                move_stage(w, w.session.get(Project, pid), "negotiating")
    rec = zone.server.record("project", pid)
    assert rec is not None and rec["data"]["stage"] == "negotiating"
    events = [e["data"] for e in zone.server.records("stage_event") if e["data"]["project_id"] == pid]
    assert sorted((e["from_value"] or "", e["to_value"], e["backwards"]) for e in events) == [
        ("", "screening", False),
        ("negotiating", "screening", True),
        ("screening", "negotiating", False),
        ("screening", "negotiating", False),
    ]
