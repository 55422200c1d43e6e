"""项目信息采集表 — the weekly collection table sent upward every week.

One row per project that had an entry by its team during the ISO week (Monday … Sunday, zone time; the
supervisor's notes and the answers to them do not count) and one per lead received that week that is not already there as a
project. Columns, in the order the practice uses: 投资方, 固定资产投资 (亿元), 需用土地 (亩), 联系人, 片区,
进度, 产业类型, 研判结果 — after a running number and the project's name, and followed by the owning team.

- 固定资产投资: the project's fixed-asset investment; for a lead, its estimated investment (CNY only).
- 需用土地: the approved land area, else the stated need; 0 for a project that needs no new land.
- 联系人: the project's first contact (else its lead's), with title and phone.
- 进度: the stage, then the latest visit's summary in the week and its next step.
- 研判结果: the verdict of the lead the project came from (or of the lead itself); 待研判 when none yet.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from zsfield.domain.enums import LeadStatus, Verdict
from zsfield.i18n import t
from zsfield.reports.export import Column, Report, Table
from zsfield.reports.facts import load_leads, load_projects
from zsfield.reports.monthly import as_of_moment, yi
from zsfield.reports.periods import Period, end_of_day_utc, start_of_day_utc
from zsfield.store.db import Store
from zsfield.store.read import rules
from zsfield.store.read.common import ts_text


def _touched_in(store: Store, start: datetime, end: datetime) -> dict[str, tuple[str, str]]:
    """project id → (summary, next step) of its latest visit in the window ('' when only other entries);
    touched as :mod:`zsfield.store.read.rules` has it."""
    params = {"a": ts_text(start), "b": ts_text(end)}
    touched_sql = f"SELECT DISTINCT project_id FROM ({rules.TOUCH_ENTRIES_SQL}) WHERE at >= :a AND at < :b"
    visits_sql = (
        "SELECT project_id, summary, next_step FROM visit WHERE deleted = 0 AND project_id IS NOT NULL "
        "AND occurred_at >= :a AND occurred_at < :b ORDER BY project_id, occurred_at DESC, id"
    )
    out: dict[str, tuple[str, str]] = {}
    with store.engine.connect() as conn:
        for (pid,) in conn.execute(text(touched_sql), params):
            out[pid] = ("", "")
        for pid, summary, next_step in conn.execute(text(visits_sql), params):
            if pid in out and out[pid] == ("", ""):
                out[pid] = (summary or "", next_step or "")
    return out


def _contacts(store: Store) -> tuple[dict[str, str], dict[str, str]]:
    """(project id → first contact, contact id → contact) as '姓名 职务 电话'."""
    by_project: dict[str, str] = {}
    by_id: dict[str, str] = {}
    sql = "SELECT id, project_id, name, title, phone FROM contact WHERE deleted = 0 ORDER BY created_at, id"
    with store.engine.connect() as conn:
        for cid, pid, name, title, phone in conn.execute(text(sql)):
            label = " ".join(x for x in (name, title, phone) if x)
            by_id[cid] = label
            if pid and pid not in by_project:
                by_project[pid] = label
    return by_project, by_id


def _lead_verdicts(store: Store) -> dict[str, tuple[str | None, str | None]]:
    with store.engine.connect() as conn:
        return {
            r[0]: (r[1], r[2])
            for r in conn.execute(text("SELECT id, verdict, contact_id FROM lead WHERE deleted = 0"))
        }


def build_weekly(store: Store, week: Period, *, as_of: date | None = None, lang: str = "zh") -> Report:
    """The 项目信息采集表 of ``week`` (as of its Sunday, or ``as_of`` for a week in progress)."""
    as_of = as_of or week.end
    wp = week.clipped(as_of)

    def h(key: str, **params: Any) -> str:
        return t(key, lang, **params)

    touched = _touched_in(store, start_of_day_utc(wp.start), end_of_day_utc(wp.end))
    projects = [p for p in load_projects(store) if p.id in touched]
    leads = load_leads(store, wp.start, wp.end)
    by_project, by_contact_id = _contacts(store)
    verdicts = _lead_verdicts(store)

    def verdict_label(code: str | None) -> str:
        return Verdict(code).label(lang) if code else LeadStatus.NEW.label(lang)

    cols = [
        Column("no", h("rep.c.no"), "int"),
        Column("name", h("rep.c.project")),
        Column("investor", h("rep.w.investor")),
        Column("fai", h("rep.w.fixed_asset_yi"), "yi", total=True),
        Column("land", h("rep.w.land_mu"), "mu", total=True),
        Column("contact", h("rep.w.contact")),
        Column("area", h("rep.w.park_area")),
        Column("progress", h("rep.w.progress")),
        Column("industry", h("rep.w.industry")),
        Column("verdict", h("rep.w.verdict")),
        Column("team", h("rep.c.team")),
    ]
    rows: list[list[Any]] = []
    listed_projects = set()
    for p in projects:
        summary, next_step = touched[p.id]
        progress = p.stage.label(lang)
        if summary:
            progress += h("rep.w.progress_sep") + summary
        if next_step:
            progress += h("rep.w.next_step", text=next_step)
        lead_verdict, lead_contact = verdicts.get(p.lead_id or "", (None, None))
        contact = by_project.get(p.id) or by_contact_id.get(lead_contact or "", "")
        land = Decimal(0) if p.no_new_land and p.land_mu is None else p.land_mu
        rows.append(
            [
                0,
                p.name,
                p.company,
                yi(p.fixed_asset_investment) if p.fixed_asset_investment is not None else None,
                land,
                contact,
                p.park_area,
                progress,
                p.industry,
                verdict_label(lead_verdict),
                p.team,
            ]
        )
        listed_projects.add(p.id)
    for lead in leads:
        if lead.project_id and lead.project_id in listed_projects:
            continue
        amount = lead.estimated_investment if lead.estimated_currency == "CNY" else None
        rows.append(
            [
                0,
                lead.title,
                lead.company,
                yi(amount) if amount is not None else None,
                lead.land_need_mu,
                by_contact_id.get(lead.contact_id or "", ""),
                "",
                h("rep.w.lead_progress", status=LeadStatus(lead.status).label(lang)),
                lead.industry,
                verdict_label(lead.verdict),
                lead.team,
            ]
        )
    for i, row in enumerate(rows, start=1):
        row[0] = i
    table = Table("collection", h("rep.t.collection"), cols, rows)
    table.add_total(h("rep.total"))
    about = [
        (h("rep.about.report"), h("rep.weekly.title")),
        (h("rep.about.week"), week.code),
        (
            h("rep.about.range"),
            h("rep.about.range_value", start=wp.start.isoformat(), end=wp.end.isoformat()),
        ),
        (h("rep.about.as_of"), h("rep.about.as_of_value", day=wp.end.isoformat())),
        (h("rep.about.rule_weekly"), h("rep.rule.weekly")),
        (h("rep.about.units"), h("rep.rule.weekly_units")),
    ]
    return Report(
        kind="weekly",
        title=h("rep.weekly.file_title", week=week.code),
        period=week,
        as_of=as_of_moment(wp.end),
        lang=lang,
        tables=[table],
        about=about,
        about_title=h("rep.t.about"),
        about_headers=(h("rep.c.item"), h("rep.c.content")),
    )
