"""The point method's results as rich tables, from their frames (a settlement just made, or a stored run): the
year's clearing (年度清算), a month's pre-settlement (月度预结算) and the alliances' advances of a month (元)."""

from __future__ import annotations

import polars as pl
from rich.table import Table

from yibao.settlement.money import fen_to_yuan

TOP = 12
"""Institutions shown, the most points first; the totals cover them all."""


def _yuan(fen: int) -> str:
    return f"{fen_to_yuan(fen):,}"


def _ranked(frame: pl.DataFrame, top: int) -> tuple[pl.DataFrame, int]:
    """The rows with cases, the most points first, cut to `top`; and how many more there are."""
    ranked = frame.filter(pl.col("cases") > 0).sort("points", descending=True)
    return ranked.head(top), max(ranked.height - top, 0)


def _more(table: Table, more: int) -> None:
    if more:
        table.add_row(f"… {more} more", *[""] * (len(table.columns) - 1))


def clearing_table(title: str, region: pl.DataFrame, institutions: pl.DataFrame, top: int = TOP) -> Table:
    """年度清算: the institutions with the most points, and the region's totals — points, gross, prepaid, balance."""
    totals = region.row(0, named=True)
    table = Table(title=f"{title}: 点值 point value {totals['point_value']} 元/点")
    for header in ("机构 institution", "病例 stays", "点数 points", "应付 gross", "已预付 prepaid", "清算 balance"):
        table.add_column(header, justify="right")
    money = ("gross_fen", "prepaid_fen", "balance_fen")
    shown, more = _ranked(institutions, top)
    for row in shown.iter_rows(named=True):
        table.add_row(row["institution_id"], f"{row['cases']:,}", f"{row['points']:,}", *(_yuan(row[k]) for k in money))
    _more(table, more)
    table.add_row("合计 total", f"{totals['cases']:,}", f"{totals['points']:,}", *(_yuan(totals[k]) for k in money),
                  style="bold")  # fmt: skip
    return table


MONTH_MONEY = ("gross_fen", "advance_fen", "deposit_fen", "paid_fen")


def month_table(title: str, months: pl.DataFrame, region: pl.DataFrame, top: int = TOP) -> Table:
    """月度预结算 of one month: per institution its stays, points, gross, advance, deposit withheld and paid; the
    month's totals and the totals so far."""
    totals = region.row(0, named=True)
    value = "— (no stays)" if totals["point_value"] is None else f"{totals['point_value']} 元/点"
    table = Table(title=f"{title}: {totals['year']}-{totals['month']:02d} 月度预结算, 点值 point value {value}")
    for header in ("机构 institution", "病例 stays", "点数 points", "应付 gross", "预付 advance",
                   "保证金 deposit", "实付 paid"):  # fmt: skip
        table.add_column(header, justify="right")
    shown, more = _ranked(months, top)
    for row in shown.iter_rows(named=True):
        table.add_row(row["institution_id"], f"{row['cases']:,}", f"{row['points']:,}",
                      *(_yuan(row[k]) for k in MONTH_MONEY))  # fmt: skip
    _more(table, more)
    table.add_row("合计 month", f"{totals['cases']:,}", f"{totals['points']:,}",
                  *(_yuan(totals[k]) for k in MONTH_MONEY), style="bold")  # fmt: skip
    so_far = (totals[f"{k.removesuffix('_fen')}_to_date_fen"] for k in MONTH_MONEY)
    table.add_row("累计 to date", f"{totals['cases_to_date']:,}", "", *(_yuan(v) for v in so_far))
    return table


def advances_table(advances: pl.DataFrame) -> Table:
    """医共体月度预付: each alliance's advance of the month."""
    table = Table(title="医共体月度预付 alliance advances (元)")
    table.add_column("医共体 alliance")
    table.add_column("月份 month", justify="right")
    table.add_column("预付 advance", justify="right")
    for alliance, month, fen in advances.select("alliance_id", "month", "advance_fen").iter_rows():
        table.add_row(alliance, str(month), _yuan(fen))
    return table
