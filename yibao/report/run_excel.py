"""The Excel report of a recorded run: 地区汇总, 医共体 (when the run has alliances) and 机构 sheets under the run's
header, money in 元.

Each sheet starts with the run header (run, period, created, input hashes), then a table with Chinese headers
(`headers.csv`), its header row frozen; money columns hold 元 as numbers formatted `#,##0.00`.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from yibao.report.excel import VALUE_LABELS, header
from yibao.report.run import Kind, RunReport, column_kind
from yibao.settlement.money import FEN_PER_YUAN

SHEETS = {"region": "地区汇总", "alliances": "医共体", "institutions": "机构"}
"""Sheet of the run report → name, in workbook order."""
NUMBER_FORMATS: dict[Kind, str] = {"money": "#,##0.00", "count": "#,##0", "number": "#,##0.00##", "text": "@"}
MIN_WIDTH, MAX_WIDTH, HEADER_LINE = 8, 40, 12
"""Column widths, in characters (a CJK character counts two); a longer header wraps to a second line."""


def _width(text: str) -> int:
    """Display width in Excel characters: East Asian wide and full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(value: Any, kind: Kind, labels: dict[str, str] | None) -> Any:
    """A frame value as the cell holds it: 元 for fen, a float for an exact decimal, a label for a code."""
    if value is None:
        return None
    if kind == "money":
        return value / FEN_PER_YUAN
    if isinstance(value, Decimal):
        return float(value)
    return labels.get(value, value) if labels else value


def _shown(value: Any, kind: Kind) -> str:
    """The text a cell shows, for its width."""
    if value is None:
        return ""
    if kind == "money":
        return f"{value:,.2f}"
    return f"{value:,}" if kind in ("count", "number") else str(value)


class RunWorkbook:
    """The workbook being written: its formats, and one method per kind of sheet."""

    def __init__(self, workbook: xlsxwriter.Workbook, report: RunReport) -> None:
        self.workbook, self.report = workbook, report
        self.title = workbook.add_format({"bold": True, "font_size": 14})
        self.note = workbook.add_format({"font_color": "#555555"})
        self.head = workbook.add_format(
            {"bold": True, "text_wrap": True, "valign": "vcenter", "bg_color": "#DDEBF7", "bottom": 1}
        )
        self.formats: dict[Kind, Format] = {kind: workbook.add_format({"num_format": f}) for kind, f in
                                            NUMBER_FORMATS.items()}  # fmt: skip

    def _sheet(self, name: str) -> tuple[Worksheet, int]:
        """A new sheet with the run header written; the first free row below it."""
        sheet = self.workbook.add_worksheet(name)
        sheet.write(0, 0, self.report.title, self.title)
        sheet.write(1, 0, "  ·  ".join(f"{label}: {value}" for label, value in self.report.facts()), self.note)
        sheet.write(2, 0, self.report.inputs(), self.note)
        return sheet, 4

    def table(self, name: str, frame: pl.DataFrame, table: str, frozen_columns: int = 1) -> None:
        """One row per frame row under one header row (frozen with the run header and `frozen_columns`)."""
        sheet, top = self._sheet(name)
        widths = []
        for col, column in enumerate(frame.columns):
            kind, labels = column_kind(frame, column), VALUE_LABELS.get(column)
            title = header(column, table)
            sheet.write(top, col, title, self.head)
            cells = [_cell(v, kind, labels) for v in frame[column]]
            for row, value in enumerate(cells, start=top + 1):
                sheet.write(row, col, value, self.formats[kind])
            widths.append(max([min(_width(title), HEADER_LINE) + 2, *(_width(_shown(v, kind)) + 2 for v in cells)]))
        for col, width in enumerate(widths):
            sheet.set_column(col, col, min(max(width, MIN_WIDTH), MAX_WIDTH))
        sheet.set_row(top, 32)
        sheet.autofilter(top, 0, top + frame.height, max(frame.width - 1, 0))
        sheet.freeze_panes(top + 1, frozen_columns)

    def pairs(self, name: str, frames: list[tuple[str, str, pl.DataFrame]]) -> None:
        """One-row frames written as 项目 / 数值 lines, in sections (title, table, frame); a section without its row
        says so."""
        sheet, top = self._sheet(name)
        sheet.write_row(top, 0, ["项目", "数值"], self.head)
        row, label_width = top + 1, 0
        for section, table, frame in frames:
            sheet.write(row, 0, section, self.head)
            row += 1
            if frame.is_empty():
                sheet.write(row, 0, "本结算记录未保存此项", self.note)
                row += 1
                continue
            values = frame.row(0, named=True)
            for column, value in values.items():
                kind = column_kind(frame, column)
                label = header(column, table)
                sheet.write(row, 0, label)
                sheet.write(row, 1, _cell(value, kind, VALUE_LABELS.get(column)), self.formats[kind])
                label_width = max(label_width, _width(label))
                row += 1
        sheet.set_column(0, 0, min(max(label_width + 2, MIN_WIDTH), MAX_WIDTH))
        sheet.set_column(1, 1, 20)
        sheet.freeze_panes(top + 1, 0)


def write_run_workbook(report: RunReport, path: Path | str) -> Path:
    """Write the run's Excel report to `path` (.xlsx): the region, the alliances (their statements, or a month's
    advances; none without alliances) and the institutions."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    alliances = report.frames["advances"] if report.monthly else report.frames["alliances"]
    with xlsxwriter.Workbook(path) as workbook:
        book = RunWorkbook(workbook, report)
        book.pairs(SHEETS["region"], report.region_sections())
        if not alliances.is_empty():
            book.table(SHEETS["alliances"], alliances, "advances" if report.monthly else "alliances",
                       frozen_columns=1 if report.monthly else 2)  # fmt: skip
        book.table(SHEETS["institutions"], report.institutions, report.institutions_table)
    return path
