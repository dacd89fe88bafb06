"""Pydantic models: claims, institutions, alliances, regions."""

from yibao.models.claim import Claim
from yibao.models.enums import DischargeMode, Level, Referral, Sex, VisitType
from yibao.models.organisation import Alliance, Institution, Region
from yibao.models.schema import polars_schema, to_frame

__all__ = [
    "Alliance",
    "Claim",
    "DischargeMode",
    "Institution",
    "Level",
    "Referral",
    "Region",
    "Sex",
    "VisitType",
    "polars_schema",
    "to_frame",
]
