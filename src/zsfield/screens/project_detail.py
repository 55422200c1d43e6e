"""项目详情 — the heart of the flow: one project from screening to output (一个项目一套方案一跟到底).

Header (name, company, owner team, leader, service officer, status, band), the stage stepper, and tabs:

- **阶段 stage**: the pane of the current stage with that stage's own fields (any other stage's pane can be
  opened with ``[`` / ``]``, the selector or a click on the stepper, to fill fields ahead); what is still
  missing for the next stage; save (F10 or the button: ``actions.update_project`` and the promised
  milestones in one transaction), advance (``a``: save, then ``actions.move_stage`` to the next stage; a
  refusal says exactly what is missing and focuses the first missing field), move back (``b``, with a
  reason), status (``s``, with reason and date when needed).
- **一套方案 service plan**, **履约 milestones**, **外资 foreign capital**, **联系人 contacts**, **时间线 timeline**.

F8 logs a visit for this project (``record_context``). Escape with unsaved changes asks first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.widget import AwaitMount, Widget
from textual.widgets import Button, DataTable, Select, Static, TabbedContent, TabPane

from zsfield.bindings import binding, localize
from zsfield.domain.enums import (
    PARK_AREAS,
    STAGES,
    MilestoneKind,
    PermitType,
    ProjectStatus,
    ServiceKind,
    ServiceState,
    SourceChannel,
    Stage,
)
from zsfield.domain.problems import DomainError, Problem
from zsfield.format import amount, amount_cny, amount_usd, day, local_time
from zsfield.i18n import current_language, t
from zsfield.screens.base import ZsScreen
from zsfield.screens.project_modals import (
    AssignModal,
    CheckField,
    ContactModal,
    MilestoneModal,
    MoveBackModal,
    ReceiptModal,
    SelectField,
    ServiceItemModal,
    StatusModal,
    on_written,
)
from zsfield.store.read.rules import days_overdue, is_overdue
from zsfield.widgets.fields import FormField
from zsfield.widgets.stage_stepper import StageStepper, StepperData
from zsfield.widgets.table import ZsTable
from zsfield.widgets.timeline import Timeline
from zsfield.widgets.worker_results import while_shown

# (field, kind) per stage pane. Kinds: text, date, amount, decimal, int, credit_code (FormField);
# company (text, resolved to a company on save); select:<source>; check; milestone (a promised date).
PANES: dict[Stage, tuple[tuple[str, str], ...]] = {
    Stage.SCREENING: (
        ("name", "text"),
        ("company", "company"),
        ("source_channel", "select:channel"),
        ("industry", "text"),
        ("park_area", "select:park"),
        ("is_real_estate", "check"),
    ),
    Stage.NEGOTIATING: (
        ("owner_team_id", "select:team"),
        ("leader_id", "select:officer"),
        ("service_officer_id", "select:officer"),
        ("policy_asks", "text"),
        ("open_questions", "text"),
    ),
    Stage.INTENT_SIGNED: (("intent_signed_on", "date"), ("planned_investment", "amount")),
    Stage.CONTRACT_SIGNED: (
        ("contract_signed_on", "date"),
        ("total_investment", "amount"),
        ("total_investment_currency", "select:currency"),
        ("total_investment_rate", "decimal"),
        ("fixed_asset_investment", "amount"),
        ("registered_capital", "amount"),
        ("registered_capital_currency", "select:currency"),
        ("foreign_capital_contracted", "amount"),
        ("foreign_capital_currency", "select:currency"),
        ("foreign_capital_rate_usd", "decimal"),
        ("land_need_mu", "decimal"),
        ("committed_output", "amount"),
        ("committed_tax", "amount"),
        ("committed_jobs", "int"),
        *((f"milestone.{k.value}", "milestone") for k in MilestoneKind),
    ),
    Stage.REGISTERED: (
        ("registered_entity", "text"),
        ("credit_code", "credit_code"),
        ("registered_on", "date"),
    ),
    Stage.LAND_APPROVED: (
        ("land_parcel", "text"),
        ("land_area_mu", "decimal"),
        ("no_new_land", "check"),
        ("land_approval_doc", "text"),
        ("land_approved_on", "date"),
    ),
    Stage.PERMITS: (),
    Stage.CONSTRUCTION: (("construction_start_on", "date"), ("construction_progress", "text")),
    Stage.COMMISSIONING: (("equipment_readiness", "text"), ("completion_on", "date")),
    Stage.PRODUCTION: (("production_start_on", "date"), ("capacity", "text")),
    Stage.EFFECTIVE: (("actual_output", "amount"), ("actual_tax", "amount"), ("actual_jobs", "int")),
}

FIELD_STAGE: dict[str, Stage] = {name: stage for stage, fields in PANES.items() for name, _ in fields}
FIELD_STAGE.update({"company_id": Stage.SCREENING, "permits": Stage.PERMITS})
"""Which pane holds a field (refusals name fields; the first missing one is focused)."""

_LAZY_TABS: tuple[tuple[str, str], ...] = (
    ("tab-service", "detail.tab_service"),
    ("tab-milestones", "detail.tab_milestones"),
    ("tab-capital", "detail.tab_capital"),
    ("tab-contacts", "detail.tab_contacts"),
    ("tab-timeline", "detail.tab_timeline"),
)
"""The tabs built the first time they are shown (the stage tab is built with the screen)."""

_TAB_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "tab-service": (
        "#svc-table",
        ("svc.col_kind", "svc.col_title", "svc.col_responsible", "svc.col_due", "svc.col_state"),
    ),
    "tab-milestones": ("#ms-table", ("ms.col_kind", "ms.col_promised", "ms.col_actual", "ms.col_state")),
    "tab-capital": ("#cap-table", ("cap.col_date", "cap.col_amount", "cap.col_rate", "cap.col_usd")),
    "tab-contacts": (
        "#contact-table",
        ("contact.name", "contact.title_field", "contact.phone", "contact.email", "contact.wechat"),
    ),
}

_TEXT_COLUMNS = frozenset(
    {
        "name", "industry", "park_area", "policy_asks", "open_questions", "registered_entity", "land_parcel",
        "land_approval_doc", "construction_progress", "equipment_readiness", "capacity",
    }
)  # fmt: skip

_YI, _WAN = Decimal(100_000_000), Decimal(10_000)


def _plain(d: Decimal) -> str:
    s = format(d.normalize(), "f")
    return s


def amount_text(value: Decimal | None) -> str:
    """An amount as an officer would type it, and as the field parses it back (8亿, 3000万 / 800m, 1.2bn)."""
    if value is None:
        return ""
    if current_language() == "zh":
        for unit, word in ((_YI, "亿"), (_WAN, "万")):
            if value >= unit and (value / unit).as_tuple().exponent >= -4:  # type: ignore[operator]
                return _plain(value / unit) + word
        return _plain(value)
    for unit, word in ((Decimal(10**9), "bn"), (Decimal(10**6), "m"), (Decimal(1000), "k")):
        if value >= unit and (value / unit).normalize().as_tuple().exponent >= -3:  # type: ignore[operator]
            return _plain(value / unit) + word
    return _plain(value)


def _field_text(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if kind == "amount":
        return amount_text(value)
    if kind in ("decimal",):
        return _plain(value)
    if kind == "date":
        return value.isoformat()
    return str(value)


def _widget_id(field: str) -> str:
    return "f-" + field.replace(".", "-")


def _label_key(field: str) -> str:
    return "detail.f." + field.replace(".", "_")


TIMELINE_PAGE = 15
"""Entries per page of the timeline tab: a screenful at 40 rows; the next pages load as it scrolls (or at once
while the list does not fill a taller terminal)."""

REST_AFTER = 0.25
"""Seconds after the project is shown when the tabs not yet opened are built (so that switching is instant)."""


class StagePane(Grid):
    """The fields of one stage, in a grid (two columns; one at narrow widths)."""

    def __init__(self, stage: Stage, *children: Widget) -> None:
        super().__init__(*children, id=f"pane-{stage.value}", classes="stage-pane")
        self.stage = stage


class _KeyedPane(Vertical):
    """A part of the screen with its own keys (descriptions are catalog keys, translated here)."""

    def __init__(self, *children: Widget, id: str | None = None) -> None:
        super().__init__(*children, id=id)
        localize(self)


class PermitChecklist(_KeyedPane):
    """证件办理: the permit items of the service plan; add one from the permit types, tick them off."""

    BINDINGS = [
        binding("permit_toggle", "space", "toggle_permit", "svc.key_toggle"),
    ]


class ServicePlanPane(_KeyedPane):
    """一套方案: the service items; add (n), assign (r), in progress (i), tick off (enter / d)."""

    BINDINGS = [
        binding("svc_add", "n", "screen.add_service_item", "svc.key_add"),
        binding("svc_assign", "r", "screen.assign_service_item", "svc.key_assign"),
        binding("svc_progress", "i", "screen.service_state('in_progress')", "svc.key_progress"),
        binding("svc_done", "d", "screen.toggle_service_item", "svc.key_done"),
    ]


class MilestonesPane(_KeyedPane):
    """履约: promised vs actual dates; enter sets them."""

    BINDINGS = [binding("ms_edit", "e", "screen.edit_milestone", "ms.key_edit")]


class CapitalPane(_KeyedPane):
    """外资: contracted vs received; the receipts; n adds one."""

    BINDINGS = [binding("cap_add", "n", "screen.add_receipt", "cap.key_add")]


class ContactsPane(_KeyedPane):
    """联系人: the project's contacts; n adds one."""

    BINDINGS = [binding("contact_add", "n", "screen.add_contact", "contact.key_add")]


class ProjectDetailScreen(ZsScreen):
    """One project, every stage of it (see module doc)."""

    CSS_PATH = "project_detail.tcss"

    BINDINGS = [
        binding("detail_back", "escape", "back", "detail.key_back"),
        binding("detail_save", "f10", "save", "detail.key_save"),
        binding("detail_advance", "a,f9", "advance", "detail.key_advance"),
        binding("detail_move_back", "b", "move_back", "detail.key_move_back"),
        binding("detail_status", "s", "status", "detail.key_status"),
        binding("detail_prev_pane", "left_square_bracket", "pane(-1)", "detail.key_prev_pane"),
        binding("detail_next_pane", "right_square_bracket", "pane(1)", "detail.key_next_pane"),
        binding("detail_tab_stage", "1", "tab('tab-stage')", "detail.tab_stage", show=False),
        binding("detail_tab_service", "2", "tab('tab-service')", "detail.tab_service", show=False),
        binding("detail_tab_milestones", "3", "tab('tab-milestones')", "detail.tab_milestones", show=False),
        binding("detail_tab_capital", "4", "tab('tab-capital')", "detail.tab_capital", show=False),
        binding("detail_tab_contacts", "5", "tab('tab-contacts')", "detail.tab_contacts", show=False),
        binding("detail_tab_timeline", "6", "tab('tab-timeline')", "detail.tab_timeline", show=False),
    ]

    def __init__(self, project_id: str, preloaded: ProjectRead | None = None) -> None:
        """``preloaded``: this project as :func:`read_project` read it (with options, and the timeline's first
        page) before the screen was built; without it the screen reads the project itself once mounted."""
        super().__init__()
        self.project_id = project_id
        self._preloaded = preloaded
        self._timeline_first = preloaded.timeline if preloaded is not None else None
        self.detail: Any = None
        self.pane_stage: Stage | None = None
        self._options: dict[str, list[tuple[str, Any]]] | None = None
        self._fields: dict[str, Widget] = {}
        self._kinds: dict[str, str] = {}
        self._busy = False
        self._focus_after_load: str | None = None
        self._built_tabs: set[str] = set()
        self._building_tabs: set[str] = set()

    # --- layout ---------------------------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        yield Static(t("fmt.loading"), id="detail-title")
        yield Static("", id="detail-people")
        yield StageStepper(id="stepper")
        with TabbedContent(id="detail-tabs", initial="tab-stage"):
            with TabPane(t("detail.tab_stage"), id="tab-stage"):
                with Horizontal(id="pane-bar"):
                    yield Static("", id="pane-title")
                    yield Select(
                        [(f"{s.index} {s.label()}", s.value) for s in STAGES],
                        allow_blank=True,
                        prompt=t("detail.pane_choose"),
                        compact=True,
                        id="pane-select",
                    )
                yield Static("", id="missing-line")
                pane = self._preloaded_pane()
                yield VerticalScroll(*([pane] if pane is not None else []), id="pane-scroll")
                with Horizontal(id="detail-buttons"):
                    yield Button(t("detail.save") + " (F10)", id="btn-save", variant="primary", compact=True)
                    yield Button(
                        t("detail.advance") + " (a/F9)", id="btn-advance", variant="success", compact=True
                    )
                    yield Button(t("detail.move_back") + " (b)", id="btn-back", compact=True)
                    yield Button(t("detail.status") + " (s)", id="btn-status", compact=True)
            # the other tabs are built the first time they are shown (_build_tab): a project opens with
            # only what is on screen
            for tab_id, label in _LAZY_TABS:
                yield TabPane(t(label), id=tab_id)

    def on_mount(self) -> None:
        pass  # ZsScreen.on_mount (Textual calls it after this one) starts the first load

    def _preloaded_pane(self) -> StagePane | None:
        """With the project read before the screen (``preloaded``), its current stage's pane is built with the
        screen, so the first frame shows the fields (mounted later, they would take another few frames)."""
        if self._preloaded is None or self._preloaded.detail is None:
            return None
        detail = self._preloaded.detail
        if self._preloaded.options is not None:
            self._options = self._preloaded.options
        stage = Stage(detail.project["stage"])
        self.detail = detail  # what _build_fields reads; _apply (on mount) then shows all of it
        try:
            return StagePane(stage, *self._build_fields(stage))
        finally:
            self.detail = None

    def _tab_content(self, tab_id: str) -> Widget:
        """The widgets of a tab other than the stage tab (built when the tab is first shown)."""
        if tab_id == "tab-service":
            return ServicePlanPane(
                Static(t("svc.hint"), classes="tab-hint"),
                ZsTable(id="svc-table", cursor_type="row", zebra_stripes=True),
                Horizontal(
                    Button(t("svc.add") + " (n)", id="btn-svc-add", compact=True), classes="tab-buttons"
                ),
            )
        if tab_id == "tab-milestones":
            return MilestonesPane(
                Static(t("ms.hint"), classes="tab-hint"),
                ZsTable(id="ms-table", cursor_type="row", zebra_stripes=True),
            )
        if tab_id == "tab-capital":
            return CapitalPane(
                Static("", id="cap-summary"),
                ZsTable(id="cap-table", cursor_type="row", zebra_stripes=True),
                Horizontal(
                    Button(t("cap.add") + " (n)", id="btn-cap-add", compact=True), classes="tab-buttons"
                ),
            )
        if tab_id == "tab-contacts":
            return ContactsPane(
                ZsTable(id="contact-table", cursor_type="row", zebra_stripes=True),
                Horizontal(
                    Button(t("contact.add") + " (n)", id="btn-contact-add", compact=True),
                    classes="tab-buttons",
                ),
            )
        # a screenful or two of the newest entries; the next ones load as the list is scrolled
        first, self._timeline_first = self._timeline_first, None  # read ahead with the project: used once
        return Timeline(
            project_id=self.project_id,
            id="detail-timeline",
            page_size=TIMELINE_PAGE,
            first_page=first,
            tz=self.officer_tz,
        )

    async def _build_tab(self, tab_id: str) -> None:
        """Mount a tab's widgets the first time it is shown, and fill them from the detail already read."""
        if tab_id in self._built_tabs or tab_id in self._building_tabs:
            return
        if tab_id not in _TAB_COLUMNS and tab_id != "tab-timeline":
            return
        self._building_tabs.add(tab_id)
        pane = self.query_one(f"#{tab_id}", TabPane)
        await pane.mount(self._tab_content(tab_id))
        if not self.is_attached or self._closing or not pane.is_attached:
            return  # the screen closed while the tab was being built
        columns = _TAB_COLUMNS.get(tab_id)
        if columns is not None:
            table = self.query_one(columns[0], DataTable)
            for key in columns[1]:
                table.add_column(t(key), key=key)
        self._building_tabs.discard(tab_id)
        self._built_tabs.add(tab_id)  # only now: filled (and queried) once its widgets exist
        if self.detail is not None:
            self._fill_tables()

    async def _build_rest(self) -> None:
        """Once the project is on screen, the other tabs (so switching to one shows it at once)."""
        for tab_id, _label in _LAZY_TABS:
            if self.is_attached and not self._closing:
                await self._build_tab(tab_id)

    def on_resize(self) -> None:
        self.set_class(self.size.width < 100, "-narrow")

    # --- data -----------------------------------------------------------------------------------------------

    def reload(self) -> None:
        if self._preloaded is not None:  # read before the screen was built (app.open_project): shown at once
            read, self._preloaded = self._preloaded, None
            self._apply(read.detail, read.options)
            return
        self._load(self._options is None)

    @work(thread=True, exclusive=True, group="project-detail")
    def _load(self, with_options: bool) -> None:
        read = read_project(self.zs.wait_store(), self.project_id, with_options=with_options)
        self.app.call_from_thread(self._apply, read.detail, read.options)

    @while_shown  # closed before its data came
    def _apply(self, detail: Any, opts: dict[str, list[tuple[str, Any]]] | None) -> None:
        if opts is not None:
            self._options = opts
        if detail is None:
            self.query_one("#detail-title", Static).update(t("detail.not_found"))
            return
        first = self.detail is None
        self.detail = detail
        p = detail.project
        self._show_header()
        tz = self.officer_tz
        self.query_one(StageStepper).data = StepperData(
            stage=Stage(p["stage"]),
            entered=detail.entered(),
            since=p["stage_since"],
            now=self.zs.clock.now(),
            tz=tz,
        )
        self._show_missing()
        self._fill_tables()
        for stage in self._mounted_panes():
            self._refresh_pane_values(stage)
        if first:
            # the other tabs a moment after the project is on screen: building them at once would hold the
            # screen's messages (and a key pressed meanwhile) for tens of ms right after the first frame
            self.set_timer(REST_AFTER, self._build_rest)
        if first or self.pane_stage is None:
            self.show_pane(Stage(p["stage"]))
        else:
            self._pane_extras(self.pane_stage)
        if self._focus_after_load:
            target, self._focus_after_load = self._focus_after_load, None
            self._focus_field(target)

    def _show_header(self) -> None:
        from zsfield.domain.money import Band

        d = self.detail
        p = d.project
        status = ProjectStatus(p["status"])
        title = Text()
        title.append(p["name"], "bold")
        if d.company:
            title.append("  " + d.company)
        style = (
            "bold green"
            if status == ProjectStatus.ACTIVE
            else ("bold red" if status.needs_reason else "bold yellow")
        )
        title.append(f"  [{status.label()}]", style)
        if p.get("band"):
            title.append(f"  [{Band(p['band']).label()}]", "bold cyan")
        if p.get("total_investment_cny") is not None:
            title.append("  " + amount_cny(p["total_investment_cny"]), "cyan")
        self.query_one("#detail-title", Static).update(title)
        people = t(
            "detail.people",
            team=d.team or "—",
            leader=d.leader or "—",
            officer=d.service_officer or "—",
            office=d.office or "—",
        )
        if status != ProjectStatus.ACTIVE and p.get("status_reason"):
            people += "  " + t("detail.status_reason", reason=p["status_reason"], on=day(p.get("status_on")))
        self.query_one("#detail-people", Static).update(people)

    def _flow_context(self) -> Any:
        from zsfield.domain.flow import context_from

        d = self.detail
        return context_from(d.milestones, d.service_items)

    def _show_missing(self) -> None:
        from zsfield.domain.flow import next_stage_missing

        p = self.detail.project
        nxt, missing = next_stage_missing(p, self._flow_context())
        line = self.query_one("#missing-line", Static)
        line.set_class(bool(missing), "-missing")
        if nxt is None:
            line.update(t("detail.last_stage"))
        elif missing:
            sep = "；" if current_language() == "zh" else "; "
            line.update(t("detail.missing", stage=nxt.label(), items=sep.join(m.message() for m in missing)))
        else:
            line.update(t("detail.ready", stage=nxt.label()))

    # --- stage panes --------------------------------------------------------------------------------------

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

    # --- tabs -----------------------------------------------------------------------------------------------

    def _today(self) -> date:
        return self.officer_today

    def _fill_tables(self) -> None:
        d = self.detail
        today = self._today()
        if "tab-service" in self._built_tabs:
            self._fill_service(d, today)
        if "tab-milestones" in self._built_tabs:
            self._fill_milestones(d, today)
        if "tab-capital" in self._built_tabs:
            self._fill_capital(d)
        if "tab-contacts" in self._built_tabs:
            contacts = self.query_one("#contact-table", DataTable)
            contacts.clear()
            for c in d.contacts:
                contacts.add_row(c.name, c.title, c.phone, c.email, c.wechat, key=c.id)

    def _fill_service(self, d: Any, today: date) -> None:
        svc = self.query_one("#svc-table", DataTable)
        keep = svc.cursor_row
        svc.clear()
        for item in d.service_items:
            done = item.state == ServiceState.DONE
            overdue = is_overdue(item.due_on, today, done=done, finished_on=item.done_on)
            style = "red" if overdue else ("dim" if done else "")
            due = day(item.due_on) + (
                f" · {t('fmt.overdue_days', n=days_overdue(item.due_on, today))}" if overdue else ""
            )
            svc.add_row(
                Text(item.kind.label(), style=style),
                Text(item.title, style=style),
                Text(item.responsible or "—", style=style),
                Text(due, style=style),
                Text(("☑ " if done else "☐ ") + item.state.label(), style="green" if done else style),
                key=item.id,
            )
        if svc.row_count:
            svc.move_cursor(row=min(keep or 0, svc.row_count - 1))

    def _fill_milestones(self, d: Any, today: date) -> None:
        ms = self.query_one("#ms-table", DataTable)
        keep = ms.cursor_row
        ms.clear()
        by_kind = {m.kind: m for m in d.milestones}
        for kind in MilestoneKind:
            m = by_kind.get(kind)
            promised, actual = (m.promised_on, m.actual_on) if m else (None, None)
            if actual is not None:
                late = promised is not None and actual > promised
                state = Text(
                    t("ms.late", n=(actual - promised).days) if late else t("ms.on_time"),
                    style="yellow" if late else "green",
                )  # type: ignore[operator]
            elif is_overdue(promised, today, done=False):
                state = Text(t("fmt.overdue_days", n=days_overdue(promised, today)), style="bold red")
            elif promised is not None:
                state = Text(t("ms.pending"))
            else:
                state = Text(t("ms.not_promised"), style="dim")
            red = "red" if is_overdue(promised, today, done=actual is not None, finished_on=actual) else ""
            ms.add_row(
                Text(kind.label(), style=red),
                Text(day(promised), style=red),
                day(actual),
                state,
                key=kind.value,
            )
        ms.move_cursor(row=min(keep or 0, ms.row_count - 1))

    def _fill_capital(self, d: Any) -> None:
        p = d.project
        contracted = p.get("foreign_capital_contracted")
        cur = p.get("foreign_capital_currency") or "USD"
        rate = p.get("foreign_capital_rate_usd")
        contracted_usd = None
        if contracted is not None:
            contracted_usd = contracted if cur == "USD" else (contracted * rate if rate else None)
        pct = ""
        if contracted_usd:
            pct = f" ({(d.received_usd * 100 / contracted_usd).quantize(Decimal(1))}%)"
        self.query_one("#cap-summary", Static).update(
            t(
                "cap.summary",
                contracted=amount(contracted, cur) if contracted is not None else "—",
                contracted_usd=amount_usd(contracted_usd),
                received=amount_usd(d.received_usd),
                pct=pct,
            )
        )
        cap = self.query_one("#cap-table", DataTable)
        cap.clear()
        for r in d.receipts:
            cap.add_row(
                day(r.received_on),
                f"{r.currency} {r.amount:,}",
                _plain(r.rate_to_usd),
                amount_usd(r.amount_usd),
                key=r.id,
            )

    # --- values and saving --------------------------------------------------------------------------------

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

    def action_pane(self, step: int) -> None:
        if self.pane_stage is None:
            return
        i = STAGES.index(self.pane_stage) + step
        if 0 <= i < len(STAGES):
            self.query_one(TabbedContent).active = "tab-stage"
            self.show_pane(STAGES[i])

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_back(self) -> None:
        if not self.has_unsaved_changes():
            self.app.pop_screen()
            return
        from zsfield.screens.confirm import ConfirmModal

        def answered(leave: bool | None) -> None:
            if leave:
                self.app.pop_screen()

        self.app.push_screen(
            ConfirmModal("form.unsaved_title", "form.unsaved_body", "form.leave", "form.stay"), answered
        )

    # --- service plan, permits, milestones, capital, contacts -------------------------------------------

    def _service_item(self, table_id: str = "#svc-table") -> Any:
        if not self.query(table_id):
            return None
        table = self.query_one(table_id, DataTable)
        if not table.row_count or self.detail is None:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((i for i in self.detail.service_items if i.id == key), None)

    def action_add_service_item(self) -> None:
        self.app.push_screen(ServiceItemModal(self.project_id), on_written(self.zs.data_changed))

    def action_assign_service_item(self) -> None:
        item = self._service_item()
        if item is not None:
            self.app.push_screen(
                AssignModal(item.id, item.title, item.responsible, item.due_on),
                on_written(self.zs.data_changed),
            )

    def action_toggle_service_item(self, table_id: str = "#svc-table") -> None:
        item = self._service_item(table_id)
        if item is not None:
            self._set_item_state(
                item.id, ServiceState.OPEN if item.state == ServiceState.DONE else ServiceState.DONE
            )

    def action_service_state(self, state: str) -> None:
        item = self._service_item()
        if item is not None:
            self._set_item_state(item.id, ServiceState(state))

    @work(thread=True, group="project-write")
    def _set_item_state(self, item_id: str, state: ServiceState) -> None:
        from zsfield.store.actions.service import set_service_item_state

        store = self.zs.wait_store()
        me = self.zs.me
        with store.write(me.id if me else None) as w:
            set_service_item_state(w, item_id, state)
        self.app.call_from_thread(self.zs.data_changed)

    @on(DataTable.RowSelected, "#svc-table")
    def _svc_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_toggle_service_item()

    @on(DataTable.RowSelected, "#permit-table")
    def _permit_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_toggle_service_item("#permit-table")

    def action_toggle_permit(self) -> None:
        self.action_toggle_service_item("#permit-table")

    @on(Button.Pressed, "#btn-permit-add")
    def _add_permit(self) -> None:
        select = self.query_one("#f-permits", Select)
        if select.value == Select.NULL:
            select.focus()
            self.notify(t("svc.permit_choose"), severity="warning")
            return
        self._add_permit_item(PermitType(str(select.value)))
        with self.prevent(Select.Changed):
            select.value = Select.NULL

    @on(Select.Changed, "#f-permits")
    def _permit_chosen(self, event: Select.Changed) -> None:
        if event.value != Select.NULL:
            self.query_one("#btn-permit-add", Button).focus()

    @work(thread=True, group="project-write")
    def _add_permit_item(self, permit: PermitType) -> None:
        from zsfield.store.actions.service import add_service_item

        store = self.zs.wait_store()
        me = self.zs.me
        with store.write(me.id if me else None) as w:
            add_service_item(w, self.project_id, title="", permit_type=permit)
        self.app.call_from_thread(self.zs.data_changed)

    def action_edit_milestone(self) -> None:
        if not self.query("#ms-table"):
            return
        table = self.query_one("#ms-table", DataTable)
        if not table.row_count or self.detail is None:
            return
        kind = MilestoneKind(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        m = next((m for m in self.detail.milestones if m.kind == kind), None)
        self.app.push_screen(
            MilestoneModal(self.project_id, kind, m.promised_on if m else None, m.actual_on if m else None),
            on_written(self.zs.data_changed),
        )

    @on(DataTable.RowSelected, "#ms-table")
    def _ms_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit_milestone()

    def action_add_receipt(self) -> None:
        cur = (self.detail.project.get("foreign_capital_currency") if self.detail else None) or "USD"
        self.app.push_screen(
            ReceiptModal(self.project_id, self._today(), cur), on_written(self.zs.data_changed)
        )

    def action_add_contact(self) -> None:
        if self.detail is None:
            return
        p = self.detail.project
        self.app.push_screen(
            ContactModal(self.project_id, p.get("company_id"), p.get("owner_team_id")),
            on_written(self.zs.data_changed),
        )

    # --- events -----------------------------------------------------------------------------------------------

    @on(Button.Pressed, "#btn-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#btn-advance")
    def _advance_pressed(self) -> None:
        self.action_advance()

    @on(Button.Pressed, "#btn-back")
    def _back_pressed(self) -> None:
        self.action_move_back()

    @on(Button.Pressed, "#btn-status")
    def _status_pressed(self) -> None:
        self.action_status()

    @on(Button.Pressed, "#btn-svc-add")
    def _svc_add_pressed(self) -> None:
        self.action_add_service_item()

    @on(Button.Pressed, "#btn-cap-add")
    def _cap_add_pressed(self) -> None:
        self.action_add_receipt()

    @on(Button.Pressed, "#btn-contact-add")
    def _contact_add_pressed(self) -> None:
        self.action_add_contact()

    @on(Select.Changed, "#pane-select")
    def _pane_chosen(self, event: Select.Changed) -> None:
        if event.value != Select.NULL:
            self.show_pane(Stage(str(event.value)))

    @on(StageStepper.StageClicked)
    def _stage_clicked(self, event: StageStepper.StageClicked) -> None:
        self.query_one(TabbedContent).active = "tab-stage"
        self.show_pane(event.stage)

    @on(FormField.Changed)
    def _field_changed(self, event: FormField.Changed) -> None:
        if self.pane_stage == Stage.CONTRACT_SIGNED and self.query("#per-mu"):
            self._update_per_mu()

    @on(TabbedContent.TabActivated)
    async def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane_id = event.pane.id
        if pane_id and pane_id != "tab-stage":
            await self._build_tab(pane_id)
            if pane_id not in self._built_tabs:  # being built by _build_rest: focus it once it is there
                self.call_after_refresh(self._focus_tab, pane_id)
                return
        self._focus_tab(pane_id)

    def _focus_tab(self, pane_id: str | None) -> None:
        if not self.is_attached:
            return
        if pane_id and pane_id != "tab-stage" and pane_id not in self._built_tabs:
            self.call_after_refresh(self._focus_tab, pane_id)
            return
        target = {
            "tab-service": "#svc-table",
            "tab-milestones": "#ms-table",
            "tab-capital": "#cap-table",
            "tab-contacts": "#contact-table",
        }.get(pane_id or "")
        if target:
            self.query_one(target).focus()
        elif pane_id == "tab-timeline":
            self.query_one(Timeline).option_list.focus()

    @on(Timeline.Chosen)
    def _timeline_chosen(self, event: Timeline.Chosen) -> None:
        entry = event.entry
        if entry.kind == "service_item":
            self.action_tab("tab-service")

    def on_zs_field_app_data_changed(self) -> None:
        # ZsScreen's handler reloads the detail; the timeline (once shown) reads its own pages.
        if "tab-timeline" in self._built_tabs:
            self.query_one(Timeline).reload()

    def record_context(self) -> tuple[str | None, str | None]:
        return (self.project_id, None)


class _Lbl:
    """A catalog reference as a Problem parameter (translated with the message)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def label(self, lang: str | None = None) -> str:
        return t(self.key, lang)


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


def _ready(w: Widget) -> bool:
    """A field that is mounted with its children (its input exists)."""
    return w.is_mounted and bool(w.children)


def _currencies() -> tuple[str, ...]:
    from zsfield.domain.money import CURRENCIES

    return CURRENCIES
