"""Closed vocabularies of the settlement list, each accepting its Chinese labels on input."""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Any, ClassVar


class _Labelled:
    """Mixin: members carry a Chinese label; input may use the label or any listed alias."""

    _aliases: ClassVar[dict[str, Any]] = {}

    @classmethod
    def aliases(cls) -> dict[str, Any]:
        """Every accepted spelling (value, Chinese label, alias) mapped to the canonical value."""
        table: dict[str, Any] = {}
        for member in cls:  # type: ignore[attr-defined]
            table[str(member.value)] = member.value
            table[member.label] = member.value
        table.update(cls._aliases)
        return table

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, str):
            canonical = cls.aliases().get(value.strip())
            if canonical is not None:
                return cls(canonical)  # type: ignore[call-arg]
        return None


class Sex(_Labelled, IntEnum):
    """性别 (GB/T 2261.1): 1 男, 2 女."""

    MALE = 1
    FEMALE = 2

    @property
    def label(self) -> str:
        return {1: "男", 2: "女"}[self.value]


class VisitType(_Labelled, StrEnum):
    """就诊类型: 住院 inpatient stay or 门诊 outpatient visit."""

    INPATIENT = "inpatient"
    OUTPATIENT = "outpatient"

    @property
    def label(self) -> str:
        return {"inpatient": "住院", "outpatient": "门诊"}[self.value]


VisitType._aliases = {"门急诊": "outpatient", "急诊": "outpatient"}


class DischargeMode(_Labelled, IntEnum):
    """离院方式: 1 医嘱离院, 2 医嘱转院, 3 医嘱转社区/乡镇卫生院, 4 非医嘱离院, 5 死亡, 9 其他."""

    ORDERED = 1
    TRANSFER = 2
    TO_COMMUNITY = 3
    AGAINST_ADVICE = 4
    DEATH = 5
    OTHER = 9

    @property
    def label(self) -> str:
        return {1: "医嘱离院", 2: "医嘱转院", 3: "医嘱转社区", 4: "非医嘱离院", 5: "死亡", 9: "其他"}[self.value]


class Referral(_Labelled, StrEnum):
    """转诊方向: 上转 up to a higher level, 下转 down to a lower level, or none."""

    UP = "up"
    DOWN = "down"
    NONE = "none"

    @property
    def label(self) -> str:
        return {"up": "上转", "down": "下转", "none": "无"}[self.value]


Referral._aliases = {"": "none", "否": "none", "0": "none"}


class Level(_Labelled, StrEnum):
    """机构级别: 三级, 二级, 一级, 基层 (乡镇卫生院/社区卫生服务中心), 村卫生室."""

    TERTIARY = "tertiary"
    SECONDARY = "secondary"
    PRIMARY = "primary"
    TOWNSHIP = "township"
    VILLAGE = "village"

    @property
    def label(self) -> str:
        return {
            "tertiary": "三级",
            "secondary": "二级",
            "primary": "一级",
            "township": "基层",
            "village": "村卫生室",
        }[self.value]


Level._aliases = {"乡镇卫生院": "township", "社区卫生服务中心": "township", "村": "village"}
