"""A company name field that shows duplicate candidates (查重) while the officer types.

The :class:`~zsfield.domain.company_match.CompanyIndex` is built once per store in a worker (and rebuilt
only when the company table changed); each keystroke asks it for candidates in memory. On a large register
the first build takes a while: until it is ready, each pause in typing asks the database for companies whose
name contains the text, so candidates never wait for the index. Which team already holds a lead or project
on each candidate (首谈负责) is fetched in a worker and added to the list.

Keys while the name field has focus: ↓ / ↑ highlight a candidate, enter links the highlighted one (or,
with none highlighted, moves on: a new company will be created). Editing the text after linking unlinks.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from zsfield.bindings import binding
from zsfield.i18n import t
from zsfield.widgets.worker_results import while_shown

if TYPE_CHECKING:
    from zsfield.domain.company_match import CompanyIndex, MatchCandidate
    from zsfield.store import Store
    from zsfield.store.read.lookups import HeldRecord

_CACHE: weakref.WeakKeyDictionary[Any, tuple[tuple[int, str], Any, dict[str, str]]] = (
    weakref.WeakKeyDictionary()
)
_CACHE_LOCK = threading.Lock()
MAX_CANDIDATES = 6
"""Candidates shown under the company name."""
_BUILD_LOCK = threading.Lock()


def shared_company_index(store: Store) -> tuple[CompanyIndex, dict[str, str]]:
    """The company index of ``store`` and id → legal name, built once and reused until a company changes.

    Call from a worker thread: the first build reads every company.
    """
    from zsfield.store.read.lookups import company_index_key

    key = company_index_key(store)
    with _CACHE_LOCK:
        hit = _CACHE.get(store)
        if hit is not None and hit[0] == key:
            return hit[1], hit[2]
    with _BUILD_LOCK:  # one build at a time: a second caller waits for the first one's result
        with _CACHE_LOCK:
            hit = _CACHE.get(store)
            if hit is not None and hit[0] == key:
                return hit[1], hit[2]
        index, names = _build_gently(store)
        with _CACHE_LOCK:
            _CACHE[store] = (key, index, names)
    return index, names


def _build_gently(store: Store) -> tuple[CompanyIndex, dict[str, str]]:
    """Build the index a slice at a time, sleeping between slices.

    The build is pure Python: run flat out in a worker thread it would hold the interpreter lock and make
    every keystroke wait. Sleeping as long as each slice worked halves the speed of the build and keeps the
    interface responsive; meanwhile the picker asks the database (see :class:`CompanyPicker`).
    """
    import time

    from zsfield.domain.company_match import CompanyIndex
    from zsfield.store.read.lookups import company_names

    index = CompanyIndex()
    names: dict[str, str] = {}
    started = time.perf_counter()
    for company_id, company_names_, credit_code in company_names(store):
        names[company_id] = company_names_[0]
        index.add(company_id, company_names_, credit_code)
        worked = time.perf_counter() - started
        if worked > 0.005:
            time.sleep(worked)
            started = time.perf_counter()
    return index, names


def cached_company_index(store: Store) -> tuple[CompanyIndex, dict[str, str]] | None:
    """The index of ``store`` if one was built already (it may miss the very latest companies), else None."""
    with _CACHE_LOCK:
        hit = _CACHE.get(store)
    return None if hit is None else (hit[1], hit[2])


def holders_text(held: list[HeldRecord], my_team_id: str | None) -> str:
    """Who holds the company: the team of its first lead (首谈负责, else of its first project) and how many
    leads and projects it has — ``首谈：东京驻点招商组（王芳）· 线索 2 · 项目 1``."""
    leads = sorted((h for h in held if h.kind == "lead"), key=lambda h: (h.since is None, h.since))
    projects = [h for h in held if h.kind == "project"]
    first = leads[0] if leads else (projects[0] if projects else None)
    if first is None:
        return ""
    who = first.team or t("capture.no_team")
    if first.officer:
        who = t("capture.team_officer", team=who, officer=first.officer)
    if my_team_id is not None and first.team_id == my_team_id:
        who += t("capture.held_mine")
    parts = [t("capture.held_first", who=who)]
    if leads:
        parts.append(t("capture.held_leads", n=len(leads)))
    if projects:
        parts.append(t("capture.held_projects", n=len(projects)))
    return " · ".join(parts)


class CompanyPicker(Vertical):
    """Label + name input + live duplicate candidates + a line saying what will happen on save."""

    DEFAULT_CSS = """
    CompanyPicker { height: auto; }
    CompanyPicker > Label { color: $text-muted; }
    CompanyPicker > OptionList { height: auto; max-height: 7; border: none; padding: 0; background: $panel; }
    CompanyPicker > OptionList.-empty { display: none; }
    CompanyPicker > .picker-status { color: $text-muted; height: auto; }
    CompanyPicker > .picker-status.-linked { color: $success; }
    CompanyPicker > .picker-status.-warn { color: $warning; }
    CompanyPicker > .field-error { color: $error; height: auto; }
    CompanyPicker.-invalid > Input { border: tall $error; }
    """

    BINDINGS = [
        binding("candidate_next", "down", "move(1)", "capture.key_candidates", show=False),
        binding("candidate_prev", "up", "move(-1)", "capture.key_candidates", show=False),
    ]

    company_id: reactive[str | None] = reactive(None, init=False)
    """The known company chosen from the candidates (None: a new company will be created from the text)."""

    @dataclass
    class Linked(Message):
        """The officer linked (or, with ``company_id`` None, unlinked) a known company."""

        picker: CompanyPicker
        company_id: str | None
        name: str

    def __init__(
        self,
        label_key: str,
        *,
        value: str = "",
        placeholder_key: str | None = None,
        my_team_id: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.label_key = label_key
        self.initial = value
        self.placeholder_key = placeholder_key
        self.my_team_id = my_team_id
        self._index: CompanyIndex | None = None
        self._names: dict[str, str] = {}
        self._candidates: list[MatchCandidate] = []
        self._held: dict[str, list[HeldRecord]] = {}
        self._generation = 0
        self._fallback_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Label(t(self.label_key))
        yield Input(
            value=self.initial,
            placeholder=t(self.placeholder_key) if self.placeholder_key else "",
            id="company-name",
        )
        options = OptionList(id="company-candidates", classes="-empty")
        options.can_focus = False
        yield options
        yield Static("", classes="picker-status")
        yield Static("", classes="field-error")

    def on_mount(self) -> None:
        store = getattr(self.app, "store", None)
        cached = cached_company_index(store) if store is not None else None
        if cached is not None:  # answer at once; the worker still checks that it is current
            self._index, self._names = cached
        self._update_status()
        self._load_index()

    # --- the index ------------------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="company-index")
    def _load_index(self) -> None:
        store = self.app.wait_store()  # type: ignore[attr-defined]
        index, names = shared_company_index(store)
        self.app.call_from_thread(self._index_ready, index, names)

    @while_shown
    def _index_ready(self, index: CompanyIndex, names: dict[str, str]) -> None:
        self._index, self._names = index, names
        self.refresh_candidates()

    @property
    def index_ready(self) -> bool:
        return self._index is not None

    # --- state ------------------------------------------------------------------------------------------------

    @property
    def input(self) -> Input:
        return self.query_one("#company-name", Input)

    @property
    def text(self) -> str:
        return self.input.value

    @property
    def dirty(self) -> bool:
        return self.text != self.initial or self.company_id is not None

    @property
    def candidates(self) -> list[MatchCandidate]:
        return list(self._candidates)

    def legal_name(self, company_id: str) -> str:
        return self._names.get(company_id, "")

    def show_error(self, message: str) -> None:
        self.query_one(".field-error", Static).update(message)
        self.set_class(bool(message), "-invalid")

    @on(Input.Changed, "#company-name")
    def _typed(self, event: Input.Changed) -> None:
        self.show_error("")
        if self.company_id is not None:
            self.company_id = None
            self.post_message(self.Linked(self, None, self.text))
        self.refresh_candidates()

    def refresh_candidates(self) -> None:
        """Ask the index for candidates for the current text (in memory, on every keystroke); when it has
        fewer than a list's worth (a short brand such as 华拓 is below its similarity threshold) or is still
        being built, also ask the database for names containing the text once typing pauses."""
        text = self.text.strip()
        self._generation += 1
        if self._fallback_timer is not None:
            self._fallback_timer.stop()
            self._fallback_timer = None
        if not text or self.company_id is not None:
            self._set_candidates([])
            return
        if self._index is not None:
            self._set_candidates(self._index.candidates(text, limit=MAX_CANDIDATES))
        else:
            self._update_status()
        if len(self._candidates) < MAX_CANDIDATES and len(text) >= 2:
            generation = self._generation
            self._fallback_timer = self.set_timer(0.2, lambda: self._named_like(generation, text))

    def _set_candidates(self, candidates: list[MatchCandidate], *, keep_highlight: bool = False) -> None:
        options = self.query_one(OptionList)
        highlighted = options.highlighted if keep_highlight else None
        self._candidates = candidates
        self._render_options()
        options.highlighted = (
            highlighted if highlighted is not None and highlighted < len(candidates) else None
        )
        self._update_status()
        ids = [c.company_id for c in self._candidates if c.company_id not in self._held]
        if ids:
            self._load_holders(self._generation, ids)

    @work(thread=True, exclusive=True, group="company-like")
    def _named_like(self, generation: int, text: str) -> None:
        from zsfield.domain.company_match import MatchCandidate
        from zsfield.store.read.lookups import companies_named_like

        store = self.app.wait_store()  # type: ignore[attr-defined]
        found = companies_named_like(store, text, limit=MAX_CANDIDATES)
        candidates = [MatchCandidate(o.id, o.name, 0.5, "capture.reason_contains") for o in found]
        self.app.call_from_thread(self._named_like_ready, generation, candidates)

    @while_shown
    def _named_like_ready(self, generation: int, found: list[MatchCandidate]) -> None:
        if generation != self._generation or self.company_id is not None:
            return
        for c in found:
            self._names.setdefault(c.company_id, c.matched_name)
        known = {c.company_id for c in self._candidates} if self._index is not None else set()
        merged = (self._candidates if self._index is not None else []) + [
            c for c in found if c.company_id not in known
        ]
        # the index's own candidates stay first, so a highlighted one stays highlighted
        self._set_candidates(merged[:MAX_CANDIDATES], keep_highlight=self._index is not None)

    def _render_options(self) -> None:
        options = self.query_one(OptionList)
        highlighted = options.highlighted
        options.clear_options()
        for c in self._candidates:
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(self._names.get(c.company_id, c.matched_name), style="bold")
            line.append("  " + t(c.reason), style="italic")
            held = self._held.get(c.company_id)
            if held:
                line.append("  " + holders_text(held, self.my_team_id), style="yellow")
            options.add_option(Option(line, id=c.company_id))
        options.set_class(not self._candidates, "-empty")
        if highlighted is not None and highlighted < len(self._candidates):
            options.highlighted = highlighted

    @work(thread=True, exclusive=True, group="company-holders")
    def _load_holders(self, generation: int, company_ids: list[str]) -> None:
        from zsfield.store.read.lookups import leads_for_companies, projects_for_companies

        store = self.app.wait_store()  # type: ignore[attr-defined]
        held: dict[str, list[HeldRecord]] = {c: [] for c in company_ids}
        for h in projects_for_companies(store, company_ids) + leads_for_companies(store, company_ids):
            held.setdefault(h.company_id, []).append(h)
        self.app.call_from_thread(self._holders_ready, generation, held)

    @while_shown
    def _holders_ready(self, generation: int, held: dict[str, list[HeldRecord]]) -> None:
        self._held.update(held)
        if generation == self._generation:
            self._render_options()

    def _update_status(self) -> None:
        status = self.query_one(".picker-status", Static)
        status.set_class(self.company_id is not None, "-linked")
        status.set_class(False, "-warn")
        text = self.text.strip()
        if self.company_id is not None:
            message = t("capture.linked", name=self._names.get(self.company_id, text))
        elif not text:
            message = t("capture.company_hint" if self._index is not None else "capture.index_loading")
        elif self._candidates:
            message = t("capture.candidates_hint", n=len(self._candidates))
            status.set_class(True, "-warn")
        elif self._index is None:
            message = t("capture.index_loading")
        else:
            message = t("capture.new_company", name=text)
        status.update(message)

    # --- keys -------------------------------------------------------------------------------------------------

    def action_move(self, step: int) -> None:
        if not self._candidates:
            return
        options = self.query_one(OptionList)
        n = len(self._candidates)
        if options.highlighted is None:
            options.highlighted = 0 if step > 0 else n - 1
        else:
            options.highlighted = (options.highlighted + step) % n

    def link(self, company_id: str) -> None:
        """Link the known company ``company_id`` (the typed text is kept as the name officers use)."""
        self.company_id = company_id
        self._candidates = []
        self._render_options()
        self._update_status()
        self.post_message(self.Linked(self, company_id, self._names.get(company_id, self.text)))

    @on(Input.Submitted, "#company-name")
    def _submitted(self, event: Input.Submitted) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None and self._candidates:
            event.stop()
            self.link(self._candidates[options.highlighted].company_id)

    @on(OptionList.OptionSelected)
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.link(event.option.id)
            self.input.focus()
