"""The record an action works on, given as itself or by its id (screens pass ids; the seed and tests may pass
records they hold). A missing id raises :class:`LookupError` before anything is written."""

from __future__ import annotations

from typing import TypeVar

from zsfield.store.writer import Writer

R = TypeVar("R")


def as_record(w: Writer, model: type[R], record: R | str) -> R:
    """``record`` itself, or the ``model`` row with that id in the writer's session."""
    if not isinstance(record, str):
        return record
    found = w.session.get(model, record)
    if found is None:
        raise LookupError(f"no {model.__name__} {record}")
    return found
