"""Coded text (sex, discharge mode, yes/no …) looked up in its small table of words in one compiled pass.

A numba pass over the column's Arrow string views compares each short value (at most 12 bytes, kept inside its
view) with the table's words, a view's four 32-bit parts at a time. A value that is not exactly one of them —
another spelling, another case, a long word, a value that means nothing — is handed to the polars expression
(`parse._lookup`), so the results are its own by construction, value by value. Meanings that are numbers, yes/no
or short text are written straight into the result's buffers.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
import polars as pl
import pyarrow as pa

from yibao.text_scans import INLINE, INLINE_START, UNMATCHED, scan_words
from yibao.text_views import inline_view_chunks, parse_rows


class WordTable(NamedTuple):
    """A table's short words as inline views and masks (int32 × 4 each), each word's meaning by number, the
    meanings, and their inline views (int64 × 2) when every meaning is short text, else None."""

    word_views: np.ndarray
    word_masks: np.ndarray
    numbers: np.ndarray
    meanings: tuple[Any, ...]
    meaning_views: np.ndarray | None


def _inline_views(texts: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Arrow's inline views of short texts (length, then the bytes, zeros after them), and masks of those bytes."""
    views, masks = np.zeros((len(texts), 16), dtype=np.uint8), np.zeros((len(texts), 16), dtype=np.uint8)
    for row, text in enumerate(texts):
        views[row, :INLINE_START] = np.frombuffer(np.int32(len(text)).tobytes(), dtype=np.uint8)
        views[row, INLINE_START : INLINE_START + len(text)] = np.frombuffer(text, dtype=np.uint8)
        masks[row, : INLINE_START + len(text)] = 0xFF
    return views, masks


@lru_cache(maxsize=64)
def _word_table(items: tuple[tuple[str, type, Hashable], ...]) -> WordTable:
    """The table of (word, meaning's type, meaning): with the type, tables meaning 1 and 1.0 are not one entry."""
    meanings = tuple(dict.fromkeys(meaning for _, _, meaning in items))
    short = [(word.encode(), meanings.index(meaning)) for word, _, meaning in items if len(word.encode()) <= INLINE]
    views, masks = _inline_views([word for word, _ in short])
    numbers = np.array([number for _, number in short], dtype=np.int32)
    meaning_views = None
    if all(isinstance(meaning, str) and len(meaning.encode()) <= INLINE for meaning in meanings):
        meaning_views = _inline_views([meaning.encode() for meaning in meanings])[0].view(np.int64)
    return WordTable(views.view(np.int32), masks.view(np.int32), numbers, meanings, meaning_views)


def _meaning_column(name: str, found: np.ndarray, words: WordTable, dtype: pl.DataType) -> pl.Series:
    """The meanings found (by number; null where none), as `dtype`."""
    known, meanings = found >= 0, words.meanings
    numbers = np.where(known, found, 0)
    if words.meaning_views is not None and dtype == pl.String:
        validity = pa.py_buffer(np.packbits(known, bitorder="little"))
        taken = np.take(words.meaning_views, numbers, axis=0)  # rows: several times faster than views[numbers]
        array = pa.Array.from_buffers(pa.string_view(), len(found), [validity, pa.py_buffer(taken)])
        return pl.Series(name, array)
    if all(isinstance(m, bool | int) for m in meanings) and (dtype.is_integer() or dtype == pl.Boolean):
        values = np.array(meanings, dtype=np.bool_ if dtype == pl.Boolean else np.int64)[numbers]
        return pl.Series(name, pa.array(values, mask=~known)).cast(dtype)
    return pl.Series(name, meanings, dtype=dtype).gather(pl.Series(pa.array(found, mask=~known)))


def read_words(
    text: pl.Series, table: dict[str, Any], dtype: pl.DataType, others: Callable[[pl.Expr], pl.Expr]
) -> pl.Series:
    """Each value's meaning in `table` (word → meaning) as `dtype`, null for null; `others` (an expression on the
    column) reads the values that are not exactly one of the table's words of at most 12 bytes."""
    words = _word_table(tuple((word, type(meaning), meaning) for word, meaning in table.items()))
    found = np.empty(text.len(), dtype=np.int32)
    done = 0
    for chunk in inline_view_chunks(text):
        size = chunk.views.shape[0]
        scan_words(*chunk, words.word_views, words.word_masks, words.numbers, found[done : done + size])
        done += size
    values = _meaning_column(text.name, found, words, dtype)
    rest = np.flatnonzero(found == UNMATCHED)
    return values.scatter(rest, parse_rows(text, rest, others)) if len(rest) else values
