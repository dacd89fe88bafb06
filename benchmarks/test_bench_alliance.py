"""The whole annual alliance settlement of a synthetic region from Parquet: inpatient stays (grouped) and their
outpatient visits (10 per stay), residents, institutions and alliances; the demo county's policy.

Goal (alliance issue): a province (1e7 stays, 1e8 visits) in under 30 s and 8 GiB. Measured: the year read from
its files in batches of residence counties (`load_year_case(lazy=True)` + `settle_year(claims_dir=…)`, the
per-claim results written batch by batch) and, for the sizes that fit, at once in memory; and the peak memory of a
fresh process doing the same.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from benchmarks.conftest import DATA, SIZES, peak_rss_mib
from tests.alliance_checks import conserved, synthetic_year
from yibao.alliance import load_year_case, settle_year
from yibao.alliance.settle import YearSettlement


def alliance_case(n: int) -> Path:
    """The synthetic year of `n` stays under benchmarks/.data (made once, then reused)."""
    return synthetic_year(DATA / f"alliance-{n}", n)


@pytest.fixture(scope="module", params=SIZES, ids=lambda n: f"{n:.0e}")
def case_folder(request: pytest.FixtureRequest) -> Path:
    return alliance_case(request.param)


def in_batches(folder: Path, out: Path) -> YearSettlement:
    """The year read from its files one batch of residence counties at a time, per-claim results to `out`."""
    return settle_year(load_year_case(folder, lazy=True), claims_dir=out)


def at_once(folder: Path, out: Path) -> YearSettlement:
    """The year read into memory and settled at once."""
    return settle_year(load_year_case(folder))


@pytest.mark.parametrize("mode", [in_batches, at_once], ids=lambda f: f.__name__)
def test_alliance_year(
    benchmark: pytest.FixtureRequest, case_folder: Path, mode: Callable[[Path, Path], YearSettlement], tmp_path: Path
) -> None:
    """Load + settle the year; the statements balance and every claim is accounted for."""
    if mode is at_once and case_folder.name.endswith("10000000"):
        pytest.skip("a province year held in memory at once needs about 100 GiB; it is settled in batches")
    result = benchmark.pedantic(lambda: mode(case_folder, tmp_path / "claims"), rounds=1, iterations=1)
    conserved(result)
    benchmark.extra_info["claims"] = result.region["claims_read"].item()
    benchmark.extra_info["peak_rss_mib"] = peak_rss_mib(
        f"from pathlib import Path\nfrom benchmarks.test_bench_alliance import {mode.__name__}\n"
        f"{mode.__name__}(Path({str(case_folder)!r}), Path({str(tmp_path / 'again')!r}))"
    )


def person_totals(claims_dir: Path) -> pl.DataFrame:
    """Each person's fund-eligible cost of the year (甲类 + 乙类): one group-by of every claim on its person key, the
    least a yearly deductible needs (which also orders each person's claims), in polars alone, without any check."""
    eligible = (pl.col("class_a_cost") + pl.col("class_b_cost")).alias("eligible")
    claims = pl.scan_parquet(sorted(claims_dir.glob("*.parquet")))
    return claims.group_by("person_key").agg(eligible.sum()).collect(engine="streaming")


def test_floor_person_totals(benchmark: pytest.FixtureRequest, case_folder: Path) -> None:
    """The floor under the goal: polars grouping the year's claims by person (the province's 1.1e8 claims take
    about 30 s on this machine's two cores, the whole goal); every claim's cost is counted once."""
    totals = benchmark.pedantic(lambda: person_totals(case_folder / "claims"), rounds=1, iterations=1)
    claims = pl.scan_parquet(sorted((case_folder / "claims").glob("*.parquet")))
    expected = claims.select((pl.col("class_a_cost") + pl.col("class_b_cost")).sum()).collect().item()
    assert totals["eligible"].sum() == expected
    benchmark.extra_info["persons"] = totals.height
