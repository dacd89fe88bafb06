"""Reports for people: the Excel workbook of a settlement, and a recorded run's report (Excel or HTML)."""

from yibao.report.excel import write_workbook, year_sheets
from yibao.report.run_report import write_run_report

__all__ = ["write_run_report", "write_workbook", "year_sheets"]
