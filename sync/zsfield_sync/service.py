"""What the endpoints do, without HTTP: push, pull, whoami, the conflict log; and the admin's officer commands.

Each function takes the engine and runs its own transaction, so the CLI, the app and the tests share them.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import Engine, select, text, update

from zsfield import __version__, protocol
from zsfield.protocol import (
    ConflictEntry,
    OfficerInfo,
    PullResponse,
    PushRequest,
    PushResponse,
    WhoAmI,
)
from zsfield_sync.accounts import accounts_changed
from zsfield_sync.apply import (
    CREATED,
    NAMED,
    SERVER_CLIENT,
    BatchApplier,
    Rec,
    dumps,
    op_result,
    readable,
    rec_from_row,
)
from zsfield_sync.auth import ROLES, Actor, ApiError, hash_token, new_token
from zsfield_sync.storage import (
    WriteTx,
    accounts,
    clients,
    conflicts,
    get_epoch,
    get_head,
    get_restore,
    now_text,
    offices,
    op_log,
    read_tx,
    records,
    teams,
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
    """Apply a batch: replay ops already seen, apply ``last_seq + 1`` onwards, refuse a gap; one transaction.
    Returns the :class:`~zsfield.protocol.PushResponse` as a plain dict (ready for ``orjson.dumps``)."""
    check_schema(req.schema_version)
    for op in req.ops:
        check_schema(op.schema_version)
    for i, op in enumerate(req.ops[1:], start=1):
        if op.client_seq != req.ops[0].client_seq + i:
            raise ApiError(
                422,
                protocol.ERR_INVALID,
                f"ops must have consecutive client_seq: op {i} has {op.client_seq}, "
                f"expected {req.ops[0].client_seq + i}",
            )
    now = now_text()
    with write_tx(engine) as tx:
        conn = tx.conn
        row = conn.execute(select(clients).where(clients.c.client_id == req.client_id)).first()
        if row is None:
            conn.execute(
                clients.insert().values(
                    client_id=req.client_id, officer_id=actor.id, last_seq=0, created_at=now, last_seen_at=now
                )
            )
            last = 0
        elif row.officer_id != actor.id:
            raise ApiError(
                403,
                protocol.ERR_CLIENT_NOT_YOURS,
                "This database's client id belongs to another officer: each officer syncs their own database.",
            )
        else:
            last = int(row.last_seq)
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
        applier = BatchApplier(tx, actor, req.client_id, now=now, pulled_to=req.pulled_to)
        applier.prefetch(req.ops)  # the records of new ops and of replayed ones (their reply carries them)
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


# --- pull ---------------------------------------------------------------------------------------------------


_PULL_COLUMNS = "entity, id, version, deleted, data, server_seq"
_EXIT_COLUMNS = "entity, id, 0 AS version, FALSE AS deleted, NULL AS data, server_seq"
"""An exit as a pull row: ``data`` NULL tells it from a record (whose data is never NULL)."""


def _pull_rows(conn: Any, actor: Actor, since: int, n: int) -> list[Any]:
    """The first ``n`` readable changes after ``since`` in ``server_seq`` order — records, and for an officer
    the exits of the scopes it reads (records that left them: ``data`` NULL) — in one statement (one
    snapshot). Index-backed: a supervisor walks ``ix_records_server_seq`` (nothing ever leaves its scope); an
    officer one range of ``ix_records_scope_seq`` and one of ``ix_exits_scope_seq`` per scope it reads
    (shared, own team), each already in order and cut at ``n``."""
    if actor.is_supervisor:
        sql = f"SELECT {_PULL_COLUMNS} FROM records WHERE server_seq > :since ORDER BY server_seq LIMIT :n"
        return conn.execute(text(sql), {"since": since, "n": n}).all()
    scopes = list(dict.fromkeys(["*", actor.team_id or "*"]))
    parts = [
        f"SELECT * FROM (SELECT {columns} FROM {table} WHERE scope = :s{i} AND server_seq > :since "
        f"ORDER BY server_seq LIMIT :n) AS {table[0]}{i}"
        for table, columns in (("records", _PULL_COLUMNS), ("exits", _EXIT_COLUMNS))
        for i in range(len(scopes))
    ]
    sql = " UNION ALL ".join(parts) + " ORDER BY server_seq LIMIT :n"
    params: dict[str, Any] = {"since": since, "n": n, **{f"s{i}": v for i, v in enumerate(scopes)}}
    return conn.execute(text(sql), params).all()


def pull_page(engine: Engine, actor: Actor, since: int, limit: int) -> dict[str, Any]:
    """Changes after ``since`` in ``server_seq`` order that ``actor`` may read (shared + own team; all for a
    supervisor), at most ``limit`` and about :data:`~zsfield.protocol.MAX_PULL_BYTES`: the
    :class:`~zsfield.protocol.PullResponse` as a dict whose records' ``data`` is the stored JSON text as it is
    (an :class:`orjson.Fragment`: never decoded and encoded again on the way out)."""
    limit = max(1, min(limit, protocol.MAX_PULL_LIMIT))
    with read_tx(engine) as conn:
        rows = _pull_rows(conn, actor, since, limit + 1)
        epoch = get_epoch(conn)
        head = get_head(conn)
    changes: list[dict[str, Any]] = []
    left: list[dict[str, Any]] = []
    size = 0
    cursor = since
    has_more = len(rows) > limit
    for entity, record_id, version, deleted, data, server_seq in rows[:limit]:
        if data is None:  # an exit
            left.append({"entity": entity, "id": record_id, "server_seq": server_seq})
            size += 80
            cursor = server_seq
            continue
        if (changes or left) and size + len(data) > protocol.MAX_PULL_BYTES:
            has_more = True
            break
        size += len(data) + 120
        cursor = server_seq
        changes.append(
            {
                "entity": entity,
                "id": record_id,
                "version": version,
                "deleted": bool(deleted),
                "server_seq": server_seq,
                "data": orjson.Fragment(data),
            }
        )
    page = {
        "changes": changes,
        "cursor": cursor,
        "has_more": has_more,
        "epoch": epoch,
        "head": max(head, cursor),
    }
    if left:  # the key only when there are exits: the usual page is as before
        page["exits"] = left
    return page


def pull(engine: Engine, actor: Actor, since: int, limit: int) -> PullResponse:
    """:func:`pull_page` as a :class:`~zsfield.protocol.PullResponse`."""
    return PullResponse.model_validate_json(pull_json(engine, actor, since, limit))


def pull_json(engine: Engine, actor: Actor, since: int, limit: int) -> bytes:
    """:func:`pull_page` as the JSON body of the HTTP reply."""
    return orjson.dumps(pull_page(engine, actor, since, limit))


# --- who am I, conflicts --------------------------------------------------------------------------------------


def officer_info(conn: Any, actor: Actor) -> OfficerInfo:
    team = (
        conn.execute(select(teams.c.name).where(teams.c.id == actor.team_id)).first()
        if actor.team_id
        else None
    )
    office = (
        conn.execute(select(offices.c.name).where(offices.c.id == actor.office_id)).first()
        if actor.office_id
        else None
    )
    return OfficerInfo(
        id=actor.id,
        name=actor.name,
        role=actor.role,  # type: ignore[arg-type]
        team_id=actor.team_id,
        team_name=team[0] if team else None,
        office_id=actor.office_id,
        office_name=office[0] if office else None,
    )


def whoami(engine: Engine, actor: Actor) -> WhoAmI:
    with read_tx(engine) as conn:
        return WhoAmI(
            officer=officer_info(conn, actor),
            epoch=get_epoch(conn),
            restore=get_restore(conn),
            schema_version=protocol.SCHEMA_VERSION,
            min_schema_version=protocol.MIN_SCHEMA_VERSION,
            server_version=__version__,
        )


def list_conflicts(
    engine: Engine, actor: Actor | None, *, open_only: bool = True, limit: int = 500
) -> list[ConflictEntry]:
    """The conflict log: a supervisor (or the server's admin, ``actor=None``) sees all; an officer their team's
    and their own."""
    query = select(conflicts)
    if open_only:
        query = query.where(conflicts.c.resolved.is_(False))
    if actor is not None and not actor.is_supervisor:
        query = query.where(
            (conflicts.c.scope == (actor.team_id or "")) | (conflicts.c.officer_id == actor.id)
        )
    query = query.order_by(conflicts.c.created_at.desc()).limit(max(1, min(limit, 5000)))
    with read_tx(engine) as conn:
        rows = conn.execute(query).all()
    return [
        ConflictEntry(
            id=r.id,
            entity=r.entity,
            entity_id=r.entity_id,
            field=r.field,
            mine=orjson.loads(r.mine) if r.mine is not None else None,
            theirs=orjson.loads(r.theirs) if r.theirs is not None else None,
            base_version=r.base_version,
            server_version=r.server_version,
            officer_id=r.officer_id,
            client_id=r.client_id,
            client_seq=r.client_seq,
            team_id=r.scope or None,
            created_at=r.created_at,
            resolved=bool(r.resolved),
            resolution=r.resolution,
            resolved_by=r.resolved_by,
            resolved_at=r.resolved_at,
        )
        for r in rows
    ]


# --- admin: offices, teams, officers ------------------------------------------------------------------------


class AdminError(ValueError):
    """A refused admin command (unknown officer, name taken, bad role)."""


def _server_record(
    tx: WriteTx, entity: str, record_id: str, data: dict[str, Any], *, scope: str = "*"
) -> None:
    """Create or update a record made by the server itself (office, team, officer), with a new server_seq."""
    from zsfield_sync.apply import entity_columns

    now = now_text()
    row = tx.conn.execute(
        select(records).where(records.c.entity == entity, records.c.id == record_id)
    ).first()
    if row is None:
        defaults = entity_columns(entity)[0]
        full = {**defaults, **data, "created_at": now, "updated_at": now}
        full.pop("deleted", None)
        rec = Rec(
            entity=entity,
            id=record_id,
            version=1,
            scope=scope,
            parent_id=None,
            deleted=False,
            data=full,
            fv={CREATED: [1, SERVER_CLIENT]},
            server_seq=tx.next_seq(),
            created_by=None,
            updated_at=now,
        )
        tx.conn.execute(records.insert().values(**rec.row()))
        return
    rec = rec_from_row(row)
    changed = {k: v for k, v in data.items() if rec.data.get(k) != v}
    if not changed:
        return
    rec.version += 1
    for k, v in changed.items():
        rec.data[k] = v
        rec.fv[k] = [rec.version, SERVER_CLIENT]
    rec.data["updated_at"] = now
    tx.conn.execute(
        update(records)
        .where(records.c.entity == entity, records.c.id == record_id)
        .values(
            version=rec.version,
            data=dumps(rec.data),
            field_versions=dumps(rec.fv),
            server_seq=tx.next_seq(),
            updated_at=now,
        )
    )


def _office(tx: WriteTx, name: str) -> str:
    row = tx.conn.execute(select(offices.c.id).where(offices.c.name == name)).first()
    if row is not None:
        return str(row[0])
    office_id = str(uuid.uuid4())
    tx.conn.execute(offices.insert().values(id=office_id, name=name, created_at=now_text()))
    _server_record(tx, "office", office_id, {"name": name})
    return office_id


def _team(tx: WriteTx, name: str, office_id: str | None) -> str:
    row = tx.conn.execute(select(teams.c.id).where(teams.c.name == name)).first()
    if row is not None:
        return str(row[0])
    team_id = str(uuid.uuid4())
    tx.conn.execute(teams.insert().values(id=team_id, name=name, office_id=office_id, created_at=now_text()))
    _server_record(tx, "team", team_id, {"name": name, "office_id": office_id})
    return team_id


def add_officer(
    engine: Engine, name: str, *, office: str | None, team: str | None, role: str
) -> tuple[dict[str, Any], str]:
    """Create an officer (and their office and team on first use, with the matching records that clients
    pull). Returns the officer's description and the token, which is shown once and stored hashed."""
    name = name.strip()
    if not name or len(name) > 80:
        raise AdminError("An officer needs a name of 1 to 80 characters.")
    if role not in ROLES:
        raise AdminError(f"Unknown role {role!r}: choose one of {', '.join(ROLES)}.")
    if role in ("officer", "leader") and not team:
        raise AdminError("An officer or leader belongs to a team: give --team.")
    token = new_token()
    officer_id = str(uuid.uuid4())
    with write_tx(engine) as tx:
        if tx.conn.execute(select(accounts.c.id).where(accounts.c.name == name)).first() is not None:
            raise AdminError(
                f"There is already an officer named {name!r} (use `officer rotate` for a new token)."
            )
        office_id = _office(tx, office.strip()) if office and office.strip() else None
        team_id = _team(tx, team.strip(), office_id) if team and team.strip() else None
        accounts_changed(tx.conn)
        tx.conn.execute(
            accounts.insert().values(
                id=officer_id,
                name=name,
                role=role,
                team_id=team_id,
                office_id=office_id,
                token_hash=hash_token(token),
                created_at=now_text(),
                revoked_at=None,
            )
        )
        _server_record(
            tx,
            "officer",
            officer_id,
            {"name": name, "role": role, "team_id": team_id, "office_id": office_id, "active": True},
        )
        if role == "leader" and team_id:
            team_row = tx.conn.execute(
                select(records.c.data).where(records.c.entity == "team", records.c.id == team_id)
            ).first()
            if team_row is not None and not orjson.loads(team_row[0]).get("leader_id"):
                _server_record(tx, "team", team_id, {"leader_id": officer_id})
    info = {"id": officer_id, "name": name, "role": role, "office": office, "office_id": office_id,
            "team": team, "team_id": team_id}  # fmt: skip
    return info, token


def list_officers(engine: Engine) -> list[dict[str, Any]]:
    with read_tx(engine) as conn:
        team_names = dict(conn.execute(select(teams.c.id, teams.c.name)).all())
        office_names = dict(conn.execute(select(offices.c.id, offices.c.name)).all())
        rows = conn.execute(select(accounts).order_by(accounts.c.name)).all()
    return [
        {
            "id": r.id,
            "name": r.name,
            "role": r.role,
            "team": team_names.get(r.team_id),
            "office": office_names.get(r.office_id),
            "created_at": r.created_at,
            "revoked_at": r.revoked_at,
            "active": r.revoked_at is None,
        }
        for r in rows
    ]


def revoke_officer(engine: Engine, name: str) -> dict[str, Any]:
    """Revoke an officer's token at once (their next request gets 401); the officer record is kept."""
    with write_tx(engine) as tx:
        row = tx.conn.execute(select(accounts).where(accounts.c.name == name)).first()
        if row is None:
            raise AdminError(f"No officer named {name!r} (see `zsfield-server officer list`).")
        when = row.revoked_at or now_text()
        accounts_changed(tx.conn)
        tx.conn.execute(update(accounts).where(accounts.c.id == row.id).values(revoked_at=when))
        _server_record(tx, "officer", row.id, {"active": False})
    return {"id": row.id, "name": name, "revoked_at": when}


def rotate_token(engine: Engine, name: str) -> tuple[dict[str, Any], str]:
    """A new token for an officer (the old one stops working); also re-activates a revoked officer."""
    token = new_token()
    with write_tx(engine) as tx:
        row = tx.conn.execute(select(accounts).where(accounts.c.name == name)).first()
        if row is None:
            raise AdminError(f"No officer named {name!r} (see `zsfield-server officer list`).")
        accounts_changed(tx.conn)
        tx.conn.execute(
            update(accounts)
            .where(accounts.c.id == row.id)
            .values(token_hash=hash_token(token), revoked_at=None)
        )
        _server_record(tx, "officer", row.id, {"active": True})
    return {"id": row.id, "name": name, "role": row.role}, token
