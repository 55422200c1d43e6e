"""A laptop without the operating system's time-zone database (every Windows machine) still knows its zones.

Python's :mod:`zoneinfo` reads the system's IANA database and falls back to the ``tzdata`` package; on Windows
there is no system database, so without ``tzdata`` every ``ZoneInfo("Asia/Shanghai")`` raises
``ZoneInfoNotFoundError``. Here a subprocess runs with ``PYTHONTZPATH`` pointing at an empty folder, which is
what such a machine looks like to Python.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

_PROBE = r"""
import json
from datetime import UTC, date, datetime
from zsfield.clock import Clock
from zsfield.reports import periods

at = datetime(2026, 10, 31, 22, 30, tzinfo=UTC)
print(json.dumps({
    "shanghai": Clock.local(at, "Asia/Shanghai").isoformat(),
    "tokyo": Clock.local(at, "Asia/Tokyo").isoformat(),
    "berlin": Clock.local(at, "Europe/Berlin").isoformat(),
    "local_date": periods.local_date(at, "Asia/Tokyo").isoformat(),
    "end_of_day": periods.end_of_day_utc(date(2026, 10, 31), "Asia/Shanghai").isoformat(),
}))
"""


def test_zones_work_without_a_system_time_zone_database(tmp_path: Path) -> None:
    empty = tmp_path / "no-tzdata"
    empty.mkdir()
    env = {**os.environ, "PYTHONTZPATH": str(empty)}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["shanghai"] == "2026-11-01T06:30:00+08:00"
    assert out["tokyo"] == "2026-11-01T07:30:00+09:00"
    assert out["berlin"] == "2026-10-31T23:30:00+01:00"
    assert out["local_date"] == "2026-11-01"
    assert out["end_of_day"] == "2026-10-31T16:00:00+00:00"
