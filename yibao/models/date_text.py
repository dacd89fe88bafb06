"""Dates written as text, read in one compiled pass: the same values as the polars expressions, several times faster.

Claim files write almost every date as `YYYY-MM-DD`: a numba pass over the column's Arrow string views reads those
that are real calendar dates. Every other value — another format, a time of day, a day that does not exist — is
handed to the polars expression (`parse._date`), so the results are its own by construction, value by value.
"""

from __future__ import annotations

from collections.abc import Callable

import numba as nb
import numpy as np
import polars as pl
import pyarrow as pa

from yibao.text_views import INLINE_START, is_valid, parse_rows, view_chunks

_DASH, _ZERO, _NINE = 0x2D, 0x30, 0x39
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


@nb.njit(cache=True, inline="always")
def _days_since_1970(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's days_from_civil)."""
    year -= 1 if month <= 2 else 0
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


@nb.njit(cache=True, inline="always")
def _number(view_bytes: np.ndarray, i: int, first: int, count: int) -> int:
    """The decimal number in bytes `first`… of an inline value `i`, or -1 when one of them is not a digit."""
    number = 0
    for j in range(first, first + count):
        byte = view_bytes[i, INLINE_START + j]
        if byte < _ZERO or byte > _NINE:
            return -1
        number = number * 10 + (byte - _ZERO)
    return number


@nb.njit(cache=True, nogil=True)
def _scan(views: np.ndarray, view_bytes: np.ndarray, validity: np.ndarray, offset: int, data: np.ndarray,
          starts: np.ndarray, days: np.ndarray, plain: np.ndarray) -> None:  # fmt: skip
    """Whether each value is a real date written YYYY-MM-DD and, where it is, its days since 1970-01-01 (a
    10-byte value is kept inside its view)."""
    for i in range(views.shape[0]):
        plain[i] = False
        if not is_valid(validity, offset, i) or views[i, 0] != 10:
            continue
        if view_bytes[i, INLINE_START + 4] != _DASH or view_bytes[i, INLINE_START + 7] != _DASH:
            continue
        year, month, day = _number(view_bytes, i, 0, 4), _number(view_bytes, i, 5, 2), _number(view_bytes, i, 8, 2)
        if year < 0 or month < 1 or month > 12 or day < 1:
            continue
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        if day > _DAYS_IN_MONTH[month] + (1 if month == 2 and leap else 0):
            continue
        days[i] = _days_since_1970(year, month, day)
        plain[i] = True


def read_dates(text: pl.Series, parse: Callable[[pl.Expr], pl.Expr]) -> pl.Series:
    """The dates of a trimmed text column; `parse` (an expression on the column) reads the values not written as a
    real YYYY-MM-DD date."""
    days, plain = np.zeros(text.len(), dtype=np.int32), np.empty(text.len(), dtype=np.bool_)
    done = 0
    for chunk in view_chunks(text):
        size = chunk.views.shape[0]
        _scan(*chunk, days[done : done + size], plain[done : done + size])
        done += size
    dates = pl.Series(text.name, pa.array(days, type=pa.date32(), mask=~plain))
    rest = np.flatnonzero(~plain & text.is_not_null().to_numpy())
    return dates.scatter(rest, parse_rows(text, rest, parse)) if len(rest) else dates
