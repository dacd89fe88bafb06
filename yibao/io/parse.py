"""Parse expressions: from a column as read (text, or already typed in Parquet) to the model's polars type.

A value that is present but cannot be parsed becomes null; the validator reports it by comparing with the raw
column. Text is trimmed and an empty string is a missing value. Typed columns skip the text path entirely.
"""

from __future__ import annotations

import polars as pl

from yibao.models.schema import MONEY_DTYPE, FieldSpec

TRUE_WORDS = ("1", "true", "t", "y", "yes", "是", "已签约")
FALSE_WORDS = ("0", "false", "f", "n", "no", "否", "未签约")
MONEY_TEXT = r"^-?[0-9]+(\.[0-9]+)?$"


def text(raw: pl.Expr) -> pl.Expr:
    """Trimmed text, with empty strings as null."""
    trimmed = raw.cast(pl.String).str.strip_chars()
    return pl.when(trimmed.str.len_bytes() > 0).then(trimmed)


def money_text(raw: pl.Expr) -> pl.Expr:
    """Money as written: thousands separators and a leading ¥ removed."""
    return text(raw).str.replace_all(",", "", literal=True).str.strip_prefix("¥")


def present(raw: pl.Expr, source: pl.DataType) -> pl.Expr:
    """Whether a raw value is given: non-empty text, a non-empty list, or any non-null typed value."""
    if isinstance(source, pl.List):
        return raw.list.len().fill_null(0) > 0
    if source == pl.String:
        return text(raw).is_not_null()
    return raw.is_not_null()


def too_many_decimals(raw: pl.Expr, source: pl.DataType, places: int) -> pl.Expr | None:
    """Whether an amount has more decimal places than allowed; None where the type rules it out."""
    if source == pl.String:
        return money_text(raw).str.extract(r"\.([0-9]*)$").str.len_chars() > places
    if isinstance(source, pl.Decimal) and (source.scale or 0) <= places:
        return None
    if source.is_numeric():
        scaled = raw.cast(pl.Float64) * 10**places
        return (scaled - scaled.round(0)).abs() > 1e-6
    return None


def _date(raw: pl.Expr, source: pl.DataType) -> pl.Expr:
    if source == pl.Date:
        return raw
    if isinstance(source, pl.Datetime):
        return raw.dt.date()
    day = text(raw).str.replace_all("/", "-", literal=True).str.replace(r"[ T].*$", "")
    return pl.coalesce(day.str.to_date("%Y-%m-%d", strict=False), day.str.to_date("%Y%m%d", strict=False))


def _integer(raw: pl.Expr, source: pl.DataType) -> pl.Expr:
    if source.is_integer():
        return raw.cast(pl.Int64)
    as_float = raw if source.is_float() else text(raw).cast(pl.Float64, strict=False)
    return pl.when(as_float == as_float.floor()).then(as_float).cast(pl.Int64, strict=False)


def _money(raw: pl.Expr, source: pl.DataType) -> pl.Expr:
    if isinstance(source, pl.Decimal):
        return raw.cast(MONEY_DTYPE)
    if source.is_numeric():
        return raw.cast(pl.Float64).round(2).cast(MONEY_DTYPE, strict=False)
    written = money_text(raw)
    return pl.when(written.str.contains(MONEY_TEXT)).then(written).cast(MONEY_DTYPE, strict=False)


def _boolean(raw: pl.Expr, source: pl.DataType) -> pl.Expr:
    if source == pl.Boolean:
        return raw
    if source.is_integer():
        return pl.when(raw.is_in([0, 1])).then(raw == 1)
    word = text(raw).str.to_lowercase()
    return pl.when(word.is_in(TRUE_WORDS)).then(True).when(word.is_in(FALSE_WORDS)).then(False)


def _enum(raw: pl.Expr, spec: FieldSpec, source: pl.DataType) -> pl.Expr:
    assert spec.enum is not None
    values = [member.value for member in spec.enum]
    if source.is_integer() and spec.dtype.is_integer():
        return pl.when(raw.is_in(values)).then(raw.cast(spec.dtype))
    aliases = {k: v for k, v in spec.enum.aliases().items() if k}  # type: ignore[attr-defined]
    return text(raw).replace_strict(aliases, default=None, return_dtype=spec.dtype)


def parse(raw: pl.Expr, spec: FieldSpec, source: pl.DataType) -> pl.Expr:
    """The expression turning a raw scalar column into the field's type (null where it cannot)."""
    if spec.enum is not None:
        return _enum(raw, spec, source)
    if spec.dtype == pl.Date:
        return _date(raw, source)
    if spec.dtype == pl.Int64:
        return _integer(raw, source)
    if spec.dtype == MONEY_DTYPE:
        return _money(raw, source)
    if spec.dtype == pl.Boolean:
        return _boolean(raw, source)
    if spec.dtype == pl.String:
        return text(raw)
    raise TypeError(f"no parser for {spec.name}: {spec.dtype}")
