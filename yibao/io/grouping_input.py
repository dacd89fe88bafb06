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


def scan_table(path: Path) -> pl.LazyFrame:
    """A CSV (UTF-8, text columns) or Parquet file as it is, lazily."""
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return pl.scan_csv(path, infer_schema=False)
    if suffix in PARQUET_SUFFIXES:
        return pl.scan_parquet(path)
    raise InputError(path, f"unknown file type {suffix!r}: expected CSV or Parquet")


NO_CODES = pl.lit([], pl.List(pl.String))


def _integer(name: str, schema: pl.Schema) -> pl.Expr:
    """Whole numbers, from text or numbers (integer columns as they are: their text would read back the same)."""
    if name not in schema:
        return pl.lit(None, pl.Int64)
    if schema[name].is_integer():
        return pl.col(name).cast(pl.Int64, strict=False)
    return pl.col(name).cast(pl.String).str.strip_chars().cast(pl.Int64, strict=False)


def _sex(schema: pl.Schema) -> pl.Expr:
    """1 / 2, also from 男 / 女; anything else is null (and fails the grouping check)."""
    if "sex" not in schema:
        return pl.lit(None, pl.Int64)
    aliases = Sex.aliases()
    if schema["sex"].is_integer():  # the aliases that are numbers, looked up as numbers
        numbers = {int(text): sex for text, sex in aliases.items() if text.isdecimal() and str(int(text)) == text}
        return pl.col("sex").replace_strict(numbers, default=None, return_dtype=pl.Int64)
    return pl.col("sex").cast(pl.String).str.strip_chars().replace_strict(aliases, default=None, return_dtype=pl.Int64)


def _codes(codes: pl.Expr | None) -> pl.Expr:
    if codes is None:
        return NO_CODES
    trimmed = codes.list.eval(pl.element().str.strip_chars())
    return trimmed.list.eval(pl.element().filter(pl.element().str.len_bytes() > 0)).fill_null(NO_CODES)


def grouping_columns(frame: pl.DataFrame, source: Path | str) -> pl.DataFrame:
    """`GROUPING_COLUMNS` taken from a frame whose columns may use any alias (missing values as null)."""
    raw = raw_claims(frame, source)
    schema = raw.rows.collect_schema()
    return raw.rows.select(
        sex=_sex(schema),
        age=_integer("age", schema),
        age_days=_integer("age_days", schema),
        birth_weight_g=_integer("birth_weight_g", schema),
        diagnoses=_codes(code_list(raw, "diagnoses")),
        procedures=_codes(code_list(raw, "procedures")),
    ).collect()
