"""The sync wire format (pydantic): the one source of truth for the officer's client and the central server.

DESIGN: sync protocol. In short:

* ``POST /v1/push`` — :class:`PushRequest` → :class:`PushResponse`. Ops carry a per-client sequence number
  (``client_seq``); the server applies ``last_seq + 1`` onwards, replays the stored result of an op it has
  already seen, and refuses a gap (409, ``expected_seq``). A batch is applied in one transaction.
* ``GET /v1/pull?since=N&limit=M`` → :class:`PullResponse`: changes in ``server_seq`` order, the next
  ``cursor``, ``has_more`` and the server ``epoch`` (a new epoch: the server was restored; pull again from 0);
  ``exits`` name the records that left the reader's scope (a project moved to another team), in the same
  ``server_seq`` order.
* ``GET /v1/whoami`` → :class:`WhoAmI`; ``GET /v1/health`` → :class:`Health`;
  ``GET /v1/conflicts`` → :class:`ConflictList` (the server's conflict log, for supervisors and teams).
* Every refusal is a 4xx with an :class:`ErrorBody` (``code`` + ``message``).

A wire value is exactly the column's stored value (see :mod:`zsfield.domain.codec`). No Textual or Rich here.
"""

from __future__ import annotations

from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1
"""The wire schema this build writes and understands (every outbox op records it)."""

MIN_SCHEMA_VERSION = 1
"""The oldest client schema the server still accepts."""

API_PREFIX = "/v1"
MAX_BATCH_OPS = 500
"""At most this many ops in one push (DESIGN.md: ≤ 500 ops or 1 MB). A client sends at most what the server
advertises in :class:`Limits`, so a server may lower it without breaking old clients."""
MAX_BODY_BYTES = 1024 * 1024
"""At most this many bytes in one request body (1 MiB, DESIGN.md)."""
DEFAULT_PULL_LIMIT = 2000
MAX_PULL_LIMIT = 5000
MAX_PULL_BYTES = 4 * 1024 * 1024
"""A pull page stops growing once its changes pass this many bytes (at least one change is always sent)."""

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

OpKind = Literal["insert", "update", "delete", "resolve", "void"]
"""``insert`` / ``update`` / ``delete`` a record; ``resolve`` a conflict (fields: ``conflict_id``,
``resolution``); ``void`` stands for an op the client will not send: too large (``fields`` empty), or
refused by the server's validation (``fields``: ``code`` ``invalid`` and the server's ``message``); the
server records it as rejected with that code, so that the sequence has no gap and the queue never blocks."""

OpStatus = Literal["applied", "conflict", "rejected"]
"""``applied``: every field (or some, with ``conflicts`` listing the others); ``conflict``: nothing applied,
the conflicts say why; ``rejected``: refused for good (``code`` and ``message``)."""

Resolution = Literal["mine", "theirs", "edited"]

RoleName = Literal["officer", "leader", "supervisor", "admin"]

# Rejection codes of a single op (permanent: the client records them and moves on).
REJECT_FORBIDDEN = "forbidden"
REJECT_INVALID = "invalid"
REJECT_UNKNOWN_ENTITY = "unknown_entity"
REJECT_NOT_FOUND = "not_found"
REJECT_UNKNOWN_PARENT = "unknown_parent"
REJECT_TOO_LARGE = "too_large"
REJECT_BAD_BASE = "bad_base"
"""An update or delete whose ``base_version`` is above the record's version on the server, in the server's
current epoch: a base is a version the server handed out, never a claim (see :attr:`Op.base_epoch`)."""

# Error codes of a whole request (ErrorBody.code).
ERR_UNAUTHORIZED = "unauthorized"
ERR_REVOKED = "token_revoked"
ERR_CLIENT_NOT_YOURS = "client_not_yours"
ERR_SEQ_GAP = "seq_gap"
ERR_SEQ_REUSED = "seq_reused"
ERR_SCHEMA_TOO_OLD = "schema_too_old"
ERR_SCHEMA_TOO_NEW = "schema_too_new"
ERR_TOO_LARGE = "too_large"
ERR_INVALID = "invalid_request"
ERR_INVALID_OP = "invalid_op"
"""422: ops whose values the domain refuses; the body's ``errors`` name each (``client_seq``, ``op_id``,
``field``, ``code``, ``message``). Nothing was applied; the client sends those ops again as ``void`` (with
``{"code": "invalid", "message": …}``) so they become rejections it lists, and the queue moves on."""
ERR_UNAVAILABLE = "unavailable"
ERR_STORAGE_FULL = "storage_full"
"""507: the server's disk (or its database's) is full: nothing was applied. Not a retry-soon condition and not
"unreachable": the client says the server's disk is full and keeps every change for a later sync."""

MAX_JSON_DEPTH = 64
"""A request body nests at most this many levels of arrays and objects (the body itself is level 1, a field
value of an op starts at level 5); deeper is a 422 ``invalid_request``. No wire field needs more than a few."""


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Op(_Wire):
    """One outbox op: a change to one record, in the client's order."""

    client_seq: int = Field(ge=1, le=2**53, description="the client's sequence number (last + 1, no gaps)")
    op_id: str = Field(pattern=UUID_PATTERN, description="unique id of the op (a reused seq is detected)")
    entity: str = Field(min_length=1, max_length=32, description="wire name of the entity (project, visit…)")
    entity_id: str = Field(min_length=1, max_length=36, description="the record's client-generated UUID")
    op: OpKind
    fields: dict[str, Any] = Field(default_factory=dict, description="wire values of the changed fields")
    base_version: int = Field(default=0, ge=0, le=2**53, description="server version the edit was based on")
    schema_version: int = Field(default=SCHEMA_VERSION, ge=1, le=10_000)
    base_epoch: str | None = Field(
        default=None,
        max_length=64,
        description="the server epoch base_version was read in, when it is not the current one (an op written "
        "before a server restore, or an acknowledged op sent again after it); absent: the current epoch",
    )


class PushRequest(_Wire):
    client_id: str = Field(pattern=UUID_PATTERN, description="this laptop's database (bound to one officer)")
    schema_version: int = Field(ge=1, le=10_000)
    ops: list[Op] = Field(max_length=MAX_BATCH_OPS, description="consecutive client_seq, in order")
    pulled_to: int | None = Field(
        default=None,
        ge=0,
        le=2**53,
        description="how far this laptop had pulled (its cursor, in the current epoch) when the batch's ops were "
        "written: no op of the batch was written knowing a change above it. Absent: the laptop may know "
        "everything",
    )
    """What the laptop knew when its ops were written: the pull cursor then (at most its cursor now). The
    server judges by it whether an officer wrote about a record *before* learning that it left their team
    (an :class:`Exit` with a higher ``server_seq``): a visit or follow-up is then accepted and credited to its
    author, a field edit becomes a conflict for the new owners. At or above the exit, or absent, the write is
    ``forbidden`` like any other team's record."""


class RecordState(_Wire):
    """A record as the server holds it now (a pulled change, or the state after a pushed op)."""

    entity: str
    id: str
    version: int
    deleted: bool
    server_seq: int
    data: dict[str, Any] = Field(description="every wire field except id (deleted and version are above)")


class FieldConflict(_Wire):
    """A field edited here and on the server since the op's base version, with a different value."""

    conflict_id: str
    field: str = Field(description="the field, or '*' for an edit that met a delete (or a delete an edit)")
    mine: Any = None
    theirs: Any = None
    base_version: int
    server_version: int


class OpResult(_Wire):
    client_seq: int
    op_id: str
    status: OpStatus
    version: int | None = Field(default=None, description="the record's version after this op")
    server_seq: int | None = None
    conflicts: list[FieldConflict] = Field(default_factory=list)
    code: str | None = Field(default=None, description="rejection code (forbidden, invalid, not_found…)")
    message: str | None = None
    record: RecordState | None = Field(
        default=None, description="the record's current server state (absent after a plain new insert)"
    )
    replayed: bool = Field(default=False, description="seen before: the stored result, nothing applied again")


class PushResponse(_Wire):
    client_id: str
    last_seq: int = Field(description="the last client_seq the server holds for this client")
    epoch: str
    results: list[OpResult]


class Exit(_Wire):
    """A record that left the reader's scope at ``server_seq``: its team changed (a supervisor moved the project,
    and with it its children; a lead or contact moved), so the reader may no longer see it. The laptop drops
    it (keeping its unsent changes, which the server still judges: see :attr:`PushRequest.pulled_to`). A change
    of the same record with a higher ``server_seq`` (it came back) supersedes it."""

    entity: str
    id: str
    server_seq: int


class PullResponse(_Wire):
    changes: list[RecordState]
    cursor: int = Field(description="pass as `since` for the next page")
    has_more: bool
    epoch: str = Field(description="changes when the server was restored: then pull again from 0")
    head: int = Field(description="the server's latest server_seq (for progress)")
    exits: list[Exit] = Field(
        default_factory=list,
        description="records that left the reader's scope, in server_seq order, merged with `changes` into one "
        "sequence: the page covers (since, cursor] of both (the key is left out when there are none)",
    )


class OfficerInfo(_Wire):
    id: str
    name: str
    role: RoleName
    team_id: str | None = None
    team_name: str | None = None
    office_id: str | None = None
    office_name: str | None = None


class Limits(_Wire):
    max_batch_ops: int = MAX_BATCH_OPS
    max_body_bytes: int = MAX_BODY_BYTES
    max_pull_limit: int = MAX_PULL_LIMIT


class RestoreInfo(_Wire):
    """The last restore of the server's data: what a laptop needs to send again what the restore lost."""

    epoch: str = Field(description="the epoch the restore began")
    previous_epoch: str | None = Field(
        default=None, description="the epoch of the database before the restore"
    )
    head: int = Field(
        description="the backup's last server_seq: a change acknowledged with a higher server_seq in an earlier "
        "epoch is not on this server, and the laptop that made it sends it again"
    )
    restored_at: str


class WhoAmI(_Wire):
    officer: OfficerInfo
    epoch: str
    restore: RestoreInfo | None = Field(default=None, description="the last restore, if the server had one")
    schema_version: int
    min_schema_version: int
    server_version: str
    limits: Limits = Field(default_factory=Limits)


class Health(_Wire):
    status: Literal["ok"] = "ok"
    schema_version: int
    epoch: str
    database: str = Field(description="sqlite or postgresql")


class ErrorBody(_Wire):
    code: str
    message: str
    expected_seq: int | None = Field(
        default=None, description="on seq_gap: the client_seq the server expects"
    )
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="on invalid_request: what was wrong"
    )


class ConflictEntry(_Wire):
    """One entry of the server's conflict log: visible to the team concerned and to supervisors."""

    id: str
    entity: str
    entity_id: str
    field: str
    mine: Any = None
    theirs: Any = None
    base_version: int
    server_version: int
    officer_id: str
    client_id: str
    client_seq: int
    team_id: str | None = None
    created_at: str
    resolved: bool = False
    resolution: str | None = None
    resolved_by: str | None = None
    resolved_at: str | None = None


class ConflictList(_Wire):
    conflicts: list[ConflictEntry]


# --- fast reply parsing (the client) ------------------------------------------------------------------------
#
# A pull page carries thousands of records and a push reply thousands of results. The client reads them as
# plain dicts: orjson parses the body, a structural check accepts the common, exactly-typed case (each value of
# the very type the model declares, no unknown keys) — which the models accept unchanged — and anything else
# goes through the pydantic model, which either refuses it (ValidationError) or hands back its validated dump.

_RESULT_KEYS = frozenset(OpResult.model_fields)
_RESULT_REQUIRED = frozenset({"client_seq", "op_id", "status"})
_STATUSES = frozenset(("applied", "conflict", "rejected"))
_OPTIONAL_INT = (int, type(None))
_OPTIONAL_STR = (str, type(None))


def _is_record(c: Any) -> bool:
    return (
        type(c) is dict
        and len(c) == 6
        and type(c.get("entity")) is str
        and type(c.get("id")) is str
        and type(c.get("version")) is int
        and type(c.get("deleted")) is bool
        and type(c.get("server_seq")) is int
        and type(c.get("data")) is dict
    )


def _is_exit(x: Any) -> bool:
    return (
        type(x) is dict
        and len(x) == 3
        and type(x.get("entity")) is str
        and type(x.get("id")) is str
        and type(x.get("server_seq")) is int
    )


def _is_result(r: Any) -> bool:
    if type(r) is not dict or not r.keys() >= _RESULT_REQUIRED or not r.keys() <= _RESULT_KEYS:
        return False
    record = r.get("record")
    return (
        type(r["client_seq"]) is int
        and type(r["op_id"]) is str
        and r["status"] in _STATUSES
        and type(r.get("version")) in _OPTIONAL_INT
        and type(r.get("server_seq")) in _OPTIONAL_INT
        and r.get("conflicts", ()) == []  # conflicts are rare: the model checks them
        and type(r.get("code")) in _OPTIONAL_STR
        and type(r.get("message")) in _OPTIONAL_STR
        and (record is None or _is_record(record))
        and type(r.get("replayed", False)) is bool
    )


def _result_defaults(r: dict[str, Any]) -> dict[str, Any]:
    if len(r) == len(_RESULT_KEYS):
        return r
    return {"version": None, "server_seq": None, "conflicts": [], "code": None, "message": None,
            "record": None, "replayed": False, **r}  # fmt: skip


def parse_pull_reply(content: bytes | str) -> dict[str, Any]:
    """A pull reply as a :class:`PullResponse`-shaped dict (``changes``: RecordState dicts; ``exits``: Exit
    dicts, ``[]`` when the reply has none). Raises :class:`ValueError` (orjson) or
    :class:`pydantic.ValidationError` for a malformed one."""
    data = orjson.loads(content)
    if (
        type(data) is dict
        and (len(data) == 5 or (len(data) == 6 and type(data.get("exits")) is list))
        and type(data.get("changes")) is list
        and type(data.get("cursor")) is int
        and type(data.get("has_more")) is bool
        and type(data.get("epoch")) is str
        and type(data.get("head")) is int
        and all(_is_record(c) for c in data["changes"])
    ):
        exits = data.setdefault("exits", [])
        if all(_is_exit(x) for x in exits):
            return data
    return PullResponse.model_validate(data).model_dump()


def parse_push_reply(content: bytes | str) -> dict[str, Any]:
    """A push reply as a :class:`PushResponse`-shaped dict (``results``: OpResult dicts with every key).
    Raises :class:`ValueError` (orjson) or :class:`pydantic.ValidationError` for a malformed one."""
    data = orjson.loads(content)
    if (
        type(data) is dict
        and len(data) == 4
        and type(data.get("client_id")) is str
        and type(data.get("last_seq")) is int
        and type(data.get("epoch")) is str
        and type(data.get("results")) is list
        and all(_is_result(r) for r in data["results"])
    ):
        data["results"] = [_result_defaults(r) for r in data["results"]]
        return data
    return PushResponse.model_validate(data).model_dump()


def error_message(body: Any, default: str = "") -> str:
    """The human message of an error reply (:class:`ErrorBody`, or FastAPI's ``{"detail": …}``)."""
    if isinstance(body, dict):
        if isinstance(body.get("message"), str):
            return body["message"]
        detail = body.get("detail")
        if isinstance(detail, str):
            return detail
        if isinstance(detail, dict) and isinstance(detail.get("message"), str):
            return detail["message"]
    return default


__all__ = [
    "API_PREFIX",
    "DEFAULT_PULL_LIMIT",
    "MAX_BATCH_OPS",
    "MAX_BODY_BYTES",
    "MAX_PULL_LIMIT",
    "MIN_SCHEMA_VERSION",
    "SCHEMA_VERSION",
    "ConflictEntry",
    "ConflictList",
    "ErrorBody",
    "Exit",
    "FieldConflict",
    "Health",
    "OfficerInfo",
    "Op",
    "OpResult",
    "PullResponse",
    "PushRequest",
    "PushResponse",
    "RecordState",
    "WhoAmI",
    "error_message",
    "parse_pull_reply",
    "parse_push_reply",
]
