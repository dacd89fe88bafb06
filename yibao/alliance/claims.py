"""The year's claims of an alliance settlement, inpatient and outpatient: typed, and marked with the reason a claim
cannot be charged (docs/alliance.md, *The year's claims*)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from yibao.errors import require_columns
from yibao.models.enums import Referral, VisitType
from yibao.models.parse import text
from yibao.settlement.cases import CASE_COLUMNS, ROW, column_parser, first_reason, typed_cases
from yibao.settlement.monthly import Frame, through_month

CLAIM_COLUMNS: dict[str, pl.DataType] = {
    **{name: dtype for name, dtype in CASE_COLUMNS.items() if name != "drg"},
    "visit_type": pl.String(),
    "class_a_cost": pl.Decimal(18, 2),
    "class_b_cost": pl.Decimal(18, 2),
    "residence_county": pl.String(),
}
"""Columns the alliance settlement needs of every claim."""
OPTIONAL_CLAIM_COLUMNS: dict[str, pl.DataType] = {
    "drg": pl.String(),
    "group_status": pl.String(),
    "self_pay_cost": pl.Decimal(18, 2),
    "referral": pl.String(),
}
"""Used when present: drg (inpatient stays; from `yibao group`), group_status, self_pay_cost, referral."""

BATCH_COLUMNS = (
    "claim_id", "person_key", "institution_id", "visit_type", "admission_date", "discharge_date", "total_cost",
    "class_a_cost", "class_b_cost", "residence_county", "referral",
)  # fmt: skip
"""What a batch of residence counties reads of each claim (the stays' other columns go to the point method)."""

INPATIENT = VisitType.INPATIENT.value


def typed_claims(frame: pl.DataFrame, source: Path | str = "claims") -> pl.DataFrame:
    """`CLAIM_COLUMNS` and the optional ones in their types (drg, self_pay_cost and referral null when absent;
    group_status only when present); an unreadable value is an InputError naming the row and field."""
    typed = typed_cases(frame, source, CLAIM_COLUMNS, OPTIONAL_CLAIM_COLUMNS)
    missing = {n: t for n, t in OPTIONAL_CLAIM_COLUMNS.items() if n not in typed.columns and n != "group_status"}
    typed = typed.with_columns(pl.lit(None, dtype).alias(name) for name, dtype in missing.items())
    return typed.with_columns(pl.col("referral").fill_null(Referral.NONE.value))


def batch_claims(claims: pl.LazyFrame) -> pl.LazyFrame:
    """`row` and `BATCH_COLUMNS` of claims whose values `check_readable` has passed, in their types (referral
    none when absent); nothing is checked again."""
    schema = claims.collect_schema()
    dtypes = {**CLAIM_COLUMNS, **OPTIONAL_CLAIM_COLUMNS}
    names = [name for name in BATCH_COLUMNS if name in schema]
    # Text trimmed in a projection of its own: a parser reads its input more than once, and polars' streaming
    # engine would trim it each time.
    trimmed = claims.select(ROW, *(text(pl.col(n)) if schema[n] == pl.String else pl.col(n) for n in names))
    typed = {name: column_parser(name, schema[name], trimmed=True).cast(dtypes[name]) for name in names}
    referral = typed.pop("referral", pl.lit(None, pl.String)).fill_null(Referral.NONE.value)
    return trimmed.select(ROW, *(expr.alias(name) for name, expr in typed.items()), referral.alias("referral"))


def service_date() -> pl.Expr:
    """结算日期: the discharge date of a stay, the visit date of an outpatient visit."""
    return pl.when(pl.col("visit_type") == INPATIENT).then(pl.col("discharge_date")).otherwise(pl.col("admission_date"))


def exclusion(year: int, duplicates: pl.Series) -> pl.Expr:
    """The reason a typed claim cannot be charged in `year`, or null; `duplicates`: the claim ids the year's
    claims hold more than once (`duplicate_claim_ids`)."""
    cost_missing = pl.any_horizontal(pl.col("total_cost", "class_a_cost", "class_b_cost").is_null())
    reasons: list[tuple[pl.Expr, str]] = [
        (pl.col("claim_id").is_null(), "清单流水号为空 no claim id"),
        (pl.col("claim_id").is_in(duplicates.implode()), "清单流水号重复 duplicate claim id"),
        (pl.col("person_key").is_null(), "无人员标识 no person key"),
        (pl.col("institution_id").is_null(), "无机构代码 no institution"),
        (pl.col("visit_type").is_null(), "无就诊类型 no visit type"),
        (pl.col("residence_county").is_null(), "无参保地 no residence county"),
        (service_date().is_null(), "无结算日期 no discharge or visit date"),
        (service_date().dt.year() != year, f"结算日期不在{year}年 service date outside {year}"),
        (cost_missing, "费用缺失 a cost is missing"),
    ]
    return first_reason(reasons)


def mark(claims: pl.DataFrame, year: int, duplicates: pl.Series) -> pl.DataFrame:
    """Typed claims (with their source `row`) with `service_date` and `reason` (null: charged)."""
    return claims.with_columns(service_date=service_date(), reason=exclusion(year, duplicates))


def claims_through_month(claims: Frame, year: int, month: int, source: Path | str = "claims") -> Frame:
    """The claims (as read, untyped) without those of `year` whose service date falls after `month`."""
    schema = claims.collect_schema()
    require_columns(schema.names(), source, ("visit_type", "admission_date", "discharge_date"))
    date = (
        pl.when(column_parser("visit_type", schema["visit_type"]) == INPATIENT)
        .then(column_parser("discharge_date", schema["discharge_date"]))
        .otherwise(column_parser("admission_date", schema["admission_date"]))
    )
    return through_month(claims, date, year, month)
