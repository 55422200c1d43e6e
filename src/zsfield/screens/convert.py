"""转为项目 — convert a lead screened as real into a project with one owner team, one leader (包保领导) and
one service officer (by default the officer who first received the lead: 首次接待即服务专员).

Dismisses with the new project's id (None when cancelled).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from zsfield.bindings import binding
from zsfield.domain.enums import PARK_AREAS
from zsfield.i18n import t
from zsfield.screens.base import ZsModal
from zsfield.widgets.fields import FormField
from zsfield.widgets.worker_results import while_shown

if TYPE_CHECKING:
    from zsfield.store.read.detail import LeadDetail
    from zsfield.store.read.lookups import ConvertChoices


class ConvertModal(ZsModal):
    """The conversion form; every choice is a Select (enter opens it, type to search, enter picks)."""

    CSS_PATH = "screening.tcss"

    BINDINGS = [
        binding("convert_save", "f10", "save", "convert.key_save"),
        binding("convert_cancel", "escape", "cancel", "key.cancel"),
    ]

    _SELECTS = ("team", "leader", "officer", "park")

    def __init__(self, lead: LeadDetail, choices: ConvertChoices, *, my_team_id: str | None = None) -> None:
        super().__init__()
        self.lead = lead
        self.choices = choices
        team_ids = {o.id for o in choices.teams}
        self.default_team = (
            lead.team_id if lead.team_id in team_ids else (my_team_id if my_team_id in team_ids else None)
        )
        self.default_leader = self._team_leader(self.default_team)
        officer_ids = {o.id for o in choices.officers}
        self.default_officer = lead.received_by if lead.received_by in officer_ids else None
        self._saving = False

    def _team_leader(self, team_id: str | None) -> str | None:
        leader_ids = {o.id for o in self.choices.leaders}
        for team in self.choices.teams:
            if team.id == team_id and team.extra in leader_ids:
                return team.extra
        return None

    def compose(self) -> ComposeResult:
        lead = self.lead
        with Vertical(classes="dialog", id="convert-box"):
            yield Static(t("convert.title", title=lead.title), classes="dialog-title")
            yield Static(t("convert.intro"), classes="muted", id="convert-intro")
            yield FormField("convert.name", value=lead.title, required=True, id="convert-name")
            with Horizontal(classes="convert-row"):
                with Vertical(classes="convert-cell"):
                    yield Label(t("convert.team") + " *")
                    yield Select(
                        [(o.name, o.id) for o in self.choices.teams],
                        prompt=t("convert.choose"),
                        value=self.default_team or Select.NULL,
                        id="convert-team",
                    )
                    yield Static("", classes="convert-error", id="convert-team-error")
                with Vertical(classes="convert-cell"):
                    yield Label(t("convert.leader") + " *")
                    yield Select(
                        [(self._person(o.name, o.extra), o.id) for o in self.choices.leaders],
                        prompt=t("convert.choose"),
                        value=self.default_leader or Select.NULL,
                        id="convert-leader",
                    )
                    yield Static("", classes="convert-error", id="convert-leader-error")
            with Horizontal(classes="convert-row"):
                with Vertical(classes="convert-cell"):
                    yield Label(t("convert.officer") + " *")
                    yield Select(
                        [(self._person(o.name, o.extra), o.id) for o in self.choices.officers],
                        prompt=t("convert.choose"),
                        value=self.default_officer or Select.NULL,
                        id="convert-officer",
                    )
                    yield Static(
                        t("convert.officer_default", name=lead.received_by_name)
                        if lead.received_by_name
                        else "",
                        classes="muted convert-note",
                        id="convert-officer-note",
                    )
                    yield Static("", classes="convert-error", id="convert-officer-error")
                with Vertical(classes="convert-cell"):
                    yield Label(t("convert.park"))
                    yield Select(
                        [(p, p) for p in PARK_AREAS], prompt=t("convert.park_none"), id="convert-park"
                    )
            yield Static("", classes="error-text", id="convert-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("key.cancel") + " (Esc)", id="convert-cancel-btn")
                yield Button(t("convert.save_button"), id="convert-save-btn", variant="success")

    @staticmethod
    def _person(name: str, team: str) -> str:
        return f"{name} · {team}" if team else name

    def on_mount(self) -> None:
        self.query_one("#convert-team", Select).focus()

    def _select(self, name: str) -> Select[Any]:
        return self.query_one(f"#convert-{name}", Select)

    def _value(self, name: str) -> str | None:
        value = self._select(name).value
        return None if value == Select.NULL else str(value)

    @property
    def dirty(self) -> bool:
        return (
            self.query_one("#convert-name", FormField).dirty
            or self._value("team") != self.default_team
            or self._value("leader") != self.default_leader
            or self._value("officer") != self.default_officer
            or self._value("park") is not None
        )

    def has_unsaved_changes(self) -> bool:
        """Asked by the app before quitting (ctrl+q asks first when this is true)."""
        return self.dirty

    @on(Select.Changed, "#convert-team")
    def _team_chosen(self, event: Select.Changed) -> None:
        """A team with a leader of its own proposes that leader, unless one was chosen already."""
        self.query_one("#convert-team-error", Static).update("")
        leader = self._team_leader(self._value("team"))
        if leader and self._value("leader") is None:
            self._select("leader").value = leader

    @on(Select.Changed)
    def _chosen(self, event: Select.Changed) -> None:
        name = (event.select.id or "").removeprefix("convert-")
        if name in ("leader", "officer"):
            self.query_one(f"#convert-{name}-error", Static).update("")

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    @on(Button.Pressed, "#convert-save-btn")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#convert-cancel-btn")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_save(self) -> None:
        if self._saving:
            return
        name_field = self.query_one("#convert-name", FormField)
        ok = name_field.validate_now()
        for key, message in (
            ("team", "action.needs_owner_team"),
            ("leader", "action.needs_leader"),
            ("officer", "action.needs_service_officer"),
        ):
            if self._value(key) is None:
                self.query_one(f"#convert-{key}-error", Static).update(t(message))
                ok = False
        if not ok:
            self.notify(t("form.fix_errors"), severity="warning")
            return
        self._saving = True
        self._save(
            {
                "owner_team_id": self._value("team"),
                "leader_id": self._value("leader"),
                "service_officer_id": self._value("officer"),
                "name": name_field.text.strip(),
                "park_area": self._value("park") or "",
            }
        )

    @work(thread=True, exclusive=True, group="convert-save")
    def _save(self, values: dict[str, Any]) -> None:
        from zsfield.domain.problems import DomainError
        from zsfield.store.actions.leads import convert_lead
        from zsfield.store.read.today import whoami

        try:
            store = self.zs.wait_store()
            me = self.zs.me or whoami(store)
            with store.write(me.id) as w:
                project = convert_lead(w, self.lead.id, **values)
                project_id = project.id
        except DomainError as exc:
            self.app.call_from_thread(self._refused, exc)
            return
        except LookupError:
            self.app.call_from_thread(self._refused_text, t("convert.lead_gone"))
            return
        except Exception as exc:
            self.app.call_from_thread(self._refused_text, str(exc))
            return
        self.app.call_from_thread(self._done, project_id)

    _ERROR_OF = {
        "owner_team_id": "#convert-team-error",
        "leader_id": "#convert-leader-error",
        "service_officer_id": "#convert-officer-error",
    }

    @while_shown
    def _refused(self, exc: Any) -> None:
        self._saving = False
        rest = []
        for problem in exc.problems:
            target = self._ERROR_OF.get(problem.field or "")
            if target:
                self.query_one(target, Static).update(problem.message())
            else:
                rest.append(problem.message())
        self.query_one("#convert-error", Static).update(" · ".join(rest))
        self.notify(exc.message(), title=t("convert.refused"), severity="warning")

    @while_shown
    def _refused_text(self, message: str) -> None:
        self._saving = False
        self.query_one("#convert-error", Static).update(message)
        self.notify(message, title=t("convert.refused"), severity="error")

    @while_shown
    def _done(self, project_id: str) -> None:
        self._saving = False
        self.dismiss(project_id)

    def action_cancel(self) -> None:
        from zsfield.screens.confirm import confirm_leave

        confirm_leave(self.app, self.dirty, lambda: self.dismiss(None))
