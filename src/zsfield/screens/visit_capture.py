"""记拜访 (F8 from anywhere): log a visit and create its next follow-up, in one transaction, in under 30 s.

Kind, date (today), place, people, summary (纪要), difficulties raised (困难问题), policy asks (政策诉求), next
step (下一步) and its date (the follow-up). Enter moves to the next field and saves on the last one; F10 or
the Save button save too. Opened without a record (nothing in view), it first asks which project or lead:
type a few characters, pick with ↓ and enter.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Grid
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from zsfield.clock import Clock
from zsfield.domain.enums import VisitKind
from zsfield.i18n import t
from zsfield.screens.project.modals import FormModal, SelectField
from zsfield.widgets.fields import FieldError, FormField


def _wide(field: FormField) -> FormField:
    field.add_class("wide")
    return field


class VisitCaptureModal(FormModal):
    """Log a visit (see module doc). Dismisses with the visit id."""

    TITLE_KEY = "visit.title"
    BOX_ID = "visit-box"

    def __init__(self, project_id: str | None = None, lead_id: str | None = None) -> None:
        super().__init__()
        self.project_id = project_id
        self.lead_id = lead_id
        self.ask_record = not (project_id or lead_id)
        self._hits: dict[str, tuple[str | None, str | None, str]] = {}

    # --- layout -------------------------------------------------------------------------------------------

    def compose_fields(self) -> ComposeResult:
        today = self.officer_today
        if self.ask_record:
            yield Static(t("visit.which"), classes="visit-label")
            yield Input(placeholder=t("visit.search_placeholder"), id="visit-search", compact=True)
            yield OptionList(id="visit-results")
        yield Static(t("fmt.loading") if not self.ask_record else t("visit.none_chosen"), id="visit-record")
        with Grid(id="visit-grid"):
            yield SelectField(
                "visit.kind",
                [(k.label(), k.value) for k in VisitKind],
                value=VisitKind.VISIT.value,
                allow_blank=False,
                id="f-kind",
            )
            yield FormField("visit.date", kind="date", value=today.isoformat(), id="f-date", today=today)
            yield FormField("visit.place", id="f-place")
            yield FormField("visit.people", id="f-people")
            yield _wide(FormField("visit.summary", placeholder_key="visit.summary_hint", id="f-summary"))
            yield _wide(FormField("visit.difficulties", id="f-difficulties"))
            yield _wide(FormField("visit.policy_asks", id="f-policy_asks"))
            yield FormField("visit.next_step", id="f-next_step")
            yield FormField(
                "visit.next_on",
                kind="date",
                value="+7",
                placeholder_key="visit.next_on_hint",
                id="f-next_on",
                today=today,
            )

    def on_mount(self) -> None:
        if self.ask_record:
            self.query_one("#visit-search", Input).focus()
            self._search("")
        else:
            self._load_record()
            self.query_one("#f-place", FormField).input.focus()

    # --- which record -----------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="visit-record")
    def _load_record(self) -> None:
        from zsfield.store.read.detail import project_detail

        store = self.zs.wait_store()
        if self.project_id:
            d = project_detail(store, self.project_id)
            label = t(
                "visit.for_project", name=d.project["name"] if d else "?", company=d.company if d else ""
            )
        else:
            from zsfield.domain.models import Lead

            with store.read() as s:
                lead = s.get(Lead, self.lead_id)
                label = t("visit.for_lead", name=lead.title if lead else "?")
        self.app.call_from_thread(self.query_one("#visit-record", Static).update, label)

    @on(Input.Changed, "#visit-search")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self._search(event.value)

    @work(thread=True, exclusive=True, group="visit-search")
    def _search(self, text: str) -> None:
        from zsfield.domain.enums import LeadStatus
        from zsfield.store.read.leads import list_leads
        from zsfield.store.read.projects import ProjectFilter, list_projects

        store = self.zs.wait_store()
        me = self.zs.me
        f = ProjectFilter(text=text, include_closed=False)
        if not text.strip() and me is not None and me.id:
            f = ProjectFilter(officer_id=me.id, include_closed=False)
        projects = list_projects(store, f, sort="updated", limit=8, count=False).rows
        leads = [
            lead
            for lead in list_leads(store, text_filter=text, limit=8).rows
            if lead.status not in (LeadStatus.CONVERTED, LeadStatus.REJECTED, LeadStatus.DUPLICATE)
        ][:5]
        hits = [
            (
                f"p:{p.id}",
                p.id,
                None,
                t("visit.hit_project", name=p.name, company=p.company, stage=p.stage.label()),
            )
            for p in projects
        ]
        hits += [
            (f"l:{lead.id}", None, lead.id, t("visit.hit_lead", name=lead.title, company=lead.company))
            for lead in leads
        ]
        self.app.call_from_thread(self._show_hits, hits)

    def _show_hits(self, hits: list[tuple[str, str | None, str | None, str]]) -> None:
        results = self.query_one("#visit-results", OptionList)
        results.clear_options()
        self._hits = {key: (pid, lid, label) for key, pid, lid, label in hits}
        results.add_options([Option(label, id=key) for key, _, _, label in hits])
        if hits:
            results.highlighted = 0

    def _choose(self, key: str) -> None:
        pid, lid, label = self._hits[key]
        self.project_id, self.lead_id = pid, lid
        self.query_one("#visit-record", Static).update(label)
        self.query_one("#visit-record", Static).set_class(False, "-missing")
        self.query_one("#f-kind", SelectField).focus()

    @on(OptionList.OptionSelected, "#visit-results")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self._choose(event.option.id)

    @on(Input.Submitted, "#visit-search")
    def _search_enter(self, event: Input.Submitted) -> None:
        event.prevent_default()
        event.stop()
        results = self.query_one("#visit-results", OptionList)
        option = results.highlighted_option
        if option is not None and option.id:
            self._choose(option.id)

    def on_key(self, event: Any) -> None:
        if event.key == "down" and isinstance(self.focused, Input) and self.focused.id == "visit-search":
            event.stop()
            self.query_one("#visit-results", OptionList).focus()

    # --- saving -------------------------------------------------------------------------------------------

    def is_dirty(self) -> bool:
        fields = [f for f in self.form_fields() if f.id != "f-next_on" or f.dirty]
        return any(f.dirty for f in fields) or self.query_one("#f-kind", SelectField).dirty

    def collect(self) -> dict[str, Any]:
        if not (self.project_id or self.lead_id):
            record = self.query_one("#visit-record", Static)
            record.update(t("visit.choose_first"))
            record.set_class(True, "-missing")
            self.query_one("#visit-search", Input).focus()
            raise FieldError(t("visit.choose_first"))
        tz = self.officer_tz
        today = self.zs.clock.today(tz)
        date_field = self.query_one("#f-date", FormField)
        on = date_field.value or today
        if on > today:
            date_field.show_error(t("visit.future"))
            date_field.input.focus()
            raise FieldError(t("visit.future"))
        if on == today:
            occurred = self.zs.clock.now()
        else:  # an earlier day: noon where the officer is
            occurred = datetime.combine(
                on, time(12, 0), tzinfo=Clock.local(self.zs.clock.now(), tz).tzinfo
            ).astimezone(UTC)
        values = {
            name: self.query_one(f"#f-{name}", FormField).text
            for name in ("place", "people", "summary", "difficulties", "policy_asks", "next_step")
        }
        summary = self.query_one("#f-summary", FormField)
        if not (values["summary"].strip() or values["next_step"].strip()):
            summary.show_error(t("visit.summary_needed"))
            summary.input.focus()
            raise FieldError(t("visit.summary_needed"))
        return {
            **values,
            "kind": VisitKind(self.query_one("#f-kind", SelectField).value),
            "occurred_at": occurred,
            "next_on": self.query_one("#f-next_on", FormField).value,
        }

    def write(self, w: Any, values: dict[str, Any]) -> Any:
        from zsfield.store.actions.timeline import log_visit

        visit, _ = log_visit(w, project_id=self.project_id, lead_id=self.lead_id, **values)
        return visit.id

    def _written(self, result: Any) -> None:
        self.dismiss(result)
        self.notify(t("visit.saved"))
        self.zs.data_changed()
