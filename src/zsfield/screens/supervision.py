"""督查 (F6) — the supervisor's and leader's screen.

Five tabs (keys 1-5):

1. **跟进检视** timeline review: projects filtered by team, leader, office, stage, status, band, industry and
   period (last touched within it), least recently touched first, each with its last entry, next due
   follow-up and days since its team last touched it.
2. **久未跟进** stale projects with the owner's stated reason or "no reason given"; ``r`` asks the owner for a
   reason (请说明原因), ``n`` leaves a 督办意见 — both are notes that sync to the owner.
3. **督办** overdue milestones and service items, and the 两未 / 三未 lists (pick one with the select).
4. **任务进度** 任务分解表 progress per owner and band, 序时进度 and the gap in percentage points, and a chart
   of cumulative signed projects against the pro-rata line (for the zone, or the owner under the cursor);
   ``[`` / ``]`` change the year.
5. **赛马** the teams ranked by the scoring rules, with 卓越 and 蜗牛; ``p`` switches year-to-date / this month.

Everywhere: ``t`` shows the project's full timeline in place (beside the lists), ``o`` opens the project,
``m`` / ``w`` produce the monthly report / the weekly collection table (a dialog asks for the period and
the file; the export runs in a worker). Every figure comes from :mod:`zsfield.reports`.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import DataTable, Input, Select, Static, TabbedContent, TabPane

from zsfield.bindings import binding
from zsfield.domain.enums import INDUSTRIES, STAGES, MilestoneKind, ProjectStatus
from zsfield.format import amount_usd
from zsfield.i18n import CATALOG, t
from zsfield.reports import ZONE_TZ
from zsfield.screens.base import ZsScreen
from zsfield.widgets.paged_table import PagedTable
from zsfield.widgets.table import ZsTable

TABS: tuple[str, ...] = ("review", "stale", "overdue", "targets", "ranking")

REVIEW_COLUMNS = (
    ("name", "sup.col_project"),
    ("team", "sup.col_team"),
    ("leader", "sup.col_leader"),
    ("stage", "sup.col_stage"),
    ("status", "sup.col_status"),
    ("last", "sup.col_last_entry"),
    ("days", "sup.col_days"),
    ("next", "sup.col_next_due"),
)
STALE_COLUMNS = (
    ("name", "sup.col_project"),
    ("team", "sup.col_team"),
    ("leader", "sup.col_leader"),
    ("officer", "sup.col_officer"),
    ("stage", "sup.col_stage"),
    ("last", "sup.col_last_touch"),
    ("days", "sup.col_days"),
    ("reason", "sup.col_reason"),
    ("asked", "sup.col_asked"),
)
OVERDUE_COLUMNS = (
    ("kind", "sup.col_kind"),
    ("name", "sup.col_project"),
    ("team", "sup.col_team"),
    ("leader", "sup.col_leader"),
    ("item", "sup.col_item"),
    ("due", "sup.col_due"),
    ("days", "sup.col_overdue"),
    ("owner", "sup.col_owner"),
)
GAP_COLUMNS = (
    ("name", "sup.col_project"),
    ("team", "sup.col_team"),
    ("leader", "sup.col_leader"),
    ("stage", "sup.col_stage"),
    ("since", "sup.col_since"),
    ("days_in", "sup.col_days_in"),
    ("promised", "sup.col_promised"),
    ("days", "sup.col_overdue"),
)
LISTS: tuple[str, ...] = (
    "overdue",
    "negotiating_unsigned",
    "signed_not_started",
    "started_not_completed",
    "completed_not_producing",
)
PERIODS: tuple[str, ...] = ("week", "month", "last30", "prev_month")
_SELECTS: tuple[tuple[str, str], ...] = (
    ("team", "sup.f_team"),
    ("leader", "sup.f_leader"),
    ("office", "sup.f_office"),
    ("stage", "sup.f_stage"),
    ("status", "sup.f_status"),
    ("band", "sup.f_band"),
    ("industry", "sup.f_industry"),
    ("period", "sup.f_period"),
)


def _short(text: str, n: int) -> str:
    text = " ".join(text.split())
    width = 0
    for i, ch in enumerate(text):
        width += 2 if ord(ch) > 0x2E7F else 1
        if width > n:
            return text[:i] + "…"
    return text


def entry_label(kind: str, sub: str, title: str) -> str:
    """A short label of a timeline entry: its kind (in the current language) and what it says."""

    def enum(name: str, value: str) -> str:
        key = f"enum.{name}.{value}"
        return t(key) if key in CATALOG else value

    if kind == "visit":
        return f"{enum('VisitKind', sub)} {title}"
    if kind == "note":
        return f"{enum('NoteKind', sub)} {title}"
    if kind == "stage_event":
        target = enum("Stage" if sub == "stage" else "ProjectStatus", title)
        return f"{enum('EventKind', sub)} → {target}"
    if kind == "service_item":
        return f"{t('sup.entry_service_item')} {title}"
    if kind == "follow_up":
        return f"{t('sup.entry_follow_up')} {title}"
    return title


def _days_text(days: int | None, limit: int) -> Text:
    if days is None:
        return Text("—", justify="right")
    return Text(str(days), justify="right", style="bold red" if days > limit else "")


def _count(value: Decimal) -> str:
    """A credited count: ``2`` or ``2.5`` (half credit)."""
    return str(int(value)) if value == value.to_integral_value() else _num(value)


def _num(value: Decimal, places: int = 1) -> str:
    q = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{q:,.{places}f}"


class SupervisionScreen(ZsScreen):
    """督查 (see the module doc)."""

    CSS_PATH = "supervision.tcss"

    BINDINGS = [
        binding("sup_review", "1", "show('review')", "sup.key_review", show=False),
        binding("sup_stale", "2", "show('stale')", "sup.key_stale", show=False),
        binding("sup_overdue", "3", "show('overdue')", "sup.key_overdue", show=False),
        binding("sup_targets", "4", "show('targets')", "sup.key_targets", show=False),
        binding("sup_ranking", "5", "show('ranking')", "sup.key_ranking", show=False),
        binding("sup_timeline", "t", "toggle_timeline", "sup.key_timeline"),
        binding("sup_open", "o", "open_project", "sup.key_open"),
        binding("sup_reason", "r", "ask_reason", "sup.key_reason"),
        binding("sup_note", "n", "supervision_note", "sup.key_note"),
        binding("sup_edit_target", "e", "edit_target", "sup.key_edit_target"),
        binding("sup_add_target", "a", "add_target", "sup.key_add_target"),
        binding("sup_monthly", "m", "report('monthly')", "sup.key_monthly"),
        binding("sup_weekly", "w", "report('weekly')", "sup.key_weekly"),
        binding("sup_prev_year", "left_square_bracket", "shift_year(-1)", "sup.key_prev_year", show=False),
        binding("sup_next_year", "right_square_bracket", "shift_year(1)", "sup.key_next_year", show=False),
        binding("sup_period", "p", "toggle_period", "sup.key_period", show=False),
        binding("sup_search", "slash", "focus_search", "sup.key_search", show=False),
        binding("sup_clear", "x", "clear_filters", "sup.key_clear", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.year: int | None = None
        self.rank_period = "year"
        self._options_loaded = False
        self._debounce: Timer | None = None
        self._lists: dict[str, list[Any]] = {}
        self._timeline_project: str | None = None
        self._target_rows: list[tuple[str | None, str | None, str]] = []
        self._facts: Any = None
        self._report: Any = None
        self._owner_options: dict[str, list[tuple[str, str]]] = {}

    # --- layout ---------------------------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="title-bar", id="sup-top"):
            yield Static(t("sup.heading"), classes="screen-title", id="sup-heading")
            yield Static(t("fmt.loading"), classes="status-line", id="sup-summary")
        with Horizontal(id="sup-body"):
            with TabbedContent(id="sup-tabs", initial="tab-review"):
                with TabPane(t("sup.tab_review"), id="tab-review"):
                    with Horizontal(classes="filter-bar sup-filters", id="sup-filters-1"):
                        yield Input(placeholder=t("sup.search_placeholder"), id="sup-search", compact=True)
                        for key, label in _SELECTS[:3]:
                            yield self._filter_select(key, label)
                    with Horizontal(classes="filter-bar sup-filters", id="sup-filters-2"):
                        for key, label in _SELECTS[3:]:
                            yield self._filter_select(key, label)
                    yield PagedTable(REVIEW_COLUMNS, self._review_cells, id="sup-review")
                with TabPane(t("sup.tab_stale"), id="tab-stale"):
                    yield PagedTable(STALE_COLUMNS, self._stale_cells, id="sup-stale")
                with TabPane(t("sup.tab_overdue"), id="tab-overdue"):
                    with Horizontal(classes="filter-bar", id="sup-list-bar"):
                        yield Select(
                            [(t(f"sup.list_{k}"), k) for k in LISTS],
                            value="overdue",
                            allow_blank=False,
                            compact=True,
                            id="sup-list",
                        )
                        yield Static("", classes="status-line", id="sup-list-count")
                    yield PagedTable(OVERDUE_COLUMNS, self._overdue_cells, id="sup-overdue")
                    yield PagedTable(GAP_COLUMNS, self._gap_cells, id="sup-gaps")
                with TabPane(t("sup.tab_targets"), id="tab-targets"):
                    yield Static(t("fmt.loading"), classes="status-line", id="sup-targets-info")
                    yield ZsTable(id="sup-targets", cursor_type="row", zebra_stripes=True)
                    from zsfield.widgets.chart import ProgressChart

                    yield ProgressChart(chart_height=9, id="sup-chart")
                with TabPane(t("sup.tab_ranking"), id="tab-ranking"):
                    yield Static(t("fmt.loading"), classes="status-line", id="sup-ranking-info")
                    yield ZsTable(id="sup-ranking", cursor_type="row", zebra_stripes=True)
                    yield Static("", classes="muted", id="sup-ranking-rules")
            with Vertical(id="sup-side"):
                yield Static("", classes="pane-title", id="sup-side-title")
        yield Static(t("sup.hint"), classes="status-line", id="sup-hint")

    def _filter_select(self, key: str, label: str) -> Select[str]:
        return Select(
            self._static_options(key),
            prompt=t(label),
            allow_blank=True,
            compact=True,
            id=f"sup-{key}",
            classes="sup-filter",
        )

    @staticmethod
    def _static_options(key: str) -> list[tuple[str, str]]:
        from zsfield.domain.money import BANDS_DESC

        if key == "stage":
            return [(f"{s.index} {s.label()}", s.value) for s in STAGES]
        if key == "status":
            return [(s.label(), s.value) for s in ProjectStatus]
        if key == "industry":
            return [(i, i) for i in INDUSTRIES]
        if key == "band":
            return [(b.label(), b.value) for b in BANDS_DESC]
        if key == "period":
            return [(t(f"sup.period_{p}"), p) for p in PERIODS]
        return []

    def on_mount(self) -> None:
        self.query_one("#sup-side").display = False
        self.query_one("#sup-gaps").display = False
        targets = self.query_one("#sup-targets", DataTable)
        from zsfield.domain.money import BANDS_DESC

        targets.add_column(t("sup.col_target_owner"), key="owner")
        for band in BANDS_DESC:
            targets.add_column(t(f"sup.band_short.{band.value}"), key=band.value)
        for key in ("total", "pro_rata", "completion", "gap"):
            targets.add_column(t(f"sup.col_t_{key}"), key=key)
        ranking = self.query_one("#sup-ranking", DataTable)
        for key in ("rank", "team", "signed", "signed_points", "contracted", "received", "starts", "score",
                    "progress", "award"):  # fmt: skip
            ranking.add_column(t(f"sup.col_r_{key}"), key=key)
        self.query_one("#sup-review", PagedTable).focus()
        # ZsScreen.on_mount (called after this one) starts the first load.

    # --- helpers --------------------------------------------------------------------------------------------

    def today(self) -> date:
        return self.zs.clock.today(ZONE_TZ)

    @property
    def active_tab(self) -> str:
        return self.query_one("#sup-tabs", TabbedContent).active.removeprefix("tab-")

    def _select(self, key: str) -> str | None:
        value = self.query_one(f"#sup-{key}", Select).value
        return None if value == Select.NULL else str(value)

    def current_filter(self) -> Any:
        from zsfield.reports import periods
        from zsfield.reports.supervision import ReviewFilter

        today = self.today()
        period = None
        chosen = self._select("period")
        if chosen == "week":
            period = periods.week_of(today).clipped(today)
        elif chosen == "month":
            period = periods.month_of(today).clipped(today)
        elif chosen == "last30":
            period = periods.Period("range", today - timedelta(days=29), today)
        elif chosen == "prev_month":
            period = periods.previous_month(today)
        return ReviewFilter(
            text=self.query_one("#sup-search", Input).value,
            team_id=self._select("team"),
            leader_id=self._select("leader"),
            office_id=self._select("office"),
            stage=self._select("stage"),
            status=self._select("status"),
            band=self._select("band"),
            industry=self._select("industry"),
            period=period,
        )

    def current_row(self) -> Any:
        """The record under the cursor of the visible list (None on the targets and ranking tabs)."""
        tab = self.active_tab
        table_id = {"review": "sup-review", "stale": "sup-stale"}.get(tab)
        if tab == "overdue":
            table_id = "sup-overdue" if self._list_kind() == "overdue" else "sup-gaps"
        if table_id is None:
            return None
        return self.query_one(f"#{table_id}", PagedTable).current()

    def current_project(self) -> tuple[str | None, str]:
        row = self.current_row()
        if row is None:
            return None, ""
        project_id = getattr(row, "project_id", None) or getattr(row, "id", None)
        name = getattr(row, "project", None) or getattr(row, "name", "")
        return project_id, name

    def record_context(self) -> tuple[str | None, str | None]:
        return (self.current_project()[0], None)

    def _list_kind(self) -> str:
        return str(self.query_one("#sup-list", Select).value)

    # --- cells ----------------------------------------------------------------------------------------------

    def _review_cells(self, row: Any) -> list[Any]:
        stale_days = self.zs.settings.stale_days
        last = "—"
        if row.last_at is not None:
            from zsfield.reports.periods import local_date

            last = f"{local_date(row.last_at):%m-%d} " + entry_label(
                row.last_kind, row.last_sub, row.last_title
            )
        next_due: Any = "—"
        if row.next_due_on is not None:
            from zsfield.store.read.rules import is_overdue

            late = is_overdue(row.next_due_on, self.today(), done=False)
            next_due = Text(
                f"{row.next_due_on:%m-%d} {_short(row.next_due_title, 8)}", style="red" if late else ""
            )
        return [
            _short(row.name, 16),
            _short(row.team, 12),
            row.leader,
            f"{row.stage.index:>2} {row.stage.label()}",
            Text(row.status.label(), style="" if row.status == ProjectStatus.ACTIVE else "yellow"),
            _short(last, 22),
            _days_text(row.days_since, stale_days),
            next_due,
        ]

    def _stale_cells(self, row: Any) -> list[Any]:
        from zsfield.reports.periods import local_date

        reason = Text(_short(row.reason, 22)) if row.reason else Text(t("rep.no_reason"), style="italic red")
        asked = f"{local_date(row.requested_at):%m-%d}" if row.requested_at else ""
        return [
            _short(row.name, 18),
            _short(row.team, 12),
            row.leader,
            row.service_officer,
            row.stage.label(),
            f"{local_date(row.last_touch):%Y-%m-%d}" if row.last_touch else "—",
            _days_text(row.days_since, self.zs.settings.stale_days),
            reason,
            asked,
        ]

    def _overdue_cells(self, row: Any) -> list[Any]:
        item = MilestoneKind(row.item).label() if row.kind == "milestone" else row.item
        return [
            t(f"rep.kind.{row.kind}"),
            _short(row.project, 18),
            _short(row.team, 12),
            row.leader,
            _short(item, 16),
            row.due_on.isoformat(),
            Text(str(row.days_overdue), justify="right", style="bold red"),
            _short(row.owner, 10),
        ]

    def _gap_cells(self, row: Any) -> list[Any]:
        return [
            _short(row.project, 18),
            _short(row.team, 12),
            row.leader,
            row.stage.label(),
            row.since.isoformat() if row.since else "—",
            Text(str(row.days_in_state), justify="right"),
            row.promised_on.isoformat() if row.promised_on else "—",
            Text(str(row.days_overdue), justify="right", style="bold red" if row.days_overdue else ""),
        ]

    # --- data -----------------------------------------------------------------------------------------------

    def reload(self) -> None:
        app = self.zs
        now = app.clock.now()
        stale_days = app.settings.stale_days
        f = self.current_filter()

        def fetch_review(offset: int, limit: int) -> Any:
            from zsfield.reports.supervision import review_page

            return review_page(
                app.wait_store(), f, now=now, offset=offset, limit=limit, stale_days=stale_days
            )

        def fetch_stale(offset: int, limit: int) -> Any:
            from zsfield.reports.supervision import ReviewFilter, stale_page

            return stale_page(
                app.wait_store(), ReviewFilter(), now=now, offset=offset, limit=limit, stale_days=stale_days
            )

        for table_id, fetch in (("sup-review", fetch_review), ("sup-stale", fetch_stale)):
            table = self.query_one(f"#{table_id}", PagedTable)
            table.page_size = app.settings.page_size
            table.set_source(fetch)
        self._load_lists(with_options=not self._options_loaded)
        self._load_figures()

    @work(thread=True, exclusive=True, group="sup-lists")
    def _load_lists(self, with_options: bool) -> None:
        from zsfield.reports.facts import load_projects, load_teams
        from zsfield.reports.supervision import gap_lists, overdue_items
        from zsfield.store.read.lookups import options

        store = self.zs.wait_store()
        today = self.today()
        projects = load_projects(store)
        lists: dict[str, list[Any]] = {"overdue": overdue_items(store, as_of=today)}
        lists.update(
            gap_lists(store, projects, today=today, negotiating_days=self.zs.settings.negotiating_days)
        )
        opts = None
        if with_options:
            opts = {
                "team": [(o.name, o.id) for o in options(store, "team")],
                "leader": [(o.name, o.id) for o in options(store, "officer", role="leader")],
                "office": [(o.name, o.id) for o in options(store, "office")],
            }
            departments = sorted({tm.department for tm in load_teams(store) if tm.department})
            self._owner_options = {
                "team": opts["team"],
                "department": [(d, d) for d in departments],
                "leader": opts["leader"],
            }
        self.app.call_from_thread(self._apply_lists, lists, opts)

    def _apply_lists(
        self, lists: dict[str, list[Any]], opts: dict[str, list[tuple[str, str]]] | None
    ) -> None:
        from zsfield.reports.supervision import LIANG_WEI, SAN_WEI

        self._lists = lists
        if opts is not None:
            self._options_loaded = True
            for key, values in opts.items():
                select = self.query_one(f"#sup-{key}", Select)
                with self.prevent(Select.Changed):
                    select.set_options(values)
        liang = sum(len(lists[k]) for k in LIANG_WEI)
        san = sum(len(lists[k]) for k in SAN_WEI)
        self._lists_summary = (len(lists["overdue"]), liang, san)
        self._show_list()
        self._update_summary()

    def _show_list(self) -> None:
        from zsfield.store.read.common import page_of

        kind = self._list_kind()
        rows = self._lists.get(kind, [])
        is_overdue = kind == "overdue"
        overdue = self.query_one("#sup-overdue", PagedTable)
        gaps = self.query_one("#sup-gaps", PagedTable)
        overdue.display = is_overdue
        gaps.display = not is_overdue
        target = overdue if is_overdue else gaps
        target.set_source(lambda offset, limit, rows=rows: page_of(rows, offset, limit))
        self.query_one("#sup-list-count", Static).update(t(f"sup.list_help_{kind}", n=len(rows)))

    @on(Select.Changed, "#sup-list")
    def _list_changed(self) -> None:
        self._show_list()

    @work(thread=True, exclusive=True, group="sup-figures")
    def _load_figures(self) -> None:
        from zsfield.reports.facts import load_projects, load_receipts, load_teams
        from zsfield.reports.periods import month_of, year
        from zsfield.reports.ranking import load_rules, rank_teams
        from zsfield.reports.targets import load_targets, progress

        store = self.zs.wait_store()
        today = self.today()
        year_no = self.year or today.year
        as_of = min(today, date(year_no, 12, 31))
        projects = load_projects(store)
        report = progress(load_targets(store, year_no), projects, year_no, as_of)
        period = year(year_no) if self.rank_period == "year" else month_of(as_of)
        period = period.clipped(as_of)
        error = None
        try:
            rules = load_rules(None, self.zs.settings)
        except Exception as exc:  # a bad rules file: say so, fall back to the built-in table
            error = exc.message() if hasattr(exc, "message") else str(exc)
            rules = load_rules(None, None)
        ranking = rank_teams(
            load_teams(store),
            projects,
            load_receipts(store, period.start, period.end),
            period,
            rules,
            as_of=as_of,
            targets=report,
        )
        self.app.call_from_thread(self._apply_figures, projects, report, ranking, error)

    def _apply_figures(self, projects: Any, report: Any, ranking: Any, error: str | None) -> None:
        self._facts = projects
        self._report = report
        self._fill_targets(report)
        self._fill_ranking(ranking, error)
        self._update_chart()
        self._update_summary()

    def _fill_targets(self, report: Any) -> None:
        from zsfield.reports.targets import KIND_ORDER

        info = t(
            "sup.targets_info",
            year=report.year,
            as_of=report.as_of.isoformat(),
            days=report.elapsed_days,
            total=report.days_in_year,
            pct=_num(report.elapsed_pct),
        )
        if not report.owners:
            info += " · " + t("sup.targets_none")
        self.query_one("#sup-targets-info", Static).update(info)
        table = self.query_one("#sup-targets", DataTable)
        table.clear()
        self._target_rows = []
        if report.zone is not None:
            self._add_target_row(table, report.zone, t("sup.zone_row"), bold=True)
            self._target_rows.append(("zone", "*", t("tgt.zone")))
        for kind in KIND_ORDER:
            for o in report.of_kind(kind):
                self._add_target_row(table, o, f"{t(f'sup.kind_short.{kind}')}·{o.owner_name}")
                self._target_rows.append((kind, o.owner_id, o.owner_name))

    @staticmethod
    def _add_target_row(table: DataTable[Any], o: Any, label: str, bold: bool = False) -> None:
        cells: list[Any] = [Text(_short(label, 24), style="bold" if bold else "")]
        for b in o.bands:
            style = "dim" if not b.target and not b.actual else ("red" if b.actual < b.pro_rata else "green")
            cells.append(Text(f"{b.actual}/{b.target}", justify="right", style=style))
        cells.append(Text(f"{o.actual_total}/{o.target_total}", justify="right", style="bold"))
        cells.append(Text(_num(o.pro_rata_total), justify="right"))
        cells.append(
            Text(f"{_num(o.completion_pct)}%" if o.completion_pct is not None else "—", justify="right")
        )
        if o.gap_pp is None:
            gap = Text("—", justify="right")
        else:
            gap = Text(f"{o.gap_pp:+.1f}", justify="right", style="bold red" if o.behind else "bold green")
        cells.append(gap)
        table.add_row(*cells)

    def _fill_ranking(self, ranking: Any, error: str | None) -> None:
        period = ranking.period
        info = t(
            "sup.ranking_info",
            start=period.start.isoformat(),
            end=period.end.isoformat(),
            period=t(f"sup.rank_period_{self.rank_period}"),
        )
        self.query_one("#sup-ranking-info", Static).update(info)
        rules = t(
            "sup.ranking_rules", name=ranking.rules.name or ranking.rules.source, source=ranking.rules.source
        )
        if error:
            rules = t("sup.ranking_rules_error", error=error)
        self.query_one("#sup-ranking-rules", Static).update(rules)
        table = self.query_one("#sup-ranking", DataTable)
        table.clear()
        for s in ranking.teams:
            award = Text("")
            if s.award == "excellent":
                award = Text("★ " + t("rank.award.excellent"), style="bold green")
            elif s.award == "snail":
                award = Text("◎ " + t("rank.award.snail"), style="bold red")
            progress = "—"
            if s.target_total:
                progress = f"{s.signed_ytd}/{_num(s.pro_rata_total)}"
            table.add_row(
                Text(str(s.rank), justify="right"),
                _short(s.team, 16),
                Text(_count(s.signed_total), justify="right"),
                Text(_num(s.signed_points), justify="right"),
                Text(amount_usd(s.contracted_usd), justify="right"),
                Text(amount_usd(s.received_usd), justify="right"),
                Text(f"{_count(s.construction)}/{_count(s.production)}", justify="right"),
                Text(_num(s.score, 2), justify="right", style="bold"),
                Text(progress, justify="right", style="red" if s.behind else ""),
                award,
            )

    def _update_chart(self) -> None:
        from zsfield.reports.targets import monthly_curve
        from zsfield.widgets.chart import ChartPoint, ProgressChart

        report = self._report
        chart = self.query_one("#sup-chart", ProgressChart)
        if report is None or self._facts is None:
            return
        table = self.query_one("#sup-targets", DataTable)
        if not self._target_rows:
            chart.points = ()
            return
        row = table.cursor_row if 0 <= table.cursor_row < len(self._target_rows) else 0
        kind, owner_id, name = self._target_rows[row]
        owner = report.zone if kind == "zone" else report.owner(kind, owner_id)
        target = owner.target_total if owner else 0
        key = "sup.chart_zone" if kind == "zone" else "sup.chart_owner"
        points = monthly_curve(
            self._facts, report.year, report.as_of, target_total=target, owner_kind=kind, owner_id=owner_id
        )
        chart.title = t(key, owner=name, target=target)
        chart.points = tuple(ChartPoint(p.month, p.cumulative, p.pro_rata) for p in points)

    @on(DataTable.RowHighlighted, "#sup-targets")
    def _target_highlighted(self) -> None:
        self._update_chart()

    def _update_summary(self) -> None:
        overdue, liang, san = getattr(self, "_lists_summary", (None, None, None))
        stale = self.query_one("#sup-stale", PagedTable).total
        if overdue is None:
            return
        self.query_one("#sup-summary", Static).update(
            t("sup.summary", stale=stale, overdue=overdue, liang=liang, san=san)
        )

    @on(PagedTable.Loaded)
    def _loaded(self, event: PagedTable.Loaded) -> None:
        if event.table.id == "sup-stale":
            self._update_summary()
            tab = self.query_one("#sup-tabs", TabbedContent).get_tab("tab-stale")
            tab.label = f"{t('sup.tab_stale')} {event.total}"  # type: ignore[assignment]
        elif event.table.id == "sup-review":
            tab = self.query_one("#sup-tabs", TabbedContent).get_tab("tab-review")
            tab.label = f"{t('sup.tab_review')} {event.total}"  # type: ignore[assignment]

    # --- filters --------------------------------------------------------------------------------------------

    @on(Select.Changed, ".sup-filter")
    def _filter_changed(self) -> None:
        self._reload_review()

    @on(Input.Changed, "#sup-search")
    def _search_changed(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(0.25, self._reload_review)

    def _reload_review(self) -> None:
        app = self.zs
        f = self.current_filter()
        now = app.clock.now()
        stale_days = app.settings.stale_days

        def fetch(offset: int, limit: int) -> Any:
            from zsfield.reports.supervision import review_page

            return review_page(
                app.wait_store(), f, now=now, offset=offset, limit=limit, stale_days=stale_days
            )

        self.query_one("#sup-review", PagedTable).set_source(fetch)

    def action_focus_search(self) -> None:
        self.action_show("review")
        self.query_one("#sup-search", Input).focus()

    def action_clear_filters(self) -> None:
        with self.prevent(Select.Changed, Input.Changed):
            for key, _label in _SELECTS:
                self.query_one(f"#sup-{key}", Select).clear()
            self.query_one("#sup-search", Input).value = ""
        self._reload_review()

    @on(Input.Submitted, "#sup-search")
    def _search_done(self) -> None:
        self.query_one("#sup-review", PagedTable).focus()

    # --- actions --------------------------------------------------------------------------------------------

    def action_show(self, tab: str) -> None:
        tabs = self.query_one("#sup-tabs", TabbedContent)
        tabs.active = f"tab-{tab}"
        focus = {
            "review": "#sup-review",
            "stale": "#sup-stale",
            "overdue": "#sup-overdue" if self._list_kind() == "overdue" else "#sup-gaps",
            "targets": "#sup-targets",
            "ranking": "#sup-ranking",
        }[tab]
        self.query_one(focus).focus()

    @on(TabbedContent.TabActivated, "#sup-tabs")
    def _tab_activated(self) -> None:
        self.set_class(self.active_tab in ("targets", "ranking"), "-figures")
        self.refresh_bindings()

    _TAB_ACTIONS: dict[str, tuple[str, ...]] = {
        "toggle_timeline": ("review", "stale", "overdue"),
        "open_project": ("review", "stale", "overdue"),
        "ask_reason": ("review", "stale", "overdue"),
        "supervision_note": ("review", "stale", "overdue"),
        "edit_target": ("targets",),
        "add_target": ("targets",),
        "shift_year": ("targets", "ranking"),
        "toggle_period": ("ranking",),
    }

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that belong to some tabs only are hidden (and do nothing) on the others."""
        tabs = self._TAB_ACTIONS.get(action)
        if tabs is None or not self.is_mounted:
            return True
        try:
            return self.active_tab in tabs
        except Exception:  # noqa: BLE001 - during compose the tabs are not there yet
            return True

    async def action_toggle_timeline(self) -> None:
        """Show the timeline of the project under the cursor beside the list (again: hide it)."""
        project_id, name = self.current_project()
        side = self.query_one("#sup-side", Vertical)
        if side.display and (project_id is None or project_id == self._timeline_project):
            await self._close_timeline()
            return
        if project_id is None:
            self.notify(t("sup.pick_project"), severity="warning")
            return
        await self._show_timeline(project_id, name)

    async def _show_timeline(self, project_id: str, name: str) -> None:
        from zsfield.widgets.timeline import Timeline

        side = self.query_one("#sup-side", Vertical)
        await side.query(Timeline).remove()
        self._timeline_project = project_id
        self.query_one("#sup-side-title", Static).update(t("sup.timeline_of", name=_short(name, 30)))
        await side.mount(Timeline(project_id=project_id, classes="sup-timeline"))
        side.display = True

    async def _close_timeline(self) -> None:
        from zsfield.widgets.timeline import Timeline

        side = self.query_one("#sup-side", Vertical)
        await side.query(Timeline).remove()
        side.display = False
        self._timeline_project = None

    @on(PagedTable.Opened)
    async def _row_opened(self, event: PagedTable.Opened) -> None:
        """Enter on a row shows its timeline beside the list (enter again hides it)."""
        event.stop()
        await self.action_toggle_timeline()

    @on(DataTable.RowHighlighted)
    async def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """With the timeline open, it follows the cursor."""
        if not isinstance(event.data_table, PagedTable) or not self.query_one("#sup-side").display:
            return
        project_id, name = self.current_project()
        if project_id and project_id != self._timeline_project:
            await self._show_timeline(project_id, name)

    def action_open_project(self) -> None:
        project_id, _name = self.current_project()
        if project_id is None:
            self.notify(t("sup.pick_project"), severity="warning")
            return
        self.zs.open_project(project_id)

    def _note(self, kind: str) -> None:
        project_id, name = self.current_project()
        if project_id is None:
            self.notify(t("sup.pick_project"), severity="warning")
            return
        row = self.current_row()
        days = getattr(row, "days_since", None)
        from zsfield.screens.supervision_modals import NoteModal

        def done(result: Any) -> None:
            if result:
                self.notify(t(f"sup.{kind}_sent", name=name))
                self.zs.data_changed()

        self.app.push_screen(NoteModal(kind, project_id, name, days=days), done)

    def action_ask_reason(self) -> None:
        self._note("reason")

    def action_supervision_note(self) -> None:
        self._note("supervision")

    def action_report(self, kind: str) -> None:
        from zsfield.screens.supervision_modals import ReportModal

        def done(path: Any) -> None:
            if path:
                self.notify(t("sup.report_written", path=str(path)), timeout=10)

        self.app.push_screen(ReportModal(kind, self.today()), done)

    def _target_saved(self, changed: Any) -> None:
        if changed is not None:
            self.notify(t("sup.target_saved", n=changed if isinstance(changed, int) else 0))
            self.zs.data_changed()

    def action_edit_target(self) -> None:
        from zsfield.screens.supervision_modals import TargetModal

        report = self._report
        table = self.query_one("#sup-targets", DataTable)
        if report is None or not self._target_rows:
            self.action_add_target()
            return
        kind, owner_id, _name = self._target_rows[min(max(table.cursor_row, 0), len(self._target_rows) - 1)]
        if kind == "zone":
            self.notify(t("sup.target_zone_row"), severity="warning")
            return
        owner = report.owner(kind, owner_id)
        counts = {b.band: b.target for b in owner.bands} if owner else {}
        options = dict(self._owner_options)
        if not any(v == owner_id for _n, v in options.get(kind, [])):
            options[kind] = [*options.get(kind, []), (_name, owner_id)]
        modal = TargetModal(report.year, options, owner=(kind, owner_id), counts=counts)
        self.app.push_screen(modal, self._target_saved)

    def action_add_target(self) -> None:
        from zsfield.screens.supervision_modals import TargetModal

        year = self.year or self.today().year
        self.app.push_screen(TargetModal(year, self._owner_options), self._target_saved)

    def action_shift_year(self, step: int) -> None:
        self.year = (self.year or self.today().year) + step
        self._load_figures()

    def action_toggle_period(self) -> None:
        self.rank_period = "month" if self.rank_period == "year" else "year"
        self._load_figures()


__all__ = ["SupervisionScreen", "entry_label"]
