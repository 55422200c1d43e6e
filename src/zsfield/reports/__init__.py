"""Supervision and reports (督查与报表): targets and 序时进度, 赛马 ranking, 督办 lists, the monthly report
(月度专报), the weekly collection table (项目信息采集表), xlsx / csv export and lead import.

Every figure is computed here, once, for the CLI, the TUI and the tests. No Textual or Rich here (a test
checks it). Computations never read the clock: callers pass ``as_of`` / ``today``. Reports only read: their
writes (targets, 督办 notes, lead import) are actions in :mod:`zsfield.store.actions`, and the follow-up rules
they count by (stale, overdue, last touch) are those of :mod:`zsfield.store.read.rules`.

Modules:

- :mod:`~zsfield.reports.periods`      months, ISO weeks, years; the share of the year elapsed (序时)
- :mod:`~zsfield.reports.facts`        one read of the projects, teams, receipts, leads the reports need
- :mod:`~zsfield.reports.targets`      任务分解表: progress per owner and band, 序时进度, the monthly curve
- :mod:`~zsfield.reports.ranking`      赛马: scores from a rules table (data, not code), 卓越 and 蜗牛
- :mod:`~zsfield.reports.supervision`  timeline review, stale projects, overdue items, 两未 / 三未
- :mod:`~zsfield.reports.monthly`      月度专报 tables
- :mod:`~zsfield.reports.weekly`       项目信息采集表
- :mod:`~zsfield.reports.export`       deterministic xlsx (openpyxl) and csv
- :mod:`~zsfield.reports.tabular`      reading xlsx / csv files with a header row
- :mod:`~zsfield.reports.importer`     lead import with header mapping, duplicate check and dry run
"""

from __future__ import annotations

ZONE_TZ = "Asia/Shanghai"
"""The zone's reports are kept in China time: a day ends at midnight in Asia/Shanghai."""

__all__ = ["ZONE_TZ"]
