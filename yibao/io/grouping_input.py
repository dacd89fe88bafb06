"""Grouping input from a file: the grouping fields under any column alias, the file's own columns kept.

Accepts validated claim files and files in the CHS-DRG reference format (`gender`, `age`, `age_days`,
`birth_weight_g`, `los_days`, `leaving_type`, `diagnoses`, `procedures`) as they are. Codes are compared as
given; run `yibao validate` first to normalise codes from hospital exports.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from yibao.errors import InputError
from yibao.io.read import CSV_SUFFIXES, PARQUET_SUFFIXES, raw_claims
from yibao.io.validate import code_list
from yibao.models import Sex


def read_table(path: Path) -> pl.DataFrame:
    """A CSV (UTF-8, text columns) or Parquet file as it is."""
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return pl.read_csv(path, infer_schema=False)
    if suffix in PARQUET_SUFFIXES:
        return pl.read_parquet(path)
    raise InputError(path, f"unknown file type {suffix!r}: expected CSV or Parquet")


NO_CODES = pl.lit([], pl.List(pl.String))


def _integer(name: str, present: dict[str, str]) -> pl.Expr:
    if name not in present:
        return pl.lit(None, pl.Int64)
    return pl.col(name).cast(pl.String).str.strip_chars().cast(pl.Int64, strict=False)


def _sex(present: dict[str, str]) -> pl.Expr:
    """1 / 2, also from 男 / 女; anything else is null (and fails the grouping check)."""
    if "sex" not in present:
        return pl.lit(None, pl.Int64)
    return (
        pl.col("sex")
        .cast(pl.String)
        .str.strip_chars()
        .replace_strict(Sex.aliases(), default=None, return_dtype=pl.Int64)
    )


def _codes(codes: pl.Expr | None) -> pl.Expr:
    if codes is None:
        return NO_CODES
    trimmed = codes.list.eval(pl.element().str.strip_chars())
    return trimmed.list.eval(pl.element().filter(pl.element().str.len_bytes() > 0)).fill_null(NO_CODES)


def grouping_columns(frame: pl.DataFrame, source: Path | str) -> pl.DataFrame:
    """`GROUPING_COLUMNS` taken from a frame whose columns may use any alias (missing values as null)."""
    raw = raw_claims(frame, source)
    present = raw.columns.single
    return raw.rows.select(
        sex=_sex(present),
        age=_integer("age", present),
        age_days=_integer("age_days", present),
        birth_weight_g=_integer("birth_weight_g", present),
        diagnoses=_codes(code_list(raw, "diagnoses")),
        procedures=_codes(code_list(raw, "procedures")),
    ).collect()
