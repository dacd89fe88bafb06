"""The Claim model: accepted and rejected examples, and personal IDs that never survive validation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from yibao.identity import PERSON_KEY_ENV, PersonKeyMissingError, person_key
from yibao.models import Claim, Institution, Level, Referral, Sex, VisitType

GOOD_VARIANTS: list[tuple[str, dict[str, object], dict[str, object]]] = [
    ("as is", {}, {"los_days": 5, "total_cost": Decimal("18650.40"), "referral": Referral.NONE}),
    (
        "Chinese enum labels",
        {"visit_type": "住院", "sex": "女", "discharge_mode": "死亡", "referral": "下转"},
        {"visit_type": VisitType.INPATIENT, "sex": Sex.FEMALE, "discharge_mode": 5, "referral": Referral.DOWN},
    ),
    ("same-day stay counts one day", {"discharge_date": "2025-03-01", "los_days": 1}, {"los_days": 1}),
    ("newborn with weight", {"age": 0, "age_days": 3, "birth_weight_g": 3150}, {"birth_weight_g": 3150}),
    ("infant over 28 days needs no weight", {"age": 0, "age_days": 40}, {"age_days": 40, "birth_weight_g": None}),
    (
        "outpatient visit",
        {"visit_type": "门诊", "discharge_date": None, "los_days": 0, "discharge_mode": None},
        {"visit_type": VisitType.OUTPATIENT, "discharge_mode": None},
    ),
    (
        "codes normalised",
        {"diagnoses": ["ｋ80000X004", "i10.x05"], "procedures": "512300"},
        {"diagnoses": ["K80.000x004", "I10.x05"], "procedures": ["51.2300"]},
    ),
    ("no procedures", {"procedures": []}, {"procedures": []}),
    (
        "export formats",
        {"admission_date": "2025/03/01 08:30:00", "discharge_date": "20250306", "total_cost": "18,650.4000"},
        {"admission_date": date(2025, 3, 1), "discharge_date": date(2025, 3, 6), "total_cost": Decimal("18650.40")},
    ),
    ("signed as 是", {"signed_family_doctor": "是"}, {"signed_family_doctor": True}),
    (
        "components equal the total",
        {"class_a_cost": "15000.40", "class_b_cost": "2000", "self_pay_cost": "1650"},
        {"class_a_cost": Decimal("15000.40")},
    ),
]

BAD_VARIANTS: list[tuple[str, dict[str, object], str]] = [
    ("discharge before admission", {"discharge_date": "2025-02-27"}, "discharge date before admission"),
    ("LOS mismatch", {"los_days": 4}, "length of stay does not match"),
    ("same-day stay with LOS 0", {"discharge_date": "2025-03-01", "los_days": 0}, "length of stay"),
    ("inpatient without discharge date", {"discharge_date": None}, "without a discharge date"),
    ("inpatient without discharge mode", {"discharge_mode": None}, "without a discharge mode"),
    ("negative cost", {"total_cost": "-1.00"}, "greater than or equal to 0"),
    ("three decimals", {"total_cost": "18650.405"}, "more than 2 decimals"),
    ("components over total", {"self_pay_cost": "9999.00"}, "exceed the total cost"),
    ("own share over eligible", {"own_share": "20000.00"}, "own share exceeds"),
    ("age 0 without days", {"age": 0}, "age in days"),
    ("newborn without weight", {"age": 0, "age_days": 10}, "need a birth weight"),
    ("no diagnosis", {"diagnoses": []}, "at least 1 item"),
    ("missing principal diagnosis", {"diagnoses": "|I10.x05"}, "principal code missing"),
    ("bad diagnosis code", {"diagnoses": "K80.000x004|ABC"}, "diagnosis code"),
    ("bad procedure code", {"procedures": "51-23"}, "procedure code"),
    ("unknown sex", {"sex": 3}, "sex"),
    ("unknown discharge mode", {"discharge_mode": 7}, "discharge_mode"),
    ("age over 150", {"age": 151}, "less than or equal to 150"),
    ("unknown field", {"ward": "3A"}, "Extra inputs"),
    ("date with trailing text", {"admission_date": "2025-03-011"}, "not a date"),
    ("raw ID as person key", {"person_key": "330781199001011234"}, "should match pattern"),
    ("malformed national ID", {"person_key": None, "national_id": "无"}, "national ID malformed"),
    ("amount too large", {"total_cost": "123456789012345.00"}, "max_digits|digits"),
]


@pytest.mark.parametrize(("name", "change", "expected"), GOOD_VARIANTS, ids=[v[0] for v in GOOD_VARIANTS])
def test_accepts(
    claim_row: dict[str, object], name: str, change: dict[str, object], expected: dict[str, object]
) -> None:
    claim = Claim(**{**claim_row, **change})
    assert {field: getattr(claim, field) for field in expected} == expected


@pytest.mark.parametrize(("name", "change", "message"), BAD_VARIANTS, ids=[v[0] for v in BAD_VARIANTS])
def test_rejects(claim_row: dict[str, object], name: str, change: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Claim(**{**claim_row, **change})


def test_enum_values_and_codes(claim_row: dict[str, object]) -> None:
    claim = Claim(**{**claim_row, "sex": "女", "visit_type": "住院", "diagnoses": "ｋ80000X004"})
    assert claim.sex is Sex.FEMALE and claim.visit_type is VisitType.INPATIENT
    assert claim.principal_diagnosis == "K80.000x004"


def test_national_id_becomes_a_key_and_never_shows(claim_row: dict[str, object]) -> None:
    national_id, name = "330781199001011234", "张三"
    row = {k: v for k, v in claim_row.items() if k != "person_key"}
    claim = Claim(**row, national_id=national_id, patient_name=name)
    assert claim.person_key == person_key(national_id) and len(claim.person_key) == 20
    dumped = repr(claim) + claim.model_dump_json()
    assert national_id not in dumped and name not in dumped
    with pytest.raises(ValidationError) as error:
        Claim(**{**row, "los_days": 9}, national_id=national_id, patient_name=name)
    assert national_id not in str(error.value) and name not in str(error.value)


def test_person_key_is_keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    first = person_key("330781199001011234")
    monkeypatch.setenv(PERSON_KEY_ENV, "another-key")
    assert person_key("330781199001011234") != first
    assert person_key(" ３３０７８１１９９００１０１１２３４ ") == person_key("330781199001011234")
    monkeypatch.delenv(PERSON_KEY_ENV)
    with pytest.raises(PersonKeyMissingError, match=PERSON_KEY_ENV):
        person_key("330781199001011234")


def test_institution_levels() -> None:
    township = Institution(institution_id="T1", name="城关镇卫生院", level="乡镇卫生院", county="330781")
    assert township.level is Level.TOWNSHIP and township.alliance_id is None
    with pytest.raises(ValidationError):
        Institution(institution_id="T1", name="x", level="四级", county="330781")
