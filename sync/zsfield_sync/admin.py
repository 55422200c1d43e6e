"""Who am I, the conflict log, and the admin's officer commands (offices, teams, officers, tokens), without
HTTP. Each function takes the engine and runs its own transaction, so the CLI, the API and the tests share
them.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from sqlalchemy import Engine, select, update

from zsfield import __version__, protocol
from zsfield.protocol import (
    ConflictEntry,
    OfficerInfo,
    WhoAmI,
)
from zsfield_sync.accounts import accounts_changed
from zsfield_sync.auth import ROLES, Actor, hash_token, new_token
from zsfield_sync.record import (
    CREATED,
    SERVER_CLIENT,
    Rec,
    dumps,
    entity_columns,
    rec_from_row,
)
from zsfield_sync.storage import (
    WriteTx,
    accounts,
    conflicts,
    get_epoch,
    get_restore,
    now_text,
    offices,
    read_tx,
    records,
    teams,
    write_tx,
)

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


def server_record(
    tx: WriteTx, entity: str, record_id: str, data: dict[str, Any], *, scope: str = "*"
) -> None:
    """Create or update a record made by the server itself (office, team, officer), with a new server_seq."""
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
    server_record(tx, "office", office_id, {"name": name})
    return office_id


def _team(tx: WriteTx, name: str, office_id: str | None) -> str:
    row = tx.conn.execute(select(teams.c.id).where(teams.c.name == name)).first()
    if row is not None:
        return str(row[0])
    team_id = str(uuid.uuid4())
    tx.conn.execute(teams.insert().values(id=team_id, name=name, office_id=office_id, created_at=now_text()))
    server_record(tx, "team", team_id, {"name": name, "office_id": office_id})
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
        server_record(
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
                server_record(tx, "team", team_id, {"leader_id": officer_id})
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
        server_record(tx, "officer", row.id, {"active": False})
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
        server_record(tx, "officer", row.id, {"active": True})
    return {"id": row.id, "name": name, "role": row.role}, token
