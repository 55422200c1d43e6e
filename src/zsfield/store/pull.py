"""A pulled page stored on the laptop (no HTTP, no Textual): server states written into local records, the
page's cursor, and the records that left this laptop's team.

Every function here is **one local transaction** (DESIGN: sync protocol):

* :func:`apply_pull_page` stores a page of changes and its cursor together.
* A pulled (or acknowledged: :func:`apply_states` serves :mod:`zsfield.store.push` too) value never overwrites a
  field that still has an op waiting in the outbox: the local edit is in flight, and the server decides when it
  arrives. Such a record also keeps its older ``version``, so later edits stay based on what the officer really
  saw.
* A page's ``exits`` (records that left this laptop's team: a supervisor moved the project) drop the record
  and its local children from the store (:func:`_drop_moved`); the ops still waiting about them stay in the
  outbox and are listed (``moved_change``, with the cursor before that page: what the laptop knew when they
  were written, sent as the push's ``pulled_to``).
* A first pull into an empty laptop puts the plain indexes of the tables it fills aside until its end
  (:data:`BULK_ROWS`, :mod:`zsfield.store.indexes`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from zsfield import protocol
from zsfield.domain.codec import field_names, readable_check
from zsfield.domain.derive import derive_project, entry_time
from zsfield.domain.models import ENTITIES, TIMELINE_ENTITIES
from zsfield.store import indexes
from zsfield.store.conflicts import close_moved, list_unreadable
from zsfield.store.db import Store, set_state
from zsfield.store.outbox import ALL_FIELDS, pending_fields, waiting_values
from zsfield.store.read.sync_lists import TITLE_FIELDS
from zsfield.store.statements import MAX_PARAMS, chunks, marks, sql_value
from zsfield.store.sync_state import K_CURSOR, K_EPOCH, K_FULL_REPULL, now_text, state_value, sync_state
from zsfield.store.writer import Writer

_COLUMNS: dict[str, frozenset[str]] = {}


def _columns(entity: str) -> frozenset[str]:
    if entity not in _COLUMNS:
        _COLUMNS[entity] = frozenset(ENTITIES[entity].__table__.c.keys())  # type: ignore[attr-defined]
    return _COLUMNS[entity]


@dataclass
class Applied:
    inserted: int = 0
    updated: int = 0
    skipped: int = 0
    kept_local: int = 0
    moved_away: int = 0
    """Records dropped because they left this laptop's team (the page's exits and their local children)."""
    unreadable: int = 0


_CHECKS: dict[str, dict[str, Callable[[Any], bool]]] = {}


def _unreadable_field(entity: str, data: dict[str, Any]) -> str | None:
    """The first field of a server state this laptop cannot read back (:func:`~zsfield.domain.codec.
    readable_check`: the codec's own rule), or None. Fields this laptop does not know are not stored, so not
    judged."""
    checks = _CHECKS.get(entity)
    if checks is None:
        checks = _CHECKS[entity] = {name: readable_check(entity, name) for name in field_names(entity)}
    for name, value in data.items():
        check = checks.get(name)
        if check is not None and not check(value):
            return name
    return None


def apply_states(
    w: Writer,
    states: Sequence[dict[str, Any]],
    *,
    force: bool = False,
    versions: dict[tuple[str, str], int] | None = None,
    bulk: bool = False,
    server_base: bool = False,
) -> Applied:
    """Write server states (:class:`~zsfield.protocol.RecordState` dicts) into local records, pending fields
    kept. ``versions`` raises just the version of records whose reply carried no state (a plain new insert:
    the local copy is the server's). ``bulk``: a pull page with more to come (see :data:`BULK_ROWS`).
    ``server_base``: a full re-pull (another server, or this one restored): a record with fields still in the
    outbox takes the server's version anyway, so that the officer's next edits are based on a version this
    server knows (the ops waiting carry their own base and ``base_epoch``). A few bulk statements per entity,
    whatever the number of records. A state with a field this laptop cannot read is not stored: it is listed
    (:data:`UNREADABLE`) and the others are stored."""
    conn = w.session.connection()
    stats = Applied()
    by_entity: dict[str, list[dict[str, Any]]] = {}
    unreadable: list[tuple[dict[str, Any], str]] = []
    for state in states:
        entity = state["entity"]
        if entity in ENTITIES:
            bad = _unreadable_field(entity, state["data"])
            if bad is not None:
                unreadable.append((state, bad))
                continue
            by_entity.setdefault(entity, []).append(state)
    if unreadable:
        list_unreadable(conn, unreadable)
        stats.unreadable = len(unreadable)
    if bulk:
        _defer_indexes(conn, {entity: len(items) for entity, items in by_entity.items()})
    keys = itertools.chain(
        ((e, s["id"]) for e, items in by_entity.items() for s in items),
        (k for k in versions or () if k[0] in ENTITIES),
    )
    pending = pending_fields(conn, keys)
    for entity, items in by_entity.items():
        table = ENTITIES[entity].__tablename__  # type: ignore[attr-defined]
        columns = _columns(entity)
        local: dict[str, int] = {}
        for chunk in chunks([s["id"] for s in items], MAX_PARAMS):
            rows = conn.exec_driver_sql(
                f"SELECT id, version FROM {table} WHERE id IN ({marks(len(chunk))})", tuple(chunk)
            ).all()
            local.update((rid, int(version)) for rid, version in rows)
        new_rows: list[dict[str, Any]] = []
        changes: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (state, column values)
        for state in items:
            record_id = state["id"]
            if record_id not in local:  # new here: the insert takes the columns it knows from this row
                new_row = {
                    **state["data"],
                    "id": record_id,
                    "deleted": state["deleted"],
                    "version": state["version"],
                }
                if pending.get((entity, record_id)):  # it left this laptop and came back, edits still waiting
                    new_row.update(waiting_values(conn, entity, record_id, columns))
                    stats.kept_local += 1
                new_rows.append(new_row)
                local[record_id] = state["version"]
                continue
            data = state["data"]
            if data.keys() <= columns:  # the usual case: every wire field is a column
                row = dict(data)
            else:
                row = {k: v for k, v in data.items() if k in columns}
            row["id"], row["deleted"], row["version"] = record_id, state["deleted"], state["version"]
            held = pending.get((entity, record_id), set())
            if ALL_FIELDS in held:
                stats.kept_local += 1
                continue
            if not force and state["version"] <= local[record_id]:
                stats.skipped += 1
                continue
            values = {k: v for k, v in row.items() if k not in held and k != "id"}
            if held and not server_base:
                values.pop("version", None)  # keep the older base while local edits are in flight
                stats.kept_local += 1
            changes.append((state, values))
        if entity == "project" and changes:
            _derive_projects(conn, table, changes)
        groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for state, values in changes:
            if values:
                names = tuple(values)
                groups.setdefault(names, []).append((*(sql_value(values[k]) for k in names), state["id"]))
                stats.updated += 1
            if entity in TIMELINE_ENTITIES:
                when = entry_time(entity, state["data"])
                if isinstance(when, str):
                    for parent_table, key in (("project", "project_id"), ("lead", "lead_id")):
                        if state["data"].get(key):
                            w.touch(parent_table, state["data"][key], when)
        for names, params in groups.items():
            sets = ", ".join(f"{k} = ?" for k in names)
            conn.exec_driver_sql(f"UPDATE {table} SET {sets} WHERE id = ?", params)
        if new_rows:
            stats.inserted += w.insert_rows(entity, new_rows)
    bumps: dict[str, list[tuple[int, str, int]]] = {}
    for (entity, record_id), version in (versions or {}).items():
        if entity in ENTITIES and not pending.get((entity, record_id)):
            bumps.setdefault(entity, []).append((version, record_id, version))
    for entity, params in bumps.items():
        table = ENTITIES[entity].__tablename__  # type: ignore[attr-defined]
        conn.exec_driver_sql(f"UPDATE {table} SET version = ? WHERE id = ? AND version < ?", params)
    return stats


def _back_in_scope(conn: Any, changes: Sequence[dict[str, Any]]) -> None:
    """Records of this page listed as moved away came back (moved to this laptop's team again): their
    changes are no longer about a record that left (one read when the list is empty, as it mostly is)."""
    if not changes or conn.exec_driver_sql("SELECT 1 FROM moved_change LIMIT 1").first() is None:
        return
    ids = sorted({c["id"] for c in changes})
    for chunk in chunks(ids, MAX_PARAMS):
        conn.exec_driver_sql(
            f"DELETE FROM moved_change WHERE entity_id IN ({marks(len(chunk))})", tuple(chunk)
        )


def _derive_projects(conn: Any, table: str, changes: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """A project's derived columns (CNY total, band) from its current row merged with the new values."""
    ids = [state["id"] for state, _ in changes]
    current: dict[str, dict[str, Any]] = {}
    for chunk in chunks(ids, MAX_PARAMS):
        result = conn.exec_driver_sql(
            f"SELECT * FROM {table} WHERE id IN ({marks(len(chunk))})", tuple(chunk)
        )
        names = list(result.keys())
        current.update((r[names.index("id")], dict(zip(names, r, strict=True))) for r in result.all())
    for state, values in changes:
        merged = {**current[state["id"]], **values}
        derived = derive_project(merged)
        cny: Decimal | None = derived["total_investment_cny"]
        values["total_investment_cny"] = None if cny is None else format(cny, "f")
        values["band"] = derived["band"]


def apply_pull_page(
    store: Store, page: protocol.PullResponse | dict[str, Any], *, full_repull: bool = False
) -> Applied:
    """Store a page of pulled changes (a :class:`~zsfield.protocol.PullResponse`, or its dict from
    :func:`~zsfield.protocol.parse_pull_reply`) and its cursor in one local transaction. An empty page that
    leaves the cursor, the epoch and the re-pull flag as they are writes nothing (a sync with nothing to do
    commits nothing here)."""
    data = page.model_dump() if isinstance(page, protocol.PullResponse) else page
    if not data["changes"]:
        state = sync_state(store)
        if (
            state.get(K_CURSOR) == str(data["cursor"])
            and state.get(K_EPOCH) == data["epoch"]
            and (data["has_more"] or state.get(K_FULL_REPULL, "0") != "1")
        ):
            return Applied()
    with store.write(None, outbox=False) as w:
        conn = w.session.connection()
        # a write first, so the transaction holds the write lock before it reads (a read first would make it a
        # reader whose upgrade fails at once, SQLITE_BUSY, when another process wrote meanwhile)
        set_state(conn, "last_pull_at", now_text())
        before = int(state_value(conn, K_CURSOR) or 0)
        set_state(conn, K_CURSOR, str(data["cursor"]))
        stats = apply_states(
            w, data["changes"], force=full_repull, bulk=data["has_more"], server_base=full_repull
        )
        _back_in_scope(conn, data["changes"])
        if data.get("exits"):
            stats.moved_away = _drop_moved(conn, data["exits"], data["changes"], before)
        set_state(conn, K_EPOCH, data["epoch"])
        if not data["has_more"]:
            set_state(conn, K_FULL_REPULL, "0")
            indexes.restore(conn)  # the pull is at its end: build what it put aside
    return stats


# --- records that left this laptop's team ------------------------------------------------------------------

_LABEL_FIELDS = {entity: TITLE_FIELDS[entity] for entity in ("project", "lead", "contact")}
"""The name a record that moves to another team keeps in ``moved_change`` (its children take their parent's)."""


def _children(entity: str) -> tuple[bool, bool]:
    """(has project_id, has lead_id) of an entity that takes its scope from a project or lead."""
    columns = _columns(entity)
    if entity in ("project", "lead"):
        return False, False
    return "project_id" in columns, "lead_id" in columns


def _drop_moved(
    conn: Any, exits: Sequence[dict[str, Any]], changes: Sequence[dict[str, Any]], before: int
) -> int:
    """Drop the records a page's ``exits`` name — unless a later change of the page brought one back — and the
    local children of dropped projects and leads (the server's rule: a child follows ``project_id``, else
    ``lead_id``; a contact with its own ``team_id`` stays), which includes children never sent. The outbox
    keeps every op about them, listed in ``moved_change`` with ``before`` (the cursor before this page);
    open local conflicts about them are closed (:func:`~zsfield.store.conflicts.close_moved`). Returns the
    records dropped."""
    latest = {(c["entity"], c["id"]): c["server_seq"] for c in changes}
    gone: dict[str, set[str]] = {}
    for x in exits:
        if x["entity"] in ENTITIES and latest.get((x["entity"], x["id"]), -1) < x["server_seq"]:
            gone.setdefault(x["entity"], set()).add(x["id"])
    labels: dict[tuple[str, str], str] = {}
    for entity, field_ in _LABEL_FIELDS.items():
        ids = sorted(gone.get(entity, ()))
        for chunk in chunks(ids, MAX_PARAMS):
            rows = conn.exec_driver_sql(
                f"SELECT id, {field_} FROM {entity} WHERE id IN ({marks(len(chunk))})", tuple(chunk)
            ).all()
            labels.update(((entity, rid), label or "") for rid, label in rows)
    projects, leads = sorted(gone.get("project", ())), sorted(gone.get("lead", ()))
    for entity, cls in ENTITIES.items():
        by_project, by_lead = _children(entity)
        table = cls.__tablename__  # type: ignore[attr-defined]
        own_team = " AND (team_id IS NULL OR team_id = '')" if "team_id" in _columns(entity) else ""
        queries: list[tuple[str, str, list[str], str]] = []
        if by_project and projects:
            queries.append(("project_id", "project", projects, ""))
        if by_lead and leads:
            no_project = " AND (project_id IS NULL OR project_id = '')" if by_project else ""
            queries.append(("lead_id", "lead", leads, no_project))
        for column, parent_entity, parent_ids, extra in queries:
            for chunk in chunks(parent_ids, MAX_PARAMS):
                for rid, parent in conn.exec_driver_sql(
                    f"SELECT id, {column} FROM {table} WHERE {column} IN ({marks(len(chunk))}){own_team}{extra}",
                    tuple(chunk),
                ).all():
                    gone.setdefault(entity, set()).add(rid)
                    labels.setdefault((entity, rid), labels.get((parent_entity, parent), ""))
    dropped = 0
    ids = sorted({rid for rids in gone.values() for rid in rids})
    moved: list[tuple[Any, ...]] = []
    now = now_text()
    for chunk in chunks(ids, MAX_PARAMS):
        for op_id, entity, entity_id in conn.exec_driver_sql(
            f"SELECT op_id, entity, entity_id FROM outbox WHERE entity_id IN ({marks(len(chunk))})",
            tuple(chunk),
        ).all():
            if entity_id in gone.get(entity, ()):
                moved.append((op_id, entity, entity_id, labels.get((entity, entity_id), ""), before, now))
        close_moved(conn, chunk, now)
    if moved:
        conn.exec_driver_sql(
            "INSERT INTO moved_change (op_id, entity, entity_id, label, pulled_to, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(op_id) DO NOTHING",
            moved,
        )
    for entity, rids in gone.items():
        table = ENTITIES[entity].__tablename__  # type: ignore[attr-defined]
        for chunk in chunks(sorted(rids), MAX_PARAMS):
            dropped += conn.exec_driver_sql(
                f"DELETE FROM {table} WHERE id IN ({marks(len(chunk))})", tuple(chunk)
            ).rowcount
    return dropped


# --- bulk loads ----------------------------------------------------------------------------------------------


BULK_ROWS = 1000
"""A page bringing at least this many records of a table that is still empty, with more pages to come, is the
start of a bulk load (the first pull into an empty laptop): the table's plain indexes are put aside until the
pull ends (:mod:`zsfield.store.indexes`)."""


def _defer_indexes(conn: Any, counts: dict[str, int]) -> None:
    """Put aside the plain indexes of the tables a page of a pull starts filling (``counts``: its records by
    entity)."""
    tables = [
        ENTITIES[entity].__tablename__  # type: ignore[attr-defined]
        for entity, n in counts.items()
        if n >= BULK_ROWS
    ]
    empty = [t for t in tables if conn.exec_driver_sql(f"SELECT 1 FROM {t} LIMIT 1").first() is None]
    if empty:
        indexes.defer(conn, empty)


def restore_indexes(store: Store) -> bool:
    """A sync that stopped before its pull ended: build the indexes a bulk load put aside (one read when there
    are none). True when there were some."""
    return indexes.restore_pending(store.engine)
