"""The long-lived heap, kept out of the cyclic garbage collector's full passes (no Textual here).

A full pass walks every tracked object. In the app (Textual, SQLAlchemy, the screens) that is some hundred
thousand objects built at start-up and alive until exit: 50–100 ms a pass, a stall in the middle of typing.
(The sync server settles its own process the same way, in :func:`zsfield_sync.api.serving`.) :func:`settle` collects what start-up left as garbage
(so nothing unreachable is kept for ever) and freezes the rest; later garbage is collected as before.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Once start-up is over: collect its garbage, then move what is alive out of the full passes."""
    gc.collect()
    gc.freeze()
