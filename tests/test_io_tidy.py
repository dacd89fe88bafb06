"""`tidying` reads Arrow string views itself: it must agree with polars' own trimming on any text."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yibao import text_views
from yibao.io.tidy import Tidying, tidying

# ASCII, CJK, every White_Space character, and lookalikes that are not white space (U+200B, U+FEFF)
ALPHABET = st.sampled_from(
    list("aZ09.|-中医\t\n\r\x0b\x0c \x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000\u200b\ufeffé")
)
VALUES = st.lists(st.one_of(st.none(), st.text(alphabet=ALPHABET, max_size=30)), max_size=20)


def _polars_says(values: list[str | None]) -> Tidying:
    column = pl.Series(values, dtype=pl.String)
    if (column.str.strip_chars() != column).any():
        return Tidying.TRIM
    return Tidying.EMPTY_AS_NULL if (column == "").any() else Tidying.NONE


@settings(max_examples=300, deadline=None)
@given(values=VALUES, chunks=st.integers(min_value=1, max_value=3), offset=st.integers(min_value=0, max_value=3))
def test_agrees_with_polars_strip(values: list[str | None], chunks: int, offset: int) -> None:
    """Short (inline) and long values, nulls, several chunks and a sliced column."""
    for small_chunk in (0, text_views.SMALL_CHUNK):  # chunk by chunk, and copied into one
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(text_views, "SMALL_CHUNK", small_chunk)
            column = pl.concat([pl.Series(values, dtype=pl.String)] * chunks, rechunk=False)
            assert tidying(column) is _polars_says(values)
            sliced = column.slice(offset)
            assert tidying(sliced) is _polars_says(sliced.to_list())


@pytest.mark.parametrize(
    ("values", "needs"),
    [
        ([None, None], Tidying.NONE),
        ([], Tidying.NONE),
        (["a", None, "b"], Tidying.NONE),
        (["", None], Tidying.EMPTY_AS_NULL),
        (["", "a", ""], Tidying.EMPTY_AS_NULL),
        (["", "a ", ""], Tidying.TRIM),  # white space after an empty value: still found
        (["\u3000a", ""], Tidying.TRIM),
    ],
)
def test_columns(values: list[str | None], needs: Tidying) -> None:
    assert tidying(pl.Series(values, dtype=pl.String)) is needs
