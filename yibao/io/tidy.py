"""Which text columns need tidying (white space around a value, or an empty value), in one compiled pass.

Trimming a text column costs polars about 10 ns per value, and most columns of a claim file need none. Reading
Arrow's string views directly, a numba pass looks only at each value's first and last character and stops at
the first untidy one, so a clean column costs a few milliseconds per million values and is used as read.
White space is what polars' `strip_chars()` removes: Unicode's White_Space characters.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import polars as pl

from yibao.text_views import INLINE, is_valid, view_chunks


@nb.njit(cache=True, inline="always")
def _is_ascii_space(byte: np.uint8) -> bool:
    return byte == 0x20 or 0x09 <= byte <= 0x0D


@nb.njit(cache=True, inline="always")
def _three_byte_space(lead: np.uint8, second: np.uint8, third: np.uint8) -> bool:
    """U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000 in UTF-8."""
    if lead == 0xE1:
        return second == 0x9A and third == 0x80
    if lead == 0xE2:
        if second == 0x80:
            return third <= 0x8A or third == 0xA8 or third == 0xA9 or third == 0xAF
        return second == 0x81 and third == 0x9F
    return lead == 0xE3 and second == 0x80 and third == 0x80


@nb.njit(cache=True, inline="always")
def _space_at_start(length: int, b0: np.uint8, b1: np.uint8, b2: np.uint8) -> bool:
    """Whether a value starting with bytes b0 b1 b2 (as many as it has) starts with white space."""
    if _is_ascii_space(b0):
        return True
    if b0 == 0xC2 and length >= 2:  # U+0085, U+00A0
        return b1 == 0x85 or b1 == 0xA0
    return length >= 3 and _three_byte_space(b0, b1, b2)


@nb.njit(cache=True, inline="always")
def _space_at_end(length: int, b0: np.uint8, b1: np.uint8, b2: np.uint8) -> bool:
    """Whether a value ending with bytes b0 b1 b2 (b2 last; as many as it has) ends with white space."""
    if _is_ascii_space(b2):
        return True
    if length >= 2 and b1 == 0xC2 and (b2 == 0x85 or b2 == 0xA0):
        return True
    return length >= 3 and _three_byte_space(b0, b1, b2)


@nb.njit(cache=True, nogil=True)
def _has_untidy(views: np.ndarray, view_bytes: np.ndarray, validity: np.ndarray, offset: int, data: np.ndarray,
                starts: np.ndarray) -> bool:  # fmt: skip
    """Whether a value is empty or has white space around it. `data` holds the data buffers one after another,
    buffer `b` from `starts[b]`."""
    for i in range(views.shape[0]):
        if not is_valid(validity, offset, i):
            continue
        length = views[i, 0]
        if length == 0:
            return True
        first = view_bytes[i, 4]  # the inline value, or the prefix of a long one
        if length <= INLINE and 0x21 <= first <= 0x7E and 0x21 <= view_bytes[i, 3 + length] <= 0x7E:
            continue  # the common case: short, printable ASCII at both ends
        second, third = view_bytes[i, 5], view_bytes[i, 6]
        if length <= INLINE:
            end = 4 + length
            last, before, before2 = (
                view_bytes[i, end - 1],
                view_bytes[i, max(end - 2, 4)],
                view_bytes[i, max(end - 3, 4)],
            )
        else:
            end = starts[views[i, 2]] + views[i, 3] + length
            last, before, before2 = data[end - 1], data[end - 2], data[end - 3]
        if _space_at_start(length, first, second, third) or _space_at_end(length, before2, before, last):
            return True
    return False


def needs_tidying(column: pl.Series) -> bool:
    """Whether any value of a text column is empty or has white space around it (`text` would change it)."""
    return any(_has_untidy(*chunk) for chunk in view_chunks(column))
