"""Text checked against a simple pattern in one compiled pass: the same answers as polars' regex, much faster.

A pattern that is one character class of ASCII letters, digits and ranges repeated a fixed number of times —
`^[0-9a-f]{20}$`, the person key (人员标识) — is a table of allowed bytes and a length range: a numba pass over
the column's Arrow string views checks each value's bytes against the table (a multi-byte character has no
allowed byte, as the regex's class has no such character). Any other pattern is polars' `str.contains`.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np
import polars as pl
import pyarrow as pa

from yibao.text_scans import MATCH, NO_VALUE, scan_class_runs
from yibao.text_views import view_chunks

_CLASS_RUN = re.compile(r"\^\[((?:[A-Za-z0-9](?:-[A-Za-z0-9])?)+)\]\{(\d+)(?:,(\d+))?\}\$")
_CLASS_PART = re.compile(r"([A-Za-z0-9])(?:-([A-Za-z0-9]))?")


class ClassRun(NamedTuple):
    """A pattern `^[class]{min,max}$`: the bytes the class allows (one flag per byte value) and the lengths."""

    allowed: np.ndarray
    min_length: int
    max_length: int


def class_run(pattern: str) -> ClassRun | None:
    """The class run a pattern is, or None when it is anything else."""
    match = _CLASS_RUN.fullmatch(pattern)
    if match is None:
        return None
    ranges = [(first, last or first) for first, last in _CLASS_PART.findall(match[1])]
    least = int(match[2])
    most = int(match[3]) if match[3] is not None else least
    if most < least or any(first > last for first, last in ranges):
        return None  # not a valid pattern: the regex says why
    allowed = np.zeros(256, dtype=np.bool_)
    for first, last in ranges:
        allowed[ord(first) : ord(last) + 1] = True
    return ClassRun(allowed, least, most)


def _read(text: pl.Series, run: ClassRun) -> pl.Series:
    found, done = np.empty(text.len(), dtype=np.int8), 0
    for inline, addresses, _ in view_chunks(text):
        size = inline.views.shape[0]
        scan_class_runs(*inline, addresses, *run, found[done : done + size])
        done += size
    return pl.Series(text.name, pa.array(found == MATCH, mask=found == NO_VALUE))


def matches(text: pl.Expr, pattern: str) -> pl.Expr:
    """Whether each value of a text column matches `pattern` (a regex; null for null), as `str.contains` says."""
    run = class_run(pattern)
    if run is None:
        return text.str.contains(pattern)
    return text.map_batches(lambda column: _read(column, run), pl.Boolean, is_elementwise=True)
