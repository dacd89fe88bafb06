"""The compiled bulk grouper reproduces the reference grouper's results on every oracle record."""

from __future__ import annotations

import polars as pl
import pytest

from tests.conftest import CHS_DRG_11, DEMO_RULESET
from yibao.rules.bulk import group_frame
from yibao.rules.compiled import compiled
from yibao.rules.load import load_ruleset

ORACLE = CHS_DRG_11 / "oracle_dev.csv"
needs_oracle = pytest.mark.skipif(not ORACLE.is_file(), reason=f"the CHS-DRG 1.1 tables are not at {CHS_DRG_11}")


def _codes(column: str) -> pl.Expr:
    given = pl.col(column).fill_null("") != ""
    return pl.when(given).then(pl.col(column).str.split("|")).otherwise(pl.lit([], pl.List(pl.String))).alias(column)


def oracle_records() -> pl.DataFrame:
    """oracle_dev.csv as grouping input (its expected results kept alongside)."""
    oracle = pl.read_csv(ORACLE, infer_schema=False)
    return oracle.with_columns(
        sex=pl.col("gender").cast(pl.Int64, strict=False),
        age=pl.col("age").cast(pl.Int64, strict=False),
        age_days=pl.col("age_days").cast(pl.Int64, strict=False),
        birth_weight_g=pl.col("birth_weight_g").cast(pl.Int64, strict=False),
    ).with_columns(_codes("diagnoses"), _codes("procedures"))


@needs_oracle
def test_bulk_grouper_reproduces_the_oracle() -> None:
    records = oracle_records()
    grouped = group_frame(records, compiled(load_ruleset(CHS_DRG_11)))
    expected = records.select("id", "mdc", "adrg", "drg", "status")
    got = grouped.select("id", "mdc", "adrg", "drg", pl.col("group_status").alias("status"))
    assert records.height == 5000
    assert expected.equals(got), expected.join(got, on="id", suffix="_got").filter(pl.col("drg") != pl.col("drg_got"))
    assert set(got["status"]) == {"SUCCESS", "FAIL", "CHECK_FAILED"}


def test_demo_ruleset_groups_hand_made_cases() -> None:
    """Newborn weight bands (PS1 < 1500 g, PS4 >= 2500 g), a delivery (Z37.000 → MDCO/OR1), the check, no group."""
    rules = compiled(load_ruleset(DEMO_RULESET))
    frame = pl.DataFrame(
        {
            "sex": [1, 1, 2, 3, 1],
            "age": [0, 0, 30, 40, 50],
            "age_days": [3, 3, None, None, None],
            "birth_weight_g": [1000, 2900, None, None, None],
            "diagnoses": [["P07.200"], ["P07.200"], ["Z37.000"], ["I10.x00"], ["Z99.999"]],
            "procedures": [[], [], [], [], []],
        },
        schema_overrides={"procedures": pl.List(pl.String)},
    )
    grouped = group_frame(frame, rules).select("mdc", "adrg", "drg", "group_status").rows()
    assert grouped == [
        ("MDCP", "PS1", "PS15", "SUCCESS"),
        ("MDCP", "PS4", "PS45", "SUCCESS"),
        ("MDCO", "OR1", "OR19", "SUCCESS"),
        ("0000", "00", "0000", "CHECK_FAILED"),
        ("0000", "00", "0000", "FAIL"),
    ]


@needs_oracle
def test_group_command_on_the_reference_csv_as_it_is(tmp_path) -> None:
    from typer.testing import CliRunner

    from yibao.cli import app

    out = tmp_path / "grouped.csv"
    result = CliRunner().invoke(app, ["group", str(ORACLE), "--ruleset", str(CHS_DRG_11), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "5,000 claims grouped" in result.output
    written = pl.read_csv(out, infer_schema=False)
    expected = pl.read_csv(ORACLE, infer_schema=False)
    assert written.columns == [*expected.columns, "group_status"]
    assert written["drg"].to_list() == expected["drg"].to_list()
    assert written["group_status"].to_list() == expected["status"].to_list()


def test_grouper_facade_groups_claims_and_frames(claim_row: dict[str, object]) -> None:
    from yibao.grouping import Grouper
    from yibao.models import Claim, to_frame

    claim = Claim(**{**claim_row, "diagnoses": "K80.001|I10.x05", "procedures": "51.2200"})
    grouper = Grouper.from_dir(DEMO_RULESET)
    result = grouper.group(claim)
    assert (result.mdc, result.adrg, result.drg, result.status) == ("MDCH", "HC2", "HC29", "SUCCESS")
    frame = grouper.group_frame(to_frame([claim]))
    assert frame.select("mdc", "adrg", "drg", "group_status").row(0) == ("MDCH", "HC2", "HC29", "SUCCESS")


def test_null_code_parts_do_not_shift_other_records() -> None:
    """A null inside one record's code list is an unknown code there, and leaves the next record's codes alone."""
    rules = compiled(load_ruleset(DEMO_RULESET))
    frame = pl.DataFrame(
        {
            "sex": [1, 2],
            "age": [54, 30],
            "age_days": [None, None],
            "birth_weight_g": [None, None],
            "diagnoses": [["K80.001", None], ["Z37.000"]],
            "procedures": [[None, "51.2200"], []],
        },
        schema_overrides={"age_days": pl.Int64, "birth_weight_g": pl.Int64},
    )
    grouped = group_frame(frame, rules).select("drg", "group_status").rows()
    # The null principal procedure is unknown, so the first stay takes MDCH's medical ADRG HU1 (no CC: HU15), not
    # the cholecystectomy HC2; the delivery groups as it does alone.
    assert grouped == [("HU15", "SUCCESS"), ("OR19", "SUCCESS")]
    assert group_frame(frame.tail(1), rules).select("drg", "group_status").rows() == [("OR19", "SUCCESS")]


@needs_oracle
def test_group_file_in_batches_matches_the_frame(tmp_path) -> None:
    """`Grouper.group_file` streams a file of many row groups batch by batch: the same rows, in order, as grouping
    the whole frame in memory, and the counts by status of what it wrote; a file can be grouped in place."""
    from yibao.grouping import Grouper

    records = oracle_records().drop("gender")  # `sex` replaces it
    source, target = tmp_path / "records.parquet", tmp_path / "grouped.parquet"
    records.write_parquet(source, row_group_size=700)
    grouper = Grouper.from_dir(CHS_DRG_11)
    counts = grouper.group_file(source, target)
    written = pl.read_parquet(target)
    assert written.equals(grouper.group_frame(records))
    assert counts == dict(written["group_status"].value_counts().iter_rows())
    assert grouper.group_file(target, target) == counts and pl.read_parquet(target).equals(written)
    assert sorted(f.name for f in tmp_path.iterdir()) == ["grouped.parquet", "records.parquet"]  # no partial file left
