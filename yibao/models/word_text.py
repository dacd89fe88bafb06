"""Coded text (sex, discharge mode, yes/no …) looked up in its small table of words in one compiled pass.

A numba pass over the column's Arrow string views looks each short value (at most 12 bytes, kept inside its
view) up in a small hash table of the words: one slot per value, its view's four 32-bit parts compared. A value
that is not exactly one of them — another spelling, another case, a long word, a value that means nothing — is
handed to the polars expression (`parse._lookup`), so the results are its own by construction, value by value.
Meanings that are numbers, yes/no or short text are written straight into the result's buffers.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
import polars as pl
import pyarrow as pa

from yibao.text_scans import INLINE, INLINE_START, UNMATCHED, scan_words, word_slot
from yibao.text_views import inline_view_chunks, parse_rows


class WordTable(NamedTuple):
    """A table's short words by slot for `scan_words` (inline views as int32 × 4, each slot's meaning by number,
    2**bits slots), the meanings, and their inline views (int64 × 2) when every meaning is short text, else
    None."""

    slot_views: np.ndarray
    slot_meanings: np.ndarray
    bits: int
    meanings: tuple[Any, ...]
    meaning_views: np.ndarray | None


def _inline_views(texts: list[bytes]) -> np.ndarray:
    """Arrow's inline views of short texts: length, then the bytes, zeros after them."""
    views = np.zeros((len(texts), 16), dtype=np.uint8)
    for row, text in enumerate(texts):
        views[row, :INLINE_START] = np.frombuffer(np.int32(len(text)).tobytes(), dtype=np.uint8)
        views[row, INLINE_START : INLINE_START + len(text)] = np.frombuffer(text, dtype=np.uint8)
    return views


def _length_masks() -> np.ndarray:
    """For each length `n` up to INLINE, a mask keeping a view's length and its first `n` bytes (int32 × 4)."""
    masks = np.zeros((INLINE + 1, 16), dtype=np.uint8)
    for length in range(INLINE + 1):
        masks[length, : INLINE_START + length] = 0xFF
    return masks.view(np.int32)


_LENGTH_MASKS = _length_masks()


def _slots(views: np.ndarray, numbers: list[int]) -> tuple[np.ndarray, np.ndarray, int]:
    """The words' views and meanings by `word_slot`, in the smallest table (at least twice their number) where no
    two words share a slot."""
    for bits in range(max(len(views) * 2, 2).bit_length(), 21):
        slots = [word_slot(*(int(part) for part in view), bits) for view in views]
        if len(set(slots)) == len(slots):
            break
    else:
        raise ValueError(f"no word table without shared slots for {len(views)} words")
    slot_views, slot_meanings = np.zeros((1 << bits, 4), dtype=np.int32), np.full(1 << bits, UNMATCHED, np.int32)
    slot_views[:, 0] = -1
    slot_views[slots], slot_meanings[slots] = views, numbers
    return slot_views, slot_meanings, bits


@lru_cache(maxsize=64)
def _word_table(items: tuple[tuple[str, type, Hashable], ...]) -> WordTable:
    """The table of (word, meaning's type, meaning): with the type, tables meaning 1 and 1.0 are not one entry."""
    meanings = tuple(dict.fromkeys(meaning for _, _, meaning in items))
    short = [(word.encode(), meanings.index(meaning)) for word, _, meaning in items if len(word.encode()) <= INLINE]
    views = _inline_views([word for word, _ in short]).view(np.int32)
    slot_views, slot_meanings, bits = _slots(views, [number for _, number in short])
    meaning_views = None
    if all(isinstance(meaning, str) and len(meaning.encode()) <= INLINE for meaning in meanings):
        meaning_views = _inline_views([meaning.encode() for meaning in meanings]).view(np.int64)
    return WordTable(slot_views, slot_meanings, bits, meanings, meaning_views)


_ARROW_TYPES: dict[type, tuple[type, pa.DataType]] = {bool: (np.bool_, pa.bool_()), int: (np.int64, pa.int64())}
"""Meanings of these kinds are written straight into an Arrow array's buffers."""


def _meaning_column(name: str, found: np.ndarray, words: WordTable, dtype: pl.DataType) -> pl.Series:
    """The meanings found (by number; null where none), as `dtype`."""
    known, meanings = found >= 0, words.meanings
    validity = None if known.all() else pa.py_buffer(np.packbits(known, bitorder="little"))
    if words.meaning_views is not None and dtype == pl.String:
        taken = np.take(words.meaning_views, found, axis=0, mode="clip")  # unknown (negative) rows: the first
        array = pa.Array.from_buffers(pa.string_view(), len(found), [validity, pa.py_buffer(taken)])
        return pl.Series(name, array)
    kind = bool if dtype == pl.Boolean else int if dtype.is_integer() else None
    if kind is not None and all(type(meaning) is kind for meaning in meanings):
        numpy_type, arrow_type = _ARROW_TYPES[kind]
        values = np.take(np.array(meanings, dtype=numpy_type), found, mode="clip")
        data = np.packbits(values, bitorder="little") if kind is bool else values
        array = pa.Array.from_buffers(arrow_type, len(found), [validity, pa.py_buffer(data)])
        return pl.Series(name, array).cast(dtype)
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
        scan_words(*chunk, _LENGTH_MASKS, words.slot_views, words.slot_meanings, words.bits, found[done : done + size])
        done += size
    values = _meaning_column(text.name, found, words, dtype)
    rest = np.flatnonzero(found == UNMATCHED)
    return values.scatter(rest, parse_rows(text, rest, others)) if len(rest) else values
