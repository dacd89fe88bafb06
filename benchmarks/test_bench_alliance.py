"""The whole annual alliance settlement of a synthetic region from Parquet: inpatient stays (grouped) and their
outpatient visits (10 per stay), residents, institutions and alliances; the demo county's policy.

Goal (alliance issue): a province (1e7 stays, 1e8 visits) in under 30 s and 8 GiB. Measured: `load_year_case`
(the columns needed) + `settle_year`, and the peak memory of a fresh process doing the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.conftest import DATA, SIZES, peak_rss_mib
from tests.alliance_checks import conserved, synthetic_year
from yibao.alliance import load_year_case, settle_year


def alliance_case(n: int) -> Path:
    """The synthetic year of `n` stays under benchmarks/.data (made once, then reused)."""
    return synthetic_year(DATA / f"alliance-{n}", n)


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
