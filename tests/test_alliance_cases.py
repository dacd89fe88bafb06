"""Every alliance case in `settlement_cases/` settles to its hand-checked `expected/` statements."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

import polars as pl
import pytest

from tests.alliance_checks import conserved
from yibao.alliance.case_dir import is_alliance_policy, load_year_case
from yibao.alliance.settle import YearSettlement, settle_year
from yibao.settlement.policy import load_policy

CASES = Path(__file__).resolve().parents[1] / "settlement_cases"
FRAMES = {"alliances": "alliance_id", "members": "institution_id", "claims": "claim_id", "direct": "institution_id"}


def alliance_cases() -> list[Path]:
    return sorted(
        p for p in CASES.iterdir() if (p / "expected").is_dir() and is_alliance_policy(load_policy(p / "policy.toml"))
    )


def same(want: str | None, got: str | None) -> bool:
    """Equal as text, or as numbers (`0.8` and `0.8000` are one ratio)."""
    if want == got or (not want and not got):
        return True
    try:
        return Decimal(want or "") == Decimal(got or "")
    except InvalidOperation:
        return False


@pytest.fixture(scope="module", params=alliance_cases(), ids=lambda p: p.name)
def settled(request: pytest.FixtureRequest) -> tuple[Path, YearSettlement]:
    return request.param, settle_year(load_year_case(request.param))


@pytest.mark.parametrize("frame", FRAMES)
def test_case_settles_to_its_expected_statement(settled: tuple[Path, YearSettlement], frame: str) -> None:
    folder, result = settled
    path = folder / "expected" / f"{frame}.csv"
    if not path.is_file():
        pytest.skip(f"{folder.name} has no expected {frame}")
    key = FRAMES[frame]
    expected = pl.read_csv(path, infer_schema=False).sort(key)
    actual = getattr(result, frame).lazy().collect()
    actual = actual.select(pl.col(c).cast(pl.String) for c in expected.columns).sort(key)
    assert actual[key].to_list() == expected[key].to_list(), f"{frame}: rows differ"
    for column in expected.columns:
        wrong = [(k, w, g) for k, w, g in zip(expected[key], expected[column], actual[column], strict=True)
                 if not same(w, g)]  # fmt: skip
        assert not wrong, f"{folder.name} {frame}.{column}: (key, expected, got) {wrong[:5]}"


def test_every_case_keeps_the_budget_identity(settled: tuple[Path, YearSettlement]) -> None:
    """budget = county + out_of_county + package + returned − fund_share, per alliance, to the fen (and the rest of
    `conserved`)."""
    conserved(settled[1])


def test_the_issue_cases_are_there() -> None:
    names = {p.name for p in alliance_cases()}
    assert {"alliance-surplus-high-score", "alliance-surplus-low-score", "alliance-overspend-reasonable",
            "alliance-overspend-beyond", "alliance-out-of-county", "alliance-two-alliances"} <= names  # fmt: skip
