"""Base points and institution coefficients from past years' grouped claims (polars).

Per year, each group's costs are trimmed to the IQR fences `[Q1 − k·IQR, Q3 + k·IQR]` (linear quantiles), then
means are taken; years are combined with the policy's weights (2:3:5 …), renormalised over the years a group
appears in. `base_points[g] = mean_cost[g] / mean_cost[all] × scale`;
`coefficient[h, g] = mean_cost[h, g] / mean_cost[g]`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from yibao.rules.records import UNGROUPED, GroupStatus


@dataclass(frozen=True)
class GroupCosts:
    """Weighted, trimmed mean costs (元) from history."""

    groups: pl.DataFrame
    """drg, mean_cost, cases."""
    institution_groups: pl.DataFrame
    """institution_id, drg, mean_cost."""
    mean_cost_all: float


def _trimmed(frame: pl.DataFrame, year: int, fence: Decimal | None) -> pl.DataFrame:
    grouped = pl.col("drg").is_not_null() & (pl.col("drg") != UNGROUPED[2]) & pl.col("total_cost").is_not_null()
    if "group_status" in frame.columns:
        grouped = grouped & (pl.col("group_status") == GroupStatus.SUCCESS.value)
    costs = frame.filter(grouped).select(
        "institution_id", "drg", cost=pl.col("total_cost").cast(pl.Float64), year=pl.lit(year)
    )
    if fence is None:
        return costs
    k = float(fence)
    q1 = pl.col("cost").quantile(0.25, interpolation="linear").over("drg")
    q3 = pl.col("cost").quantile(0.75, interpolation="linear").over("drg")
    return costs.filter(pl.col("cost").is_between(q1 - k * (q3 - q1), q3 + k * (q3 - q1)))


def _weighted(means: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Combine per-year means over years with the years' weights, renormalised where a key is missing."""
    return means.group_by(keys).agg(
        mean_cost=(pl.col("mean_cost") * pl.col("weight")).sum() / pl.col("weight").sum(), cases=pl.col("cases").sum()
    )


def group_costs(years: list[tuple[pl.DataFrame, Decimal]], fence: Decimal | None) -> GroupCosts:
    """Mean costs from past years given as (grouped claims, weight), oldest first."""
    trimmed = pl.concat(
        [_trimmed(frame, year, fence).with_columns(weight=pl.lit(float(w))) for year, (frame, w) in enumerate(years)]
    )
    if trimmed.height == 0:
        raise ValueError("the history has no grouped claims")
    per_group = trimmed.group_by("year", "drg").agg(
        mean_cost=pl.col("cost").mean(), cases=pl.len(), weight=pl.col("weight").first()
    )
    per_institution = trimmed.group_by("year", "institution_id", "drg").agg(
        mean_cost=pl.col("cost").mean(), cases=pl.len(), weight=pl.col("weight").first()
    )
    per_year = trimmed.group_by("year").agg(mean_cost=pl.col("cost").mean(), weight=pl.col("weight").first())
    mean_all = float((per_year["mean_cost"] * per_year["weight"]).sum() / per_year["weight"].sum())
    return GroupCosts(
        groups=_weighted(per_group, ["drg"]).sort("drg"),
        institution_groups=_weighted(per_institution, ["institution_id", "drg"]).drop("cases"),
        mean_cost_all=mean_all,
    )
