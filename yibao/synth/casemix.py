"""The case mix (病种结构) of the region: how common each ADRG is, how long and how costly its stays, drawn once."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from yibao.synth.codes import RulesetCodes
from yibao.synth.params import GenerationParams


def _birth_weight_mass(low: np.ndarray, high: np.ndarray, params: GenerationParams) -> np.ndarray:
    """Share of newborns in each ADRG's birth-weight band [low, high) under the typical weight distribution.

    ADRGs without a band get 1; a band's share is at least `min_birth_weight_band_share`, so that rare bands
    (very low birth weight, PS1) still occur.
    """
    median, sigma = params.newborn_weight_g

    def below(grams: float) -> float:
        return 0.5 * (1.0 + math.erf(math.log(grams / median) / (sigma * math.sqrt(2.0))))

    mass = [
        1.0 if not (lo or hi) else max(below(hi or math.inf) - below(lo or 1.0), params.min_birth_weight_band_share)
        for lo, hi in zip(low.tolist(), high.tolist(), strict=True)
    ]
    return np.array(mass)


@dataclass(frozen=True)
class CaseMix:
    """Per ADRG (in the order of `RulesetCodes.adrg`): frequencies, median length of stay and median cost."""

    inpatient: np.ndarray
    """Probability of each ADRG for a stay."""
    outpatient: np.ndarray
    """Probability of each ADRG's principal diagnosis for an outpatient visit (medical ADRGs only)."""
    los_median: np.ndarray
    cost_median: np.ndarray
    """Median cost (元) of a stay of median length at a secondary hospital."""

    @classmethod
    def draw(cls, codes: RulesetCodes, params: GenerationParams, rng: np.random.Generator) -> CaseMix:
        n = len(codes.adrg)
        mdc = np.array(codes.mdc)
        popularity = rng.lognormal(0.0, params.adrg_popularity_sigma, n)
        weight = popularity * np.where(codes.surgical, 1.0, params.medical_weight)
        weight *= _birth_weight_mass(codes.weight_low, codes.weight_high, params)
        fixed = np.isin(mdc, list(params.mdc_shares))
        inpatient = np.where(fixed, 0.0, weight)
        inpatient *= (1.0 - sum(params.mdc_shares.get(m, 0.0) for m in set(mdc))) / inpatient.sum()
        for name, share in params.mdc_shares.items():
            members = mdc == name
            if members.any():
                inpatient[members] = share * weight[members] / weight[members].sum()
        outpatient = np.where(fixed | codes.surgical | (codes.newborn_days >= 0), 0.0, weight)
        cost_median = np.where(codes.surgical, params.surgical_cost_median, params.medical_cost_median)
        return cls(
            inpatient=inpatient / inpatient.sum(),
            outpatient=outpatient / outpatient.sum(),
            los_median=params.los_median * rng.lognormal(0.0, params.adrg_los_sigma, n),
            cost_median=cost_median * rng.lognormal(0.0, params.adrg_cost_sigma, n),
        )
