"""项目详情, the project screen, as a package: :mod:`.screen` (the shell: layout, data, events), :mod:`.stage_pane`,
one module per tab (:mod:`.tab_service`, :mod:`.tab_milestones`, :mod:`.tab_capital`, :mod:`.tab_contacts`; the
timeline is :class:`zsfield.widgets.timeline.Timeline`), :mod:`.saving` (the screen's writes), :mod:`.read`,
:mod:`.fields` and :mod:`.modals` (the screen's dialogs and the form modal base).

The public names load on first use, so that importing :mod:`.modals` alone does not build the screen's modules.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ProjectDetailScreen", "ProjectRead", "read_project"]


def __getattr__(name: str) -> Any:
    if name == "ProjectDetailScreen":
        from zsfield.screens.project.screen import ProjectDetailScreen

        return ProjectDetailScreen
    if name in ("ProjectRead", "read_project"):
        from zsfield.screens.project import read

        return getattr(read, name)
    raise AttributeError(name)
