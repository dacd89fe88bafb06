"""The compiled passes read only text, and read it right however Arrow lays it out."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
import pytest

from yibao.models.amount_text import read_amounts
from yibao.models.parse import _date, boolean, money_from_text, money_text, too_many_decimals
from yibao.text_views import inline_view_chunks, view_chunks

VALUES = ["10896.34", None, "-0.5", "1,234.5", "123456789012.5", "x", "12.345", "0", None, "99.9"] * 3


@pytest.mark.parametrize("dtype", [pl.Int64, pl.Float64, pl.Categorical, pl.Null])
def test_only_text_is_read(dtype: pl.DataType) -> None:
    column = pl.Series("c", [None, None], dtype=dtype)
    for chunks in (inline_view_chunks, view_chunks):
        with pytest.raises(TypeError, match="read text"):
            next(chunks(column))


def test_other_sources_keep_the_polars_expressions() -> None:
    """A column typed otherwise (an all-null integer column from a spreadsheet) is not read as text views: before,
    its memory was read as views and null dates came out as 1970-01-01."""
    frame = pl.DataFrame({"d": pl.Series([None] * 8, dtype=pl.Int64)})
    with pytest.raises(pl.exceptions.PolarsError):
        frame.select(_date(pl.col("d"), pl.Int64()))
    assert frame.select(boolean(pl.col("d"), pl.Int64())).to_series().to_list() == [None] * 8


@pytest.mark.parametrize("start", range(0, 13, 3))
def test_arrow_offsets(start: int) -> None:
    """A column sliced by Arrow (an offset into its views and its validity bitmap) reads as the same values."""
    column = pl.Series("v", pa.array(VALUES, type=pa.string_view()).slice(start))
    values, excess = money_from_text(column, 2)
    expected = column.to_frame().select(money_text(pl.col("v")).cast(pl.Decimal(18, 2), strict=False)).to_series()
    assert values.to_list() == expected.to_list()
    assert excess.to_list() == [None if v is None else v == "12.345" for v in VALUES[start:]]


def test_amounts_within_the_type() -> None:
    """A plain amount with more integer digits than the type holds is polars' (null), not read."""
    narrow = pl.Decimal(10, 2)
    values, _ = read_amounts(
        pl.Series("v", ["123456789012.5", "1.5"]),
        narrow,
        lambda value: value.cast(narrow, strict=False),
        lambda value: value.str.contains("x"),
    )
    assert values.to_list() == [None, pl.Series(["1.50"]).cast(narrow)[0]]


def test_decimals_check_for_other_places() -> None:
    """Other decimal places than money's are checked by the regex."""
    frame = pl.DataFrame({"x": ["1.2345", "1.5", None]})
    assert frame.select(too_many_decimals(pl.col("x"), pl.String(), 3)).to_series().to_list() == [True, False, None]
