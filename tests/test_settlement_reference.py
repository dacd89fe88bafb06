"""The compiled settlement agrees with the plain-Python reference on random regions, to the unit and the fen;
and the properties every settlement must have: conservation, monotonicity, invariance under reordering."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import settlement_reference as ref
from yibao.settlement import load_policy, prepare_cases, settle
from yibao.settlement.money import largest_remainder

LEVEL_LABELS = {"tertiary": "三级", "secondary": "二级", "primary": "一级", "township": "基层", "village": "村卫生室"}
GROUPS = {"AA11": (80.0, 4000.0), "BB13": (150.0, 7500.0), "CC15": (320.5, 16025.37), "DD19": (1200.0, 60000.0)}
BED_DAY = {"PS19": 12.5}
RATIOS = [0.2, 0.38, 0.4, 0.45, 0.7, 0.8, 0.95, 1.0, 1.6, 2.0, 2.1, 3.0, 3.3]
"""Costs as multiples of a group's mean cost, on and around the class boundaries."""
PERSONS = [f"{i:020x}" for i in range(1, 6)]


@st.composite
def regions(draw: st.DrawFn) -> dict:
    """Institutions, claims, tables and policy keys of one random region-year."""
    n_inst = draw(st.integers(1, 4))
    institutions = [(f"H{i}", draw(st.sampled_from(list(LEVEL_LABELS)))) for i in range(n_inst)]
    drgs = [*GROUPS, *BED_DAY, "EEQY", "ZZ19", "0000"]
    claims = []
    for i in range(draw(st.integers(1, 40))):
        admitted = date(2025, 1, 1) + timedelta(days=draw(st.integers(0, 330)))
        los = draw(st.integers(1, 70))
        drg = draw(st.sampled_from(drgs))
        claims.append({
            "claim_id": f"C{i:03d}",
            "person_key": draw(st.sampled_from(PERSONS)),
            "institution_id": draw(st.sampled_from(institutions))[0],
            "admission_date": admitted,
            "discharge_date": min(admitted + timedelta(days=los), date(2025, 12, 31)),
            "los_days": los,
            "discharge_mode": draw(st.sampled_from([1, 1, 1, 2, 4, 5, None])),
            "cost_fen": draw(st.one_of(st.integers(1_000, 30_000_000), st.sampled_from(RATIOS).map(
                lambda r, drg=drg: round(r * GROUPS.get(drg, (0, 6400.0))[1] * 100)))),
            "own_share_fen": draw(st.integers(0, 500_000)),
            "self_pay_fen": draw(st.integers(0, 200_000)),
            "drg": drg,
            "group_status": "FAIL" if drg == "0000" else "SUCCESS",
        })  # fmt: skip
    special = {c["claim_id"]: draw(st.sampled_from([0.5, 55.5, 123.4567])) for c in claims[:2] if draw(st.booleans())}
    deductions = [
        (draw(st.sampled_from(institutions))[0], draw(st.sampled_from(["", "3.5", "10"])),
         draw(st.sampled_from(["", "100.00", "2345.67"])))
        for _ in range(draw(st.integers(0, 2)))
    ]  # fmt: skip
    keys = {
        "fund_budget": draw(st.sampled_from(["0.00", "123456.78", "5000000.00", "99999999.99"])),
        "patient_share": draw(st.sampled_from([["own_share"], ["own_share", "self_pay_cost"]])),
        "monthly_weights": draw(st.sampled_from([None, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2], [0.5] * 12])),
        "coefficients": draw(st.sampled_from(["none", "level", "table"])),
        "table_coefficient": draw(st.sampled_from([1.2345, 0.35])),
        "low_ratio": draw(st.sampled_from([0.3, 0.4, 0.5])),
        "mid_band_upper": draw(st.sampled_from([None, 0.8])),
        "high_ratio_by": draw(st.sampled_from(["base_points", "level"])),
        "los_outside_max": draw(st.sampled_from([None, 1, 2])),
        "los_outside_min": draw(st.sampled_from([None, 60])),
        "readmission_days": draw(st.sampled_from([None, 15, 30])),
        "readmission_factor": draw(st.sampled_from([0.5, 0.7])),
        "same_institution": draw(st.booleans()),
        "excepted": draw(st.sampled_from([[], ["BB1"], ["AA11"]])),
        "monthly_pv": draw(st.sampled_from(["budget", "0.9731", "64"])),
        "prepayment_ratio": draw(st.sampled_from([0.85, 0.9, 1])),
        "deposit_ratio": draw(st.sampled_from([0, 0.03])),
        "returned_ratio": draw(st.sampled_from([0, 0.5, 1])),
        "deduction_factor": draw(st.sampled_from([1, 1.5])),
        "ambiguous_ratio": draw(st.sampled_from([1, 0.7])),
    }
    return {"institutions": institutions, "claims": claims, "special": special, "deductions": deductions, **keys}


def _write(region: dict, folder: Path) -> Path:
    """The region as files: institutions, claims, tables and policy.toml."""
    r = region
    ids = [i for i, _ in r["institutions"]]
    levels = [LEVEL_LABELS[level] for _, level in r["institutions"]]
    pl.DataFrame({"institution_id": ids, "level": levels, "alliance_id": "A1"}).write_csv(folder / "institutions.csv")
    bases, means = zip(*GROUPS.values(), strict=True)
    pl.DataFrame({"drg": list(GROUPS), "base_points": bases, "mean_cost": means}).write_csv(folder / "base.csv")
    pl.DataFrame({"drg": list(BED_DAY), "points_per_day": list(BED_DAY.values())}).write_csv(folder / "bed.csv")
    pl.DataFrame({"claim_id": list(r["special"]), "points": list(r["special"].values())},
                 schema={"claim_id": pl.String, "points": pl.Float64}).write_csv(folder / "special.csv")  # fmt: skip
    pl.DataFrame(r["deductions"], schema=["institution_id", "points", "amount"], orient="row").write_csv(
        folder / "deductions.csv"
    )
    pl.DataFrame({"institution_id": ids, "drg": "BB13", "coefficient": r["table_coefficient"]}).write_csv(
        folder / "coefficients.csv"
    )
    weights = "" if r["monthly_weights"] is None else f"monthly_weights = {r['monthly_weights']}"
    monthly = '"budget"' if r["monthly_pv"] == "budget" else f'"{r["monthly_pv"]}"'
    optional = "\n".join(
        f"{key} = {r[key]}" for key in ("mid_band_upper", "los_outside_max", "los_outside_min") if r[key] is not None
    )
    days = "" if r["readmission_days"] is None else f"days = {r['readmission_days']}"
    policy = f"""
name = "random"
year = 2025
[budget]
fund_budget = "{r["fund_budget"]}"
patient_share = {r["patient_share"]}
{weights}
[base_points]
table = "base.csv"
mean_cost_all = "6400.00"
[coefficients]
method = "{r["coefficients"]}"
levels = {{ "三级" = 1.1, "二级" = 0.95, "基层" = 0.8 }}
table = "coefficients.csv"
uniform_groups = ["AA11"]
[case_classes]
low_ratio = {r["low_ratio"]}
high_ratio_by = "{r["high_ratio_by"]}"
high_ratio_levels = {{ "三级" = 2, "二级" = 2.5, "一级" = 3, "基层" = 3, "村卫生室" = 3 }}
ambiguous_ratio = {r["ambiguous_ratio"]}
ungrouped_ratio = 0.9
outside_ratio = 0.8
bed_day_table = "bed.csv"
special_review_table = "special.csv"
{optional}
[readmission]
{days}
factor = {r["readmission_factor"]}
same_institution = {str(r["same_institution"]).lower()}
excepted_groups = {r["excepted"]}
[point_value]
monthly = {monthly}
[monthly]
prepayment_ratio = {r["prepayment_ratio"]}
quality_deposit_ratio = {r["deposit_ratio"]}
[clearing]
deposit_returned_ratio = {r["returned_ratio"]}
deduction_factor = {r["deduction_factor"]}
deductions_table = "deductions.csv"
"""
    (folder / "policy.toml").write_text(policy.replace("'", '"'), encoding="utf-8")
    return folder / "policy.toml"


def _frame(claims: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(
        [{**{k: v for k, v in c.items() if not k.endswith("_fen")}, "total_cost": Decimal(c["cost_fen"]) / 100,
          "own_share": Decimal(c["own_share_fen"]) / 100, "self_pay_cost": Decimal(c["self_pay_fen"]) / 100}
         for c in claims]
    ).with_columns(pl.col("total_cost", "own_share", "self_pay_cost").cast(pl.Decimal(18, 2)),
                   pl.col("los_days").cast(pl.Int32), pl.col("discharge_mode").cast(pl.Int8))  # fmt: skip


def _settled(region: dict, claims: list[dict] | None = None):
    with tempfile.TemporaryDirectory() as folder:
        policy = load_policy(_write(region, Path(folder)))
        institutions = pl.read_csv(Path(folder) / "institutions.csv")
        cases = prepare_cases(_frame(claims or region["claims"]), institutions, 2025)
        return settle(cases, policy), policy


def _tables(region: dict) -> ref.Tables:
    return ref.Tables(
        base=GROUPS, mean_cost_all=6400.0, bed_day=BED_DAY, special=region["special"],
        coefficients={(i, "BB13"): region["table_coefficient"] for i, _ in region["institutions"]},
        deductions=region["deductions"],
    )  # fmt: skip


def _has_points(region: dict) -> bool:
    return any(c["cost_fen"] for c in region["claims"])


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(regions())
def test_compiled_settlement_matches_the_reference(region: dict) -> None:
    result, policy = _settled(region)
    expected = ref.settle(region["claims"], region["institutions"], policy, _tables(region))
    unit = 10**policy.base_points.decimals
    cases = {row["claim_id"]: row for row in result.cases.iter_rows(named=True)}
    for claim_id, (name, units, readmitted) in expected["points"].items():
        got = cases[claim_id]
        assert (got["case_class"], int(got["points"] * unit), got["readmission"]) == (name, units, readmitted), claim_id
    region_row = result.region.row(0, named=True)
    assert region_row["pool_fen"] == expected["pool"]
    assert int(region_row["point_value"].scaleb(policy.point_value.decimals)) == expected["point_value_units"]
    for row in result.institutions.iter_rows(named=True):
        want = expected["institutions"][row["institution_id"]]
        assert {k: row[k] for k in want if k != "months"} == {k: v for k, v in want.items() if k != "months"}
    for row in result.months.iter_rows(named=True):
        want = expected["institutions"][row["institution_id"]]["months"][row["month"]]
        assert (row["gross_fen"], row["advance_fen"], row["deposit_fen"]) == (want["gross"], want["advance"],
                                                                              want["deposit"])  # fmt: skip


@SETTINGS
@given(regions())
def test_no_fen_is_created_or_lost(region: dict) -> None:
    result, _ = _settled(region)
    totals = result.region.row(0, named=True)
    institutions = result.institutions
    assert institutions["gross_fen"].sum() == totals["pool_fen"] == totals["fund_budget_fen"] + totals[
        "patient_share_fen"]  # fmt: skip
    kept = institutions["deposit_withheld_fen"] - institutions["deposit_returned_fen"]
    fund_out = institutions["prepaid_fen"] + institutions["balance_fen"] + institutions["deductions_fen"] + kept
    assert fund_out.sum() == totals["fund_budget_fen"]
    months = result.months.group_by("institution_id").agg(pl.col("advance_fen", "deposit_fen", "paid_fen").sum())
    joined = institutions.join(months, on="institution_id")
    assert (joined["prepaid_fen"] == joined["paid_fen"]).all()
    assert (joined["deposit_withheld_fen"] == joined["deposit_fen"]).all()


@SETTINGS
@given(regions(), st.randoms(use_true_random=False))
def test_reordering_claims_changes_nothing(region: dict, random) -> None:
    shuffled = list(region["claims"])
    random.shuffle(shuffled)
    first, _ = _settled(region)
    second, _ = _settled(region, shuffled)
    assert first.cases.sort("claim_id").equals(second.cases.sort("claim_id"))
    assert first.institutions.equals(second.institutions)
    assert first.months.equals(second.months)


@given(st.integers(0, 10**15), st.lists(st.integers(0, 10**13), min_size=1, max_size=30), st.data())
def test_more_points_never_pay_less(total: int, weights: list[int], data: st.DataObject) -> None:
    """At a fixed pool, raising one institution's points never lowers its share; the shares sum to the pool."""
    i = data.draw(st.integers(0, len(weights) - 1))
    more = list(weights)
    more[i] += data.draw(st.integers(1, 10**12))
    before, after = largest_remainder(total, weights), largest_remainder(total, more)
    assert sum(before) == sum(after) == total
    assert after[i] >= before[i]
    assert before == ref.split(total, weights)


STAY = {"person_key": PERSONS[0], "institution_id": "H0", "admission_date": date(2025, 5, 1),
        "discharge_date": date(2025, 5, 6), "los_days": 5, "discharge_mode": 1, "own_share_fen": 0,
        "self_pay_fen": 0, "group_status": "SUCCESS"}  # fmt: skip
"""An ordinary five-day stay at H0; examples add claim_id, cost_fen and drg."""


def _one_institution(claims: list[dict], **keys: object) -> dict:
    """A region of one tertiary hospital with plain policy keys, for hand-made examples."""
    return {
        "institutions": [("H0", "tertiary")], "claims": claims, "special": {}, "deductions": [],
        "fund_budget": "1000.00", "patient_share": ["own_share"], "monthly_weights": None, "coefficients": "none",
        "table_coefficient": 1.0, "low_ratio": 0.4, "mid_band_upper": None, "high_ratio_by": "base_points",
        "los_outside_max": None, "los_outside_min": None, "readmission_days": 15, "readmission_factor": 0.5,
        "same_institution": True, "excepted": [], "monthly_pv": "budget", "prepayment_ratio": 0.9,
        "deposit_ratio": 0, "returned_ratio": 1, "deduction_factor": 1, "ambiguous_ratio": 1, **keys,
    }  # fmt: skip


def test_low_ratio_points_are_capped_at_base_times_coefficient() -> None:
    """A branch random regions seldom reach: coefficient 0.35 below r = 0.38 ≤ low ratio 0.4."""
    claim = {**STAY, "claim_id": "C1", "cost_fen": 285_000, "drg": "BB13"}
    result, _ = _settled(_one_institution([claim], coefficients="table", table_coefficient=0.35))
    row = result.cases.row(0, named=True)
    assert (row["case_class"], row["ratio"], row["points"]) == ("low_ratio", 0.38, Decimal("52.5000"))


def test_stays_with_the_same_dates_are_taken_in_claim_id_order() -> None:
    """Two stays of one person in one group with the same dates: the lower claim id is the earlier stay."""
    stay = {**STAY, "cost_fen": 400_000, "drg": "AA11"}
    claims = [{**stay, "claim_id": "Z9"}, {**stay, "claim_id": "A1"}]
    region = _one_institution(claims)
    result, policy = _settled(region)
    assert dict(result.cases.select("claim_id", "readmission").rows()) == {"A1": True, "Z9": False}
    expected = ref.settle(claims, region["institutions"], policy, _tables(region))["points"]
    assert {k: v[2] for k, v in expected.items()} == {"A1": True, "Z9": False}
