"""项目 — the pipeline by stage (count and total investment per stage) beside a paged, filtered project list.

Filters: team, leader, office, stage, status, industry, band (selects), stale and overdue (toggles) and a
search as you type over name and company. ``s`` cycles the sort, ``p`` shows or hides the pipeline, enter on
a pipeline row filters by that stage, enter on a project opens it.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Checkbox, DataTable, Input, Select, Static

from zsfield.bindings import binding
from zsfield.domain.enums import INDUSTRIES, STAGES, ProjectStatus, Stage
from zsfield.format import amount_cny, days_ago
from zsfield.i18n import current_language, t
from zsfield.screens.base import ZsScreen
from zsfield.widgets.paged_table import PagedTable
from zsfield.widgets.table import ZsTable
from zsfield.widgets.worker_results import while_shown

SORTS: tuple[str, ...] = ("updated", "last_entry", "investment", "name")
"""The orders the ``s`` key walks (queries.ProjectSort)."""

PROJECT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "proj.col_name"),
    ("stage", "proj.col_stage"),
    ("status", "proj.col_status"),
    ("investment", "proj.col_investment"),
    ("company", "proj.col_company"),
    ("team", "proj.col_team"),
    ("leader", "proj.col_leader"),
    ("last", "proj.col_last_entry"),
)

_SELECTS: tuple[tuple[str, str], ...] = (
    ("team", "proj.f_team"),
    ("leader", "proj.f_leader"),
    ("office", "proj.f_office"),
    ("stage", "proj.f_stage"),
    ("status", "proj.f_status"),
    ("industry", "proj.f_industry"),
    ("band", "proj.f_band"),
)


def _status_text(status: ProjectStatus) -> Text:
    style = "" if status == ProjectStatus.ACTIVE else ("red" if status.needs_reason else "yellow")
    return Text(status.label(), style=style)


class ProjectsScreen(ZsScreen):
    """The pipeline and the project list (see module doc)."""

    CSS_PATH = "projects.tcss"

    BINDINGS = [
        binding("projects_search", "slash", "focus_search", "proj.key_search"),
        binding("projects_sort", "s", "cycle_sort", "proj.key_sort"),
        binding("projects_pipeline", "p", "toggle_pipeline", "proj.key_pipeline"),
        binding("projects_clear", "x", "clear_filters", "proj.key_clear"),
        binding("projects_reload", "r", "reload", "proj.key_reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sort = "updated"
        self._debounce: Timer | None = None
        self._text_index: Any = None  # queries.ProjectTextIndex, built in a worker after the first page
        self._text_index_key: Any = None
        self._options_loaded = False
        self._pipeline_rows: list[Stage | None] = []

    # --- layout -------------------------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="title-bar"):
            yield Static(t("proj.heading"), classes="screen-title", id="proj-heading")
            yield Static(t("fmt.loading"), classes="status-line", id="proj-count")
        with Horizontal(classes="filter-bar", id="proj-search-bar"):
            yield Input(placeholder=t("proj.search_placeholder"), id="proj-search", compact=True)
            yield Checkbox(t("proj.f_stale"), id="proj-stale", compact=True)
            yield Checkbox(t("proj.f_overdue"), id="proj-overdue", compact=True)
        with Horizontal(classes="filter-bar", id="proj-selects"):
            for key, label in _SELECTS:
                yield Select(
                    self._static_options(key),
                    prompt=t(label),
                    allow_blank=True,
                    compact=True,
                    id=f"proj-{key}",
                    classes="proj-filter",
                )
        with Horizontal(id="proj-main"):
            with Vertical(id="proj-pipeline"):
                yield Static(t("proj.pipeline"), classes="pane-title")
                yield ZsTable(id="pipeline-table", cursor_type="row", zebra_stripes=True)
            yield PagedTable(PROJECT_COLUMNS, self._cells, id="projects-table")
        yield Static("", classes="status-line", id="proj-hint")

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
        return []

    def on_mount(self) -> None:
        pipeline = self.query_one("#pipeline-table", DataTable)
        pipeline.add_column(t("proj.col_stage"), key="stage")
        pipeline.add_column(t("proj.col_count"), key="count")
        pipeline.add_column(t("proj.col_total"), key="total")
        self.table.focus()
        self._update_hint()
        # ZsScreen.on_mount (called after this one) starts the first load.

    def on_resize(self) -> None:
        self.set_class(self.size.width < 100, "-narrow")

    @property
    def table(self) -> PagedTable:
        return self.query_one("#projects-table", PagedTable)

    def _cells(self, row: Any) -> list[Any]:
        now = self.zs.clock.now()
        return [
            row.name,
            f"{row.stage.index:>2} {row.stage.label()}",
            _status_text(row.status),
            Text(amount_cny(row.total_investment_cny), justify="right"),
            row.company,
            row.team,
            row.leader,
            days_ago(row.last_entry_at, now),
        ]

    # --- filters --------------------------------------------------------------------------------------------

    def _select(self, key: str) -> str | None:
        value = self.query_one(f"#proj-{key}", Select).value
        return None if value == Select.NULL else str(value)

    def current_filter(self, *, with_stage: bool = True) -> Any:
        from zsfield.store.read.projects import ProjectFilter

        stage = self._select("stage")
        status = self._select("status")
        return ProjectFilter(
            text=self.query_one("#proj-search", Input).value,
            team_id=self._select("team"),
            leader_id=self._select("leader"),
            office_id=self._select("office"),
            stage=Stage(stage) if stage and with_stage else None,
            status=ProjectStatus(status) if status else None,
            industry=self._select("industry"),
            band=self._select("band"),
            stale=self.query_one("#proj-stale", Checkbox).value,
            overdue=self.query_one("#proj-overdue", Checkbox).value,
        )

    # --- data -----------------------------------------------------------------------------------------------

    def reload(self) -> None:
        """The list (at once: each keystroke of the search) and the pipeline beside it (see _reload_side)."""
        self._reload_list()
        self._load_side(self.current_filter(with_stage=False), not self._options_loaded)
        self._refresh_text_index()

    def _reload_list(self) -> None:
        from dataclasses import replace

        from zsfield.store.read.projects import count_projects, list_projects

        f = self.current_filter()
        sort = self.sort
        app = self.zs
        stale_days = app.settings.stale_days
        index = self._text_index
        resolved: list[Any] = []

        def narrowed() -> Any:
            """The filter with the search's matches from the in-memory index (found once, in the worker)."""
            if not resolved:
                if f.text.strip() and index is not None:
                    resolved.append(replace(f, ids=index.matching(f.text)))
                else:
                    resolved.append(f)
            return resolved[0]

        def fetch(offset: int, limit: int, after: Any) -> Any:
            plain = index is not None and sort == "updated" and f.only_text() and bool(f.text.strip())
            if plain and after is None and not resolved:
                # the first page of a plain search: its first matches, in the list's order, found without
                # scanning every project; the count (and the next pages) take the whole match afterwards
                fi, with_total = replace(f, ids=index.first(f.text, limit)), False
            else:
                fi = narrowed()
                with_total = fi.ids is not None and fi.only_text()  # free then; else counted after the rows
            return list_projects(
                app.wait_store(),
                fi,
                sort=sort,  # type: ignore[arg-type]
                offset=offset,
                limit=limit,
                now=app.clock.now(),
                stale_days=stale_days,
                after=after.sort_key if after is not None else None,
                count=with_total,
            )

        def count() -> int:
            return count_projects(app.wait_store(), narrowed(), now=app.clock.now(), stale_days=stale_days)

        self.table.page_size = app.settings.page_size
        self.table.set_source(fetch, keyset=True, count=count)

    def _reload_side(self) -> None:
        self._load_side(self.current_filter(with_stage=False), not self._options_loaded)

    def _with_matches(self, f: Any) -> Any:
        """``f`` with the search's matches from the text index (call in a worker: it scans the index)."""
        from dataclasses import replace

        index = self._text_index
        if f.text.strip() and index is not None:
            return replace(f, text="", ids=index.matching(f.text))
        return f

    def _refresh_text_index(self) -> None:
        """(Re)build the search index in a worker when the projects changed since it was built."""
        self._build_text_index(self._text_index_key)

    @work(thread=True, exclusive=True, group="projects-text-index")
    def _build_text_index(self, key: Any) -> None:
        from zsfield.store.read.projects import ProjectTextIndex, project_index_key

        store = self.zs.wait_store()
        now_key = project_index_key(store)
        if now_key == key:
            return
        index = ProjectTextIndex.build(store)
        self.app.call_from_thread(self._set_text_index, index, now_key)

    def _set_text_index(self, index: Any, key: Any) -> None:
        self._text_index, self._text_index_key = index, key

    @work(thread=True, exclusive=True, group="projects-side")
    def _load_side(self, f: Any, with_options: bool) -> None:
        from zsfield.store.read.lookups import options, project_leaders
        from zsfield.store.read.projects import pipeline

        store = self.zs.wait_store()
        stages = pipeline(store, self._with_matches(f), now=self.zs.clock.now())
        opts = None
        if with_options:
            opts = {
                "team": options(store, "team"),
                "leader": project_leaders(store),
                "office": options(store, "office"),
            }
        self.app.call_from_thread(self._apply_side, stages, opts)

    @while_shown
    def _apply_side(self, stages: list[Any], opts: dict[str, list[Any]] | None) -> None:
        if opts is not None:
            self._options_loaded = True
            for key, rows in opts.items():
                select = self.query_one(f"#proj-{key}", Select)
                keep = select.value
                with self.prevent(Select.Changed):
                    select.set_options([(o.name, o.id) for o in rows])
                    if keep != Select.NULL and any(o.id == keep for o in rows):
                        select.value = keep
        table = self.query_one("#pipeline-table", DataTable)
        keep_row = table.cursor_row
        table.clear()
        chosen = self._select("stage")
        # full stage names where they fit beside the amounts (Chinese at 100+ columns), else the short ones
        wide = self.size.width >= 100 and current_language() == "zh"
        total_n = 0
        from decimal import Decimal

        total_amount = Decimal(0)
        self._pipeline_rows = []
        for s in stages:
            label = s.stage.label() if wide else t(f"stepper.short.{s.stage.value}")
            style = "bold reverse" if chosen == s.stage.value else ("dim" if not s.count else "")
            table.add_row(
                Text(f"{s.stage.index:>2} {label}", style=style),
                Text(str(s.count), justify="right", style=style),
                Text(amount_cny(s.total_investment_cny) if s.count else "—", justify="right", style=style),
            )
            self._pipeline_rows.append(s.stage)
            total_n += s.count
            total_amount += s.total_investment_cny
        table.add_row(
            Text(t("proj.all_stages"), style="bold"),
            Text(str(total_n), justify="right", style="bold"),
            Text(amount_cny(total_amount), justify="right", style="bold"),
        )
        self._pipeline_rows.append(None)
        if keep_row is not None and table.row_count:
            table.move_cursor(row=min(keep_row, table.row_count - 1))

    # --- events ---------------------------------------------------------------------------------------------

    @on(Input.Changed, "#proj-search")
    def _typed(self) -> None:
        # the list follows every keystroke (a query already running is replaced by the newest); the
        # pipeline, a scan of every match, waits until the typing pauses
        self._reload_list()
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(0.5, self._reload_side)

    @on(Input.Submitted, "#proj-search")
    def _search_done(self) -> None:
        self.table.focus()

    @on(Select.Changed, ".proj-filter")
    @on(Checkbox.Changed)
    def _filter_changed(self) -> None:
        self.reload()

    @on(PagedTable.Loaded)
    def _loaded(self, event: PagedTable.Loaded) -> None:
        table = event.table
        total = "…" if event.total < 0 else table.total
        self.query_one("#proj-count", Static).update(
            t("fmt.rows", total=total, shown=table.rows_through),
            layout=False,  # 1fr × 1: no layout needed
        )

    @on(PagedTable.Opened)
    def _opened(self, event: PagedTable.Opened) -> None:
        self.zs.open_project(event.row.id)

    @on(DataTable.RowSelected, "#pipeline-table")
    def _stage_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        index = event.cursor_row
        if not 0 <= index < len(self._pipeline_rows):
            return
        stage = self._pipeline_rows[index]
        select = self.query_one("#proj-stage", Select)
        if stage is None or self._select("stage") == stage.value:
            select.value = Select.NULL
        else:
            select.value = stage.value

    def on_key(self, event: Any) -> None:
        if event.key == "down" and isinstance(self.focused, Input) and self.focused.id == "proj-search":
            event.stop()
            self.table.focus()

    # --- actions --------------------------------------------------------------------------------------------

    def _update_hint(self) -> None:
        self.query_one("#proj-hint", Static).update(t("proj.hint", sort=t(f"proj.sort.{self.sort}")))

    def action_focus_search(self) -> None:
        self.query_one("#proj-search", Input).focus()

    def action_cycle_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self._update_hint()
        self.reload()

    def action_toggle_pipeline(self) -> None:
        pipeline = self.query_one("#proj-pipeline")
        pipeline.display = not pipeline.display

    def action_clear_filters(self) -> None:
        with self.prevent(Select.Changed, Checkbox.Changed, Input.Changed):
            for key, _ in _SELECTS:
                self.query_one(f"#proj-{key}", Select).value = Select.NULL
            self.query_one("#proj-stale", Checkbox).value = False
            self.query_one("#proj-overdue", Checkbox).value = False
            self.query_one("#proj-search", Input).value = ""
        self.reload()

    def action_reload(self) -> None:
        self.reload()

    def record_context(self) -> tuple[str | None, str | None]:
        if self.focused is self.table:
            row = self.table.current()
            if row is not None:
                return (row.id, None)
        return (None, None)
