"""Cross-field consistency checks of a claim, written once as polars expressions.

Each check gives the rows that violate it. The bulk validator applies them to whole frames; `Claim` applies them
to its one row, so both paths reject the same claims for the same reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from yibao.models.enums import VisitType


@dataclass(frozen=True)
class Check:
    """A consistency rule: `violated` is true on rows that break it; `field` is the field to blame."""

    field: str
    reason: str
    violated: pl.Expr


_c = pl.col
_inpatient = _c("visit_type") == VisitType.INPATIENT.value
_stay_days = (_c("discharge_date") - _c("admission_date")).dt.total_days()
NEWBORN_MAX_AGE_DAYS = 28
"""新生儿: up to 28 days old (医保结算清单 and CHS-DRG both use this age)."""
INFANT_MAX_AGE_DAYS = 365
"""年龄(天) is given for patients under one year."""
_newborn = (_c("age") == 0) & (_c("age_days") <= NEWBORN_MAX_AGE_DAYS)

CLAIM_CHECKS: tuple[Check, ...] = (
    Check("discharge_date", "出院日期早于入院日期 discharge date before admission date", _stay_days < 0),
    Check(
        "discharge_date",
        "住院病例缺少出院日期 inpatient claim without a discharge date",
        _inpatient & _c("discharge_date").is_null(),
    ),
    Check(
        "los_days",
        "实际住院天数与出入院日期不符 length of stay does not match the dates (入出院同日计1天)",
        _inpatient & (_stay_days >= 0) & (_c("los_days") != pl.max_horizontal(_stay_days, pl.lit(1))),
    ),
    Check(
        "discharge_mode",
        "住院病例缺少离院方式 inpatient claim without a discharge mode",
        _inpatient & _c("discharge_mode").is_null(),
    ),
    Check(
        "age_days", "年龄为0岁时须填写年龄(天) age 0 needs the age in days", (_c("age") == 0) & _c("age_days").is_null()
    ),
    Check(
        "birth_weight_g",
        f"新生儿(≤{NEWBORN_MAX_AGE_DAYS}天)须填写出生体重 newborns (≤ {NEWBORN_MAX_AGE_DAYS} days) need a birth weight",
        _newborn & _c("birth_weight_g").is_null(),
    ),
    Check(
        "total_cost",
        "甲类+乙类+自费超过医疗费总额 class A + class B + self-pay cost exceed the total cost",
        _c("class_a_cost") + _c("class_b_cost") + _c("self_pay_cost") > _c("total_cost"),
    ),
    Check(
        "own_share",
        "个人自付超过甲乙类费用 own share exceeds the class A + B cost",
        _c("own_share") > _c("class_a_cost") + _c("class_b_cost"),
    ),
)


def violations(frame: pl.DataFrame | pl.LazyFrame, checks: tuple[Check, ...] = CLAIM_CHECKS) -> list[Check]:
    """The checks violated by a one-row frame (the single-claim path)."""
    flags = frame.lazy().select([c.violated.fill_null(False).alias(str(i)) for i, c in enumerate(checks)])
    row = flags.collect().row(0)
    return [check for check, flag in zip(checks, row, strict=True) if flag]
