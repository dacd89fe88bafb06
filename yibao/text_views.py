"""A polars text column as Arrow string views in numpy arrays, for the compiled passes of `text_scans`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

import numpy as np
import polars as pl
import pyarrow as pa

SMALL_CHUNK = 65_536
"""Chunks are read one by one, without copying, unless they are smaller than this on average."""


class InlineViews(NamedTuple):
    """One Arrow chunk's views: `views` (n × 4 int32: length, prefix, buffer, offset) and the same bytes as
    `view_bytes` (n × 16 uint8); the validity bitmap (empty when nothing is null) from bit `offset`."""

    views: np.ndarray
    view_bytes: np.ndarray
    validity: np.ndarray
    offset: int


class StringViews(NamedTuple):
    """One Arrow chunk's `inline` views, the `addresses` of its data buffers (by their number in a view) and the
    `buffers` themselves, kept alive while a pass reads them."""

    inline: InlineViews
    addresses: np.ndarray
    buffers: tuple[pa.Buffer, ...]


def _arrays(column: pl.Series) -> Iterator[pa.StringViewArray]:
    """A text column's chunks as Arrow arrays; many small chunks (a CSV read) are first copied into one."""
    if column.dtype != pl.String:
        raise TypeError(f"{column.name!r}: the compiled passes read text, not {column.dtype}")
    if column.len() < SMALL_CHUNK * column.n_chunks():
        column = column.rechunk()
    for chunk in column.get_chunks():
        yield chunk.to_arrow(compat_level=pl.CompatLevel.newest())


def _inline_views(array: pa.StringViewArray) -> InlineViews:
    validity, views, *_ = array.buffers()
    view_bytes = np.frombuffer(views, dtype=np.uint8).reshape(-1, 16)[array.offset : array.offset + len(array)]
    valid = np.frombuffer(validity or b"", dtype=np.uint8)
    return InlineViews(view_bytes.view(np.int32), view_bytes, valid, array.offset)


def inline_view_chunks(column: pl.Series) -> Iterator[InlineViews]:
    """A text column's chunks as views, without their data buffers (for passes that read inline values only)."""
    return (_inline_views(array) for array in _arrays(column))


def view_chunks(column: pl.Series) -> Iterator[StringViews]:
    """A text column's chunks as views with their data buffers, not copied: a CSV read's column has hundreds,
    and copying them into one cost more than the passes."""
    for array in _arrays(column):
        buffers = tuple(array.buffers()[2:])
        yield StringViews(_inline_views(array), np.array([b.address for b in buffers], dtype=np.int64), buffers)


def parse_rows(text: pl.Series, rows: np.ndarray, parse: Callable[[pl.Expr], pl.Expr]) -> pl.Series:
    """`parse` (an expression on one text column) of the values at `rows`: what a compiled pass leaves to polars."""
    return text.gather(rows).to_frame("text").select(parse(pl.col("text"))).to_series()
