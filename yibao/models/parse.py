"""Parsing text into the model's types: one set of polars expressions for the bulk path and for `Claim`.

A value that is present but cannot be parsed becomes null; callers report it with `unreadable(spec)`. Text
columns arrive trimmed, with empty strings as null (`text`). Typed columns (Parquet) skip the text path.
`parse_texts` applies the same expressions to the text fields of one claim. Amounts and dates given as text
are read by compiled passes (`amount_text`, `date_text`) that hand every value they do not read plainly to the
expressions here, so the values are the same either way.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import polars as pl

from yibao.models.amount_text import read_amounts
from yibao.models.date_text import read_dates
from yibao.models.schema import MONEY_DTYPE, FieldSpec
from yibao.models.word_text import read_words

BOOLEAN_WORDS: dict[str, bool] = {
    **dict.fromkeys(("1", "true", "t", "y", "yes", "是", "已签约"), True),
    **dict.fromkeys(("0", "false", "f", "n", "no", "否", "未签约"), False),
}
DATE_FORMATS = "YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD, optionally followed by a time"
_DATE_TEXT = r"^(\d{4})[-/]?(\d{1,2})[-/]?(\d{1,2})(?:[ T]?\d{1,2}:?\d{2}(?::?\d{2}(?:\.\d+)?)?)?$"

_KIND_WORDS: dict[pl.DataType, str] = {
    pl.Date(): f"无法识别的日期 not a date ({DATE_FORMATS})",
    pl.Int64(): "不是整数 not a whole number",
    MONEY_DTYPE: "不是金额 not an amount in 元 (e.g. 1234.56)",
    pl.Boolean(): "不是是/否 not a yes/no value",
}


def unreadable(spec: FieldSpec) -> str:
    """The reason given for a value of this field that cannot be parsed."""
    if spec.enum is not None:
        allowed = ", ".join(f"{m.value} {m.label}" for m in spec.enum)  # type: ignore[attr-defined]
        return f"不是允许的值 not one of: {allowed}"
    return _KIND_WORDS.get(spec.dtype, "无法识别的值 value not recognised")


def too_many_decimals_reason(places: int) -> str:
    """The reason given for an amount with more significant decimals than allowed."""
    return f"超过{places}位小数 more than {places} decimals"


def trimmed(raw: pl.Expr) -> pl.Expr:
    """Text without white space around it."""
    return raw.cast(pl.String).str.strip_chars()


def empty_as_null(trimmed_text: pl.Expr) -> pl.Expr:
    """Trimmed text, with empty strings as null."""
    return pl.when(trimmed_text.str.len_bytes() > 0).then(trimmed_text)


def text(raw: pl.Expr) -> pl.Expr:
    """Trimmed text, with empty strings as null."""
    return empty_as_null(trimmed(raw))


def money_text(raw: pl.Expr) -> pl.Expr:
    """Money as written, without thousands separators."""
    return raw.str.replace_all(",", "", literal=True)


def _excess_decimals_text(raw: pl.Expr, places: int) -> pl.Expr:
    return money_text(raw).str.contains(rf"\.[0-9]{{{places}}}0*[1-9]")


def money_from_text(text: pl.Series, places: int) -> tuple[pl.Series, pl.Series]:
    """Amounts of a trimmed text column (`money_text`, as MONEY_DTYPE) and whether each has non-zero digits beyond
    `places` decimals, in one compiled pass (`amount_text`); polars' cast and a regex read what is not plain."""
    if places != MONEY_DTYPE.scale:
        raise ValueError(f"amounts are read to {MONEY_DTYPE.scale} decimals, not {places}")
    return read_amounts(
        text,
        MONEY_DTYPE,
        lambda value: money_text(value).cast(MONEY_DTYPE, strict=False),
        lambda value: _excess_decimals_text(value, places),
    )


def present(raw: pl.Expr, source: pl.DataType) -> pl.Expr:
    """Whether a raw value is given: a non-empty list, or any non-null value (text is already trimmed)."""
    if isinstance(source, pl.List):
        return raw.list.len().fill_null(0) > 0
    return raw.is_not_null()


def too_many_decimals(raw: pl.Expr, source: pl.DataType, places: int) -> pl.Expr | None:
    """Whether an amount has non-zero digits beyond `places` decimals; None where the type rules it out."""
    if source == pl.String and places == MONEY_DTYPE.scale:
        return raw.map_batches(lambda text: money_from_text(text, places)[1], pl.Boolean, is_elementwise=True)
    if source == pl.String:
        return _excess_decimals_text(raw, places)
    if isinstance(source, pl.Decimal):
        if (source.scale or 0) <= places:
            return None
        return raw.cast(pl.Decimal(38, places), strict=False).cast(source, strict=False) != raw
    if source.is_numeric():
        scaled = raw.cast(pl.Float64) * 10**places
        return (scaled - scaled.round(0)).abs() > 1e-6
    return None


def _date_text(raw: pl.Expr) -> pl.Expr:
    parts = raw.str.extract_groups(_DATE_TEXT)
    day = pl.concat_str(
        parts.struct.field("1"), parts.struct.field("2").str.zfill(2), parts.struct.field("3").str.zfill(2)
    )
    return day.str.to_date("%Y%m%d", strict=False)


def _distinct_dates(raw: pl.Expr) -> pl.Expr:
    """Dates of text parsed once per distinct value (a year of claims holds a few hundred dates), then looked up."""
    distinct = raw.drop_nulls().unique(maintain_order=True)  # the same order in both uses
    return raw.replace_strict(distinct, _date_text(distinct), default=None, return_dtype=pl.Date)


def _date(raw: pl.Expr, source: pl.DataType) -> pl.Expr:
    """Dates as DATE_FORMATS says; the time of day, if any, is dropped; anything else is unreadable.

    Text is read by a compiled pass where it is a real YYYY-MM-DD date (`date_text`), else by `_distinct_dates`."""
    if source == pl.Date:
        return raw
    if isinstance(source, pl.Datetime):
        return raw.dt.date()
    if source == pl.String:
        return raw.map_batches(lambda text: read_dates(text, _distinct_dates), pl.Date, is_elementwise=True)
    return _distinct_dates(raw)


def _integer(raw: pl.Expr, source: pl.DataType) -> pl.Expr:
    if source.is_integer():
        return raw.cast(pl.Int64, strict=False)
    if source.is_float():
        return pl.when(raw == raw.floor()).then(raw).cast(pl.Int64, strict=False)
    return raw.cast(pl.Int64, strict=False)


def _money(raw: pl.Expr, source: pl.DataType) -> pl.Expr:
    if isinstance(source, pl.Decimal):
        return raw.cast(MONEY_DTYPE, strict=False)
    if source.is_numeric():
        return raw.cast(pl.Float64).round(2).cast(MONEY_DTYPE, strict=False)
    if source == pl.String:
        places = MONEY_DTYPE.scale
        return raw.map_batches(lambda text: money_from_text(text, places)[0], MONEY_DTYPE, is_elementwise=True)
    return money_text(raw).cast(MONEY_DTYPE, strict=False)


def boolean(raw: pl.Expr, source: pl.DataType) -> pl.Expr:
    """A yes/no column (BOOLEAN_WORDS, 0/1 or Boolean) as Boolean; anything else null."""
    if source == pl.Boolean:
        return raw
    if source.is_integer():
        return pl.when(raw.is_in([0, 1])).then(raw == 1)
    if source != pl.String:
        return _boolean_words(raw)
    # BOOLEAN_WORDS are lower case: a value that is exactly one of them means the same in lower case
    return raw.map_batches(
        lambda text: read_words(text, BOOLEAN_WORDS, pl.Boolean(), _boolean_words), pl.Boolean, is_elementwise=True
    )


def _boolean_words(value: pl.Expr) -> pl.Expr:
    """BOOLEAN_WORDS looked up in lower case."""
    return _lookup(value.str.to_lowercase(), BOOLEAN_WORDS, pl.Boolean())


def _lookup(raw: pl.Expr, table: dict[str, Any], dtype: pl.DataType) -> pl.Expr:
    """Each text's value in a small `table`, null when not in it: one `is_in` per value, which polars' streaming
    engine runs chunk by chunk (a `replace_strict` makes it hold the whole column); named as `raw`."""
    value = pl.lit(None, dtype)
    for canonical in reversed(dict.fromkeys(table.values())):
        words = [word for word, meaning in table.items() if meaning == canonical]
        value = pl.when(raw.is_in(words)).then(pl.lit(canonical, dtype)).otherwise(value)
    return value.name.keep()


def _enum(raw: pl.Expr, spec: FieldSpec, source: pl.DataType) -> pl.Expr:
    assert spec.enum is not None
    values = [member.value for member in spec.enum]
    if source.is_integer() and spec.dtype.is_integer():
        return pl.when(raw.is_in(values)).then(raw.cast(spec.dtype))
    aliases = {k: v for k, v in spec.enum.aliases().items() if k}  # type: ignore[attr-defined]
    words = partial(_lookup, table=aliases, dtype=spec.dtype)
    return raw.cast(pl.String).map_batches(
        lambda text: read_words(text, aliases, spec.dtype, words), spec.dtype, is_elementwise=True
    )


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
        return boolean(raw, source)
    if spec.dtype == pl.String:
        return raw.cast(pl.String)
    raise TypeError(f"no parser for {spec.name}: {spec.dtype}")


def parse_texts(values: dict[str, str], specs: dict[str, FieldSpec]) -> dict[str, Any]:
    """Parse the text values of one record with the bulk expressions; blank values are left out.

    Raises ValueError naming every field whose text cannot be read, with the bulk path's reasons.
    """
    if not values:  # typed input (dates, Decimals, ints …) has nothing to parse
        return {}
    frame = pl.DataFrame({name: [value] for name, value in values.items()}, schema=dict.fromkeys(values, pl.String))
    trimmed = frame.select(text(pl.col(name)).alias(name) for name in values)
    parsed = trimmed.select(parse(pl.col(name), specs[name], pl.String()).alias(name) for name in values)
    problems, result = [], {}
    for name in values:
        given, value = trimmed[name][0], parsed[name][0]
        if given is None:
            continue
        spec = specs[name]
        if value is None:
            problems.append(f"{name}: {unreadable(spec)}")
        elif (
            spec.decimal_places is not None
            and trimmed.select(too_many_decimals(pl.col(name), pl.String(), spec.decimal_places)).item()
        ):
            problems.append(f"{name}: {too_many_decimals_reason(spec.decimal_places)}")
        else:
            result[name] = value
    if problems:
        raise ValueError("; ".join(problems))
    return result
