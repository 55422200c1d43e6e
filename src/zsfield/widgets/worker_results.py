"""Results that workers hand back to the UI thread (``call_from_thread``) may arrive after their screen or
widget was closed: :func:`while_shown` drops them then instead of failing on widgets that are gone."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from textual.css.query import NoMatches

F = TypeVar("F", bound=Callable[..., Any])


def while_shown(method: F) -> F:
    """Run ``method`` only while its node is part of the app; a node being closed drops the result."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not self.is_attached:
            return None
        try:
            return method(self, *args, **kwargs)
        except NoMatches:
            if self.is_attached and not getattr(self, "_closing", False):
                raise  # a real mistake, not a screen on its way out
            return None

    return wrapper  # type: ignore[return-value]
