"""The compiled bulk grouper agrees with the plain-Python reference grouper (tests/test_demo_ruleset.py)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import DEMO_RULESET
from tests.test_demo_ruleset import Record, group, load
from yibao.rules.bulk import group_frame
from yibao.rules.compiled import compiled
from yibao.rules.load import load_ruleset
from yibao.synth import GenerationParams, generate_case

RULES = compiled(load_ruleset(DEMO_RULESET))
TABLES = load()
DIAGNOSES = sorted({code for (owner, name), codes in TABLES.lists.items() if name in ("mdc", "zd") for code in codes})
PROCEDURES = sorted({code for (owner, name), codes in TABLES.lists.items() if name.startswith("ss") for code in codes})
COMPLICATIONS = sorted(TABLES.complications)


def _frame(records: list[Record]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "sex": [r.gender for r in records],
            "age": [r.age for r in records],
            "age_days": [r.age_days for r in records],
            "birth_weight_g": [r.birth_weight_g for r in records],
            "diagnoses": [r.diagnoses for r in records],
            "procedures": [r.procedures for r in records],
        },
        schema_overrides={"age_days": pl.Int64, "birth_weight_g": pl.Int64, "procedures": pl.List(pl.String)},
    )


def _agree(records: list[Record]) -> None:
    got = group_frame(_frame(records), RULES).select("mdc", "adrg", "drg").rows()
    assert got == [group(r) for r in records]


@st.composite
def records(draw: st.DrawFn) -> Record:
    age = draw(st.sampled_from([0, 0, 1, 17, 30, 45, 70, 95]))
    newborn_days = draw(st.integers(0, 365))
    return Record(
        gender=draw(st.sampled_from([1, 2])),
        age=age,
        age_days=newborn_days if age == 0 else None,
        birth_weight_g=draw(st.sampled_from([0, 800, 1499, 1500, 2000, 2499, 2500, 3600])) if age == 0 else None,
        diagnoses=draw(st.lists(st.sampled_from(DIAGNOSES + COMPLICATIONS + ["Z99.999"]), min_size=1, max_size=7)),
        procedures=draw(st.lists(st.sampled_from([*PROCEDURES, "99.9999"]), max_size=4)),
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), min_size=1, max_size=50))
def test_bulk_matches_reference_on_generated_records(sample: list[Record]) -> None:
    _agree(sample)


def test_bulk_matches_reference_on_a_synthetic_year(tmp_path: Path) -> None:
    case = generate_case(
        tmp_path, 20_000, seed=11, ruleset=DEMO_RULESET, params=GenerationParams(outpatient_per_stay=0)
    )
    claims = pl.read_parquet(case.inpatient_files)
    sample = [
        Record(r["sex"], r["age"], r["diagnoses"], r["procedures"], r["age_days"], r["birth_weight_g"])
        for r in claims.iter_rows(named=True)
    ]
    _agree(sample)
    grouped = group_frame(claims, RULES)
    assert grouped.filter(pl.col("group_status") == "SUCCESS").height > 0.95 * claims.height
