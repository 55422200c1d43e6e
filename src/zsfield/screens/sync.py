"""同步 (F5) — send the outbox, receive every change, and decide what needs a person.

* ``s`` (or the button) starts a sync in a thread worker — :func:`zsfield.sync.run.run_sync` with a progress
  callback and a cancel event (``x``); the app stays usable, the header's badge follows.
* Tabs (keys 1-4): **conflicts** (both values side by side; ``m`` keep mine, ``t`` take theirs, ``e`` edit —
  each decision is itself an op that syncs), **rejected** (why, and what to do; ``d`` dismisses), the
  **outbox** (what is waiting to be sent) and the **last result**.

No query runs on the UI thread: lists load in workers (``reload``).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import Button, DataTable, Input, ProgressBar, Static, TabbedContent, TabPane

from zsfield.bindings import binding
from zsfield.i18n import CATALOG, t
from zsfield.screens.base import ZsModal, ZsScreen
from zsfield.widgets.table import ZsTable

TABS = ("conflicts", "rejections", "outbox", "result")


def _short(value: Any, n: int = 28) -> str:
    text = (
        "—" if value is None else (value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    )
    text = " ".join(text.split())
    width = 0
    for i, ch in enumerate(text):
        width += 2 if ord(ch) > 0x2E7F else 1
        if width > n:
            return text[:i] + "…"
    return text


def _field_label(entity: str, name: str) -> str:
    if name == "*":
        return t("sync.tui_whole_record")
    key = f"field.{entity}.{name}"
    return t(key) if key in CATALOG else name


def _entity_label(entity: str) -> str:
    key = f"sync.entity.{entity}"
    return t(key) if key in CATALOG else entity


class EditConflictModal(ZsModal):
    """Type the value to keep for a conflicting field (shown with both values)."""

    BINDINGS = [
        binding("edit_save", "f10", "save", "sync.key_save"),
        binding("edit_cancel", "escape", "cancel", "sync.key_close"),
    ]

    def __init__(self, conflict: dict[str, Any]) -> None:
        super().__init__()
        self.conflict = conflict

    def compose(self) -> ComposeResult:
        c = self.conflict
        with Vertical(classes="dialog", id="sync-edit-box"):
            yield Static(
                t("sync.tui_edit_title", field=_field_label(c["entity"], c["field"])), classes="dialog-title"
            )
            yield Static(t("sync.tui_mine") + ": " + _short(c["mine"], 70))
            yield Static(t("sync.tui_theirs") + ": " + _short(c["theirs"], 70))
            mine = c["mine"]
            yield Input(value="" if mine is None else str(mine), id="sync-edit-value")
            yield Static("", classes="error-text", id="sync-edit-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("sync.tui_cancel"), id="cancel")
                yield Button(t("sync.tui_save") + " (F10)", id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#sync-edit-value", Input).focus()

    def _parsed(self) -> Any:
        from zsfield.domain.codec import decode_field, encode_field

        raw = self.query_one("#sync-edit-value", Input).value
        entity, name = self.conflict["entity"], self.conflict["field"]
        for candidate in (raw, _json_or(raw)):
            try:
                return encode_field(entity, name, decode_field(entity, name, candidate))
            except ValueError:
                continue
        raise ValueError(t("sync.tui_bad_value", value=raw))

    def action_save(self) -> None:
        try:
            value = self._parsed()
        except ValueError as exc:
            self.query_one("#sync-edit-error", Static).update(str(exc))
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.dismiss(None)


def _json_or(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


class SyncScreen(ZsScreen):
    """同步 (see the module doc)."""

    CSS_PATH = "sync.tcss"

    BINDINGS = [
        binding("sync_start", "s", "start_sync", "sync.key_start"),
        binding("sync_cancel", "x", "cancel_sync", "sync.key_cancel"),
        binding("sync_mine", "m", "decide('mine')", "sync.key_mine"),
        binding("sync_theirs", "t", "decide('theirs')", "sync.key_theirs"),
        binding("sync_edit", "e", "edit_conflict", "sync.key_edit"),
        binding("sync_dismiss", "d", "dismiss_rejection", "sync.key_dismiss"),
        binding("sync_open", "o", "open_record", "sync.key_open"),
        binding("sync_tab_conflicts", "1", "show('conflicts')", "sync.tab_conflicts", show=False),
        binding("sync_tab_rejections", "2", "show('rejections')", "sync.tab_rejections", show=False),
        binding("sync_tab_outbox", "3", "show('outbox')", "sync.tab_outbox", show=False),
        binding("sync_tab_result", "4", "show('result')", "sync.tab_result", show=False),
    ]

    running: reactive[bool] = reactive(False)
    """A sync is under way (its worker holds :attr:`_cancel`)."""

    def __init__(self) -> None:
        super().__init__()
        self._cancel: threading.Event | None = None
        self._data: dict[str, Any] = {}

    # --- layout ---------------------------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="title-bar", id="sync-top"):
            yield Static(t("sync.tui_heading"), classes="screen-title", id="sync-heading")
            yield Static("…", classes="status-line", id="sync-summary")
        with Horizontal(id="sync-run"):
            yield Button(t("sync.tui_start"), id="sync-start", variant="primary")
            yield ProgressBar(total=None, show_eta=False, id="sync-progress")
            yield Static("", classes="status-line", id="sync-phase")
        with TabbedContent(id="sync-tabs", initial="tab-conflicts"):
            with TabPane(t("sync.tab_conflicts"), id="tab-conflicts"):
                yield ZsTable(id="sync-conflicts", cursor_type="row", zebra_stripes=True)
                with Horizontal(id="sync-sides"):
                    yield Static("", id="sync-mine", classes="sync-side")
                    yield Static("", id="sync-theirs", classes="sync-side")
            with TabPane(t("sync.tab_rejections"), id="tab-rejections"):
                yield ZsTable(id="sync-rejections", cursor_type="row", zebra_stripes=True)
                yield Static("", id="sync-advice", classes="muted")
            with TabPane(t("sync.tab_outbox"), id="tab-outbox"):
                yield ZsTable(id="sync-outbox", cursor_type="row", zebra_stripes=True)
            with TabPane(t("sync.tab_result"), id="tab-result"):
                yield Static("", id="sync-result")

    def on_mount(self) -> None:
        self.query_one("#sync-conflicts", DataTable).add_columns(
            t("sync.col_record"),
            t("sync.col_field"),
            t("sync.tui_mine"),
            t("sync.tui_theirs"),
            t("sync.col_when"),
        )
        self.query_one("#sync-rejections", DataTable).add_columns(
            t("sync.col_record"), t("sync.col_op"), t("sync.col_code"), t("sync.col_why"), t("sync.col_when")
        )
        self.query_one("#sync-outbox", DataTable).add_columns(
            "#", t("sync.col_record"), t("sync.col_op"), t("sync.col_fields"), t("sync.col_when")
        )
        # ZsScreen.on_mount (Textual calls it after this one) starts the first load

    # --- data -----------------------------------------------------------------------------------------------

    def reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="sync-load")
    def _load(self) -> None:
        try:
            store = self.zs.wait_store()
        except RuntimeError:
            return
        from zsfield.store.read.sync_lists import sync_lists

        data = sync_lists(store)
        self.app.call_from_thread(self._show, data)

    def _when(self, text: Any) -> str:
        """A stored UTC time in the officer's time zone."""
        from datetime import datetime

        from zsfield.format import local_time

        if not text:
            return t("sync.tui_never")
        try:
            moment = datetime.fromisoformat(str(text))
        except ValueError:
            return str(text)[:16]
        return local_time(moment, self.officer_tz)

    def _title(self, entity: str, rid: str) -> str:
        title = f"{_entity_label(entity)} {_short(self._data['titles'].get((entity, rid), rid[:8]), 24)}"
        if (entity, rid) in self._data.get("moved_keys", ()):
            return f"{title} ({t('sync.moved_tag')})"
        return title

    def _show(self, data: dict[str, Any]) -> None:
        self._data = data
        state = data["state"]
        server = state.get("server") or t("sync.tui_no_server")
        last = self._when(state.get("last_sync_at"))
        self.query_one("#sync-summary", Static).update(
            t(
                "sync.tui_summary",
                server=server,
                officer=state.get("officer_name") or "—",
                last=last,
                pending=data["pending"],
                conflicts=len(data["conflicts"]),
                rejections=len(data["rejections"]),
            )
        )
        table = self.query_one("#sync-conflicts", DataTable)
        table.clear()
        for c in data["conflicts"]:
            table.add_row(
                self._title(c["entity"], c["entity_id"]),
                _field_label(c["entity"], c["field"]),
                _short(c["mine"]),
                _short(c["theirs"]),
                self._when(c["created_at"]),
                key=c["id"],
            )
        self._show_sides()
        table = self.query_one("#sync-rejections", DataTable)
        table.clear()
        for r in data["rejections"]:
            table.add_row(
                self._title(r["entity"], r["entity_id"]),
                t(f"sync.op.{r['op'].get('op')}")
                if f"sync.op.{r['op'].get('op')}" in CATALOG
                else r["op"].get("op"),
                r["code"],
                _short(r["message"], 40),
                self._when(r["created_at"]),
                key=r["id"],
            )
        self._show_advice()
        table = self.query_one("#sync-outbox", DataTable)
        table.clear()
        for o in data["outbox"]:
            fields = o["fields"] if isinstance(o["fields"], dict) else json.loads(o["fields"] or "{}")
            table.add_row(
                str(o["client_seq"]),
                self._title(o["entity"], o["entity_id"]),
                t(f"sync.op.{o['op']}") if f"sync.op.{o['op']}" in CATALOG else o["op"],
                _short(", ".join(_field_label(o["entity"], k) for k in fields), 40),
                self._when(o["created_at"]),
                key=str(o["client_seq"]),
            )
        self._show_result(state.get("last_result"))

    def _show_result(self, raw: str | None) -> None:
        widget = self.query_one("#sync-result", Static)
        if not raw:
            widget.update(t("sync.tui_no_result"))
            return
        try:
            r = json.loads(raw)
        except ValueError:
            widget.update(raw)
            return
        from zsfield.sync.results import SyncResult, notes, summary_lines

        known = {k: r[k] for k in SyncResult.__dataclass_fields__ if k in r}
        result = SyncResult(**known)
        lines = [*summary_lines(result), self._when(r.get("finished_at")), *notes(result)]
        lines.append(t("sync.done") if result.ok else (result.error or ""))
        widget.update(Text("\n".join(lines)))

    def _selected(self, table_id: str, rows: str) -> dict[str, Any] | None:
        table = self.query_one(table_id, DataTable)
        if not self._data.get(rows) or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((row for row in self._data[rows] if row["id"] == key), None)

    @on(DataTable.RowHighlighted, "#sync-conflicts")
    def _show_sides(self) -> None:
        c = self._selected("#sync-conflicts", "conflicts")
        mine = self.query_one("#sync-mine", Static)
        theirs = self.query_one("#sync-theirs", Static)
        if c is None:
            mine.update(t("sync.no_conflicts"))
            theirs.update("")
            return
        # the values as typed: a bracket in a name is not markup
        mine.update(
            Text.assemble((t("sync.tui_mine"), "bold"), f" (v{c['base_version']})\n{_short(c['mine'], 400)}")
        )
        theirs.update(
            Text.assemble(
                (t("sync.tui_theirs"), "bold"), f" (v{c['server_version']})\n{_short(c['theirs'], 400)}"
            )
        )

    @on(DataTable.RowHighlighted, "#sync-rejections")
    def _show_advice(self) -> None:
        r = self._selected("#sync-rejections", "rejections")
        advice = self.query_one("#sync-advice", Static)
        if r is None:
            advice.update(t("sync.no_rejections"))
            return
        key = f"sync.advice.{r['code']}"
        advice.update(Text(f"{r['message']}\n{t(key) if key in CATALOG else t('sync.advice.other')}"))

    # --- running a sync --------------------------------------------------------------------------------------

    def action_start_sync(self) -> None:
        if self.running:
            self.notify(t("sync.tui_already"), severity="warning")
            return
        self.running = True
        self._cancel = threading.Event()
        self.query_one("#sync-progress", ProgressBar).update(total=None, progress=0)
        self.query_one("#sync-phase", Static).update(t("sync.connecting", server=""))
        self._run(self._cancel)

    def action_cancel_sync(self) -> None:
        if self._cancel is not None and self.running:
            self._cancel.set()

    @on(Button.Pressed, "#sync-start")
    def _start_pressed(self) -> None:
        self.action_start_sync()

    def watch_running(self, running: bool) -> None:
        if self.is_mounted:
            self.query_one("#sync-start", Button).disabled = running

    @work(thread=True, exclusive=True, group="sync-run")
    def _run(self, cancel: threading.Event) -> None:
        from zsfield.sync.results import SyncResult
        from zsfield.sync.run import run_sync

        try:
            store = self.zs.wait_store()
        except RuntimeError as exc:
            self.app.call_from_thread(self._finished, SyncResult(error=str(exc), error_kind="store"))
            return

        def progress(p: Any) -> None:
            self.app.call_from_thread(self._progress, p)

        result = run_sync(store, self.zs.settings, progress=progress, cancel=cancel)
        self.app.call_from_thread(self._finished, result)

    def _progress(self, p: Any) -> None:
        bar = self.query_one("#sync-progress", ProgressBar)
        if p.total:
            bar.update(total=p.total, progress=min(p.done, p.total))
        else:
            bar.update(total=None)
        phase = t(f"sync.phase.{p.phase}") if f"sync.phase.{p.phase}" in CATALOG else p.phase
        self.query_one("#sync-phase", Static).update(Text(f"{phase}: {p.message}"))  # "[Errno 111]" as is

    def _finished(self, result: Any) -> None:
        self.running = False
        self._cancel = None
        bar = self.query_one("#sync-progress", ProgressBar)
        bar.update(total=1, progress=1 if result.ok else 0)
        from zsfield.sync.results import notes, summary_lines

        summary = "\n".join([*summary_lines(result), *notes(result)])
        if result.ok:
            self.query_one("#sync-phase", Static).update(Text(summary))
            self.notify(
                summary, title=t("sync.done"), severity="warning" if result.needs_attention else "information"
            )
        elif result.error_kind == "busy":  # another sync of this database runs: it is not a failure
            self.query_one("#sync-phase", Static).update(Text(result.error or ""))
            self.notify(result.error or "", severity="warning", timeout=10)
        else:
            stopped = "\n".join(filter(None, [summary, result.error or ""]))
            self.query_one("#sync-phase", Static).update(Text(stopped))
            self.notify(stopped, title=t("sync.tui_stopped"), severity="error", timeout=20)
        if result.error_kind != "busy":
            self.zs.online = result.ok if result.error_kind != "not_logged_in" else None
        if result.ok:
            self.zs.last_sync = result.finished_at
        if result.conflicts:
            self.action_show("conflicts")
        elif result.rejections:
            self.action_show("rejections")
        self.zs.data_changed()

    # --- decisions ------------------------------------------------------------------------------------------

    def action_show(self, tab: str) -> None:
        if tab in TABS:
            self.query_one("#sync-tabs", TabbedContent).active = f"tab-{tab}"

    def _current_conflict(self) -> dict[str, Any] | None:
        if self.query_one("#sync-tabs", TabbedContent).active != "tab-conflicts":
            return None
        return self._selected("#sync-conflicts", "conflicts")

    def action_decide(self, choice: str) -> None:
        c = self._current_conflict()
        if c is None:
            self.notify(t("sync.tui_pick_conflict"), severity="warning")
            return
        self._decide(c["id"], choice, None)

    def action_edit_conflict(self) -> None:
        c = self._current_conflict()
        if c is None:
            self.notify(t("sync.tui_pick_conflict"), severity="warning")
            return
        if c["field"] == "*":
            self.notify(t("sync.tui_edit_whole"), severity="warning")
            return

        def edited(value: Any) -> None:
            if value is not None:
                self._decide(c["id"], "edited", value)

        self.app.push_screen(EditConflictModal(c), edited)

    @work(thread=True, group="sync-decide")
    def _decide(self, conflict_id: str, choice: str, value: Any) -> None:
        from zsfield.store.conflicts import ConflictDecisionError, resolve_conflict

        store = self.zs.wait_store()
        me = self.zs.me
        try:
            resolve_conflict(store, conflict_id, choice, value, actor_id=me.id if me else None)
        except ConflictDecisionError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self.notify, t("sync.resolved", choice=t(f"sync.choice.{choice}")))
        self.app.call_from_thread(self.zs.data_changed)

    def action_dismiss_rejection(self) -> None:
        if self.query_one("#sync-tabs", TabbedContent).active != "tab-rejections":
            return
        r = self._selected("#sync-rejections", "rejections")
        if r is not None:
            self._dismiss(r["id"])

    @work(thread=True, group="sync-decide")
    def _dismiss(self, rejection_id: str) -> None:
        from zsfield.store.conflicts import dismiss_rejection

        dismiss_rejection(self.zs.wait_store(), rejection_id)
        self.app.call_from_thread(self.zs.data_changed)

    def action_open_record(self) -> None:
        tab = self.query_one("#sync-tabs", TabbedContent).active
        row = (
            self._selected("#sync-conflicts", "conflicts")
            if tab == "tab-conflicts"
            else self._selected("#sync-rejections", "rejections")
            if tab == "tab-rejections"
            else None
        )
        if row is not None:
            self.zs.open_record(row["entity"], row["entity_id"])

    def record_context(self) -> tuple[str | None, str | None]:
        c = self._current_conflict()
        if c is not None and c["entity"] == "project":
            return (c["entity_id"], None)
        return (None, None)
