"""Command palette (ctrl+p) providers: every screen, and a search over projects and leads by name."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from zsfield.i18n import t

if TYPE_CHECKING:
    from zsfield.app import ZsFieldApp


class ScreensProvider(Provider):
    """Go to any main screen, open help or log a visit."""

    def _commands(self) -> list[tuple[str, str, Any]]:
        app: ZsFieldApp = self.app  # type: ignore[assignment]
        out = [
            (
                t(f"screen.{mode}"),
                t("palette.go_help", screen=t(f"screen.{mode}")),
                partial(app.action_go, mode),
            )
            for mode in app.MODES
        ]
        out.append((t("screen.help"), t("palette.help"), app.action_help))
        out.append((t("key.log_visit"), t("palette.log_visit"), app.action_log_visit))
        return out

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


class RecordSearchProvider(Provider):
    """Find a project or lead by name (or company) and open it."""

    async def search(self, query: str) -> Hits:
        query = query.strip()
        if len(query) < 2:
            return
        app: ZsFieldApp = self.app  # type: ignore[assignment]
        if app.store is None:
            return
        from zsfield.store.read.leads import list_leads
        from zsfield.store.read.projects import ProjectFilter, list_projects

        store = app.store
        projects = await self._run(
            lambda: list_projects(store, ProjectFilter(text=query), limit=20, count=False).rows
        )
        leads = await self._run(lambda: list_leads(store, text_filter=query, limit=10).rows)
        matcher = self.matcher(query)
        for p in projects:
            label = f"{p.name} · {p.company}" if p.company else p.name
            yield Hit(
                max(matcher.match(label), 0.5),
                matcher.highlight(label),
                partial(app.open_project, p.id),
                help=t("palette.project_help", stage=p.stage.label(), team=p.team),
            )
        for lead in leads:
            yield Hit(
                max(matcher.match(lead.title), 0.4),
                matcher.highlight(lead.title),
                partial(app.open_lead, lead.id),
                help=t("palette.lead_help", status=lead.status.label()),
            )

    async def _run(self, fn: Any) -> Any:
        import asyncio

        return await asyncio.get_running_loop().run_in_executor(None, fn)
