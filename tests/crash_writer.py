"""A laptop store written to until it is killed, and the check of what a kill leaves behind
(for ``test_crash_safety.py``).

Run as a script it is a tiny fork server: it imports the store once, says ``ready``, then for each line
``run DB SEED [bulk]`` forks a child that writes to ``DB`` forever — many small transactions through the
officer's actions (leads, projects, stage moves, visits, follow-ups), pulled pages of another officer's records
and acknowledgements of the outbox (a push reply stored); with ``bulk``, only pulled pages, large ones with
more to come, the first pull into an empty laptop — and answers with the child's pid. The test kills the
child with SIGKILL. Forking a process that has already imported everything makes a run cost milliseconds, not
the second a fresh interpreter needs; the server itself never opens a database, so the fork is clean.

What a kill may leave, precisely (:func:`check_store`):

* the file opens through ``Store.open``, ``PRAGMA integrity_check`` says ``ok``, and it has every index of a
  freshly migrated one (a bulk pull cut short puts its indexes back at that open);
* the outbox has at most one ``insert`` op per record, and every op names a record that exists;
* a record with an ``insert`` op still in the outbox (never acknowledged) equals the replay of its ops, in
  ``client_seq`` order: the insert's fields, each update's fields over them, ``deleted`` after a delete
  (``updated_at`` and the derived ``total_investment_cny`` / ``band`` aside, which no op carries);
* a record without one was either acknowledged — its insert op was in a stored push reply — and keeps the
  values of the update ops still waiting; or came from a pull, and then has no op at all;
* pulled records are exactly those of the pages whose cursor is stored: a page and its cursor go together;
* an acknowledged batch went all or nothing: its ops are all still in the outbox or none is.

Which records were acknowledged is bookkept in ``sync_state``: before storing a reply the writer notes the
batch (``ack_plan``); afterwards it files it as ``acked:<first op id>``. After a kill between the two, the
outbox itself says whether the reply was stored.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

PEER = "peer-officer"
"""created_by of the records the simulated pulls bring (another officer's companies)."""
TEAM = "team-crash"
OFFICER = "officer-crash"
NOT_CARRIED = frozenset({"updated_at", "total_investment_cny", "band"})
_NS = uuid.UUID("0b5a7c52-5f0e-4d3e-9f0a-6c1e0d9b2a11")


def pulled_id(seq: int) -> str:
    return str(uuid.uuid5(_NS, f"pull-{seq}"))


# --- the writer --------------------------------------------------------------------------------------------


def _ids(store: Any, table: str, where: str = "") -> list[str]:
    with store.engine.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql(f"SELECT id FROM {table} WHERE deleted = 0 {where}")]


def settle_ack_plan(store: Any) -> None:
    """File an acknowledgement noted before a kill: acked when none of its ops is left, dropped otherwise."""
    plan = store.get_state("ack_plan")
    if not plan:
        return
    doc = orjson.loads(plan)
    with store.engine.begin() as conn:
        left = _count_left(conn, doc["op_ids"])
        if left == 0:
            conn.exec_driver_sql(
                "INSERT INTO sync_state(key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING",
                (f"acked:{doc['n']}", orjson.dumps(doc["inserts"]).decode()),
            )
        conn.exec_driver_sql("DELETE FROM sync_state WHERE key = 'ack_plan'")


def _count_left(conn: Any, op_ids: list[str]) -> int:
    if not op_ids:
        return 0
    marks = ", ".join("?" for _ in op_ids)
    return int(
        conn.exec_driver_sql(f"SELECT count(*) FROM outbox WHERE op_id IN ({marks})", tuple(op_ids)).scalar()
    )


def write_forever(db: str, seed: int, bulk: bool = False) -> None:  # noqa: C901 - one loop of small actions
    from zsfield import protocol
    from zsfield.domain.codec import encode_record
    from zsfield.domain.enums import STAGES, Stage
    from zsfield.domain.models import Company, FollowUp, Project
    from zsfield.domain.problems import DomainError
    from zsfield.store import Store, outbox, pull, push, sync_state
    from zsfield.store.actions import leads as lead_actions
    from zsfield.store.actions import projects as project_actions
    from zsfield.store.actions import timeline as timeline_actions

    rng = random.Random(seed)
    if bulk:  # pages large enough to be a bulk load: the indexes of the table they fill are put aside
        pull.BULK_ROWS = 20
    store = Store.open(db)
    Path(db + ".started").write_text(str(os.getpid()))
    settle_ack_plan(store)
    client_id = sync_state.ensure_client_id(store)
    n = 0
    while True:
        n += 1
        r = rng.random()
        try:
            if bulk:
                r = 0.8  # only pulled pages, most of them with more to come
            if r < 0.2:
                with store.write(OFFICER) as w:
                    lead = lead_actions.capture_lead(
                        w,
                        title=f"线索{seed}-{n}",
                        company_name=f"公司{seed}-{n}",
                        team_id=TEAM,
                        contact_name="联系人",
                        note="初次接触",
                    )
                    if rng.random() < 0.7:
                        lead_actions.screen_lead(w, lead, verdict="real", reason="核实")
                        lead_actions.convert_lead(w, lead, owner_team_id=TEAM, leader_id=OFFICER)
            elif r < 0.4:
                projects = _ids(store, "project")
                if projects:
                    pid = rng.choice(projects)
                    follow = rng.random() < 0.5
                    with store.write(OFFICER) as w:
                        timeline_actions.log_visit(
                            w,
                            project_id=pid,
                            summary=f"拜访{n}",
                            next_on=date(2026, 12, 1) + timedelta(days=n % 30) if follow else None,
                        )
            elif r < 0.52:
                projects = _ids(store, "project")
                if projects:
                    pid = rng.choice(projects)
                    with store.write(OFFICER) as w:
                        project = w.session.get(Project, pid)
                        i = STAGES.index(Stage(project.stage))
                        if i >= 2 or rng.random() < 0.2 and i > 0:
                            project_actions.move_stage(w, project, STAGES[i - 1], note="退回重谈")
                        else:
                            if i == 1:
                                project_actions.update_project(
                                    w,
                                    project,
                                    intent_signed_on=date(2026, 11, 1),
                                    planned_investment=Decimal("80000000"),
                                )
                            project_actions.move_stage(w, project, STAGES[i + 1])
            elif r < 0.64:
                projects = _ids(store, "project")
                if projects:
                    pid = rng.choice(projects)
                    with store.write(OFFICER) as w:
                        project_actions.update_project(
                            w,
                            w.session.get(Project, pid),
                            industry=rng.choice(["芯片", "电池", "光伏"]),
                            park_area=rng.choice(["东区", "西区"]),
                        )
            elif r < 0.72:
                follow_ups = _ids(store, "follow_up", "AND done = 0")
                if follow_ups:
                    fid = rng.choice(follow_ups)
                    with store.write(OFFICER) as w:
                        fu = w.session.get(FollowUp, fid)
                        if rng.random() < 0.7:
                            timeline_actions.complete_follow_up(w, fu, outcome="已落实")
                        else:
                            w.delete(fu)
            elif r < 0.84:  # a pulled page: another officer's companies
                cursor = int(store.get_state(sync_state.K_CURSOR) or 0)
                size = rng.randint(20, 60) if bulk else rng.randint(1, 6)
                changes = []
                for seq in range(cursor + 1, cursor + size + 1):
                    data = encode_record(Company(id=pulled_id(seq), name=f"外部公司{seq}", created_by=PEER))
                    data.pop("id")
                    changes.append(
                        protocol.RecordState(
                            entity="company",
                            id=pulled_id(seq),
                            version=1,
                            deleted=False,
                            server_seq=seq,
                            data=data,
                        )
                    )
                more = bulk and rng.random() < 0.995  # a pull of many pages: most kills land in it
                page = protocol.PullResponse(
                    changes=changes, cursor=cursor + size, has_more=more, epoch="e1", head=cursor + size
                )
                pull.apply_pull_page(store, page)
            else:  # a push reply stored: the oldest ops acknowledged
                batch = outbox.read_outbox(store, max_ops=rng.randint(1, 25))
                if batch:
                    plan = {
                        "n": batch[0].op_id,  # names the batch for good (a counter could repeat after a kill)
                        "op_ids": [op.op_id for op in batch],
                        "inserts": [[op.entity, op.entity_id] for op in batch if op.op == "insert"],
                    }
                    store.set_state("ack_plan", orjson.dumps(plan).decode())
                    reply = protocol.PushResponse(
                        client_id=client_id,
                        last_seq=batch[-1].client_seq,
                        epoch="e1",
                        results=[
                            protocol.OpResult(
                                client_seq=op.client_seq, op_id=op.op_id, status="applied", version=1
                            )
                            for op in batch
                        ],
                    )
                    push.apply_push_reply(store, batch, reply, client_id)
                    settle_ack_plan(store)
        except DomainError:
            pass  # a refused action writes nothing


# --- the check -------------------------------------------------------------------------------------------


def _acked(state: dict[str, str], outbox_ids: set[str]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for key, value in state.items():
        if key.startswith("acked:"):
            out |= {tuple(k) for k in orjson.loads(value)}  # type: ignore[misc]
    plan = state.get("ack_plan")
    if plan:
        doc = orjson.loads(plan)
        left = sum(1 for op_id in doc["op_ids"] if op_id in outbox_ids)
        assert left in (0, len(doc["op_ids"])), (
            f"a push reply was stored in part: {left} of {len(doc['op_ids'])} ops left"
        )
        if left == 0:
            out |= {tuple(k) for k in doc["inserts"]}  # type: ignore[misc]
    return out


def _indexes(conn: Any) -> list[tuple[str, str]]:
    return [tuple(r) for r in conn.exec_driver_sql(INDEX_SQL).all()]  # type: ignore[misc]


INDEX_SQL = "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
_MIGRATED: list[tuple[str, str]] = []


def migrated_indexes() -> list[tuple[str, str]]:
    """Every index of a freshly migrated laptop database (name, sql)."""
    if not _MIGRATED:
        import tempfile

        from zsfield.store import Store

        with (
            tempfile.TemporaryDirectory() as folder,
            Store.open(Path(folder) / "fresh.db") as fresh,
            fresh.engine.connect() as conn,
        ):
            _MIGRATED.extend(_indexes(conn))
    return _MIGRATED


def check_store(path: Path) -> dict[str, int]:
    """Assert what a kill may leave (see the module docstring); returns counts of what the file holds."""
    from sqlmodel import select

    from zsfield.domain.codec import encode_record
    from zsfield.domain.models import ENTITIES
    from zsfield.store import Store

    store = Store.open(path)
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert _indexes(conn) == migrated_indexes(), "the file lacks an index after its open"
            ops = conn.exec_driver_sql(
                "SELECT client_seq, op_id, entity, entity_id, op, fields FROM outbox ORDER BY client_seq"
            ).all()
            state = dict(conn.exec_driver_sql("SELECT key, value FROM sync_state").all())
        acked = _acked(state, {op.op_id for op in ops})
        by_record: dict[tuple[str, str], list[Any]] = {}
        for op in ops:
            by_record.setdefault((op.entity, op.entity_id), []).append(op)
        rows: dict[tuple[str, str], tuple[dict[str, Any], int]] = {}
        with store.read() as session:
            for entity, cls in ENTITIES.items():
                for obj in session.exec(select(cls)):
                    rows[(entity, obj.id)] = (encode_record(obj), obj.version)
        cursor = int(state.get("cursor") or 0)
        pulled = {k for k, (wire, _) in rows.items() if wire.get("created_by") == PEER}
        assert pulled == {("company", pulled_id(s)) for s in range(1, cursor + 1)}, (
            f"pulled records and the stored cursor ({cursor}) disagree"
        )
        for key, record_ops in by_record.items():
            assert key in rows, f"an op names {key}, which is not in the database"
            inserts = [op for op in record_ops if op.op == "insert"]
            assert len(inserts) <= 1, f"{key} has {len(inserts)} insert ops"
            assert key not in pulled, f"the pulled record {key} has ops"
        for key, (wire, version) in rows.items():
            record_ops = by_record.get(key, [])
            if key in pulled:
                continue
            if record_ops and record_ops[0].op == "insert":
                assert key not in acked, f"{key}: acknowledged, yet its insert op is still waiting"
                expected: dict[str, Any] = {}
                for op in record_ops:
                    if op.op == "delete":
                        expected["deleted"] = True
                    else:
                        expected.update(orjson.loads(op.fields))
                assert version == 0, f"{key}: never acknowledged, yet at version {version}"
            else:
                assert key in acked, f"{key} has no insert op and was neither acknowledged nor pulled"
                expected = {}
                for op in record_ops:
                    assert op.op != "insert"
                    if op.op == "delete":
                        expected["deleted"] = True
                    else:
                        expected.update(orjson.loads(op.fields))
            diff = {
                k: (wire.get(k), v) for k, v in expected.items() if k not in NOT_CARRIED and wire.get(k) != v
            }
            assert not diff, f"{key}: (record, its ops) differ: {diff}"
        return {
            "records": len(rows) - len(pulled),
            "pulled": len(pulled),
            "acked": len(acked),
            "outbox": len(ops),
        }
    finally:
        store.close()


# --- the fork server ------------------------------------------------------------------------------------------


def serve(lines: Iterator[str]) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # killed children are reaped by the kernel
    print("ready", flush=True)
    for line in lines:
        parts = line.split()
        if not parts or parts[0] == "quit":
            return
        _, db, seed = parts[:3]
        pid = os.fork()
        if pid == 0:
            try:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                write_forever(db, int(seed), bulk="bulk" in parts[3:])
            except (
                BaseException
            ):  # a bug, not a kill (SIGKILL runs no code): leave the traceback for the test
                import traceback

                Path(db + ".error").write_text(traceback.format_exc())
            finally:
                os._exit(1)
        print(pid, flush=True)


if __name__ == "__main__":
    # importing now, once, is the point: every forked writer starts with the store loaded
    import zsfield.store.actions.leads  # noqa: F401
    import zsfield.store.actions.projects  # noqa: F401
    import zsfield.store.actions.timeline  # noqa: F401
    import zsfield.store.pull  # noqa: F401
    import zsfield.store.push  # noqa: F401
    from zsfield.domain.codec import encode_record  # noqa: F401

    serve(iter(sys.stdin.readline, ""))
