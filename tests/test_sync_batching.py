"""Batch sync at speed (issue 7) without weaker guarantees: batch boundaries and the size limit, the limits a
server advertises, the fast paths (field normalisers, reply parsing) agreeing with the reference rules, an
index-backed pull query, a first pull that builds its indexes once (and never leaves the file without one it
does not name), and a sync with nothing to do that commits nothing but its result."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import select

from sync_helpers import SimulatedCrash, Zone, backends, edit_project, make_project, visit, zone_fixture
from zsfield import protocol
from zsfield.domain.codec import encode_record, field_names
from zsfield.domain.models import ENTITIES, Company
from zsfield.store import Store, indexes, outbox, pull, push, sync_state
from zsfield.store.errors import DiskFull


@pytest.fixture(params=backends())
def zone(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Zone]:
    yield from zone_fixture(request.param, tmp_path)


def _companies(store: Store, n: int, *, note: str = "") -> None:
    with store.write("me") as w:
        w.insert_rows(
            "company",
            [{"id": str(uuid.uuid4()), "name": f"公司{i}", "country": "CN", "note": note} for i in range(n)],
        )


# --- the outbox in batches ------------------------------------------------------------------------------------


def test_batches_stop_at_the_op_limit_and_the_body_limit(store: Store) -> None:
    _companies(store, 7, note="备注" * 100)
    assert [op.client_seq for op in outbox.read_outbox(store, max_ops=7)] == list(range(1, 8))
    assert len(outbox.read_outbox(store, max_ops=6)) == 6
    client_id = str(uuid.uuid4())
    everything = outbox.read_outbox(store, max_ops=100, max_bytes=10**7)
    whole = len(outbox.push_body(client_id, everything))
    allowance = outbox._ENVELOPE_BYTES  # room kept for the envelope around the ops
    assert len(outbox.read_outbox(store, max_ops=100, max_bytes=whole + allowance)) == 7
    for limit in range(whole - 3000, whole + allowance, 97):
        batch = outbox.read_outbox(store, max_ops=100, max_bytes=limit)
        assert 1 <= len(batch) < 7 or limit >= whole
        assert len(outbox.push_body(client_id, batch)) <= limit  # never over the limit
        if len(batch) < 7:  # and no room was wasted: one more op would not have fitted
            more = outbox.read_outbox(store, max_ops=len(batch) + 1, max_bytes=10**7)
            assert len(outbox.push_body(client_id, more)) + allowance > limit


def test_the_push_body_is_a_valid_push_request_carrying_the_outbox_as_stored(store: Store) -> None:
    with store.write("me") as w:
        w.insert(Company(name="甲", aliases=["甲公司", "JIA"]))
    _companies(store, 2)
    batch = outbox.read_outbox(store)
    request = protocol.PushRequest.model_validate_json(
        outbox.push_body("0" * 8 + "-0000-0000-0000-" + "0" * 12, batch)
    )
    assert [op.model_dump() for op in request.ops] == [op.to_wire().model_dump() for op in batch]
    assert request.ops[0].fields["aliases"] == ["甲公司", "JIA"] and batch[0].fields["aliases"] == [
        "甲公司",
        "JIA",
    ]


# --- against the server -----------------------------------------------------------------------------------------


def test_a_batch_at_the_op_limit_goes_in_one_push_and_one_more_op_in_a_second(zone: Zone) -> None:
    a1 = zone.laptop("A1")
    _companies(a1.store, protocol.MAX_BATCH_OPS + 1)
    result = a1.sync()
    assert result.ok and result.pushed == protocol.MAX_BATCH_OPS + 1 and result.batches == 2
    assert a1.outbox() == 0 and len(zone.server.records("company")) == protocol.MAX_BATCH_OPS + 1
    assert {r["version"] for r in a1.rows("company")} == {1}
    a2 = zone.laptop("A2")
    pulled = a2.sync(page_size=protocol.MAX_PULL_LIMIT)
    assert pulled.ok and len(a2.rows("company")) == protocol.MAX_BATCH_OPS + 1


def test_a_push_at_the_size_limit_is_accepted(zone: Zone) -> None:
    token = zone.server.add_officer("边界")
    cid = str(uuid.uuid4())
    ops = [
        {"client_seq": i + 1, "op_id": str(uuid.uuid4()), "entity": "company", "entity_id": str(uuid.uuid4()),
         "op": "insert", "fields": {"name": f"公司{i}", "note": ""}, "base_version": 0,
         "schema_version": protocol.SCHEMA_VERSION}
        for i in range(protocol.MAX_BATCH_OPS)
    ]  # fmt: skip
    body = orjson.dumps({"client_id": cid, "schema_version": protocol.SCHEMA_VERSION, "ops": ops})
    each, extra = divmod(protocol.MAX_BODY_BYTES - len(body), len(ops))
    for i, op in enumerate(ops):  # notes of ~2,000 characters make the body exactly MAX_BODY_BYTES
        op["fields"]["note"] = "x" * (each + (i < extra))
    body = orjson.dumps({"client_id": cid, "schema_version": protocol.SCHEMA_VERSION, "ops": ops})
    assert len(body) == protocol.MAX_BODY_BYTES
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with httpx.Client(base_url=zone.server.url, headers=headers, timeout=120) as c:
        r = c.post("/v1/push", content=body)
        assert r.status_code == 200, r.text
        reply = protocol.PushResponse.model_validate_json(r.content)
        assert reply.last_seq == protocol.MAX_BATCH_OPS and {x.status for x in reply.results} == {"applied"}
        assert c.post("/v1/push", content=body + b" ").status_code == 413  # one byte more
        again = protocol.PushResponse.model_validate_json(c.post("/v1/push", content=body).content)
        assert all(x.replayed for x in again.results)
        assert [x.server_seq for x in again.results] == [x.server_seq for x in reply.results]


def test_the_client_keeps_to_the_limits_the_server_advertises(
    zone: Zone, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zsfield_sync import admin

    whoami = admin.whoami

    def small(engine: Any, actor: Any) -> protocol.WhoAmI:
        who = whoami(engine, actor)
        return who.model_copy(update={"limits": protocol.Limits(max_batch_ops=7, max_pull_limit=5)})

    monkeypatch.setattr(admin, "whoami", small)
    a1, a2 = zone.laptop("A1"), zone.laptop("A2")
    _companies(a1.store, 20)
    pushed = a1.sync()
    assert pushed.ok and pushed.batches == 3 and pushed.pushed == 20
    pulled = a2.sync()
    assert pulled.ok and len(a2.rows("company")) == 20 and pulled.pages >= 20 // 5


def test_a_rejected_op_replays_with_its_code_and_message(zone: Zone) -> None:
    token = zone.server.add_officer("重放")
    cid = str(uuid.uuid4())
    op = {"client_seq": 1, "op_id": str(uuid.uuid4()), "entity": "team", "entity_id": str(uuid.uuid4()),
          "op": "insert", "fields": {"name": "新组"}, "base_version": 0, "schema_version": 1}  # fmt: skip
    with httpx.Client(base_url=zone.server.url, headers={"Authorization": f"Bearer {token}"}) as c:
        body = {"client_id": cid, "schema_version": 1, "ops": [op]}
        first = protocol.PushResponse.model_validate(c.post("/v1/push", json=body).json())
        again = protocol.PushResponse.model_validate(c.post("/v1/push", json=body).json())
    (a,), (b,) = first.results, again.results
    assert a.status == b.status == "rejected" and a.code == b.code == protocol.REJECT_FORBIDDEN
    assert a.message == b.message and b.replayed and not a.replayed


def test_a_sync_with_nothing_to_do_commits_only_its_result(
    zone: Zone, monkeypatch: pytest.MonkeyPatch
) -> None:
    a1 = zone.laptop("A1")
    pid = make_project(a1, "空同步")
    visit(a1, pid, "拜访")
    assert a1.sync().ok and a1.sync().ok
    cursor = a1.store.get_state(sync_state.K_CURSOR)
    writes: list[str] = []
    real_write = Store.write

    def counting(self: Store, *a: Any, **k: Any) -> Any:
        writes.append("write")
        return real_write(self, *a, **k)

    monkeypatch.setattr(Store, "write", counting)
    result = a1.sync()
    assert result.ok and result.pushed == 0 and result.pulled == 0 and result.pages == 1
    assert writes == [] and a1.store.get_state(sync_state.K_CURSOR) == cursor
    assert orjson.loads(a1.store.get_state(sync_state.K_LAST_RESULT) or "{}")["ok"] is True


# --- the next request goes out while the last reply is stored ------------------------------------------------


class _Overlap(httpx.BaseTransport):
    """The laptop's transport, counting how many of its requests are in flight at once."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner, self.now, self.most, self.paths = inner, 0, 0, []
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
            self.paths.append(request.url.path)
        try:
            return self.inner.handle_request(request)
        finally:
            with self.lock:
                self.now -= 1


def test_pipelined_batches_and_pages_reach_the_server_one_at_a_time_and_in_order(zone: Zone) -> None:
    a1, a2 = zone.laptop("A1"), zone.laptop("A2")
    _companies(a1.store, 23)
    seen = _Overlap(a1.transport)
    result = a1.sync(batch_ops=5, transport=seen)
    assert result.ok and result.batches == 5 and result.pushed == 23 and a1.outbox() == 0
    assert seen.most == 1 and seen.paths.count("/v1/push") == 5
    from zsfield_sync.storage import op_log, read_tx

    client_id = a1.store.get_state(sync_state.K_CLIENT_ID)
    with read_tx(zone.server.engine) as conn:
        logged = conn.execute(
            select(op_log.c.client_seq).where(op_log.c.client_id == client_id).order_by(op_log.c.client_seq)
        ).scalars()
        assert list(logged) == list(range(1, 24))
    pages = _Overlap(a2.transport)
    pulled = a2.sync(page_size=4, transport=pages)
    assert pulled.ok and pages.most == 1 and len(a2.rows("company")) == 23


def test_a_reply_that_cannot_be_stored_stops_the_sync_with_every_op_kept(
    zone: Zone, monkeypatch: pytest.MonkeyPatch
) -> None:
    a1 = zone.laptop("A1")
    _companies(a1.store, 12)
    real = push.apply_push_reply
    calls = {"n": 0}

    def full_disk(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if (
            calls["n"] == 2
        ):  # the first reply is stored; the second meets a full disk, the third is on its way
            raise DiskFull("store.disk_full", path=a1.store.path)
        return real(*args, **kwargs)

    monkeypatch.setattr(push, "apply_push_reply", full_disk)
    result = a1.sync(batch_ops=4)
    assert not result.ok and result.error_kind == "store" and result.pushed == 4
    assert a1.outbox() == 8  # the ops of the reply not stored stay, and those of the batch sent meanwhile
    assert len(zone.server.records("company")) == 12  # the server had applied both batches
    again = a1.sync(batch_ops=4)
    assert again.ok and again.replayed == 8 and a1.outbox() == 0
    assert len(zone.server.records("company")) == 12 and {r["version"] for r in a1.rows("company")} == {1}


# --- the first pull into an empty laptop builds its indexes once ------------------------------------------------


def _indexes(store: Store) -> list[tuple[str, str]]:
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name")
        return [(name, sql) for name, sql in rows]


def _migrated_indexes(tmp_path: Path) -> list[tuple[str, str]]:
    with Store.open(tmp_path / "fresh.db") as fresh:
        return _indexes(fresh)


def test_a_first_pull_puts_the_indexes_aside_and_builds_them_at_its_end(
    zone: Zone, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(pull, "BULK_ROWS", 5)  # pages of 20: a bulk load in miniature
    a1 = zone.laptop("A1")
    _companies(a1.store, 40)
    assert a1.sync().ok
    migrated = _migrated_indexes(tmp_path)
    a2 = zone.laptop("A2")
    seen: list[tuple[bool, bool]] = []

    def look(stage: str) -> None:  # each page as it arrives, before it is stored
        if stage == "pull:page":
            names = {name for name, _ in _indexes(a2.store)}
            seen.append(("ix_company_name" in names, bool(a2.store.get_state(indexes.K_DEFERRED))))

    result = a2.sync(page_size=20, fault=look)
    assert result.ok and result.pages == 3 and len(a2.rows("company")) == 40
    # before the first page: all there; then put aside (and named) until the last page is stored
    assert seen == [(True, False), (False, True), (False, True)]
    assert _indexes(a2.store) == migrated and a2.store.get_state(indexes.K_DEFERRED) is None

    b1 = zone.laptop("B1", team="二组")  # companies are the zone's: B1 pulls them too, and is cut short

    def crash(stage: str) -> None:
        if stage == "pull:page" and b1.store.get_state(indexes.K_DEFERRED):
            raise SimulatedCrash(stage)

    with pytest.raises(SimulatedCrash):
        b1.sync(page_size=20, fault=crash)
    assert _indexes(b1.store) == migrated and b1.store.get_state(indexes.K_DEFERRED) is None
    assert int(b1.store.get_state(sync_state.K_CURSOR) or 0) > 0
    assert 5 <= len(b1.rows("company")) < 20  # the first page and its cursor (offices, teams, officers first)
    assert b1.sync().ok and len(b1.rows("company")) == 40 and _indexes(b1.store) == migrated


def _company_page(first: int, n: int, *, has_more: bool) -> dict[str, Any]:
    changes = []
    for seq in range(first, first + n):
        data = {k: v for k, v in encode_record(Company(id=str(uuid.uuid4()), name=f"公司{seq}")).items()}
        changes.append(
            {"entity": "company", "id": data.pop("id"), "version": 1, "deleted": False, "server_seq": seq,
             "data": data}
        )  # fmt: skip
    last = first + n - 1
    return {"changes": changes, "cursor": last, "has_more": has_more, "epoch": "e1", "head": last + 100}


def test_a_crash_in_a_first_pull_leaves_its_indexes_named_and_the_next_open_builds_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(pull, "BULK_ROWS", 5)
    path = tmp_path / "laptop.db"
    store = Store.open(path)
    migrated = _indexes(store)
    pull.apply_pull_page(store, _company_page(1, 10, has_more=True))
    pull.apply_pull_page(store, _company_page(11, 10, has_more=True))
    names = {name for name, _ in _indexes(store)}
    assert "ix_company_name" not in names and "ix_lead_team_id" in names  # only the table the pull fills
    assert "ix_company_name" in (store.get_state(indexes.K_DEFERRED) or "")
    store.close()  # the process dies here: the pull never ends
    again = Store.open(path)
    try:
        assert _indexes(again) == migrated and again.get_state(indexes.K_DEFERRED) is None
        assert again.get_state(sync_state.K_CURSOR) == "20"
        assert again.scalar("SELECT count(*) FROM company") == 20
        assert again.scalar("PRAGMA integrity_check") == "ok"
        # an ordinary page into a table that has rows leaves every index in place
        pull.apply_pull_page(again, _company_page(21, 10, has_more=True))
        assert _indexes(again) == migrated and again.get_state(indexes.K_DEFERRED) is None
    finally:
        again.close()


# --- the pull query is index-backed ------------------------------------------------------------------------------


@pytest.mark.parametrize("supervisor", [False, True])
def test_the_pull_query_walks_an_index_never_the_whole_table(tmp_path: Path, supervisor: bool) -> None:
    from sqlalchemy import text

    from zsfield_sync.auth import Actor
    from zsfield_sync.pull import _pull_rows
    from zsfield_sync.storage import open_storage

    engine = open_storage(f"sqlite:///{tmp_path / 'server.db'}")
    actor = Actor("o", "o", "supervisor" if supervisor else "officer", "team-1", None)
    seen: list[tuple[str, dict[str, Any]]] = []

    class Capture:
        def execute(self, sql: Any, params: dict[str, Any]) -> Any:
            seen.append((str(sql), params))
            return self

        def all(self) -> list[Any]:
            return []

    _pull_rows(Capture(), actor, 10, 501)
    ((sql, params),) = seen
    with engine.connect() as conn:
        plan = [r[-1] for r in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}"), params)]
    engine.dispose()
    assert any("USING INDEX ix_records_" in step for step in plan), plan
    assert not any(step.startswith("SCAN records") for step in plan), plan


# --- fast paths agree with the reference rules -------------------------------------------------------------------

_SAMPLES: list[Any] = [
    None, "", "abc", "x" * 300, "2026-11-23T08:00:00.000000", "2026-11-23T08:00:00", "2026-11-23T08:00:00Z",
    "2026-11-23T08:00:00.00000Z", "2026-11-23T16:00:00+08:00", "2026-11-23", "20261123", "2026-02-30",
    "1500000.00", "1e3", "-0", "NaN", "１２", 0, 7, -3, 2**40, 1.5, True, False, [], ["a"], {}, {"k": 1},
    "visit", "negotiating", "CNY", "fair", "0", "0.05", "12.50", "007", "1.", ".5", "0.0000001", "1" * 40,
    "1" * 41, "100004996", "2.5e-3", "+1",
]  # fmt: skip


def test_the_compiled_field_normalisers_agree_with_decode_then_encode() -> None:
    from zsfield_sync.push_values import Refused, _normaliser, _slow_normalise

    def outcome(fn: Any, value: Any) -> Any:
        try:
            return ("ok", fn(value))
        except Refused as exc:
            return ("refused", exc.code, exc.message)

    checked = 0
    for entity in ENTITIES:
        for name in sorted(field_names(entity)) + ["no_such_field"]:
            fast = _normaliser(entity, name)
            for value in _SAMPLES:
                slow = outcome(lambda v, e=entity, n=name: _slow_normalise(e, n, v), value)
                assert outcome(fast, value) == slow, (entity, name, value)
                checked += 1
    assert checked > 1000


@given(
    st.one_of(
        st.from_regex(r"[0-9]{1,45}(\.[0-9]{0,45})?", fullmatch=True),
        st.decimals(allow_nan=True).map(str),
        st.text(alphabet="0123456789.-+eE ", max_size=45),
    )
)
@settings(max_examples=300, deadline=None)
def test_the_plain_amount_shortcut_agrees_with_the_money_rules(text: str) -> None:
    from zsfield.domain.fields import _amount_problem, check_amount

    assert check_amount(text) == _amount_problem(text)


@given(st.datetimes(), st.sampled_from(["", "Z", "+08:00", "-05:30"]), st.sampled_from(["seconds", "auto"]))
@settings(max_examples=200, deadline=None)
def test_the_naive_timestamp_shortcut_agrees_with_the_column_round_trip(
    when: Any, zone_suffix: str, spec: str
) -> None:
    from zsfield.domain.fields import _instant, _round_trip

    text = when.isoformat(timespec=spec) + zone_suffix
    try:
        expected = ("ok", _round_trip(text))
    except (ValueError, TypeError, OverflowError) as exc:
        expected = ("error", type(exc))
    try:
        got = ("ok", _instant(text))
    except (ValueError, TypeError, OverflowError) as exc:
        got = ("error", type(exc))
    assert got == expected


def _record(**kw: Any) -> dict[str, Any]:
    return {"entity": "company", "id": "i", "version": 1, "deleted": False, "server_seq": 3, "data": {"name": "甲"},
            **kw}  # fmt: skip


@pytest.mark.parametrize(
    "changes",
    [
        [_record()],
        [_record(version="2")],  # lax: the model coerces it
        [_record(deleted=1)],
        [],
    ],
)
def test_the_pull_reply_parser_agrees_with_the_model(changes: list[dict[str, Any]]) -> None:
    body = orjson.dumps({"changes": changes, "cursor": 3, "has_more": False, "epoch": "e", "head": 3})
    assert protocol.parse_pull_reply(body) == protocol.PullResponse.model_validate_json(body).model_dump()


@pytest.mark.parametrize(
    "bad",
    [
        {"changes": [_record(extra=1)], "cursor": 3, "has_more": False, "epoch": "e", "head": 3},
        {"changes": [_record(data=[1])], "cursor": 3, "has_more": False, "epoch": "e", "head": 3},
        {"changes": [], "cursor": "x", "has_more": False, "epoch": "e", "head": 3},
        {"changes": [], "cursor": 3, "has_more": False, "epoch": "e"},
    ],
)
def test_the_pull_reply_parser_refuses_what_the_model_refuses(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        protocol.parse_pull_reply(orjson.dumps(bad))
    with pytest.raises(ValueError):
        protocol.parse_pull_reply(b"{not json")


@pytest.mark.parametrize(
    "result",
    [
        {"client_seq": 1, "op_id": "o", "status": "applied", "version": 1, "server_seq": 9},
        {"client_seq": 1, "op_id": "o", "status": "applied", "version": 2, "server_seq": 9, "record": _record()},
        {"client_seq": 1, "op_id": "o", "status": "rejected", "code": "forbidden", "message": "不行"},
        {"client_seq": 1, "op_id": "o", "status": "conflict", "version": 2, "server_seq": 9, "record": _record(),
         "conflicts": [{"conflict_id": "c", "field": "name", "mine": "甲", "theirs": "乙", "base_version": 1,
                        "server_version": 2}]},
        {"client_seq": "1", "op_id": "o", "status": "applied"},
    ],
)  # fmt: skip
def test_the_push_reply_parser_agrees_with_the_model(result: dict[str, Any]) -> None:
    body = orjson.dumps({"client_id": "c", "last_seq": 1, "epoch": "e", "results": [result]})
    assert protocol.parse_push_reply(body) == protocol.PushResponse.model_validate_json(body).model_dump()
    with pytest.raises(ValidationError):
        protocol.parse_push_reply(
            orjson.dumps(
                {"client_id": "c", "last_seq": 1, "epoch": "e", "results": [{**result, "status": "maybe"}]}
            )
        )


def test_the_op_log_keeps_results_without_their_records(zone: Zone) -> None:
    from sqlalchemy import select

    from zsfield_sync.storage import op_log, read_tx

    a1 = zone.laptop("A1")
    pid = make_project(a1, "日志")
    assert a1.sync().ok
    edit_project(a1, pid, park_area="东区")  # an update: its reply carries the record
    assert a1.sync().ok
    with read_tx(zone.server.engine) as conn:
        stored = [orjson.loads(r) for r in conn.execute(select(op_log.c.result)).scalars()]
    assert stored and all("record" not in r and r["status"] == "applied" for r in stored)
