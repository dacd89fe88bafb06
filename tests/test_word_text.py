"""The compiled lookup of coded text compares short values itself: its meanings must be the polars lookup's."""

from __future__ import annotations

from functools import partial

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yibao import text_views
from yibao.io.validate import SPECS
from yibao.models.parse import BOOLEAN_WORDS, _lookup, parse
from yibao.models.schema import FieldSpec
from yibao.models.word_text import read_words

CODED = [spec for spec in SPECS if spec.enum is not None or spec.dtype == pl.Boolean]
WORDS = sorted({word for spec in CODED for word in (spec.enum.aliases() if spec.enum else BOOLEAN_WORDS)})  # type: ignore[attr-defined]
VALUES = st.lists(
    st.one_of(
        st.none(),
        st.sampled_from(WORDS),
        st.sampled_from(WORDS).map(str.upper),
        st.sampled_from(WORDS).map(lambda word: word + "x"),  # a word and more
        st.sampled_from(WORDS).map(lambda word: word[:-1]),  # part of a word
        st.text(max_size=14),
    ),
    max_size=25,
)


def _polars_reads(column: pl.Series, spec: FieldSpec) -> list[object]:
    if spec.enum is None:
        expected = _lookup(pl.col("v").str.to_lowercase(), BOOLEAN_WORDS, pl.Boolean())
    else:
        expected = _lookup(pl.col("v"), {k: v for k, v in spec.enum.aliases().items() if k}, spec.dtype)  # type: ignore[attr-defined]
    return column.to_frame("v").select(expected).to_series().to_list()


@settings(max_examples=200, deadline=None)
@given(values=VALUES, chunks=st.integers(min_value=1, max_value=3), offset=st.integers(min_value=0, max_value=3))
@pytest.mark.parametrize("spec", CODED, ids=lambda spec: spec.name)
def test_agrees_with_the_polars_lookup(spec: FieldSpec, values: list[str | None], chunks: int, offset: int) -> None:
    """Every spelling of every coded field (short and long words, other cases, anything else), nulls, several
    chunks and a sliced column."""
    for small_chunk in (0, text_views.SMALL_CHUNK):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(text_views, "SMALL_CHUNK", small_chunk)
            column = pl.concat([pl.Series(values, dtype=pl.String)] * chunks, rechunk=False)
            for part in (column, column.slice(offset)):
                parsed = part.to_frame("v").select(parse(pl.col("v"), spec, pl.String())).to_series()
                assert parsed.dtype == spec.dtype
                assert parsed.to_list() == _polars_reads(part, spec)


def test_boolean_words_are_lower_case() -> None:
    """An exact match stands for the lower-cased lookup only because the words are lower case."""
    assert all(word == word.lower() for word in BOOLEAN_WORDS)


def test_tables_with_equal_meanings_of_other_types_are_kept_apart() -> None:
    """1, 1.0 and True are equal in Python: a table of one must not answer for another."""
    column = pl.Series("v", ["a", "b"])
    for meaning, dtype in ((1.0, pl.Float64()), (1, pl.Int64()), (True, pl.Boolean())):
        table = {"a": meaning}
        found = read_words(column, table, dtype, partial(_lookup, table=table, dtype=dtype))
        assert found.dtype == dtype and found.to_list() == [meaning, None]
