"""Amounts written as text, parsed in one compiled pass: the same values as polars' cast, several times faster.

Almost every amount in a claim file is a plain decimal (`-1234.5`, `10896.34`, `12.3400`): a numba pass over the
column's Arrow string views reads those exactly, to the fen. Every other value — thousands separators, a `+`,
an exponent, a leading `.`, more than 15 integer digits or 12 bytes, or digits beyond the allowed places that are
not all zeros (polars rounds those) — is handed to the polars expressions `money_text(…).cast(…)` and the decimals regex
(`parse.py`), so the results are theirs by construction, value by value.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl
import pyarrow as pa

from yibao.text_scans import EXCESS, NULL, OTHER, PLAIN, scan_amounts
from yibao.text_views import inline_view_chunks, parse_rows

MAX_INTEGER_DIGITS = 15
"""Plain values with more integer digits are left to polars (as are values longer than 12 bytes)."""


def _scan(text: pl.Series, dtype: pl.Decimal) -> tuple[np.ndarray, np.ndarray]:
    """Each value's amount in units of the type's scale as a 128-bit integer (n × 2 int64, zero where not PLAIN)
    and its kind (NULL, PLAIN, EXCESS, OTHER); plain values have at most as many integer digits as the type holds,
    and no more than MAX_INTEGER_DIGITS."""
    places = dtype.scale or 0
    if places > 3:
        raise ValueError(f"{dtype}: amounts are read to at most 3 decimals")
    integer_digits = min(MAX_INTEGER_DIGITS, (dtype.precision or 38) - places)
    units, kinds = np.empty((text.len(), 2), dtype=np.int64), np.empty(text.len(), dtype=np.uint8)
    done = 0
    for chunk in inline_view_chunks(text):
        size = chunk.views.shape[0]
        scan_amounts(*chunk, places, integer_digits, units[done : done + size], kinds[done : done + size])
        done += size
    return units, kinds


def _decimals(units: np.ndarray, valid: np.ndarray, dtype: pl.Decimal) -> pl.Series:
    """A Decimal column from 128-bit amounts in units of its scale (n × 2 int64, written as Arrow lays them out:
    no copy), null where not `valid`."""
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    array = pa.Array.from_buffers(
        pa.decimal128(dtype.precision, dtype.scale), len(units), [bitmap, pa.py_buffer(units)]
    )
    return pl.Series(array)


def read_amounts(
    text: pl.Series, dtype: pl.Decimal, parse: Callable[[pl.Expr], pl.Expr], excess: Callable[[pl.Expr], pl.Expr]
) -> tuple[pl.Series, pl.Series]:
    """The amounts of a trimmed text column as `dtype`, and whether each has non-zero digits beyond the type's
    decimal places (null for null), in one pass; `parse` and `excess` answer for the values that are not plain."""
    units, kinds = _scan(text, dtype)
    values = _decimals(units, kinds == PLAIN, dtype).alias(text.name)
    flags = pl.Series(text.name, pa.array(kinds == EXCESS, mask=kinds == NULL))
    rest = np.flatnonzero((kinds == EXCESS) | (kinds == OTHER))
    if len(rest):
        values = values.scatter(rest, parse_rows(text, rest, parse).cast(dtype))
    other = np.flatnonzero(kinds == OTHER)
    if len(other):
        flags = flags.scatter(other, parse_rows(text, other, excess))
    return values, flags
