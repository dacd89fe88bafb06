"""Claim-level fund payment (统筹基金支付, docs/alliance.md): 乙类先行自付, 起付线, 报销比例 and 年度限额.

Money is integer fen and ratios integer units of 10⁻⁴ (a policy ratio with more decimals is refused), so every
product is exact and rounded half-up once. A visit type whose deductible counts per year, or that has an annual
cap, needs each person's running totals: its claims are sorted by person (a 128-bit key: two 64-bit hashes of
person_key), service_date and claim_id, and paid in one compiled pass. Claims of a visit type with neither are
paid each on its own, unsorted.
"""

from __future__ import annotations

from decimal import Decimal

import numba as nb
import numpy as np
import polars as pl

from yibao.alliance.policy import Reimbursement, VisitTerms
from yibao.errors import InputError, require_columns
from yibao.models.enums import Level, VisitType
from yibao.settlement.money import yuan_to_fen

OUT_OF_COUNTY = "out_of_county"
TIERS = [*(level.value for level in Level), OUT_OF_COUNTY]
"""Tier codes 0..5: the institution levels in the patient's county, then 县域外."""
TIER_COUNT = len(TIERS)
VISITS = [visit.value for visit in VisitType]
"""Visit codes 0 (inpatient) and 1 (outpatient); a claim's code is visit × TIER_COUNT + tier."""
RATIO_UNIT = 10_000
MAX_FEN = (2**63 - 1) // (2 * RATIO_UNIT)
"""Largest class A or class B cost of a claim (fen) for which (A + B) × ratio fits in 64 bits."""
COLUMNS = {
    "person_key": pl.String,
    "visit_type": pl.String,
    "service_date": pl.Date,
    "claim_id": pl.String,
    "tier": pl.String,
    "class_a_fen": pl.Int64,
    "class_b_fen": pl.Int64,
}


@nb.njit(cache=True, parallel=True)
def _each_claim(code, class_a, class_b, keep_b, deductible, ratio):
    """Eligible, deductible and fund (fen) of each claim on its own: its tier's full deductible, no cap."""
    n = code.size
    eligible = np.empty(n, np.int64)
    deducted = np.empty(n, np.int64)
    fund = np.empty(n, np.int64)
    for i in nb.prange(n):
        c = code[i]
        e = class_a[i] + (class_b[i] * keep_b + RATIO_UNIT // 2) // RATIO_UNIT
        d = min(e, deductible[c])
        eligible[i] = e
        deducted[i] = d
        fund[i] = ((e - d) * ratio[c] + RATIO_UNIT // 2) // RATIO_UNIT
    return eligible, deducted, fund


@nb.njit(cache=True)
def _running(row, person, check, code, eligible, deductible, ratio, per_year, cap, deducted, fund):
    """Deductible and fund of claims sorted by person (`person`, `check`), date and claim_id, with each person's
    起付线 and fund paid so far per visit type; written into `deducted` and `fund` at `row`. cap < 0: none."""
    paid_deductible = np.zeros(per_year.size, np.int64)
    paid_fund = np.zeros(per_year.size, np.int64)
    for k in range(row.size):
        if k == 0 or person[k] != person[k - 1] or check[k] != check[k - 1]:
            paid_deductible[:] = 0
            paid_fund[:] = 0
        c = code[k]
        v = c // TIER_COUNT
        left = max(0, deductible[c] - paid_deductible[v]) if per_year[v] else deductible[c]
        d = min(eligible[k], left)
        f = ((eligible[k] - d) * ratio[c] + RATIO_UNIT // 2) // RATIO_UNIT
        if cap[v] >= 0:
            f = min(f, cap[v] - paid_fund[v])
        paid_deductible[v] += d
        paid_fund[v] += f
        deducted[row[k]] = d
        fund[row[k]] = f


def _units(value: Decimal, field: str) -> int:
    """A ratio as exact units of 10⁻⁴; more decimals is an error, never a rounding."""
    units = value.scaleb(4)
    if units != units.to_integral_value():
        raise InputError("policy", f"{value} has more than 4 decimals", field=field)
    return int(units)


def _tier_tables(visits: list[VisitTerms], code: np.ndarray, source: str) -> tuple[np.ndarray, np.ndarray]:
    """起付线 (fen) and 报销比例 (10⁻⁴) by claim code; a level that claims need and the policy lacks is an error."""
    used = np.bincount(code, minlength=len(VISITS) * TIER_COUNT)
    deductible, ratio = np.zeros(used.size, np.int64), np.zeros(used.size, np.int64)
    for c in range(used.size):
        visit, tier = visits[c // TIER_COUNT], TIERS[c % TIER_COUNT]
        if tier == OUT_OF_COUNTY:
            terms, where = visit.out_of_county, OUT_OF_COUNTY
        else:
            terms, where = visit.levels.get(Level(tier)), f'levels."{Level(tier).label}"'
        if terms is None:
            if used[c]:
                reason = f"no reimbursement terms for level {Level(tier).label} ({VISITS[c // TIER_COUNT]})"
                raise InputError(source, reason, row=int(np.argmax(code == c)) + 1, field="institution level")
            continue
        deductible[c] = yuan_to_fen(terms.deductible)
        ratio[c] = _units(terms.ratio, f"reimbursement.{VISITS[c // TIER_COUNT]}.{where}.ratio")
    return deductible, ratio


def _checked(claims: pl.DataFrame, source: str) -> pl.DataFrame:
    """The claim columns, with integer costs as Int64; wrong types, nulls and costs out of range are errors."""
    require_columns(claims.columns, source, COLUMNS)
    for name, dtype in COLUMNS.items():
        actual = claims.schema[name]
        if actual != dtype and not (dtype == pl.Int64 and actual.is_integer()):
            raise InputError(source, f"type {actual}, expected {dtype}", field=name)
    frame = claims.select(pl.col(name).cast(dtype) for name, dtype in COLUMNS.items())
    for name in COLUMNS:
        if frame[name].null_count():
            raise InputError(source, "empty", row=int(frame[name].is_null().arg_true()[0]) + 1, field=name)
    for name in ("class_a_fen", "class_b_fen"):
        cost = frame[name]
        if cost.len() and (cost.min() < 0 or cost.max() > MAX_FEN):  # type: ignore[operator]
            row = int(((cost < 0) | (cost > MAX_FEN)).arg_true()[0]) + 1
            raise InputError(source, f"not a cost in fen from 0 to {MAX_FEN}: {cost[row - 1]}", row=row, field=name)
    return frame


def _index(column: str, vocabulary: list[str]) -> pl.Expr:
    """Each value's position in `vocabulary`, -1 when not in it (comparisons: faster than a replace on text)."""
    index = pl.lit(-1, pl.Int8)
    for k, word in enumerate(vocabulary):
        index = pl.when(pl.col(column) == word).then(pl.lit(k, pl.Int8)).otherwise(index)
    return index.alias(column)


def _codes(frame: pl.DataFrame, source: str) -> np.ndarray:
    """Each claim's code (visit × TIER_COUNT + tier); an unknown visit type or tier is an error."""
    indices = frame.select(_index("visit_type", VISITS), _index("tier", TIERS))
    for name in indices.columns:
        unknown = indices[name] < 0
        if unknown.any():
            row = int(unknown.arg_true()[0]) + 1
            raise InputError(source, f"unknown value {frame[name][row - 1]!r}", row=row, field=name)
    return indices["visit_type"].to_numpy() * TIER_COUNT + indices["tier"].to_numpy()


def fund_payments(claims: pl.DataFrame, terms: Reimbursement, source: str = "claims") -> pl.DataFrame:
    """The fund's payment of each claim: eligible_fen (甲类 + 乙类 after 先行自付), deductible_fen (起付线) and
    fund_fen (统筹基金支付), Int64, one row per claim in input order.

    `claims`: person_key, visit_type (inpatient | outpatient), service_date, claim_id, tier (a `Level` value where
    the institution is in the patient's county, else out_of_county), class_a_fen and class_b_fen (integer fen)."""
    frame = _checked(claims, source)
    code = _codes(frame, source)
    visits: list[VisitTerms] = [getattr(terms, visit) for visit in VISITS]
    deductible, ratio = _tier_tables(visits, code, source)
    keep_b = RATIO_UNIT - _units(terms.class_b_self_pay_first, "reimbursement.class_b_self_pay_first")
    eligible, deducted, fund = _each_claim(
        code, frame["class_a_fen"].to_numpy(), frame["class_b_fen"].to_numpy(), keep_b, deductible, ratio
    )
    per_year = np.array([t.deductible_basis == "year" for t in visits])
    cap = np.array([-1 if t.annual_cap is None else yuan_to_fen(t.annual_cap) for t in visits], np.int64)
    running = per_year | (cap >= 0)
    if running.any():
        person = pl.col("person_key")
        keyed = (
            frame.select("service_date", "claim_id", person=person.hash(1), check=person.hash(2))
            .with_columns(code=pl.Series(code), eligible=pl.Series(eligible))
            .with_row_index("row")
            .filter(running[code // TIER_COUNT])
            .sort("person", "check", "service_date", "claim_id")
        )
        _running(
            *(keyed[name].to_numpy() for name in ("row", "person", "check", "code", "eligible")),
            deductible, ratio, per_year, cap, deducted, fund,
        )  # fmt: skip
    return pl.DataFrame({"eligible_fen": eligible, "deductible_fen": deducted, "fund_fen": fund})
