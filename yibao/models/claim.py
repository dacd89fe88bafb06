"""The settlement-list record (医疗保障基金结算清单) of one inpatient stay or outpatient visit."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from yibao.identity import (
    NATIONAL_ID_MALFORMED,
    PERSON_KEY_PATTERN,
    is_national_id,
    normalise_national_id,
    person_key,
)
from yibao.models.checks import INFANT_MAX_AGE_DAYS, violations
from yibao.models.enums import DischargeMode, Referral, Sex, VisitType
from yibao.models.parse import parse_texts
from yibao.models.schema import field_specs, to_frame
from yibao.models.types import DiagnosisList, Money, ProcedureList

RAW_IDENTITY_FIELDS = ("national_id", "patient_name")
"""Input-only fields: the national ID (身份证号) becomes `person_key`; the name (姓名) is dropped."""


class Claim(BaseModel):
    """医保结算清单: one claim as the fund settles it. Costs are in 元 to the fen."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True, hide_input_in_errors=True)

    claim_id: str = Field(min_length=1, max_length=64, description="清单流水号 claim id, unique in a file")
    person_key: str = Field(pattern=PERSON_KEY_PATTERN, description="人员标识: keyed hash of the national ID")
    institution_id: str = Field(min_length=1, max_length=32, description="定点医疗机构代码 institution code")
    visit_type: VisitType = Field(description="就诊类型 住院/门诊")
    admission_date: date = Field(description="入院日期 (门诊: 就诊日期)")
    discharge_date: date | None = Field(None, description="出院日期; required for inpatient stays")
    los_days: int = Field(0, ge=0, le=3660, description="实际住院天数 (入出院同日计1天); 0 for outpatient visits")
    sex: Sex = Field(description="性别 1 男 2 女")
    age: int = Field(ge=0, le=150, description="年龄 (岁)")
    age_days: int | None = Field(None, ge=0, le=INFANT_MAX_AGE_DAYS, description="年龄(天), under one year")
    birth_weight_g: int | None = Field(None, ge=0, le=10000, description="新生儿出生体重 (克)")
    discharge_mode: DischargeMode | None = Field(None, description="离院方式; required for inpatient stays")
    diagnoses: DiagnosisList = Field(min_length=1, description="诊断编码, principal (主要诊断) first")
    procedures: ProcedureList = Field(default_factory=list, description="手术及操作编码, principal first")
    total_cost: Money = Field(description="医疗费总额 (元)")
    class_a_cost: Money = Field(description="甲类费用 (元), fund-eligible in full")
    class_b_cost: Money = Field(description="乙类费用 (元), fund-eligible after 先行自付")
    self_pay_cost: Money = Field(description="个人自费 (元): outside the fund's list")
    own_share: Money = Field(description="个人自付 (元): the patient's share of the eligible cost")
    residence_county: str = Field(min_length=1, max_length=12, description="参保地县区代码 residence county")
    referral: Referral = Field(Referral.NONE, description="转诊方向 上转/下转/无")
    signed_family_doctor: bool = Field(False, description="家庭医生签约 signed with a family-doctor team")

    @model_validator(mode="before")
    @classmethod
    def _from_input(cls, data: Any) -> Any:
        """Hash a raw national ID and drop the name before anything else sees them; parse text values with the
        bulk path's parsers, so that both paths read the same text the same way."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        national_id = normalise_national_id(str(data.pop("national_id", "") or ""))
        data.pop("patient_name", None)
        if national_id and not data.get("person_key"):
            if not is_national_id(national_id):
                raise ValueError(NATIONAL_ID_MALFORMED)
            data["person_key"] = person_key(national_id)
        texts = {k: v for k, v in data.items() if k in _PARSED and isinstance(v, str)}
        for name in texts:
            del data[name]
        return {**data, **parse_texts(texts, _PARSED)}

    @model_validator(mode="after")
    def _consistent(self) -> Claim:
        broken = violations(to_frame([self]))
        if broken:
            raise ValueError("; ".join(f"{check.field}: {check.reason}" for check in broken))
        return self

    @property
    def principal_diagnosis(self) -> str:
        """主要诊断."""
        return self.diagnoses[0]


_PARSED = {spec.name: spec for spec in field_specs(Claim) if spec.dtype != pl.String() and spec.code is None}
"""Fields whose text input goes through the shared parsers (everything but plain text and code lists)."""
