"""The compiled date pass reads YYYY-MM-DD itself: its dates must be the polars expression's, value by value."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yibao import text_views
from yibao.models.parse import _date, _distinct_dates

NUMBER = st.integers(min_value=0, max_value=9999)
ISO = st.builds(lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}", NUMBER, st.integers(0, 13), st.integers(0, 32))
ODD = st.text(alphabet="0123456789-/ :T", max_size=19)
VALUES = st.lists(st.one_of(st.none(), ISO, st.dates().map(str), ODD), max_size=25)


def _days(column: pl.Series, reader: object) -> list[int | None]:
    """Days since 1970 (Python's dates stop at year 1; the calendar here starts at year 0)."""
    return column.to_frame("d").select(reader(pl.col("d"))).to_series().cast(pl.Int32).to_list()  # type: ignore[operator]


def _assert_same(column: pl.Series) -> None:
    assert _days(column, lambda value: _date(value, pl.String())) == _days(column, _distinct_dates)


@settings(max_examples=400, deadline=None)
@given(values=VALUES, chunks=st.integers(min_value=1, max_value=3), offset=st.integers(min_value=0, max_value=3))
def test_agrees_with_the_polars_expression(values: list[str | None], chunks: int, offset: int) -> None:
    """Real and impossible days (29 February of leap and common years, month 0 and 13, day 0 and 32), years 0 to
    9999, other formats, nulls, several chunks and a sliced column."""
    for small_chunk in (0, text_views.SMALL_CHUNK):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(text_views, "SMALL_CHUNK", small_chunk)
            column = pl.concat([pl.Series(values, dtype=pl.String)] * chunks, rechunk=False)
            _assert_same(column)
            _assert_same(column.slice(offset))


@pytest.mark.parametrize(
    ("text", "days"),
    [("1970-01-01", 0), ("2024-02-29", 19782), ("2000-02-29", 11016), ("1900-02-29", None), ("2025-1-5", 20093),
     ("2025-01-05 10:00", 20093), ("0000-03-01", -719468), (None, None)],
)  # fmt: skip
def test_days(text: str | None, days: int | None) -> None:
    assert _days(pl.Series([text], dtype=pl.String), lambda value: _date(value, pl.String())) == [days]
