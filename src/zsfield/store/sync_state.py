"""The laptop's sync state (``sync_state`` keys, no HTTP, no Textual): its client id, the server and the officer
it syncs as, the server's epoch, the pull cursor and re-pull flag, the realign flag, and what the last sync did
— and the steps that change them together (a new server, a restored server, a restored laptop backup).

Every function here is one local transaction. One sync per database at a time: :mod:`zsfield.store.sync_lock`
(held by :func:`~zsfield.sync.run.run_sync`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from zsfield import protocol
from zsfield.domain.types import UTCDateTime, utcnow
from zsfield.store.db import Store, set_state
from zsfield.store.outbox import prune_sent, requeue_lost
from zsfield.store.writer import K_WIRE_SEQ

_UTC = UTCDateTime()

# sync_state keys
K_CLIENT_ID = "client_id"
K_REALIGN = "realign"
"""'1': before sending, check the outbox's numbers against the server's (:func:`realign`): set by a restore of a
laptop backup, by ``zsfield sync --repair`` and by a ``seq_reused`` / ``seq_gap`` refusal."""
K_CURSOR = "cursor"
K_EPOCH = "epoch"
K_FULL_REPULL = "full_repull"
K_SERVER = "server"
K_LAST_SYNC = "last_sync_at"
K_LAST_RESULT = "last_result"
IDENTITY_KEYS = {
    "officer_id": "id",
    "officer_name": "name",
    "role": "role",
    "team_id": "team_id",
    "team_name": "team_name",
    "office_id": "office_id",
    "office_name": "office_name",
}
"""sync_state key → field of :class:`~zsfield.protocol.OfficerInfo` (who this laptop syncs as)."""


def now_text() -> str:
    """Now, as the store's time columns hold it (UTC text)."""
    return _UTC.process_bind_param(utcnow(), None)  # type: ignore[return-value]


def sync_state(store: Store) -> dict[str, str]:
    with store.engine.connect() as conn:
        return dict(conn.execute(text("SELECT key, value FROM sync_state")).all())  # type: ignore[arg-type]


def state_value(conn: Any, key: str, default: str | None = None) -> str | None:
    """One key of ``sync_state`` on an open connection (inside its transaction)."""
    row = conn.execute(text("SELECT value FROM sync_state WHERE key = :k"), {"k": key}).first()
    return row[0] if row else default


def ensure_client_id(store: Store) -> str:
    """This database's sync identity (created on first use)."""
    existing = store.get_state(K_CLIENT_ID)
    if existing:
        return existing
    with store.engine.begin() as conn:
        existing = state_value(conn, K_CLIENT_ID)
        if existing:
            return existing
        client_id = str(uuid.uuid4())
        set_state(conn, K_CLIENT_ID, client_id)
        return client_id


def _renumber(conn: Any, start: int, first: Sequence[int] = ()) -> int:
    """Number the outbox's ops ``start``, ``start + 1``… in their order (the rows ``first`` — local rowids —
    ahead of the others); the counter becomes the last of them. Returns the number of ops."""
    ahead = set(first)
    ids = list(first) + [
        r[0]
        for r in conn.exec_driver_sql("SELECT client_seq FROM outbox ORDER BY wire_seq").all()
        if r[0] not in ahead
    ]
    if ids:  # out of the way of the new numbers first (the numbers are unique at every step)
        conn.exec_driver_sql("UPDATE outbox SET wire_seq = -1000000000000 - client_seq")
        conn.exec_driver_sql(
            "UPDATE outbox SET wire_seq = ? WHERE client_seq = ?",
            [(start + i, rid) for i, rid in enumerate(ids)],
        )
    set_state(conn, K_WIRE_SEQ, str(start - 1 + len(ids)))
    return len(ids)


def _reset_identity(conn: Any, first: Sequence[int] = ()) -> str:
    """A new client id whose sequence starts at 1 with the first op in the outbox (``first``: rowids of ops to
    send ahead of the others) — the one legitimate restart of the numbers: under a new client id."""
    client_id = str(uuid.uuid4())
    set_state(conn, K_CLIENT_ID, client_id)
    set_state(conn, K_REALIGN, "0")
    _renumber(conn, 1, first)
    return client_id


def reset_for_epoch(store: Store, epoch: str, restore: protocol.RestoreInfo | None = None) -> int:
    """The server was restored (new epoch): pull everything again from 0 and send the outbox — every op is
    kept — under a new client id (the restored server no longer knows this client's latest numbers).

    Acknowledged ops the restored server no longer has go back into the outbox, ahead of the pending ones
    (:func:`~zsfield.store.outbox.requeue_lost`): those acknowledged in an earlier epoch with a ``server_seq``
    above ``restore.head`` (every one acknowledged in an earlier epoch when the server does not say what its
    restore kept). Every op then in the outbox that has no ``base_epoch`` gets the epoch its base was read in: the one it was acknowledged in (a re-sent
    op), the epoch before this one (a pending op). Returns the number of ops sent again."""
    with store.engine.begin() as conn:
        set_state(conn, K_CURSOR, "0")  # a write first: the transaction holds the lock
        previous = state_value(conn, K_EPOCH) or None
        if previous:
            conn.exec_driver_sql("UPDATE outbox SET base_epoch = ? WHERE base_epoch IS NULL", (previous,))
        first = requeue_lost(conn, epoch, restore)
        _reset_identity(conn, first)
        set_state(conn, K_EPOCH, epoch)
        set_state(conn, K_FULL_REPULL, "1")
    return len(first)


def reset_for_server(store: Store, server: str) -> None:
    """This database now syncs with another server: new identity, pull everything, keep the outbox."""
    with store.engine.begin() as conn:
        _reset_identity(conn)
        set_state(conn, K_SERVER, server)
        set_state(conn, K_CURSOR, "0")
        set_state(conn, K_EPOCH, "")
        set_state(conn, K_FULL_REPULL, "1")


def prepare_restored(store: Store) -> None:
    """A laptop backup was just put back: pull everything again (the server moved on since the backup) and,
    before sending, check the outbox's numbers against the server's (:func:`realign`). The client id stays:
    the ops of the backup's outbox that the live database sent after the backup are the server's under their
    numbers and op ids, so the server replays them — nothing is applied twice, and edits made since are the
    same client's, never conflicts with the officer's own later edits."""
    with store.engine.begin() as conn:
        set_state(conn, K_CURSOR, "0")
        set_state(conn, K_FULL_REPULL, "1")
        set_state(conn, K_REALIGN, "1")


def mark_realign(store: Store) -> None:
    """Check the outbox's numbers against the server's at the next push (``zsfield sync --repair``)."""
    store.set_state(K_REALIGN, "1")


def realign(store: Store, server_last: int) -> int:
    """The server holds this client's ops up to ``server_last``, and none of the ops still in the outbox is
    among them (the ones that were have been acknowledged by their replay): number the outbox's ops
    ``server_last + 1``… in their order. Numbers above ``server_last`` were never taken by the server, so they
    may be given again; the counter never goes below what the server holds. Returns the ops renumbered."""
    with store.engine.begin() as conn:
        set_state(conn, K_REALIGN, "0")
        return _renumber(conn, server_last + 1)


def check_epoch(store: Store, epoch: str) -> bool:
    """Remember the server's epoch; True when it changed (and the local state was reset for a full pull)."""
    stored = store.get_state(K_EPOCH)
    if not stored:
        store.set_state(K_EPOCH, epoch)
        return False
    if stored == epoch:
        return False
    reset_for_epoch(store, epoch)
    return True


def record_identity(store: Store, server: str, officer: protocol.OfficerInfo) -> None:
    """Remember the server and who this laptop syncs as (no write when nothing changed: a sync with nothing
    to do stays cheap)."""
    wanted = {
        K_SERVER: server,
        **{key: str(getattr(officer, attr) or "") for key, attr in IDENTITY_KEYS.items()},
    }
    current = sync_state(store)
    changed = {k: v for k, v in wanted.items() if current.get(k) != v}
    if not changed:
        return
    with store.engine.begin() as conn:
        for key, value in changed.items():
            set_state(conn, key, value)


def record_result(store: Store, render: Callable[[int], str], *, ok: bool, finished_at: str) -> int:
    """Store what a sync did — ``last_result`` (``render(ops left in the outbox)``), ``last_sync_ok`` and, when
    it went through, ``last_sync_at`` — in one transaction; returns the ops left in the outbox."""
    with store.engine.begin() as conn:
        left = int(conn.exec_driver_sql("SELECT count(*) FROM outbox").scalar() or 0)
        set_state(conn, K_LAST_RESULT, render(left))
        set_state(conn, "last_sync_ok", "1" if ok else "0")
        if ok:
            set_state(conn, K_LAST_SYNC, finished_at)
    return left


@dataclass
class SyncStart:
    """Where a sync starts: the local sync state (after the steps below), the ops waiting, the client id;
    ``resent``: acknowledged ops put back into the outbox because the restored server lost them."""

    state: dict[str, str]
    outbox: int
    client_id: str
    epoch_reset: bool = False
    resent: int = 0


def begin_sync(
    store: Store,
    server: str,
    officer: protocol.OfficerInfo,
    epoch: str,
    restore: protocol.RestoreInfo | None = None,
    *,
    retention_days: int = 30,
) -> SyncStart:
    """:func:`record_identity`, :func:`check_epoch` and :func:`ensure_client_id` in one go: one read, and a
    write only when something changed (a sync with nothing to do must stay cheap); acknowledged ops older
    than ``retention_days`` are forgotten; a changed epoch puts back what the restore lost
    (:func:`reset_for_epoch`, with the server's ``restore``)."""
    prune_sent(store, retention_days)
    with store.engine.connect() as conn:
        state: dict[str, str] = dict(conn.exec_driver_sql("SELECT key, value FROM sync_state").all())  # type: ignore[arg-type]
        outbox = int(conn.exec_driver_sql("SELECT count(*) FROM outbox").scalar() or 0)
    wanted = {
        K_SERVER: server,
        **{key: str(getattr(officer, attr) or "") for key, attr in IDENTITY_KEYS.items()},
    }
    changed = {k: v for k, v in wanted.items() if state.get(k) != v}
    reset = bool(state.get(K_EPOCH)) and state.get(K_EPOCH) != epoch
    if not state.get(K_EPOCH):
        changed[K_EPOCH] = epoch
    if not state.get(K_CLIENT_ID):
        changed[K_CLIENT_ID] = str(uuid.uuid4())
    if changed:
        with store.engine.begin() as conn:
            for key, value in changed.items():
                if key != K_CLIENT_ID or not state_value(conn, K_CLIENT_ID):
                    set_state(conn, key, value)
    resent = 0
    if reset:
        resent = reset_for_epoch(store, epoch, restore)
        outbox += resent
    if changed or reset:
        state = sync_state(store)
    return SyncStart(
        state=state, outbox=outbox, client_id=state[K_CLIENT_ID], epoch_reset=reset, resent=resent
    )
