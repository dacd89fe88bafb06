"""Bad alliance inputs are one clear error naming the table, row and field, or a claim set aside with its reason."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from yibao.alliance import load_year_case, settle_year
from yibao.alliance.settle import YearCase
from yibao.errors import InputError

CASE = Path(__file__).resolve().parents[1] / "settlement_cases" / "alliance-two-alliances"


@pytest.fixture(scope="module")
def case() -> YearCase:
    return load_year_case(CASE)


def test_a_person_listed_twice_in_residents_is_refused(case: YearCase) -> None:
    twice = pl.concat([case.residents, case.residents.head(1)])
    with pytest.raises(InputError, match=r"residents, row \d+, field person_key: this person is listed twice"):
        settle_year(replace(case, residents=twice))


def test_yes_no_words_are_read_and_other_words_refused(case: YearCase) -> None:
    signed = pl.col("signed_family_doctor").cast(pl.String).str.to_lowercase().is_in(["true", "1"])
    words = case.residents.with_columns(
        signed_family_doctor=pl.when(signed).then(pl.lit("已签约")).otherwise(pl.lit("未签约"))
    )
    assert settle_year(replace(case, residents=words)).alliances.equals(settle_year(case).alliances)
    odd = case.residents.with_columns(signed_family_doctor=pl.lit("maybe"))
    with pytest.raises(InputError, match="residents, row 1, field signed_family_doctor: not a yes/no value: 'maybe'"):
        settle_year(replace(case, residents=odd))


def test_unreadable_alliance_facts_are_refused(case: YearCase) -> None:
    scored = case.alliances.with_columns(prior_score=pl.lit("-5"))
    with pytest.raises(InputError, match="prior_score: -5 is out of range"):
        settle_year(replace(case, alliances=scored))


def test_a_claim_without_residence_county_is_set_aside(case: YearCase) -> None:
    claims = case.claims.with_columns(
        residence_county=pl.when(pl.col("claim_id") == "M04").then(None).otherwise("residence_county")
    )
    result = settle_year(replace(case, claims=claims))
    assert result.excluded.filter(pl.col("claim_id") == "M04")["reason"].to_list() == ["无参保地 no residence county"]
    region = result.region.row(0, named=True)
    assert region["claims_read"] == region["claims_charged"] + region["claims_excluded"] == claims.height


def test_a_stay_the_point_method_sets_aside_is_set_aside_with_its_reason(case: YearCase) -> None:
    claims = case.claims.with_columns(own_share=pl.when(pl.col("claim_id") == "K04").then(None).otherwise("own_share"))
    result = settle_year(replace(case, claims=claims))
    assert result.excluded.filter(pl.col("claim_id") == "K04")["reason"].to_list() == ["无个人自付 no own share"]
    assert "K04" not in result.claims.collect()["claim_id"].to_list()
    region = result.region.row(0, named=True)
    assert region["claims_read"] == region["claims_charged"] + region["claims_excluded"] == claims.height
