"""Which text columns need tidying (white space around a value, or an empty value), in one compiled pass.

Trimming a text column costs polars about 10 ns per value, and most columns of a claim file need none. Reading
Arrow's string views directly, a numba pass looks only at each value's first and last character and stops at
the first untidy one, so a clean column costs a few milliseconds per million values and is used as read.
White space is what polars' `strip_chars()` removes: Unicode's White_Space characters.
"""

from __future__ import annotations

import polars as pl

from yibao.text_scans import has_untidy
from yibao.text_views import view_chunks


def needs_tidying(column: pl.Series) -> bool:
    """Whether any value of a text column is empty or has white space around it (`text` would change it)."""
    return any(has_untidy(*inline, addresses) for inline, addresses, _ in view_chunks(column))
