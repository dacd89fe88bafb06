"""Reports for people: the Excel workbook of a settlement."""

from yibao.report.excel import write_workbook, year_sheets

__all__ = ["write_workbook", "year_sheets"]
