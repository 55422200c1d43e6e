"""Dialogs of the 督查 screen: ask the owner for a reason / leave a 督办意见, and produce a report.

Both are :class:`~zsfield.screens.project_modals.FormModal` dialogs: F10, the Save button or enter on the
last field; escape with changes asks first; a refusal keeps everything typed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.widgets import Button, Static

from zsfield.i18n import t
from zsfield.screens.project_modals import FormModal, SelectField
from zsfield.widgets.fields import FormField


class NoteModal(FormModal):
    """请说明原因 (``kind="reason"``) or 督办意见 (``kind="supervision"``) on one project."""

    CSS_PATH = "supervision.tcss"
    BOX_ID = "sup-note-box"

    def __init__(self, kind: str, project_id: str, project_name: str, *, days: int | None = None) -> None:
        super().__init__()
        self.kind = kind
        self.project_id = project_id
        self.project_name = project_name
        self.days = days

    def title_text(self) -> str:
        return t(f"sup.{self.kind}_title", name=self.project_name)

    def compose_fields(self) -> ComposeResult:
        yield Static(t(f"sup.{self.kind}_help"), classes="muted")
        initial = ""
        if self.kind == "reason":
            initial = t("sup.reason_default", days=self.days) if self.days else t("sup.reason_default_plain")
        yield FormField("sup.f_body", value=initial, required=True, id="f-body")

    def on_mount(self) -> None:
        self.query_one("#f-body", FormField).input.focus()

    def is_dirty(self) -> bool:
        field = self.query_one("#f-body", FormField)
        return field.dirty and bool(field.text.strip())

    def collect(self) -> dict[str, Any]:
        return {"body": self.query_one("#f-body", FormField).value}

    def write(self, w: Any, values: dict[str, Any]) -> Any:
        from zsfield.store.actions.supervision import add_supervision_note, request_reason

        if self.kind == "reason":
            return request_reason(w, self.project_id, values["body"]).id
        return add_supervision_note(w, self.project_id, values["body"]).id


class ReportModal(FormModal):
    """月度专报 (``kind="monthly"``) or 项目信息采集表 (``kind="weekly"``): the period, the format and the file.

    The report is built and written in a worker; the dialog closes with the path written.
    """

    CSS_PATH = "supervision.tcss"
    BOX_ID = "sup-report-box"

    def __init__(self, kind: str, today: date) -> None:
        super().__init__()
        from zsfield.reports.periods import previous_month, week_of

        self.kind = kind
        self.today = today
        self.default_period = previous_month(today).code if kind == "monthly" else week_of(today).code

    def title_text(self) -> str:
        return t(f"sup.report_{self.kind}_title")

    def _default_path(self, period: str, fmt: str) -> str:
        return f"zsfield-{self.kind}-{period}.{fmt}"

    def compose_fields(self) -> ComposeResult:
        yield Static(t(f"sup.report_{self.kind}_help"), classes="muted")
        yield FormField(f"sup.f_{self.kind}_period", value=self.default_period, required=True, id="f-period")
        yield SelectField(
            "sup.f_format",
            [("xlsx (Excel)", "xlsx"), ("csv", "csv")],
            value="xlsx",
            allow_blank=False,
            id="f-format",
        )
        yield FormField(
            "sup.f_path", value=self._default_path(self.default_period, "xlsx"), required=True, id="f-path"
        )

    def on_mount(self) -> None:
        self.query_one("#f-period", FormField).input.focus()

    def on_form_field_changed(self, event: FormField.Changed) -> None:
        if event.field.id == "f-period":
            self._suggest_path()

    def on_select_changed(self) -> None:
        self._suggest_path()

    def _suggest_path(self) -> None:
        """Keep the suggested file name in step with the period and format until the user edits it."""
        from textual.css.query import NoMatches

        try:
            path = self.query_one("#f-path", FormField)
            fmt = self.query_one("#f-format", SelectField).value or "xlsx"
            period = self.query_one("#f-period", FormField).text.strip() or self.default_period
        except NoMatches:
            return
        if not path.dirty or path.text == getattr(self, "_suggested", None):
            self._suggested = self._default_path(period, fmt)
            path.text = self._suggested
            path.initial = self._suggested

    def is_dirty(self) -> bool:
        return self.query_one("#f-period", FormField).dirty

    def _period(self) -> Any:
        from zsfield.reports.periods import parse_month, parse_week

        text = self.query_one("#f-period", FormField).text
        return parse_month(text) if self.kind == "monthly" else parse_week(text)

    def action_save(self) -> None:
        from zsfield.reports.errors import ReportError
        from zsfield.reports.export import format_for

        if not self.validate():
            return
        try:
            period = self._period()
        except ReportError as exc:
            self.query_one("#f-period", FormField).show_error(exc.message())
            return
        fmt = self.query_one("#f-format", SelectField).value or "xlsx"
        path = Path(self.query_one("#f-path", FormField).text.strip()).expanduser()
        try:
            format_for(path, fmt)
        except ReportError as exc:
            self.query_one("#f-path", FormField).show_error(exc.message())
            return
        if path.suffix.lower().lstrip(".") in ("xlsx", "csv") and path.suffix.lower().lstrip(".") != fmt:
            self.query_one("#f-path", FormField).show_error(
                t("rep.cli.format_mismatch", path=str(path), format=fmt)
            )
            return
        self.query_one("#form-save", Button).disabled = True
        self.query_one("#form-error", Static).update(t("sup.report_running"))
        self._export(period, fmt, path)

    @work(thread=True, exclusive=True, group="sup-report")
    def _export(self, period: Any, fmt: str, path: Path) -> None:
        from zsfield.reports.errors import ReportError
        from zsfield.reports.export import write_report

        store = self.zs.wait_store()
        as_of = min(period.end, self.today)
        try:
            if self.kind == "monthly":
                from zsfield.reports.monthly import build_monthly

                report = build_monthly(
                    store, period, as_of=as_of, lang="zh", stale_days=self.zs.settings.stale_days
                )
            else:
                from zsfield.reports.weekly import build_weekly

                report = build_weekly(store, period, as_of=as_of, lang="zh")
            written = write_report(report, path, fmt)
        except ReportError as exc:
            self.app.call_from_thread(self._failed, exc.message())
            return
        self.app.call_from_thread(self.dismiss, str(written.resolve()))

    def _failed(self, message: str) -> None:
        self.query_one("#form-save", Button).disabled = False
        self.query_one("#form-error", Static).update(message)


class TargetModal(FormModal):
    """任务分解表: enter or correct one owner's targets for a year — a count per band.

    ``owners`` maps each owner kind (team, department, leader) to its (name, id) choices; with ``owner``
    given (kind, id) the dialog edits that owner's row and the kind and owner are fixed.
    """

    CSS_PATH = "supervision.tcss"
    BOX_ID = "sup-target-box"

    def __init__(
        self,
        year: int,
        owners: dict[str, list[tuple[str, str]]],
        *,
        owner: tuple[str, str] | None = None,
        counts: dict[str, int] | None = None,
    ) -> None:
        super().__init__()
        self.year = year
        self.owners = owners
        self.owner = owner
        self.counts = counts or {}

    def title_text(self) -> str:
        return t("sup.target_title", year=self.year)

    def compose_fields(self) -> ComposeResult:
        from textual.containers import Grid

        from zsfield.domain.money import BANDS_DESC

        kinds = [
            (t(f"enum.TargetOwnerKind.{k}"), k)
            for k in ("team", "department", "leader")
            if self.owners.get(k)
        ]
        kind = self.owner[0] if self.owner else (kinds[0][1] if kinds else "team")
        yield SelectField("sup.f_owner_kind", kinds, value=kind, allow_blank=False, id="f-owner_kind")
        yield SelectField(
            "sup.f_owner",
            self.owners.get(kind, []),
            value=self.owner[1] if self.owner else None,
            allow_blank=self.owner is None,
            id="f-owner",
        )
        with Grid(id="sup-target-grid"):
            for band in BANDS_DESC:
                yield FormField(
                    f"band.{band.value}",
                    kind="int",
                    value=str(self.counts.get(band.value, 0)),
                    id=f"f-{band.value}",
                )

    def on_mount(self) -> None:
        if self.owner is not None:
            self.query_one("#f-owner_kind", SelectField).disabled = True
            self.query_one("#f-owner", SelectField).disabled = True
            self.query_one("#f-b20yi", FormField).input.focus()
        else:
            self.query_one("#f-owner", SelectField).focus()

    def on_select_changed(self, event: Any) -> None:
        from textual.css.query import NoMatches

        try:
            kind_field = self.query_one("#f-owner_kind", SelectField)
            owner_field = self.query_one("#f-owner", SelectField)
        except NoMatches:
            return
        if event.select is kind_field.select and self.owner is None:
            owner_field.select.set_options(self.owners.get(str(kind_field.value), []))

    def collect(self) -> dict[str, Any]:
        from zsfield.domain.money import BANDS_DESC
        from zsfield.widgets.fields import FieldError

        kind = str(self.query_one("#f-owner_kind", SelectField).value)
        owner_id = self.query_one("#f-owner", SelectField).value
        if not owner_id:
            raise FieldError(t("sup.target_pick_owner"))
        name = next((n for n, v in self.owners.get(kind, []) if v == owner_id), str(owner_id))
        counts = {b.value: self.query_one(f"#f-{b.value}", FormField).value or 0 for b in BANDS_DESC}
        return {"kind": kind, "owner_id": str(owner_id), "name": name, "counts": counts}

    def write(self, w: Any, values: dict[str, Any]) -> Any:
        from zsfield.store.actions.targets import set_targets

        return set_targets(
            w,
            year=self.year,
            owner_kind=values["kind"],
            owner_id=values["owner_id"],
            owner_name=values["name"],
            counts=values["counts"],
        )
