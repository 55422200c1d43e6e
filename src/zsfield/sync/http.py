"""``httpx`` for the sync client, without httpx's optional command-line client.

``import httpx`` also imports ``httpx._main`` (its CLI), which loads Click, Pygments and **Rich** whenever they
are installed — as they are beside Textual. The sync layer must not load Rich (DESIGN: the domain, store,
protocol and sync client never import textual or rich), so that one optional module is skipped; httpx then
falls back to a stub ``main`` and everything else is unchanged.
"""

from __future__ import annotations

import sys

_skip_cli = "httpx" not in sys.modules and "httpx._main" not in sys.modules
if _skip_cli:
    sys.modules["httpx._main"] = None  # type: ignore[assignment]
try:
    import httpx
finally:
    if _skip_cli:
        sys.modules.pop("httpx._main", None)

__all__ = ["httpx"]
