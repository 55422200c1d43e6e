"""The sync screen's lists (store.read.sync_lists): the same rows and titles as the per-row look-ups they
replace (kept here as the reference), read in a number of queries that does not grow with the rows."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from sqlalchemy import event, text

from zsfield.domain.models import ENTITIES
from zsfield.store import Store
from zsfield.store.conflicts import add_conflicts, add_rejections
from zsfield.store.read.sync_lists import (
    TITLE_FIELDS,
    moved_changes,
    open_conflicts,
    open_rejections,
    sync_lists,
)
from zsfield.store.sync_state import now_text


def _reference_titles(store: Store) -> dict[tuple[str, str], str]:
    """The sync screen's titles as it read them before: one query per row."""
    conflicts, rejections, moved = open_conflicts(store), open_rejections(store), moved_changes(store)
    with store.engine.connect() as conn:
        outbox = [
            dict(r)
            for r in conn.execute(
                text("SELECT client_seq, entity, entity_id, op, fields, created_at FROM outbox LIMIT 500")
            ).mappings()
        ]
        titles = {(m["entity"], m["entity_id"]): m["label"] or m["entity_id"][:8] for m in moved}
        for row in [*conflicts, *rejections, *outbox]:
            entity, rid = row["entity"], row["entity_id"]
            column = TITLE_FIELDS.get(entity)
            if (entity, rid) in titles or column is None or entity not in ENTITIES:
                continue
            table = ENTITIES[entity].__tablename__  # type: ignore[attr-defined]
            found = conn.execute(text(f"SELECT {column} FROM {table} WHERE id = :id"), {"id": rid}).first()
            titles[(entity, rid)] = str(found[0]) if found and found[0] is not None else rid[:8]
    return titles


def _fill(store: Store, n: int) -> None:
    ids = [str(uuid.uuid4()) for _ in range(n)]
    with store.write("me") as w:
        w.insert_rows("company", [{"id": i, "name": f"公司{k}", "country": "CN"} for k, i in enumerate(ids)])
    now = now_text()
    gone = str(uuid.uuid4())  # a record this laptop does not hold: titled by its id
    with store.engine.begin() as conn:
        add_conflicts(
            conn,
            [
                (str(uuid.uuid4()), "company", rid, "name", orjson.dumps("我的").decode(),
                 orjson.dumps("他的").decode(), 1, 2, k + 1, k + 1, now, 0, None, None)
                for k, rid in enumerate([*ids[: n // 2], gone])
            ],
        )  # fmt: skip
        add_rejections(
            conn,
            [
                (str(uuid.uuid4()), k + 1, "company", rid, orjson.dumps({"op": "update"}).decode(), "invalid",
                 "no", now)
                for k, rid in enumerate(ids[n // 2 :])
            ],
        )  # fmt: skip
        op_id = conn.exec_driver_sql("SELECT op_id FROM outbox ORDER BY client_seq LIMIT 1").scalar()
        conn.exec_driver_sql(
            "INSERT INTO moved_change (op_id, entity, entity_id, label, pulled_to, created_at) "
            "VALUES (?, 'company', ?, '搬走的', 0, ?)",
            (op_id, ids[0], now),
        )


def _queries(store: Store) -> tuple[dict[str, Any], int]:
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        lists = sync_lists(store)
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    return lists, len(statements)


def test_the_sync_lists_title_every_row_as_the_per_row_look_ups_did(store: Store) -> None:
    _fill(store, 12)
    lists, _ = _queries(store)
    assert lists["titles"] == _reference_titles(store)
    assert lists["conflicts"] == open_conflicts(store) and len(lists["conflicts"]) == 7
    assert lists["rejections"] == open_rejections(store) and len(lists["rejections"]) == 6
    assert lists["pending"] == 12 and len(lists["outbox"]) == 12
    assert lists["moved"] == 1 and len(lists["moved_keys"]) == 1
    assert "搬走的" in lists["titles"].values()  # the name a moved record had


def test_the_sync_lists_take_as_many_queries_for_many_rows_as_for_few(store: Store, tmp_path: Any) -> None:
    _fill(store, 4)
    _, few = _queries(store)
    with Store.open(tmp_path / "more.db") as more:
        _fill(more, 120)
        _, many = _queries(more)
    assert many == few
