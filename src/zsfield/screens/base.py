"""The base of every main screen and modal: header and footer, localized bindings, data loaded in workers.

Read docs/TUI.md (the house conventions for screens, bindings, catalog files, tests) before adding a screen.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.screen import ModalScreen, Screen

from zsfield.bindings import localize
from zsfield.reports import ZONE_TZ
from zsfield.widgets.footer import ZsFooter
from zsfield.widgets.header import AppHeader

if TYPE_CHECKING:
    from zsfield.app import ZsFieldApp


class OfficerTime:
    """The one time-zone fallback of screens and modals: the signed-in officer's zone, else the zone's
    (:data:`zsfield.reports.ZONE_TZ`, China time). Widgets get it from their screen, as an attribute."""

    app: Any

    @property
    def officer_tz(self) -> str:
        me = self.app.me
        return me.tz if me is not None else ZONE_TZ

    @property
    def officer_today(self) -> date:
        """Today's date where the signed-in officer is, on the app's clock."""
        return self.app.clock.today(self.officer_tz)


class ZsScreen(OfficerTime, Screen[Any]):
    """A main screen. Subclasses implement ``compose_body`` and ``reload`` (which starts a thread worker
    that calls ``self.zs.wait_store()``, queries, and hands the result back with ``call_from_thread``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        localize(self)

    @property
    def zs(self) -> ZsFieldApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield from self.compose_body()
        yield ZsFooter()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def reload(self) -> None:
        """Load (or reload) this screen's data in a worker; the default does nothing."""

    _first_load_started = False
    _suspended = False

    def on_mount(self) -> None:
        self._first_load_started = True
        self.reload()  # its worker waits for the store, which the app opens once the first screen is painted

    def on_screen_suspend(self) -> None:
        self._suspended = True

    def on_screen_resume(self) -> None:
        # only coming back reloads: the first show's data is already on its way from on_mount
        if self._suspended and self.is_mounted:
            self._suspended = False
            self.reload()

    def on_zs_field_app_data_changed(self) -> None:
        self.reload()

    def on_zs_field_app_store_opened(self) -> None:
        """The first load (started on mount) already waits for the store: a second one would repeat it."""
        if not self._first_load_started:
            self._first_load_started = True
            self.reload()

    def record_context(self) -> tuple[str | None, str | None]:
        """(project_id, lead_id) of the record in view, for the visit capture key. None: ask."""
        return (None, None)


class ZsModal(OfficerTime, ModalScreen[Any]):
    """A modal dialog with localized bindings."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        localize(self)

    @property
    def zs(self) -> ZsFieldApp:
        return self.app  # type: ignore[return-value]
