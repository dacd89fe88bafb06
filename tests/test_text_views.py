"""The compiled passes read only text, and read it right however Arrow lays it out."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
import pytest

from yibao.io.tidy import Tidying, tidying
from yibao.models.amount_text import read_amounts
from yibao.models.parse import _date, boolean, money_from_text, money_text, too_many_decimals
from yibao.models.pattern_text import matches
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


def _two_buffers(first: list[str], second: list[str]) -> pl.Series:
    """A column whose long values live in two data buffers (as Arrow concatenates them)."""
    arrays = [pa.array(values, type=pa.string_view()) for values in (first, second)]
    column = pl.Series("v", pa.concat_arrays(arrays))
    assert len(column.to_arrow(compat_level=pl.CompatLevel.newest()).buffers()) == 4
    return column


def test_values_in_several_data_buffers() -> None:
    """Long values are read from the data buffer their view names, not from the first."""
    tidy, untidy = "a" * 20, "c" * 20 + " "
    assert tidying(_two_buffers([tidy, tidy], [tidy, "b" * 15])) is Tidying.NONE
    assert tidying(_two_buffers([tidy, tidy], [tidy, untidy])) is Tidying.TRIM
    assert tidying(_two_buffers(["a" * 13 + " " + "a" * 6], ["b" * 14])) is Tidying.NONE  # the space is not its end
    keys = _two_buffers(["0" * 20, "a" * 20], ["0" * 19 + "g", "f" * 20])
    assert keys.to_frame().select(matches(pl.col("v"), r"^[0-9a-f]{20}$")).to_series().to_list() == [
        True, True, False, True
    ]  # fmt: skip
