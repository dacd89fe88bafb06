"""One Excel workbook of a settlement for bureau staff: Chinese sheet names and headers, money in 元.

Headers come from `headers.csv` (column → 表头); a column ending in `_fen` is shown in 元 under the header of its
stem, as an exact two-decimal amount.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from pathlib import Path

import polars as pl

from yibao.alliance.settle import YearSettlement
from yibao.models.enums import Level
from yibao.settlement.monthly import MonthSettlement
from yibao.settlement.points import CaseClass
from yibao.settlement.settle import Settlement

POINT_SHEETS = {
    "region": "统筹区汇总",
    "institutions": "机构年度清算",
    "months": "月度预结算",
    "cases": "病例点数",
    "excluded": "未结算病例",
    "base_points": "基准点数",
}
"""Point-method frame → sheet name, in workbook order."""
ALLIANCE_SHEETS = {
    "alliances": "医共体年度清算",
    "members": "成员单位分配",
    "direct": "非医共体机构结算",
    "advances": "医共体月度预付",
    "indicators": "考核指标与得分",
    "charges": "支出明细",
    "region": "统筹区汇总",
    "excluded": "未结算清单",
}
"""Alliance frame → sheet name, in workbook order (the point-method sheets follow)."""
MONTH_SHEETS = {
    "months": "月度预结算",
    "month_region": "统筹区月度汇总",
    "advances": "医共体月度预付",
    "cases": "病例点数",
    "excluded": "未结算病例",
}
"""A month's run: table → sheet name, in workbook order."""


@cache
def headers() -> dict[str, str]:
    """Column name → Chinese header."""
    with files("yibao.report").joinpath("headers.csv").open(encoding="utf-8") as table:
        return {row["column"]: row["header"] for row in csv.DictReader(table)}


EXCEL_MAX_ROWS = 1_048_576
"""Rows of one worksheet, the header included."""

VALUE_LABELS = {
    "level": {level.value: level.label for level in Level},
    "case_class": {c.name.lower(): c.label for c in CaseClass},
    "place": {"inside": "医共体内", "county": "县域内其他机构", "out_of_county": "县域外"},
    "method": {"drg": "按病组点数", "capitation": "按人头", "fee_for_service": "按项目"},
    "channel": {"member": "医共体成员单位", "direct": "基金直接结算"},
}
"""Coded values shown by their Chinese labels."""


def header(column: str, table: str | None = None) -> str:
    """The Chinese header of a column: `table.column` where a table means something else by it, else `column`; a
    `_fen` column under its stem's header; a column without one keeps its name."""
    named = headers()
    stem = column if column in named or not column.endswith("_fen") else column.removesuffix("_fen")
    return named.get(f"{table}.{stem}") or named.get(stem, stem)


def for_people(frame: pl.DataFrame, table: str | None = None) -> pl.DataFrame:
    """Money in 元 (Decimal), coded values as Chinese labels and Chinese headers (of `table`'s columns)."""
    readable = []
    for c in frame.columns:
        if c.endswith("_fen"):
            readable.append(pl.col(c).cast(pl.Decimal(20, 0)).cast(pl.Decimal(20, 2)) / 100)
        elif c in VALUE_LABELS:
            readable.append(pl.col(c).replace(VALUE_LABELS[c]))
        else:
            readable.append(pl.col(c))
    return frame.select(expr.alias(header(c, table)) for expr, c in zip(readable, frame.columns, strict=True))


Sheets = Mapping[str, tuple[str, pl.DataFrame]]
"""File stem → (sheet name, frame)."""


def point_sheets(settlement: Settlement, prefix: str = "") -> Sheets:
    """The sheets of a point-method settlement."""
    return {f"{prefix}{name}": (sheet, getattr(settlement, name)) for name, sheet in POINT_SHEETS.items()}


def year_sheets(year: YearSettlement) -> Sheets:
    """The sheets of an alliance settlement, then those of its point-method settlement (under points/)."""
    alliance = {name: (sheet, getattr(year, name)) for name, sheet in ALLIANCE_SHEETS.items()}
    points = {k: (f"点数法{sheet}", frame) for k, (sheet, frame) in point_sheets(year.points, "points/").items()}
    return {**alliance, **points}


def month_sheets(month: MonthSettlement) -> Sheets:
    """The sheets of a month's run."""
    return {name: (MONTH_SHEETS[name], frame) for name, frame in month.tables().items()}


def write_workbook(sheets: Sheets | Settlement, path: Path | str) -> Path:
    """Write each table to one sheet of an .xlsx workbook (a `Settlement`: its point-method sheets)."""
    import xlsxwriter

    if isinstance(sheets, Settlement):
        sheets = point_sheets(sheets)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with xlsxwriter.Workbook(path) as workbook:
        for stem, (sheet, frame) in sheets.items():
            if frame.height >= EXCEL_MAX_ROWS:  # too long for a worksheet: say where the rows are, drop none
                frame = pl.DataFrame(
                    {"说明": [f"{frame.height:,} 行超出 Excel 工作表上限, 见 {stem}.csv / {stem}.parquet"]}
                )
            for_people(frame, stem).write_excel(workbook, worksheet=sheet, autofit=True, float_precision=4,
                                          freeze_panes=(1, 0))  # fmt: skip
    return path
