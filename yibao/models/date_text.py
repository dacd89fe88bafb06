"""Dates written as text, read in one compiled pass: the same values as the polars expressions, several times faster.

Claim files write almost every date as `YYYY-MM-DD`: a numba pass over the column's Arrow string views reads those
that are real calendar dates. Every other value — another format, a time of day, a day that does not exist — is
handed to the polars expression (`parse._date`), so the results are its own by construction, value by value.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl
import pyarrow as pa

from yibao.text_scans import OTHER, PLAIN, scan_dates
from yibao.text_views import inline_view_chunks, parse_rows


def read_dates(text: pl.Series, parse: Callable[[pl.Expr], pl.Expr]) -> pl.Series:
    """The dates of a trimmed text column; `parse` (an expression on the column) reads the values not written as a
    real YYYY-MM-DD date."""
    days, kinds = np.zeros(text.len(), dtype=np.int32), np.empty(text.len(), dtype=np.uint8)
    done = 0
    for chunk in inline_view_chunks(text):
        size = chunk.views.shape[0]
        scan_dates(*chunk, days[done : done + size], kinds[done : done + size])
        done += size
    validity = pa.py_buffer(np.packbits(kinds == PLAIN, bitorder="little"))
    dates = pl.Series(text.name, pa.Array.from_buffers(pa.date32(), len(days), [validity, pa.py_buffer(days)]))
    rest = np.flatnonzero(kinds == OTHER)
    return dates.scatter(rest, parse_rows(text, rest, parse)) if len(rest) else dates
