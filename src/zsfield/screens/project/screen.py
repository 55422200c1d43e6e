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

from datetime import date
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, DataTable, Select, Static, TabbedContent, TabPane

from zsfield.bindings import binding
from zsfield.domain.enums import (
    STAGES,
    PermitType,
    ProjectStatus,
    Stage,
)
from zsfield.format import amount_cny, day
from zsfield.i18n import current_language, t
from zsfield.screens.base import ZsScreen
from zsfield.screens.project.fields import (
    _LAZY_TABS,
    _TAB_COLUMNS,
    REST_AFTER,
    TIMELINE_PAGE,
    CapitalPane,
    ContactsPane,
    MilestonesPane,
    ServicePlanPane,
    StagePane,
)
from zsfield.screens.project.read import ProjectRead, read_project
from zsfield.screens.project.saving import Saving
from zsfield.screens.project.stage_pane import StagePanes
from zsfield.screens.project.tab_capital import CapitalTab
from zsfield.screens.project.tab_contacts import ContactsTab
from zsfield.screens.project.tab_milestones import MilestonesTab
from zsfield.screens.project.tab_service import ServiceTab
from zsfield.widgets.fields import FormField
from zsfield.widgets.stage_stepper import StageStepper, StepperData
from zsfield.widgets.table import ZsTable
from zsfield.widgets.timeline import Timeline
from zsfield.widgets.worker_results import while_shown


class ProjectDetailScreen(StagePanes, Saving, ServiceTab, MilestonesTab, CapitalTab, ContactsTab, ZsScreen):
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

    # --- tabs ------------------------------------------------------------------------------------------------

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

    # --- navigation ----------------------------------------------------------------------------------------

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
        from zsfield.screens.confirm import confirm_leave

        confirm_leave(self.app, self.has_unsaved_changes(), lambda: self.app.pop_screen())

    # --- table and button events of the tabs ------------------------------------------------------------

    @on(DataTable.RowSelected, "#svc-table")
    def _svc_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_toggle_service_item()

    @on(DataTable.RowSelected, "#permit-table")
    def _permit_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
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

    @on(DataTable.RowSelected, "#ms-table")
    def _ms_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit_milestone()

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
