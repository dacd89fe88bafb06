"""A recorded run as its reports show it: the run's facts and its frames, read back from the store."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import polars as pl
from sqlalchemy import Engine

from yibao.store import Run, get_run, run_frames

HASH_SHOWN = 12
"""Hex digits of an input's sha256 a report shows (the full hash is in `yibao runs show`)."""


@dataclass(frozen=True)
class RunReport:
    """One run and its frames, named as `run_frames` names them (alliances, members, direct, …). What it shows
    follows what the run settled: an alliance year, the point method's year alone, or a month."""

    run: Run
    frames: Mapping[str, pl.DataFrame]

    @property
    def alliance(self) -> bool:
        """Settled with alliances: it has their statements (a month's run: their advances)."""
        return any(not self.frames[name].is_empty() for name in ("alliances", "region", "advances"))

    @property
    def monthly(self) -> bool:
        """A month's run (monthly, or a what-if of a month): it has a month's region row."""
        return not self.frames["points.month_region"].is_empty()

    @property
    def title(self) -> str:
        what = "医共体医保结算报告" if self.alliance else "医保结算报告"
        period = f"{self.run.period} 月度预结算" if self.monthly else f"{self.run.period} 年度"
        return f"{what} — 结算记录 {self.run.id} ({period}{' 测算 what-if' if self.run.kind == 'what-if' else ''})"

    def facts(self) -> list[tuple[str, str]]:
        """The run header: label, value."""
        run = self.run
        return [
            ("结算记录 run", str(run.id)),
            ("期间 period", run.period),
            ("类型 kind", run.kind),
            ("生成时间 created", run.created_at.strftime("%Y-%m-%d %H:%M UTC")),
            ("yibao", run.library_version),
            ("清单 读取/结算/剔除", f"{run.rows_read:,} / {run.rows_accepted:,} / {run.rows_rejected:,}"),
        ]

    def inputs(self) -> str:
        """The inputs' sha256, shortened: claims …, policy …, tables …."""
        run = self.run
        hashes = {"claims": run.claims_hash, "policy": run.policy_hash, "tables": run.tables_hash}
        return "输入 sha256: " + " · ".join(f"{name} {digest[:HASH_SHOWN]}" for name, digest in hashes.items())

    def region_sections(self) -> list[tuple[str, str, pl.DataFrame]]:
        """The region's one-row frames the report shows: (section title, header table, frame)."""
        if self.monthly:
            return [("月度预结算", "month_region", self.frames["points.month_region"])]
        points = ("按病组点数法", "points.region", self.frames["points.region"])
        return [("医共体总额预算", "region", self.frames["region"]), points] if self.alliance else [points]

    @cached_property
    def institutions(self) -> pl.DataFrame:
        """Every institution of the run: in an alliance year the alliances' members (channel `member`), then those
        paid directly by the fund (`direct`); else the point method's rows — the year's clearing, or the month's."""
        if self.monthly:
            return self.frames["points.months"]
        if not self.alliance:
            return self.frames["points.institutions"]
        members = self.frames["members"].sort("alliance_id", "institution_id").with_columns(channel=pl.lit("member"))
        direct = self.frames["direct"].with_columns(channel=pl.lit("direct"))
        both = pl.concat([members, direct], how="diagonal_relaxed")
        first = ["institution_id", "channel", "alliance_id", "level", "county"]
        return both.select(*first, pl.exclude(first))

    @property
    def institutions_table(self) -> str:
        """The header table (`headers.csv`) of `institutions`' columns."""
        return "months" if self.monthly else "institutions"


def load_run_report(engine: Engine, run_id: int) -> RunReport:
    """The run `run_id` of the store (an unknown id is a StoreError) with its frames."""
    return RunReport(get_run(engine, run_id), run_frames(engine, run_id))


Kind = Literal["money", "count", "number", "text"]


def column_kind(frame: pl.DataFrame, column: str) -> Kind:
    """How a report shows a column: money (fen, shown in 元), a count, another number (exact decimal or rate), or
    text."""
    dtype = frame.schema[column]
    if column.endswith("_fen"):
        return "money"
    if dtype.is_integer():
        return "count"
    return "number" if dtype.is_numeric() else "text"
