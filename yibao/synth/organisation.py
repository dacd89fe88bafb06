"""The synthetic region: prefectures, counties, alliances (医共体) and institutions (定点医疗机构).

Codes are fictitious: province `90`, prefecture `90pp`, urban district (市辖区) `90pp02`, counties `90pp21`…
Each prefecture's tertiary hospitals sit in its urban district, outside any alliance. A one-county region leaves
that district outside the region: it is where the county's residents go for 县域外就医.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from yibao.models import Level, Region
from yibao.synth.params import GenerationParams
from yibao.synth.sampling import choice

PROVINCE = "90"
LEVELS: tuple[Level, ...] = tuple(Level)
INSTITUTION_COLUMNS = ("institution_id", "name", "level", "alliance_id", "county")
ALLIANCE_COLUMNS = ("alliance_id", "name", "county", "lead_institution_id")


@dataclass(frozen=True)
class Organisation:
    """Where care is given. Districts (county-level areas) are numbered: the region's counties first, then any
    district outside the region."""

    region: Region
    district_prefecture: np.ndarray
    alliances: pl.DataFrame
    institutions: pl.DataFrame
    institution_district: np.ndarray
    institution_level: np.ndarray
    """Index into LEVELS of each institution."""
    institution_size: np.ndarray
    """Relative attraction of each institution within its level."""

    @property
    def counties(self) -> tuple[str, ...]:
        """The region's counties: the districts where the insured residents live."""
        return tuple(self.region.counties)

    def institutions_by_level(self) -> dict[Level, int]:
        """Number of institutions of each level."""
        counts = np.bincount(self.institution_level, minlength=len(LEVELS))
        return {level: int(n) for level, n in zip(LEVELS, counts, strict=True)}


class _Builder:
    """Collects institution and alliance rows while the region is laid out."""

    def __init__(self, params: GenerationParams, rng: np.random.Generator) -> None:
        self.params, self.rng = params, rng
        self.institutions: list[dict[str, str | None]] = []
        self.alliances: list[dict[str, str]] = []
        self.district_prefecture: list[int] = []
        self._seq: dict[str, int] = {}

    def institution(self, county: str, name: str, level: Level, alliance_id: str | None = None) -> str:
        self._seq[county] = self._seq.get(county, 0) + 1
        institution_id = f"H{county}{self._seq[county]:05d}"
        row = {"institution_id": institution_id, "name": name, "level": level.value}
        self.institutions.append(row | {"alliance_id": alliance_id, "county": county})
        return institution_id

    def between(self, bounds: tuple[int, int]) -> int:
        return int(self.rng.integers(bounds[0], bounds[1] + 1))

    def county(self, code: str, name: str, tertiary_leads: bool) -> None:
        """A county's alliances (lead hospital, township centres, village clinics) and its private hospital."""
        p = self.params
        sizes = np.array(list(p.alliances_per_county.keys()))
        n_alliances = int(sizes[choice(self.rng, np.array(list(p.alliances_per_county.values())), 1)[0]])
        alliance_ids = [f"YGT{code}{k + 1:02d}" for k in range(n_alliances)]
        for k, alliance_id in enumerate(alliance_ids):
            tertiary = tertiary_leads and self.rng.random() < p.tertiary_lead_share
            level = Level.TERTIARY if tertiary else Level.SECONDARY
            lead = self.institution(code, f"{name}第{k + 1}人民医院", level, alliance_id)
            self.alliances.append(
                {
                    "alliance_id": alliance_id,
                    "name": f"{name}第{k + 1}医共体",
                    "county": code,
                    "lead_institution_id": lead,
                }
            )
        for t in range(self.between(p.townships_per_county)):
            alliance_id = alliance_ids[t % n_alliances]
            township = f"{name}第{t + 1}乡镇卫生院"
            self.institution(code, township, Level.TOWNSHIP, alliance_id)
            for v in range(self.between(p.villages_per_township)):
                self.institution(code, f"{township}第{v + 1}村卫生室", Level.VILLAGE, alliance_id)
        if self.rng.random() < p.private_hospital_share:
            level = Level.SECONDARY if self.rng.random() < p.private_secondary_share else Level.PRIMARY
            self.institution(code, f"{name}民营医院", level)

    def tertiary(self, district: str, prefecture_name: str) -> None:
        """The prefecture's tertiary hospitals, outside any alliance."""
        for k in range(self.between(self.params.tertiary_per_prefecture)):
            self.institution(district, f"{prefecture_name}第{k + 1}人民医院", Level.TERTIARY)


def build_organisation(n_claims: int, params: GenerationParams, rng: np.random.Generator) -> Organisation:
    """Lay out a region sized for `n_claims` inpatient stays a year."""
    n_counties = max(1, round(n_claims / params.claims_per_county))
    n_prefectures = math.ceil(n_counties / params.counties_per_prefecture)
    builder = _Builder(params, rng)
    counties: list[str] = []
    names: dict[str, str] = {}
    outside: list[str] = []
    for p, members in enumerate(np.array_split(np.arange(n_counties), n_prefectures)):
        prefix, prefecture = f"{PROVINCE}{p + 1:02d}", f"合成{p + 1}市"
        urban = f"{prefix}02"
        names[prefix] = prefecture
        codes = [f"{prefix}{21 + k:02d}" for k in range(len(members))]
        if n_counties > 1:
            codes[0] = urban
        for code in codes:
            names[code] = f"{prefecture}市辖区" if code == urban else f"{prefecture}第{int(code[-2:]) - 20}县"
            builder.county(code, names[code], tertiary_leads=n_counties > 1)
            builder.district_prefecture.append(p)
        counties.extend(codes)
        if n_counties == 1:
            outside.append(urban)
        builder.tertiary(urban, prefecture)
    builder.district_prefecture.extend([0] * len(outside))
    if n_counties == 1:
        region = Region(region_id=counties[0], name=names[counties[0]], counties=counties)
    elif n_prefectures == 1:
        region = Region(region_id=f"{PROVINCE}0100", name=names[f"{PROVINCE}01"], counties=counties)
    else:
        region = Region(region_id=f"{PROVINCE}0000", name="合成省", counties=counties)
    institutions = pl.DataFrame(builder.institutions, schema=dict.fromkeys(INSTITUTION_COLUMNS, pl.String))
    district_index = {code: i for i, code in enumerate((*counties, *outside))}
    level_index = {level.value: i for i, level in enumerate(LEVELS)}
    return Organisation(
        region=region,
        district_prefecture=np.array(builder.district_prefecture),
        alliances=pl.DataFrame(builder.alliances, schema=dict.fromkeys(ALLIANCE_COLUMNS, pl.String)),
        institutions=institutions,
        institution_district=np.array([district_index[c] for c in institutions["county"]]),
        institution_level=np.array([level_index[v] for v in institutions["level"]]),
        institution_size=rng.lognormal(0.0, params.institution_size_sigma, institutions.height),
    )
