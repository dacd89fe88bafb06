"""A plain-Python reference of the claim-level fund payment (docs/alliance.md), for tests only.

It shares no code with `yibao.alliance.reimbursement` beyond the policy model: claims are dicts, one loop per claim
in (person, service date, claim_id) order, money is `Fraction` until it is rounded half-up to the fen.
"""

from __future__ import annotations

import math
from collections import defaultdict
from fractions import Fraction

from yibao.alliance.policy import Reimbursement, Tier, VisitTerms
from yibao.models.enums import Level


def half_up(value: Fraction) -> int:
    """A non-negative amount rounded half-up to whole fen."""
    return math.floor(value + Fraction(1, 2))


def tier_terms(visit: VisitTerms, tier: str) -> Tier:
    return visit.out_of_county if tier == "out_of_county" else visit.levels[Level(tier)]


def fund_payments(claims: list[dict], terms: Reimbursement) -> list[tuple[int, int, int]]:
    """(eligible, deductible, fund) in fen of each claim, in the order given."""
    keep_b = 1 - Fraction(terms.class_b_self_pay_first)
    deductible_paid: dict[tuple[str, str], Fraction] = defaultdict(Fraction)
    fund_paid: dict[tuple[str, str], int] = defaultdict(int)
    results: dict[int, tuple[int, int, int]] = {}
    order = sorted(range(len(claims)), key=lambda i: [claims[i][k] for k in ("person_key", "service_date", "claim_id")])
    for i in order:
        claim = claims[i]
        visit: VisitTerms = getattr(terms, claim["visit_type"])
        tier = tier_terms(visit, claim["tier"])
        key = (claim["person_key"], claim["visit_type"])
        eligible = claim["class_a_fen"] + half_up(claim["class_b_fen"] * keep_b)
        deductible_left = Fraction(tier.deductible) * 100
        if visit.deductible_basis == "year":
            deductible_left = max(Fraction(0), deductible_left - deductible_paid[key])
        deductible = min(eligible, deductible_left)
        fund = half_up((eligible - deductible) * Fraction(tier.ratio))
        if visit.annual_cap is not None:
            fund = min(fund, int(Fraction(visit.annual_cap) * 100) - fund_paid[key])
        deductible_paid[key] += deductible
        fund_paid[key] += fund
        results[i] = (eligible, int(deductible), fund)
    return [results[i] for i in range(len(claims))]
