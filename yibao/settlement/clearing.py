"""Point value, monthly pre-settlement (月度预结算) and annual clearing (年度清算), per institution, in fen.

The pool of a period is `fund budget + patients' share` (统筹基金预算 + 个人负担); it is split over institutions in
proportion to their points by largest remainder, so Σ gross = pool to the fen, and the published point value is
`pool ÷ points` rounded half-up to the policy's decimals. Per institution and month:

    due = gross − patients' share;  advance = due⁺ × prepayment_ratio;  deposit = advance × deposit_ratio;
    paid = advance − deposit

and at the year's end:

    balance = gross − patients' share − deductions − deposit kept − paid so far   (negative: the fund claws back)

so that `fund budget = Σ (paid + balance + deductions + deposit kept)` exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from yibao.errors import InputError
from yibao.settlement.cases import SettlementCases
from yibao.settlement.money import fraction, half_up_div, largest_remainder, round_half_up, scaled, yuan_to_fen
from yibao.settlement.policy import Policy
from yibao.settlement.tables import policy_table

MONTHS = 12


@dataclass(frozen=True)
class Deduction:
    """违规扣减: points (converted at the year's point value) and/or an amount in fen, × the policy's factor."""

    institution: int
    points_units: int
    amount_fen: int


@dataclass(frozen=True, eq=False)
class Clearing:
    """Per-institution money (Python ints, fen) of the monthly pre-settlement and the annual clearing."""

    point_value_units: int
    """Annual point value in 10⁻ᵈ 元 (d = policy.point_value.decimals)."""
    monthly_point_value_units: list[int | None]
    pool_fen: int
    month_budget_fen: list[int]
    gross_fen: list[int]
    deductions_fen: list[int]
    month_gross_fen: list[list[int]]
    month_advance_fen: list[list[int]]
    month_deposit_fen: list[list[int]]
    deposit_returned_fen: list[int]
    balance_fen: list[int]

    def paid_fen(self, h: int) -> int:
        """Paid to institution h during the year (advances less deposits)."""
        return sum(self.month_advance_fen[h]) - sum(self.month_deposit_fen[h])


def read_deductions(policy: Policy, cases: SettlementCases) -> list[Deduction]:
    """The policy's deduction table (institution_id, points, amount; other columns such as reason are for the
    reader), checked row by row."""
    if policy.clearing.deductions_table is None:
        return []
    path, rows = policy_table(policy, policy.clearing.deductions_table, ("institution_id", "points", "amount"))
    index = {code: i for i, code in enumerate(cases.institutions["institution_id"].to_list())}
    deductions = []
    for row, record in enumerate(rows, start=1):
        h = index.get((record["institution_id"] or "").strip())
        if h is None:
            raise InputError(path, "institution not in the institutions table", row=row, field="institution_id")
        try:
            units = scaled(record["points"] or "0", policy.base_points.decimals)
        except ArithmeticError as error:
            raise InputError(path, f"not a number: {record['points']!r}", row=row, field="points") from error
        try:
            fen = yuan_to_fen(record["amount"] or "0")
        except (ArithmeticError, ValueError) as error:
            raise InputError(path, f"not an amount in 元: {record['amount']!r}", row=row, field="amount") from error
        if units < 0 or fen < 0:
            raise InputError(path, "a deduction is not negative", row=row, field="points" if units < 0 else "amount")
        deductions.append(Deduction(h, units, fen))
    return deductions


def point_value_units(pool_fen: int, total_units: int, unit: int, decimals: int) -> int:
    """`pool ÷ points` in 10⁻ᵈ 元 per point, half-up (points are integer units of 1/unit)."""
    return half_up_div(pool_fen * unit * 10**decimals, 100 * total_units)


def points_worth_fen(units: int, value_units: int, unit: int, decimals: int) -> int:
    """Points (integer units of 1/unit) × a point value (integer units of 10⁻ᵈ 元), in fen, half-up."""
    return half_up_div(units * value_units * 100, unit * 10**decimals)


def month_budgets(policy: Policy) -> list[int]:
    """The fund budget of each month (fen): the year's split by `monthly_weights`, largest remainder."""
    weights = [fraction(w) for w in policy.budget.monthly_weights]
    common = int(np.lcm.reduce([w.denominator for w in weights]))
    return largest_remainder(yuan_to_fen(policy.budget.fund_budget), [int(w * common) for w in weights])


def clear(policy: Policy, unit: int, points: np.ndarray, share: np.ndarray, deductions: list[Deduction]) -> Clearing:
    """Settle the year from (institution, month) points units and patients' share in fen."""
    n = points.shape[0]
    pv_decimals = policy.point_value.decimals
    points_by_month = [[int(v) for v in row] for row in points]
    share_by_month = [[int(v) for v in row] for row in share]
    budget_fen = yuan_to_fen(policy.budget.fund_budget)
    month_budget = month_budgets(policy)
    prepay, deposit_ratio = fraction(policy.monthly.prepayment_ratio), fraction(policy.monthly.quality_deposit_ratio)
    month_gross = [[0] * MONTHS for _ in range(n)]
    month_advance = [[0] * MONTHS for _ in range(n)]
    month_deposit = [[0] * MONTHS for _ in range(n)]
    monthly_pv: list[int | None] = []
    fixed = policy.point_value.monthly
    for m in range(MONTHS):
        column = [points_by_month[h][m] for h in range(n)]
        total = sum(column)
        pool = month_budget[m] + sum(share_by_month[h][m] for h in range(n))
        if fixed != "budget":
            pv = scaled(fixed, pv_decimals)
            gross = [points_worth_fen(u, pv, unit, pv_decimals) for u in column]
        elif total > 0:
            pv = point_value_units(pool, total, unit, pv_decimals)
            gross = largest_remainder(pool, column)
        else:
            pv, gross = None, [0] * n
        monthly_pv.append(pv)
        for h in range(n):
            due = gross[h] - share_by_month[h][m]
            advance = round_half_up(max(due, 0) * prepay)
            month_gross[h][m] = gross[h]
            month_advance[h][m] = advance
            month_deposit[h][m] = round_half_up(advance * deposit_ratio)
    institution_points = [sum(row) for row in points_by_month]
    total_points = sum(institution_points)
    if total_points <= 0:
        raise InputError(policy.folder, f"no stay of {policy.year} has points to settle (a month's run: none was "
                                        "discharged by the end of the month)")  # fmt: skip
    pool = budget_fen + sum(sum(row) for row in share_by_month)
    pv = point_value_units(pool, total_points, unit, pv_decimals)
    gross = largest_remainder(pool, institution_points)
    k = fraction(policy.clearing.deduction_factor)
    deducted = [0] * n
    for d in deductions:
        money = Fraction(d.points_units * pv * 100, unit * 10**pv_decimals) + d.amount_fen
        deducted[d.institution] += round_half_up(money * k)
    returned_ratio = fraction(policy.clearing.deposit_returned_ratio)
    returned = [round_half_up(sum(month_deposit[h]) * returned_ratio) for h in range(n)]
    balance = [
        gross[h] - sum(share_by_month[h]) - deducted[h] - (sum(month_deposit[h]) - returned[h])
        - (sum(month_advance[h]) - sum(month_deposit[h]))
        for h in range(n)
    ]  # fmt: skip
    return Clearing(
        point_value_units=pv,
        monthly_point_value_units=monthly_pv,
        pool_fen=pool,
        month_budget_fen=month_budget,
        gross_fen=gross,
        deductions_fen=deducted,
        month_gross_fen=month_gross,
        month_advance_fen=month_advance,
        month_deposit_fen=month_deposit,
        deposit_returned_fen=returned,
        balance_fen=balance,
    )
