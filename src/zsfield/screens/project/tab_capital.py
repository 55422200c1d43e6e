"""The foreign capital tab (外资): contracted against received, and the receipts."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from textual.widgets import DataTable, Static

from zsfield.format import amount, amount_usd, day
from zsfield.i18n import t
from zsfield.screens.project.fields import (
    _plain,
)
from zsfield.screens.project.modals import (
    ReceiptModal,
    on_written,
)

if TYPE_CHECKING:
    from zsfield.screens.base import ZsScreen as _Base
else:
    _Base = object


class CapitalTab(_Base):
    """The foreign capital of :class:`ProjectDetailScreen` (a part of the screen)."""

    def _fill_capital(self, d: Any) -> None:
        p = d.project
        contracted = p.get("foreign_capital_contracted")
        cur = p.get("foreign_capital_currency") or "USD"
        rate = p.get("foreign_capital_rate_usd")
        contracted_usd = None
        if contracted is not None:
            contracted_usd = contracted if cur == "USD" else (contracted * rate if rate else None)
        pct = ""
        if contracted_usd:
            pct = f" ({(d.received_usd * 100 / contracted_usd).quantize(Decimal(1))}%)"
        self.query_one("#cap-summary", Static).update(
            t(
                "cap.summary",
                contracted=amount(contracted, cur) if contracted is not None else "—",
                contracted_usd=amount_usd(contracted_usd),
                received=amount_usd(d.received_usd),
                pct=pct,
            )
        )
        cap = self.query_one("#cap-table", DataTable)
        cap.clear()
        for r in d.receipts:
            cap.add_row(
                day(r.received_on),
                f"{r.currency} {r.amount:,}",
                _plain(r.rate_to_usd),
                amount_usd(r.amount_usd),
                key=r.id,
            )

    def action_add_receipt(self) -> None:
        cur = (self.detail.project.get("foreign_capital_currency") if self.detail else None) or "USD"
        self.app.push_screen(
            ReceiptModal(self.project_id, self._today(), cur), on_written(self.zs.data_changed)
        )
