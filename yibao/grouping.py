"""Grouper: CHS-DRG grouping of one claim or a whole frame, on either engine, from one ruleset directory.

`engine="bulk"` (the default for frames) runs the compiled numba kernel; `engine="rules"` runs the
durable-rules engine, one record at a time, and explains each result. Both read the same validated tables and
must give the same groups.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import polars as pl

from yibao.io.grouping_input import grouping_columns, scan_table
from yibao.io.write import sink_frame
from yibao.models import Claim
from yibao.rules.bulk import GROUPING_COLUMNS, RESULT_COLUMNS, group_frame
from yibao.rules.compiled import CompiledRuleset, compiled
from yibao.rules.load import RulesetTables, load_ruleset
from yibao.rules.records import GroupingRecord, GroupResult, GroupStatus

if TYPE_CHECKING:
    from yibao.rules.durable import RulesEngine

Engine = Literal["bulk", "rules"]


def grouping_record(claim: Claim | GroupingRecord) -> GroupingRecord:
    """The grouping fields of a claim."""
    if isinstance(claim, GroupingRecord):
        return claim
    return GroupingRecord(
        sex=int(claim.sex), age=claim.age, age_days=claim.age_days, birth_weight_g=claim.birth_weight_g,
        los_days=claim.los_days, discharge_mode=None if claim.discharge_mode is None else int(claim.discharge_mode),
        diagnoses=list(claim.diagnoses), procedures=list(claim.procedures),
    )  # fmt: skip


class Grouper:
    """Groups claims with one ruleset; both engines are built on first use."""

    def __init__(self, ruleset: RulesetTables, engine: Engine = "bulk") -> None:
        self.ruleset = ruleset
        self.engine: Engine = engine

    @classmethod
    def from_dir(cls, path: Path | str, engine: Engine = "bulk") -> Grouper:
        """Load and validate a ruleset directory (see `yibao.rules.load.load_ruleset`)."""
        return cls(load_ruleset(path), engine)

    @cached_property
    def compiled(self) -> CompiledRuleset:
        return compiled(self.ruleset)

    @cached_property
    def rules_engine(self) -> RulesEngine:
        from yibao.rules.durable import RulesEngine  # durable-rules is loaded only when the rules engine is used

        return RulesEngine(self.ruleset)

    def group(self, claim: Claim | GroupingRecord) -> GroupResult:
        """Group one claim; the rules engine also explains the result (`GroupResult.trail`)."""
        record = grouping_record(claim)
        if self.engine == "rules":
            return self.rules_engine.group(record)
        row = group_frame(records_frame([record]), self.compiled).row(0, named=True)
        return GroupResult(mdc=row["mdc"], adrg=row["adrg"], drg=row["drg"], status=GroupStatus(row["group_status"]))

    def explain(self, claim: Claim | GroupingRecord) -> GroupResult:
        """Group one claim on the rules engine, with the trail of rules that decided it."""
        return self.rules_engine.group(grouping_record(claim))

    def group_frame(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The frame with `mdc`, `adrg`, `drg` and `group_status` added; it needs `GROUPING_COLUMNS`."""
        if self.engine == "bulk":
            return group_frame(frame, self.compiled)
        rows = frame.select(GROUPING_COLUMNS).iter_rows(named=True)
        results = [self.rules_engine.group(GroupingRecord(**row)) for row in rows]
        return frame.with_columns(
            mdc=pl.Series([r.mdc for r in results], dtype=pl.String),
            adrg=pl.Series([r.adrg for r in results], dtype=pl.String),
            drg=pl.Series([r.drg for r in results], dtype=pl.String),
            group_status=pl.Series([r.status.value for r in results], dtype=pl.String),
        )

    def group_file(self, source: Path | str, target: Path | str) -> dict[str, int]:
        """Group a claim file (CSV or Parquet; grouping fields under any alias, see `grouping_columns`) into `target`
        (.parquet or .csv): its rows with `mdc`, `adrg`, `drg` and `group_status` added. Returns the number of
        claims by `group_status`.

        Polars' streaming engine reads, groups and writes the rows batch by batch, so memory follows the batch and
        reading and writing one batch overlap with grouping another."""
        source = Path(source)
        rows = scan_table(source)
        grouping_columns(rows.head(0).collect(), source)  # a file without usable columns fails here, not mid-stream
        counts: dict[str, int] = {}

        def group_batch(batch: pl.DataFrame) -> pl.DataFrame:
            results = self.group_frame(grouping_columns(batch, source)).select(RESULT_COLUMNS)
            for status, n in results["group_status"].value_counts().iter_rows():
                counts[status] = counts.get(status, 0) + n
            return batch.with_columns(results.get_columns())

        schema = {**rows.collect_schema(), **dict.fromkeys(RESULT_COLUMNS, pl.String())}
        sink_frame(rows.map_batches(group_batch, schema=schema, streamable=True), target)
        return counts


def records_frame(records: list[GroupingRecord]) -> pl.DataFrame:
    """Grouping records as a frame with `GROUPING_COLUMNS`."""
    return pl.DataFrame(
        [r.model_dump(include=set(GROUPING_COLUMNS)) for r in records],
        schema={"sex": pl.Int64, "age": pl.Int64, "age_days": pl.Int64, "birth_weight_g": pl.Int64,
                "diagnoses": pl.List(pl.String), "procedures": pl.List(pl.String)},
        orient="row",
    )  # fmt: skip
