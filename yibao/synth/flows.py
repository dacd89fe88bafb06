"""Where residents are treated (就医流向): for each county and kind of care, the institutions inside and outside it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from yibao.models import Level
from yibao.synth.organisation import LEVELS, Organisation
from yibao.synth.params import GenerationParams
from yibao.synth.sampling import Pools


class Care(IntEnum):
    """Kind of care, which sets how strongly each level attracts patients."""

    MEDICAL = 0
    SURGICAL = 1
    OUTPATIENT = 2


HOSPITAL_LEVELS = frozenset({LEVELS.index(Level.SECONDARY), LEVELS.index(Level.TERTIARY)})
TERTIARY = LEVELS.index(Level.TERTIARY)


@dataclass(frozen=True)
class CareFlows:
    """Weighted institution choices, one pool per (county, care) inside the county and one outside it.

    Outside the county only hospitals (secondary, tertiary) are chosen: those of the own prefecture, and the tertiary
    hospitals of other prefectures, damped by `other_prefecture_weight`.
    """

    inside: Pools
    outside: Pools

    @classmethod
    def build(cls, org: Organisation, params: GenerationParams) -> CareFlows:
        level_weights = [params.medical_level_weights, params.surgical_level_weights, params.outpatient_level_weights]
        by_level = np.array([[weights[level] for level in LEVELS] for weights in level_weights])
        n_counties, n_institutions = len(org.counties), len(org.institution_level)
        county = np.arange(n_counties)[:, None]
        home = org.institution_district[None, :] == county
        same_prefecture = org.district_prefecture[org.institution_district][None, :] == org.district_prefecture[county]
        hospital = np.isin(org.institution_level, list(HOSPITAL_LEVELS))[None, :]
        reach = np.where(same_prefecture, 1.0, params.other_prefecture_weight * (org.institution_level == TERTIARY))
        away = np.where(~home & hospital, reach, 0.0)
        groups = (county * len(Care) + np.arange(len(Care))[:, None, None]).transpose(1, 0, 2)
        groups = np.broadcast_to(groups, (n_counties, len(Care), n_institutions))
        attraction = by_level[:, org.institution_level] * org.institution_size  # (care, institution)
        values = np.broadcast_to(np.arange(n_institutions), groups.shape)
        inside = attraction[None, :, :] * home[:, None, :]
        outside = attraction[None, :, :] * away[:, None, :]
        return cls(
            inside=Pools.build(groups.ravel(), values.ravel(), inside.ravel()),
            outside=Pools.build(groups.ravel(), values.ravel(), outside.ravel()),
        )

    def institution(self, county: np.ndarray, care: np.ndarray, away: np.ndarray, u: np.ndarray) -> np.ndarray:
        """The institution index of each row: in its county, or outside it where `away`."""
        group = county * len(Care) + care
        chosen = np.empty(len(group), dtype=np.int64)
        chosen[away] = self.outside.sample(group[away], u[away])
        chosen[~away] = self.inside.sample(group[~away], u[~away])
        return chosen
