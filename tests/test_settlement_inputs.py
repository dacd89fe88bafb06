"""Settlement inputs: bad files name the file, row and field; stays that cannot be settled are set aside and
counted; policies are checked key by key; the `yibao settle` command."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from yibao.cli import app
from yibao.errors import InputError
from yibao.settlement import load_policy, settle
from yibao.settlement.case_dir import load_case
from yibao.settlement.money import fen_to_yuan, half_up_div, largest_remainder, yuan_to_fen

CASES = Path(__file__).resolve().parents[1] / "settlement_cases"


@pytest.fixture
def case(tmp_path: Path) -> Path:
    """A writable copy of the all-classes case."""
    return Path(shutil.copytree(CASES / "case-classes", tmp_path / "case"))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_policy_errors_name_the_key(case: Path) -> None:
    _edit(case / "policy.toml", "low_ratio = 0.4", "low_ratio = -1")
    with pytest.raises(InputError, match=r"policy.toml, field case_classes.low_ratio: Input should be greater than 0"):
        load_policy(case / "policy.toml")


def test_unknown_policy_keys_are_refused(case: Path) -> None:
    _edit(case / "policy.toml", "low_ratio = 0.4", "low_ratio = 0.4\nlow_ratoi = 0.5")
    with pytest.raises(InputError, match=r"field case_classes.low_ratoi: Extra inputs are not permitted"):
        load_policy(case / "policy.toml")


def test_a_policy_needs_one_base_point_source(case: Path) -> None:
    _edit(
        case / "policy.toml", 'table = "base_points.csv"', 'table = "base_points.csv"\nhistory = [{ file = "x.csv" }]'
    )
    with pytest.raises(InputError, match="either history"):
        load_policy(case / "policy.toml")


def test_unreadable_claim_values_name_row_and_field(case: Path) -> None:
    _edit(case / "claims.csv", "2025-03-11,9,1,16800.00", "2025-03-11,9,1,16800.x0")
    with pytest.raises(InputError, match=r"claims.csv, row 1, field total_cost"):
        load_case(case)


def test_a_ragged_claims_file_is_one_clear_error(case: Path) -> None:
    _edit(case / "claims.csv", "2025-03-11,9,1,16800.00", "2025-03-11,9,1,16,800.00")
    with pytest.raises(InputError, match=r"claims.csv: not a well-formed CSV file"):
        load_case(case)


def test_table_errors_name_row_and_field(case: Path) -> None:
    special = case / "special.csv"
    special.write_text(special.read_text(encoding="utf-8") + "NOPE,12.5\n", encoding="utf-8")
    policy, cases = load_case(case)
    rows = len(special.read_text(encoding="utf-8").splitlines()) - 1
    with pytest.raises(InputError, match=rf"special.csv, row {rows}, field claim_id: claim id is not among"):
        settle(cases, policy)


def test_unknown_institution_level_is_an_error(case: Path) -> None:
    _edit(case / "institutions.csv", "三级", "特级")
    with pytest.raises(InputError, match=r"institutions.csv, row 1, field level: unknown level '特级'"):
        load_case(case)


def test_stays_that_cannot_be_settled_are_set_aside_and_counted(case: Path) -> None:
    claims = pl.read_csv(case / "claims.csv", infer_schema=False)
    extra = claims.head(3).with_columns(
        claim_id=pl.Series(["X1", "X2", "X3"]),
        institution_id=pl.Series(["H1", "NOWHERE", "H1"]),
        discharge_date=pl.Series(["2024-12-31", "2025-03-11", "2025-03-11"]),
    )
    duplicate = claims.head(1)
    pl.concat([claims, extra, duplicate]).write_csv(case / "claims.csv")
    policy, cases = load_case(case)
    reasons = cases.excluded.select("claim_id", "reason").rows()
    assert next(r for c, r in reasons if c == "X1").endswith("discharged outside 2025")
    assert next(r for c, r in reasons if c == "X2").endswith("institution not in the institutions table")
    assert [r for c, r in reasons if c == "C01"] == ["清单流水号重复 duplicate claim id"] * 2
    assert cases.read == claims.height + 4 == len(cases) + cases.excluded.height
    result = settle(cases, policy)
    assert result.region["excluded"].item() == cases.excluded.height


def test_money_helpers_round_half_up_and_split_exactly() -> None:
    assert [half_up_div(n, 10) for n in (14, 15, -15, 25)] == [1, 2, -2, 3]
    assert yuan_to_fen("11142272.00") == 1_114_227_200 and str(fen_to_yuan(-12661)) == "-126.61"
    with pytest.raises(ValueError, match="more than two decimals"):
        yuan_to_fen("1.005")
    assert largest_remainder(10, [1, 1, 1]) == [4, 3, 3]
    assert largest_remainder(-10, [1, 1, 1]) == [-4, -3, -3]
    assert largest_remainder(7, [0, 0]) == [4, 3]


def test_settle_command_writes_every_table(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["settle", str(CASES / "hospital-report"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "64.0000" in result.output
    assert {p.stem for p in out.glob("*.csv")} == {"cases", "institutions", "months", "region", "excluded",
                                                    "base_points"}  # fmt: skip
    sheets = pl.read_excel(out / "settlement.xlsx", sheet_id=0)
    assert list(sheets) == ["统筹区汇总", "机构年度清算", "月度预结算", "病例点数", "未结算病例", "基准点数"]
    h1 = sheets["机构年度清算"].row(0, named=True)
    assert (h1["定点医疗机构代码"], h1["机构级别"], h1["应付总额(元)"]) == ("H1", "三级", 11142272.0)
    assert sheets["病例点数"]["病例类型"].unique().to_list() == ["正常病例"]
    institutions = pl.read_csv(out / "institutions.csv")
    assert institutions["gross_fen"].sum() == pl.read_csv(out / "region.csv")["pool_fen"][0]
    assert institutions.filter(pl.col("institution_id") == "H1")["gross_fen"].item() == 1_114_227_200  # 11,142,272 元


def test_settle_command_errors_are_one_sentence(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["settle", str(tmp_path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "policy.toml: no such policy file" in result.output
