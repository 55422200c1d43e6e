"""任务分解表: enter or correct a year's targets per owner and band (the reading and the progress are in
:mod:`zsfield.reports.targets`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlmodel import select

from zsfield.domain.enums import TargetOwnerKind
from zsfield.domain.models import Target
from zsfield.domain.money import BANDS_DESC, Band
from zsfield.domain.problems import DomainError, Problem
from zsfield.store.db import Store
from zsfield.store.writer import Writer

if TYPE_CHECKING:
    from zsfield.reports.targets import TargetLine


def set_targets(
    w: Writer, *, year: int, owner_kind: str, owner_id: str, owner_name: str, counts: dict[str, int]
) -> int:
    """Enter (or correct) one owner's targets: a Target row per band, updated in place when it exists.

    Returns how many rows were inserted or changed. Counts must be whole numbers ≥ 0 (else
    :class:`DomainError`, like every action).
    """
    kind = TargetOwnerKind(owner_kind)
    changed = 0
    existing = {
        row.band: row
        for row in w.session.exec(
            select(Target).where(
                Target.year == year,
                Target.owner_kind == kind,
                Target.owner_id == owner_id,
                Target.deleted.is_(False),
            )
        ).all()
    }
    for band in (b.value for b in BANDS_DESC):
        if band not in counts:
            continue
        count = int(counts[band])
        if count < 0:
            raise DomainError(
                Problem("tgt.negative", {"owner": owner_name, "band": Band(band).label()}, field=band)
            )
        row = existing.get(band)
        if row is None:
            if count == 0:
                continue
            w.insert(
                Target(
                    year=year,
                    owner_kind=kind,
                    owner_id=owner_id,
                    owner_name=owner_name,
                    band=band,
                    count=count,
                )
            )
            changed += 1
        elif w.update(row, count=count, owner_name=owner_name):
            changed += 1
    return changed


def save_targets(store: Store, actor_id: str | None, lines: Sequence[TargetLine]) -> int:
    """Write imported lines in one transaction (each row with its outbox op). Returns rows changed."""
    changed = 0
    with store.write(actor_id) as w:
        for line in lines:
            changed += set_targets(
                w,
                year=line.year,
                owner_kind=line.owner_kind,
                owner_id=line.owner_id,
                owner_name=line.owner_name,
                counts=line.counts,
            )
    return changed
