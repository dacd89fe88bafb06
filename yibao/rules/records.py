"""What a grouper takes and gives: one record's grouping fields, and its group with the trail that explains it."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class GroupStatus(StrEnum):
    """分组状态: grouped, not grouped, or refused by the input check (FORMAT.md, step 1)."""

    SUCCESS = "SUCCESS"
    FAIL = "FAIL"
    CHECK_FAILED = "CHECK_FAILED"


UNGROUPED = ("0000", "00", "0000")
"""(mdc, adrg, drg) of a record that does not group or fails the check."""


class GroupingRecord(BaseModel):
    """The fields of one stay that grouping reads, as given: the check decides what is usable (FORMAT.md)."""

    model_config = ConfigDict(frozen=True)

    sex: int | None = Field(None, description="性别: 1 男, 2 女; anything else fails the check")
    age: int | None = Field(None, description="年龄 (岁)")
    age_days: int | None = Field(None, description="年龄(天), required when age is 0")
    birth_weight_g: int | None = Field(None, description="新生儿出生体重 (克); 0 counts as no weight")
    los_days: int | None = Field(None, description="实际住院天数 (carried, unused by CHS-DRG 1.1)")
    discharge_mode: int | None = Field(None, description="离院方式 (carried, unused by CHS-DRG 1.1)")
    diagnoses: list[str] = Field(default_factory=list, description="诊断编码, principal first")
    procedures: list[str] = Field(default_factory=list, description="手术及操作编码, principal first")


class TrailStep(BaseModel):
    """One step of a grouping explanation: what was decided and why, in Chinese and English."""

    model_config = ConfigDict(frozen=True)

    step: str = Field(description="check | mdc | adrg | drg | cc")
    zh: str
    en: str


class GroupResult(BaseModel):
    """分组结果: MDC, ADRG, DRG and status, with the trail of rules that produced them."""

    model_config = ConfigDict(frozen=True)

    mdc: str
    adrg: str
    drg: str
    status: GroupStatus
    trail: list[TrailStep] = Field(default_factory=list)
