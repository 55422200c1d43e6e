"""The app header: name, officer, office and its local time, and the sync badge."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from zsfield.format import days_ago, local_time
from zsfield.i18n import t


class AppHeader(Horizontal):
    """One line: ``zsfield │ 张伟 · 上海 14:05 │ ⇅ 3 待上传 · 上次同步 2天前 · 离线``."""

    DEFAULT_CSS = """
    AppHeader { height: 1; dock: top; background: $primary; color: $text; }
    AppHeader > #hdr-app { width: auto; padding: 0 1; text-style: bold; }
    AppHeader > #hdr-who { width: 1fr; padding: 0 1; }
    AppHeader > #hdr-sync { width: auto; padding: 0 1; }
    AppHeader > #hdr-sync.-pending { background: $warning; color: $text; }
    AppHeader > #hdr-sync.-offline { background: $error; }
    """

    def compose(self) -> ComposeResult:
        yield Static("zsfield", id="hdr-app")
        yield Static("", id="hdr-who")
        yield Static("", id="hdr-sync")

    def on_mount(self) -> None:
        app = self.app
        for name in ("me", "outbox_count", "last_sync", "online"):
            self.watch(app, name, lambda _v: self.refresh_text(), init=False)
        self.refresh_text()
        self.set_interval(30, self.refresh_text)

    def refresh_text(self) -> None:
        app = self.app
        me = getattr(app, "me", None)
        clock = app.clock  # type: ignore[attr-defined]
        now = clock.now()
        if me is None:
            who = t("header.opening")
        else:
            office = me.office or t("header.no_office")
            who = f"{me.name or t('header.no_officer')} · {office} {local_time(now, me.tz, with_date=False)}"
        self.query_one("#hdr-who", Static).update(who)
        n = getattr(app, "outbox_count", 0)
        last_text = getattr(app, "last_sync", "")
        last = days_ago(datetime.fromisoformat(last_text), now) if last_text else t("fmt.never")
        online = getattr(app, "online", None)
        state = (
            t("header.online")
            if online
            else (t("header.offline") if online is False else t("header.not_synced"))
        )
        badge = self.query_one("#hdr-sync", Static)
        badge.update(t("header.sync_badge", n=n, last=last, state=state))
        badge.set_class(n > 0, "-pending")
        badge.set_class(online is False, "-offline")
