"""Officers' tokens and who may do what.

A token is 32 random bytes (URL-safe text, prefixed ``zsf_``), shown once by ``zsfield-server officer add``
and stored only as its SHA-256 (a random token needs no slow hash); the stored hash is compared with
:func:`hmac.compare_digest`. A revoked token is refused at once (401).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, select

from zsfield import protocol
from zsfield_sync.storage import accounts

TOKEN_PREFIX = "zsf_"
SUPERVISOR_ROLES = frozenset({"supervisor", "admin"})
ROLES = ("officer", "leader", "supervisor", "admin")


class ApiError(Exception):
    """A refused request: HTTP status, a stable code and a message a person can act on."""

    def __init__(self, status: int, code: str, message: str, **extra: object) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Actor:
    """The officer behind a request."""

    id: str
    name: str
    role: str
    team_id: str | None
    office_id: str | None

    @property
    def is_supervisor(self) -> bool:
        """Supervisors and admins read and write every team's records."""
        return self.role in SUPERVISOR_ROLES


def authenticate(conn: Connection, authorization: str | None) -> Actor:
    """The officer of a ``Bearer`` token, or :class:`ApiError` 401 (missing, unknown or revoked)."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise ApiError(
            401,
            protocol.ERR_UNAUTHORIZED,
            "No token: send 'Authorization: Bearer <token>' (log in with `zsfield login --server URL`).",
        )
    token = authorization[7:].strip()
    if not token or len(token) > 200:
        raise ApiError(401, protocol.ERR_UNAUTHORIZED, "The token is not valid.")
    digest = hash_token(token)
    row = conn.execute(select(accounts).where(accounts.c.token_hash == digest)).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        raise ApiError(
            401, protocol.ERR_UNAUTHORIZED, "The token is not valid: ask your admin for a new one."
        )
    if row.revoked_at is not None:
        raise ApiError(
            401,
            protocol.ERR_REVOKED,
            f"The token of {row.name} was revoked on {row.revoked_at[:10]}: ask your admin for a new one. "
            "This request was refused; the changes not yet sent are kept.",
        )
    return Actor(id=row.id, name=row.name, role=row.role, team_id=row.team_id, office_id=row.office_id)
