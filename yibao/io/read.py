"""Open a claim file (CSV, Parquet, Excel) as a lazy frame with canonical column names and source row numbers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import fastexcel
import polars as pl

from yibao.errors import InputError
from yibao.io.columns import ColumnMap, map_columns
from yibao.io.encoding import as_utf8

ROW = "row"
"""Source row number: the row in a spreadsheet, or the record in a CSV file counted like lines (the header is
row 1, so data start at 2; this is the line number unless a quoted field spans lines); in a Parquet file, the
record's position counting from 1."""

CSV_PIECE_ROWS = 1_000_000
"""Rows per piece of a CSV file read into memory (see `RawClaims.piece_rows`)."""
CSV_SUFFIXES = {".csv", ".txt"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}


@dataclass
class RawClaims:
    """A claim file opened lazily: columns renamed to fields (numbered code columns kept apart), all as read."""

    source: Path
    rows: pl.LazyFrame
    """The rows, without row numbers (added by `frame`, from `first_row`)."""
    columns: ColumnMap
    first_row: int = 1
    """The source row number of the first of `rows`."""
    optimizations: pl.QueryOptFlags = field(default_factory=pl.QueryOptFlags)
    """Query flags for every collect. A CSV file is read whole-width: with columns projected away, polars
    would not notice a row with an extra field (a comma in a name) and later fields would shift silently."""
    piece_rows: int | None = None
    """Read into memory this many rows at a time (a CSV file, any file `validate_file` checks), or all at once
    (None): see `pieces`.

    Polars reads a CSV file in small pieces (about a hundred per million rows), which later steps would copy or walk
    again; gathered piece by piece, the small ones of a piece are freed before the next is read, and a piece checked
    lets its text go before the next is read (1e7 rows: 7.4 GB held when copied all at once afterwards)."""

    @property
    def frame(self) -> pl.LazyFrame:
        """The rows with their source row numbers in column `ROW`."""
        return self.rows.with_row_index(ROW, offset=self.first_row)

    def read(self) -> pl.DataFrame:
        """The rows with their source row numbers (`frame`), read into memory."""
        return self.frame.collect(optimizations=self.optimizations)

    def pieces(self) -> Iterator[RawClaims]:
        """The rows read into memory `piece_rows` at a time, each piece as claims of its own that keep their source
        row numbers (a piece can be checked, and its text let go, before the next is read); else the rows whole."""
        if self.piece_rows is None:
            yield self
            return
        first_row, read = self.first_row, False
        for batch in self.rows.collect_batches(chunk_size=self.piece_rows, optimizations=self.optimizations):
            piece = batch.rechunk()  # the batch's small pieces in one: later steps walk it many times
            in_memory = pl.QueryOptFlags()  # the whole-width rule is the read's: the piece is read
            yield replace(self, rows=piece.lazy(), first_row=first_row, optimizations=in_memory, piece_rows=None)
            first_row, read = first_row + piece.height, True
        if not read:  # no rows: one empty piece, whose columns are still checked
            yield replace(self, rows=self.rows.collect(optimizations=self.optimizations).lazy(), piece_rows=None)


def _scan(path: Path, workdir: Path) -> pl.LazyFrame:
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return pl.scan_csv(as_utf8(path, workdir), infer_schema=False, encoding="utf8", quote_char='"')
    if suffix in PARQUET_SUFFIXES:
        return pl.scan_parquet(path)
    if suffix in EXCEL_SUFFIXES:
        sheets = fastexcel.read_excel(path).sheet_names
        if len(sheets) != 1:
            raise InputError(path, f"has {len(sheets)} sheets ({', '.join(sheets)}): save one sheet per file")
        frame = pl.read_excel(path, infer_schema_length=0, drop_empty_rows=False, raise_if_empty=False)
        return frame.lazy()
    raise InputError(path, f"unknown file type {suffix!r}: expected CSV, Parquet or Excel (.xlsx)")


def open_claims(path: Path | str, workdir: Path) -> RawClaims:
    """Open a claim file; `workdir` receives a UTF-8 copy of a GB18030 CSV."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such file")
    try:
        frame = _scan(path, workdir)
    except pl.exceptions.PolarsError as error:
        raise InputError(path, f"cannot be read: {error}") from error
    first_row = 1 if path.suffix.lower() in PARQUET_SUFFIXES else 2
    opened = raw_claims(frame, path, first_row)
    if path.suffix.lower() in CSV_SUFFIXES:
        opened.optimizations = pl.QueryOptFlags(projection_pushdown=False)
        opened.piece_rows = CSV_PIECE_ROWS
    return opened


def raw_claims(frame: pl.LazyFrame | pl.DataFrame, source: Path | str, first_row: int = 1) -> RawClaims:
    """Map a frame's columns to fields and number its rows from `first_row`."""
    frame = frame.lazy()
    try:
        headers = frame.collect_schema().names()
    except pl.exceptions.PolarsError as error:
        raise InputError(source, f"cannot be read: {error}") from error
    columns = map_columns(headers, source)
    renames = {header: fld for fld, header in columns.single.items()}
    kept = [*columns.single.values(), *(h for hs in columns.numbered.values() for h in hs)]
    return RawClaims(source=Path(source), rows=frame.select(kept).rename(renames), columns=columns, first_row=first_row)
