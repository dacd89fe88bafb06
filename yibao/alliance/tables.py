"""The organisation tables of an alliance case — institutions, alliances, residents — read and checked; errors name
the table, row and field."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import polars as pl

from yibao.errors import InputError, require_columns
from yibao.models.parse import boolean
from yibao.settlement.cases import ROW, institutions_frame

ALLIANCE_FACTS = ("name", "prior_spending", "prior_residents", "prior_score", "unreasonable")
"""Optional columns of alliances.csv (docs/alliance.md)."""


def trimmed_text(*columns: str) -> pl.Expr:
    """Columns as trimmed text, as every table here reads its keys."""
    return pl.col(*columns).cast(pl.String).str.strip_chars()


def unreadable_flag(column: str) -> pl.Expr:
    """Whether a text yes/no value is given but is not one (`flag` refuses it)."""
    raw = trimmed_text(column)
    return raw.is_not_null() & (raw != "") & boolean(raw, pl.String).is_null()


def flag(frame: pl.DataFrame, column: str, source: str) -> pl.Series:
    """A yes/no column (true/false, 1/0, 是/否, 已签约/未签约 …); empty is no, anything else an error."""
    if frame.schema[column] == pl.Boolean:
        return frame[column].fill_null(False)
    raw = frame.select(trimmed_text(column))[column]
    values = raw.to_frame().select(boolean(pl.col(column), pl.String))[column]
    bad = frame.select(unreadable_flag(column))[column]
    if bad.any():
        index = int(bad.arg_true()[0])
        raise InputError(source, f"not a yes/no value: {raw[index]!r}", row=source_row(frame, index), field=column)
    return values.fill_null(False)


def institutions_table(frame: pl.DataFrame) -> pl.DataFrame:
    """institution_id, level, alliance_id (null outside any alliance), county."""
    require_columns(frame.columns, "institutions", ("institution_id", "level", "alliance_id", "county"))
    counties = frame.select(trimmed_text("institution_id", "county"))
    return institutions_frame(frame).join(counties, on="institution_id", maintain_order="left")


def alliances_table(frame: pl.DataFrame, institutions: pl.DataFrame) -> pl.DataFrame:
    """alliance_id, county and the optional facts (as text; `alliance_facts` reads them), unreasonable a flag."""
    require_columns(frame.columns, "alliances", ("alliance_id", "county"))
    frame = frame.with_columns(pl.lit(None, pl.String).alias(c) for c in ALLIANCE_FACTS if c not in frame.columns)
    typed = frame.select(trimmed_text("alliance_id", "county", *ALLIANCE_FACTS[:-1])).with_columns(
        unreasonable=flag(frame, "unreasonable", "alliances")
    )
    if not typed.height:
        raise InputError("alliances", "no alliances: an alliance settlement needs at least one")
    if typed["alliance_id"].is_duplicated().any():
        raise InputError("alliances", "an alliance_id appears more than once", field="alliance_id")
    strays = institutions.filter(pl.col("alliance_id").is_not_null()).join(typed, on="alliance_id", how="anti")
    if strays.height:
        raise InputError("institutions", f"alliance_id {strays['alliance_id'][0]!r} is not in alliances")
    empty = typed.join(institutions, on="alliance_id", how="anti")
    if empty.height:
        raise InputError("alliances", f"alliance {empty['alliance_id'][0]!r} has no member in the institutions table")
    return typed


def _number(row: dict, field: str, lowest: int, highest: int | None = None) -> Decimal | None:
    text = row[field]
    if text is None or text == "":
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InputError("alliances", f"not a number: {text!r}", field=f"{row['alliance_id']}.{field}") from None
    if not value.is_finite() or value < lowest or (highest is not None and value > highest):
        bounds = f"from {lowest}" + (f" to {highest}" if highest is not None else "")
        raise InputError("alliances", f"{text} is out of range ({bounds})", field=f"{row['alliance_id']}.{field}")
    return value


def alliance_facts(row: dict) -> tuple[Decimal | None, int | None, Decimal | None]:
    """prior_spending (元), prior_residents and prior_score of one alliance row, exactly as written."""
    residents = _number(row, "prior_residents", 0)
    if residents is not None and residents != residents.to_integral_value():
        raise InputError("alliances", "prior_residents must be a whole number", field=f"{row['alliance_id']}")
    return (
        _number(row, "prior_spending", 0),
        None if residents is None else int(residents),
        _number(row, "prior_score", 0, 100),
    )


def residents_table(frame: pl.DataFrame) -> pl.DataFrame:
    """person_key, residence_county, signed of residents that `YearSource.check_residents` has checked (columns,
    yes/no values, nobody listed twice)."""
    return frame.select(trimmed_text("person_key", "residence_county")).with_columns(
        signed=flag(frame, "signed_family_doctor", "residents")
    )


def source_row(frame: pl.DataFrame, index: int) -> int:
    """The source row (1-based) of line `index`: its `row` column when read in batches, else its position."""
    return int(frame[ROW][index]) if ROW in frame.columns else index + 1
