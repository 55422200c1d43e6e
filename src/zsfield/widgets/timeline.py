"""The timeline (跟进时间线): one ordered, scrollable history of a project or a lead.

Visits (with their difficulties and next step), follow-ups, stage and status events, service items and
notes, newest first, each with who and when in the officer's local time. Entries are read a page at a time
from :func:`zsfield.store.read.timeline.timeline` in a worker; the next page loads when the cursor or the scroll
reaches the end, so a project with thousands of entries opens as fast as one with three.

Used by the project detail and, later, the supervisor screens::

    yield Timeline(project_id=pid)        # or Timeline(lead_id=lid)
    yield Timeline(project_id=pid, page_size=40, first_page=page)  # a first page the owner read ahead
    ...
    def on_timeline_chosen(self, message: Timeline.Chosen) -> None: ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from zsfield.format import local_time
from zsfield.i18n import t
from zsfield.reports import ZONE_TZ
from zsfield.store.read.common import Page
from zsfield.store.read.timeline import TimelineEntry

_KIND_STYLE = {
    "visit": "bold #5fafff",
    "follow_up": "bold #d7af5f",
    "stage_event": "bold #87d787",
    "service_item": "bold #af87d7",
    "note": "bold #bcbcbc",
}


def _enum_label(enum_name: str, value: Any) -> str:
    """The catalog label of ``value`` in the enum ``enum_name``, or the raw value when unknown."""
    from zsfield.i18n import CATALOG

    key = f"enum.{enum_name}.{value}"
    return t(key) if key in CATALOG else str(value or "")


def entry_text(entry: TimelineEntry, tz: str) -> Text:
    """The lines shown for one entry: kind and time and who; what happened; the details that matter."""
    extra = entry.extra
    sub = extra.get("sub") or ""
    head = Text(no_wrap=True, overflow="ellipsis")
    head.append(t(f"timeline.icon.{entry.kind}") + " ", _KIND_STYLE.get(entry.kind, ""))
    if entry.kind == "visit":
        kind_label = _enum_label("VisitKind", sub)
    elif entry.kind == "stage_event":
        kind_label = _enum_label("EventKind", sub)
    elif entry.kind == "note":
        kind_label = _enum_label("NoteKind", sub)
    else:
        kind_label = t(f"timeline.kind.{entry.kind}")
    head.append(kind_label, _KIND_STYLE.get(entry.kind, ""))
    head.append("  " + local_time(entry.at, tz), "dim")
    if entry.who:
        head.append(" · " + entry.who, "dim")
    lines = [head]

    body = Text(overflow="fold")
    details: list[str] = []
    if entry.kind == "visit":
        body.append(entry.title or "—")
        if extra.get("d3"):
            details.append(t("timeline.place", place=extra["d3"]))
        if entry.detail:
            details.append(t("timeline.difficulties", text=entry.detail))
        if extra.get("d2") or extra.get("d4"):
            details.append(t("timeline.next_step", text=extra.get("d2") or "—", on=extra.get("d4") or "—"))
    elif entry.kind == "follow_up":
        body.append(entry.title)
        if sub == "done":
            details.append(t("timeline.follow_up_done", outcome=entry.detail or "—"))
        else:
            details.append(t("timeline.follow_up_due", on=extra.get("d2") or "—"))
    elif entry.kind == "stage_event":
        enum = "Stage" if sub == "stage" else "ProjectStatus"
        to_label = _enum_label(enum, entry.title)
        from_value = extra.get("d2")
        if from_value:
            body.append(f"{_enum_label(enum, from_value)} → {to_label}")
        else:
            body.append(to_label)
        if extra.get("d3") == "back":
            body.append("  " + t("timeline.backwards"), "bold red")
        if entry.detail:
            details.append(t("timeline.reason", text=entry.detail))
    elif entry.kind == "service_item":
        body.append(f"[{_enum_label('ServiceKind', extra.get('d3'))}] {entry.title}")
        details.append(
            t(
                "timeline.service_state",
                state=_enum_label("ServiceState", sub),
                due=extra.get("d2") or "—",
            )
        )
        if entry.detail:
            details.append(entry.detail)
    else:
        body.append(entry.title)
    lines.append(Text("  ") + body)
    if details:
        lines.append(Text("  " + " · ".join(details), style="italic", overflow="fold"))
    return Text("\n").join(lines)


class TimelineList(OptionList):
    """The option list of entries (a separate class so the timeline's CSS can find it)."""


class Timeline(Vertical):
    """A paged history of one project or lead; enter on an entry posts :class:`Timeline.Chosen`."""

    DEFAULT_CSS = """
    Timeline { height: 1fr; }
    Timeline > .timeline--status { height: 1; color: $text-muted; padding: 0 1; }
    Timeline > TimelineList { height: 1fr; border: none; padding: 0; }
    Timeline > TimelineList:focus { border: none; }
    """

    @dataclass
    class Chosen(Message):
        """An entry was chosen (enter or click)."""

        timeline: Timeline
        entry: TimelineEntry

    @dataclass
    class Loaded(Message):
        """A page arrived; ``shown`` of ``total`` entries are in the list."""

        timeline: Timeline
        shown: int
        total: int

    def __init__(
        self,
        *,
        project_id: str | None = None,
        lead_id: str | None = None,
        page_size: int = 100,
        first_page: Page[TimelineEntry] | None = None,
        tz: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        if bool(project_id) == bool(lead_id):
            raise ValueError("give exactly one of project_id, lead_id")
        super().__init__(id=id, classes=classes)
        self.project_id = project_id
        self.lead_id = lead_id
        self.page_size = page_size
        self.tz = tz  # the officer's time zone, from the screen (None: the screen's officer_tz when shown)
        self._entries: list[TimelineEntry] = []
        self._total = 0
        self._generation = 0
        self._loading = False
        self._first_page = first_page  # read ahead by the owner: shown on mount instead of a first query

    def compose(self) -> ComposeResult:
        yield Static(t("fmt.loading"), classes="timeline--status")
        yield TimelineList()

    @property
    def option_list(self) -> OptionList:
        return self.query_one(TimelineList)

    @property
    def entries(self) -> list[TimelineEntry]:
        """The entries loaded so far, newest first."""
        return list(self._entries)

    @property
    def total(self) -> int:
        return self._total

    def on_mount(self) -> None:
        self.watch(self.option_list, "scroll_y", self._scrolled, init=False)
        first, self._first_page = self._first_page, None
        if first is not None and first.offset == 0:
            self._generation += 1
            self._apply(self._generation, first)
        else:
            self.reload()

    def reload(self) -> None:
        """Read the history again from its first page (after a write, or when shown)."""
        self._generation += 1
        self._loading = True
        self._load(self._generation, 0, self.page_size)

    def _tz(self) -> str:
        """The zone entries are shown in: ``tz`` as the screen gave it, else the screen's own fallback."""
        if self.tz is not None:
            return self.tz
        return getattr(self.screen, "officer_tz", ZONE_TZ)

    @work(thread=True, group="timeline")
    def _load(self, generation: int, offset: int, limit: int) -> None:
        from zsfield.store.read.timeline import timeline

        store = self.app.wait_store()  # type: ignore[attr-defined]
        page = timeline(store, project_id=self.project_id, lead_id=self.lead_id, offset=offset, limit=limit)
        self.app.call_from_thread(self._apply, generation, page)

    def _apply(self, generation: int, page: Page[TimelineEntry]) -> None:
        if generation != self._generation or not self.is_attached:  # a newer page asked for, or closed
            return
        self._loading = False
        ol = self.option_list
        tz = self._tz()
        if page.offset == 0:
            keep = ol.highlighted
            ol.clear_options()
            self._entries = []
        else:
            keep = None
        seen = {e.id for e in self._entries}
        fresh = [e for e in page.rows if e.id not in seen]
        self._entries.extend(fresh)
        ol.add_options([Option(entry_text(e, tz), id=f"{e.kind}:{e.id}") for e in fresh])
        self._total = page.total
        if keep is not None and ol.option_count:
            ol.highlighted = min(keep, ol.option_count - 1)
        status = self.query_one(".timeline--status", Static)
        if not self._entries:
            status.update(t("timeline.empty"))
        else:
            status.update(t("timeline.count", shown=len(self._entries), total=self._total))
        self.post_message(self.Loaded(self, len(self._entries), self._total))
        if page.offset == 0:
            self.call_after_refresh(self._fill_view)

    def _fill_view(self) -> None:
        """A first page shorter than the list's height (a tall terminal) leaves nothing to scroll: the second
        follows at once (once: the cursor moving down asks for the rest)."""
        shown = self.query(TimelineList)  # empty while the widget is being removed (children go first)
        if self.is_attached and shown and not shown.first().max_scroll_y:
            self.load_more()

    def load_more(self) -> bool:
        """Ask for the next page (False when everything is loaded or a page is on its way)."""
        if self._loading or len(self._entries) >= self._total:
            return False
        self._loading = True
        self._load(self._generation, len(self._entries), self.page_size)
        return True

    def _scrolled(self, value: float) -> None:
        ol = self.option_list
        if ol.max_scroll_y and value >= ol.max_scroll_y - 2:
            self.load_more()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option_index >= len(self._entries) - 5:
            self.load_more()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self._entries):
            self.post_message(self.Chosen(self, self._entries[event.option_index]))
