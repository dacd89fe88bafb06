"""The insured residents (参保人), laid out so that claims can pick one without holding the population in memory.

Resident `i` has consecutive index `i`; indices form blocks of one (county, sex, age). A resident's person key and
family-doctor signing follow from the index by a keyed bijective hash, so the residents file and the claims agree
without a lookup, and the file can be written chunk by chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from yibao.synth.params import AGE_BANDS, MAX_AGE, GenerationParams
from yibao.synth.sampling import mix64, unit

AGES = MAX_AGE + 1
HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
RESIDENT_SCHEMA = pl.Schema(
    {
        "person_key": pl.String(),
        "residence_county": pl.String(),
        "signed_family_doctor": pl.Boolean(),
        "age": pl.Int64(),
        "sex": pl.Int64(),
    }
)


def band_weights_by_age(band_weights: tuple[float, ...]) -> np.ndarray:
    """Spread per-band weights (AGE_BANDS) evenly over single years of age 0…MAX_AGE."""
    bounds = (*AGE_BANDS, AGES)
    widths = np.diff(bounds)
    return np.repeat(np.asarray(band_weights) / widths, widths)


@dataclass(frozen=True)
class Population:
    """Residents in blocks of consecutive indices; block `(county · 2 + sex − 1) · AGES + age`."""

    counties: tuple[str, ...]
    block_start: np.ndarray
    block_size: np.ndarray
    salts: np.ndarray
    """Three uint64 keys: the person key's two halves and the signing draw."""
    signed_share: float

    @classmethod
    def build(
        cls, counties: tuple[str, ...], n_stays: int, params: GenerationParams, rng: np.random.Generator
    ) -> Population:
        """About `residents_per_stay · n_stays` residents, counties of varying size, the same age pyramid each."""
        county_share = rng.lognormal(0.0, params.county_size_sigma, len(counties))
        county_people = county_share / county_share.sum() * params.residents_per_stay * n_stays
        sex_share = np.array([params.male_share, 1.0 - params.male_share])
        age_share = band_weights_by_age(params.population_by_age)
        age_share /= age_share.sum()
        expected = county_people[:, None, None] * sex_share[None, :, None] * age_share[None, None, :]
        size = np.floor(expected).astype(np.int64).ravel() + 1  # every block holds somebody
        start = np.concatenate([[0], np.cumsum(size)[:-1]])
        salts = rng.integers(0, 2**63, 3, dtype=np.uint64)
        return cls(counties=counties, block_start=start, block_size=size, salts=salts, signed_share=params.signed_share)

    @property
    def total(self) -> int:
        """Number of residents."""
        return int(self.block_size.sum())

    def county_sizes(self) -> np.ndarray:
        """Residents per county."""
        return self.block_size.reshape(len(self.counties), -1).sum(axis=1)

    def draw(self, county: np.ndarray, sex: np.ndarray, age: np.ndarray, u: np.ndarray) -> np.ndarray:
        """A resident of each row's county, sex (1/2) and age, uniformly within that block."""
        block = (county * 2 + sex - 1) * AGES + age
        return self.block_start[block] + (u * self.block_size[block]).astype(np.int64)

    def person_keys(self, index: np.ndarray) -> pl.Series:
        """人员标识: 20 hex digits, distinct per resident (the first 16 are a bijection of the index)."""
        index = index.astype(np.uint64)
        high, low = mix64(index ^ self.salts[0]), mix64(index ^ self.salts[1])
        digits = np.empty((len(index), 20), dtype=np.uint8)
        for j in range(16):
            digits[:, j] = HEX[(high >> np.uint64(60 - 4 * j)) & np.uint64(0xF)]
        for j in range(4):
            digits[:, 16 + j] = HEX[(low >> np.uint64(12 - 4 * j)) & np.uint64(0xF)]
        return pl.Series(digits.view("S20").ravel()).cast(pl.String)

    def signed(self, index: np.ndarray) -> np.ndarray:
        """Whether each resident is signed with a family-doctor team (家庭医生签约)."""
        return unit(mix64(index.astype(np.uint64) ^ self.salts[2])) < self.signed_share

    def frame(self, start: int, stop: int) -> pl.DataFrame:
        """Residents `start`…`stop − 1` as rows of residents.parquet."""
        index = np.arange(start, stop, dtype=np.int64)
        block = np.searchsorted(self.block_start, index, side="right") - 1
        county, rest = np.divmod(block, 2 * AGES)
        sex, age = np.divmod(rest, AGES)
        return pl.DataFrame(
            {
                "person_key": self.person_keys(index),
                "residence_county": pl.Series(self.counties).gather(county),
                "signed_family_doctor": self.signed(index),
                "age": age,
                "sex": sex + 1,
            },
            schema=RESIDENT_SCHEMA,
        )
