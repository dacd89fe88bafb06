"""The compiled lookup of coded text compares short values itself: its meanings must be the polars lookup's."""

from __future__ import annotations

import itertools
import string
from functools import partial

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yibao import text_views
from yibao.io.validate import SPECS
from yibao.models.parse import BOOLEAN_WORDS, _lookup, parse
from yibao.models.schema import FieldSpec
from yibao.models.word_text import _inline_views, _word_table, read_words
from yibao.text_scans import word_slot

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


@settings(max_examples=100, deadline=None)
@given(
    table=st.dictionaries(st.text(min_size=1, max_size=6), st.integers(-5, 5), min_size=1, max_size=60),
    others=st.lists(st.text(max_size=6), max_size=20),
)
def test_any_table_of_words_reads_like_a_dictionary(table: dict[str, int], others: list[str]) -> None:
    """Tables of any size and words (slots found for every word, none shared, long words left to the expression):
    each value means its word's meaning, anything else nothing."""
    values = [*table, *others, None]
    lookup = partial(_lookup, table=table, dtype=pl.Int64())
    found = read_words(pl.Series("v", values, dtype=pl.String), table, pl.Int64(), lookup)
    assert found.to_list() == [None if value is None else table.get(value) for value in values]


@pytest.mark.parametrize("part", [1, 2, 3])
def test_a_value_in_a_words_slot_is_compared_whole(part: int) -> None:
    """A value of the word's length that lands in the word's slot but differs in one 4-byte part is not the word."""
    word, table = "abcdefghijkl", {"abcdefghijkl": 1, "mnopqrstuvwx": 2}  # 12 bytes: all three parts in use
    words = _word_table(tuple((w, int, meaning) for w, meaning in table.items()))
    slot_of = lambda text: word_slot(*(int(p) for p in _inline_views([text.encode()]).view(np.int32)[0]), words.bits)  # noqa: E731
    first = 4 * (part - 1)
    candidates = (
        word[:first] + a + b + word[first + 2 :] for a, b in itertools.product(string.ascii_letters, repeat=2)
    )
    twin = next(text for text in candidates if text != word and slot_of(text) == slot_of(word))
    found = read_words(pl.Series("v", [twin, word]), table, pl.Int64(), partial(_lookup, table=table, dtype=pl.Int64()))
    assert found.to_list() == [None, 1]
