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
    """One run and its frames, named as `run_frames` names them (alliances, members, direct, …)."""

    run: Run
    frames: Mapping[str, pl.DataFrame]

    @property
    def title(self) -> str:
        return f"医共体医保结算报告 — 结算记录 {self.run.id} ({self.run.period} 年度)"

    def facts(self) -> list[tuple[str, str]]:
        """The run header: label, value."""
        run = self.run
        return [
            ("结算记录 run", str(run.id)),
            ("年度 period", run.period),
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

    @cached_property
    def institutions(self) -> pl.DataFrame:
        """Every institution of the run: the alliances' members (channel `member`), then those paid directly by
        the fund (`direct`)."""
        members = self.frames["members"].sort("alliance_id", "institution_id").with_columns(channel=pl.lit("member"))
        direct = self.frames["direct"].with_columns(channel=pl.lit("direct"))
        both = pl.concat([members, direct], how="diagonal_relaxed")
        first = ["institution_id", "channel", "alliance_id", "level", "county"]
        return both.select(*first, pl.exclude(first))


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
