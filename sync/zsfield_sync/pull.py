"""The pull, without HTTP: the changes after a cursor that an officer may read, in ``server_seq`` order.

One read transaction per page, so the API and the tests share it.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Engine, text

from zsfield import protocol
from zsfield.protocol import (
    PullResponse,
)
from zsfield_sync.auth import Actor
from zsfield_sync.storage import (
    get_epoch,
    get_head,
    read_tx,
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
