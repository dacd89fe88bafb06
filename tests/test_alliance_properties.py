"""Properties of a whole alliance year: money conserved from fund to members, and bringing care home pays."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.alliance_checks import conserved
from yibao.alliance.case_dir import load_year_case
from yibao.alliance.settle import YearCase, YearSettlement, settle_year
from yibao.errors import InputError

PRIMARY_CARE = ["township", "village", "基层", "村卫生室"]
CASES = Path(__file__).resolve().parents[1] / "settlement_cases"
NAMES = ("alliance-surplus-high-score", "alliance-surplus-low-score", "alliance-overspend-reasonable",
         "alliance-overspend-beyond", "alliance-out-of-county", "alliance-two-alliances")  # fmt: skip


@cache
def base(name: str) -> tuple[YearCase, YearSettlement]:
    case = load_year_case(CASES / name)
    return case, settle_year(case)


def away(name: str) -> pl.DataFrame:
    """Claims of covered residents treated outside their county."""
    claims = base(name)[1].claims.collect()
    return claims.filter(pl.col("alliance_id").is_not_null() & (pl.col("place") == "out_of_county"))


def test_every_case_conserves_money() -> None:
    for name in NAMES:
        conserved(base(name)[1])


@st.composite
def moves(draw: st.DrawFn) -> tuple[str, str, str]:
    """A case, a claim of a covered resident treated outside the county, and a member of the resident's alliance
    with terms for the claim's visit type, at 基层 exactly when the claim was (so 基层就诊率 stays as it was)."""
    name = draw(st.sampled_from([n for n in NAMES if away(n).height]))
    case, result = base(name)
    levels = dict(case.institutions.select("institution_id", "level").iter_rows())
    claim_id, institution, alliance, visit_type = draw(
        st.sampled_from(away(name).select("claim_id", "institution_id", "alliance_id", "visit_type").rows())
    )
    terms = getattr(case.policy.reimbursement, visit_type)
    primary = levels.get(institution) in PRIMARY_CARE
    members = result.members.filter(
        (pl.col("alliance_id") == alliance)
        & pl.col("level").is_in([level.value for level in terms.levels])
        & (pl.col("level").is_in(PRIMARY_CARE) == primary)
    )["institution_id"]
    assume(members.len() > 0)
    return name, claim_id, draw(st.sampled_from(sorted(members)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(moves())
def test_bringing_a_claim_home_never_lowers_the_alliance_result(move: tuple[str, str, str]) -> None:
    """Moving a covered resident's claim from outside the county to a member of their alliance never lowers the
    alliance's package (医共体包干资金), and money stays conserved. (A move from 基层 elsewhere to a county
    hospital may lower the 基层就诊率 score and so the retained share: that is the policy's intent, not a loss.)"""
    name, claim_id, member = move
    case, before = base(name)
    moved = case.claims.with_columns(
        institution_id=pl.when(pl.col("claim_id") == claim_id).then(pl.lit(member)).otherwise("institution_id")
    )
    after = settle_year(replace(case, claims=moved))
    conserved(after)
    alliance = before.claims.collect().filter(pl.col("claim_id") == claim_id)["alliance_id"][0]

    def package(result: YearSettlement) -> int:
        return int(result.alliances.filter(pl.col("alliance_id") == alliance)["package_fen"][0])

    assert package(after) >= package(before)


def test_an_alliance_without_members_is_refused() -> None:
    case, _ = base("alliance-two-alliances")
    lonely = pl.concat([case.alliances, case.alliances.head(1).with_columns(alliance_id=pl.lit("NC"))])
    with pytest.raises(InputError, match="'NC' has no member"):
        settle_year(replace(case, alliances=lonely))
