"""Text lists (`A01.0|B02.1`) split in one compiled pass: the same lists as polars' `str.split`, without copying.

A numba pass over the column's Arrow string views finds the separators; each part becomes a view of its own —
copied into the view when short, else pointing into the value's data buffer, which the result shares with the
text (nothing is copied). Splitting at one ASCII byte is fully defined, so no value is left to polars.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import polars as pl
import pyarrow as pa

from yibao.text_scans import count_parts, null_encloses_parts, split_parts
from yibao.text_views import InlineViews, view_chunks

LIST_TYPE = pa.large_list(pa.string_view())


def _validity(inline: InlineViews) -> pa.Buffer | None:
    """The chunk's validity bitmap from bit 0 (its own may start at bit `offset`); None when nothing is null."""
    if len(inline.validity) == 0:
        return None
    size = inline.views.shape[0]
    bits = np.unpackbits(inline.validity, bitorder="little")[inline.offset : inline.offset + size]
    return pa.py_buffer(np.packbits(bits, bitorder="little"))


def split_text(text: pl.Series, separator: str) -> pl.Series:
    """Each value of a text column split at `separator` (one ASCII character): null for null, an empty list for
    empty text, else every part, empty ones too (as `str.split`)."""
    byte = separator.encode()
    if len(byte) != 1 or byte[0] >= 0x80:
        raise ValueError(f"{separator!r}: the separator is one ASCII character")
    arrays = []
    for inline, addresses, buffers in view_chunks(text):
        size = inline.views.shape[0]
        parts = count_parts(*inline, addresses, byte[0])
        list_offsets, part_bytes = np.empty(size + 1, dtype=np.int64), np.empty((parts, 16), dtype=np.uint8)
        split_parts(*inline, addresses, byte[0], list_offsets, part_bytes.view(np.int32), part_bytes)
        child = pa.Array.from_buffers(pa.string_view(), parts, [None, pa.py_buffer(part_bytes), *buffers])
        lists = [_validity(inline), pa.py_buffer(list_offsets)]
        arrays.append(pa.Array.from_buffers(LIST_TYPE, size, lists, children=[child]))
    return _series(text.name, arrays, LIST_TYPE)


def empty_for_null(lists: pl.Series) -> pl.Series:
    """Null lists of text as empty ones (`fill_null([])`): where every null already encloses no parts (as
    `split_text` makes them), the same lists without their validity, nothing copied; else polars' `fill_null`."""
    if lists.null_count() == 0:
        return lists
    arrays = []
    for chunk in lists.get_chunks():
        array = chunk.to_arrow(compat_level=pl.CompatLevel.newest())
        validity, list_offsets = array.buffers()[:2]
        offsets = np.frombuffer(list_offsets, dtype=np.int64)[array.offset : array.offset + len(array) + 1]
        if null_encloses_parts(offsets, np.frombuffer(validity or b"", dtype=np.uint8), array.offset):
            return lists.fill_null(pl.lit([], dtype=pl.List(pl.String)))
        arrays.append(
            pa.Array.from_buffers(
                array.type, len(array), [None, list_offsets], offset=array.offset, children=[array.values]
            )
        )
    return _series(lists.name, arrays, arrays[0].type)


def _series(name: str, arrays: list[pa.Array], list_type: pa.DataType) -> pl.Series:
    """Lists of text from Arrow arrays, one chunk each (not copied into one)."""
    return cast(pl.Series, pl.from_arrow(pa.chunked_array(arrays, type=list_type), rechunk=False)).alias(name)
