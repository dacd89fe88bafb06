"""Institutions, alliances and pooling regions (定点医疗机构, 医共体, 统筹区)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from yibao.models.enums import Level


class Institution(BaseModel):
    """定点医疗机构: one hospital, township health centre or village clinic."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    institution_id: str = Field(min_length=1, max_length=32, description="定点医疗机构代码")
    name: str = Field(min_length=1, description="机构名称")
    level: Level = Field(description="机构级别")
    alliance_id: str | None = Field(None, description="所属医共体; none for an institution settling directly")
    county: str = Field(min_length=1, max_length=12, description="所在县区代码")


class Alliance(BaseModel):
    """紧密型县域医共体: a lead county hospital (牵头医院) with its member institutions, under one agreement."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    alliance_id: str = Field(min_length=1, max_length=32, description="医共体编码")
    name: str = Field(min_length=1, description="医共体名称")
    county: str = Field(min_length=1, max_length=12, description="所在县区代码")
    lead_institution_id: str = Field(min_length=1, description="牵头医院")


class Region(BaseModel):
    """统筹区: a county or prefecture whose fund is settled as one budget."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    region_id: str = Field(min_length=1, max_length=12, description="统筹区编码")
    name: str = Field(min_length=1, description="统筹区名称")
    counties: list[str] = Field(min_length=1, description="所辖县区代码")
