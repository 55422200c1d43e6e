"""Property-based convergence of the sync protocol (DESIGN: sync protocol, "nothing lost").

A hypothesis ``RuleBasedStateMachine`` drives four laptops — officers A1 and A2 of team 一组, B1 of team 二组
and a supervisor S — against one real server (uvicorn on a loopback port, in a thread; SQLite, and
PostgreSQL where ``ZSFIELD_TEST_PG_URL`` is set). Every step is either an officer's action through the real
store functions (capture a lead, convert it into a project, edit fields — two officers the same one —, move
stages forward and back, log visits with follow-ups, complete or delete, decide conflicts) or a sync, plain or
under a fault: a push reply lost after the server committed, a laptop killed between the reply and the outbox
trim (and reopened), a pull cut mid-page (and a pull reply lost), an edit made while a sync is in flight, the
server restarted, two laptops pushing at once (threads).
Beside them an adversarial client (one marked block of rules): crafted pushes with real officers' tokens
against another team's records, on bases the server never handed out, replays of acknowledged ops naming
other records, and companies whose aliases have the wrong shape — each refused with the record as it was,
and no team record ever in the shared scope.

After every step: a laptop's outbox holds only ops the test saw being made, and a record with ops waiting
shows what they say (no ack or pull wrote over a pending edit). After a final full sync of everyone, twice:

* every laptop's outbox is empty and each replicated table equals the server's records that laptop may see
  (the supervisor: all; an officer: shared ones and their team's), field by field, version included;
* every op any laptop made is in the server's op log exactly once, and an op that did not simply apply is
  visible where the officer looks: its conflicts in the laptop's conflict list and the server's conflict log,
  its rejection in the laptop's rejections;
* every insert that was not refused made its record on the server, and no stage event, visit or follow-up
  exists twice: the server holds exactly one record per insert made.

Profiles (the CI one keeps this file well under 90 s on a loaded 2-core machine)::

    pytest tests/test_convergence.py                             # CI: a few examples per backend
    HYPOTHESIS_PROFILE=long pytest tests/test_convergence.py     # 200 examples of up to 60 steps
    ZSFIELD_CONVERGENCE_EXAMPLES=50 ZSFIELD_CONVERGENCE_STEPS=40 pytest tests/test_convergence.py

PostgreSQL runs a smaller CI profile (a fresh schema per example costs more); the long profile runs both in
full.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select, text
from sqlmodel import select as select_records

from sync_helpers import (
    PG_ENV,
    Laptop,
    SimulatedCrash,
    ThreadedServer,
    Zone,
    make_database,
    raw_push,
    wire_op,
)
from zsfield.domain.codec import encode_field, encode_record
from zsfield.domain.enums import STAGES, Stage
from zsfield.domain.models import ENTITIES, FollowUp, Lead, Project
from zsfield.domain.problems import DomainError
from zsfield.store import Store
from zsfield.store.conflicts import rejection_id, resolve_conflict
from zsfield.store.read.sync_lists import open_conflicts
from zsfield.sync.results import SyncResult
from zsfield.sync.run import run_sync

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
LONG = PROFILE == "long"


def _profile(backend: str) -> settings:
    examples, steps = (200, 60) if LONG else ((4, 30) if backend == "sqlite" else (3, 20))
    examples = int(os.environ.get("ZSFIELD_CONVERGENCE_EXAMPLES", examples))
    steps = int(os.environ.get("ZSFIELD_CONVERGENCE_STEPS", steps))
    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,  # every run explores afresh; a failure prints its steps
        print_blob=True,
    )


# --- a server that can be restarted on the same port (the laptops remember its URL) -----------------------


class RestartableServer(ThreadedServer):
    def restart(self) -> None:
        from zsfield_sync.storage import open_storage

        self._server.should_exit = True
        assert self._thread is not None
        self._thread.join(timeout=15)
        self.sock.close()
        self.engine.dispose()
        self.engine = open_storage(self.db.url)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.start()


# --- the officers' actions ------------------------------------------------------------------------------

PROJECT_VALUES: dict[str, list[Any]] = {
    "park_area": ["东区", "西区", "南区"],
    "industry": ["芯片", "电池", "光伏"],
    "capacity": ["1万吨", "2万吨"],
    "planned_investment": [Decimal("100000000"), Decimal("500000000"), Decimal("2000000000")],
}
NOT_CARRIED = frozenset({"updated_at", "total_investment_cny", "band"})
"""Fields no op carries (the server sets ``updated_at``; both sides derive the CNY total and band)."""


_OTHER_PROCESS_SYNC = """
import os, sys
from zsfield.config import load_settings
from zsfield.store import Store
from zsfield.sync.client import SyncOptions
from zsfield.sync.run import run_sync
settings = load_settings()
with Store.open(settings.db_path) as store:
    print("ready", flush=True)
    sys.stdin.readline()
    options = SyncOptions(token=os.environ["ZSFIELD_TEST_TOKEN"], server=os.environ["ZSFIELD_TEST_SERVER"],
                          batch_ops=3, page_size=20, backoff=0.01, max_backoff=0.05)
    result = run_sync(store, settings, options=options)
print("ok" if result.ok else (result.error_kind or "failed"), flush=True)
"""
"""A sync of a laptop's database in another process (issue 11 point 4: two syncs of one laptop at once)."""


def _sync(lap: Laptop, **kw: Any) -> SyncResult:
    """A sync with the token passed directly (no keyring: safe to run from two threads at once)."""
    return run_sync(lap.store, lap.settings, options=lap.options(token=lap.token, **kw))


def _update(w: Any, pid: str, field: str, value: Any) -> None:
    from zsfield.store.actions.projects import update_project

    update_project(w, w.session.get(Project, pid), **{field: value})


def _reopen(lap: Laptop) -> None:
    """The laptop was killed: the app starts again on the same file."""
    lap.store.close()
    lap.store = Store.open(lap.settings.db_path)


def _live(lap: Laptop, entity: str, where: str = "") -> list[str]:
    table = ENTITIES[entity].__tablename__  # type: ignore[attr-defined]
    ids = lap.store.engine.connect()
    try:
        sql = f"SELECT id FROM {table} WHERE deleted = 0 {where} ORDER BY id"
        return [r[0] for r in ids.execute(text(sql))]
    finally:
        ids.close()


class ConvergenceMachine(RuleBasedStateMachine):
    backend = "sqlite"

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="zsfield-convergence-"))
        self.db = make_database(self.backend, self.tmp)
        self.server = RestartableServer(self.db).start()
        self.zone = Zone(self.server, self.tmp)  # type: ignore[arg-type]
        self.laps: list[Laptop] = [
            self.zone.laptop("A1"),
            self.zone.laptop("A2"),
            self.zone.laptop("B1", team="二组", office="深圳"),
            self.zone.laptop("S", team=None, role="supervisor"),
        ]
        self.teams = [self.laps[0].team_id, self.laps[2].team_id]
        self.made: dict[str, tuple[str, str, str, str]] = {}  # op_id -> (laptop, entity, entity_id, op)
        self.counter = 0

    def teardown(self) -> None:
        try:
            self.zone.close()
            self.server.stop()
        finally:
            self.db.cleanup()
            shutil.rmtree(self.tmp, ignore_errors=True)

    # --- bookkeeping ------------------------------------------------------------------------------------

    def _note_ops(self, lap: Laptop) -> None:
        """Remember every op now in the laptop's outbox (an action's ops are there until a sync sends them)."""
        with lap.store.engine.connect() as conn:
            for op_id, entity, entity_id, op in conn.execute(
                text("SELECT op_id, entity, entity_id, op FROM outbox")
            ):
                self.made.setdefault(op_id, (lap.name, entity, entity_id, op))

    def _act(self, lap: Laptop, fn: Any) -> None:
        """Run one officer action (one transaction); a refused action writes nothing, not even an op."""
        before = lap.outbox()
        try:
            with lap.store.write(lap.officer_id) as w:
                fn(w)
        except DomainError:
            assert lap.outbox() == before, "a refused action left ops in the outbox"
            return
        self._note_ops(lap)

    def _name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def _projects(self, lap: Laptop) -> list[str]:
        return _live(lap, "project")

    @staticmethod
    def _pick(items: list[str], n: int) -> str | None:
        return items[n % len(items)] if items else None

    def _team_for(self, lap: Laptop, n: int) -> str:
        return lap.team_id or self.teams[n % 2]

    # --- officers' actions ------------------------------------------------------------------------------

    @initialize()
    def first_projects(self) -> None:
        """Every run starts with a project per officer (the supervisor's in team 二组), known to everyone."""
        for who in range(len(self.laps)):
            self.capture(who, 1, True)
        for lap in self.laps:
            assert _sync(lap).ok

    @rule(who=st.integers(0, 3), n=st.integers(0, 9), convert=st.booleans())
    def capture(self, who: int, n: int, convert: bool) -> None:
        """A lead captured (its company, contact and note), screened real and, maybe, converted."""
        from zsfield.store.actions.leads import capture_lead, convert_lead, screen_lead

        lap = self.laps[who]
        team = self._team_for(lap, n)
        name = self._name("项目")

        def act(w: Any) -> None:
            lead = capture_lead(
                w,
                title=name,
                company_name=f"{name}有限公司",
                team_id=team,
                received_by=lap.officer_id,
                contact_name="王经理",
                note="展会结识",
            )
            if convert:
                screen_lead(w, lead, verdict="real", reason="核实真实")
                convert_lead(w, lead, owner_team_id=team, leader_id=lap.officer_id)

        self._act(lap, act)

    @rule(who=st.integers(0, 3), n=st.integers(0, 99), field=st.sampled_from(sorted(PROJECT_VALUES)))
    def edit_project(self, who: int, n: int, field: str) -> None:

        lap = self.laps[who]
        pid = self._pick(self._projects(lap), n)
        if pid is None:
            return
        values = PROJECT_VALUES[field]
        self._act(lap, lambda w: _update(w, pid, field, values[n % len(values)]))

    @rule(
        a=st.integers(0, 3),
        b=st.integers(0, 3),
        n=st.integers(0, 99),
        field=st.sampled_from(sorted(PROJECT_VALUES)),
        sync_now=st.booleans(),
    )
    def rival_edits(self, a: int, b: int, n: int, field: str, sync_now: bool) -> None:
        """Two officers, offline, set the same field of the same project to different values (and maybe sync
        at once, one after the other: the second meets a conflict)."""
        if a == b:
            return
        shared = sorted(set(self._projects(self.laps[a])) & set(self._projects(self.laps[b])))
        pid = self._pick(shared, n)
        if pid is None:
            return
        values = PROJECT_VALUES[field]
        for i, lap in enumerate((self.laps[a], self.laps[b])):
            value = values[(n + i) % len(values)]
            self._act(lap, lambda w, value=value: _update(w, pid, field, value))
        if sync_now:
            self.sync(a)
            self.sync(b)

    @rule(who=st.integers(0, 3), n=st.integers(0, 99), back=st.booleans(), prepare=st.booleans())
    def move_stage(self, who: int, n: int, back: bool, prepare: bool) -> None:
        """Advance a project one stage (preparing what the stage needs, or not: then it is refused), or
        move it back with a reason; stops at 意向签约."""
        from zsfield.store.actions.projects import move_stage, update_project

        lap = self.laps[who]
        pid = self._pick(self._projects(lap), n)
        if pid is None:
            return

        def act(w: Any) -> None:
            project = w.session.get(Project, pid)
            index = STAGES.index(Stage(project.stage))
            if back and index > 0:
                move_stage(w, project, STAGES[index - 1], note="客户要求重新评估")
                return
            target = STAGES[index + 1] if index < 2 else None
            if target is None:
                return
            if target == Stage.INTENT_SIGNED and prepare:
                update_project(
                    w, project, intent_signed_on=date(2026, 11, 1), planned_investment=Decimal("300000000")
                )
            move_stage(w, project, target)

        self._act(lap, act)

    @rule(who=st.integers(0, 3), n=st.integers(0, 99), follow=st.booleans())
    def log_visit(self, who: int, n: int, follow: bool) -> None:
        from zsfield.store.actions.timeline import log_visit

        lap = self.laps[who]
        pid = self._pick(self._projects(lap), n)
        if pid is None:
            return
        next_on = date(2026, 12, 1) + timedelta(days=n) if follow else None
        self._act(lap, lambda w: log_visit(w, project_id=pid, summary=f"拜访{n}", next_on=next_on))

    @rule(who=st.integers(0, 3), n=st.integers(0, 99))
    def add_follow_up(self, who: int, n: int) -> None:
        from zsfield.store.actions.timeline import add_follow_up

        lap = self.laps[who]
        lead_ids = _live(lap, "lead")
        target = self._pick(self._projects(lap) + lead_ids, n)
        if target is None:
            return
        key = "lead_id" if target in lead_ids else "project_id"
        self._act(lap, lambda w: add_follow_up(w, title="回访", due_on=date(2026, 12, 20), **{key: target}))

    @rule(who=st.integers(0, 3), n=st.integers(0, 99))
    def complete_follow_up(self, who: int, n: int) -> None:
        from zsfield.store.actions.timeline import complete_follow_up

        lap = self.laps[who]
        fid = self._pick(_live(lap, "follow_up", "AND done = 0"), n)
        if fid is None:
            return
        self._act(lap, lambda w: complete_follow_up(w, w.session.get(FollowUp, fid), outcome=f"已办{n}"))

    @rule(who=st.integers(0, 3), n=st.integers(0, 99), kind=st.sampled_from(["project", "lead", "follow_up"]))
    def delete(self, who: int, n: int, kind: str) -> None:
        lap = self.laps[who]
        rid = self._pick(_live(lap, kind), n)
        if rid is None:
            return
        cls = {"project": Project, "lead": Lead, "follow_up": FollowUp}[kind]
        self._act(lap, lambda w: w.delete(w.session.get(cls, rid)))

    @rule(who=st.integers(0, 3), n=st.integers(0, 99), choice=st.sampled_from(["mine", "theirs", "edited"]))
    def resolve(self, who: int, n: int, choice: str) -> None:
        deciding = [lap for lap in self.laps if open_conflicts(lap.store)]  # whoever has one to decide
        if not deciding:
            return
        lap = deciding[who % len(deciding)]
        conflicts = open_conflicts(lap.store)
        conflict = conflicts[n % len(conflicts)]
        value: Any = None
        if choice == "edited":
            if conflict["field"] == "*":
                if conflict["mine"] is None:
                    choice = "theirs"  # my delete met an edit: decided by mine or theirs only
                else:
                    value = conflict["mine"]
            else:
                values = PROJECT_VALUES.get(conflict["field"]) if conflict["entity"] == "project" else None
                value = (
                    encode_field("project", conflict["field"], values[n % len(values)])
                    if values
                    else conflict["mine"]
                )
        resolve_conflict(lap.store, conflict["id"], choice, value, actor_id=lap.officer_id)
        self._note_ops(lap)

    # --- syncs, plain and under faults --------------------------------------------------------------------

    @rule(who=st.integers(0, 3))
    def sync(self, who: int) -> None:
        lap = self.laps[who]
        result = _sync(lap, page_size=7)
        assert result.ok, f"{lap.name}: {result.error}"

    FAULTS = ("reply lost", "killed", "officer edits meanwhile")

    @rule(
        who=st.integers(0, 3),
        fault=st.sampled_from(FAULTS),
        at=st.sampled_from(["push:reply", "pull:page"]),
        n=st.integers(0, 99),
    )
    def sync_under_fault(self, who: int, fault: str, at: str, n: int) -> None:
        """One sync meeting one fault (a single rule, so that syncs do not crowd out the officers' work)."""
        if fault == "reply lost":
            self.sync_reply_lost(who, "/v1/push" if at == "push:reply" else "/v1/pull")
        elif fault == "killed":
            self.sync_killed(who, at, 1 + n % 3)
        else:
            self.sync_while_editing(who, at, n)

    def sync_reply_lost(self, who: int, path: str) -> None:
        """The server handled the request (a push committed), the reply never arrived: retried."""
        lap = self.laps[who]
        lap.transport.lose_replies[path] = 1
        result = _sync(lap, page_size=7)
        lap.transport.lose_replies.pop(path, None)
        assert result.ok, f"{lap.name}: {result.error}"

    def sync_killed(self, who: int, at: str, nth: int) -> None:
        """The laptop dies at the nth fault point: after a push reply arrived but before the outbox trim, or
        with a pulled page in hand (mid-pull); the app then starts again on the same file."""
        lap = self.laps[who]
        seen = {"n": 0}

        def crash(stage: str) -> None:
            if stage == at:
                seen["n"] += 1
                if seen["n"] == nth:
                    raise SimulatedCrash(stage)

        try:
            result = _sync(lap, fault=crash, page_size=3, batch_ops=4)
        except SimulatedCrash:
            _reopen(lap)
        else:
            assert result.ok, f"{lap.name}: {result.error}"

    def sync_while_editing(self, who: int, at: str, n: int) -> None:
        """The officer keeps working while the sync runs (the TUI never waits for it): an edit lands between a
        push reply and its storing, or between a pulled page and its storing."""
        from zsfield.store.actions.projects import update_project

        lap = self.laps[who]
        done: list[str] = []

        def edit(stage: str) -> None:
            if stage != at or done:
                return
            done.append(stage)
            mine = self._projects(lap)
            if stage == "pull:page":  # a project the page in hand brings: the edit races the page
                cursor = int(lap.store.get_state("cursor") or 0)
                coming = sorted(
                    (r["server_seq"], r["id"])
                    for r in self.server.records("project")
                    if r["server_seq"] > cursor and r["id"] in mine
                )
                mine = [rid for _, rid in coming[:3]] or mine
            pid = self._pick(mine, n)
            if pid is not None:
                field = sorted(PROJECT_VALUES)[n % len(PROJECT_VALUES)]
                value = PROJECT_VALUES[field][n % len(PROJECT_VALUES[field])]
                self._act(lap, lambda w: update_project(w, w.session.get(Project, pid), **{field: value}))

        result = _sync(lap, fault=edit, page_size=20, batch_ops=5)
        assert result.ok, f"{lap.name}: {result.error}"

    # --- team move (issue 11.8) ---------------------------------------------------------------------------
    # The supervisor moves a project to the other team. The old team's laptops drop it at their next pull
    # (what they wrote before reaches the new team: checked by the final convergence, every table equal to
    # what each laptop may see); ops still waiting about it are listed in moved_change, not on a record.

    @rule(n=st.integers(0, 99))
    def team_move(self, n: int) -> None:
        from zsfield.store.actions.projects import update_project

        sup = self.laps[3]
        pid = self._pick(self._projects(sup), n)
        if pid is None:
            return

        def act(w: Any) -> None:
            project = w.session.get(Project, pid)
            other = self.teams[1] if project.owner_team_id == self.teams[0] else self.teams[0]
            update_project(w, project, owner_team_id=other)

        self._act(sup, act)

    # --- end of team move ------------------------------------------------------------------------------

    @rule()
    def restart_server(self) -> None:
        self.server.restart()

    @rule(a=st.integers(0, 3), b=st.integers(0, 3))
    def concurrent_syncs(self, a: int, b: int) -> None:
        """Two laptops push (and pull) at the same moment, from two threads."""
        if a == b:
            return
        results: dict[str, SyncResult] = {}
        errors: list[BaseException] = []
        barrier = threading.Barrier(2)

        def run(lap: Laptop) -> None:
            try:
                barrier.wait(timeout=60)
                results[lap.name] = _sync(lap, page_size=5, batch_ops=3)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(self.laps[i],)) for i in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not errors, errors
        for name, result in results.items():
            assert result.ok, f"{name}: {result.error}"

    # === the adversarial client (issue 11): crafted pushes with real tokens ===================================
    # Ops no laptop makes, sent with an officer's own token from a client id of its own: writes to another
    # team's records, bases above the server's version, replays naming other records, shared records of wrong
    # shapes. Each is refused, and the record it aims at is exactly as before; the laptops never see them
    # (they are not in ``self.made``: the final checks still find every laptop op once, nothing leaked —
    # each laptop's tables are the server's records it may read — and no visit or follow-up but the ones made).

    _ADVERSARY_SHAPES = ([1, {}, None], {"a": "b"}, "宁德时代", [["嵌套"]], [True], [None])

    def _adversary_push(self, who: int, ops: list[dict[str, Any]], client_id: str | None = None) -> Any:
        import httpx

        headers = {"Authorization": f"Bearer {self.laps[who].token}"}
        with httpx.Client(base_url=self.server.url, headers=headers, timeout=60) as c:
            return raw_push(c, ops, client_id)

    @staticmethod
    def _crafted(seq: int, entity: str, entity_id: str, fields: dict[str, Any], kind: str, base: int) -> Any:
        return wire_op(seq, entity, entity_id, fields, kind, base)

    def _server_projects(self, team: str) -> list[dict[str, Any]]:
        return sorted(
            (r for r in self.server.records("project") if r["scope"] == team), key=lambda r: r["id"]
        )

    @rule(
        n=st.integers(0, 99), how=st.sampled_from(["shared", "rename", "delete", "visit", "take", "future"])
    )
    def adversary_writes_another_teams_project(self, n: int, how: str) -> None:
        """B1's token against one of team 一组's projects: every op refused, the project as it was."""
        import uuid

        from zsfield import protocol

        targets = self._server_projects(self.teams[0])
        if not targets:
            return
        target = targets[n % len(targets)]
        pid, version = target["id"], target["version"]
        op = {
            "shared": lambda: self._crafted(1, "project", pid, {"owner_team_id": "*"}, "update", version),
            "rename": lambda: self._crafted(1, "project", pid, {"name": "二组拿走"}, "update", version),
            "delete": lambda: self._crafted(1, "project", pid, {}, "delete", version),
            "visit": lambda: self._crafted(
                1, "visit", str(uuid.uuid4()), {"project_id": pid, "summary": "冒名拜访"}, "insert", 0
            ),
            "take": lambda: self._crafted(
                1, "project", pid, {"owner_team_id": self.teams[1]}, "update", version
            ),
            "future": lambda: self._crafted(1, "project", pid, {"park_area": "北区"}, "update", 10**6),
        }[how]()
        r = self._adversary_push(2, [op])
        assert r.status_code == 200, r.text
        result = r.json()["results"][0]
        assert (result["status"], result["code"]) == ("rejected", protocol.REJECT_FORBIDDEN), (how, result)
        assert result["record"] is None
        assert self.server.record("project", pid) == target, f"{how}: team 一组's project changed"

    @rule(who=st.sampled_from([0, 2]), n=st.integers(0, 99), ahead=st.integers(1, 10**6))
    def adversary_future_base(self, who: int, n: int, ahead: int) -> None:
        """An officer's own team's project, edited or deleted on a base the server never handed out."""
        from zsfield import protocol

        lap = self.laps[who]
        targets = self._server_projects(lap.team_id)
        if not targets:
            return
        target = targets[n % len(targets)]
        kind = "delete" if n % 3 == 0 else "update"
        fields = {} if kind == "delete" else {"capacity": "伪造产能"}
        r = self._adversary_push(
            who, [self._crafted(1, "project", target["id"], fields, kind, target["version"] + ahead)]
        )
        result = r.json()["results"][0]
        assert (result["status"], result["code"]) == ("rejected", protocol.REJECT_BAD_BASE), result
        assert self.server.record("project", target["id"]) == target

    @rule(n=st.integers(0, 99), kind=st.sampled_from(["update", "insert", "delete"]))
    def adversary_replay_naming_another_record(self, n: int, kind: str) -> None:
        """B1's own acknowledged op, sent again naming one of team 一组's projects: refused, nothing leaks."""
        import uuid

        from zsfield import protocol

        targets = self._server_projects(self.teams[0])
        if not targets:
            return
        target = targets[n % len(targets)]
        client_id, company = str(uuid.uuid4()), str(uuid.uuid4())
        first = self._crafted(1, "company", company, {"name": self._name("乙组录入企业")}, "insert", 0)
        assert self._adversary_push(2, [first], client_id).json()["results"][0]["status"] == "applied"
        crafted = {**first, "entity": "project", "entity_id": target["id"], "op": kind}
        r = self._adversary_push(2, [crafted], client_id)
        assert r.status_code == 409 and r.json()["code"] == protocol.ERR_SEQ_REUSED, r.text
        assert target["id"] not in r.text and target["data"]["name"] not in r.text
        assert self.server.record("project", target["id"]) == target

    @rule(
        who=st.integers(0, 3), shape=st.sampled_from(range(len(_ADVERSARY_SHAPES))), update_one=st.booleans()
    )
    def adversary_company_of_a_wrong_shape(self, who: int, shape: int, update_one: bool) -> None:
        """A shared record whose aliases are not a list of texts: refused, the zone's index untouched."""
        import uuid

        from zsfield import protocol

        bad = self._ADVERSARY_SHAPES[shape]
        companies = sorted((r for r in self.server.records("company")), key=lambda r: r["id"])
        if update_one and companies:
            target = companies[shape % len(companies)]
            op = self._crafted(1, "company", target["id"], {"aliases": bad}, "update", target["version"])
        else:
            target = None
            op = self._crafted(
                1, "company", str(uuid.uuid4()), {"name": "毒药企业", "aliases": bad}, "insert", 0
            )
        result = self._adversary_push(who, [op]).json()["results"][0]
        assert (result["status"], result["code"]) == ("rejected", protocol.REJECT_INVALID), (bad, result)
        if target is not None:
            assert self.server.record("company", target["id"]) == target
        else:
            assert self.server.record("company", op["entity_id"]) is None

    @invariant()
    def scopes_follow_the_servers_facts(self) -> None:
        """No team record is ever in the shared scope: a project or lead is in the team its field names, a
        child in its parent's scope."""
        from zsfield_sync.push_apply import SHARED_READ

        records = {(r["entity"], r["id"]): r for r in self.server.records()}
        for (entity, _), r in records.items():
            if entity in SHARED_READ:
                assert r["scope"] == "*", r
                continue
            assert r["scope"] != "*", f"{entity} {r['id']} is in the shared scope"
            team = r["data"].get({"project": "owner_team_id", "lead": "team_id"}.get(entity, ""))
            if entity in ("project", "lead"):
                assert r["scope"] == (team or ""), r
            parent = r["data"].get("project_id") or r["data"].get("lead_id")
            if entity not in ("project", "lead", "contact") and parent:
                kind = "project" if r["data"].get("project_id") else "lead"
                assert r["scope"] == records[(kind, parent)]["scope"], r

    # === end of the adversarial client ========================================================================

    # --- issue 11 point 4 (helper h2): two syncs of one laptop at once, in two processes ----------------------

    @rule(who=st.integers(0, 3), n=st.integers(0, 99), edit_during=st.booleans())
    def same_laptop_two_processes(self, who: int, n: int, edit_during: bool) -> None:
        """One laptop syncs in this process and, at the same moment, in another (`zsfield sync` in a second
        terminal while the app syncs), maybe while the officer edits: one of them runs, the other is told a
        sync of this database is running; nothing is lost or doubled (the final checks)."""
        import subprocess
        import sys

        lap = self.laps[who]
        env = {
            **os.environ,
            "ZSFIELD_HOME": str(lap.home),
            "ZSFIELD_DB": str(lap.settings.db_path),
            "ZSFIELD_TEST_TOKEN": lap.token,
            "ZSFIELD_TEST_SERVER": lap.server.url,
        }
        proc = subprocess.Popen(
            [sys.executable, "-c", _OTHER_PROCESS_SYNC],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stdin is not None
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
        proc.stdin.write("go\n")
        proc.stdin.flush()
        if edit_during:
            self.edit_project(who, n, sorted(PROJECT_VALUES)[n % len(PROJECT_VALUES)])
        here = _sync(lap, batch_ops=3, page_size=20)
        out, err = proc.communicate(timeout=120)
        other = out.strip().splitlines()[-1] if out.strip() else err
        assert proc.returncode == 0, err
        assert other in ("ok", "busy"), other
        assert here.ok or here.error_kind == "busy", f"{lap.name}: {here.error}"
        event(f"two processes: here {'ok' if here.ok else here.error_kind}, other {other}")

    # --- end of the h2 block ------------------------------------------------------------------------------

    @invariant()
    def ops_are_remembered(self) -> None:
        # every op still waiting is one the test saw being made (no sync invents or rewrites ops)
        for lap in self.laps:
            with lap.store.engine.connect() as conn:
                ids = {r[0] for r in conn.execute(text("SELECT op_id FROM outbox"))}
            assert ids <= set(self.made), f"{lap.name} has ops nobody made"

    @invariant()
    def pending_edits_are_never_overwritten(self) -> None:
        # a record with ops still waiting shows what those ops say (neither an ack nor a pull wrote over them)
        for lap in self.laps:
            with lap.store.engine.connect() as conn:
                ops = conn.execute(
                    text("SELECT entity, entity_id, op, fields FROM outbox ORDER BY client_seq")
                ).all()
            expected: dict[tuple[str, str], dict[str, Any]] = {}
            with lap.store.engine.connect() as conn:  # ops about a record that moved away (team move)
                moved = {r[0] for r in conn.execute(text("SELECT entity_id FROM moved_change"))}
            for entity, entity_id, op, fields in ops:
                if entity not in ENTITIES or entity_id in moved:
                    continue
                want = expected.setdefault((entity, entity_id), {})
                if op == "delete":
                    want["deleted"] = True
                elif op in ("insert", "update"):
                    want.update(orjson.loads(fields))
            if not expected:
                continue
            with lap.store.read() as session:
                for (entity, entity_id), want in expected.items():
                    obj = session.get(ENTITIES[entity], entity_id)
                    assert obj is not None, f"{lap.name}: {entity} {entity_id} has ops but no record"
                    wire = encode_record(obj)
                    diff = {
                        k: (wire.get(k), v)
                        for k, v in want.items()
                        if k not in NOT_CARRIED and wire.get(k) != v
                    }
                    assert not diff, (
                        f"{lap.name}: {entity} {entity_id} lost pending edits (record, op): {diff}"
                    )

    # --- the end -----------------------------------------------------------------------------------------

    def check_converged(self) -> None:
        for _ in range(2):
            for lap in self.laps:
                result = _sync(lap)
                assert result.ok, f"{lap.name}: {result.error}"
        for lap in self.laps:
            assert lap.outbox() == 0, f"{lap.name} still has ops"
        server = self._server_records()
        for lap in self.laps:
            self._same_tables(lap, server)
        self._every_op_once()
        statuses: dict[str, int] = {}
        for lap in self.laps:
            statuses["conflicts"] = statuses.get("conflicts", 0) + len(lap.rows("conflict"))
            statuses["rejections"] = statuses.get("rejections", 0) + len(lap.rows("rejection"))
        event(f"ops made: {len(self.made) // 25 * 25}+")
        for name, count in statuses.items():
            event(f"{name}: {'none' if not count else 'some'}")

    def _server_records(self) -> dict[tuple[str, str], dict[str, Any]]:
        out = {}
        for r in self.server.records():
            out[(r["entity"], r["id"])] = r
        return out

    def _same_tables(self, lap: Laptop, server: dict[tuple[str, str], dict[str, Any]]) -> None:
        supervisor = lap.name == "S"
        rejected = {r["entity_id"] for r in lap.rows("rejection")}
        for entity, cls in ENTITIES.items():
            visible = {
                rid: r
                for (e, rid), r in server.items()
                if e == entity and (supervisor or r["scope"] in ("*", lap.team_id))
            }
            with lap.store.read() as session:
                local = {o.id: (encode_record(o), o.version) for o in session.exec(select_records(cls))}
            local_ids = set(local) - rejected
            assert local_ids == set(visible), (
                f"{lap.name} {entity}: only local {sorted(local_ids - set(visible))[:5]}, "
                f"only on the server {sorted(set(visible) - local_ids)[:5]}"
            )
            for rid in sorted(local_ids):
                mine, version = local[rid]
                mine.pop("id")
                theirs = {**visible[rid]["data"], "deleted": bool(visible[rid]["deleted"])}
                diff = {
                    k: (mine.get(k), theirs.get(k))
                    for k in set(mine) | set(theirs)
                    if mine.get(k) != theirs.get(k)
                }
                assert not diff, f"{lap.name} {entity} {rid}: (laptop, server) differ: {diff}"
                assert version == visible[rid]["version"], (
                    f"{lap.name} {entity} {rid}: version {version} ≠ server {visible[rid]['version']}"
                )

    def _every_op_once(self) -> None:
        from zsfield_sync.storage import conflicts, op_log, read_tx

        with read_tx(self.server.engine) as conn:
            log = conn.execute(
                select(op_log.c.op_id, op_log.c.client_id, op_log.c.client_seq, op_log.c.result)
            ).all()
            server_conflicts = {r[0] for r in conn.execute(select(conflicts.c.id))}
        by_op: dict[str, list[Any]] = {}
        for row in log:
            by_op.setdefault(row.op_id, []).append(row)
        laps = {lap.name: lap for lap in self.laps}
        local_conflicts = {name: {r["id"] for r in lap.rows("conflict")} for name, lap in laps.items()}
        local_rejections = {name: {r["id"] for r in lap.rows("rejection")} for name, lap in laps.items()}
        inserted: dict[str, set[str]] = {}
        for op_id, (name, entity, entity_id, op) in self.made.items():
            rows = by_op.get(op_id, [])
            assert len(rows) == 1, (
                f"{name}'s op {op, entity, entity_id} is in the server's op log {len(rows)} times"
            )
            result = orjson.loads(rows[0].result)
            if result["status"] == "rejected":
                rid = rejection_id(rows[0].client_id, rows[0].client_seq)
                assert rid in local_rejections[name], f"{name}'s rejected op {op} {entity} is not listed"
                continue
            for c in result.get("conflicts") or []:
                assert c["conflict_id"] in local_conflicts[name], f"{name} does not list conflict {c}"
                assert c["conflict_id"] in server_conflicts, f"the server's log lacks conflict {c}"
            if op == "insert":
                inserted.setdefault(entity, set()).add(entity_id)
        server = self._server_records()
        for entity, ids in inserted.items():  # every insert that was not refused made its record
            missing = {rid for rid in ids if (entity, rid) not in server}
            assert not missing, f"{entity}: inserts applied but not on the server: {sorted(missing)[:5]}"
        for entity in ("stage_event", "visit", "follow_up"):
            on_server = {rid for (e, rid) in server if e == entity}
            assert on_server == inserted.get(entity, set()), f"{entity}: server ≠ inserts made"


class PgConvergenceMachine(ConvergenceMachine):
    backend = "postgresql"


def _run(machine: type[ConvergenceMachine], backend: str) -> None:
    class Checked(machine):  # type: ignore[valid-type, misc]
        def teardown(self) -> None:
            try:
                self.check_converged()
            finally:
                super().teardown()

    Checked.__name__ = machine.__name__
    run_state_machine_as_test(Checked, settings=_profile(backend))


def test_convergence_sqlite() -> None:
    _run(ConvergenceMachine, "sqlite")


@pytest.mark.pg
@pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set (no PostgreSQL)")
def test_convergence_postgresql() -> None:
    _run(PgConvergenceMachine, "postgresql")
