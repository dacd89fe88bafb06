"""Errors that name what the user must fix: the file, the row and the field."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path


class YibaoError(Exception):
    """Base of the library's own errors; the CLI prints them as one sentence."""


class InputError(YibaoError, ValueError):
    """An input file that cannot be read as a whole (not a row-level reject)."""

    def __init__(self, source: Path | str, reason: str, row: int | None = None, field: str | None = None) -> None:
        where = str(source) + (f", row {row}" if row is not None else "") + (f", field {field}" if field else "")
        super().__init__(f"{where}: {reason}")
        self.source, self.row, self.field, self.reason = str(source), row, field, reason


def require_columns(present: Collection[str], source: Path | str, needed: Iterable[str]) -> None:
    """Raise an InputError naming `source` and every column of `needed` that `present` lacks."""
    missing = [c for c in needed if c not in present]
    if missing:
        raise InputError(source, f"missing columns {missing}")


class StoreError(YibaoError):
    """The settlement-run store cannot be opened or read: a bad URL, a newer schema, an unknown run."""
