"""One settlement run: points of every case (numba), then the monthly pre-settlement and the annual clearing.

`settle_core` is the compiled part a "what if" repeats (arrays in, arrays and integers out); `settle` adds the
frames people read. Frames:

- `cases`: claim_id, institution_id, month, drg, case_class, ratio (r), base_points, coefficient, points,
  readmission, rule (the rule that applied, in Chinese);
- `institutions`: per institution, points, cases, patients' share, gross, deductions, prepaid, quality deposit
  withheld and returned, and the clearing balance (fen, Int64);
- `months`: per institution and month, points, provisional point value, gross, share, advance, deposit, paid;
- `region`: one row of totals and the point value.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import polars as pl

from yibao.settlement.cases import INSTITUTION_COLUMNS, SettlementCases
from yibao.settlement.clearing import MONTHS, Clearing, Deduction, clear, read_deductions
from yibao.settlement.money import yuan_to_fen
from yibao.settlement.points import CASE_CLASS_LABELS, CaseClass, case_points, sum_by_month
from yibao.settlement.policy import Policy
from yibao.settlement.tables import PolicyTables, resolve

DECIMAL_PRECISION = 38
MONEY_COLUMNS = ("patient_share_fen", "gross_fen", "deductions_fen", "prepaid_fen", "deposit_withheld_fen",
                 "deposit_returned_fen", "balance_fen")  # fmt: skip
"""Per-institution money of the annual clearing, in fen."""


@dataclass(frozen=True, eq=False)
class CasePoints:
    """Per case: class, r (NaN where none), base, coefficient, points (integer units) and the readmission flag."""

    klass: np.ndarray
    ratio: np.ndarray
    base: np.ndarray
    coefficient: np.ndarray
    units: np.ndarray
    readmitted: np.ndarray


@dataclass(frozen=True, eq=False)
class CoreResult(CasePoints):
    """The arrays of one run: the cases' points, per (institution, month) points units, patients' share (fen) and
    cases; and the clearing."""

    points: np.ndarray
    share: np.ndarray
    counts: np.ndarray
    clearing: Clearing


@dataclass(frozen=True, eq=False)
class Settlement:
    """结算结果 of one policy over one year's cases."""

    policy: Policy
    cases: pl.DataFrame
    institutions: pl.DataFrame
    months: pl.DataFrame
    region: pl.DataFrame
    excluded: pl.DataFrame
    base_points: pl.DataFrame


def patient_share_fen(cases: SettlementCases, policy: Policy) -> np.ndarray:
    """个人负担 per case in fen: the claim columns the policy counts."""
    share = np.zeros(len(cases), dtype=np.int64)
    if "own_share" in policy.budget.patient_share:
        share += cases.own_share_fen
    if "self_pay_cost" in policy.budget.patient_share:
        share += cases.self_pay_fen
    return share


def points_of_cases(cases: SettlementCases, tables: PolicyTables, policy: Policy) -> CasePoints:
    """Class and points of every case (the compiled kernel)."""
    rules, readmission = policy.case_classes, policy.readmission
    gap = cases.gap_same_institution if readmission.same_institution else cases.gap_any
    return CasePoints(*case_points(
        cases.group, cases.institution, cases.cost_fen, cases.los_days, cases.discharge_mode, gap,
        tables.special_units, tables.group_kind, tables.base, tables.mean_cost, tables.bed_day_points,
        tables.high_by_group, tables.readmission_excepted, tables.coefficient, tables.high_by_institution,
        tables.incomplete_mode, float(tables.unit), float(policy.base_points.scale), tables.mean_cost_all,
        float(rules.low_ratio), float(rules.mid_band_upper or -1), float(rules.mid_band_add),
        rules.high_ratio_by == "level", float(rules.incomplete_max_ratio), float(rules.ambiguous_ratio),
        float(rules.ungrouped_ratio), float(rules.outside_ratio),
        -1 if rules.los_outside_max is None else rules.los_outside_max,
        -1 if rules.los_outside_min is None else rules.los_outside_min,
        -1 if readmission.days is None else readmission.days, float(readmission.factor),
    ))  # fmt: skip


def settle_core(
    cases: SettlementCases, tables: PolicyTables, policy: Policy, deductions: list[Deduction]
) -> CoreResult:
    """Points of every case, sums per institution and month, and the clearing."""
    case = points_of_cases(cases, tables, policy)
    n = cases.institutions.height
    points = sum_by_month(cases.institution, cases.month, case.units, n)
    share = sum_by_month(cases.institution, cases.month, patient_share_fen(cases, policy), n)
    counts = sum_by_month(cases.institution, cases.month, np.ones(len(cases), dtype=np.int64), n)
    clearing = clear(policy, tables.unit, points, share, deductions)
    return CoreResult(**vars(case), points=points, share=share, counts=counts, clearing=clearing)


def _decimal(units: pl.Expr, decimals: int) -> pl.Expr:
    """Integer units of 10⁻ᵈ as an exact Decimal."""
    return units.cast(pl.Decimal(DECIMAL_PRECISION, 0)).cast(pl.Decimal(DECIMAL_PRECISION, decimals)) / 10**decimals


def _rule_text(policy: Policy) -> pl.Expr:
    names = {int(c): c.name.lower() for c in CaseClass}
    labels = {int(c): label for c, label in CASE_CLASS_LABELS.items()}
    rules = policy.case_classes
    converted = f"费用 ÷ 全部病例次均费用 × {policy.base_points.scale} ×"
    formulas = {
        CaseClass.NORMAL: "基准点数 × 差异系数",
        CaseClass.LOW_RATIO: "基准点数 × 倍率 (不超过 基准点数 × 差异系数)",
        CaseClass.MID_BAND: f"基准点数 × (倍率 + {rules.mid_band_add})",
        CaseClass.HIGH_RATIO: "基准点数 × 差异系数 + 基准点数 × (倍率 − 高倍率界值)",
        CaseClass.INCOMPLETE: "基准点数 × 差异系数 × 倍率 (不超过 基准点数)",
        CaseClass.BED_DAY: "床日点数 × 住院天数",
        CaseClass.AMBIGUOUS: f"{converted} {rules.ambiguous_ratio}",
        CaseClass.UNGROUPED: f"{converted} {rules.ungrouped_ratio}",
        CaseClass.OUTSIDE_DRG: f"{converted} {rules.outside_ratio}",
        CaseClass.SPECIAL_REVIEW: "专家评议点数",
    }  # fmt: skip
    text = {int(c): f"{labels[int(c)]}: {formulas[c]}" for c in CaseClass}
    readmission = f"; {policy.readmission.days}日内同病组再入院 × {policy.readmission.factor}"
    return (
        pl.col("klass").replace_strict(names, return_dtype=pl.String).alias("case_class"),
        pl.concat_str(pl.col("klass").replace_strict(text, return_dtype=pl.String),
                      pl.when(pl.col("readmission")).then(pl.lit(readmission)).otherwise(pl.lit(""))).alias("rule"),
    )  # fmt: skip


def case_frame(cases: SettlementCases, case: CasePoints, policy: Policy) -> pl.DataFrame:
    """Per-case explanation: class, r, base points, coefficient, points and the rule."""
    decimals = policy.base_points.decimals
    arrays = pl.DataFrame(
        {"klass": case.klass, "ratio": case.ratio, "base_points": case.base, "coefficient": case.coefficient,
         "units": case.units, "readmission": case.readmitted}
    ).with_columns(pl.col("ratio", "base_points", "coefficient").fill_nan(None))  # fmt: skip
    named = arrays.select(
        *_rule_text(policy),
        pl.col("ratio").round(4),
        "base_points",
        "coefficient",
        _decimal(pl.col("units"), decimals).alias("points"),
        "readmission",
    )
    frame = pl.concat([cases.claims, named], how="horizontal")
    return frame.select("claim_id", "institution_id", "month", "drg", "case_class", "ratio", "base_points",
                        "coefficient", "points", "readmission", "rule")  # fmt: skip


def institution_frame(cases: SettlementCases, core: CoreResult, policy: Policy) -> pl.DataFrame:
    """年度清算 per institution (money in fen)."""
    c = core.clearing
    n = cases.institutions.height
    deposit = [sum(c.month_deposit_fen[h]) for h in range(n)]
    money = pl.DataFrame(
        {
            "points_units": core.points.sum(axis=1),
            "cases": core.counts.sum(axis=1),
            "patient_share_fen": core.share.sum(axis=1),
            "gross_fen": c.gross_fen,
            "deductions_fen": c.deductions_fen,
            "prepaid_fen": [c.paid_fen(h) for h in range(n)],
            "deposit_withheld_fen": deposit,
            "deposit_returned_fen": c.deposit_returned_fen,
            "balance_fen": c.balance_fen,
        },
        schema_overrides=dict.fromkeys(MONEY_COLUMNS, pl.Int64),
    )  # fmt: skip
    frame = pl.concat([cases.institutions, money], how="horizontal").with_columns(
        _decimal(pl.col("points_units"), policy.base_points.decimals).alias("points"),
        point_value=pl.lit(Decimal(c.point_value_units).scaleb(-policy.point_value.decimals)),
    )
    return frame.select(*INSTITUTION_COLUMNS, "cases", "points", "point_value", *MONEY_COLUMNS)


def month_frame(cases: SettlementCases, core: CoreResult, policy: Policy) -> pl.DataFrame:
    """月度预结算 per institution and month (money in fen)."""
    c = core.clearing
    n = cases.institutions.height
    pv = [None if v is None else Decimal(v).scaleb(-policy.point_value.decimals) for v in c.monthly_point_value_units]
    rows = {
        "institution_id": [i for i in cases.institutions["institution_id"] for _ in range(MONTHS)],
        "month": list(range(1, MONTHS + 1)) * n,
        "points_units": core.points.reshape(-1),
        "cases": core.counts.reshape(-1),
        "point_value": pv * n,
        "gross_fen": [v for row in c.month_gross_fen for v in row],
        "patient_share_fen": core.share.reshape(-1),
        "advance_fen": [v for row in c.month_advance_fen for v in row],
        "deposit_fen": [v for row in c.month_deposit_fen for v in row],
    }
    frame = pl.DataFrame(rows, schema_overrides={"point_value": pl.Decimal(38, policy.point_value.decimals),
                                                 "gross_fen": pl.Int64, "advance_fen": pl.Int64,
                                                 "deposit_fen": pl.Int64})  # fmt: skip
    return frame.with_columns(
        _decimal(pl.col("points_units"), policy.base_points.decimals).alias("points"),
        paid_fen=pl.col("advance_fen") - pl.col("deposit_fen"),
    ).select("institution_id", "month", "cases", "points", "point_value", "gross_fen", "patient_share_fen",
             "advance_fen", "deposit_fen", "paid_fen")  # fmt: skip


def region_frame(cases: SettlementCases, core: CoreResult, policy: Policy, institutions: pl.DataFrame) -> pl.DataFrame:
    """One row: the year's totals, the pool and the point value."""
    c = core.clearing
    return pl.DataFrame(
        {
            "year": [policy.year],
            "cases": [len(cases)],
            "excluded": [cases.excluded.height],
            "fund_budget_fen": [yuan_to_fen(policy.budget.fund_budget)],
            "patient_share_fen": [int(core.share.sum())],
            "pool_fen": [c.pool_fen],
            "points": [institutions["points"].sum()],
            "point_value": [Decimal(c.point_value_units).scaleb(-policy.point_value.decimals)],
            **{name: [int(institutions[name].sum())] for name in MONEY_COLUMNS if name != "patient_share_fen"},
        }
    )  # fmt: skip


def settle(cases: SettlementCases, policy: Policy) -> Settlement:
    """Settle one year's prepared cases under `policy`."""
    return settle_points(cases, policy)[0]


def settle_points(cases: SettlementCases, policy: Policy) -> tuple[Settlement, CoreResult]:
    """`settle`, and the arrays behind its frames (per-case points units for the alliance settlement)."""
    tables = resolve(policy, cases)
    core = settle_core(cases, tables, policy, read_deductions(policy, cases))
    institutions = institution_frame(cases, core, policy)
    settlement = Settlement(
        policy=policy,
        cases=case_frame(cases, core, policy),
        institutions=institutions,
        months=month_frame(cases, core, policy),
        region=region_frame(cases, core, policy, institutions),
        excluded=cases.excluded,
        base_points=tables.base_table,
    )
    return settlement, core
