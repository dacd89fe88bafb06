"""The compiled pattern check reads each value's bytes itself: its answers must be polars' regex's."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yibao import text_views
from yibao.identity import PERSON_KEY_PATTERN
from yibao.models.pattern_text import class_run, matches

PATTERNS = [PERSON_KEY_PATTERN, r"^[A-Z0-9]{3,14}$", r"^[a-cx]{0,2}$"]
HEX = "0123456789abcdefABCDEF"
KEYS = st.text("0123456789abcdef", min_size=19, max_size=21)
ONE_WRONG = st.tuples(KEYS, st.integers(min_value=0, max_value=20), st.sampled_from("gA \n中")).map(
    lambda key_at_by: key_at_by[0][: key_at_by[1]] + key_at_by[2] + key_at_by[0][key_at_by[1] + 1 :]
)
VALUES = st.lists(
    st.one_of(
        st.none(),
        KEYS,
        ONE_WRONG,  # a key with one wrong character anywhere, the last included
        st.text(HEX + "xyz-", min_size=0, max_size=15),
        st.text(min_size=0, max_size=25),  # anything: other letters, multi-byte characters, new lines
    ),
    max_size=25,
)


@settings(max_examples=200, deadline=None)
@given(values=VALUES, chunks=st.integers(min_value=1, max_value=3), offset=st.integers(min_value=0, max_value=3))
@pytest.mark.parametrize("pattern", PATTERNS)
def test_agrees_with_the_regex(pattern: str, values: list[str | None], chunks: int, offset: int) -> None:
    """Short (inline) and long values, nulls, several chunks and a sliced column."""
    for small_chunk in (0, text_views.SMALL_CHUNK):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(text_views, "SMALL_CHUNK", small_chunk)
            column = pl.concat([pl.Series(values, dtype=pl.String)] * chunks, rechunk=False)
            for part in (column, column.slice(offset)):
                frame = part.to_frame("v")
                compiled = frame.select(matches(pl.col("v"), pattern)).to_series()
                assert compiled.to_list() == frame.select(pl.col("v").str.contains(pattern)).to_series().to_list()


def test_the_person_key_is_a_class_run() -> None:
    """The person key's pattern is read by the compiled pass, not left to the regex."""
    run = class_run(PERSON_KEY_PATTERN)
    assert run is not None
    assert (run.min_length, run.max_length) == (20, 20)
    assert [chr(byte) for byte in run.allowed.nonzero()[0]] == list("0123456789abcdef")


@pytest.mark.parametrize("pattern", [r"^[0-9a-f]+$", r"[0-9]{3}", r"^[0-9]{3}", r"^abc$", r"^[\d]{3}$", r"^[^a]{2}$"])
def test_other_patterns_keep_the_regex(pattern: str) -> None:
    assert class_run(pattern) is None
    frame = pl.DataFrame({"v": ["abc", "123", "1234", None]})
    expected = frame.select(pl.col("v").str.contains(pattern)).to_series()
    assert frame.select(matches(pl.col("v"), pattern)).to_series().to_list() == expected.to_list()


@pytest.mark.parametrize("pattern", [r"^[a-f]{2,1}$", r"^[z-a]{2}$"])
def test_invalid_patterns_are_refused_as_the_regex_refuses_them(pattern: str) -> None:
    assert class_run(pattern) is None
    with pytest.raises(pl.exceptions.ComputeError):
        pl.DataFrame({"v": ["ab"]}).select(matches(pl.col("v"), pattern))
