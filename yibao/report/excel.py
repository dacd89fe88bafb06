"""One Excel workbook of a settlement for bureau staff: Chinese sheet names and headers, money in 元.

Headers come from `headers.csv` (column → 表头); a column ending in `_fen` is shown in 元 under the header of its
stem, as an exact two-decimal amount.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib.resources import files
from pathlib import Path

import polars as pl

from yibao.models.enums import Level
from yibao.settlement.points import CaseClass
from yibao.settlement.settle import Settlement

SHEETS = {
    "region": "统筹区汇总",
    "institutions": "机构年度清算",
    "months": "月度预结算",
    "cases": "病例点数",
    "excluded": "未结算病例",
    "base_points": "基准点数",
}
"""Settlement frame → sheet name, in workbook order."""


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
}
"""Coded values shown by their Chinese labels."""


def for_people(frame: pl.DataFrame) -> pl.DataFrame:
    """Money in 元 (Decimal), coded values as Chinese labels and Chinese headers (a column without one keeps its
    name)."""
    named = headers()
    readable = []
    for c in frame.columns:
        if c.endswith("_fen"):
            readable.append(
                (pl.col(c).cast(pl.Decimal(20, 0)).cast(pl.Decimal(20, 2)) / 100).alias(c.removesuffix("_fen"))
            )
        elif c in VALUE_LABELS:
            readable.append(pl.col(c).replace(VALUE_LABELS[c]))
        else:
            readable.append(pl.col(c))
    converted = frame.select(readable)
    return converted.rename({c: named[c] for c in converted.columns if c in named})


def write_workbook(settlement: Settlement, path: Path | str) -> Path:
    """Write every table of `settlement` to one .xlsx workbook, a sheet each."""
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with xlsxwriter.Workbook(path) as workbook:
        for name, sheet in SHEETS.items():
            frame = getattr(settlement, name)
            if frame.height >= EXCEL_MAX_ROWS:  # too long for a worksheet: say where the rows are, drop none
                frame = pl.DataFrame(
                    {"说明": [f"{frame.height:,} 行超出 Excel 工作表上限, 见 {name}.csv / {name}.parquet"]}
                )
            for_people(frame).write_excel(workbook, worksheet=sheet, autofit=True, float_precision=4,
                                          freeze_panes=(1, 0))  # fmt: skip
    return path
