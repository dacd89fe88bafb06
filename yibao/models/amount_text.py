"""Amounts written as text, parsed in one compiled pass: the same values as polars' cast, several times faster.

Almost every amount in a claim file is a plain decimal (`-1234.5`, `10896.34`, `12.3400`): a numba pass over the
column's Arrow string views reads those exactly, to the fen. Every other value — thousands separators, a `+`,
an exponent, a leading `.`, more than 15 integer digits, or digits beyond the allowed places that are not all
zeros (polars rounds those) — is handed to the polars expressions `money_text(…).cast(…)` and the decimals regex
(`parse.py`), so the results are theirs by construction, value by value.
"""

from __future__ import annotations

from collections.abc import Callable

import numba as nb
import numpy as np
import polars as pl
import pyarrow as pa

from yibao.text_views import is_valid, parse_rows, value_byte, value_start, view_chunks

NULL, PLAIN, EXCESS, OTHER = 0, 1, 2, 3
"""What the pass finds in a value: null; a plain decimal read exactly; a plain decimal with non-zero digits beyond
the allowed places; anything else."""
MAX_INTEGER_DIGITS = 15
"""Plain values with more integer digits are left to polars (a Decimal(18, 2) holds 16)."""
_MINUS, _POINT, _ZERO, _NINE = 0x2D, 0x2E, 0x30, 0x39
_POWERS_OF_TEN = 10 ** np.arange(19, dtype=np.int64)
"""A table, not a loop or `**`: either makes the pass ten times slower."""


@nb.njit(cache=True, nogil=True)
def _scan(views: np.ndarray, view_bytes: np.ndarray, validity: np.ndarray, offset: int, data: np.ndarray,
          starts: np.ndarray, places: int, units: np.ndarray, kinds: np.ndarray) -> None:  # fmt: skip
    """Each value's kind and, for PLAIN ones, its amount in units of 10**-places (one loop over each value's
    bytes: a loop per part, integer and decimals, is three times slower)."""
    for i in range(views.shape[0]):
        if not is_valid(validity, offset, i):
            kinds[i] = NULL
            continue
        start = value_start(views, starts, i)
        value, digits, decimals, point, negative, kind = 0, 0, 0, False, False, PLAIN
        for j in range(views[i, 0]):
            byte = value_byte(view_bytes, data, start, i, j)
            if _ZERO <= byte <= _NINE:
                if not point:
                    value = value * 10 + (byte - _ZERO)
                    digits += 1
                elif decimals < places:
                    value = value * 10 + (byte - _ZERO)
                    decimals += 1
                elif byte != _ZERO and kind == PLAIN:
                    kind = EXCESS
            elif byte == _POINT and not point:
                point = True
            elif byte == _MINUS and j == 0:
                negative = True
            else:
                kind = OTHER
        if digits == 0 or digits > MAX_INTEGER_DIGITS:
            kind = OTHER
        kinds[i] = kind
        if kind == PLAIN:
            value *= _POWERS_OF_TEN[places - decimals]
            units[i] = -value if negative else value


def scan_amounts(text: pl.Series, places: int) -> tuple[np.ndarray, np.ndarray]:
    """Each value's amount in units of 10**-places (where PLAIN) and its kind (NULL, PLAIN, EXCESS, OTHER)."""
    if not 0 <= places <= len(_POWERS_OF_TEN) - 1 - MAX_INTEGER_DIGITS:
        raise ValueError(f"{places} decimal places: amounts are read to at most 3")
    units, kinds = np.zeros(text.len(), dtype=np.int64), np.empty(text.len(), dtype=np.uint8)
    done = 0
    for chunk in view_chunks(text):
        size = chunk.views.shape[0]
        _scan(*chunk, places, units[done : done + size], kinds[done : done + size])
        done += size
    return units, kinds


def _decimals(units: np.ndarray, valid: np.ndarray, dtype: pl.Decimal) -> pl.Series:
    """A Decimal column from amounts in units of its scale (128-bit little-endian, sign-extended), null where not
    `valid`."""
    wide = np.empty((len(units), 2), dtype=np.int64)
    wide[:, 0], wide[:, 1] = units, units >> 63
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    array = pa.Array.from_buffers(pa.decimal128(dtype.precision, dtype.scale), len(units), [bitmap, pa.py_buffer(wide)])
    return pl.Series(array)


def read_amounts(
    text: pl.Series, dtype: pl.Decimal, parse: Callable[[pl.Expr], pl.Expr], excess: Callable[[pl.Expr], pl.Expr]
) -> tuple[pl.Series, pl.Series]:
    """The amounts of a trimmed text column as `dtype`, and whether each has non-zero digits beyond the type's
    decimal places (null for null), in one pass; `parse` and `excess` answer for the values that are not plain."""
    units, kinds = scan_amounts(text, dtype.scale or 0)
    values = _decimals(units, kinds == PLAIN, dtype).alias(text.name)
    flags = pl.Series(text.name, pa.array(kinds == EXCESS, mask=kinds == NULL))
    rest = np.flatnonzero((kinds == EXCESS) | (kinds == OTHER))
    if len(rest):
        values = values.scatter(rest, parse_rows(text, rest, parse).cast(dtype))
    other = np.flatnonzero(kinds == OTHER)
    if len(other):
        flags = flags.scatter(other, parse_rows(text, other, excess))
    return values, flags
