"""``ZsFooter``: rebuilt when the keys it shows change, and only then."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Button, Input
from textual.widgets._footer import FooterKey

from zsfield.widgets.footer import ZsFooter


class _Counting(ZsFooter):
    composed = 0

    def compose(self) -> Any:
        type(self).composed += 1
        yield from super().compose()


class _Special(Button):
    BINDINGS = [Binding("f6", "press", "特别键")]


class _App(App[None]):
    BINDINGS = [Binding("f2", "bell", "响铃")]

    def compose(self) -> ComposeResult:
        yield Input(id="a")
        yield Input(id="b")
        yield _Special("x", id="special")
        yield _Counting()


def _keys(app: App[Any]) -> list[str]:
    return sorted(str(k.key) for k in app.screen.query(FooterKey))


async def test_footer_follows_the_keys_without_needless_rebuilds() -> None:
    app = _App()
    async with app.run_test() as pilot:
        app.query_one("#a", Input).focus()
        await pilot.pause()
        await pilot.pause()
        assert "f2" in _keys(app) and "f6" not in _keys(app)
        before = _Counting.composed
        for _ in range(3):  # the same keys: nothing to rebuild
            app.query_one("#b", Input).focus()
            await pilot.pause()
            app.query_one("#a", Input).focus()
            await pilot.pause()
        await pilot.pause()
        assert _Counting.composed == before
        app.query_one("#special", _Special).focus()  # a key of its own: shown
        await pilot.pause()
        await pilot.pause()
        assert _Counting.composed > before
        assert "f6" in _keys(app)
        app.query_one("#a", Input).focus()  # and gone again
        await pilot.pause()
        await pilot.pause()
        assert "f6" not in _keys(app)
