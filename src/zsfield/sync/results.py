"""What a sync did and how it went (no HTTP, no Textual): :class:`SyncResult`, :class:`SyncProgress`, why a sync
stopped (:class:`SyncError`), the exit codes of ``zsfield sync`` and the lines the CLI and the sync screen
print (:func:`summary_lines`, :func:`notes`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from zsfield.i18n import t

EXIT_OK = 0
EXIT_ATTENTION = 1
EXIT_NOT_LOGGED_IN = 10
EXIT_AUTH = 11
EXIT_SCHEMA = 12
EXIT_UNAVAILABLE = 13
EXIT_PROTOCOL = 14
EXIT_BUSY = 15
EXIT_CANCELLED = 130

_EXIT_BY_KIND = {
    "not_logged_in": EXIT_NOT_LOGGED_IN,
    "insecure": EXIT_NOT_LOGGED_IN,
    "auth": EXIT_AUTH,
    "forbidden": EXIT_AUTH,
    "schema": EXIT_SCHEMA,
    "unavailable": EXIT_UNAVAILABLE,
    "protocol": EXIT_PROTOCOL,
    "sequence": EXIT_PROTOCOL,
    "store": EXIT_PROTOCOL,
    "busy": EXIT_BUSY,
    "cancelled": EXIT_CANCELLED,
}


class SyncError(Exception):
    """Why a sync stopped. ``kind``: not_logged_in, insecure, auth, forbidden, schema, unavailable, protocol,
    sequence, store, busy (another sync of this database is running), cancelled."""

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.kind, self.status, self.code = kind, status, code
        self.errors = errors or []  # a 422 invalid_op: the refused ops (client_seq, field, message)

    @property
    def exit_code(self) -> int:
        return _EXIT_BY_KIND.get(self.kind, EXIT_PROTOCOL)


@dataclass(frozen=True)
class SyncProgress:
    """One step: ``phase`` is connect, push, pull or done; ``done`` of ``total`` (None: unknown)."""

    phase: str
    done: int = 0
    total: int | None = None
    message: str = ""

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return max(0.0, min(1.0, self.done / self.total))


@dataclass
class SyncResult:
    """What a sync did. ``ok``: pushed and pulled to the end; ``needs_attention``: new conflicts/rejections."""

    ok: bool = False
    server: str | None = None
    pushed: int = 0
    applied: int = 0
    conflicts: int = 0
    rejections: int = 0
    replayed: int = 0
    pulled: int = 0
    batches: int = 0
    pages: int = 0
    outbox_left: int = 0
    moved_away: int = 0
    """Records removed from this laptop because they moved to another team (a project and its children)."""
    moved_changes: int = 0
    """Changes still waiting to be sent that concern a record that moved to another team (listed on the sync
    screen; they stay in the outbox and go to the new owners)."""
    epoch_reset: bool = False
    resent: int = 0
    """Acknowledged changes sent again because the restored server no longer had them."""
    realigned: int = 0
    """Ops given new numbers after the server's (a restored laptop backup, ``--repair``, a refused number)."""
    error: str | None = None
    error_kind: str | None = None
    started_at: str = ""
    finished_at: str = ""
    seconds: float = 0.0

    @property
    def needs_attention(self) -> bool:
        return self.conflicts > 0 or self.rejections > 0

    @property
    def exit_code(self) -> int:
        if not self.ok:
            return _EXIT_BY_KIND.get(self.error_kind or "", EXIT_PROTOCOL)
        return EXIT_ATTENTION if self.needs_attention else EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "needs_attention": self.needs_attention, "exit_code": self.exit_code}


def summary_lines(result: SyncResult) -> list[str]:
    """What a sync did, truly: one summary line when it went through; when it stopped, one line of what
    went through before (none when nothing did: the error says it all)."""
    counts = {
        "pushed": result.pushed,
        "conflicts": result.conflicts,
        "rejections": result.rejections,
        "pulled": result.pulled,
        "seconds": result.seconds,
    }
    lines = []
    if result.ok:
        lines.append(t("sync.summary", **counts))
        if result.needs_attention:
            lines.append(
                t("sync.summary_attention", conflicts=result.conflicts, rejections=result.rejections)
            )
    elif result.pushed or result.pulled:
        lines.append(t("sync.summary_stopped", **counts))
    if result.moved_away:
        lines.append(t("sync.moved_away", n=result.moved_away))
    if result.moved_changes:
        lines.append(t("sync.moved_changes", n=result.moved_changes))
    return lines


def notes(result: SyncResult) -> list[str]:
    """The sync's notes: a server restore and what was sent again, numbers realigned, ops left."""
    lines = []
    if result.epoch_reset:
        lines.append(t("sync.epoch_reset"))
    if result.resent:
        lines.append(t("sync.resent", n=result.resent))
    if result.realigned:
        lines.append(t("sync.realigned", n=result.realigned))
    if result.outbox_left:
        lines.append(t("sync.outbox_left", n=result.outbox_left))
    return lines


ProgressFn = Callable[[SyncProgress], None]
