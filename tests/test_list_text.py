"""The compiled split makes its own views of each part: its lists must be polars' `str.split`'s."""

from __future__ import annotations

import gc

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yibao import text_views
from yibao.models.list_text import empty_for_null, split_text

CODES = st.sampled_from(["A01.0", "K82.200", "B20.006x001+K93.0*", "06.2x00", "", " ", "中文编码很长的一段", "||"])
VALUES = st.lists(
    st.one_of(
        st.none(),
        st.lists(CODES, max_size=6).map("|".join),  # short and long values, parts of every size, empty parts
        st.text(alphabet="ab|中 ", max_size=30),
    ),
    max_size=20,
)


def _polars_split(column: pl.Series) -> list[list[str] | None]:
    no_parts = pl.lit([], dtype=pl.List(pl.String))
    expected = pl.when(pl.col("v") == "").then(no_parts).otherwise(pl.col("v").str.split("|"))
    return column.to_frame("v").select(expected).to_series().to_list()


@settings(max_examples=300, deadline=None)
@given(values=VALUES, chunks=st.integers(min_value=1, max_value=3), offset=st.integers(min_value=0, max_value=3))
def test_agrees_with_polars_split(values: list[str | None], chunks: int, offset: int) -> None:
    """Nulls, empty text, empty parts, long and short parts, multi-byte text, several chunks, a sliced column."""
    for small_chunk in (0, text_views.SMALL_CHUNK):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(text_views, "SMALL_CHUNK", small_chunk)
            column = pl.concat([pl.Series(values, dtype=pl.String)] * chunks, rechunk=False)
            for part in (column, column.slice(offset)):
                split = split_text(part, "|")
                assert split.dtype == pl.List(pl.String)
                expected = _polars_split(part)
                assert split.to_list() == expected
                assert split.equals(pl.Series(part.name, expected, dtype=pl.List(pl.String)))  # polars' own compare


def test_parts_of_values_in_several_data_buffers() -> None:
    """Long parts point into the buffer their value lives in; they stay readable when the text is gone."""
    first, second = "A" * 14 + "|" + "B" * 13, "C" * 15 + "|x|" + "D" * 20
    arrays = [pa.array([first, None], type=pa.string_view()), pa.array(["y", second], type=pa.string_view())]
    column = pl.Series("v", pa.concat_arrays(arrays))
    split = split_text(column, "|")
    del column, arrays
    gc.collect()
    assert split.to_list() == [["A" * 14, "B" * 13], None, ["y"], ["C" * 15, "x", "D" * 20]]
    assert split.list.eval(pl.element().str.len_bytes()).to_list() == [[14, 13], None, [1], [15, 1, 20]]


@pytest.mark.parametrize("separator", ["||", "", "、"])
def test_one_ascii_separator(separator: str) -> None:
    with pytest.raises(ValueError, match="one ASCII character"):
        split_text(pl.Series(["a"]), separator)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.lists(st.sampled_from(["A01.0", "中" * 5, ""]), max_size=3)), max_size=15),
    offset=st.integers(min_value=0, max_value=3),
)
def test_empty_for_null_is_fill_null(values: list[list[str] | None], offset: int) -> None:
    column = pl.concat([pl.Series("v", values, dtype=pl.List(pl.String))] * 2, rechunk=False).slice(offset)
    expected = column.fill_null(pl.lit([], dtype=pl.List(pl.String)))
    assert empty_for_null(column).to_list() == expected.to_list()


def test_empty_for_null_when_a_null_encloses_parts() -> None:
    """Arrow allows a null list to span parts: those would come back as the list's parts without polars' fill."""
    parts = pa.array(["a", "b", "c"], type=pa.string_view())
    offsets = pa.py_buffer(np.array([0, 1, 2, 3], dtype=np.int64))
    validity = pa.py_buffer(np.packbits([True, False, True], bitorder="little"))
    lists = pa.Array.from_buffers(pa.large_list(pa.string_view()), 3, [validity, offsets], children=[parts])
    assert empty_for_null(pl.Series("v", lists)).to_list() == [["a"], [], ["c"]]


def test_empty_for_null_keeps_the_parts_of_a_split() -> None:
    """Null lists from `split_text` enclose no parts: they become empty without copying the parts."""
    lists = split_text(pl.Series("v", ["A01.0|B02.1", None, "C03.2", None] * 50), "|")
    filled = empty_for_null(lists)
    parts, kept = (s.to_arrow(compat_level=pl.CompatLevel.newest()).values.buffers()[1] for s in (lists, filled))
    assert kept.address == parts.address
    assert filled.to_list() == [["A01.0", "B02.1"], [], ["C03.2"], []] * 50
