"""The supervisor's writes on a project (督查): ask for the reason it has no entry (请说明原因), give an
instruction (督办意见). Both are notes that sync to the owner and are not a touch (久未跟进 stays as it is:
see :mod:`zsfield.store.read.rules`)."""

from __future__ import annotations

from zsfield.domain.enums import NoteKind
from zsfield.domain.models import Note
from zsfield.store.actions.timeline import add_note
from zsfield.store.writer import Writer


def request_reason(w: Writer, project_id: str, body: str) -> Note:
    """Ask the owner why a project has no entry (请说明原因); syncs to the owner like any note."""
    return add_note(w, body=body, project_id=project_id, kind=NoteKind.REASON_REQUEST)


def add_supervision_note(w: Writer, project_id: str, body: str) -> Note:
    """督办意见: the supervisor's instruction on a project; syncs to the owner."""
    return add_note(w, body=body, project_id=project_id, kind=NoteKind.SUPERVISION)
