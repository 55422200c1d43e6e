"""Report, import and target commands: ``zsfield report monthly|weekly|ranking``, ``zsfield import leads``,
``zsfield targets show|import``.

Bad arguments (a month that is not a month, an unknown format, a file that cannot be read) end with a
message and exit code 2, never a traceback; nothing is written then. ``import leads`` ends with 1 when some
rows were refused (the good ones are written unless ``--strict``), 0 when every row was fine.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from zsfield.commands import add_db_argument, settings_for


def register(sub: Any) -> None:
    report = sub.add_parser(
        "report", help="monthly report, weekly collection table, 赛马 ranking (xlsx / csv)"
    )
    rsub = report.add_subparsers(dest="report_command", metavar="REPORT", required=True)

    p = rsub.add_parser("monthly", help="月度专报 of a month as xlsx or csv")
    p.add_argument("--month", required=True, help="the month, YYYY-MM (e.g. 2026-10)")
    _report_options(p, "monthly")
    p.set_defaults(func=cmd_monthly)

    p = rsub.add_parser("weekly", help="项目信息采集表 of an ISO week as xlsx or csv")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--week", help="the ISO week, YYYY-Www (e.g. 2026-W47)")
    which.add_argument("--date", help="any day of the week, YYYY-MM-DD (default: today)")
    _report_options(p, "weekly")
    p.set_defaults(func=cmd_weekly)

    p = rsub.add_parser("ranking", help="赛马: teams ranked by the scoring rules, with 卓越 and 蜗牛")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--year", help="rank the year to date (default: this year)")
    which.add_argument("--month", help="rank one month, YYYY-MM")
    p.add_argument("--as-of", dest="as_of", help="count up to this day, YYYY-MM-DD (default: today)")
    p.add_argument(
        "--rules", help="scoring rules (TOML); default: $ZSFIELD_RANKING_RULES, else the built-in table"
    )
    p.add_argument("--show-rules", action="store_true", help="print the built-in rules table and exit")
    add_db_argument(p)
    p.set_defaults(func=cmd_ranking)

    imp = sub.add_parser("import", help="import records from a file")
    isub = imp.add_subparsers(dest="import_command", metavar="WHAT", required=True)
    p = isub.add_parser("leads", help="import leads from .xlsx or .csv (headers in Chinese or English)")
    p.add_argument("file", help="the .xlsx or .csv file")
    p.add_argument("--dry-run", action="store_true", help="check and preview only; write nothing")
    p.add_argument(
        "--keep-duplicates", action="store_true", help="also import rows flagged as duplicate leads"
    )
    p.add_argument("--strict", action="store_true", help="write nothing if any row is refused")
    add_db_argument(p)
    p.set_defaults(func=cmd_import_leads)

    tg = sub.add_parser("targets", help="任务分解表: show progress and 序时进度, import a year's targets")
    tsub = tg.add_subparsers(dest="targets_command", metavar="ACTION", required=True)
    p = tsub.add_parser("show", help="progress per owner and band against the pro-rata target")
    p.add_argument("--year", help="the year (default: this year)")
    p.add_argument("--as-of", dest="as_of", help="count up to this day, YYYY-MM-DD (default: today)")
    add_db_argument(p)
    p.set_defaults(func=cmd_targets_show)
    p = tsub.add_parser(
        "import", help="enter targets from .xlsx / .csv (year, kind, owner, one column per band)"
    )
    p.add_argument("file")
    p.add_argument("--year", help="year for rows without a year column")
    p.add_argument("--dry-run", action="store_true", help="check only; write nothing")
    add_db_argument(p)
    p.set_defaults(func=cmd_targets_import)


def _report_options(p: argparse.ArgumentParser, kind: str) -> None:
    p.add_argument("--format", dest="fmt", help="xlsx or csv (default: from the file name, else xlsx)")
    p.add_argument("--out", help=f"the file to write (default: zsfield-{kind}-PERIOD.xlsx here)")
    p.add_argument(
        "--as-of", dest="as_of", help="count up to this day, YYYY-MM-DD (default: the period's end)"
    )
    p.add_argument(
        "--report-lang", choices=["zh", "en"], default="zh", help="language of the sheets (default zh)"
    )
    add_db_argument(p)


# --- helpers ---------------------------------------------------------------------------------------------------


def _pad(text: str, width: int, *, right: bool = False) -> str:
    """``text`` padded to ``width`` terminal columns (CJK characters take two)."""
    import unicodedata

    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    fill = " " * max(0, width - used)
    return fill + text if right else text + fill


def _fail(exc: Exception) -> Exception:
    from zsfield.cli import CliError

    message = exc.message() if hasattr(exc, "message") else str(exc)  # type: ignore[attr-defined]
    return CliError(message, 2)


def _today() -> date:
    from zsfield.clock import Clock
    from zsfield.reports import ZONE_TZ

    return Clock().today(ZONE_TZ)


def _day(text: str | None) -> date | None:
    from zsfield.reports.periods import parse_day

    return parse_day(text) if text else None


def _out_path(args: argparse.Namespace, kind: str, code: str) -> tuple[Path, str]:
    from zsfield.cli import CliError
    from zsfield.i18n import t
    from zsfield.reports.export import format_for

    if args.out:
        out = Path(args.out).expanduser()
        suffix = out.suffix.lstrip(".").lower()
        fmt = format_for(out, args.fmt or (suffix if suffix in ("xlsx", "csv") else "xlsx"))
        if suffix in ("xlsx", "csv") and suffix != fmt:
            raise CliError(t("rep.cli.format_mismatch", path=str(out), format=fmt), 2)
    else:
        fmt = format_for("x", args.fmt or "xlsx")
        out = Path(f"zsfield-{kind}-{code}.{fmt}")
    return out, fmt


def _open(args: argparse.Namespace) -> tuple[Any, Any]:
    from zsfield.commands.core import open_existing

    settings = settings_for(args)
    return settings, open_existing(settings)


# --- report ---------------------------------------------------------------------------------------------------


def cmd_monthly(args: argparse.Namespace) -> int:
    from zsfield.i18n import t
    from zsfield.reports.errors import ReportError
    from zsfield.reports.export import write_report
    from zsfield.reports.monthly import build_monthly
    from zsfield.reports.periods import parse_month

    settings = settings_for(args)
    try:
        month = parse_month(args.month)
        as_of = _day(args.as_of) or min(month.end, _today())
        out, fmt = _out_path(args, "monthly", month.code)
    except ReportError as exc:
        raise _fail(exc) from None
    from zsfield.commands.core import open_existing

    with open_existing(settings) as store:
        try:
            report = build_monthly(
                store, month, as_of=as_of, lang=args.report_lang, stale_days=settings.stale_days
            )
            path = write_report(report, out, fmt)
        except ReportError as exc:
            raise _fail(exc) from None
    summary = report.table("summary")
    print(t("rep.cli.written", path=str(path), sheets=len(report.tables) + 1 if fmt == "xlsx" else 1))
    for row in summary.rows[:3]:
        value = row[1].value if hasattr(row[1], "value") else row[1]
        shown = "—" if value is None else (f"{value:,.2f}" if isinstance(value, Decimal) else str(value))
        print(f"  {row[0]}: {shown} {row[3]}")
    return 0


def cmd_weekly(args: argparse.Namespace) -> int:
    from zsfield.i18n import t
    from zsfield.reports.errors import ReportError
    from zsfield.reports.export import write_report
    from zsfield.reports.periods import parse_week, week_of
    from zsfield.reports.weekly import build_weekly

    settings = settings_for(args)
    try:
        week = parse_week(args.week) if args.week else week_of(_day(args.date) or _today())
        as_of = _day(args.as_of) or min(week.end, _today())
        out, fmt = _out_path(args, "weekly", week.code)
    except ReportError as exc:
        raise _fail(exc) from None
    from zsfield.commands.core import open_existing

    with open_existing(settings) as store:
        try:
            report = build_weekly(store, week, as_of=as_of, lang=args.report_lang)
            path = write_report(report, out, fmt)
        except ReportError as exc:
            raise _fail(exc) from None
    rows = len(report.tables[0].rows) - 1
    print(t("rep.cli.weekly_written", path=str(path), rows=rows, week=week.code))
    return 0


def cmd_ranking(args: argparse.Namespace) -> int:
    from zsfield.i18n import t
    from zsfield.reports.errors import ReportError
    from zsfield.reports.periods import parse_month, parse_year, year
    from zsfield.reports.ranking import default_rules_text, load_rules, ranking_from_store

    if args.show_rules:
        print(default_rules_text())
        return 0
    settings = settings_for(args)
    try:
        today = _today()
        as_of = _day(args.as_of) or today
        period = (
            parse_month(args.month)
            if args.month
            else year(parse_year(args.year) if args.year else as_of.year)
        )
        rules = load_rules(args.rules, settings)
    except ReportError as exc:
        raise _fail(exc) from None
    from zsfield.commands.core import open_existing

    with open_existing(settings) as store:
        try:
            ranking = ranking_from_store(store, period, rules, as_of=as_of)
        except ReportError as exc:
            raise _fail(exc) from None
    print(
        t(
            "rank.cli.heading",
            start=ranking.period.start.isoformat(),
            end=min(ranking.period.end, ranking.as_of).isoformat(),
            rules=rules.name or rules.source,
        )
    )
    for s in ranking.teams:
        award = t(f"rank.award.{s.award}") if s.award else ""
        behind = t("rank.cli.behind") if s.behind else ""
        print(
            f"  {s.rank:>2}. {_pad(s.team, 20)} {t('rank.cli.score')} {s.score:>9.2f}  "
            f"{t('rank.cli.signed')} {s.signed_total:>4.1f}  {award} {behind}".rstrip()
        )
    return 0


# --- import ---------------------------------------------------------------------------------------------------


def cmd_import_leads(args: argparse.Namespace) -> int:
    from zsfield.cli import CliError
    from zsfield.format import amount
    from zsfield.i18n import t
    from zsfield.reports.errors import ReportError
    from zsfield.reports.importer import plan_import
    from zsfield.store.actions.leads import import_leads
    from zsfield.store.read.today import whoami

    settings, store = _open(args)
    with store:
        me = whoami(store)
        try:
            plan = plan_import(
                store,
                args.file,
                today=_today(),
                office_id=me.office_id,
                team_id=me.team_id,
                keep_duplicates=args.keep_duplicates,
            )
        except ReportError as exc:
            raise _fail(exc) from None
        create = plan.to_create
        print(t("imp.cli.columns", columns=", ".join(f"{h}→{f}" for f, h in plan.columns.items())))
        if plan.unmatched:
            print(t("imp.cli.unmatched", headers=", ".join(plan.unmatched)))
        heading = "imp.cli.preview_dry" if args.dry_run else "imp.cli.preview"
        print(t(heading, n=len(create)))
        for item in create:
            v = item.values
            money = amount(v.get("estimated_investment"), v.get("estimated_currency", "CNY"))
            flags = "; ".join(item.flags) or t("imp.cli.new_company")
            print(
                f"  {t('imp.cli.row', row=item.row)}  {v['title']} · {item.company_label} · "
                f"{v['source_channel'].label()} · {money} · {flags}"
            )
        if plan.skipped:
            print(t("imp.cli.skipped", n=len(plan.skipped)))
            for item in plan.skipped:
                print(f"  {t('imp.cli.row', row=item.row)}  {item.company_name}: {'; '.join(item.flags)}")
        if plan.bad:
            print(t("imp.cli.bad", n=len(plan.bad)), file=sys.stderr)
            for bad in plan.bad:
                print(f"  {t('imp.cli.row', row=bad.row)}  {'; '.join(bad.reasons)}", file=sys.stderr)
        if args.dry_run:
            print(t("imp.cli.dry_run_done"))
            return 1 if plan.bad else 0
        if args.strict and plan.bad:
            raise CliError(t("imp.cli.strict_refused", n=len(plan.bad)), 1)
        if not create:
            print(t("imp.cli.nothing"))
            return 1 if plan.bad else 0
        try:
            ids = import_leads(store, plan, me.id)
        except ReportError as exc:
            raise _fail(exc) from None
        print(t("imp.cli.done", n=len(ids)))
    return 1 if plan.bad else 0


# --- targets ---------------------------------------------------------------------------------------------------


def cmd_targets_show(args: argparse.Namespace) -> int:
    from zsfield.domain.money import Band
    from zsfield.i18n import t
    from zsfield.reports.errors import ReportError
    from zsfield.reports.periods import parse_year
    from zsfield.reports.targets import BAND_CODES, progress_from_store

    settings, store = _open(args)
    try:
        as_of = _day(args.as_of) or _today()
        year_no = parse_year(args.year) if args.year else as_of.year
    except ReportError as exc:
        store.close()
        raise _fail(exc) from None
    with store:
        report = progress_from_store(store, year_no, as_of)
    print(
        t(
            "tgt.cli.heading",
            year=year_no,
            as_of=as_of.isoformat(),
            days=report.elapsed_days,
            total=report.days_in_year,
            pct=f"{report.elapsed_pct:.1f}",
        )
    )
    if not report.owners:
        print(t("tgt.cli.none", year=year_no))
        return 0
    bands = " ".join(_pad(Band(b).label(), 10, right=True) for b in BAND_CODES)
    head = f"  {_pad(t('tgt.cli.owner'), 24)} {bands} {_pad(t('tgt.cli.total'), 8, right=True)}"
    print(f"{head} {_pad(t('tgt.cli.gap'), 14, right=True)}")
    owners = ([report.zone] if report.zone is not None else []) + list(report.owners)
    for o in owners:
        cells = " ".join(_pad(f"{b.actual}/{b.target}", 10, right=True) for b in o.bands)
        gap = f"{o.gap_pp:+.1f}" if o.gap_pp is not None else "—"
        flag = t("tgt.cli.behind") if o.behind else ""
        kind = t("tgt.zone") if o.owner_kind == "zone" else t(f"enum.TargetOwnerKind.{o.owner_kind}")
        name = kind if o.owner_kind == "zone" else f"{kind}·{o.owner_name}"
        total = _pad(f"{o.actual_total}/{o.target_total}", 8, right=True)
        print(f"  {_pad(name, 24)} {cells} {total} {_pad(gap, 14, right=True)} {flag}".rstrip())
    return 0


def cmd_targets_import(args: argparse.Namespace) -> int:
    from zsfield.i18n import t
    from zsfield.reports.errors import ReportError
    from zsfield.reports.periods import parse_year
    from zsfield.reports.targets import read_targets_file
    from zsfield.store.actions.targets import save_targets

    settings, store = _open(args)
    with store:
        try:
            year_no = parse_year(args.year) if args.year else None
            result = read_targets_file(args.file, store, year=year_no)
        except ReportError as exc:
            raise _fail(exc) from None
        for line in result.lines:
            counts = ", ".join(f"{k}={v}" for k, v in line.counts.items() if v)
            print(
                f"  {line.year} {t(f'enum.TargetOwnerKind.{line.owner_kind}')} {line.owner_name}: {counts or '0'}"
            )
        for problem in result.problems:
            print(f"  {t('imp.cli.row', row=problem.row)}  {problem.reason}", file=sys.stderr)
        if args.dry_run:
            print(t("tgt.cli.dry_run", n=len(result.lines)))
            return 1 if result.problems else 0
        if result.problems:
            print(t("tgt.cli.refused", n=len(result.problems)), file=sys.stderr)
            return 1
        changed = save_targets(store, store.get_state("officer_id"), result.lines)
        print(t("tgt.cli.saved", n=changed, owners=len(result.lines)))
    return 0


__all__ = ["register"]
