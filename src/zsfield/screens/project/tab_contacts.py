"""The contacts tab (联系人)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zsfield.screens.project.modals import (
    ContactModal,
    on_written,
)

if TYPE_CHECKING:
    from zsfield.screens.base import ZsScreen as _Base
else:
    _Base = object


class ContactsTab(_Base):
    """The contacts of :class:`ProjectDetailScreen` (a part of the screen)."""

    def action_add_contact(self) -> None:
        if self.detail is None:
            return
        p = self.detail.project
        self.app.push_screen(
            ContactModal(self.project_id, p.get("company_id"), p.get("owner_team_id")),
            on_written(self.zs.data_changed),
        )
