"""Reports for people: the Excel workbook of a settlement."""

from yibao.report.excel import write_workbook

__all__ = ["write_workbook"]
