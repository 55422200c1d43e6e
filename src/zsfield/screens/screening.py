"""研判 — screening one lead: what it is, whether it repeats a company or lead another team holds (查重,
首谈负责), the verdict with its reason (去伪存真), and conversion into a project (转为项目).

Keys: F10 records the verdict, F9 converts (or opens the project once converted), d marks the highlighted
lead in the duplicate check as the one this lead repeats, enter opens a row, escape goes back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DataTable, Input, Label, Select, Static

from zsfield.bindings import binding
from zsfield.domain.enums import LeadStatus, ProjectStatus, Stage, Verdict
from zsfield.format import amount, day, local_time
from zsfield.i18n import t
from zsfield.screens.base import ZsScreen
from zsfield.screens.lead_cells import channel_label, clip
from zsfield.widgets.fields import FormField
from zsfield.widgets.table import ZsTable
from zsfield.widgets.timeline import Timeline
from zsfield.widgets.worker_results import while_shown

if TYPE_CHECKING:
    from zsfield.store.read.detail import LeadDetail
    from zsfield.store.read.lookups import ConvertChoices, HeldRecord


@dataclass(frozen=True)
class DuplicateRow:
    """One line of the duplicate check: a lead or project on a matching company, or a matching company."""

    kind: str  # lead / project / company
    id: str
    title: str
    company: str
    reason: str  # catalog key
    team_id: str | None = None
    team: str = ""
    officer: str = ""
    since: Any = None
    status: str = ""
    stage: str | None = None


@dataclass(frozen=True)
class ScreeningData:
    """Everything the screen shows, read in one worker."""

    lead: LeadDetail | None
    rows: list[DuplicateRow] = field(default_factory=list)
    choices: ConvertChoices | None = None
    matched: bool = True  # False: the company index was not ready yet, only the lead's own company checked


def load_screening(
    store: Any,
    lead_id: str,
    *,
    company_index: tuple[Any, dict[str, str]] | None = None,
    choices: ConvertChoices | None = None,
) -> ScreeningData:
    """The lead, its duplicate check and the people a conversion may name. Runs in a worker.

    The duplicate check always has the leads and projects on the lead's own company; with
    ``company_index`` (a :class:`CompanyIndex` and id → name) also the companies whose names match and
    the leads and projects on them."""
    from zsfield.store.read.detail import lead_detail
    from zsfield.store.read.lookups import convert_choices, leads_for_companies, projects_for_companies

    lead = lead_detail(store, lead_id)
    if lead is None:
        return ScreeningData(None)
    reasons: dict[str, str] = {}
    if lead.company_id:
        reasons[lead.company_id] = "screen_lead.same_company"
    names: dict[str, str] = {}
    if company_index is not None:
        index, names = company_index
        queries = (lead.company_name, lead.company_legal_name, "" if lead.company_name else lead.title)
        for query in dict.fromkeys(q for q in queries if q):
            for c in index.candidates(query, limit=8):
                reasons.setdefault(c.company_id, c.reason)
    ids = list(reasons)
    held: list[HeldRecord] = projects_for_companies(store, ids) + leads_for_companies(
        store, ids, exclude_lead_id=lead.id
    )
    rows: list[DuplicateRow] = []
    holding = set()
    for h in held:
        holding.add(h.company_id)
        rows.append(
            DuplicateRow(
                h.kind,
                h.id,
                h.title,
                h.company,
                reasons.get(h.company_id, "screen_lead.same_company"),
                h.team_id,
                h.team,
                h.officer,
                h.since,
                h.status,
                h.stage,
            )
        )
    for company_id, reason in reasons.items():
        if company_id != lead.company_id and company_id not in holding:
            rows.append(DuplicateRow("company", company_id, names.get(company_id, ""), "", reason))
    return ScreeningData(lead, rows, choices or convert_choices(store), matched=company_index is not None)


def holds_first(row: DuplicateRow, lead: LeadDetail) -> bool:
    """Whether another team's lead holds the company before this one (首谈负责)."""
    if row.kind != "lead" or row.team_id == lead.team_id:
        return False
    return row.since is None or lead.received_on is None or row.since <= lead.received_on


class ScreeningScreen(ZsScreen):
    """研判 of one lead (pushed over the inbox or the dashboard)."""

    CSS_PATH = "screening.tcss"

    BINDINGS = [
        binding("screen_back", "escape", "back", "key.back"),
        binding("screen_record", "f10", "record", "screen_lead.key_record"),
        binding("screen_convert", "f9", "convert", "screen_lead.key_convert"),
        binding("screen_duplicate", "d", "mark_duplicate", "screen_lead.key_duplicate"),
    ]

    def __init__(self, lead_id: str) -> None:
        super().__init__()
        self.lead_id = lead_id
        self.data: ScreeningData | None = None
        self._rows: dict[str, DuplicateRow] = {}
        self._saving = False
        self._form_loaded = False
        self._duplicate_shown = False

    # --- layout ------------------------------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="scr-top"):
            yield Static(t("screen_lead.heading", title=""), classes="screen-title", id="scr-heading")
            yield Static("", id="scr-status")
        with VerticalScroll(id="scr-body"):
            with Horizontal(id="scr-upper"):
                with Vertical(id="scr-facts-box"):
                    yield Static(t("screen_lead.section_lead"), classes="section-title")
                    yield Static(t("fmt.loading"), id="scr-facts")
                with Vertical(id="scr-timeline-box"):
                    yield Static(t("screen_lead.section_timeline"), classes="section-title")
                    yield Timeline(lead_id=self.lead_id, id="scr-timeline")
            yield Static(t("screen_lead.section_duplicates"), classes="section-title", id="scr-dupes-title")
            yield Static("", id="scr-banner")
            table = ZsTable(id="scr-dupes", cursor_type="row", zebra_stripes=True)
            for key, label in (
                ("kind", "screen_lead.col_kind"),
                ("title", "screen_lead.col_title"),
                ("company", "screen_lead.col_company"),
                ("reason", "screen_lead.col_reason"),
                ("team", "screen_lead.col_team"),
                ("status", "screen_lead.col_status"),
                ("holder", "screen_lead.col_holder"),
            ):
                table.add_column(t(label), key=key)
            yield table
            yield Static(t("screen_lead.section_verdict"), classes="section-title")
            yield Static("", id="scr-current-verdict")
            with Horizontal(id="scr-verdict-row"):
                with Vertical(classes="scr-cell", id="scr-verdict-cell"):
                    yield Label(t("screen_lead.verdict") + " *")
                    yield Select(
                        [(v.label(), v.value) for v in Verdict],
                        prompt=t("screen_lead.choose_verdict"),
                        id="scr-verdict",
                    )
                    yield Static("", classes="scr-error", id="scr-verdict-error")
                yield FormField(
                    "screen_lead.reason",
                    required=True,
                    placeholder_key="screen_lead.reason_placeholder",
                    id="scr-reason",
                )
                with Vertical(classes="scr-cell", id="scr-dup-cell"):
                    yield Label(t("screen_lead.duplicate_of"))
                    yield Select([], prompt=t("screen_lead.not_duplicate"), id="scr-duplicate-of")
            with Horizontal(id="scr-buttons"):
                yield Button(t("screen_lead.record_button"), id="scr-record-btn", variant="primary")
                yield Button(t("screen_lead.convert_button"), id="scr-convert-btn", variant="success")
                yield Static("", classes="muted", id="scr-convert-hint")

    def on_mount(self) -> None:
        self.query_one("#scr-verdict", Select).focus()
        # ZsScreen.on_mount (Textual calls it after this one) starts the first load

    # --- data ---------------------------------------------------------------------------------------------------

    def on_zs_field_app_store_opened(self) -> None:
        """The first load already waits for the store: a second one would only repeat it."""

    def reload(self) -> None:
        if self.data is not None:  # the timeline loads itself when mounted; after a change, again
            self.query_one("#scr-timeline", Timeline).reload()
        self._load()

    @work(thread=True, exclusive=True, group="screening")
    def _load(self) -> None:
        from zsfield.widgets.company_picker import cached_company_index, shared_company_index

        store = self.zs.wait_store()
        if cached_company_index(store) is None:
            # The first build of the company index takes a while on a large register: show the lead and
            # its own company's leads and projects now, the name matches when the index is ready.
            first = load_screening(store, self.lead_id)
            self.app.call_from_thread(self._show, first)
            if first.lead is None:
                return
            data = load_screening(
                store, self.lead_id, company_index=shared_company_index(store), choices=first.choices
            )
        else:
            data = load_screening(store, self.lead_id, company_index=shared_company_index(store))
        self.app.call_from_thread(self._show, data)

    @while_shown
    def _show(self, data: ScreeningData) -> None:
        self.data = data
        lead = data.lead
        if lead is None:
            self.query_one("#scr-facts", Static).update(t("screen_lead.not_found"))
            return
        self.query_one("#scr-heading", Static).update(t("screen_lead.heading", title=lead.title))
        status = self.query_one("#scr-status", Static)
        status.update(lead.status.label())
        status.set_classes(f"-{lead.status.value}")
        self.query_one("#scr-facts", Static).update(self._facts(lead))
        self._show_duplicates(data)
        self._show_verdict(lead)

    def _facts(self, lead: LeadDetail) -> Table:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(overflow="fold")
        company = lead.company_name or lead.company_legal_name or "—"
        if lead.company_id and lead.company_legal_name and lead.company_legal_name != lead.company_name:
            company = (
                f"{company}（{lead.company_legal_name}）" if lead.company_name else lead.company_legal_name
            )
        grid.add_row(t("screen_lead.f_company"), Text(company, style="bold"))
        channel = channel_label(lead.source_channel)
        if lead.source_detail:
            channel = f"{channel} · {lead.source_detail}"
        grid.add_row(t("screen_lead.f_channel"), channel)
        grid.add_row(t("screen_lead.f_amount"), amount(lead.estimated_investment, lead.estimated_currency))
        if lead.land_need_mu is not None:
            grid.add_row(t("screen_lead.f_land"), t("screen_lead.mu", n=f"{lead.land_need_mu:,f}"))
        grid.add_row(t("screen_lead.f_industry"), lead.industry or "—")
        grid.add_row(t("screen_lead.f_team"), " · ".join(x for x in (lead.office, lead.team) if x) or "—")
        grid.add_row(
            t("screen_lead.f_received"),
            " · ".join(x for x in (lead.received_by_name, day(lead.received_on)) if x and x != "—") or "—",
        )
        contact = " · ".join(x for x in (lead.contact_name, lead.contact_title, lead.contact_phone) if x)
        grid.add_row(t("screen_lead.f_contact"), contact or "—")
        if lead.note:
            grid.add_row(t("screen_lead.f_note"), lead.note)
        if lead.project_id:
            grid.add_row(
                t("screen_lead.f_project"), Text(lead.project_name or lead.project_id, style="bold green")
            )
        if lead.duplicate_of:
            grid.add_row(t("screen_lead.f_duplicate_of"), lead.duplicate_of_title or lead.duplicate_of)
        return grid

    def _show_duplicates(self, data: ScreeningData) -> None:
        lead = data.lead
        assert lead is not None
        table = self.query_one("#scr-dupes", DataTable)
        table.clear()
        self._rows = {}
        for row in data.rows:
            key = f"{row.kind}:{row.id}"
            if key in self._rows:
                continue
            self._rows[key] = row
            table.add_row(*self._dupe_cells(row, lead), key=key)
        n = sum(1 for r in data.rows if r.kind != "company")
        companies = sum(1 for r in data.rows if r.kind == "company")
        title = (
            t("screen_lead.section_duplicates_n", leads=n, companies=companies)
            if data.matched
            else t("screen_lead.section_duplicates_matching", leads=n)
        )
        self.query_one("#scr-dupes-title", Static).update(title)
        self.query_one("#scr-banner", Static).update(self._banner(data))
        # the leads this one may repeat
        dup = self.query_one("#scr-duplicate-of", Select)
        options = [
            (f"{clip(r.title, 24)} · {r.team or t('screen_lead.no_team')}", r.id)
            for r in data.rows
            if r.kind == "lead"
        ]
        keep = dup.value
        dup.set_options(options)
        values = {v for _, v in options}
        if lead.duplicate_of in values and not self._duplicate_shown:
            dup.value = lead.duplicate_of  # once: the officer's own choice wins afterwards
            self._duplicate_shown = True
        elif keep in values:
            dup.value = keep

    def _dupe_cells(self, row: DuplicateRow, lead: LeadDetail) -> list[Any]:
        kind = t(f"screen_lead.kind_{row.kind}")
        if row.kind == "lead":
            status = t(f"leads.status_short.{row.status}") if row.status in _LEAD_STATUSES else row.status
        elif row.kind == "project":
            status = _label(Stage, row.stage or "")
            if row.status and row.status != ProjectStatus.ACTIVE.value:
                status += " · " + _label(ProjectStatus, row.status)
        else:
            status = ""
        holder: Any = ""
        if row.kind == "lead":
            if row.team_id == lead.team_id:
                holder = Text(t("screen_lead.same_team"), style="dim")
            elif holds_first(row, lead):
                holder = Text(
                    "⚑ " + t("screen_lead.held_by", team=row.team or t("screen_lead.no_team")),
                    style="bold yellow",
                )
            else:
                holder = Text(t("screen_lead.later_than_this"), style="dim")
        elif row.kind == "project" and row.team_id != lead.team_id:
            holder = Text(
                "⚑ " + t("screen_lead.project_of", team=row.team or t("screen_lead.no_team")),
                style="bold yellow",
            )
        team = row.team
        if row.officer and row.kind != "company":
            team = f"{row.team}（{row.officer}）" if row.team else row.officer
        return [
            kind,
            clip(row.title, 26),
            clip(row.company, 14) if row.kind != "company" else "",
            t(row.reason),
            clip(team, 22),
            status,
            holder,
        ]

    def _banner(self, data: ScreeningData) -> Text:
        lead = data.lead
        assert lead is not None
        for row in data.rows:
            if row.kind == "project" and row.team_id != lead.team_id:
                return Text(
                    "⚑ "
                    + t(
                        "screen_lead.banner_project",
                        title=row.title,
                        team=row.team or t("screen_lead.no_team"),
                    ),
                    style="bold yellow",
                )
        for row in data.rows:
            if holds_first(row, lead):
                return Text(
                    "⚑ "
                    + t(
                        "screen_lead.banner_held",
                        team=row.team or t("screen_lead.no_team"),
                        title=row.title,
                        officer=row.officer or "—",
                        on=day(row.since),
                    ),
                    style="bold yellow",
                )
        if any(r.kind != "company" for r in data.rows):
            return Text(t("screen_lead.banner_same_team"), style="yellow")
        if data.rows:
            return Text(t("screen_lead.banner_similar"), style="yellow")
        return Text("✓ " + t("screen_lead.banner_clear"), style="green")

    def _show_verdict(self, lead: LeadDetail) -> None:
        current = self.query_one("#scr-current-verdict", Static)
        if lead.verdict:
            when = local_time(lead.verdict_at, self.officer_tz) if lead.verdict_at else ""
            current.update(
                t(
                    "screen_lead.current_verdict",
                    verdict=_label(Verdict, lead.verdict),
                    reason=lead.verdict_reason or "—",
                    who=lead.verdict_by_name or "—",
                    when=when,
                )
            )
        else:
            current.update(t("screen_lead.no_verdict"))
        converted = lead.status == LeadStatus.CONVERTED
        if not self._form_loaded:
            self._form_loaded = True
            if lead.verdict:
                self.query_one("#scr-verdict", Select).value = lead.verdict
            reason = self.query_one("#scr-reason", FormField)
            reason.text = lead.verdict_reason
            reason.initial = lead.verdict_reason
        for wid in ("#scr-verdict", "#scr-reason", "#scr-duplicate-of", "#scr-record-btn"):
            self.query_one(wid).disabled = converted
        convert = self.query_one("#scr-convert-btn", Button)
        hint = self.query_one("#scr-convert-hint", Static)
        if converted:
            convert.label = t("screen_lead.open_project_button")
            convert.disabled = False
            hint.update(t("screen_lead.converted_hint", name=lead.project_name))
        else:
            convert.label = t("screen_lead.convert_button")
            can = lead.verdict == Verdict.REAL.value
            convert.disabled = not can
            hint.update("" if can else t("screen_lead.convert_needs_real"))
        focused = self.focused
        if focused is None or (converted and isinstance(focused, Select | Input)):
            (convert if converted else self.query_one("#scr-verdict", Select)).focus()

    # --- the verdict --------------------------------------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        lead = self.data.lead if self.data else None
        if lead is None or lead.status == LeadStatus.CONVERTED:
            return False
        verdict = self.query_one("#scr-verdict", Select).value
        verdict = None if verdict == Select.NULL else str(verdict)
        dup = self.query_one("#scr-duplicate-of", Select).value
        dup = None if dup == Select.NULL else str(dup)
        return (
            verdict != lead.verdict
            or self.query_one("#scr-reason", FormField).dirty
            or dup != (lead.duplicate_of if lead.duplicate_of else None)
        )

    def has_unsaved_changes(self) -> bool:
        """Asked by the app before quitting (ctrl+q asks first when this is true)."""
        return self.dirty

    @on(Select.Changed, "#scr-verdict")
    def _verdict_chosen(self) -> None:
        self.query_one("#scr-verdict-error", Static).update("")

    @on(Input.Submitted, "#scr-reason Input")
    def _reason_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_record()

    @on(Button.Pressed, "#scr-record-btn")
    def _record_pressed(self) -> None:
        self.action_record()

    @on(Button.Pressed, "#scr-convert-btn")
    def _convert_pressed(self) -> None:
        self.action_convert()

    def action_record(self) -> None:
        lead = self.data.lead if self.data else None
        if lead is None or self._saving:
            return
        if lead.status == LeadStatus.CONVERTED:
            self.notify(t("action.lead_converted"), severity="warning")
            return
        verdict = self.query_one("#scr-verdict", Select).value
        reason = self.query_one("#scr-reason", FormField)
        ok = reason.validate_now()
        if verdict == Select.NULL:
            self.query_one("#scr-verdict-error", Static).update(t("screen_lead.verdict_required"))
            ok = False
        if not reason.text.strip():
            reason.show_error(t("action.verdict_needs_reason"))
        if not ok:
            (reason.input if verdict != Select.NULL else self.query_one("#scr-verdict", Select)).focus()
            self.notify(t("form.fix_errors"), severity="warning")
            return
        dup = self.query_one("#scr-duplicate-of", Select).value
        self._saving = True
        self._record(lead.id, str(verdict), reason.text, None if dup == Select.NULL else str(dup))

    @work(thread=True, exclusive=True, group="screening-save")
    def _record(self, lead_id: str, verdict: str, reason: str, duplicate_of: str | None) -> None:
        from zsfield.domain.problems import DomainError
        from zsfield.store.actions.leads import screen_lead
        from zsfield.store.read.today import whoami

        try:
            store = self.zs.wait_store()
            me = self.zs.me or whoami(store)
            with store.write(me.id) as w:
                screen_lead(w, lead_id, verdict=verdict, reason=reason, duplicate_of=duplicate_of)
        except DomainError as exc:
            self.app.call_from_thread(self._refused, exc)
            return
        except LookupError:
            self.app.call_from_thread(self._failed, t("screen_lead.not_found"))
            return
        except Exception as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self._recorded, reason)

    @while_shown
    def _refused(self, exc: Any) -> None:
        self._saving = False
        for problem in exc.problems:
            if problem.field == "verdict_reason":
                self.query_one("#scr-reason", FormField).show_error(problem.message())
            elif problem.field in ("verdict", "duplicate_of"):
                self.query_one("#scr-verdict-error", Static).update(problem.message())
        self.notify(exc.message(), title=t("screen_lead.refused"), severity="warning")

    @while_shown
    def _failed(self, message: str) -> None:
        self._saving = False
        self.notify(message, title=t("screen_lead.refused"), severity="error", timeout=15)

    @while_shown
    def _recorded(self, reason: str) -> None:
        self._saving = False
        self.query_one("#scr-reason", FormField).initial = reason
        self.notify(t("screen_lead.recorded"), timeout=4)
        self.zs.data_changed()

    # --- conversion ---------------------------------------------------------------------------------------------

    def action_convert(self) -> None:
        data = self.data
        lead = data.lead if data else None
        if lead is None or data is None:
            return
        if lead.status == LeadStatus.CONVERTED and lead.project_id:
            self.zs.open_project(lead.project_id)
            return
        if lead.verdict != Verdict.REAL.value:
            self.notify(t("screen_lead.convert_needs_real"), severity="warning")
            return
        if self.dirty:
            self.notify(t("screen_lead.record_first"), severity="warning")
            return
        from zsfield.screens.convert import ConvertModal

        me = self.zs.me
        assert data.choices is not None

        def converted(project_id: str | None) -> None:
            if not project_id:
                return
            self.notify(t("screen_lead.converted"), timeout=4)
            self.zs.refresh_outbox()
            if self.app.screen is self:
                self.app.pop_screen()
            self.zs.open_project(project_id)

        self.app.push_screen(
            ConvertModal(lead, data.choices, my_team_id=me.team_id if me else None), converted
        )

    # --- duplicate rows -----------------------------------------------------------------------------------------

    def _current_row(self) -> DuplicateRow | None:
        table = self.query_one("#scr-dupes", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self._rows.get(str(key))

    def action_mark_duplicate(self) -> None:
        row = self._current_row()
        if row is None or row.kind != "lead":
            self.notify(t("screen_lead.pick_lead_first"), severity="warning")
            return
        lead = self.data.lead if self.data else None
        if lead is None or lead.status == LeadStatus.CONVERTED:
            return
        self.query_one("#scr-duplicate-of", Select).value = row.id
        verdict = self.query_one("#scr-verdict", Select)
        if verdict.value == Select.NULL:
            verdict.value = Verdict.REJECTED.value
        reason = self.query_one("#scr-reason", FormField)
        if not reason.text.strip():
            reason.text = t(
                "screen_lead.duplicate_reason", title=row.title, team=row.team or t("screen_lead.no_team")
            )
        reason.input.focus()

    @on(DataTable.RowSelected, "#scr-dupes")
    def _dupe_opened(self, event: DataTable.RowSelected) -> None:
        event.stop()
        row = self._rows.get(str(event.row_key.value))
        if row is None:
            return
        if row.kind == "lead":
            self.zs.open_lead(row.id)
        elif row.kind == "project":
            self.zs.open_project(row.id)

    # --- leaving ------------------------------------------------------------------------------------------------

    def action_back(self) -> None:
        from zsfield.screens.confirm import confirm_leave

        confirm_leave(self.app, self.dirty, lambda: self.app.pop_screen())

    def record_context(self) -> tuple[str | None, str | None]:
        return (None, self.lead_id)


_LEAD_STATUSES = frozenset(s.value for s in LeadStatus)


def _label(enum: Any, value: str) -> str:
    try:
        return enum(value).label()
    except ValueError:
        return value
