"""A recorded run's report, in the format its file name asks for: .xlsx (Excel) or .html (a page with charts)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from yibao.errors import InputError
from yibao.report.html import write_run_html
from yibao.report.run import RunReport, load_run_report
from yibao.report.run_excel import write_run_workbook

WRITERS: dict[str, Callable[[RunReport, Path], Path]] = {".xlsx": write_run_workbook, ".html": write_run_html}
"""File suffix → report writer."""


def write_run_report(engine: Engine, run_id: int, out: Path | str) -> Path:
    """Write the report of run `run_id` to `out`, as its suffix says; an unknown suffix or run is an error."""
    out = Path(out)
    writer = WRITERS.get(out.suffix.lower())
    if writer is None:
        raise InputError(out, f"unknown report format {out.suffix or '(no suffix)'!r}: name the file .xlsx or .html")
    return writer(load_run_report(engine, run_id), out)
