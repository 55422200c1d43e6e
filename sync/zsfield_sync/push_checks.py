"""Checks a push batch against the domain's own rules *before* anything is applied.

A zsfield laptop never writes these values (its store refuses them first), so finding one means a broken or
hostile client. The whole request is refused — 422, code :data:`ERR_INVALID_OP`, every offending op listed
in ``errors`` (``client_seq``, ``op_id``, ``entity``, ``entity_id``, ``field``, ``code``, ``message``) — and
nothing of the batch is applied. What is checked (see ``sync/README.md``, "Validation and security"):

* **money** (:mod:`zsfield.domain.money`): every amount column (``DecimalText``) travels as decimal text (or
  an integer), is a finite number and is not negative; counts (``committed_jobs``, ``count``…) are integers
  ≥ 0; currency columns hold a 3-letter ISO 4217 code in capitals.
* **time**: timestamps (``created_at``, ``occurred_at``, ``at``…) lie between :data:`EARLIEST` and
  :data:`FUTURE_SLACK` after the server's clock; calendar dates between 1980 and :data:`DATE_YEARS_AHEAD`
  years from now.
* **versions**: ``base_version`` is at most :data:`MAX_VERSION`.
* **size**: no NUL character anywhere (PostgreSQL cannot store one); a text column holds at most its length,
  or :data:`MAX_TEXT_CHARS` where it has none; a JSON column at most :data:`MAX_TEXT_CHARS` when serialised;
  field names at most 60 characters.
* **stage flow** (:mod:`zsfield.domain.flow`), for a project ``update`` that sets ``stage``, judged from the
  op and the server's row as it stands before the batch (plus the batch's earlier ops):

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

Replayed ops (``client_seq`` at or below the client's ``last_seq``) are left alone: the server answers them
from its op log. Shape errors (unknown entity or field, a wrong JSON type outside money, an unknown enum code
in a new record, a missing required field) stay per-op rejections of :mod:`zsfield_sync.push_apply`, and
authorisation is per op too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

import orjson
from sqlalchemy import Engine, select
from sqlalchemy.types import JSON

from zsfield.domain.enums import MilestoneKind, ProjectStatus, Stage
from zsfield.domain.flow import FlowContext, missing_for
from zsfield.domain.models import ENTITIES, wire_fields
from zsfield.domain.money import AmountError, Money
from zsfield.domain.types import DecimalText, ISODate, UTCDateTime
from zsfield.protocol import ERR_INVALID_OP, Op, PushRequest
from zsfield_sync.auth import ApiError
from zsfield_sync.storage import clients, conflicts, read_tx, records

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
"""No zsfield record is older than this: an earlier timestamp is a laptop clock gone wrong (1970)."""
FUTURE_SLACK = timedelta(days=2)
"""How far ahead of the server's clock a timestamp may lie (laptop clocks drift; time zones are UTC)."""
EARLIEST_DATE = date(1980, 1, 1)
DATE_YEARS_AHEAD = 30
"""Calendar dates (promised milestones, signing dates) may lie at most this many years ahead."""
MAX_TEXT_CHARS = 65_536
"""The longest text of a column without its own length (a visit's minutes, a note)."""
MAX_FIELD_NAME = 60
MAX_AMOUNT_CHARS = 40
"""An amount's decimal text fits the column (``DecimalText`` is ``String(40)``)."""
MAX_ERRORS = 50
MAX_VERSION = 2**31 - 1
"""Record versions are 32-bit columns: a larger ``base_version`` names no version and cannot be logged in a
conflict (PostgreSQL refused it, and the refusal looked like a busy database: a 503 retried for ever)."""

# Requirements that live in child records (milestones, service items) are left to the laptop: the server
# would judge them from records that may still be in flight.
_ASSUME_CHILDREN = FlowContext(promised_milestones=frozenset(MilestoneKind), permit_items=1)


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


# --- columns --------------------------------------------------------------------------------------------


@cache
def _kinds(entity: str) -> dict[str, tuple[str, int | None]]:
    """field -> (kind, text length) with kind one of amount, int, datetime, date, json, currency, text, other."""
    cls = ENTITIES[entity]
    table = cls.__table__  # type: ignore[attr-defined]
    out: dict[str, tuple[str, int | None]] = {}
    for name in wire_fields(cls):
        col_type = table.c[name].type
        if isinstance(col_type, DecimalText):
            out[name] = ("amount", None)
        elif isinstance(col_type, UTCDateTime):
            out[name] = ("datetime", None)
        elif isinstance(col_type, ISODate):
            out[name] = ("date", None)
        elif isinstance(col_type, JSON):
            out[name] = ("json", None)
        elif name == "currency" or name.endswith("_currency"):
            out[name] = ("currency", 3)
        else:
            try:
                py = col_type.python_type
            except NotImplementedError:
                py = str
            if py is int:
                out[name] = ("int", None)
            elif py is bool:
                out[name] = ("other", None)
            else:
                out[name] = ("text", getattr(col_type, "length", None))
    return out


# --- values ------------------------------------------------------------------------------------------------


def _has_nul(value: Any, depth: int = 0) -> bool:
    if depth == 0 and not isinstance(value, str):
        try:  # the usual case, at once: JSON text spells a NUL character only as \u0000
            if b"\\u0000" not in orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS):
                return False
        except orjson.JSONEncodeError:
            pass  # nested too deep for orjson: the walk below decides
    if isinstance(value, str):
        return "\x00" in value
    if depth > 32:
        return False
    if isinstance(value, dict):
        return any(_has_nul(k, depth + 1) or _has_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v, depth + 1) for v in value)
    return False


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    return text if len(text) <= 40 else text[:37] + "…"


_PLAIN_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]*)?")
"""Digits, with at most one decimal point after the first: the usual wire amount, which every rule below
accepts when it has at most :data:`MAX_AMOUNT_CHARS` characters."""


def check_amount(value: Any) -> tuple[str, str] | None:
    """(code, message) when ``value`` is not a non-negative amount in wire form, else None."""
    if type(value) is str and len(value) <= MAX_AMOUNT_CHARS and _PLAIN_AMOUNT.fullmatch(value):
        return None  # what _amount_problem says of it, at once
    return _amount_problem(value)


def _amount_problem(value: Any) -> tuple[str, str] | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        kind = "a floating-point number" if isinstance(value, float) else f"JSON {type(value).__name__}"
        return "not_a_number", f'an amount travels as decimal text (e.g. "1500000.00"), not as {kind}'
    text = str(value).strip()
    if len(text) > MAX_AMOUNT_CHARS:
        return "too_large", f"the amount has more than {MAX_AMOUNT_CHARS} characters"
    try:
        amount = Money(Decimal(text)).amount  # the money rules: a finite Decimal
    except (InvalidOperation, ValueError, TypeError):
        return "not_a_number", AmountError("money.not_a_number", text=_shown(value)).message("en")
    if amount < 0:
        return "negative_amount", AmountError("money.negative", text=text).message("en")
    exponent = amount.as_tuple().exponent
    if (
        amount.adjusted() >= MAX_AMOUNT_CHARS
        or (isinstance(exponent, int) and exponent < -MAX_AMOUNT_CHARS)
        or len(format(amount, "f")) > MAX_AMOUNT_CHARS
    ):  # 1e999999 is eight characters on the wire and a million in the column
        return "too_large", f"the amount {_shown(value)} has more than {MAX_AMOUNT_CHARS} digits"
    return None


_UTC = UTCDateTime()


def _instant(value: str) -> datetime | None:
    """The timestamp as the column stores it and reads it back (aware, UTC): :func:`_round_trip`, at once for
    a naive ISO text — the wire form, already in UTC — whose round trip gives exactly its own value."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return _round_trip(value)


def _round_trip(value: str) -> datetime | None:
    return _UTC.process_result_value(_UTC.process_bind_param(value, None), None)


def check_value(entity: str, name: str, value: Any, now: datetime) -> tuple[str, str] | None:
    """(code, message) when the value breaks a money, time or size rule, else None."""
    kinds = _kinds(entity)
    if name not in kinds or value is None:
        return None  # unknown fields and nulls are apply's business (per-op rejections)
    kind, length = kinds[name]
    if kind == "text":  # the most common kind first
        limit = length or MAX_TEXT_CHARS
        if isinstance(value, str) and len(value) > limit:
            return "too_long", f"{name} has {len(value)} characters, more than {limit}"
        return None
    if kind == "amount":
        return check_amount(value)
    if kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 0:
                return "negative_amount", f"{name} cannot be negative ({value})"
            if value > 2**31 - 1:
                return "too_large", f"{name} is larger than {2**31 - 1}"
        return None  # a wrong type is a per-op rejection
    if kind == "currency":
        if not isinstance(value, str):
            return None
        try:
            code = Money(Decimal(0), value).currency
        except ValueError:
            code = ""
        if code != value:
            return (
                "bad_currency",
                f"{name} must be a 3-letter ISO 4217 code in capitals, not {_shown(value)!r}",
            )
        return None
    if kind == "datetime":
        if not isinstance(value, str):
            return None
        try:
            when = _instant(value)
        except (ValueError, TypeError, OverflowError):  # 0001-01-01T00:00+08:00 is before year 1 in UTC
            return "bad_time", f"{name}: {_shown(value)!r} is not an ISO 8601 timestamp"
        assert when is not None
        if when < EARLIEST:
            return "implausible_time", (
                f"{name} {value} is before {EARLIEST.year}: the laptop's clock is probably wrong"
            )
        if when > now + FUTURE_SLACK:
            return "implausible_time", (
                f"{name} {value} lies more than {FUTURE_SLACK.days} days after the server's clock: "
                "the laptop's clock is probably wrong"
            )
        return None
    if kind == "date":
        if not isinstance(value, str):
            return None
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return "bad_date", f"{name}: {_shown(value)!r} is not a date (YYYY-MM-DD)"
        latest = date(now.year + DATE_YEARS_AHEAD, 12, 31)
        if not EARLIEST_DATE <= day <= latest:
            return "implausible_date", f"{name} {value} is not between {EARLIEST_DATE} and {latest}"
        return None
    if kind == "json":
        size = (
            len(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)) if isinstance(value, list | dict) else 0
        )
        if size > MAX_TEXT_CHARS:
            return "too_long", f"{name} holds {size} characters of JSON, more than {MAX_TEXT_CHARS}"
    return None


# --- the stage flow -------------------------------------------------------------------------------------------


@dataclass
class _Project:
    """A project as it stands for the next op of the batch."""

    data: dict[str, Any]
    fv: dict[str, list[Any]]
    judgeable: bool = True
    in_batch: bool = False
    others: set[str] = field(default_factory=set)
    """Fields changed since the op's base version by another client (their value is not the laptop's)."""


def _stage_of(value: Any) -> Stage | None:
    try:
        return Stage(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _status_of(value: Any) -> ProjectStatus | None:
    try:
        return ProjectStatus(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _changed_by_other(fv: dict[str, list[Any]], name: str, base_version: int, client_id: str) -> bool:
    at = fv.get(name) or fv.get("*")
    return bool(at) and int(at[0]) > base_version and at[1] != client_id


def check_stage_event(op: Op) -> tuple[str, str, str] | None:
    """(field, code, message) when a new stage or status event contradicts the flow, else None."""
    f = op.fields
    kind = f.get("kind", "stage")
    if kind == "status":
        for name in ("from_value", "to_value"):
            value = f.get(name)
            if (value is not None or name == "to_value") and _status_of(value) is None:
                return name, "unknown_status", f"{name}: {_shown(value)!r} is not a project status"
        return None
    if kind != "stage":
        return None  # an unknown kind is a per-op rejection
    to = _stage_of(f.get("to_value"))
    if to is None:
        return "to_value", "unknown_stage", f"to_value: {_shown(f.get('to_value'))!r} is not a project stage"
    if f.get("from_value") is None:
        return None  # the project's first event
    frm = _stage_of(f.get("from_value"))
    if frm is None:
        return (
            "from_value",
            "unknown_stage",
            f"from_value: {_shown(f.get('from_value'))!r} is not a project stage",
        )
    if frm == to:
        return "to_value", "stage_jump", f"a stage event from {frm} to the same stage"
    backwards = to.index < frm.index
    if bool(f.get("backwards", False)) != backwards:
        return (
            "backwards",
            "stage_jump",
            (
                f"backwards is {bool(f.get('backwards', False))} but {frm} → {to} moves "
                f"{'back' if backwards else 'forward'}"
            ),
        )
    note = f.get("note")
    if backwards and not (isinstance(note, str) and note.strip()):
        return "note", "stage_back_without_reason", f"moving back from {frm} to {to} needs a reason (note)"
    return None


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
            and isinstance(f.get("note"), str)
            and f["note"].strip()
        ):
            return True
    return False


def check_stage_move(op: Op, project: _Project, new_ops: list[Op], is_last: bool) -> tuple[str, str] | None:
    """(code, message) when the op's stage change breaks the flow, else None (see the module docstring)."""
    to = _stage_of(op.fields.get("stage"))
    if to is None:
        return "unknown_stage", f"stage: {_shown(op.fields.get('stage'))!r} is not a project stage"
    if not project.judgeable:
        return None
    frm = _stage_of(project.data.get("stage")) or Stage.SCREENING
    if to == frm:
        return None
    if to.index < frm.index:
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


def _server_state(
    engine: Engine, req: PushRequest, project_ids: set[str]
) -> tuple[int, dict[str, Any], set[str]]:
    """(the client's last_seq, project rows by id, projects with an open conflict on stage or '*')."""
    with read_tx(engine) as conn:
        row = conn.execute(select(clients.c.last_seq).where(clients.c.client_id == req.client_id)).first()
        last = int(row[0]) if row is not None else 0
        rows: dict[str, Any] = {}
        disputed: set[str] = set()
        ids = sorted(project_ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            for r in conn.execute(
                select(records.c.id, records.c.deleted, records.c.data, records.c.field_versions).where(
                    records.c.entity == "project", records.c.id.in_(chunk)
                )
            ):
                rows[r.id] = r
            disputed.update(
                conn.execute(
                    select(conflicts.c.entity_id).where(
                        conflicts.c.entity == "project",
                        conflicts.c.entity_id.in_(chunk),
                        conflicts.c.field.in_(["stage", "*"]),
                        conflicts.c.resolved.is_(False),
                    )
                ).scalars()
            )
    return last, rows, disputed


def find_invalid(engine: Engine, req: PushRequest, *, now: datetime | None = None) -> list[Invalid]:
    """Every op value of ``req`` that the domain refuses (empty: the batch may be applied)."""
    now = now or datetime.now(UTC)
    found: list[Invalid] = []
    for op in req.ops:
        if _has_nul(op.entity) or _has_nul(op.entity_id) or _has_nul(op.fields):
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
            event_problem = check_stage_event(op)
            if event_problem is not None:
                found.append(Invalid(op, *event_problem))
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
    last, rows, disputed = _server_state(engine, req, ids)
    new_ops = [op for op in req.ops if op.client_seq > last]
    projects: dict[str, _Project] = {}
    for row in rows.values():
        projects[row.id] = _Project(
            data=orjson.loads(row.data),
            fv=orjson.loads(row.field_versions),
            judgeable=not row.deleted and row.id not in disputed,
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
                projects[op.entity_id] = _Project(data=dict(op.fields), fv={}, in_batch=True)
            else:
                project.judgeable = False  # an insert of an existing id: apply makes it an update from 0
            continue
        if op.op != "update" or project is None:
            continue  # not on the server: apply rejects it (not_found)
        if not project.in_batch:
            project.others = {
                name
                for name in (set(project.data) | set(project.fv)) - {"*"}
                if _changed_by_other(project.fv, name, op.base_version, req.client_id)
            }
            if "stage" in project.others:
                project.judgeable = False  # the stage becomes a field conflict: a person decides
        if "stage" in op.fields:
            problem = check_stage_move(op, project, new_ops, is_last=index == len(new_ops) - 1)
            if problem is not None:
                found.append(Invalid(op, "stage", *problem))
        project.data.update({k: v for k, v in op.fields.items() if k not in project.others})
    return found[:MAX_ERRORS]


def check_push(engine: Engine, req: PushRequest) -> None:
    """Raise :class:`ApiError` 422 (:data:`ERR_INVALID_OP`) naming every refused op; nothing is applied."""
    found = find_invalid(engine, req)
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


__all__ = ["ERR_INVALID_OP", "Invalid", "check_amount", "check_push", "check_value", "find_invalid"]
