"""Saving what was typed, advancing, moving back and the status: the project screen's writes."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from textual import work
from textual.containers import VerticalScroll
from textual.widgets import Select, Static, TabbedContent

from zsfield.domain.enums import (
    MilestoneKind,
    ProjectStatus,
    Stage,
)
from zsfield.domain.problems import DomainError, Problem
from zsfield.i18n import current_language, t
from zsfield.screens.project.fields import (
    _TEXT_COLUMNS,
    FIELD_STAGE,
    _Lbl,
    _ready,
)
from zsfield.screens.project.modals import (
    MoveBackModal,
    StatusModal,
    on_written,
)
from zsfield.widgets.fields import FormField

if TYPE_CHECKING:
    from zsfield.screens.base import ZsScreen as _Base
else:
    _Base = object


class Saving(_Base):
    """Values, save, advance, move back and status of :class:`ProjectDetailScreen` (a part of the screen)."""

    def dirty_fields(self) -> list[str]:
        return [name for name, w in self._fields.items() if _ready(w) and getattr(w, "dirty", False)]

    def has_unsaved_changes(self) -> bool:
        return bool(self.dirty_fields())

    def _collect(self) -> tuple[dict[str, Any], dict[MilestoneKind, date], str | None] | None:
        """The changed values, parsed; None (and the first bad field focused) when something does not parse."""
        changes: dict[str, Any] = {}
        milestones: dict[MilestoneKind, date] = {}
        company: str | None = None
        bad: list[str] = []
        for name in self.dirty_fields():
            w = self._fields[name]
            kind = self._kinds[name]
            if isinstance(w, FormField):
                if not w.validate_now():
                    bad.append(name)
                    continue
                value = w.value
                if kind == "milestone":
                    if value is not None:
                        milestones[MilestoneKind(name.split(".", 1)[1])] = value
                elif kind == "company":
                    company = (value or "").strip()
                elif name in _TEXT_COLUMNS:
                    changes[name] = value or ""
                else:
                    changes[name] = value
            else:
                value = w.value  # type: ignore[attr-defined]
                changes[name] = "" if value is None and name in _TEXT_COLUMNS else value
        if bad:
            self.notify(t("form.fix_errors"), severity="error")
            self._focus_field(bad[0])
            return None
        return changes, milestones, company

    def action_save(self, then_advance: bool = False) -> None:
        if self.detail is None or self._busy:
            return
        collected = self._collect()
        if collected is None:
            return
        changes, milestones, company = collected
        if not (changes or milestones or company):
            if then_advance:
                self._advance()
            else:
                self.notify(t("detail.nothing_to_save"))
            return
        self._busy = True
        self._save(changes, milestones, company, then_advance)

    @work(thread=True, exclusive=True, group="project-write")
    def _save(
        self,
        changes: dict[str, Any],
        milestones: dict[MilestoneKind, date],
        company: str | None,
        then_advance: bool,
    ) -> None:
        from zsfield.store.actions.projects import save_project_edits

        store = self.zs.wait_store()
        me = self.zs.me
        try:
            if company is not None and not company:
                raise DomainError(
                    Problem("flow.missing_field", {"field": _Lbl("detail.f.company")}, field="company")
                )
            with store.write(me.id if me else None) as w:
                save_project_edits(w, self.project_id, changes, milestones, company=company)
        except DomainError as err:
            self.app.call_from_thread(self._refused, err, False)
            return
        self.app.call_from_thread(self._saved, then_advance)

    def _saved(self, then_advance: bool) -> None:
        self._busy = False
        for name in self.dirty_fields():
            w = self._fields[name]
            if isinstance(w, FormField):
                w.initial = w.text
            else:
                w.initial = w.value  # type: ignore[attr-defined]
        if then_advance:
            self._advance()
        else:
            self.notify(t("form.saved"))
        self.zs.data_changed()

    async def _refused(self, err: DomainError, advancing: bool) -> None:
        """Say exactly what is missing, under the fields and at the top, and focus the first missing field."""
        self._busy = False
        message = err.message(current_language())
        self.notify(message, title=t("detail.refused"), severity="error", timeout=12)
        line = self.query_one("#missing-line", Static)
        line.update(message)
        line.set_class(True, "-missing")
        first: str | None = None
        for problem in err.problems:
            name = "company" if problem.field == "company_id" else problem.field
            if not name:
                continue
            first = first or name
            w = self._fields.get(name)
            if isinstance(w, FormField) and _ready(w):
                w.show_error(problem.message())
        if first is not None:
            stage = FIELD_STAGE.get(first)
            if stage is not None and stage != self.pane_stage:
                self.query_one(TabbedContent).active = "tab-stage"
                mounting = self.show_pane(stage)
                if mounting is not None:
                    await mounting
                self._mark_missing(err)
            self._focus_field(first)

    def _mark_missing(self, err: DomainError) -> None:
        for problem in err.problems:
            name = "company" if problem.field == "company_id" else problem.field
            w = self._fields.get(name or "")
            if isinstance(w, FormField) and _ready(w):
                w.show_error(problem.message())

    def _focus_field(self, name: str, tries: int = 5) -> None:
        """Focus the field ``name`` (retried after a refresh while a freshly built pane composes)."""
        if name == "permits":
            if self.query("#f-permits"):
                self.query_one("#f-permits", Select).focus()
            elif tries:
                self.call_after_refresh(self._focus_field, name, tries - 1)
            return
        w = self._fields.get(name)
        if w is None or not _ready(w):
            if tries:
                self.call_after_refresh(self._focus_field, name, tries - 1)
            return
        self.query_one(TabbedContent).active = "tab-stage"
        if isinstance(w, FormField):
            w.input.focus()
        else:
            w.focus()
        self.query_one("#pane-scroll", VerticalScroll).scroll_to_widget(w, animate=False)

    # --- advance, back, status --------------------------------------------------------------------------

    def action_advance(self) -> None:
        """Save what was typed, then move to the next stage."""
        self.action_save(then_advance=True)

    def _advance(self) -> None:
        if self.detail is None:
            return
        self._busy = True
        self._move_next()

    @work(thread=True, exclusive=True, group="project-write")
    def _move_next(self) -> None:
        from zsfield.store.actions.projects import advance_stage

        store = self.zs.wait_store()
        me = self.zs.me
        try:
            with store.write(me.id if me else None) as w:
                nxt = advance_stage(w, self.project_id)
        except DomainError as err:
            self.app.call_from_thread(self._refused, err, True)
            return
        self.app.call_from_thread(self._moved, nxt)

    def _moved(self, stage: Stage) -> None:
        self._busy = False
        self.notify(t("detail.moved", stage=stage.label()))
        self.pane_stage = None  # show the new current stage's pane after the reload
        self.zs.data_changed()

    def action_move_back(self) -> None:
        if self.detail is None:
            return
        stage = Stage(self.detail.project["stage"])
        if stage == Stage.SCREENING:
            self.notify(t("detail.at_first_stage"), severity="warning")
            return

        def done(result: Any) -> None:
            if result:
                self.pane_stage = None
                self.zs.data_changed()

        self.app.push_screen(MoveBackModal(self.project_id, stage), done)

    def action_status(self) -> None:
        if self.detail is None:
            return
        self.app.push_screen(
            StatusModal(self.project_id, ProjectStatus(self.detail.project["status"]), self._today()),
            on_written(self.zs.data_changed),
        )
