"""Budget, surplus/overspend and allocation of an alliance: worked numbers and properties (to the fen)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yibao.alliance.allocation import Member, allocate
from yibao.alliance.budget import BudgetBasis, advances, budget
from yibao.alliance.outcome import fund_share, outcome
from yibao.alliance.policy import AllianceBudget, Allocation, Overspend
from yibao.models.enums import Level
from yibao.settlement.assessment import retention_ratio
from yibao.settlement.assessment_policy import Scoring

BANDS = Overspend.model_validate(
    {"bands": [{"up_to": "0.05", "fund_share": "0.7"}, {"up_to": "0.10", "fund_share": "0.5"}], "min_score": 60}
)


def test_per_capita_budget_less_reserve() -> None:
    terms = AllianceBudget(method="per_capita", per_capita=Decimal("900.00"), risk_reserve_ratio=Decimal("0.05"))
    result = budget(BudgetBasis(residents=1234), terms)
    assert result.gross_fen == 1234 * 90000  # 1,110,600.00 元
    assert result.risk_reserve_fen == 5553000  # 55,530.00 元 = 5 %
    assert result.budget_fen == 111060000 - 5553000


def test_prior_budget_with_growth_population_and_score() -> None:
    terms = AllianceBudget.model_validate(
        {"method": "prior", "growth": "0.05", "population_adjustment": True,
         "score_adjustment": [[90, "0.02"], [60, 0], [0, "-0.02"]], "risk_reserve_ratio": "0.03"}
    )  # fmt: skip
    basis = BudgetBasis(residents=10100, prior_spending=Decimal("8000000.00"), prior_residents=10000,
                        prior_score=Decimal("92.5"))  # fmt: skip
    result = budget(basis, terms)
    # 8,000,000 × 1.05 × 1.01 × 1.02 = 8,653,680.00 元; reserve 3 % = 259,610.40 元
    assert result.gross_fen == 865368000
    assert result.risk_reserve_fen == 25961040
    assert result.budget_fen == 865368000 - 25961040


def test_prior_budget_needs_prior_spending() -> None:
    with pytest.raises(ValueError, match="prior_spending"):
        budget(BudgetBasis(residents=10), AllianceBudget(method="prior"))


def test_advances_split_the_advance_exactly_by_month() -> None:
    terms = AllianceBudget(method="per_capita", per_capita=Decimal(1), advance_ratio=Decimal("0.9"))
    months = advances(1000001, terms)  # 900,000.9 → 900,001 fen over 12 equal months
    assert sum(months) == 900001
    assert months == [75001] + [75000] * 11  # 12 × 75,000 and the fen left over to the earliest month


def test_surplus_retained_by_ratio_rest_returned() -> None:
    result = outcome(1_000_000, 900_001, Decimal("0.8"), Decimal(85), False, BANDS)
    assert (result.balance_fen, result.retained_fen, result.returned_fen) == (99999, 79999, 20000)
    assert result.fund_share_fen == result.borne_fen == 0


def test_overspend_shared_by_bands() -> None:
    # budget 1,000,000 fen, overspend 80,000: 50,000 × 0.7 + 30,000 × 0.5 = 50,000
    result = outcome(1_000_000, 1_080_000, Decimal(1), Decimal(75), False, BANDS)
    assert (result.overspend_fen, result.fund_share_fen, result.borne_fen) == (80000, 50000, 30000)
    # beyond the last band the fund bears nothing: 35,000 + 25,000 = 60,000 of 150,000
    assert fund_share(150_000, 1_000_000, BANDS) == 60000


@pytest.mark.parametrize(("score", "unreasonable"), [(Decimal("59.99"), False), (Decimal(95), True)])
def test_no_fund_share_when_unreasonable_or_below_min_score(score: Decimal, unreasonable: bool) -> None:
    result = outcome(1_000_000, 1_020_000, Decimal(1), score, unreasonable, BANDS)
    assert result.fund_share_fen == 0
    assert result.borne_fen == 20000


def members(*specs: tuple[str, int]) -> list[Member]:
    return [Member(f"M{i}", Level(level), Fraction(points)) for i, (level, points) in enumerate(specs)]


def test_points_split_with_tilt() -> None:
    terms = Allocation.model_validate({"coefficients": {"基层": "1.5"}})
    shares = allocate(1001, members(("secondary", 300), ("township", 200)), terms)
    assert shares == [501, 500]  # weights 300 : 300; the odd fen to the earlier member


def test_primary_care_floor_binds() -> None:
    terms = Allocation.model_validate({"primary_care_floor": "0.3"})
    shares = allocate(10000, members(("secondary", 900), ("township", 60), ("village", 40)), terms)
    assert shares == [7000, 1800, 1200]  # 基层 weigh 10 % < 30 %: they get 3,000 between them, 60:40


def test_primary_care_floor_only_for_a_positive_package_and_members_with_points() -> None:
    terms = Allocation.model_validate({"primary_care_floor": "0.3"})
    assert allocate(-10000, members(("secondary", 900), ("township", 100)), terms) == [-9000, -1000]
    assert allocate(10000, members(("secondary", 900), ("township", 0), ("village", 0)), terms) == [10000, 0, 0]


def test_primary_care_floor_not_binding() -> None:
    terms = Allocation.model_validate({"primary_care_floor": "0.3"})
    assert allocate(1000, members(("secondary", 50), ("township", 50)), terms) == [500, 500]


def test_fixed_split_over_present_tiers() -> None:
    terms = Allocation.model_validate(
        {"method": "fixed", "tiers": [{"share": 6, "levels": ["二级"]}, {"share": 3, "levels": ["基层"]},
                                      {"share": 1, "levels": ["村卫生室"]}]}
    )  # fmt: skip
    assert allocate(1000, members(("secondary", 1), ("township", 3), ("township", 1), ("village", 0)), terms) == [
        600, 225, 75, 100
    ]  # fmt: skip
    assert allocate(900, members(("secondary", 1), ("township", 1)), terms) == [600, 300]  # no village: 6:3


def test_fixed_split_refuses_a_level_in_no_tier() -> None:
    terms = Allocation.model_validate({"method": "fixed", "tiers": [{"share": 1, "levels": ["二级"]}]})
    with pytest.raises(ValueError, match="no allocation tier"):
        allocate(100, members(("township", 1)), terms)


levels = st.sampled_from(["secondary", "primary", "township", "village"])


@given(
    package=st.integers(-(10**9), 10**10),
    specs=st.lists(st.tuples(levels, st.integers(0, 10**6)), min_size=1, max_size=8),
    floor=st.none() | st.decimals("0", "1", places=2),
    tilt=st.decimals("0.5", "2", places=2),
)
def test_allocation_sums_to_the_package(package: int, specs: list, floor: Decimal | None, tilt: Decimal) -> None:
    terms = Allocation.model_validate({"primary_care_floor": floor, "coefficients": {"村卫生室": tilt}})
    assert sum(allocate(package, members(*specs), terms)) == package


@given(
    budget_fen=st.integers(1, 10**10),
    actual=st.integers(0, 2 * 10**10),
    ratio=st.decimals("0", "1", places=2),
    score=st.decimals("0", "100", places=2),
)
def test_outcome_conserves_money(budget_fen: int, actual: int, ratio: Decimal, score: Decimal) -> None:
    result = outcome(budget_fen, actual, ratio, score, False, BANDS)
    assert result.retained_fen + result.returned_fen - result.overspend_fen == budget_fen - actual
    assert result.fund_share_fen + result.borne_fen == result.overspend_fen
    assert 0 <= result.fund_share_fen <= result.overspend_fen
    assert 0 <= result.retained_fen <= max(0, budget_fen - actual)


@given(
    budget_fen=st.integers(1, 10**10),
    actual=st.integers(0, 10**10),
    low=st.decimals("0", "1", places=2),
    high=st.decimals("0", "1", places=2),
)
def test_a_higher_retention_ratio_never_retains_less(budget_fen: int, actual: int, low: Decimal, high: Decimal) -> None:
    low, high = sorted((low, high))
    first = outcome(budget_fen, actual, low, Decimal(0), False, BANDS)
    second = outcome(budget_fen, actual, high, Decimal(0), False, BANDS)
    assert second.retained_fen >= first.retained_fen


@given(
    budget_fen=st.integers(1, 10**10),
    actual=st.integers(0, 2 * 10**10),
    scores=st.tuples(st.decimals("0", "100", places=2), st.decimals("0", "100", places=2)),
)
def test_a_higher_score_never_retains_less(budget_fen: int, actual: int, scores: tuple[Decimal, Decimal]) -> None:
    """Score → retention band (the scoring table's defaults) → retained surplus; and never less fund share."""
    low, high = sorted(scores)
    bands = Scoring().retention_bands
    first = outcome(budget_fen, actual, retention_ratio(low, bands), low, False, BANDS)
    second = outcome(budget_fen, actual, retention_ratio(high, bands), high, False, BANDS)
    assert second.retained_fen >= first.retained_fen
    assert second.fund_share_fen >= first.fund_share_fen
