"""Parse expressions: from a column as read (text, or already typed in Parquet) to the model's polars type.

A value that is present but cannot be parsed becomes null; the validator reports it by comparing with the raw
column. Text columns arrive trimmed, with empty strings as null (`text`, applied once when the validator stages
the raw columns). Typed columns skip the text path entirely.
"""

from __future__ import annotations

import polars as pl

from yibao.models.schema import MONEY_DTYPE, FieldSpec

BOOLEAN_WORDS: dict[str, bool] = {
    **dict.fromkeys(("1", "true", "t", "y", "yes", "是", "已签约"), True),
    **dict.fromkeys(("0", "false", "f", "n", "no", "否", "未签约"), False),
}
DATE_FORMATS = "YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD, optionally followed by a time"


def text(raw: pl.Expr) -> pl.Expr:
    """Trimmed text, with empty strings as null."""
    trimmed = raw.cast(pl.String).str.strip_chars()
    return pl.when(trimmed.str.len_bytes() > 0).then(trimmed)


def money_text(raw: pl.Expr) -> pl.Expr:
    """Money as written, without thousands separators."""
    return raw.str.replace_all(",", "", literal=True)


def present(raw: pl.Expr, source: pl.DataType) -> pl.Expr:
    """Whether a raw value is given: non-empty text, a non-empty list, or any non-null typed value."""
    if isinstance(source, pl.List):
        return raw.list.len().fill_null(0) > 0
    return raw.is_not_null()


def too_many_decimals(raw: pl.Expr, source: pl.DataType, places: int) -> pl.Expr | None:
    """Whether an amount has more decimal places than allowed; None where the type rules it out."""
    if source == pl.String:
        return money_text(raw).str.contains(rf"\.[0-9]{{{places + 1}}}")
    if isinstance(source, pl.Decimal) and (source.scale or 0) <= places:
        return None
    if source.is_numeric():
        scaled = raw.cast(pl.Float64) * 10**places
        return (scaled - scaled.round(0)).abs() > 1e-6
    return None


def _date(raw: pl.Expr, source: pl.DataType) -> pl.Expr:
    """Dates as DATE_FORMATS says; the time of day, if any, is dropped."""
    if source == pl.Date:
        return raw
    if isinstance(source, pl.Datetime):
        return raw.dt.date()
    day = raw.str.replace_all("/", "-", literal=True).str.slice(0, 10)
    return pl.coalesce(day.str.to_date("%Y-%m-%d", strict=False), day.str.to_date("%Y%m%d", strict=False))


def _integer(raw: pl.Expr, source: pl.DataType) -> pl.Expr:
    if source.is_integer():
        return raw.cast(pl.Int64)
    if source.is_float():
        return pl.when(raw == raw.floor()).then(raw).cast(pl.Int64, strict=False)
    return raw.cast(pl.Int64, strict=False)


def _money(raw: pl.Expr, source: pl.DataType) -> pl.Expr:
    if isinstance(source, pl.Decimal):
        return raw.cast(MONEY_DTYPE)
    if source.is_numeric():
        return raw.cast(pl.Float64).round(2).cast(MONEY_DTYPE, strict=False)
    return money_text(raw).cast(MONEY_DTYPE, strict=False)


def _boolean(raw: pl.Expr, source: pl.DataType) -> pl.Expr:
    if source == pl.Boolean:
        return raw
    if source.is_integer():
        return pl.when(raw.is_in([0, 1])).then(raw == 1)
    return raw.str.to_lowercase().replace_strict(BOOLEAN_WORDS, default=None, return_dtype=pl.Boolean)


def _enum(raw: pl.Expr, spec: FieldSpec, source: pl.DataType) -> pl.Expr:
    assert spec.enum is not None
    values = [member.value for member in spec.enum]
    if source.is_integer() and spec.dtype.is_integer():
        return pl.when(raw.is_in(values)).then(raw.cast(spec.dtype))
    aliases = {k: v for k, v in spec.enum.aliases().items() if k}  # type: ignore[attr-defined]
    return raw.cast(pl.String).replace_strict(aliases, default=None, return_dtype=spec.dtype)


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
        return raw.cast(pl.String)
    raise TypeError(f"no parser for {spec.name}: {spec.dtype}")
