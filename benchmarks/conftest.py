"""Benchmark data: synthetic claim years cached under benchmarks/.data, one Parquet and one CSV per size.

Sizes come from YIBAO_BENCH_SIZES (default "1e6"; e.g. "1e6,1e7" for the prefecture and province volumes).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from yibao.defaults import DEMO_RULESET
from yibao.synth import GenerationParams, generate_case

DATA = Path(__file__).resolve().parent / ".data"
SIZES = [int(float(s)) for s in os.environ.get("YIBAO_BENCH_SIZES", "1e6").split(",")]


def claim_files(n: int) -> tuple[Path, Path]:
    """A Parquet file and a CSV file of `n` synthetic inpatient claims (made once, then reused)."""
    parquet, csv = DATA / f"inpatient-{n}.parquet", DATA / f"inpatient-{n}.csv"
    if not parquet.exists() or not csv.exists():
        case = DATA / f"case-{n}"
        generate_case(case, n, seed=7, ruleset=DEMO_RULESET, params=GenerationParams(outpatient_per_stay=0))
        claims = pl.scan_parquet(case / "claims" / "inpatient-*.parquet")
        claims.sink_parquet(parquet)
        joined = [pl.col(c).list.join("|") for c in ("diagnoses", "procedures")]
        claims.with_columns(joined).sink_csv(csv)
    return parquet, csv


def peak_rss_mib(code: str) -> float:
    """Peak resident memory of a fresh Python process running `code` (MiB).

    Read from VmHWM, which starts afresh with the new program; getrusage's ru_maxrss would carry over the
    forking (pytest) process's peak."""
    probe = f"{code}\nprint(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])"
    done = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    return int(done.stdout.strip().splitlines()[-1]) / 1024


def per_second(benchmark: object, count: int) -> int | None:
    """`count` per second of the benchmark's mean round; None when benchmarking is off (`pytest benchmarks` without
    `--benchmark-enable` runs each benchmark once, as a test)."""
    stats = benchmark.stats  # type: ignore[attr-defined]
    return None if stats is None else round(count / stats.stats.mean)


@pytest.fixture(params=SIZES, ids=lambda n: f"{n:.0e}")
def claims(request: pytest.FixtureRequest) -> tuple[int, Path, Path]:
    parquet, csv = claim_files(request.param)
    return request.param, parquet, csv
