"""Reports for people: the Excel workbook of a settlement, and a recorded run's report (Excel or HTML).

`write_run_report` is imported on first use: it brings the charts (matplotlib) and the run store, half a second
that the settlement commands need not wait for."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from yibao.report.excel import write_workbook, year_sheets

if TYPE_CHECKING:
    from yibao.report.run_report import write_run_report

__all__ = ["write_run_report", "write_workbook", "year_sheets"]


def __getattr__(name: str) -> Any:
    if name == "write_run_report":
        from yibao.report.run_report import write_run_report

        return write_run_report
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
