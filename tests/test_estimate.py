"""`estimate` of one stay gives the figures the year's settlement gives that stay."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from yibao import Claim
from yibao.errors import InputError
from yibao.rules.records import GroupResult, GroupStatus
from yibao.settlement import CaseClass, Policy, settle
from yibao.settlement.case_dir import find_table, load_case
from yibao.settlement.cases import read_table
from yibao.settlement.estimate import estimate
from yibao.settlement.policy import load_policy

CASES = Path(__file__).resolve().parents[1] / "settlement_cases"
HOSPITAL_REPORT = CASES / "hospital-report"


def _claim(row: dict[str, str]) -> Claim:
    """A `Claim` from a case row; the fields settlement does not read get plain values."""
    total, self_pay = Decimal(row["total_cost"]), Decimal(row.get("self_pay_cost") or 0)
    return Claim(
        claim_id=row["claim_id"], person_key=row["person_key"], institution_id=row["institution_id"],
        visit_type="inpatient", admission_date=row["admission_date"], discharge_date=row["discharge_date"],
        los_days=row["los_days"], sex=1, age=50, discharge_mode=row["discharge_mode"], diagnoses="I10.x05",
        total_cost=total, class_a_cost=row.get("class_a_cost") or total - self_pay,
        class_b_cost=row.get("class_b_cost") or 0, self_pay_cost=self_pay, own_share=row["own_share"],
        residence_county=row.get("residence_county") or "330781",
    )  # fmt: skip


def _group(row: dict[str, str]) -> GroupResult | str:
    if "group_status" not in row:
        return row["drg"]
    return GroupResult(mdc="", adrg="", drg=row["drg"], status=GroupStatus(row["group_status"]))


def _unseen(policy: Policy) -> Policy:
    """The policy without what one stay cannot know at discharge: later readmissions, the panel's reviews."""
    return policy.updated({"readmission": {"days": None}, "case_classes": {"special_review_table": None}})


def _folders() -> list[Path]:
    return sorted(p.parent for p in CASES.glob("*/claims.csv"))


@pytest.mark.parametrize("folder", _folders(), ids=lambda p: p.name)
def test_each_stay_gets_the_points_the_year_gives_it(folder: Path) -> None:
    policy, cases = load_case(folder)
    policy = _unseen(policy)
    bulk = settle(cases, policy).cases
    rows = {r["claim_id"]: r for r in read_table(find_table(folder, "claims")).to_dicts()}
    institutions = find_table(folder, "institutions")
    compared = 0
    for expected in bulk.iter_rows(named=True):
        row = rows[expected["claim_id"]]
        got = estimate(_claim(row), policy, group=_group(row), institutions=institutions, point_value=50)
        assert (got.case_class.name.lower(), got.points, got.rule) == (
            expected["case_class"],
            expected["points"],
            expected["rule"],
        ), expected["claim_id"]
        assert (got.ratio, got.base_points, got.coefficient) == (
            expected["ratio"],
            expected["base_points"],
            expected["coefficient"],
        )
        compared += 1
    assert compared == len(cases) > 0


def test_at_the_years_point_value_the_stays_add_up_to_each_institutions_gross() -> None:
    policy, cases = load_case(HOSPITAL_REPORT)
    year = settle(cases, policy)
    value = year.region["point_value"].item()
    institutions = HOSPITAL_REPORT / "institutions.csv"
    claims = read_table(HOSPITAL_REPORT / "claims.csv").to_dicts()
    stays = [estimate(_claim(r), policy, group=r["drg"], institutions=institutions, point_value=value) for r in claims]
    by_institution = (
        pl.DataFrame({"institution_id": [r["institution_id"] for r in claims], "gross": [s.gross_fen for s in stays],
                      "share": [s.patient_share_fen for s in stays]})
        .group_by("institution_id").agg(pl.sum("gross", "share")).sort("institution_id")
    )  # fmt: skip
    expected = year.institutions.sort("institution_id")
    # H1's quota is whole fen (point value exact): its stays' worth is its gross to the fen; the others differ
    # only by the largest-remainder fen of the split.
    assert by_institution["gross"].to_list()[0] == expected["gross_fen"][0] == 1114227200
    assert (by_institution["gross"] - expected["gross_fen"]).abs().max() <= 1
    assert by_institution["share"].to_list() == expected["patient_share_fen"].to_list()
    k01 = stays[0]
    assert (k01.points, k01.point_value, k01.gross_fen) == (Decimal("52318.5000"), Decimal("64.0000"), 334838400)
    assert k01.fund_fen == 334838400 - 41036455


def test_the_policys_fixed_monthly_point_value_is_the_default() -> None:
    policy, cases = load_case(HOSPITAL_REPORT)
    row = read_table(HOSPITAL_REPORT / "claims.csv").to_dicts()[5]  # K06, H2's only January stay: 29687.9196 points
    with pytest.raises(ValueError, match="give point_value"):
        estimate(_claim(row), policy, group=row["drg"], institutions=HOSPITAL_REPORT / "institutions.csv")
    fixed = policy.updated({"point_value": {"monthly": "60.5"}})
    got = estimate(_claim(row), fixed, group=row["drg"], institutions=HOSPITAL_REPORT / "institutions.csv")
    assert (got.point_value, got.gross_fen) == (Decimal("60.5000"), 179611914)  # × 60.5 = 1796119.1358 元
    january = settle(cases, fixed).months.filter(institution_id="H2", month=1)
    assert january["gross_fen"].item() == got.gross_fen
    for wrong in ("sixty", "-1"):
        with pytest.raises(ValueError, match="point_value must be a non-negative number"):
            estimate(_claim(row), policy, group=row["drg"], institutions=HOSPITAL_REPORT / "institutions.csv",
                     point_value=wrong)  # fmt: skip


def test_an_ungrouped_stay_is_converted_from_its_cost() -> None:
    policy = load_policy(HOSPITAL_REPORT / "policy.toml")
    row = read_table(HOSPITAL_REPORT / "claims.csv").to_dicts()[0]  # 3419704.58 元 ÷ 6400 × 100
    failed = GroupResult(mdc="0000", adrg="00", drg="0000", status=GroupStatus.FAIL)
    got = estimate(_claim(row), policy, group=failed, institutions=HOSPITAL_REPORT / "institutions.csv", point_value=1)
    assert (got.case_class, got.points, got.ratio) == (CaseClass.UNGROUPED, Decimal("53432.8841"), None)


def test_a_stay_the_year_would_set_aside_is_refused_with_the_reason() -> None:
    policy = load_policy(HOSPITAL_REPORT / "policy.toml")
    row = read_table(HOSPITAL_REPORT / "claims.csv").to_dicts()[0]
    institutions = pl.DataFrame({"institution_id": ["H9"], "level": ["二级"]})
    with pytest.raises(InputError, match=r"claim K01: .*institution not in the institutions table"):
        estimate(_claim(row), policy, group=row["drg"], institutions=institutions, point_value=64)
    later = _claim({**row, "admission_date": "2026-01-02", "discharge_date": "2026-01-31"})
    with pytest.raises(InputError, match="discharged outside 2025"):
        estimate(later, policy, group=row["drg"], institutions=HOSPITAL_REPORT / "institutions.csv", point_value=64)


def test_a_special_review_is_left_to_the_panel() -> None:
    folder = CASES / "special-review"
    policy, cases = load_case(folder)
    reviewed = read_table(folder / "special.csv")["claim_id"].to_list()
    assert settle(cases, policy).cases.filter(pl.col("claim_id").is_in(reviewed))["case_class"].unique().to_list() == [
        "special_review"
    ]
    unseen = settle(cases, _unseen(policy)).cases
    for row in read_table(folder / "claims.csv").filter(pl.col("claim_id").is_in(reviewed)).to_dicts():
        got = estimate(_claim(row), policy, group=_group(row), institutions=folder / "institutions.csv", point_value=1)
        expected = unseen.filter(claim_id=row["claim_id"]).row(0, named=True)
        assert got.case_class != CaseClass.SPECIAL_REVIEW
        assert (got.case_class.name.lower(), got.points) == (expected["case_class"], expected["points"])
