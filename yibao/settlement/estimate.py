"""预估 One stay's points and payment under a policy, by the code that settles the year.

Hospital finance estimate a stay at discharge: its case class and points (病例点数) from its DRG, and what those
points are worth at a point value — the policy's fixed monthly value, or one given (last year's published value,
say): the year's own point value is known only when the year is settled. Two things a single stay cannot see are
left out: a later readmission (再入院, which would lower this stay's points) and a special review (特病单议, a panel's
decision after the fact).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import polars as pl

from yibao.errors import InputError
from yibao.models import Claim, to_frame
from yibao.rules.records import GroupResult, GroupStatus
from yibao.settlement.cases import prepare_cases, read_institutions
from yibao.settlement.clearing import points_worth_fen
from yibao.settlement.money import scaled
from yibao.settlement.points import CaseClass
from yibao.settlement.policy import Policy
from yibao.settlement.settle import case_frame, patient_share_fen, points_of_cases
from yibao.settlement.tables import resolve


@dataclass(frozen=True)
class Estimate:
    """预估结算: the stay's class, points and rule, and its worth at `point_value` (money in fen)."""

    claim_id: str
    drg: str
    case_class: CaseClass
    rule: str
    ratio: float | None
    """r = total cost ÷ the group's mean cost (4 decimals); none outside the DRG classes."""
    base_points: float | None
    coefficient: float | None
    points: Decimal
    point_value: Decimal
    """元 per point."""
    gross_fen: int
    """points × point value, half-up to the fen (应付, the stay's worth)."""
    patient_share_fen: int
    """The patients' share the policy counts (budget.patient_share)."""

    @property
    def fund_fen(self) -> int:
        """统筹基金支付: gross less the patients' share (negative when the share is worth more than the points)."""
        return self.gross_fen - self.patient_share_fen


def estimate(
    claim: Claim,
    policy: Policy,
    *,
    group: GroupResult | str,
    institutions: pl.DataFrame | Path | str,
    point_value: Decimal | str | int | None = None,
) -> Estimate:
    """Estimate one inpatient stay: `group` is its grouping result (`Grouper.group`) or DRG code, `institutions`
    a table (or file) with its institution's `institution_id` and `level`, `point_value` 元 per point (default:
    the policy's fixed monthly point value)."""
    value = policy.point_value.monthly if point_value is None else point_value
    if value == "budget":
        raise ValueError("the policy's point value comes from the year's budget: give point_value (元 per point)")
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        number = Decimal("NaN")
    if not number.is_finite() or number < 0:
        raise ValueError(f"point_value must be a non-negative number of 元 per point, not {value!r}")
    drg, status = (group, GroupStatus.SUCCESS) if isinstance(group, str) else (group.drg, group.status)
    stay = to_frame([claim]).with_columns(drg=pl.lit(drg), group_status=pl.lit(status.value))
    table = institutions if isinstance(institutions, pl.DataFrame) else read_institutions(institutions)
    cases = prepare_cases(stay, table, policy.year)
    if cases.excluded.height:
        raise InputError(f"claim {claim.claim_id}", cases.excluded["reason"][0])
    if policy.case_classes.special_review_table is not None:
        policy = policy.updated({"case_classes": {"special_review_table": None}})
    points = points_of_cases(cases, resolve(policy, cases), policy)
    row = case_frame(cases, points, policy).row(0, named=True)
    decimals = policy.point_value.decimals
    value_units = scaled(number, decimals)
    return Estimate(
        claim_id=claim.claim_id,
        drg=row["drg"],
        case_class=CaseClass[row["case_class"].upper()],
        rule=row["rule"],
        ratio=row["ratio"],
        base_points=row["base_points"],
        coefficient=row["coefficient"],
        points=row["points"],
        point_value=Decimal(value_units).scaleb(-decimals),
        gross_fen=points_worth_fen(int(points.units[0]), value_units, 10**policy.base_points.decimals, decimals),
        patient_share_fen=int(patient_share_fen(cases, policy)[0]),
    )
