"""Bulk CHS-DRG grouping end to end, file to file as `yibao group` does it: read Parquet, encode codes, group
(numba), write Parquet, batch by batch (`Grouper.group_file`).

Goal (grouping issue): at least 1,000,000 claims/s on this 2-core machine. Numba compilation is cached on disk
and warmed up before timing.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from benchmarks.conftest import peak_rss_mib, per_second
from yibao.defaults import DEMO_RULESET
from yibao.grouping import Grouper


def _group_file(source: Path, target: Path) -> int:
    return sum(Grouper.from_dir(DEMO_RULESET).group_file(source, target).values())


def test_bulk_grouping_end_to_end(benchmark, claims: tuple[int, Path, Path], tmp_path: Path) -> None:
    n, parquet, _ = claims
    target = tmp_path / "grouped.parquet"
    _group_file(parquet, target)  # warm-up: numba's cached compilation, ruleset load
    assert benchmark.pedantic(_group_file, args=(parquet, target), rounds=3, iterations=1) == n
    statuses = pl.scan_parquet(target).group_by("group_status").len().collect()
    assert statuses["len"].sum() == n
    benchmark.extra_info["rows"] = n
    benchmark.extra_info["rows_per_s"] = per_second(benchmark, n)
    code = f"from benchmarks.test_bench_grouping import _group_file; _group_file({str(parquet)!r}, {str(target)!r})"
    benchmark.extra_info["peak_rss_mib"] = round(peak_rss_mib(code))


RULES_SAMPLE = 10_000


def _sample(parquet: Path) -> pl.DataFrame:
    columns = ["sex", "age", "age_days", "birth_weight_g", "diagnoses", "procedures"]
    return pl.read_parquet(parquet, columns=columns, n_rows=RULES_SAMPLE)


def test_rules_engine_per_claim(benchmark, claims: tuple[int, Path, Path]) -> None:
    """The durable-rules path, one claim at a time with its trail (goal: at least 5,000 claims/s)."""
    sample = _sample(claims[1])
    grouper = Grouper.from_dir(DEMO_RULESET, engine="rules")
    grouper.group_frame(sample.head(100))  # build the engine's rulesets before timing
    grouped = benchmark.pedantic(grouper.group_frame, args=(sample,), rounds=3, iterations=1)
    assert grouped.height == RULES_SAMPLE
    benchmark.extra_info["rows_per_s"] = per_second(benchmark, RULES_SAMPLE)


def test_plain_python_loop_per_claim(benchmark, claims: tuple[int, Path, Path]) -> None:
    """For comparison: the plain-Python reference grouper of the tests, one claim at a time."""
    from tests.test_demo_ruleset import Record, group

    rows = [
        Record(r["sex"], r["age"], r["diagnoses"], r["procedures"], r["age_days"], r["birth_weight_g"])
        for r in _sample(claims[1]).iter_rows(named=True)
    ]
    results = benchmark.pedantic(lambda: [group(r) for r in rows], rounds=3, iterations=1)
    assert len(results) == RULES_SAMPLE
    benchmark.extra_info["rows_per_s"] = per_second(benchmark, RULES_SAMPLE)
