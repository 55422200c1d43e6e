"""Checks a push batch against the domain's own rules *before* any op of it is applied: once, inside the push's
write transaction (:func:`zsfield_sync.push.push_reply`), on the records the apply then changes
(:class:`~zsfield_sync.record.Rec`, loaded once by :meth:`~zsfield_sync.push_apply.BatchApplier.prefetch`).

A zsfield laptop never writes these values (its store refuses them first), so finding one means a broken or
hostile client. The whole request is refused — 422, code :data:`ERR_INVALID_OP`, every offending op listed
in ``errors`` (``client_seq``, ``op_id``, ``entity``, ``entity_id``, ``field``, ``code``, ``message``) — and
nothing of the batch is applied. What is checked (see ``sync/README.md``, "Validation and security"):

* **money** (:mod:`zsfield.domain.money`): every amount column (``DecimalText``) travels as decimal text (or
  an integer), is a finite number and is not negative; counts (``committed_jobs``, ``count``…) are integers
  ≥ 0; currency columns hold a 3-letter ISO 4217 code in capitals.
* **time**: timestamps (``created_at``, ``occurred_at``, ``at``…) lie between
  :data:`~zsfield.domain.fields.EARLIEST` and :data:`~zsfield.domain.fields.FUTURE_SLACK` after the server's
  clock; calendar dates between 1980 and :data:`~zsfield.domain.fields.DATE_YEARS_AHEAD` years from now.
* **versions**: ``base_version`` is at most :data:`MAX_VERSION`.
* **size**: no NUL character anywhere (PostgreSQL cannot store one); a text column holds at most its length,
  or :data:`~zsfield.domain.fields.MAX_TEXT_CHARS` where it has none; a JSON column at most that when
  serialised; field names at most 60 characters.
* **stage flow** (:mod:`zsfield.domain.flow`), for a project ``update`` that sets ``stage``, judged from the
  op and the server's record as it stands before the batch (plus the batch's earlier ops):

  - the stage is a known stage code;
  - the next stage is always accepted (the laptop checked the entry requirements with the whole service
    plan and milestones in hand); a forward jump over stages needs the requirements of every stage up to
    the target that live on the project row (``missing_for``); requirements kept in child records
    (promised milestones, the permit list) are not judged here;
  - a move back needs its reason: a ``stage_event`` insert for the project with ``to_value`` = the new
    stage, ``backwards`` and a non-blank ``note`` in the same batch — unless the move is the batch's last
    op (its event then opens the next batch and is checked there);
  - not judged (apply turns it into a field conflict, or it is a decision on one): a project whose
    ``stage`` was changed since the op's ``base_version`` by another client, one with an open conflict on
    ``stage`` or ``*``, a deleted one, one inserted again, and a project's status (a supervisor may close
    it while the officer is offline).

  A ``stage_event`` insert is judged on its own: known codes, ``from_value`` ≠ ``to_value``, ``backwards``
  agreeing with the order, and a reason (``note``) on a move back.

The value rules are the domain's (:func:`zsfield.domain.fields.check_value`), and so are the stage event's
(:func:`zsfield.domain.flow.stage_event_problem`) and the conflict rule that decides whose value a field holds
(:func:`zsfield.domain.conflicts.changed_by_other`); this module walks the batch.

Replayed ops (``client_seq`` at or below the client's ``last_seq``) are left alone: the server answers them
from its op log. Shape errors (unknown entity or field, a wrong JSON type outside money, an unknown enum code
in a new record, a missing required field) stay per-op rejections of :mod:`zsfield_sync.push_apply`, and
authorisation is per op too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from zsfield.domain.conflicts import changed_by_other
from zsfield.domain.enums import MilestoneKind, Stage
from zsfield.domain.fields import check_value, has_nul, shown
from zsfield.domain.flow import (
    FlowContext,
    has_reason,
    is_back_move,
    missing_for,
    stage_event_problem,
    stage_of,
)
from zsfield.domain.models import ENTITIES
from zsfield.protocol import ERR_INVALID_OP, Op, PushRequest
from zsfield_sync.auth import ApiError
from zsfield_sync.record import CREATED, Rec
from zsfield_sync.storage import conflicts

MAX_FIELD_NAME = 60
MAX_ERRORS = 50
MAX_VERSION = 2**31 - 1
"""Record versions are 32-bit columns: a larger ``base_version`` names no version and cannot be logged in a
conflict (PostgreSQL refused it, and the refusal looked like a busy database: a 503 retried for ever)."""

# Requirements that live in child records (milestones, service items) are left to the laptop: the server
# would judge them from records that may still be in flight.
_ASSUME_CHILDREN = FlowContext(promised_milestones=frozenset(MilestoneKind), permit_items=1)

Records = Callable[[str, str], Rec | None]
"""``(entity, id) -> the record on the server`` (None: not there): the batch's
:meth:`~zsfield_sync.push_apply.BatchApplier.load`, so the checks read what the apply changes."""


@dataclass(frozen=True)
class Invalid:
    """One value the domain refuses."""

    op: Op
    field: str | None
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "client_seq": self.op.client_seq,
            "op_id": self.op.op_id,
            "entity": self.op.entity[:32],
            "entity_id": self.op.entity_id[:36],
            "field": self.field,
            "code": self.code,
            "message": self.message,
        }


# --- the stage flow -------------------------------------------------------------------------------------------


@dataclass
class _Project:
    """A project as it stands for the next op of the batch: ``data`` starts as a copy of the server's record
    (``rec``; None for a project the batch inserts) and takes the batch's earlier ops."""

    data: dict[str, Any]
    rec: Rec | None = None
    judgeable: bool = True
    in_batch: bool = False
    others: set[str] = field(default_factory=set)
    """Fields changed since the op's base version by another client (their value is not the laptop's)."""


def changed_since(rec: Rec, names: set[str], base_version: int, client_id: str) -> set[str]:
    """Those of ``names`` (and of the fields ``rec`` has versions for) that a client other than ``client_id``
    changed on ``rec`` since ``base_version``: the fields whose update by this op the apply turns into a
    conflict (:func:`~zsfield.domain.conflicts.changed_by_other`, the rule both follow)."""
    return {
        name
        for name in (names | set(rec.fv)) - {CREATED}
        if changed_by_other(rec.changed_at(name), base_version, client_id)
    }


def _back_reason_in_batch(ops: list[Op], project_id: str, to: Stage) -> bool:
    for op in ops:
        f = op.fields
        if (
            op.entity == "stage_event"
            and op.op == "insert"
            and f.get("project_id") == project_id
            and f.get("kind", "stage") == "stage"
            and f.get("to_value") == to.value
            and f.get("backwards") is True
            and has_reason(f.get("note"))
        ):
            return True
    return False


def check_stage_move(op: Op, project: _Project, new_ops: list[Op], is_last: bool) -> tuple[str, str] | None:
    """(code, message) when the op's stage change breaks the flow, else None (see the module docstring)."""
    to = stage_of(op.fields.get("stage"))
    if to is None:
        return "unknown_stage", f"stage: {shown(op.fields.get('stage'))!r} is not a project stage"
    if not project.judgeable:
        return None
    frm = stage_of(project.data.get("stage")) or Stage.SCREENING
    if to == frm:
        return None
    if is_back_move(frm, to):
        if is_last or _back_reason_in_batch(new_ops, op.entity_id, to):
            return None
        return "stage_back_without_reason", (
            f"moving back from {frm} to {to} needs a reason: send the stage event (backwards, with a note) "
            "in the same batch"
        )
    if to.index == frm.index + 1:
        return None  # the next stage: the laptop checked its entry requirements
    merged = {**project.data, **op.fields, "stage": frm.value}
    problems = [
        p
        for p in missing_for(to, merged, _ASSUME_CHILDREN)
        if p.field is None or p.field not in project.others
    ]
    if not problems:
        return None
    missing = "; ".join(p.message("en") for p in problems[:8])
    return "stage_jump", f"moving from {frm} to {to} skips stages whose requirements are not met: {missing}"


# --- the batch ---------------------------------------------------------------------------------------------


def _disputed(conn: Any, project_ids: set[str]) -> set[str]:
    """The projects of ``project_ids`` with an open conflict on ``stage`` or ``'*'`` (a person decides)."""
    disputed: set[str] = set()
    ids = sorted(project_ids)
    for i in range(0, len(ids), 500):
        disputed.update(
            conn.execute(
                select(conflicts.c.entity_id).where(
                    conflicts.c.entity == "project",
                    conflicts.c.entity_id.in_(ids[i : i + 500]),
                    conflicts.c.field.in_(["stage", "*"]),
                    conflicts.c.resolved.is_(False),
                )
            ).scalars()
        )
    return disputed


def _value_problems(req: PushRequest, now: datetime) -> list[Invalid]:
    """The ops' values that a domain rule refuses, each op on its own (no record read)."""
    found: list[Invalid] = []
    for op in req.ops:
        if has_nul(op.entity) or has_nul(op.entity_id) or has_nul(op.fields):
            found.append(
                Invalid(op, None, "nul_character", "text cannot contain the NUL character (\\u0000)")
            )
            continue
        if op.base_version > MAX_VERSION:
            found.append(
                Invalid(op, None, "bad_base_version", f"base_version {op.base_version} is larger than any "
                        f"version the server hands out (at most {MAX_VERSION})")
            )  # fmt: skip
            continue
        long_names = [n for n in op.fields if len(n) > MAX_FIELD_NAME]
        if long_names:
            found.append(
                Invalid(op, None, "too_long", f"a field name is longer than {MAX_FIELD_NAME} characters")
            )
            continue
        if op.entity not in ENTITIES or op.op not in ("insert", "update"):
            continue
        for name, value in op.fields.items():
            problem = check_value(op.entity, name, value, now)
            if problem is not None:
                found.append(Invalid(op, name, *problem))
        if op.entity == "stage_event" and op.op == "insert":
            event_problem = stage_event_problem(op.fields)
            if event_problem is not None:
                found.append(Invalid(op, *event_problem))
    return found


def find_invalid(
    conn: Any, records: Records, req: PushRequest, last: int, *, now: datetime | None = None
) -> list[Invalid]:
    """Every op value of ``req`` that the domain refuses (empty: the batch may be applied). ``conn`` is the
    push's write transaction, ``records`` its records, ``last`` the client's ``last_seq`` before the batch."""
    now = now or datetime.now(UTC)
    found = _value_problems(req, now)
    if found:
        return found[:MAX_ERRORS]
    stage_ops = [
        op for op in req.ops if op.entity == "project" and "stage" in op.fields and op.op == "update"
    ]
    if not stage_ops:
        return []
    ids = {
        op.entity_id for op in req.ops if op.entity == "project" and op.op in ("insert", "update", "delete")
    }
    disputed = _disputed(conn, ids)
    new_ops = [op for op in req.ops if op.client_seq > last]
    projects: dict[str, _Project] = {}
    for project_id in sorted(ids):
        rec = records("project", project_id)
        if rec is not None:
            projects[project_id] = _Project(
                data=dict(rec.data), rec=rec, judgeable=not rec.deleted and project_id not in disputed
            )
    for index, op in enumerate(new_ops):
        if op.entity != "project":
            continue
        project = projects.get(op.entity_id)
        if op.op == "delete":
            if project is not None:
                project.judgeable = False
            continue
        if op.op == "insert":
            if project is None:
                projects[op.entity_id] = _Project(data=dict(op.fields), in_batch=True)
            else:
                project.judgeable = False  # an insert of an existing id: apply makes it an update from 0
            continue
        if op.op != "update" or project is None:
            continue  # not on the server: apply rejects it (not_found)
        if project.rec is not None and not project.in_batch:
            project.others = changed_since(project.rec, set(project.data), op.base_version, req.client_id)
            if "stage" in project.others:
                project.judgeable = False  # the stage becomes a field conflict: a person decides
        if "stage" in op.fields:
            problem = check_stage_move(op, project, new_ops, is_last=index == len(new_ops) - 1)
            if problem is not None:
                found.append(Invalid(op, "stage", *problem))
        project.data.update({k: v for k, v in op.fields.items() if k not in project.others})
    return found[:MAX_ERRORS]


def check_push(conn: Any, records: Records, req: PushRequest, last: int) -> None:
    """Raise :class:`ApiError` 422 (:data:`ERR_INVALID_OP`) naming every refused op; nothing is applied (the
    push's transaction is rolled back)."""
    found = find_invalid(conn, records, req, last)
    if not found:
        return
    first = found[0]
    where = f"{first.op.entity}.{first.field}" if first.field else first.op.entity
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    raise ApiError(
        422,
        ERR_INVALID_OP,
        f"Nothing was applied: op {first.op.client_seq} ({where}): {first.message}{more}.",
        errors=[i.as_dict() for i in found],
    )


__all__ = ["ERR_INVALID_OP", "Invalid", "check_push", "find_invalid"]
