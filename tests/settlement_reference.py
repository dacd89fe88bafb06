"""A plain-Python reference of the point method, written from docs/settlement.md, for tests only.

It shares no code with `yibao.settlement` beyond the policy model: claims are dicts, loops are per claim, money is
`Fraction` until it is rounded. Float arithmetic for points follows the documented order of operations, so that
the compiled kernel and this reference must agree to the unit and to the fen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from yibao.settlement.policy import Policy

SHARE_KEYS = {"own_share": "own_share_fen", "self_pay_cost": "self_pay_fen"}


def units_of(points: float, unit: int) -> int:
    """Half-up to 1/unit after removing noise below 10⁻⁶ unit (docs/settlement.md)."""
    return math.floor(round(points * unit * 1e6) / 1e6 + 0.5)


def half_up(value: Fraction) -> int:
    """Round a non-negative or negative fraction half away from zero."""
    magnitude = abs(value)
    whole = math.floor(magnitude)
    if magnitude - whole >= Fraction(1, 2):
        whole += 1
    return whole if value >= 0 else -whole


def split(total: int, weights: list[int]) -> list[int]:
    """Largest remainder, written independently: quotas as fractions, ties to the earlier weight."""
    weight_sum = sum(weights)
    if weight_sum == 0:
        weights, weight_sum = [1] * len(weights), len(weights)
    quotas = [Fraction(total * w, weight_sum) for w in weights]
    shares = [math.floor(q) for q in quotas]
    order = sorted(range(len(weights)), key=lambda i: (shares[i] - quotas[i], i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


@dataclass
class Tables:
    """What the reference reads besides claims: group tables in plain dicts."""

    base: dict[str, tuple[float, float]]
    """drg → (base points, mean cost)."""
    mean_cost_all: float
    bed_day: dict[str, float]
    special: dict[str, float]
    coefficients: dict[tuple[str, str], float]
    """(institution, drg) → coefficient, for method 'table'."""
    deductions: list[tuple[str, str, str]]
    """(institution_id, points, amount) as written."""


def case_points(claims: list[dict], institutions: dict[str, str], policy: Policy, t: Tables) -> dict[str, tuple]:
    """claim_id → (class name, points units, readmitted), for claims of the policy's year at known institutions."""
    rules, unit = policy.case_classes, 10**policy.base_points.decimals
    scale = float(policy.base_points.scale)
    levels = {k.value: float(v) for k, v in policy.coefficients.levels.items()}
    high_levels = {k.value: float(v) for k, v in rules.high_ratio_levels.items()}
    incomplete = {int(m) for m in rules.incomplete_discharge_modes}
    excepted = set(policy.readmission.excepted_groups)

    def grouped(c: dict) -> bool:
        return c["drg"] not in (None, "0000") and c.get("group_status", "SUCCESS") == "SUCCESS"

    def readmitted(c: dict) -> bool:
        days = policy.readmission.days
        if days is None or not grouped(c) or c["drg"] in excepted or c["drg"][:3] in excepted:
            return False
        later = [
            o for o in claims
            if o is not c and grouped(o) and o["person_key"] == c["person_key"] and o["drg"] == c["drg"]
            and (not policy.readmission.same_institution or o["institution_id"] == c["institution_id"])
            and (o["admission_date"], o["discharge_date"], o["claim_id"])
            > (c["admission_date"], c["discharge_date"], c["claim_id"])
        ]  # fmt: skip
        if not later:
            return False
        first = min(later, key=lambda o: (o["admission_date"], o["discharge_date"], o["claim_id"]))
        return (first["admission_date"] - c["discharge_date"]).days <= days

    results = {}
    for c in claims:
        cost = c["cost_fen"] / 100.0
        converted = cost / t.mean_cost_all * scale
        drg, los = c["drg"], c["los_days"]
        if c["claim_id"] in t.special:
            results[c["claim_id"]] = ("special_review", units_of(t.special[c["claim_id"]], unit), False)
            continue
        if (rules.los_outside_max is not None and los <= rules.los_outside_max) or (
            rules.los_outside_min is not None and los >= rules.los_outside_min
        ):
            name, points = "outside_drg", converted * float(rules.outside_ratio)
        elif not grouped(c) or (
            drg not in t.base and drg not in t.bed_day and not drg.endswith(rules.ambiguous_suffix)
        ):
            name, points = "ungrouped", converted * float(rules.ungrouped_ratio)
        elif drg in t.bed_day:
            name, points = "bed_day", t.bed_day[drg] * los
        elif drg.endswith(rules.ambiguous_suffix):
            name, points = "ambiguous", converted * float(rules.ambiguous_ratio)
        else:
            b, mean = t.base[drg]
            level = institutions[c["institution_id"]]
            if policy.coefficients.method == "level":
                coef = levels.get(level, 1.0)
            elif policy.coefficients.method == "table":
                coef = t.coefficients.get((c["institution_id"], drg), 1.0)
            else:
                coef = 1.0
            if drg in policy.coefficients.uniform_groups:
                coef = 1.0
            r = cost / mean
            if rules.high_ratio_by == "level":
                high = high_levels[level]
            else:
                high = next(float(t.ratio) for t in rules.high_ratio_tiers
                            if t.max_base_points is None or b <= float(t.max_base_points))  # fmt: skip
            mode = c["discharge_mode"]
            if mode is not None and mode in incomplete and r < float(rules.incomplete_max_ratio):
                name, points = "incomplete", min(b * coef * r, b)
            elif r >= high:
                name, points = "high_ratio", b * coef + b * (r - high)
            elif r <= float(rules.low_ratio):
                name, points = "low_ratio", min(b * r, b * coef)
            elif rules.mid_band_upper is not None and r <= float(rules.mid_band_upper):
                name, points = "mid_band", b * (r + float(rules.mid_band_add))
            else:
                name, points = "normal", b * coef
        again = readmitted(c)
        if again:
            points = points * float(policy.readmission.factor)
        results[c["claim_id"]] = (name, units_of(points, unit), again)
    return results


def settle(claims: list[dict], institutions: list[tuple[str, str]], policy: Policy, t: Tables) -> dict:
    """Monthly pre-settlement and annual clearing per institution, from docs/settlement.md."""
    unit, pv_decimals = 10**policy.base_points.decimals, policy.point_value.decimals
    ids = [i for i, _ in institutions]
    points = case_points(claims, dict(institutions), policy, t)
    share_columns = policy.budget.patient_share
    per = {h: {m: [0, 0] for m in range(1, 13)} for h in ids}  # institution → month → [units, share fen]
    for c in claims:
        cell = per[c["institution_id"]][c["discharge_date"].month]
        cell[0] += points[c["claim_id"]][1]
        cell[1] += sum(c[SHARE_KEYS[name]] for name in share_columns)
    budget = int(policy.budget.fund_budget * 100)
    weights = [Fraction(w) for w in policy.budget.monthly_weights]
    scale = math.lcm(*(w.denominator for w in weights))
    month_budget = split(budget, [int(w * scale) for w in weights])
    prepay, deposit_ratio = Fraction(policy.monthly.prepayment_ratio), Fraction(policy.monthly.quality_deposit_ratio)
    months = {h: {} for h in ids}
    for m in range(1, 13):
        column = [per[h][m][0] for h in ids]
        pool = month_budget[m - 1] + sum(per[h][m][1] for h in ids)
        if policy.point_value.monthly != "budget":
            value = Fraction(policy.point_value.monthly)
            gross = [half_up(Fraction(u, unit) * value * 100) for u in column]
        elif sum(column):
            gross = split(pool, column)
        else:
            gross = [0] * len(ids)
        for h, g in zip(ids, gross, strict=True):
            advance = half_up(max(g - per[h][m][1], 0) * prepay)
            deposit = half_up(advance * deposit_ratio)
            months[h][m] = {"gross": g, "advance": advance, "deposit": deposit}
    annual_units = [sum(per[h][m][0] for m in range(1, 13)) for h in ids]
    pool = budget + sum(per[h][m][1] for h in ids for m in range(1, 13))
    point_value = half_up(Fraction(pool, 100) / Fraction(sum(annual_units), unit) * 10**pv_decimals)
    gross = dict(zip(ids, split(pool, annual_units), strict=True))
    k = Fraction(policy.clearing.deduction_factor)
    deducted = dict.fromkeys(ids, 0)
    for h, p, amount in t.deductions:
        value = Fraction(p or "0") * Fraction(point_value, 10**pv_decimals) + Fraction(amount or "0")
        deducted[h] += half_up(value * 100 * k)
    result = {"point_value_units": point_value, "pool": pool, "points": points, "institutions": {}}
    for h in ids:
        withheld = sum(months[h][m]["deposit"] for m in months[h])
        paid = sum(months[h][m]["advance"] for m in months[h]) - withheld
        returned = half_up(withheld * Fraction(policy.clearing.deposit_returned_ratio))
        share = sum(per[h][m][1] for m in range(1, 13))
        result["institutions"][h] = {
            "gross_fen": gross[h],
            "patient_share_fen": share,
            "deductions_fen": deducted[h],
            "prepaid_fen": paid,
            "deposit_withheld_fen": withheld,
            "deposit_returned_fen": returned,
            "balance_fen": gross[h] - share - deducted[h] - (withheld - returned) - paid,
            "months": months[h],
        }
    return result
