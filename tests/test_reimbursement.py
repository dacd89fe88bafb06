"""Claim-level fund payment (统筹基金支付): cases worked out by hand, order independence, clear errors, and agreement
with the plain-Python reference (to the fen) on random small years, with the properties every payment must have."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import reimbursement_reference as ref
from yibao.alliance.policy import Reimbursement
from yibao.alliance.reimbursement import fund_payments
from yibao.errors import InputError
from yibao.models.enums import Level

TIERS = [*(level.value for level in Level), "out_of_county"]
SCHEMA = {
    "claim_id": pl.String,
    "person_key": pl.String,
    "visit_type": pl.String,
    "service_date": pl.Date,
    "tier": pl.String,
    "class_a_fen": pl.Int64,
    "class_b_fen": pl.Int64,
}
RESULTS = ["eligible_fen", "deductible_fen", "fund_fen"]
LEVELS = {
    "tertiary": {"deductible": "1000", "ratio": "0.7"},
    "secondary": {"deductible": "600", "ratio": "0.8"},
    "township": {"deductible": "0", "ratio": "0.5"},
}


def terms(first: str = "0", inpatient: dict | None = None, outpatient: dict | None = None) -> Reimbursement:
    """Both visit types: 三级 1000 元 at 70 %, 二级 600 元 at 80 %, 基层 0 at 50 %, 县域外 1500 元 at 60 %."""
    base = {"levels": LEVELS, "out_of_county": {"deductible": "1500", "ratio": "0.6"}}
    visits = {"inpatient": base | (inpatient or {}), "outpatient": base | (outpatient or {})}
    return Reimbursement.model_validate({"class_b_self_pay_first": first, **visits})


def frame(rows: list[tuple]) -> pl.DataFrame:
    """(claim_id, person, visit type, day of 2025 counted from 1 January, tier, class A fen, class B fen) rows."""
    records = [[c, p, v, date(2025, 1, 1) + timedelta(days=d), t, a, b] for c, p, v, d, t, a, b, *_ in rows]
    return pl.DataFrame(records, schema=SCHEMA, orient="row")


IN, OUT = "inpatient", "outpatient"
# (claim_id, person, visit, day, tier, class A, class B, eligible, deductible, fund); all money in fen.
CASES: dict[str, tuple[Reimbursement, list[tuple]]] = {
    # 二级 600 元 each stay: C1 40 000 all deductible; C2 50 000 all deductible; C3 三级 150 000 − 100 000 = 50 000
    # × 0.7 = 35 000; C4 10 000 all deductible. q's stay: 70 000 − 60 000 = 10 000 × 0.8 = 8 000.
    "deductible per claim": (
        terms(),
        [
            ("C3", "p", IN, 200, "tertiary", 150_000, 0, 150_000, 100_000, 35_000),
            ("C1", "p", IN, 10, "secondary", 40_000, 0, 40_000, 40_000, 0),
            ("C2", "p", IN, 100, "secondary", 50_000, 0, 50_000, 50_000, 0),
            ("C4", "p", IN, 300, "secondary", 10_000, 0, 10_000, 10_000, 0),
            ("C5", "q", IN, 10, "secondary", 70_000, 0, 70_000, 60_000, 8_000),
        ],
    ),
    # Once a year: C1 pays 40 000 of 二级's 60 000; C2 the 20 000 left, fund 30 000 × 0.8 = 24 000; C3 at 三级 owes
    # 100 000 − 60 000 paid = 40 000, fund 110 000 × 0.7 = 77 000; C4 owes max(0, 60 000 − 100 000) = 0, fund
    # 10 000 × 0.8 = 8 000. q has a deductible of their own; p's outpatient visit is another visit type (基层: 0).
    "deductible per year": (
        terms(inpatient={"deductible_basis": "year"}),
        [
            ("C3", "p", IN, 200, "tertiary", 150_000, 0, 150_000, 40_000, 77_000),
            ("C1", "p", IN, 10, "secondary", 40_000, 0, 40_000, 40_000, 0),
            ("C2", "p", IN, 100, "secondary", 50_000, 0, 50_000, 20_000, 24_000),
            ("C4", "p", IN, 300, "secondary", 10_000, 0, 10_000, 0, 8_000),
            ("C5", "q", IN, 10, "secondary", 70_000, 0, 70_000, 60_000, 8_000),
            ("V1", "p", OUT, 50, "township", 1_000, 0, 1_000, 0, 500),
        ],
    ),
    # Outpatient cap 1000 元 = 100 000 fen, 基层 50 %: V1 60 000 (paid 60 000); V2 and V3 share a day, so claim_id
    # decides: V2 35 000 (95 000), V3 15 000 capped at the 5 000 left (100 000); V4 5 000 capped at 0. q has their
    # own cap; p's stay (no inpatient cap) is 100 000 − 60 000 = 40 000 × 0.8 = 32 000.
    "cap reached mid-claim": (
        terms(outpatient={"annual_cap": "1000"}),
        [
            ("V3", "p", OUT, 40, "township", 30_000, 0, 30_000, 0, 5_000),
            ("V1", "p", OUT, 30, "township", 120_000, 0, 120_000, 0, 60_000),
            ("V2", "p", OUT, 40, "township", 70_000, 0, 70_000, 0, 35_000),
            ("V4", "p", OUT, 50, "township", 10_000, 0, 10_000, 0, 0),
            ("V5", "q", OUT, 50, "township", 10_000, 0, 10_000, 0, 5_000),
            ("C1", "p", IN, 60, "secondary", 100_000, 0, 100_000, 60_000, 32_000),
        ],
    ),
    # 县域外 1500 元 at 60 %, 乙类先行自付 10 %: 200 000 + 100 000 × 0.9 = 290 000; fund (290 000 − 150 000) × 0.6.
    "out of county": (
        terms(first="0.1"),
        [
            ("C1", "p", IN, 10, "out_of_county", 200_000, 100_000, 290_000, 150_000, 84_000),
            ("V1", "p", OUT, 10, "out_of_county", 100_000, 0, 100_000, 100_000, 0),
        ],
    ),
    # 乙类 × 0.9 and fund × 0.5 at 基层 (no deductible), each rounded half-up: 5 → 4.5 → 5, fund 2.5 → 3;
    # 15 → 13.5 → 14, fund 7; 25 → 22.5 → 23 (not the even 22), fund 11.5 → 12; 1 → 0.9 → 1, fund 0.5 → 1;
    # 4 → 3.6 → 4, fund 2; class A 1 → fund 0.5 → 1.
    "half-up at .5 fen": (
        terms(first="0.1"),
        [
            ("V1", "p", OUT, 1, "township", 0, 5, 5, 0, 3),
            ("V2", "p", OUT, 2, "township", 0, 15, 14, 0, 7),
            ("V3", "p", OUT, 3, "township", 0, 25, 23, 0, 12),
            ("V4", "p", OUT, 4, "township", 0, 1, 1, 0, 1),
            ("V5", "p", OUT, 5, "township", 0, 4, 4, 0, 2),
            ("V6", "p", OUT, 6, "township", 1, 0, 1, 0, 1),
        ],
    ),
    # Nothing eligible pays nothing and, per year, uses none of the deductible: C2 still owes all 60 000, fund
    # 10 000 × 0.8 = 8 000. With 乙类先行自付 100 % class B is never eligible: q's C3 has only its class A 1 000,
    # all of it deductible.
    "zero eligible": (
        terms(first="1", inpatient={"deductible_basis": "year"}),
        [
            ("C1", "p", IN, 10, "secondary", 0, 0, 0, 0, 0),
            ("C2", "p", IN, 20, "secondary", 70_000, 0, 70_000, 60_000, 8_000),
            ("C3", "q", IN, 20, "secondary", 1_000, 50_000, 1_000, 1_000, 0),
        ],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_by_hand(case: str) -> None:
    policy, rows = CASES[case]
    result = fund_payments(frame(rows), policy)
    assert result.columns == RESULTS
    assert result.rows() == [tuple(row[-3:]) for row in rows]


def random_claims(seed: int, n: int = 300) -> pl.DataFrame:
    """`n` claims of 6 persons over 20 days (many same-day ties), at random tiers and costs."""
    rng = np.random.default_rng(seed)
    return frame(
        [
            (f"C{i:04d}", f"p{rng.integers(6)}", [IN, OUT][rng.integers(2)], int(rng.integers(20)),
             TIERS[rng.integers(len(TIERS))], int(rng.integers(0, 80_000)), int(rng.integers(0, 80_000)))
            for i in rng.permutation(n)
        ]
    )  # fmt: skip


def all_levels(**visit: Any) -> dict:
    levels = {level.value: {"deductible": f"{100 * k}", "ratio": f"0.{9 - k}5"} for k, level in enumerate(Level)}
    return {"levels": levels, "out_of_county": {"deductible": "800", "ratio": "0.55"}} | visit


@pytest.mark.parametrize(
    ("inpatient", "outpatient"),
    [
        ({"deductible_basis": "year", "annual_cap": "900"}, {"deductible_basis": "year", "annual_cap": "700"}),
        ({"deductible_basis": "year"}, {}),
        ({}, {}),
    ],
    ids=["both running", "inpatient running", "neither"],
)
def test_order_independent(inpatient: dict, outpatient: dict) -> None:
    policy = Reimbursement.model_validate(
        {"class_b_self_pay_first": "0.15", "inpatient": all_levels(**inpatient), "outpatient": all_levels(**outpatient)}
    )
    claims = random_claims(seed=7)
    expected = claims.hstack(fund_payments(claims, policy)).sort("claim_id")
    assert expected.select(RESULTS).rows() == ref.fund_payments(expected.to_dicts(), policy)
    for seed in range(3):
        shuffled = claims.sample(fraction=1.0, shuffle=True, seed=seed)
        assert shuffled.hstack(fund_payments(shuffled, policy)).sort("claim_id").equals(expected)


def test_no_claims() -> None:
    result = fund_payments(frame([]), terms(inpatient={"annual_cap": "1"}))
    assert result.schema == dict.fromkeys(RESULTS, pl.Int64)
    assert result.height == 0


def test_missing_level_terms_name_level_and_visit_type() -> None:
    rows = [("C1", "p", IN, 1, "secondary", 100, 0), ("C2", "p", IN, 1, "village", 100, 0)]
    with pytest.raises(InputError, match=r"no reimbursement terms for level 村卫生室 \(inpatient\)") as error:
        fund_payments(frame(rows), terms(), source="claims.csv")
    assert (error.value.source, error.value.row, error.value.field) == ("claims.csv", 2, "institution level")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (pl.lit("住院").alias("visit_type"), "visit_type", "unknown value '住院'"),
        (pl.lit("county").alias("tier"), "tier", "unknown value 'county'"),
        (pl.lit(None, pl.String).alias("person_key"), "person_key", "empty"),
        (pl.lit(-1).alias("class_b_fen"), "class_b_fen", "not a cost in fen"),
        (pl.lit(12.5).alias("class_a_fen"), "class_a_fen", "type Float64, expected Int64"),
    ],
)
def test_bad_claims(change: pl.Expr, field: str, message: str) -> None:
    claims = frame([("C1", "p", IN, 1, "secondary", 100, 0)]).with_columns(change)
    with pytest.raises(InputError, match=message) as error:
        fund_payments(claims, terms())
    assert error.value.field == field


def test_missing_column() -> None:
    with pytest.raises(InputError, match="missing columns"):
        fund_payments(frame([]).drop("tier"), terms())


def test_ratio_with_more_than_four_decimals_is_refused() -> None:
    policy = terms(outpatient={"levels": {"township": {"ratio": "0.12345"}}})
    with pytest.raises(InputError, match=r"0\.12345 has more than 4 decimals") as error:
        fund_payments(frame([("V1", "p", OUT, 1, "township", 100, 0)]), policy)
    assert error.value.field == 'reimbursement.outpatient.levels."基层".ratio'


def ratios() -> st.SearchStrategy[Decimal]:
    return st.integers(0, 10_000).map(lambda units: Decimal(units).scaleb(-4))


def yuan(most_fen: int) -> st.SearchStrategy[Decimal]:
    return st.integers(0, most_fen).map(lambda fen: Decimal(fen).scaleb(-2))


@st.composite
def years(draw: st.DrawFn) -> tuple[Reimbursement, list[dict]]:
    """A random policy (both bases, cap or none, ratios of up to 4 decimals) and a few persons' claims."""

    def tier() -> dict:
        return {"deductible": draw(yuan(30_000)), "ratio": draw(ratios())}

    def visit() -> dict:
        cap = draw(st.none() | yuan(150_000))
        basis = draw(st.sampled_from(["claim", "year"]))
        return {"deductible_basis": basis, "annual_cap": cap, "levels": {level: tier() for level in Level},
                "out_of_county": tier()}  # fmt: skip

    policy = Reimbursement(class_b_self_pay_first=draw(ratios()), inpatient=visit(), outpatient=visit())
    n = draw(st.integers(0, 24))
    ids = draw(st.permutations(range(n)))
    claims = [
        {
            "claim_id": f"C{ids[i]:02d}",
            "person_key": draw(st.sampled_from(["p1", "p2", "p3"])),
            "visit_type": draw(st.sampled_from([IN, OUT])),
            "service_date": date(2025, 1, 1) + timedelta(days=draw(st.integers(0, 3))),
            "tier": draw(st.sampled_from(TIERS)),
            "class_a_fen": draw(st.integers(0, 60_000)),
            "class_b_fen": draw(st.integers(0, 60_000)),
        }
        for i in range(n)
    ]
    return policy, claims


@settings(max_examples=100, deadline=None)
@given(years())
def test_matches_reference(year: tuple[Reimbursement, list[dict]]) -> None:
    policy, claims = year
    result = fund_payments(pl.DataFrame(claims, schema=SCHEMA), policy)
    assert result.rows() == ref.fund_payments(claims, policy)
    paid: dict[tuple[str, str], int] = defaultdict(int)
    for claim, (eligible, deductible, fund) in zip(claims, result.rows(), strict=True):
        assert 0 <= deductible <= eligible
        assert 0 <= fund <= eligible - deductible
        paid[claim["person_key"], claim["visit_type"]] += fund
    for (_, visit), total in paid.items():
        cap = getattr(policy, visit).annual_cap
        assert cap is None or total <= cap * 100
