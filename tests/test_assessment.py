"""Assessment (考核): indicators worked out by hand, the covered-residents rule, the scoring table and its TOML,
the retention bands, properties (rates in [0, 1], monotone in the right direction), and a synthetic year."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yibao.defaults import DEMO_RULESET
from yibao.errors import InputError
from yibao.settlement.assessment import indicators, points, retention_ratio, score
from yibao.settlement.assessment_policy import (
    Indicator,
    IndicatorScore,
    Scoring,
    check_bands,
    load_scoring,
    validate_scoring,
)
from yibao.synth import GenerationParams, generate_case

# County A: alliance YA (H1 lead, T1 township, V1 village) and a private hospital P1; county B: alliance YB;
# county C: alliance YC with no members and no residents; the city hospital C1 is in no alliance.
INSTITUTIONS = pl.DataFrame(
    {
        "institution_id": ["H1", "T1", "V1", "P1", "H2", "T2", "C1"],
        "level": ["secondary", "township", "village", "二级", "secondary", "基层", "tertiary"],
        "alliance_id": ["YA", "YA", "YA", None, "YB", "YB", None],
        "county": ["A", "A", "A", "A", "B", "B", "CITY"],
    }
)
ALLIANCES = pl.DataFrame({"alliance_id": ["YA", "YB", "YC"], "county": ["A", "B", "C"]})
RESIDENTS = pl.DataFrame(
    {
        "person_key": ["a1", "a2", "a3", "a4", "b1", "b2", "x1"],
        "residence_county": ["A", "A", "A", "A", "B", "B", "CITY"],
        "signed_family_doctor": [True, True, False, False, True, False, False],
    }
)
CLAIM_SCHEMA = {
    "person_key": pl.String,
    "institution_id": pl.String,
    "visit_type": pl.String,
    "total_cost": pl.Decimal(18, 2),
    "referral": pl.String,
}


def claims(*rows: tuple[str, str, str, str, str]) -> pl.DataFrame:
    """(person, institution, visit type, cost, referral) rows."""
    frame = pl.DataFrame([list(r) for r in rows], schema=dict.fromkeys(CLAIM_SCHEMA, pl.String), orient="row")
    return frame.cast(CLAIM_SCHEMA)  # type: ignore[arg-type]


HAND = claims(
    ("a1", "T1", "outpatient", "50.00", "none"),
    ("a1", "V1", "outpatient", "20.00", "none"),
    ("a1", "H1", "inpatient", "5000.00", "up"),
    ("a1", "C1", "inpatient", "12000.00", "up"),
    ("a2", "T1", "outpatient", "60.00", "down"),
    ("a2", "V1", "门诊", "30.00", "none"),
    ("a3", "C1", "outpatient", "300.00", "none"),
    ("b1", "T2", "outpatient", "40.00", "down"),
    ("b1", "H2", "inpatient", "3000.00", "none"),
    ("x1", "C1", "outpatient", "500.00", "none"),  # lives where no alliance is: covered by none
)


def by_alliance(frame: pl.DataFrame) -> dict[str, dict[str, object]]:
    return {row["alliance_id"]: row for row in frame.iter_rows(named=True)}


def test_indicators_by_hand() -> None:
    ya, yb, yc = by_alliance(indicators(HAND, INSTITUTIONS, ALLIANCES, RESIDENTS)).values()
    # YA covers a1..a4 (county A, one alliance): 4 residents, a1 and a2 signed → 签约率 2/4 = 0.5.
    assert (ya["residents"], ya["signed_residents"], ya["signed_rate"]) == (4, 2, 0.5)
    # Visits of a1 (4), a2 (2), a3 (1) = 7; in county A: T1 V1 H1 T1 V1 = 5 → 5/7 = 0.714285… → 0.7143.
    assert (ya["visits"], ya["in_county_visits"], ya["in_county_rate"]) == (7, 5, 0.7143)
    # 基层 (township T1, village V1): 4 of 7 → 0.571428… → 0.5714.
    assert (ya["primary_care_visits"], ya["primary_care_rate"]) == (4, 0.5714)
    # 下转: a2 once → 1 patient; 上转 2 claims (a1), 下转 1 → down ÷ up = 0.5.
    assert (ya["down_referrals"], ya["up_referral_visits"], ya["down_referral_visits"], ya["down_up_ratio"]) == (
        1,
        2,
        1,
        0.5,
    )
    # 门诊次均 (50 + 20 + 60 + 30 + 300) / 5 = 92.00; 住院次均 (5000 + 12000) / 2 = 8500.00.
    assert (ya["outpatient_cost_per_visit"], ya["inpatient_cost_per_stay"]) == (92.0, 8500.0)
    # YB: b1's two visits, both in county B, one at 基层; b2 has none. No 上转 → the ratio is null.
    assert (yb["residents"], yb["visits"], yb["in_county_rate"], yb["primary_care_rate"]) == (2, 2, 1.0, 0.5)
    assert (yb["signed_rate"], yb["down_referrals"], yb["down_up_ratio"]) == (0.5, 1, None)
    # YC: no members, no residents, no visits: every rate is null, every count 0.
    assert (yc["residents"], yc["visits"]) == (0, 0)
    assert all(yc[c] is None for c in ("in_county_rate", "primary_care_rate", "signed_rate", "inpatient_cost_per_stay"))
    assert all(ya[c] is None for c in ("down_referral_growth", "outpatient_cost_growth", "inpatient_cost_growth"))


def test_growth_against_the_prior_year() -> None:
    prior = pl.DataFrame(
        {
            "alliance_id": ["YA", "YC"],
            "down_referrals": [2, 0],
            "outpatient_cost_per_visit": [80.0, None],
            "inpatient_cost_per_stay": [10000.0, 900.0],
        }
    )
    ya, yb, yc = by_alliance(indicators(HAND, INSTITUTIONS, ALLIANCES, RESIDENTS, prior=prior)).values()
    # YA: 下转 1 vs 2 → −0.5; 门诊次均 92 / 80 − 1 = 0.15; 住院次均 8500 / 10000 − 1 = −0.15.
    growth = ("down_referral_growth", "outpatient_cost_growth", "inpatient_cost_growth")
    assert tuple(ya[c] for c in growth) == (-0.5, 0.15, -0.15)
    # YB is not in the prior year; YC grew from 0 (down referrals) or has nothing now: all null.
    assert all(row[c] is None for row in (yb, yc) for c in growth)


def test_residents_without_visits_give_null_rates_not_a_crash() -> None:
    frame = indicators(claims(), INSTITUTIONS, ALLIANCES, RESIDENTS)
    ya = by_alliance(frame)["YA"]
    assert (ya["visits"], ya["in_county_rate"], ya["primary_care_rate"], ya["outpatient_cost_per_visit"]) == (
        0,
        None,
        None,
        None,
    )
    assert ya["signed_rate"] == 0.5


def test_several_alliances_in_a_county_share_its_residents() -> None:
    institutions = pl.DataFrame(
        {
            "institution_id": ["TD1", "TD2"],
            "level": ["township"] * 2,
            "alliance_id": ["YD1", "YD2"],
            "county": ["D"] * 2,
        }
    )
    alliances = pl.DataFrame({"alliance_id": ["YD2", "YD1"], "county": ["D", "D"]})
    residents = pl.DataFrame(
        {"person_key": ["d1", "d2", "d3", "d4"], "residence_county": ["D"] * 4, "signed_family_doctor": [True] * 4}
    )
    visits = claims(
        ("d1", "TD2", "outpatient", "10.00", "none"),
        ("d1", "TD2", "outpatient", "10.00", "none"),
        ("d1", "TD1", "outpatient", "10.00", "none"),
        ("d4", "TD1", "outpatient", "10.00", "none"),
        ("d4", "TD2", "outpatient", "10.00", "none"),
    )
    frame = indicators(visits, institutions, alliances, residents)
    # d1 used YD2 most → YD2; d4 is a tie → the smaller id YD1; d2, d3 never came: dealt in turn → YD1, YD2.
    assert frame["alliance_id"].to_list() == ["YD2", "YD1"]  # the alliances' order
    assert frame["residents"].to_list() == [2, 2]
    assert frame["visits"].to_list() == [3, 2]


def test_inputs_are_checked() -> None:
    with pytest.raises(InputError, match=r"claims: missing columns \['referral'\]"):
        indicators(HAND.drop("referral"), INSTITUTIONS, ALLIANCES, RESIDENTS)
    with pytest.raises(InputError, match=r"institutions, field level: unknown value '特级'"):
        indicators(HAND, INSTITUTIONS.with_columns(level=pl.lit("特级")), ALLIANCES, RESIDENTS)
    with pytest.raises(InputError, match=r"field alliance_id: alliance_id 'YB' is not in alliances"):
        indicators(HAND, INSTITUTIONS, ALLIANCES.head(1), RESIDENTS)
    with pytest.raises(InputError, match=r"prior: missing columns"):
        indicators(HAND, INSTITUTIONS, ALLIANCES, RESIDENTS, prior=pl.DataFrame({"alliance_id": ["YA"]}))


# --- scoring ---


def test_default_scoring_is_the_published_targets() -> None:
    table = Scoring()
    targets = {name: rule.target for name, rule in table.indicators.items()}
    assert targets == {
        Indicator.IN_COUNTY_RATE: Decimal("0.9"),
        Indicator.PRIMARY_CARE_RATE: Decimal("0.65"),
        Indicator.SIGNED_RATE: Decimal("0.5"),
        Indicator.DOWN_REFERRAL_GROWTH: Decimal("0.1"),
    }
    assert sum(rule.weight for rule in table.indicators.values()) == 100


def test_score_by_hand() -> None:
    table = validate_scoring(
        {
            "indicators": {
                "in_county_rate": {"weight": 30, "target": 0.9, "rule": "linear", "floor": 0.7},
                "primary_care_rate": {"weight": 30, "target": 0.65, "rule": "linear", "floor": 0.4},
                "signed_rate": {"weight": 20, "target": 0.5},
                "inpatient_cost_growth": {"weight": 20, "target": 0.05, "direction": "lower", "when_missing": "full"},
            }
        }
    )
    ya, yb, yc = by_alliance(score(indicators(HAND, INSTITUTIONS, ALLIANCES, RESIDENTS), table)).values()
    # YA: 县域内 30 × (0.7143 − 0.7) / 0.2 = 2.145 → 2.15 (half-up); 基层 30 × (0.5714 − 0.4) / 0.25 = 20.568
    # → 20.57; 签约 0.5 ≥ 0.5 → 20; no prior year, when_missing full → 20. Total 62.72 → band 60–80 keeps 0.5.
    assert [ya[c] for c in ("in_county_rate_points", "primary_care_rate_points", "signed_rate_points")] == [
        Decimal("2.15"),
        Decimal("20.57"),
        Decimal("20.00"),
    ]
    assert (ya["inpatient_cost_growth_points"], ya["score"], ya["retention_ratio"]) == (
        Decimal("20.00"),
        Decimal("62.72"),
        Decimal("0.5"),
    )
    # YB: 县域内 1.0 → 30; 基层 30 × 0.1 / 0.25 = 12; 签约 20; 20 → 82 → 0.8.
    assert (yb["score"], yb["retention_ratio"]) == (Decimal("82.00"), Decimal("0.8"))
    # YC has no visits and no residents: only the when_missing = full indicator scores.
    assert (yc["score"], yc["retention_ratio"]) == (Decimal("20.00"), Decimal(0))


@pytest.mark.parametrize(
    ("score_", "ratio"),
    [("100", "1"), ("90", "1"), ("89.99", "0.8"), ("80", "0.8"), ("60", "0.5"), ("59.99", "0"), ("0", "0")],
)
def test_default_retention_bands(score_: str, ratio: str) -> None:
    assert retention_ratio(Decimal(score_), Scoring().retention_bands) == Decimal(ratio)


@pytest.mark.parametrize(
    ("data", "key", "message"),
    [
        ({"indicators": {"signed_rate": {"weight": 90, "target": 0.5}}}, "assessment.indicators", "sum to 100"),
        (
            {"indicators": {"signed_rat": {"weight": 100, "target": 0.5}}},
            "assessment.indicators.signed_rat",
            "Input should be",
        ),
        (
            {"indicators": {"signed_rate": {"weight": 100, "target": 0.5, "rule": "linear"}}},
            "assessment.indicators.signed_rate",
            "needs a floor",
        ),
        (
            {"indicators": {"signed_rate": {"weight": 100, "target": 0.5, "rule": "linear", "floor": 0.6}}},
            "assessment.indicators.signed_rate",
            "floor must be below the target",
        ),
        ({"retention_bands": [[90, 0.5], [60, 0.8], [0, 0]]}, "assessment.retention_bands", "keeps more"),
        ({"retention_bands": [[60, 0.5], [90, 1], [0, 0]]}, "assessment.retention_bands", "highest min_score down"),
        ({"retention_bands": [[90, 1], [60, 0.5]]}, "assessment.retention_bands", "must start at 0"),
        ({"decimal": 2}, "assessment.decimal", "Extra inputs"),
    ],
)
def test_scoring_errors_name_the_key(data: dict[str, object], key: str, message: str) -> None:
    with pytest.raises(InputError, match=rf"field {key}\b.*{message}"):
        validate_scoring(data)


def test_scoring_from_a_toml_section(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(
        """
[assessment]
decimals = 2
retention_bands = [[90, 1.0], [80, 0.8], [60, 0.5], [0, 0]]

[assessment.indicators.in_county_rate]
weight = 40
target = 0.9
rule = "linear"
floor = 0.7

[assessment.indicators.primary_care_rate]
weight = 40
target = 0.65

[assessment.indicators.outpatient_cost_growth]
weight = 20
target = 0.05
direction = "lower"
""",
        encoding="utf-8",
    )
    table = load_scoring(path)
    assert table.indicators[Indicator.IN_COUNTY_RATE].floor == Decimal("0.7")
    assert table.indicators[Indicator.OUTPATIENT_COST_GROWTH].direction == "lower"
    path.write_text("[assessment.indicators.signed_rate]\nweight = 100\ntarget = -\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        load_scoring(path)
    path.write_text("[assesment]\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"policy.toml: no \[assessment\] section"):
        load_scoring(path)


def test_score_needs_the_scored_columns() -> None:
    with pytest.raises(InputError, match=r"indicators: missing columns \['signed_rate'\]"):
        score(
            pl.DataFrame({"alliance_id": ["YA"]}),
            validate_scoring({"indicators": {"signed_rate": {"weight": 100, "target": 0.5}}}),
        )


# --- properties ---

IDS = [*INSTITUTIONS["institution_id"], "ELSEWHERE"]  # an institution not in the table
IN_COUNTY = {"A": ["H1", "T1", "V1", "P1"], "B": ["H2", "T2"], "CITY": ["C1"]}
COUNTY = dict(RESIDENTS.select("person_key", "residence_county").iter_rows())
claim_rows = st.lists(
    st.tuples(
        st.sampled_from(RESIDENTS["person_key"].to_list()),
        st.sampled_from(IDS),
        st.sampled_from(["inpatient", "outpatient"]),
        st.decimals(0, 20000, places=2).map(str),
        st.sampled_from(["none", "up", "down"]),
    ),
    max_size=30,
)
RATES = ("in_county_rate", "primary_care_rate", "signed_rate")


@settings(max_examples=40, deadline=None)
@given(claim_rows)
def test_rates_are_between_0_and_1(rows: list[tuple[str, str, str, str, str]]) -> None:
    frame = indicators(claims(*rows), INSTITUTIONS, ALLIANCES, RESIDENTS)
    for rate in RATES:
        assert all(0 <= v <= 1 for v in frame[rate].drop_nulls())
    assert frame["visits"].sum() == sum(person != "x1" for person, *_ in rows)


@settings(max_examples=40, deadline=None)
@given(claim_rows.filter(bool), st.integers(0, 29), st.integers(0, 3))
def test_moving_a_visit_into_the_county_never_lowers_in_county_rate(
    rows: list[tuple[str, str, str, str, str]], which: int, pick: int
) -> None:
    before = indicators(claims(*rows), INSTITUTIONS, ALLIANCES, RESIDENTS)["in_county_rate"]
    person, _, *rest = rows[which % len(rows)]
    home = IN_COUNTY[COUNTY[person]]
    rows[which % len(rows)] = (person, home[pick % len(home)], *rest)  # type: ignore[assignment]
    after = indicators(claims(*rows), INSTITUTIONS, ALLIANCES, RESIDENTS)["in_county_rate"]
    assert all((b is None and a is None) or a >= b for b, a in zip(before, after, strict=True))


unit = st.decimals(0, 1, places=3)


@st.composite
def indicator_rules(draw: st.DrawFn) -> IndicatorScore:
    direction = draw(st.sampled_from(["higher", "lower"]))
    rule = draw(st.sampled_from(["threshold", "linear"]))
    target = draw(st.decimals("0.01", "0.99", places=3))
    floor = None
    if rule == "linear":
        floor = draw(
            st.decimals(0, target - Decimal("0.001"), places=3)
            if direction == "higher"
            else st.decimals(target + Decimal("0.001"), 1, places=3)
        )
    weight = draw(st.integers(0, 100))
    return IndicatorScore(weight=weight, target=target, direction=direction, rule=rule, floor=floor)


@settings(max_examples=200, deadline=None)
@given(indicator_rules(), unit, unit)
def test_moving_toward_the_target_never_lowers_the_score(rule: IndicatorScore, a: Decimal, b: Decimal) -> None:
    worse, better = sorted((a, b), reverse=rule.direction == "lower")
    table = Scoring(indicators={"in_county_rate": rule, "signed_rate": {"weight": 100 - rule.weight, "target": 0.5}})
    frame = pl.DataFrame(
        {"alliance_id": ["worse", "better"], "in_county_rate": [float(worse), float(better)], "signed_rate": [0.4] * 2}
    )
    low, high = score(frame, table)["score"]
    assert 0 <= low <= high <= 100
    assert points(better, rule, 2) <= rule.weight


bands = st.lists(st.tuples(st.integers(0, 100), st.decimals(0, 1, places=2)), min_size=1, max_size=5)


@settings(max_examples=200, deadline=None)
@given(bands, st.decimals(0, 100, places=2), st.decimals(0, 100, places=2))
def test_retention_is_monotone(raw: list[tuple[int, Decimal]], s: Decimal, t: Decimal) -> None:
    table = [(Decimal(m), r) for m, r in raw]
    try:
        check_bands(table)
    except ValueError:
        with pytest.raises(ValueError):
            retention_ratio(s, table)
        return
    low, high = sorted((s, t))
    assert retention_ratio(low, table) <= retention_ratio(high, table)


# --- a synthetic year ---


def _read_case(folder: Path) -> tuple[pl.DataFrame, ...]:
    visits = pl.concat(
        [pl.read_parquet(folder / "claims" / f"{kind}-*.parquet") for kind in ("inpatient", "outpatient")],
        how="diagonal_relaxed",
    )
    institutions = pl.read_csv(folder / "institutions.csv", infer_schema=False)
    alliances = pl.read_csv(folder / "alliances.csv", infer_schema=False)
    return visits, institutions, alliances, pl.read_parquet(folder / "residents.parquet")


@pytest.mark.parametrize("claims_per_county", [None, 500])
def test_a_synthetic_year(tmp_path: Path, claims_per_county: int | None) -> None:
    params = replace(GenerationParams(), claims_per_county=claims_per_county) if claims_per_county else None
    generate_case(tmp_path, 2000, seed=3, ruleset=DEMO_RULESET, params=params)
    visits, institutions, alliances, residents = _read_case(tmp_path)
    if claims_per_county:  # several counties, some with several alliances: the covered-residents rule at work
        assert alliances["county"].is_duplicated().any()
    frame = indicators(visits, institutions, alliances, residents)
    assert frame["alliance_id"].to_list() == alliances["alliance_id"].to_list()
    assert "person_key" not in frame.columns
    assert (
        frame["residents"].sum()
        == residents.filter(pl.col("residence_county").is_in(alliances["county"].to_list())).height
    )
    assert frame["visits"].sum() == visits.height  # every synthetic patient lives in a county with an alliance
    for rate in RATES:
        assert frame[rate].is_between(0, 1).all()
    assert frame["in_county_rate"].min() > 0.5
    assert frame["signed_rate"].is_between(0.3, 0.7).all()
    assert (frame["inpatient_cost_per_stay"] > frame["outpatient_cost_per_visit"]).all()
    assert frame["up_referral_visits"].sum() > 0
    scored = score(indicators(visits, institutions, alliances, residents, prior=frame), Scoring())
    assert (scored["down_referral_growth_points"] == 0).all()  # no growth over an identical year
    assert scored["score"].is_between(0, 100).all()


def test_the_documented_table_is_the_default(tmp_path: Path) -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "settlement.md").read_text(encoding="utf-8")
    section = doc[doc.index("## Assessment (考核)") :]
    example = section[section.index("```toml\n") + len("```toml\n") :].split("```")[0]
    (tmp_path / "assessment.toml").write_text(example, encoding="utf-8")
    assert load_scoring(tmp_path / "assessment.toml") == Scoring()
