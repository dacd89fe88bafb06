"""`money_from_text` reads plain amounts itself: its values and decimals flags must be polars' own, value by value."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yibao import text_views
from yibao.models.parse import money_from_text, money_text
from yibao.models.schema import MONEY_DTYPE

PLACES = MONEY_DTYPE.scale
DIGITS = st.text(alphabet="0123456789", min_size=0, max_size=18)
PLAIN = st.builds(lambda sign, whole, point, part: f"{sign}{whole}{point}{part}", st.sampled_from(["", "-"]), DIGITS,
                  st.sampled_from(["", "."]), DIGITS)  # fmt: skip
ODD = st.text(alphabet="0123456789.-+,eE ·中", max_size=14)
VALUES = st.lists(st.one_of(st.none(), PLAIN, ODD), max_size=25)


def _polars_reads(values: list[str | None]) -> tuple[pl.Series, pl.Series]:
    column = pl.Series("v", values, dtype=pl.String).to_frame()
    amounts = column.select(money_text(pl.col("v")).cast(MONEY_DTYPE, strict=False)).to_series()
    excess = column.select(money_text(pl.col("v")).str.contains(rf"\.[0-9]{{{PLACES}}}0*[1-9]")).to_series()
    return amounts, excess


def _assert_same(column: pl.Series) -> None:
    values, excess = money_from_text(column, PLACES)
    expected_values, expected_excess = _polars_reads(column.to_list())
    assert values.dtype == MONEY_DTYPE
    assert values.to_list() == expected_values.to_list()
    assert excess.to_list() == expected_excess.to_list()


@settings(max_examples=400, deadline=None)
@given(values=VALUES, chunks=st.integers(min_value=1, max_value=3), offset=st.integers(min_value=0, max_value=3))
def test_agrees_with_polars_cast(values: list[str | None], chunks: int, offset: int) -> None:
    """Plain decimals of any length (beyond 15 integer digits, beyond 2 decimals), odd text, nulls, several chunks
    and a sliced column, chunk by chunk and copied into one."""
    for small_chunk in (0, text_views.SMALL_CHUNK):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(text_views, "SMALL_CHUNK", small_chunk)
            column = pl.concat([pl.Series(values, dtype=pl.String)] * chunks, rechunk=False)
            _assert_same(column)
            _assert_same(column.slice(offset))


@pytest.mark.parametrize(
    ("text", "amount", "excess"),
    [
        ("10896.34", "10896.34", False),
        ("-0.5", "-0.50", False),
        ("12.3400", "12.34", False),
        ("12.345", "12.34", True),  # polars rounds half to even; the row is rejected for its decimals
        ("1,234.5", "1234.50", False),
        ("999999999999999.99", "999999999999999.99", False),
        ("9999999999999999.99", "9999999999999999.99", False),  # 16 integer digits: read by polars
        ("12.3x5", None, False),
        (None, None, None),
    ],
)
def test_values(text: str | None, amount: str | None, excess: bool | None) -> None:
    values, flags = money_from_text(pl.Series([text], dtype=pl.String), PLACES)
    assert (None if values[0] is None else str(values[0])) == amount
    assert flags[0] is excess


def test_other_places_refused() -> None:
    with pytest.raises(ValueError, match="decimals"):
        money_from_text(pl.Series(["1.5"]), 3)


def test_rows_without_a_plain_amount_hold_zero() -> None:
    """Null, odd and too-precise values leave zero, not old memory, under their validity bit in the Decimal buffer."""
    import numpy as np

    from yibao.text_scans import scan_amounts
    from yibao.text_views import inline_view_chunks

    text = pl.Series([None, "-12.5", "abc", "1.005", None], dtype=pl.String)
    (chunk,) = inline_view_chunks(text)
    units, kinds = np.full((5, 2), 7, dtype=np.int64), np.empty(5, dtype=np.uint8)
    scan_amounts(*chunk, PLACES, 15, units, kinds)
    assert units.tolist() == [[0, 0], [-1250, -1], [0, 0], [0, 0], [0, 0]]
