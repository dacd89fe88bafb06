"""Read + validate a year of claims, against polars' own read of the same file (goal: at most 2x)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from benchmarks.conftest import peak_rss_mib, per_second
from yibao.io import load_claims, validate_file

ROUNDS = 3


def _record(benchmark, n: int, code: str) -> None:
    benchmark.extra_info["rows"] = n
    benchmark.extra_info["rows_per_s"] = per_second(benchmark, n)
    benchmark.extra_info["peak_rss_mib"] = round(peak_rss_mib(code))


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_polars_read(benchmark, claims: tuple[int, Path, Path], kind: str) -> None:
    n, parquet, csv = claims
    path = parquet if kind == "parquet" else csv
    reader = pl.read_parquet if kind == "parquet" else pl.read_csv
    frame = benchmark.pedantic(reader, args=(path,), rounds=ROUNDS, iterations=1)
    assert frame.height == n
    _record(benchmark, n, f"import polars as pl; pl.{reader.__name__}({str(path)!r})")


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_load_claims(benchmark, claims: tuple[int, Path, Path], kind: str) -> None:
    n, parquet, csv = claims
    path = parquet if kind == "parquet" else csv
    load = benchmark.pedantic(load_claims, args=(path,), rounds=ROUNDS, iterations=1)
    assert load.summary.read == n == load.summary.accepted + load.summary.rejected
    _record(benchmark, n, f"from yibao.io import load_claims; load_claims({str(path)!r})")


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_validate_file_streaming(benchmark, claims: tuple[int, Path, Path], kind: str, tmp_path: Path) -> None:
    n, parquet, csv = claims
    path = parquet if kind == "parquet" else csv
    summary = benchmark.pedantic(validate_file, args=(path, tmp_path), rounds=ROUNDS, iterations=1)
    assert summary.read == n
    _record(benchmark, n, f"from yibao.io import validate_file; validate_file({str(path)!r}, {str(tmp_path)!r})")
