"""The Textual app: frame, navigation, the store opened off the UI thread, and the command palette.

First paint never waits on the database: the store is opened (and migrated) in a worker after mount,
and every screen loads its data in its own worker, showing a placeholder until it arrives.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App
from textual.message import Message
from textual.reactive import reactive

from zsfield.bindings import GLOBAL_KEYS, localize, make_bindings
from zsfield.clock import Clock
from zsfield.i18n import t

if TYPE_CHECKING:
    from zsfield.config import Settings
    from zsfield.store import Store
    from zsfield.store.read.today import Me


def _screen_factory(module: str, cls: str) -> Callable[[], Any]:
    def make() -> Any:
        import importlib

        return getattr(importlib.import_module(module), cls)()

    return make


# Main screens: (mode name, module, class). A screen whose module is not there yet is simply absent.
MAIN_SCREENS: tuple[tuple[str, str, str], ...] = (
    ("dashboard", "zsfield.screens.dashboard", "DashboardScreen"),
    ("leads", "zsfield.screens.leads", "LeadsScreen"),
    ("projects", "zsfield.screens.projects", "ProjectsScreen"),
    ("sync", "zsfield.screens.sync", "SyncScreen"),
    ("supervision", "zsfield.screens.supervision", "SupervisionScreen"),
)


def _available_modes() -> dict[str, Callable[[], Any]]:
    import importlib.util

    modes: dict[str, Callable[[], Any]] = {}
    for name, module, cls in MAIN_SCREENS:
        if importlib.util.find_spec(module) is not None:
            modes[name] = _screen_factory(module, cls)
    return modes


class ZsFieldApp(App[int]):
    """zsfield: the officer's terminal app."""

    CSS_PATH = "app.tcss"
    TITLE = "zsfield"
    BINDINGS = make_bindings(GLOBAL_KEYS)
    ENABLE_COMMAND_PALETTE = True

    me: reactive[Me | None] = reactive(None)
    """The officer using this laptop (None until the store is open)."""
    outbox_count: reactive[int] = reactive(0)
    """Ops waiting to be pushed, for the header's sync badge."""
    last_sync: reactive[str] = reactive("")
    """When the last sync finished (UTC ISO text, '' for never)."""
    online: reactive[bool | None] = reactive(None)
    """Whether the last contact with the server worked (None: not tried)."""

    class StoreOpened(Message):
        """The database is open and migrated; screens may query."""

    class StoreFailed(Message):
        """The database could not be opened; the message says why."""

        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    class DataChanged(Message):
        """Something was written; visible lists should reload."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: Store | None = None,
        clock: Clock | None = None,
        start_mode: str = "dashboard",
    ) -> None:
        from zsfield.commands_palette import RecordSearchProvider, ScreensProvider

        self.settings = settings
        self.clock = clock or Clock()
        self.store: Store | None = store
        self.store_error: str | None = None
        self._store_ready = threading.Event()
        self._session_store: Store | None = None  # the store this app opened (its session marker is ours)
        self._store_open_started = False
        self._failures_shown: set[str] = set()
        self._start_mode = start_mode
        self._opening: object | None = None  # the project open_project is reading, until it is shown
        self.MODES = _available_modes()
        self.COMMANDS = App.COMMANDS | {ScreensProvider, RecordSearchProvider}
        super().__init__()
        localize(self)
        if settings.bindings:
            self.set_keymap(dict(settings.bindings))

    # --- store ------------------------------------------------------------------------------------------------

    def on_mount(self) -> None:
        if self._start_mode in self.MODES:
            self.switch_mode(self._start_mode)
            self.call_after_refresh(self.first_paint_done)  # the first screen on the terminal, then the store
        else:
            self.first_paint_done()

    def first_paint_done(self) -> None:
        """The first screen is on the terminal: now open the store (its imports and queries would otherwise
        compete with the first paint for the interpreter)."""
        if not self._store_open_started:
            self._store_open_started = True
            self._open_store()

    @work(thread=True, exclusive=True, group="store")
    def _open_store(self) -> None:
        from zsfield.store import Store, StoreError
        from zsfield.store.read.today import whoami

        try:
            if self.store is None:
                store = Store.open(self.settings.db_path)
                store.begin_session()
                self._session_store = store
                self.store = store
            me = whoami(self.store)
            outbox = int(self.store.scalar("SELECT count(*) FROM outbox") or 0)
            last = self.store.get_state("last_sync_at") or ""
            ok = self.store.get_state("last_sync_ok")
        except Exception as exc:
            # a damaged page may only show at the first read: never leave the screens' workers waiting
            self._store_ready.set()
            message = str(exc) if isinstance(exc, StoreError) else self._store_failure(exc)
            if message is None:
                raise
            self.store_error = message
            self.post_message(self.StoreFailed(message))
            return
        self._store_ready.set()
        self.call_from_thread(self._set_identity, me, outbox, last, ok)
        self.post_message(self.StoreOpened())
        if self._session_store is not None and not self._session_store.integrity_checked:
            # every page checked, once the first screen has its data: a damaged file is still reported
            # within seconds, without making every start wait for a full read of the file
            self.call_from_thread(self.set_timer, 3.0, self._check_integrity)

    @work(thread=True, exclusive=True, group="integrity")
    def _check_integrity(self) -> None:
        from zsfield.store.engine import integrity_problem
        from zsfield.store.errors import DatabaseCorrupt

        store = self._session_store
        if store is None:
            return
        try:
            problem = integrity_problem(store.engine)
        except Exception as exc:  # noqa: BLE001 - a file too damaged to check is damaged
            problem = str(exc)
        if problem is None:
            return
        error = DatabaseCorrupt("store.integrity", path=store.path, problem=problem)
        self.post_message(self.StoreFailed(error.message() if hasattr(error, "message") else str(error)))

    def run(self, *args: Any, **kwargs: Any) -> int | None:
        try:
            return super().run(*args, **kwargs)
        finally:
            if self._session_store is not None:
                self._session_store.end_session()

    def _set_identity(self, me: Me, outbox: int, last: str, ok: str | None) -> None:
        from zsfield import heap

        heap.settle()  # what is alive now (modules, the ORM's tables, the screens) lives as long as the app
        self.me = me
        self.outbox_count = outbox
        self.last_sync = last
        self.online = None if ok is None else ok == "1"

    def wait_store(self, timeout: float = 30.0) -> Store:
        """The open store, waiting for it (call from worker threads only). Raises if it failed to open."""
        self._store_ready.wait(timeout)
        if self.store is None:
            raise RuntimeError(self.store_error or t("app.store_not_open"))
        return self.store

    def _handle_exception(self, error: Exception) -> None:
        """A worker that failed on the database (a damaged page met by a query, the store not open) shows
        why and what to do, once, instead of closing the app; anything else still ends the app."""
        from textual.worker import WorkerFailed

        message = self._store_failure(error.error if isinstance(error, WorkerFailed) else error)
        if message is None:
            super()._handle_exception(error)
            return
        self.store_error = (
            self.store_error or message
        )  # what went wrong with the database, for status and tests
        if message not in self._failures_shown:
            self._failures_shown.add(message)
            self.notify(message, title=t("app.store_failed"), severity="error", timeout=30)

    def _store_failure(self, error: BaseException) -> str | None:
        from zsfield.store.errors import StoreError

        if isinstance(error, StoreError):
            return error.message() if hasattr(error, "message") else str(error)
        if isinstance(error, RuntimeError) and self.store is None and self.store_error:
            return self.store_error  # wait_store(): the store never opened (StoreFailed said why)
        import sqlite3

        original = getattr(error, "orig", error)
        if isinstance(original, sqlite3.DatabaseError):
            from zsfield.store.engine import translate_error

            translated = translate_error(error, self.settings.db_path)
            if translated is not None:
                return self._store_failure(translated)
        return None

    def on_zs_field_app_store_failed(self, message: StoreFailed) -> None:
        self.notify(message.error, title=t("app.store_failed"), severity="error", timeout=30)

    def refresh_outbox(self) -> None:
        """Re-count the outbox (after a write) without blocking the UI."""
        self._count_outbox()

    @work(thread=True, group="outbox")
    def _count_outbox(self) -> None:
        if self.store is None:
            return
        n = int(self.store.scalar("SELECT count(*) FROM outbox") or 0)
        self.call_from_thread(setattr, self, "outbox_count", n)

    def data_changed(self) -> None:
        """Tell the visible screen that data changed, and refresh the sync badge."""
        self.refresh_outbox()
        self.screen.post_message(self.DataChanged())

    # --- navigation -------------------------------------------------------------------------------------------

    def action_go(self, mode: str) -> None:
        if mode in self.MODES:
            self.switch_mode(mode)
        else:
            self.notify(t("app.not_available", screen=t(f"screen.{mode}")), severity="warning")

    def action_quit(self) -> None:
        """Quit; when a screen holds unsaved input (its ``has_unsaved_changes()`` says so), ask first."""
        from zsfield.screens.confirm import ConfirmModal

        if isinstance(self.screen, ConfirmModal) or not any(
            getattr(s, "has_unsaved_changes", lambda: False)() for s in self.screen_stack
        ):
            self.exit()
            return

        def answered(leave: bool | None) -> None:
            if leave:
                self.exit()

        self.push_screen(
            ConfirmModal("form.unsaved_title", "form.unsaved_body", "form.leave", "form.stay"), answered
        )

    def action_help(self) -> None:
        from zsfield.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def action_log_visit(self) -> None:
        """Open the visit / follow-up capture for the record in view (or ask which one)."""
        try:
            from zsfield.screens.visit_capture import VisitCaptureModal
        except ModuleNotFoundError:
            self.notify(t("app.not_available", screen=t("key.log_visit")), severity="warning")
            return
        context = getattr(self.screen, "record_context", None)
        project_id, lead_id = context() if callable(context) else (None, None)
        self.push_screen(VisitCaptureModal(project_id=project_id, lead_id=lead_id))

    PREFETCH_WAIT = 0.15
    """Seconds ``open_project`` waits for the project's data before showing the screen without it."""

    def open_project(self, project_id: str) -> None:
        """Show a project: its data is read first (a few ms), so the screen is built once, with its fields;
        a database slower than :attr:`PREFETCH_WAIT` gets the screen at once, which then loads by itself."""
        try:
            from zsfield.screens.project import ProjectDetailScreen
        except ModuleNotFoundError:
            self.notify(t("app.not_available", screen=t("screen.project")), severity="warning")
            return
        token = object()
        self._opening = token

        def show(preloaded: Any = None) -> None:
            if self._opening is token:  # not shown yet, and no other project asked for since
                self._opening = None
                self.push_screen(ProjectDetailScreen(project_id, preloaded=preloaded))

        self.set_timer(self.PREFETCH_WAIT, show)
        self._prefetch_project(project_id, show)

    @work(thread=True, group="prefetch")
    def _prefetch_project(self, project_id: str, show: Callable[[Any], None]) -> None:
        from zsfield.screens.project import read_project

        if not self._store_ready.is_set():
            return  # still opening: the timer shows the screen, which waits for the store itself
        try:
            data = read_project(self.wait_store(), project_id, with_options=True, with_timeline=True)
        except Exception:  # noqa: BLE001 - the screen's own load reads again and reports what is wrong
            data = None
        self.call_from_thread(show, data)

    def open_lead(self, lead_id: str) -> None:
        try:
            from zsfield.screens.screening import ScreeningScreen
        except ModuleNotFoundError:
            self.notify(t("app.not_available", screen=t("screen.lead")), severity="warning")
            return
        self.push_screen(ScreeningScreen(lead_id))

    def open_record(
        self, kind: str, record_id: str, *, project_id: str | None = None, lead_id: str | None = None
    ) -> None:
        """Open whatever a row points at: a project, a lead, or the project/lead an item belongs to."""
        if kind == "project":
            self.open_project(record_id)
        elif kind == "lead":
            self.open_lead(record_id)
        elif project_id:
            self.open_project(project_id)
        elif lead_id:
            self.open_lead(lead_id)


def make_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    lang: str | None = None,
    start_mode: str = "dashboard",
) -> ZsFieldApp:
    """The app for the CLI and the tests (settings from the environment when not given)."""
    from zsfield.config import load_settings
    from zsfield.i18n import set_language

    settings = settings or load_settings()
    set_language(lang or settings.language)
    return ZsFieldApp(settings, store=store, clock=clock, start_mode=start_mode)
