"""The project screen's read (in a worker, or by ``app.open_project`` ahead of the screen)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zsfield.domain.enums import (
    PARK_AREAS,
    SourceChannel,
)
from zsfield.screens.project.fields import (
    TIMELINE_PAGE,
    _currencies,
)


@dataclass(frozen=True)
class ProjectRead:
    """What the detail screen shows of a project, read in a worker (:func:`read_project`)."""

    detail: Any  # queries.ProjectDetail; None when there is no such project
    options: dict[str, list[tuple[str, Any]]] | None  # the selects' choices, when asked for
    timeline: Any = None  # the timeline's first page (TIMELINE_PAGE entries), when asked for


def read_project(
    store: Any, project_id: str, *, with_options: bool, with_timeline: bool = False
) -> ProjectRead:
    """Read a project for the detail screen (in a worker): a few ms, so that opening a project can read it
    before building the screen (``app.open_project``)."""
    from zsfield.store.read.detail import project_detail
    from zsfield.store.read.lookups import options
    from zsfield.store.read.timeline import timeline

    detail = project_detail(store, project_id)
    opts = None
    if with_options:
        opts = {
            "team": [(o.name, o.id) for o in options(store, "team")],
            "officer": [(o.name, o.id) for o in options(store, "officer")],
            "channel": [(c.label(), c.value) for c in SourceChannel],
            "park": [(a, a) for a in PARK_AREAS],
            "currency": [(c, c) for c in _currencies()],
        }
    first = timeline(store, project_id=project_id, limit=TIMELINE_PAGE) if with_timeline and detail else None
    return ProjectRead(detail, opts, first)
