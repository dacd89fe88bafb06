"""The bulk validator and the Claim model accept exactly the same rows (canonical field values)."""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from yibao.io import load_claims
from yibao.models import Claim

POOLS: dict[str, list[object]] = {  # the first value of each pool makes a valid inpatient claim
    "institution_id": ["H001", "T002", None, ""],
    "visit_type": ["inpatient", "outpatient", "住院", "门诊", "ward", None],
    "admission_date": [
        "2025-03-01",
        "2025/03/02",
        "20250301",
        "2025-03-01 08:30:00",
        "2025-02-30",
        "2025-03-011",
        None,
    ],
    "discharge_date": ["2025-03-06", "2025-03-01", "20250306083000", "2025-02-27", "25-03-06", None],
    "los_days": ["5", "0", "1", "-1", "x", None],
    "sex": ["1", "2", "男", "女", "3", None],
    "age": ["54", "0", "1", "151", "-2", None],
    "age_days": [None, "0", "10", "40", "366"],
    "birth_weight_g": [None, "3150", "0", "-5"],
    "discharge_mode": ["1", "5", "9", "7", "死亡", None],
    "diagnoses": ["K80.000x004|I10.x05", "k80000X004", "|I10.x05", "ABC", "", None],
    "procedures": ["51.2300", "512300|96.0800x005", "51-23", "", None],
    "total_cost": ["18650.40", "18,650.40", "18650.4000", "100", "0", "-1", "1.005", "1e20", "abc", None],
    "class_a_cost": ["12000.00", "12,000", "50", "0", "１２", None],
    "class_b_cost": ["5000.40", "20", "0", None],
    "self_pay_cost": ["1650", "10", "0", None],
    "own_share": ["3100.00", "5", "0", "99999", None],
    "residence_county": ["330781", "", None],
    "referral": ["up", "down", "none", "下转", "sideways"],
    "signed_family_doctor": ["true", "false", "是", "否", "已签约", "maybe", "  "],
    "national_id": [None, "330781199001011234", "33078119900101123x", "330781900101123", "无", "3.30781199001012e+17"],
}

BASE = {name: pool[0] for name, pool in POOLS.items()}
# Mostly the valid base value, sometimes any value of the pool: both acceptance and rejection get exercised.
rows = st.lists(
    st.fixed_dictionaries({name: st.sampled_from([pool[0]] * 30 + pool) for name, pool in POOLS.items()}),
    min_size=1,
    max_size=40,
)


def _model_accepts(row: dict[str, object]) -> bool:
    """The model on the row as a file would give it: absent values left out, everything else as text."""
    given = {k: v for k, v in row.items() if v is not None}
    try:
        Claim(**given)
    except ValidationError:
        return False
    return True


def test_base_row_is_accepted_by_both() -> None:
    record = {"claim_id": "C0", "person_key": "0" * 20, **BASE}
    assert _model_accepts(record)
    assert load_claims(pl.DataFrame([record])).summary.accepted == 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows)
def test_bulk_and_model_accept_the_same_rows(sample: list[dict[str, object]]) -> None:
    records = [
        {"claim_id": f"C{i}", "person_key": None if row["national_id"] else f"{i:020x}", **row}
        for i, row in enumerate(sample)
    ]
    frame = pl.DataFrame(records, schema={name: pl.String for name in records[0]})
    load = load_claims(frame)
    bulk = set(load.accepted["claim_id"].to_list())
    model = {r["claim_id"] for r in records if _model_accepts(r)}
    assert bulk == model
    assert load.summary.read == len(records) == load.summary.accepted + load.summary.rejected
