"""What a run records of a settlement, whatever it settled: its period, counts, per-claim results and frames, the
frames named as `run_frames` names them.

- an alliance year (`YearSettlement`): the statements, members, direct payments, indicators, region totals,
  advances and the point method's region, month and institution rows;
- a point-method year (`Settlement`): the point method's region, month and institution rows;
- a month (`MonthSettlement`): the month's rows of the point method, its region row and, with alliances, each
  alliance's advance of the month.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import polars as pl

from yibao.alliance.settle import YearSettlement
from yibao.settlement.monthly import MonthSettlement
from yibao.settlement.policy import Policy
from yibao.settlement.settle import Settlement

POINT_FRAMES = ("region", "months", "institutions")
"""The point method's frames a year's run keeps (as `points.<name>`)."""
ALLIANCE_FRAMES = ("alliances", "members", "direct", "indicators", "region", "advances")
"""The alliance frames a year's run keeps."""


@dataclass(frozen=True, eq=False)
class RunContent:
    """One settlement as a run records it."""

    policy: Policy
    period: str
    read: int
    charged: int
    excluded: int
    claims: pl.LazyFrame
    """The per-claim results (no person key): the alliance claims' payments, or the stays' points."""
    frames: dict[str, pl.DataFrame]
    alliance: bool
    """Settled as an alliance case (which files it read: the alliances and residents too)."""


def _points(settlement: Settlement) -> dict[str, pl.DataFrame]:
    return {f"points.{name}": getattr(settlement, name) for name in POINT_FRAMES}


def run_content(result: YearSettlement | Settlement | MonthSettlement) -> RunContent:
    """What a run of `result` records."""
    if isinstance(result, MonthSettlement):
        year = run_content(result.points if result.alliances is None else result.alliances)
        frames = {"points.months": result.months, "points.month_region": result.region, "advances": result.advances}
        return replace(year, period=result.period, frames=frames)
    if isinstance(result, Settlement):
        stays = result.cases.height
        return RunContent(policy=result.policy, period=str(result.policy.year), read=stays + result.excluded.height,
                          charged=stays, excluded=result.excluded.height, claims=result.cases.lazy(),
                          frames=_points(result), alliance=False)  # fmt: skip
    region = result.region.row(0, named=True)
    return RunContent(
        policy=result.points.policy, period=str(result.points.policy.year), read=region["claims_read"],
        charged=region["claims_charged"], excluded=region["claims_excluded"], claims=result.claims,
        frames={**{name: getattr(result, name) for name in ALLIANCE_FRAMES}, **_points(result.points)}, alliance=True,
    )  # fmt: skip
