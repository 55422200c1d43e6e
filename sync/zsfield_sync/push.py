"""The push, without HTTP: parse the body, check the schema, apply a batch in one write transaction.

The batch's checks (:mod:`zsfield_sync.push_checks`) and its apply (:mod:`zsfield_sync.push_apply`) run in
that transaction, on the same records; a refused batch leaves nothing behind.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import Engine, select, update

from zsfield import protocol
from zsfield.protocol import (
    PushRequest,
    PushResponse,
)
from zsfield_sync.auth import Actor, ApiError
from zsfield_sync.push_apply import (
    NAMED,
    BatchApplier,
    op_result,
    readable,
)
from zsfield_sync.push_checks import check_push
from zsfield_sync.storage import (
    clients,
    get_epoch,
    now_text,
    op_log,
    write_tx,
)

# --- push ---------------------------------------------------------------------------------------------------


def check_schema(version: int) -> None:
    if version < protocol.MIN_SCHEMA_VERSION:
        raise ApiError(
            426,
            protocol.ERR_SCHEMA_TOO_OLD,
            f"This zsfield speaks sync schema {version}; the server needs at least "
            f"{protocol.MIN_SCHEMA_VERSION}. Update zsfield, then sync again (your changes are kept).",
        )
    if version > protocol.SCHEMA_VERSION:
        raise ApiError(
            409,
            protocol.ERR_SCHEMA_TOO_NEW,
            f"This zsfield speaks sync schema {version}, newer than the server's {protocol.SCHEMA_VERSION}. "
            "Ask your admin to update the server; your changes are kept until then.",
        )


def push_reply(engine: Engine, actor: Actor, req: PushRequest) -> dict[str, Any]:
    """Apply a batch: replay ops already seen, apply ``last_seq + 1`` onwards, refuse a gap; one transaction,
    which first checks the batch against the domain's rules (:func:`~zsfield_sync.push_checks.check_push`: a
    422 ``invalid_op`` and nothing applied) on the records the apply then changes. Returns the
    :class:`~zsfield.protocol.PushResponse` as a plain dict (ready for ``orjson.dumps``)."""
    check_schema(req.schema_version)
    for op in req.ops:
        check_schema(op.schema_version)
    now = now_text()
    with write_tx(engine) as tx:
        conn = tx.conn
        row = conn.execute(select(clients).where(clients.c.client_id == req.client_id)).first()
        last = 0 if row is None else int(row.last_seq)
        applier = BatchApplier(tx, actor, req.client_id, now=now, pulled_to=req.pulled_to)
        applier.prefetch(req.ops)  # the records of new ops and of replayed ones (their reply carries them)
        check_push(conn, applier.load, req, last)  # the domain's rules, before any op applies
        for i, op in enumerate(req.ops[1:], start=1):
            if op.client_seq != req.ops[0].client_seq + i:
                raise ApiError(
                    422,
                    protocol.ERR_INVALID,
                    f"ops must have consecutive client_seq: op {i} has {op.client_seq}, "
                    f"expected {req.ops[0].client_seq + i}",
                )
        if row is None:
            conn.execute(
                clients.insert().values(
                    client_id=req.client_id, officer_id=actor.id, last_seq=0, created_at=now, last_seen_at=now
                )
            )
        elif row.officer_id != actor.id:
            raise ApiError(
                403,
                protocol.ERR_CLIENT_NOT_YOURS,
                "This database's client id belongs to another officer: each officer syncs their own database.",
            )
        if req.ops and req.ops[0].client_seq > last + 1:
            raise ApiError(
                409,
                protocol.ERR_SEQ_GAP,
                f"The server holds this client's ops up to {last}; the batch starts at {req.ops[0].client_seq}. "
                "Nothing was applied.",
                expected_seq=last + 1,
            )
        seen = [op.client_seq for op in req.ops if op.client_seq <= last]
        stored: dict[int, Any] = {}
        if seen:
            stored = {
                int(r.client_seq): r
                for r in conn.execute(
                    select(op_log.c.client_seq, op_log.c.op_id, op_log.c.result).where(
                        op_log.c.client_id == req.client_id,
                        op_log.c.client_seq >= seen[0],
                        op_log.c.client_seq <= seen[-1],
                    )
                )
            }
        results: list[dict[str, Any]] = []
        replayed: list[dict[str, Any]] = []
        for op in req.ops:
            if op.client_seq <= last:
                old = stored.get(op.client_seq)
                if old is None or old.op_id != op.op_id:
                    raise ApiError(
                        409,
                        protocol.ERR_SEQ_REUSED,
                        f"Sequence number {op.client_seq} of this client was already used by another change: "
                        "this database was probably restored from a backup or copied. Nothing was applied.",
                    )
                logged = orjson.loads(old.result)
                named = logged.pop(NAMED, None)
                if named is not None and named != {
                    "officer": actor.id,
                    "op": op.op,
                    "entity": op.entity,
                    "id": op.entity_id,
                }:
                    # the same (client_seq, op_id) naming another record, kind or officer: never an honest
                    # resend (a laptop resends its op as it was), so it is not answered from the log
                    raise ApiError(
                        409,
                        protocol.ERR_SEQ_REUSED,
                        f"Sequence number {op.client_seq} of this client was used by a change of another "
                        "record: a replay must be the change the server acknowledged. Nothing was applied.",
                    )
                result = {**op_result(op.client_seq, op.op_id, "applied"), **logged}
                result["replayed"] = True
                results.append(result)
                replayed.append(result)
            else:
                results.append(applier.apply(op))
                last = op.client_seq
        applier.finish()
        for result in replayed:
            op = req.ops[result["client_seq"] - req.ops[0].client_seq]
            if result["status"] != "rejected" and op.op in ("insert", "update", "delete"):
                rec = applier.load(op.entity, op.entity_id) if op.entity else None
                # the record as it is now, if the officer may read it now (a supervisor may have moved it)
                visible = rec is not None and readable(actor, rec.scope)
                result["record"] = rec.state() if visible else None
        conn.execute(
            update(clients)
            .where(clients.c.client_id == req.client_id)
            .values(last_seq=last, last_seen_at=now)
        )
        epoch = get_epoch(conn)
    return {"client_id": req.client_id, "last_seq": last, "epoch": epoch, "results": results}


def push(engine: Engine, actor: Actor, req: PushRequest) -> PushResponse:
    """:func:`push_reply` as a :class:`~zsfield.protocol.PushResponse`."""
    return PushResponse.model_validate(push_reply(engine, actor, req))


def push_json(engine: Engine, actor: Actor, req: PushRequest) -> bytes:
    """:func:`push_reply` as the JSON body of the HTTP reply."""
    return orjson.dumps(push_reply(engine, actor, req))


def too_deep(value: Any, limit: int = protocol.MAX_JSON_DEPTH) -> bool:
    """Whether ``value`` nests more than ``limit`` levels of lists and dicts (``value`` itself is level 1).
    Walked without recursion, so no nesting can exhaust the stack."""
    if not isinstance(value, dict | list):
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return False


def parse_push(body: bytes) -> PushRequest:
    """A push body: parsed by orjson, validated by pydantic once for the whole batch. Raises
    :class:`pydantic.ValidationError` (the app answers 422), also for a body nested deeper than
    :data:`~zsfield.protocol.MAX_JSON_DEPTH`: orjson reads 1024 levels but writes only 254, so a value nested
    between the two would be accepted and then fail (a 500) wherever the server writes it as JSON."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise _invalid_json(body, str(exc)) from None
    if too_deep(data):
        raise _invalid_json(
            body, f"nested deeper than {protocol.MAX_JSON_DEPTH} levels of arrays and objects"
        ) from None
    return PushRequest.model_validate(data)


def _invalid_json(body: bytes, error: str) -> ValidationError:
    return ValidationError.from_exception_data(
        "PushRequest", [{"type": "json_invalid", "loc": (), "input": body[:100], "ctx": {"error": error}}]
    )
