"""今日 — the officer's day at a glance: follow-ups due and overdue, overdue contract milestones (履约) and
service items, stale projects (久未跟进), leads waiting for screening (待研判), the pipeline by stage and the
outbox. Every row opens its record with enter.

Layout: one tab per list, the count in each tab's title (keys 1–6 jump to a tab). On a wide terminal the
pipeline sits beside the tabs; on a narrow one (80 columns) it is the last tab.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from zsfield.bindings import binding
from zsfield.domain.enums import STAGES
from zsfield.format import amount_cny, day, days_ago, overdue_days
from zsfield.i18n import t
from zsfield.screens.base import ZsScreen
from zsfield.screens.lead_cells import channel_label, clip, estimate
from zsfield.widgets.table import ZsTable
from zsfield.widgets.worker_results import while_shown

WIDE = 110
"""From this many columns on, the pipeline is shown beside the tabs instead of in its own tab."""
SIDE_WIDTH = 44
"""Columns of the pipeline beside the tabs (as in dashboard.tcss)."""

LIMIT = 50
"""Rows per list (the full count is in the tab title; the projects screen has the rest)."""

SECTIONS: tuple[str, ...] = ("follow_ups", "milestones", "service_items", "stale", "leads", "pipeline")

_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "follow_ups": (
        ("due", "dash.col_due"),
        ("when", "dash.col_when"),
        ("subject", "dash.col_subject"),
        ("title", "dash.col_follow_up"),
    ),
    "milestones": (
        ("due", "dash.col_promised"),
        ("when", "dash.col_when"),
        ("subject", "dash.col_project"),
        ("title", "dash.col_milestone"),
        ("owner", "dash.col_service_officer"),
    ),
    "service_items": (
        ("due", "dash.col_due"),
        ("when", "dash.col_when"),
        ("subject", "dash.col_project"),
        ("title", "dash.col_service_item"),
        ("owner", "dash.col_responsible"),
    ),
    "stale": (
        ("last", "dash.col_last_entry"),
        ("subject", "dash.col_project"),
        ("stage", "dash.col_stage"),
        ("team", "dash.col_team"),
        ("amount", "dash.col_investment"),
    ),
    "leads": (
        ("received", "dash.col_received"),
        ("subject", "dash.col_lead"),
        ("channel", "dash.col_channel"),
        ("who", "dash.col_received_by"),
        ("amount", "dash.col_estimate"),
    ),
    "pipeline": (
        ("stage", "dash.col_stage"),
        ("count", "dash.col_count"),
        ("amount", "dash.col_total"),
    ),
}


def _right(text: str, style: str = "") -> Text:
    return Text(text, style=style, justify="right")


@dataclass(frozen=True)
class RowTarget:
    """What enter on a dashboard row opens."""

    kind: str  # project / lead / follow_up / milestone / service_item / stage
    id: str
    project_id: str | None = None
    lead_id: str | None = None


class DashboardScreen(ZsScreen):
    """今日 / Today."""

    CSS_PATH = "dashboard.tcss"

    BINDINGS = [
        binding("dash_follow_ups", "1", "show('follow_ups')", "dash.key_follow_ups", show=False),
        binding("dash_milestones", "2", "show('milestones')", "dash.key_milestones", show=False),
        binding("dash_service_items", "3", "show('service_items')", "dash.key_service_items", show=False),
        binding("dash_stale", "4", "show('stale')", "dash.key_stale", show=False),
        binding("dash_leads", "5", "show('leads')", "dash.key_leads", show=False),
        binding("dash_pipeline", "6", "show('pipeline')", "dash.key_pipeline", show=False),
        binding("dash_new_lead", "n", "new_lead", "dash.key_new_lead"),
        binding("dash_reload", "r", "reload", "dash.key_reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._targets: dict[str, dict[str, RowTarget]] = {s: {} for s in SECTIONS}
        self._targets["pipeline_side"] = {}
        self._loaded = False
        self._wide: bool | None = None
        self._data: Any = None
        self._now: datetime | None = None
        self._totals: tuple[Any, int] | None = None
        self._rendered_width = 0
        self._load_started = False
        self._built: set[str] = set()  # the sections whose list is mounted (tabs are built when shown)
        self._building: set[str] = set()
        self._shown: dict[str, int] = {}  # rows in each section's list (built or not)
        self.realign_pending = False
        """A tab was relabelled and its underline is yet to be placed again (tests wait for it)."""
        self._realign_timer: Any = None

    # --- layout ------------------------------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="dash-top"):
            yield Static(t("dash.heading"), classes="screen-title", id="dash-heading")
            yield Static(t("fmt.loading"), id="dash-summary")
        with Horizontal(id="dash-body"):
            with TabbedContent(id="dash-tabs"):
                # only the first tab's list is built with the screen; the others when first shown
                for section in SECTIONS:
                    if section == SECTIONS[0]:
                        self._built.add(section)
                        yield TabPane(
                            self._tab_title(section, None),
                            *self._section_widgets(section),
                            id=f"tab-{section}",
                        )
                    else:
                        yield TabPane(self._tab_title(section, None), id=f"tab-{section}")
            with Vertical(id="dash-side"):
                yield Static(t("dash.section_pipeline"), classes="section-title", id="dash-side-title")
                yield self._table("pipeline", "dash-pipeline-side")
                yield Static("", id="dash-outbox")
        yield Static(t("dash.hint"), classes="status-line", id="dash-hint")

    def _section_widgets(self, section: str) -> list[Any]:
        empty = Static(t(f"dash.empty_{section}"), classes="empty dash-empty", id=f"empty-{section}")
        more = Static("", classes="status-line dash-more", id=f"more-{section}")
        empty.display = False
        more.display = False
        return [self._table(section, f"dash-{section}"), empty, more]

    async def _build_section(self, section: str, *, render: bool = True) -> None:
        """Mount a tab's list the first time the tab is shown, filled from the data already read."""
        if section in self._built or section in self._building:
            return
        self._building.add(section)
        await self.query_one(f"#tab-{section}", TabPane).mount_all(self._section_widgets(section))
        self._building.discard(section)
        self._built.add(section)  # only now: the lists are filled (and queried) once their widgets exist
        if render:
            self._render_lists()

    async def _build_rest(self) -> None:
        """After the first data is on screen, the other tabs' lists (so switching tabs is instant)."""
        fresh = [section for section in SECTIONS if section not in self._built]
        if not fresh or not self.is_attached:
            return
        for section in fresh:
            await self._build_section(section, render=False)
        self._render_lists()

    @on(TabbedContent.TabActivated, "#dash-tabs")
    async def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        section = (event.pane.id or "").removeprefix("tab-")
        if section in SECTIONS:
            await self._build_section(section)

    def _table(self, section: str, table_id: str) -> ZsTable:
        table = ZsTable(id=table_id, cursor_type="row", zebra_stripes=True)
        for key, label in _COLUMNS[section]:
            table.add_column(t(label), key=key)
        return table

    def _tab_title(self, section: str, count: int | None, capped: bool = False) -> str:
        name = t(f"dash.tab_{section}")
        if count is None or section == "pipeline":
            return name
        return f"{name} {count}{'+' if capped else ''}"

    def on_mount(self) -> None:
        self._layout_for_width()
        self.query_one("#dash-follow_ups", DataTable).focus()
        # ZsScreen.on_mount (Textual calls it after this one) starts the first load

    def on_resize(self) -> None:
        self._layout_for_width()
        if self._data is not None and self.size.width != self._rendered_width:
            self._render_lists()

    def _layout_for_width(self) -> None:
        wide = self.size.width >= WIDE
        if wide == self._wide:
            return
        self._wide = wide
        tabs = self.query_one("#dash-tabs", TabbedContent)
        self.query_one("#dash-side").display = wide
        if wide:
            if tabs.active == "tab-pipeline":
                tabs.active = "tab-follow_ups"
            tabs.hide_tab("tab-pipeline")
        else:
            tabs.show_tab("tab-pipeline")

    # --- data ---------------------------------------------------------------------------------------------------

    def _set_tab_title(self, section: str, title: str) -> None:
        tab = self.query_one("#dash-tabs", TabbedContent).get_tab(f"tab-{section}")
        if str(tab.label) != title:  # a new label moves the underline: only when it really changes
            tab.label = title  # type: ignore[assignment]
            self._realign_soon()

    def _realign_soon(self) -> None:
        """Place the tabs' underline again once the new labels are laid out: Textual moves it on a relabel,
        but on a busy machine it can measure the tab before the new label's layout and stay short."""
        self.realign_pending = True
        if self._realign_timer is not None:
            self._realign_timer.stop()
        self._realign_timer = self.set_timer(0.15, self._realign_tabs)

    def _realign_tabs(self) -> None:
        from textual.widgets import Tabs

        for tabs in self.query(Tabs):
            tabs._highlight_active(animate=False)  # the one way Textual 8 offers to re-place the underline

        def done() -> None:
            self.realign_pending = False

        self.call_after_refresh(done)

    def reload(self) -> None:
        self._load_started = True
        self._load()

    def on_zs_field_app_store_opened(self) -> None:
        """The first load already waits for the store: a second one would only repeat it."""
        if not self._load_started:
            self.reload()

    @work(thread=True, exclusive=True, group="dashboard")
    def _load(self) -> None:
        app = self.zs
        store = app.wait_store()  # first: the queries' imports wait until the first paint is done too
        from zsfield.store.read.today import dashboard, dashboard_totals, whoami

        me = app.me or whoami(store)
        now = app.clock.now()
        today = app.clock.today(me.tz)
        stale_days = app.settings.stale_days
        data = dashboard(store, me=me, today=today, now=now, stale_days=stale_days, limit=LIMIT)
        app.call_from_thread(self._show, data, today, now)
        # the lists are capped: their full counts follow (a second, cheaper step, so the rows come first)
        totals = dashboard_totals(store, me=me, today=today, now=now, stale_days=stale_days)
        app.call_from_thread(self._show_totals, totals, data.outbox)

    @while_shown
    def _show(self, data: Any, today: date, now: datetime) -> None:
        self._loaded = True
        self._data, self._now, self._totals = data, now, None
        weekday = t("dash.weekdays").split()[today.weekday()]
        self.query_one("#dash-heading", Static).update(
            t("dash.heading_date", date=day(today), weekday=weekday)
        )
        due_today = sum(1 for f in data.follow_ups if f.days_overdue <= 0)
        overdue = len(data.follow_ups) - due_today + len(data.milestones) + len(data.service_items)
        self._summary(due_today, overdue, len(data.leads_waiting), data.outbox)
        self._render_lists()
        self.call_after_refresh(self._build_rest)

    def _widths(self, fixed: int, shares: tuple[int, ...]) -> list[int]:
        """Cell widths for a list's text columns: what the terminal leaves beside ``fixed`` cells, shared out."""
        beside = SIDE_WIDTH if self._wide else 0
        room = max(self.size.width - beside - 3 - fixed, 8 * len(shares))
        return [max(6, room * share // sum(shares)) for share in shares]

    def _render_lists(self) -> None:
        """Fill every list from the last data, its text clipped to the width the terminal has now."""
        data, now, limit = self._data, self._now, LIMIT
        if data is None or now is None:
            return
        self._rendered_width = self.size.width
        subject, title = self._widths(10 + 13 + 8, (1, 1))
        self._fill("follow_ups", [self._due_row(i, subject, title) for i in data.follow_ups], limit)
        subject, title, owner = self._widths(10 + 13 + 10, (3, 2, 2))
        self._fill("milestones", [self._due_row(i, subject, title, owner) for i in data.milestones], limit)
        self._fill(
            "service_items", [self._due_row(i, subject, title, owner) for i in data.service_items], limit
        )
        stage_width = max(cell_len(stage.label()) for stage in STAGES)
        name, team = self._widths(8 + stage_width + 10 + 10, (3, 2))
        self._fill(
            "stale",
            [
                (
                    RowTarget("project", p.id),
                    [
                        _right(days_ago(p.last_entry_at, now), "red"),
                        clip(p.name, name),
                        p.stage.label(),
                        clip(p.team, team),
                        _right(amount_cny(p.total_investment_cny)),
                    ],
                )
                for p in data.stale
            ],
            limit,
        )
        title, who = self._widths(10 + 12 + 12 + 10, (3, 1))
        self._fill(
            "leads",
            [
                (
                    RowTarget("lead", lead.id),
                    [
                        day(lead.received_on),
                        clip(lead.title, title),
                        clip(channel_label(lead.source_channel), 12),
                        clip(lead.received_by, who),
                        estimate(lead.estimated_investment, lead.estimated_currency),
                    ],
                )
                for lead in data.leads_waiting
            ],
            limit,
        )
        pipeline_rows = [
            (
                RowTarget("stage", s.stage.value),
                [
                    f"{s.stage.index:>2} {s.stage.label()}",
                    _right(str(s.count)),
                    _right(amount_cny(s.total_investment_cny) if s.count else "—"),
                ],
            )
            for s in data.pipeline
        ]
        self._fill("pipeline", pipeline_rows, limit)
        self._fill("pipeline", pipeline_rows, limit, table_id="dash-pipeline-side", targets="pipeline_side")
        if self._totals is not None:
            self._show_totals(*self._totals)

    def _summary(self, due: int, overdue: int, leads: int, outbox: int) -> None:
        self.query_one("#dash-summary", Static).update(
            t("dash.summary", due=due, overdue=overdue, leads=leads, outbox=outbox)
        )
        self.query_one("#dash-outbox", Static).update(t("dash.outbox", n=outbox))

    @while_shown
    def _show_totals(self, totals: Any, outbox: int) -> None:
        """The full counts: in the tab titles and the summary, and under a list that shows only part."""
        self._totals = (totals, outbox)
        overdue = totals.follow_ups - totals.due_today + totals.milestones + totals.service_items
        self._summary(totals.due_today, overdue, totals.leads_waiting, outbox)
        for section, total in (
            ("follow_ups", totals.follow_ups),
            ("milestones", totals.milestones),
            ("service_items", totals.service_items),
            ("stale", totals.stale),
            ("leads", totals.leads_waiting),
        ):
            shown = self._shown.get(section, 0)
            self._set_tab_title(section, self._tab_title(section, max(total, shown)))
            if section in self._built:
                more = self.query_one(f"#more-{section}", Static)
                more.display = total > shown
                more.update(t("dash.more", shown=shown, total=total))

    def _due_row(
        self, item: Any, subject: int, title: int, owner: int | None = None
    ) -> tuple[RowTarget, list[Any]]:
        style = "bold red" if item.days_overdue > 0 else "bold"
        cells: list[Any] = [
            day(item.due_on),
            Text(overdue_days(item.days_overdue), style=style),
            clip(item.subject, subject),
            clip(item.title, title),
        ]
        if owner is not None:
            cells.append(clip(item.owner, owner))
        return RowTarget(item.kind, item.id, item.project_id, item.lead_id), cells

    def _fill(
        self,
        section: str,
        rows: list[tuple[RowTarget, list[Any]]],
        limit: int,
        *,
        table_id: str | None = None,
        targets: str | None = None,
    ) -> None:
        if table_id is None:
            self._shown[section] = len({f"{target.kind}:{target.id}" for target, _ in rows})
            self._set_tab_title(section, self._tab_title(section, len(rows), capped=len(rows) >= limit))
            if section not in self._built:
                mapping = {f"{target.kind}:{target.id}": target for target, _ in rows}
                self._targets[section] = mapping
                return
        table = self.query_one(f"#{table_id or f'dash-{section}'}", DataTable)
        keep = table.cursor_row
        table.clear()
        mapping: dict[str, RowTarget] = {}
        for target, cells in rows:
            key = f"{target.kind}:{target.id}"
            if key in mapping:
                continue
            mapping[key] = target
            table.add_row(*cells, key=key)
        self._targets[targets or section] = mapping
        if rows and keep:
            table.move_cursor(row=min(keep, table.row_count - 1))
        if table_id is None:
            self.query_one(f"#empty-{section}").display = not rows
            table.display = bool(rows)

    # --- opening rows -------------------------------------------------------------------------------------------

    @on(DataTable.RowSelected)
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        table_id = event.data_table.id or ""
        section = "pipeline_side" if table_id == "dash-pipeline-side" else table_id.removeprefix("dash-")
        target = self._targets.get(section, {}).get(str(event.row_key.value))
        if target is not None:
            self.open_target(target)

    def open_target(self, target: RowTarget) -> None:
        app = self.zs
        if target.kind == "stage":
            self._open_stage(target.id)
        else:
            app.open_record(target.kind, target.id, project_id=target.project_id, lead_id=target.lead_id)

    def _open_stage(self, stage: str) -> None:
        """The projects screen, narrowed to one stage (its ``show_stage``, else its stage filter)."""
        app = self.zs
        if "projects" not in app.MODES:
            app.action_go("projects")
            return

        def narrow() -> None:
            screen = app.screen
            show_stage = getattr(screen, "show_stage", None)
            if callable(show_stage):
                show_stage(stage)
                return
            from textual.css.query import NoMatches
            from textual.widgets import Select

            with contextlib.suppress(NoMatches, ValueError):  # the projects screen's stage filter
                screen.query_one("#proj-stage", Select).value = stage

        app.switch_mode("projects")
        app.call_after_refresh(narrow)

    def current_target(self) -> RowTarget | None:
        focused = self.focused
        if not isinstance(focused, DataTable) or not focused.row_count:
            return None
        table_id = focused.id or ""
        section = "pipeline_side" if table_id == "dash-pipeline-side" else table_id.removeprefix("dash-")
        key = focused.coordinate_to_cell_key(focused.cursor_coordinate).row_key.value
        return self._targets.get(section, {}).get(str(key))

    def record_context(self) -> tuple[str | None, str | None]:
        target = self.current_target()
        if target is None:
            return (None, None)
        if target.kind == "project":
            return (target.id, None)
        if target.kind == "lead":
            return (None, target.id)
        return (target.project_id, target.lead_id)

    # --- keys ---------------------------------------------------------------------------------------------------

    def action_show(self, section: str) -> None:
        if section == "pipeline" and self._wide:
            self.query_one("#dash-pipeline-side", DataTable).focus()
            return
        tabs = self.query_one("#dash-tabs", TabbedContent)
        tabs.active = f"tab-{section}"
        self.call_after_refresh(self._focus_section, section)

    async def _focus_section(self, section: str) -> None:
        await self._build_section(section)
        if section not in self._built:  # being built by the other path: once it is there
            self.call_after_refresh(self._focus_section, section)
            return
        table = self.query_one(f"#dash-{section}", DataTable)
        if table.display:
            table.focus()

    def action_new_lead(self) -> None:
        from zsfield.screens.lead_capture import LeadCaptureModal

        def done(lead_id: str | None) -> None:
            if lead_id:
                self.zs.data_changed()

        self.app.push_screen(LeadCaptureModal(), done)

    def action_reload(self) -> None:
        self.reload()
