"""What a text column needs to be tidy (white space around a value trimmed, empty values null), in one compiled pass.

Trimming a text column costs polars about 10 ns per value, and most columns of a claim file need none. Reading
Arrow's string views directly, a numba pass looks only at each value's first and last character and stops at
the first value with white space around it, so a clean column costs a few milliseconds per million values and is
used as read; a column whose only fault is empty values (a CSV file's `""`) has them made null, without trimming.
White space is what polars' `strip_chars()` removes: Unicode's White_Space characters.
"""

from __future__ import annotations

from enum import IntEnum

import polars as pl

from yibao.text_scans import EMPTY_VALUES, SPACE_AROUND, TIDY, find_untidy
from yibao.text_views import view_chunks


class Tidying(IntEnum):
    """What a text column needs: nothing; its empty values made null; its values trimmed (then empty ones null)."""

    NONE = TIDY
    EMPTY_AS_NULL = EMPTY_VALUES
    TRIM = SPACE_AROUND


def tidying(column: pl.Series) -> Tidying:
    """What `text` would change in a text column: nothing, only empty values, or white space around values."""
    found = Tidying.NONE
    for inline, addresses, _ in view_chunks(column):
        found = max(found, Tidying(find_untidy(*inline, addresses)))
        if found is Tidying.TRIM:
            break
    return found
