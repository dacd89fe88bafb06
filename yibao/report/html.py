"""The HTML report of a recorded run: one self-contained page (inline CSS, charts as inline SVG, no network) with the
region's totals, up to four charts (one without data is left out, with a note) and the statements' tables, money in
元 — an alliance year's, the point method's year, or a month's.

Every text is escaped by the template engine (jinja2, autoescape); only the charts' SVG is inserted as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from jinja2 import Environment, PackageLoader
from markupsafe import Markup

from yibao.alliance.settle import STATEMENT_COLUMNS
from yibao.report.charts import CJK_FONTS, allocation_chart, budget_chart, outcome_chart, point_value_chart
from yibao.report.excel import VALUE_LABELS, header
from yibao.report.run import Kind, RunReport, column_kind
from yibao.settlement.money import fen_to_yuan

FONTS = ", ".join([*(f'"{name}"' for name in CJK_FONTS), "sans-serif"])
"""The page's font stack."""
CARDS = (
    ("region", "budget_fen"), ("region", "actual_fen"), ("region", "package_fen"), ("region", "retained_fen"),
    ("region", "fund_share_fen"), ("region", "uncovered_fen"), ("points.region", "point_value"),
    ("points.region", "pool_fen"),
)  # fmt: skip
"""The region's key figures shown as cards of an alliance year: (frame, column)."""
POINT_CARDS = tuple(("points.region", c) for c in ("point_value", "pool_fen", "gross_fen", "prepaid_fen",
                                                   "deductions_fen", "balance_fen"))  # fmt: skip
"""The cards of the point method's year alone."""
MONTH_CARDS = tuple(("points.month_region", c) for c in ("point_value", "budget_fen", "gross_fen", "paid_fen",
                                                         "paid_to_date_fen"))  # fmt: skip
"""The cards of a month's run."""
HEADER_TABLES = {"points.month_region": "month_region"}
"""Frames whose headers (`headers.csv`) are those of another table name."""
UNSUMMED = ("county", "score", "retention_ratio")
"""Statement lines without a total."""


@dataclass(frozen=True)
class Chart:
    name: str
    caption: str
    svg: Markup | None
    missing: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    caption: str
    headers: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    total: bool = False
    """The last row is a total."""


def shown(value: Any, kind: Kind, labels: dict[str, str] | None = None) -> str:
    """A value as the page shows it: fen as 元 with thousands separators, exact decimals as they are."""
    if value is None:
        return ""
    if kind == "money":
        return f"{fen_to_yuan(value):,}"
    if kind == "count":
        return f"{value:,}"
    if kind == "number":
        return str(value) if isinstance(value, Decimal) else f"{value:.4g}"
    return labels.get(value, value) if labels else str(value)


def frame_table(name: str, caption: str, frame: pl.DataFrame, table: str, total_of: tuple[str, ...] = ()) -> Table:
    """One row per frame row, Chinese headers; with `total_of`, a 合计 row summing those columns."""
    kinds = [column_kind(frame, c) for c in frame.columns]
    rows = [
        [shown(v, k, VALUE_LABELS.get(c)) for v, k, c in zip(row, kinds, frame.columns, strict=True)]
        for row in frame.iter_rows()
    ]
    if total_of and frame.height:
        later = zip(frame.columns[1:], kinds[1:], strict=True)
        rows.append(["合计", *(shown(frame[c].sum(), k) if c in total_of else "" for c, k in later)])
    return Table(name, caption, [header(c, table) for c in frame.columns], rows,
                 [k in ("money", "count", "number") for k in kinds], total=bool(total_of and frame.height))  # fmt: skip


def statement_table(alliances: pl.DataFrame) -> Table:
    """医共体年度清算单 side by side: one line per statement column, one column per alliance, then the total."""
    pairs = alliances.select("alliance_id", "name").iter_rows()
    names = [f"{name or ''} {alliance}".strip() for alliance, name in pairs]
    rows = []
    for column in STATEMENT_COLUMNS[2:]:
        kind = column_kind(alliances, column)
        values = alliances[column].to_list()
        total = "" if column in UNSUMMED or kind == "text" else shown(sum(values), kind)
        rows.append([header(column, "alliances"), *(shown(v, kind) for v in values), total])
    return Table("alliances", "医共体年度清算 Alliance statements (元)", ["", *names, "合计"], rows,
                 [False, *[True] * (alliances.height + 1)])  # fmt: skip


def _cards(report: RunReport) -> list[tuple[str, str, str]]:
    """(label, value, unit) of the region's key figures; none for a run recorded without them."""
    cards = []
    chosen = MONTH_CARDS if report.monthly else CARDS if report.alliance else POINT_CARDS
    for frame_name, column in chosen:
        frame = report.frames[frame_name]
        if frame.is_empty():
            continue
        kind = column_kind(frame, column)
        label = header(column, HEADER_TABLES.get(frame_name, frame_name))
        unit = "元" if kind == "money" else ""
        cards.append((label.removesuffix("(元)"), shown(frame[column][0], kind), unit))
    return cards


def _charts(report: RunReport) -> list[Chart]:
    """The four charts; one without data has no SVG but a note saying why (the page lists it, not drawn)."""
    alliances, members = report.frames["alliances"], report.frames["members"]
    months, year = report.frames["points.months"], report.frames["points.region"]
    point_value = None if year.is_empty() else float(year["point_value"][0])
    some = not alliances.is_empty()
    no_alliance = "本结算记录没有医共体年度清算 (no alliance statements in this run)."
    if not months.is_empty() and months["point_value"].is_null().all():
        no_value, months = "本月没有病例, 没有点值 (no stays, no point value).", months.clear()
    else:
        no_value = "本结算记录未保存月度点值 (recorded before store schema version 2)."
    return [
        Chart("budget", "预算与实际支出 Budget and spending per alliance",
              Markup(budget_chart(alliances)) if some else None, no_alliance),
        Chart("outcome", "结余留用与超支分担 Surplus or overspend per alliance",
              Markup(outcome_chart(alliances)) if some else None, no_alliance),
        Chart("point-value", "月度点值 Point value by month (元/点)",
              Markup(point_value_chart(months, point_value)) if not months.is_empty() else None, no_value),
        Chart("allocation", "成员单位分配 Member allocation per alliance, by level",
              Markup(allocation_chart(alliances, members)) if some else None, no_alliance),
    ]  # fmt: skip


def _tables(report: RunReport) -> list[Table]:
    """The statements as tables: an alliance year's, the point method's clearing, or a month's rows and advances."""
    frames = report.frames
    if report.monthly:
        months = frame_table("months", "月度预结算 Monthly pre-settlement (元)", report.institutions, "months",
                             ("cases", "points", "gross_fen", "patient_share_fen", "advance_fen", "deposit_fen",
                              "paid_fen"))  # fmt: skip
        if frames["advances"].is_empty():
            return [months]
        return [months, frame_table("advances", "医共体月度预付 Alliance advances (元)", frames["advances"],
                                    "advances", ("advance_fen",))]  # fmt: skip
    if not report.alliance:
        money = [c for c in report.institutions.columns if c.endswith("_fen")]
        return [frame_table("institutions", "机构年度清算 Annual clearing per institution (元)",
                            report.institutions, "institutions", ("cases", "points", *money))]  # fmt: skip
    members = frames["members"].sort("alliance_id", "institution_id").select("alliance_id", pl.exclude("alliance_id"))
    money = ("drg_fen", "fee_for_service_fen")
    return [
        statement_table(frames["alliances"]),
        frame_table("members", "成员单位分配 Member allocation (元)", members, "members", ("allocation_fen", *money)),
        frame_table("direct", "非医共体机构结算 Institutions paid directly by the fund (元)", frames["direct"],
                    "direct", ("claims", *money)),
    ]  # fmt: skip


def _environment() -> Environment:
    return Environment(loader=PackageLoader("yibao.report", "templates"), autoescape=True, keep_trailing_newline=True)


def render_run_html(report: RunReport) -> str:
    """The page of a run."""
    charts = _charts(report)
    return _environment().get_template("run.html.j2").render(
        title=report.title, facts=report.facts(), inputs=report.inputs(), cards=_cards(report),
        charts=[c for c in charts if c.svg is not None], left_out=[c for c in charts if c.svg is None],
        tables=_tables(report), fonts=Markup(FONTS), version=report.run.library_version, run_id=report.run.id,
    )  # fmt: skip


def write_run_html(report: RunReport, path: Path | str) -> Path:
    """Write the run's HTML report to `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_run_html(report), encoding="utf-8")
    return path
