"""Coded text (sex, discharge mode, yes/no …) looked up in its small table of words in one compiled pass.

A numba pass over the column's Arrow string views compares each short value (at most 12 bytes, kept inside its
view) with the table's words byte by byte. A value that is not exactly one of them — another spelling, another
case, a long word, a value that means nothing — is handed to the polars expression (`parse._lookup`), so the
results are its own by construction, value by value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from yibao.text_scans import INLINE, UNMATCHED, scan_words
from yibao.text_views import inline_view_chunks, parse_rows


def read_words(
    text: pl.Series, table: dict[str, Any], dtype: pl.DataType, others: Callable[[pl.Expr], pl.Expr]
) -> pl.Series:
    """Each value's meaning in `table` (word → meaning) as `dtype`, null for null; `others` (an expression on the
    column) reads the values that are not exactly one of the table's words of at most 12 bytes."""
    meanings = list(dict.fromkeys(table.values()))
    short = {word.encode(): meanings.index(meaning) for word, meaning in table.items() if len(word.encode()) <= INLINE}
    word_bytes = np.zeros((len(short), INLINE), dtype=np.uint8)
    for row, word in enumerate(short):
        word_bytes[row, : len(word)] = np.frombuffer(word, dtype=np.uint8)
    word_lengths = np.array([len(word) for word in short], dtype=np.int32)
    numbers = np.array(list(short.values()), dtype=np.int32)
    found = np.empty(text.len(), dtype=np.int32)
    done = 0
    for chunk in inline_view_chunks(text):
        size = chunk.views.shape[0]
        scan_words(*chunk, word_lengths, word_bytes, numbers, found[done : done + size])
        done += size
    index = pl.Series(pa.array(found, mask=found < 0))
    values = pl.Series(text.name, meanings, dtype=dtype).gather(index)
    rest = np.flatnonzero(found == UNMATCHED)
    return values.scatter(rest, parse_rows(text, rest, others)) if len(rest) else values
