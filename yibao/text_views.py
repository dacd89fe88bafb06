"""A polars text column as Arrow string views in numpy arrays, for compiled (numba) passes over its values.

Arrow keeps each value in a 16-byte view: its length (4 bytes), then the value itself when it has at most 12
bytes, else its first 4 bytes, the data buffer it lives in and its offset there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

import numba as nb
import numpy as np
import polars as pl
import pyarrow as pa

INLINE = 12
"""Arrow keeps a string of up to 12 bytes inside its 16-byte view; longer ones live in a data buffer."""
INLINE_START = 4
"""Where an inline value starts in its view (after its 4-byte length)."""
SMALL_CHUNK = 65_536
"""Chunks are read one by one, without copying, unless they are smaller than this on average."""


class StringViews(NamedTuple):
    """One Arrow chunk: `views` (n × 4 int32: length, prefix, buffer, offset) and the same bytes as `view_bytes`
    (n × 16 uint8); the validity bitmap (empty when nothing is null) from bit `offset`; the data buffers one after
    another in `data`, buffer `b` from `starts[b]`."""

    views: np.ndarray
    view_bytes: np.ndarray
    validity: np.ndarray
    offset: int
    data: np.ndarray
    starts: np.ndarray


def string_views(array: pa.StringViewArray) -> StringViews:
    """The buffers of one Arrow string-view array as numpy arrays (the data buffers are copied into one)."""
    validity, views, *data = array.buffers()
    view_bytes = np.frombuffer(views, dtype=np.uint8).reshape(-1, 16)[array.offset : array.offset + len(array)]
    valid = np.frombuffer(validity or b"", dtype=np.uint8)
    buffers = [np.frombuffer(buffer, dtype=np.uint8) for buffer in data]
    joined = np.concatenate([*buffers, np.empty(0, dtype=np.uint8)])
    starts = np.cumsum([0, *(len(buffer) for buffer in buffers)], dtype=np.int64)
    return StringViews(view_bytes.view(np.int32), view_bytes, valid, array.offset, joined, starts)


def view_chunks(column: pl.Series) -> Iterator[StringViews]:
    """A text column's chunks as string views; many small chunks (a CSV read) are first copied into one."""
    if column.len() < SMALL_CHUNK * column.n_chunks():
        column = column.rechunk()
    for chunk in column.get_chunks():
        yield string_views(chunk.to_arrow(compat_level=pl.CompatLevel.newest()))


@nb.njit(cache=True, inline="always")
def is_valid(validity: np.ndarray, offset: int, i: int) -> bool:
    """Whether value `i` is not null."""
    if len(validity) == 0:
        return True
    bit = offset + i
    return bool((validity[bit >> 3] >> (bit & 7)) & 1)


@nb.njit(cache=True, inline="always")
def value_start(views: np.ndarray, starts: np.ndarray, i: int) -> int:
    """Where value `i` starts in `data`, or -1 when it is inline in its view."""
    if views[i, 0] <= INLINE:
        return -1
    return starts[views[i, 2]] + views[i, 3]


@nb.njit(cache=True, inline="always")
def value_byte(view_bytes: np.ndarray, data: np.ndarray, start: int, i: int, j: int) -> np.uint8:
    """Byte `j` of value `i`, which starts at `start` in `data` (-1: inline in its view)."""
    if start < 0:
        return view_bytes[i, INLINE_START + j]
    return data[start + j]


def parse_rows(text: pl.Series, rows: np.ndarray, parse: Callable[[pl.Expr], pl.Expr]) -> pl.Series:
    """`parse` (an expression on one text column) of the values at `rows`: what a compiled pass leaves to polars."""
    return text.gather(rows).to_frame("text").select(parse(pl.col("text"))).to_series()
