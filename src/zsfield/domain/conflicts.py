"""The field-conflict rule (DESIGN: conflicts are field-level; client clocks never decide).

Every field of a record on the server remembers ``[version, client]`` of its last change (its creation's
when it never changed since). An op based on version ``base`` meets a conflict on that field when another
client changed it after ``base``; ops of one client never conflict with that client's own earlier ops. The
push's apply (which turns such a field into a conflict record) and the push's checks (which leave such a
field's stage move to the person deciding the conflict) both ask :func:`changed_by_other`.
"""

from __future__ import annotations

from typing import Any


def changed_by_other(at: list[Any] | None, base: int | None, client_id: str) -> bool:
    """Whether a field (or the tombstone) last changed at ``at`` = [version, client] was changed by a client
    other than ``client_id`` since version ``base``. ``base`` None: a base that cannot be compared with the
    record's versions (one of an earlier epoch, on a record changed since the restore), so any change by
    another client counts. No ``at``: never changed, never a conflict."""
    if not at or at[1] == client_id:
        return False
    return base is None or at[0] > base
