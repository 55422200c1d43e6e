"""The stage tab: one pane per stage with that stage's fields, their stored values and read-only lines."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.containers import Horizontal, VerticalScroll
from textual.widget import AwaitMount, Widget
from textual.widgets import Button, DataTable, Select, Static

from zsfield.domain.enums import (
    MilestoneKind,
    PermitType,
    ServiceKind,
    ServiceState,
    Stage,
)
from zsfield.format import amount_cny, day, local_time
from zsfield.i18n import t
from zsfield.screens.project.fields import (
    PANES,
    PermitChecklist,
    StagePane,
    _field_text,
    _label_key,
    _ready,
    _widget_id,
)
from zsfield.screens.project.modals import (
    CheckField,
    SelectField,
)
from zsfield.store.read.rules import is_overdue
from zsfield.widgets.fields import FormField
from zsfield.widgets.table import ZsTable

if TYPE_CHECKING:
    from zsfield.screens.base import ZsScreen as _Base
else:
    _Base = object


class StagePanes(_Base):
    """The stage panes of :class:`ProjectDetailScreen` (a part of the screen)."""

    def _mounted_panes(self) -> list[Stage]:
        return [pane.stage for pane in self.query(StagePane)]

    def show_pane(self, stage: Stage) -> AwaitMount | None:
        """Show the pane of ``stage`` (built the first time it is shown; typed values are kept).

        Returns the mount to await when the pane was built just now."""
        if self.detail is None:
            return None
        stage = Stage(stage)
        scroll = self.query_one("#pane-scroll", VerticalScroll)
        fresh = stage not in self._mounted_panes()
        mounting = None
        if fresh:
            mounting = scroll.mount(StagePane(stage, *self._build_fields(stage)))
        for pane in self.query(StagePane):
            pane.display = pane.stage == stage
        self.pane_stage = stage
        current = Stage(self.detail.project["stage"])
        key = (
            "detail.pane_current"
            if stage == current
            else "detail.pane_ahead"
            if stage.index > current.index
            else "detail.pane_past"
        )
        self.query_one("#pane-title", Static).update(t(key, stage=stage.label()))
        select = self.query_one("#pane-select", Select)
        with self.prevent(Select.Changed):
            select.value = stage.value
        if fresh:
            self.call_after_refresh(self._refresh_pane_values, stage)
        else:
            self._pane_extras(stage)
        scroll.scroll_home(animate=False)
        return mounting

    def _build_fields(self, stage: Stage) -> list[Widget]:
        p = self.detail.project
        today = self.officer_today
        widgets: list[Widget] = []
        if stage == Stage.NEGOTIATING:
            widgets.append(Static("", id="visits-info", classes="pane-info"))
        for name, kind in PANES[stage]:
            wid = _widget_id(name)
            self._kinds[name] = kind
            if kind.startswith("select:"):
                source = kind.split(":", 1)[1]
                opts = (self._options or {}).get(source, [])
                value = p.get(name)
                value = value.value if hasattr(value, "value") else value
                w: Widget = SelectField(
                    _label_key(name), opts, value=value, id=wid, allow_blank=source != "currency"
                )
            elif kind == "check":
                w = CheckField(_label_key(name), value=bool(p.get(name)), id=wid)
            elif kind == "milestone":
                w = FormField(
                    _label_key(name), kind="date", value=self._milestone_text(name), id=wid, today=today
                )
            elif kind == "company":
                w = FormField(_label_key(name), value=self.detail.company, id=wid, today=today)
            else:
                w = FormField(
                    _label_key(name), kind=kind, value=_field_text(kind, p.get(name)), id=wid, today=today
                )  # type: ignore[arg-type]
            self._fields[name] = w
            widgets.append(w)
        if stage == Stage.CONTRACT_SIGNED:
            widgets.append(Static("", id="per-mu", classes="pane-info"))
        if stage == Stage.PERMITS:
            widgets.append(self._permit_checklist())
        if stage == Stage.EFFECTIVE:
            widgets.append(Static("", id="effect-compare", classes="pane-info"))
        return widgets

    def _permit_checklist(self) -> Widget:
        box = PermitChecklist(id="permit-box")
        box.compose_add_child(Static(t("svc.permits_hint"), classes="pane-info"))
        box.compose_add_child(ZsTable(id="permit-table", cursor_type="row", zebra_stripes=True))
        bar = Horizontal(id="permit-add-bar")
        bar.compose_add_child(
            Select(
                [(pt.label(), pt.value) for pt in PermitType],
                prompt=t("svc.permit_choose"),
                compact=True,
                id="f-permits",
            )
        )
        bar.compose_add_child(Button(t("svc.permit_add"), id="btn-permit-add", compact=True))
        box.compose_add_child(bar)
        return box

    def _milestone_text(self, name: str) -> str:
        kind = MilestoneKind(name.split(".", 1)[1])
        for m in self.detail.milestones:
            if m.kind == kind:
                return day(m.promised_on) if m.promised_on else ""
        return ""

    def _stored_text(self, name: str) -> Any:
        kind = self._kinds[name]
        p = self.detail.project
        if kind == "milestone":
            return self._milestone_text(name)
        if kind == "company":
            return self.detail.company
        value = p.get(name)
        if kind.startswith("select:"):
            return value.value if hasattr(value, "value") else value
        if kind == "check":
            return bool(value)
        return _field_text(kind, value)

    def _refresh_pane_values(self, stage: Stage) -> None:
        """Show stored values in the fields of ``stage`` that the officer has not changed."""
        if self.detail is None:
            return
        for name, _kind in PANES[stage]:
            w = self._fields.get(name)
            if w is None or not _ready(w):
                continue
            stored = self._stored_text(name)
            if isinstance(w, FormField):
                if not w.dirty:
                    w.initial = stored
                    with w.prevent(FormField.Changed):
                        w.text = stored
                else:
                    w.initial = stored
            elif isinstance(w, SelectField):
                if not w.dirty:
                    w.reset(stored)
                else:
                    w.set_initial(stored)
            elif isinstance(w, CheckField):
                if not w.dirty:
                    w.reset(stored)
                else:
                    w.initial = stored
        if stage == self.pane_stage:
            self._pane_extras(stage)

    def _pane_extras(self, stage: Stage) -> None:
        """The read-only lines of a pane: meetings, 亩均投资, permit list, output against commitments."""
        d = self.detail
        p = d.project
        tz = self.officer_tz
        if stage == Stage.NEGOTIATING and self.query("#visits-info"):
            if d.visits:
                text = t(
                    "detail.visits",
                    n=d.visits,
                    last=local_time(d.last_visit_at, tz),
                    summary=d.last_visit_summary or "—",
                )
            else:
                text = t("detail.no_visits")
            self.query_one("#visits-info", Static).update(text)
        if stage == Stage.CONTRACT_SIGNED and self.query("#per-mu"):
            self._update_per_mu()
        if stage == Stage.PERMITS and self.query("#permit-table"):
            self._fill_permits()
        if stage == Stage.EFFECTIVE and self.query("#effect-compare"):
            parts = []
            for actual, committed, key in (
                ("actual_output", "committed_output", "detail.cmp_output"),
                ("actual_tax", "committed_tax", "detail.cmp_tax"),
                ("actual_jobs", "committed_jobs", "detail.cmp_jobs"),
            ):
                a, c = p.get(actual), p.get(committed)
                fmt = (lambda v: "—" if v is None else str(v)) if key == "detail.cmp_jobs" else amount_cny
                pct = (
                    f"{(Decimal(a) * 100 / Decimal(c)).quantize(Decimal(1))}%" if a is not None and c else "—"
                )
                parts.append(t(key, committed=fmt(c), actual=fmt(a), pct=pct))
            self.query_one("#effect-compare", Static).update("\n".join(parts))

    def _update_per_mu(self) -> None:
        p = self.detail.project
        total = p.get("total_investment_cny")
        mu = p.get("land_need_mu") or p.get("land_area_mu")
        for name in ("total_investment", "land_need_mu"):
            w = self._fields.get(name)
            if isinstance(w, FormField) and _ready(w) and w.dirty and w.error is None:
                value = w.value
                if name == "total_investment" and self._select_value("total_investment_currency") in (
                    None,
                    "CNY",
                ):
                    total = value
                elif name == "land_need_mu":
                    mu = value
        if total and mu:
            self.query_one("#per-mu", Static).update(
                t("detail.per_mu", value=amount_cny(Decimal(total) / Decimal(mu)))
            )
        else:
            self.query_one("#per-mu", Static).update(t("detail.per_mu_unknown"))

    def _select_value(self, name: str) -> Any:
        w = self._fields.get(name)
        if isinstance(w, SelectField) and _ready(w):
            return w.value
        v = self.detail.project.get(name)
        return v.value if hasattr(v, "value") else v

    def _fill_permits(self) -> None:
        table = self.query_one("#permit-table", DataTable)
        if not table.columns:
            for key in ("svc.col_title", "svc.col_state", "svc.col_due"):
                table.add_column(t(key), key=key)
        keep = table.cursor_row
        table.clear()
        today = self._today()
        for item in self.detail.service_items:
            if item.kind != ServiceKind.PERMIT:
                continue
            done = item.state == ServiceState.DONE
            mark = "☑" if done else "☐"
            overdue = is_overdue(item.due_on, today, done=done, finished_on=item.done_on)
            title = item.permit_type.label() if item.permit_type else item.title
            table.add_row(
                Text(f"{mark} {title}", style="red" if overdue else ("green" if done else "")),
                item.state.label(),
                Text(day(item.due_on), style="red" if overdue else ""),
                key=item.id,
            )
        if table.row_count:
            table.move_cursor(row=min(keep or 0, table.row_count - 1))
