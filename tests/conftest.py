"""Shared fixtures: a hashing key for person IDs, the ruleset folders available to tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("YIBAO_PERSON_KEY", "yibao-test-key")

REPO = Path(__file__).resolve().parents[1]
DEMO_RULESET = REPO / "rulesets" / "demo"
CHS_DRG_11 = REPO.parent / "shared" / "rulesets" / "chs-drg-1.1"


def ruleset_dirs() -> list[Path]:
    """The demo ruleset, and the full CHS-DRG 1.1 tables where they sit beside the checkout (as in CI)."""
    return [d for d in (DEMO_RULESET, CHS_DRG_11) if (d / "mdc.csv").is_file()]


@pytest.fixture
def claim_row() -> dict[str, object]:
    """A valid inpatient claim as the canonical fields of `Claim`."""
    return {
        "claim_id": "C0001",
        "person_key": "0123456789abcdef0123",
        "institution_id": "H330781001",
        "visit_type": "inpatient",
        "admission_date": "2025-03-01",
        "discharge_date": "2025-03-06",
        "los_days": 5,
        "sex": 1,
        "age": 54,
        "discharge_mode": 1,
        "diagnoses": "K80.000x004|I10.x05",
        "procedures": "51.2300",
        "total_cost": "18650.40",
        "class_a_cost": "12000.00",
        "class_b_cost": "5000.40",
        "self_pay_cost": "1650.00",
        "own_share": "3100.00",
        "residence_county": "330781",
    }
