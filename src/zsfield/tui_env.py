"""What Textual reads from the environment when it is first imported, set before that import (a value the
officer set in the environment wins).

* ``TEXTUAL_FPS`` = 120: Textual draws changes at most this many times a second, on a fixed beat. At its
  default of 60, a keystroke's new rows wait up to 17 ms for the next beat, a third of the 50 ms a filter
  keystroke may take (issue 7); at 120 the wait is at most 8 ms. Drawing happens only when something
  changed, so an idle app costs nothing more.
"""

from __future__ import annotations

import os

FRAME_RATE = 120


def prepare() -> None:
    """Call before the first ``import textual`` (``zsfield`` opening the app; the benchmarks)."""
    os.environ.setdefault("TEXTUAL_FPS", str(FRAME_RATE))
