"""The two grouping engines give the same groups: hypothesis records and synthetic years, demo and full tables."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import CHS_DRG_11, DEMO_RULESET
from tests.test_bulk_matches_reference import records
from yibao.grouping import Grouper, records_frame
from yibao.rules.records import GroupingRecord
from yibao.synth import GenerationParams, generate_case

BULK, RULES = Grouper.from_dir(DEMO_RULESET), Grouper.from_dir(DEMO_RULESET, engine="rules")
RESULTS = ["mdc", "adrg", "drg", "group_status"]


def _agree(bulk: Grouper, rules: Grouper, frame: pl.DataFrame) -> None:
    got_bulk = bulk.group_frame(frame).select(RESULTS)
    got_rules = rules.group_frame(frame).select(RESULTS)
    side_by_side = pl.concat([got_bulk, got_rules.rename(lambda c: c + "_rules")], how="horizontal")
    assert got_bulk.equals(got_rules), side_by_side.filter(pl.col("drg") != pl.col("drg_rules"))


edge = st.fixed_dictionaries(
    {
        "sex": st.sampled_from([1, 2, 3, None]),
        "age": st.sampled_from([0, 30, None]),
        "age_days": st.sampled_from([5, None]),
    }
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), min_size=1, max_size=30), st.lists(edge, max_size=5))
def test_engines_agree_on_generated_records(sample: list, broken: list[dict]) -> None:
    grouping = [
        GroupingRecord(sex=r.gender, age=r.age, age_days=r.age_days, birth_weight_g=r.birth_weight_g,
                       diagnoses=r.diagnoses, procedures=r.procedures)
        for r in sample
    ] + [GroupingRecord(**b, diagnoses=["P07.200"]) for b in broken]  # fmt: skip
    _agree(BULK, RULES, records_frame(grouping))


def _year(directory: Path, n: int, ruleset: Path) -> pl.DataFrame:
    case = generate_case(directory, n, seed=23, ruleset=ruleset, params=GenerationParams(outpatient_per_stay=0))
    return pl.read_parquet(case.inpatient_files)


@pytest.mark.slow
def test_engines_agree_on_200k_synthetic_claims(tmp_path: Path) -> None:
    claims = _year(tmp_path, 200_000, DEMO_RULESET)
    assert claims.height == 200_000
    _agree(BULK, RULES, claims)


@pytest.mark.skipif(not (CHS_DRG_11 / "mdc.csv").is_file(), reason=f"the CHS-DRG 1.1 tables are not at {CHS_DRG_11}")
def test_engines_agree_on_a_synthetic_year_with_the_full_tables(tmp_path: Path) -> None:
    claims = _year(tmp_path, 20_000, CHS_DRG_11)
    _agree(Grouper.from_dir(CHS_DRG_11), Grouper.from_dir(CHS_DRG_11, engine="rules"), claims)
