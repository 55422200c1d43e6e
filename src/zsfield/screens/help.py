"""F1: every binding of the app and of the screen underneath, with its id (for rebinding) and meaning."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from zsfield.bindings import binding, describe
from zsfield.i18n import t
from zsfield.screens.base import ZsModal
from zsfield.widgets.table import ZsTable


class HelpScreen(ZsModal):
    """Lists the keys; escape closes."""

    BINDINGS = [binding("close_help", "escape", "dismiss", "key.close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box", classes="dialog"):
            yield Static(t("help.title"), classes="dialog-title")
            # plain text: "[bindings]" is the config section, not Rich markup
            yield Static(
                t("help.rebind", file=str(self.zs.settings.config_file)), classes="muted", markup=False
            )
            yield ZsTable(id="help-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column(t("help.col_key"), key="key")
        table.add_column(t("help.col_action"), key="action")
        table.add_column(t("help.col_id"), key="id")
        table.add_column(t("help.col_where"), key="where")
        seen: set[tuple[str, str]] = set()
        stack = [s for s in self.app.screen_stack if s is not self]
        sources = [(t("help.where_app"), self.app)] + [
            (t("help.where_screen"), s) for s in reversed(stack[-1:])
        ]
        for where, node in sources:
            for key, bid, desc in describe(node):
                if (key, bid) in seen:
                    continue
                seen.add((key, bid))
                table.add_row(*(Text(cell) for cell in (key, desc, bid or "—", where)))
        table.add_row(
            *(Text(c) for c in ("ctrl+p", t("help.palette"), "command_palette", t("help.where_app")))
        )
