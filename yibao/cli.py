"""The `yibao` command: thin wrappers that parse arguments, call the library and print a summary."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from yibao.errors import YibaoError
from yibao.identity import PersonKeyMissingError
from yibao.io import LoadSummary, validate_file

app = typer.Typer(help="yibao: 医共体医保结算 — medical-insurance settlement for county medical alliances.")
console = Console()
P = ParamSpec("P")
R = TypeVar("R")
DEBUG = {"on": False}


@app.callback()
def main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False) -> None:
    """Settle medical-insurance money for county medical alliances."""
    DEBUG["on"] = debug


def _friendly(command: Callable[P, R]) -> Callable[P, R]:
    """Errors become one clear sentence and exit code 2, unless --debug."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (YibaoError, PersonKeyMissingError, ValidationError, FileNotFoundError) as error:
            if DEBUG["on"]:
                raise
            console.print(f"[red]error:[/red] {error}")
            raise typer.Exit(2) from None

    return run


def _summary_table(summaries: list[LoadSummary]) -> Table:
    table = Table(title="校验结果 validation")
    for header in ("文件 file", "读取 read", "接受 accepted", "拒绝 rejected", "空行 blank", "拒绝原因 reject lines"):
        table.add_column(header, justify="left" if header.startswith("文件") else "right")
    for s in summaries:
        table.add_row(
            Path(s.source).name,
            *(f"{n:,}" for n in (s.read, s.accepted, s.rejected, s.blank_rows)),
            f"{s.reject_lines:,}",
        )
    return table


@app.command()
@_friendly
def validate(
    files: Annotated[list[Path], typer.Argument(help="Claim files: CSV (UTF-8 or GB18030), Parquet or Excel.")],
    out: Annotated[Path, typer.Option(help="Folder for <name>.accepted.parquet and <name>.rejects.csv.")] = Path("out"),
) -> None:
    """校验 Validate claim files: accepted rows to Parquet, rejects (row, field, reason) to CSV."""
    summaries = [validate_file(path, out) for path in files]
    console.print(_summary_table(summaries))
    for s in summaries:
        if s.ignored_columns:
            console.print(f"{Path(s.source).name}: ignored columns {', '.join(s.ignored_columns)}")
    console.print(f"written to {out}/")
