"""ICD-10 医保版 2.0 diagnosis and ICD-9-CM-3 医保版 2.0 procedure codes: normalisation and format checks.

Each rule exists twice, once for one string (the single-claim path) and once as a polars expression (the bulk
path); the test-suite holds them equal.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

_DX_PART = r"[A-Z][0-9]{2}(\.[0-9x]{1,3}(x[0-9]{3})?)?"
DIAGNOSIS_PATTERN = rf"{_DX_PART}(\+{_DX_PART}\*)?"
"""A diagnosis: `K80.000x004`, `I10.x05`, or a dagger/asterisk pair `A18.300x009+K93.0*`."""

PROCEDURE_PATTERN = r"[0-9]{2}(\.[0-9A-Zx]{1,5}(x[0-9]{3,4})?)?"
"""A procedure: `51.2300`, `96.0800x005`, `86.700x0013`, or a TCM code such as `17.927D0`."""

_DIAGNOSIS_RE = re.compile(DIAGNOSIS_PATTERN)
_PROCEDURE_RE = re.compile(PROCEDURE_PATTERN)
_SPACE_RE = re.compile(r"\s+")
_EXTENSION_X_RE = re.compile(r"([0-9.])X")
_DX_NO_DOT_RE = re.compile(r"^([A-Z][0-9]{2})([0-9x])")
_DX_STAR_NO_DOT_RE = re.compile(r"\+([A-Z][0-9]{2})([0-9x])")
_PX_NO_DOT_RE = re.compile(r"^([0-9]{2})([0-9A-Zx])")


def _common(code: str) -> str:
    """Full-width to half-width (NFKC), no white space, upper case, `x` as the extension marker, `†` as `+`."""
    code = unicodedata.normalize("NFKC", code)
    code = _SPACE_RE.sub("", code).upper().replace("†", "+")
    return _EXTENSION_X_RE.sub(r"\1x", code)


def normalise_diagnosis(code: str) -> str:
    """Normalise one diagnosis code: `ｋ80000x004` → `K80.000x004`, `a18.300X009 † k930*` → `A18.300x009+K93.0*`."""
    code = _common(code)
    code = _DX_NO_DOT_RE.sub(r"\1.\2", code)
    return _DX_STAR_NO_DOT_RE.sub(r"+\1.\2", code)


def normalise_procedure(code: str) -> str:
    """Normalise one procedure code: `５１２３００` → `51.2300`, `96.0800X005` → `96.0800x005`."""
    return _PX_NO_DOT_RE.sub(r"\1.\2", _common(code))


def is_diagnosis(code: str) -> bool:
    """Whether a normalised code has the form of an ICD-10 医保版 diagnosis code."""
    return _DIAGNOSIS_RE.fullmatch(code) is not None


def is_procedure(code: str) -> bool:
    """Whether a normalised code has the form of an ICD-9-CM-3 医保版 procedure code."""
    return _PROCEDURE_RE.fullmatch(code) is not None


def _common_expr(codes: pl.Expr) -> pl.Expr:
    return (
        codes.str.normalize("NFKC")
        .str.replace_all(r"\s+", "")
        .str.to_uppercase()
        .str.replace_all("†", "+", literal=True)
        .str.replace_all(r"([0-9.])X", "${1}x")
    )


def normalise_diagnosis_expr(codes: pl.Expr) -> pl.Expr:
    """`normalise_diagnosis` as a polars expression over a string column."""
    return (
        _common_expr(codes)
        .str.replace(r"^([A-Z][0-9]{2})([0-9x])", "${1}.${2}")
        .str.replace_all(r"\+([A-Z][0-9]{2})([0-9x])", "+${1}.${2}")
    )


def normalise_procedure_expr(codes: pl.Expr) -> pl.Expr:
    """`normalise_procedure` as a polars expression over a string column."""
    return _common_expr(codes).str.replace(r"^([0-9]{2})([0-9A-Zx])", "${1}.${2}")


def is_diagnosis_expr(codes: pl.Expr) -> pl.Expr:
    """`is_diagnosis` as a polars expression."""
    return codes.str.contains(f"^(?:{DIAGNOSIS_PATTERN})$")


def is_procedure_expr(codes: pl.Expr) -> pl.Expr:
    """`is_procedure` as a polars expression."""
    return codes.str.contains(f"^(?:{PROCEDURE_PATTERN})$")
