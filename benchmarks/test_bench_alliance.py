"""The whole annual alliance settlement of a synthetic region from Parquet: inpatient stays (grouped) and their
outpatient visits (10 per stay), residents, institutions and alliances; the demo county's policy.

Goal (alliance issue): a province (1e7 stays, 1e8 visits) in under 30 s and 8 GiB. Measured: `load_year_case`
(the columns needed) + `settle_year`, and the peak memory of a fresh process doing the same.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from benchmarks.conftest import DATA, SIZES, peak_rss_mib
from tests.alliance_checks import conserved
from yibao.alliance import load_year_case, settle_year
from yibao.defaults import DEMO_POLICY, DEMO_RULESET
from yibao.grouping import Grouper
from yibao.synth import generate_case


def alliance_case(n: int) -> Path:
    """A case folder of `n` stays and their visits (made once, then reused): the stays grouped, base points from
    the year itself, the demo policy with its DRG budget scaled from the demo county's 1e5 stays."""
    folder = DATA / f"alliance-{n}"
    grouped = folder / "claims" / "inpatient.parquet"
    if grouped.exists():
        return folder
    generate_case(folder, n, seed=7, ruleset=DEMO_RULESET)
    stays = folder / "stays.parquet"
    pl.scan_parquet(sorted((folder / "claims").glob("inpatient-*.parquet"))).sink_parquet(stays)
    for generated in (folder / "claims").glob("inpatient-*.parquet"):
        generated.unlink()
    Grouper.from_dir(DEMO_RULESET).group_file(stays, grouped)
    stays.unlink()
    policy = DEMO_POLICY.read_text(encoding="utf-8")
    policy = policy.replace('file = "history-2024.parquet"', 'file = "claims/inpatient.parquet"')
    policy = policy.replace('fund_budget = "420000000.00"', f'fund_budget = "{4200 * n}.00"')
    (folder / "policy.toml").write_text(policy, encoding="utf-8")
    return folder


@pytest.fixture(scope="module", params=SIZES, ids=lambda n: f"{n:.0e}")
def case_folder(request: pytest.FixtureRequest) -> Path:
    return alliance_case(request.param)


def test_alliance_year(benchmark: pytest.FixtureRequest, case_folder: Path) -> None:
    """Load + settle the year; the statements balance and every claim is accounted for."""
    result = benchmark.pedantic(lambda: settle_year(load_year_case(case_folder)), rounds=1, iterations=1)
    conserved(result)
    benchmark.extra_info["claims"] = result.region["claims_read"].item()
    benchmark.extra_info["peak_rss_mib"] = peak_rss_mib(
        f"from yibao.alliance import load_year_case, settle_year\nsettle_year(load_year_case({str(case_folder)!r}))"
    )
