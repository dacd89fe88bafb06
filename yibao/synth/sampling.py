"""Vectorised sampling helpers: seeded streams, grouped weighted choice, a bijective 64-bit hash."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np


class Stream(IntEnum):
    """Independent random streams of one case; claims streams are further split by chunk."""

    ORGANISATION = 0
    RESIDENTS = 1
    CASE_MIX = 2
    INPATIENT = 3
    OUTPATIENT = 4


def stream(seed: int, kind: Stream, *path: int) -> np.random.Generator:
    """The generator of one stream (and chunk) of a seed: the same seed always yields the same draws."""
    if seed < 0:
        raise ValueError("the seed must not be negative")
    return np.random.default_rng([seed, int(kind), *path])


def mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: a bijection of uint64 that scatters consecutive integers."""
    z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def unit(x: np.ndarray) -> np.ndarray:
    """Uniform floats in [0, 1) from the top 53 bits of uint64 hashes."""
    return (x >> np.uint64(11)).astype(np.float64) * 2.0**-53


def choice(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """`size` draws of an index with probability proportional to `weights`."""
    cumulative = np.cumsum(weights, dtype=np.float64)
    drawn = np.searchsorted(cumulative, rng.random(size) * cumulative[-1], side="right")
    return np.minimum(drawn, len(weights) - 1)


@dataclass(frozen=True)
class Pools:
    """One discrete distribution per group 0…n−1, all sampled at once.

    Weighted pools use inverse CDF: the keys are `group + cumulative share`, so one `searchsorted` over `group + u`
    samples every row from its own group. Unweighted pools index straight into the group's slice.
    """

    values: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    keys: np.ndarray | None
    """None for unweighted pools."""

    @classmethod
    def build(cls, groups: np.ndarray, values: np.ndarray, weights: np.ndarray | None = None) -> Pools:
        """Pools from parallel arrays; entries of weight 0 are dropped, every group 0…max must keep one."""
        keep = np.ones(len(groups), dtype=bool) if weights is None else np.asarray(weights) > 0
        order = np.argsort(groups[keep], kind="stable")
        g, v = groups[keep][order].astype(np.int64), values[keep][order]
        sizes = np.bincount(g, minlength=int(groups.max()) + 1)
        if (sizes == 0).any():
            raise ValueError(f"empty pool for group(s) {np.flatnonzero(sizes == 0)[:10].tolist()}")
        ends = np.cumsum(sizes)
        starts = ends - sizes
        if weights is None:
            return cls(values=v, starts=starts, ends=ends, keys=None)
        cumulative = np.cumsum(np.asarray(weights, dtype=np.float64)[keep][order])
        before = np.where(starts > 0, cumulative[starts - 1], 0.0)
        share = (cumulative - before[g]) / (cumulative[ends - 1] - before)[g]
        share[ends - 1] = 1.0
        return cls(values=v, starts=starts, ends=ends, keys=g + share)

    def sample(self, groups: np.ndarray, u: np.ndarray) -> np.ndarray:
        """One value per row, from the pool of that row's group; `u` uniform in [0, 1)."""
        if self.keys is None:
            start = self.starts[groups]
            drawn = start + (u * (self.ends[groups] - start)).astype(np.int64)
        else:
            drawn = np.searchsorted(self.keys, groups + u, side="right")
        return self.values[np.minimum(drawn, self.ends[groups] - 1)]
