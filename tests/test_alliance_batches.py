"""Settling a year in batches of residence counties (claims and residents read from files) gives exactly what
settling it at once gives; a claim whose residents-table county differs is set aside in both."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from tests.alliance_checks import conserved, synthetic_year
from tests.conftest import REPO
from yibao.alliance import load_year_case, settle_year
from yibao.alliance.settle import ELSEWHERE, YearSettlement
from yibao.cli import app
from yibao.synth import GenerationParams

CASES = sorted((REPO / "settlement_cases").glob("alliance-*"))
runner = CliRunner()
FRAMES = ("alliances", "members", "direct", "charges", "claims", "advances", "indicators", "excluded", "region")


def _same(whole: YearSettlement, batched: YearSettlement) -> None:
    for name in FRAMES:
        assert getattr(batched, name).lazy().collect().equals(getattr(whole, name).lazy().collect()), name
    assert batched.points.institutions.equals(whole.points.institutions)
    assert batched.points.region.equals(whole.points.region)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four counties, their alliances, residents and a year of stays and visits."""
    return synthetic_year(tmp_path_factory.mktemp("year"), 4000, GenerationParams(claims_per_county=1000))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_batches_equal_whole_on_cases(case: Path) -> None:
    whole = settle_year(load_year_case(case))
    _same(whole, settle_year(load_year_case(case, lazy=True), batch_claims=1))


def test_batches_equal_whole_on_synthetic_region(synthetic: Path) -> None:
    whole = settle_year(load_year_case(synthetic))
    assert whole.alliances["county"].n_unique() >= 4
    batched = settle_year(load_year_case(synthetic, lazy=True), batch_claims=1)
    _same(whole, batched)
    conserved(batched)


def test_claims_written_per_batch(synthetic: Path, tmp_path: Path) -> None:
    """With claims_dir, the per-claim results go to one file per batch; together they are the whole year's."""
    whole = settle_year(load_year_case(synthetic)).claims.collect()
    whole.head(3).write_parquet(tmp_path / "claims-99999.parquet")  # an earlier run's file: removed
    batched = settle_year(load_year_case(synthetic, lazy=True), batch_claims=1, claims_dir=tmp_path)
    assert len(list(tmp_path.glob("claims-*.parquet"))) >= 4
    assert batched.claims.collect().sort("claim_id").equals(whole.sort("claim_id"))


def _moved(case: Path, tmp_path: Path) -> tuple[Path, str]:
    """The case with one resident listed in another county than their claims give; that resident's key."""
    folder = tmp_path / case.name
    shutil.copytree(case, folder)
    residents = pl.read_csv(folder / "residents.csv", infer_schema=False)
    claims = pl.read_csv(folder / "claims.csv", infer_schema=False)
    person = claims["person_key"][0]
    residents = residents.with_columns(
        residence_county=pl.when(pl.col("person_key") == person).then(pl.lit("外县")).otherwise("residence_county")
    )
    residents.write_csv(folder / "residents.csv")
    return folder, person


@pytest.mark.parametrize("lazy", [False, True], ids=["whole", "batched"])
def test_claims_of_a_resident_listed_elsewhere_are_set_aside(tmp_path: Path, lazy: bool) -> None:
    folder, person = _moved(REPO / "settlement_cases" / "alliance-out-of-county", tmp_path)
    claims = pl.read_csv(folder / "claims.csv", infer_schema=False)
    theirs = claims.with_row_index("row", offset=1).filter(pl.col("person_key") == person)
    result = settle_year(load_year_case(folder, lazy=lazy), batch_claims=1)
    set_aside = result.excluded.filter(pl.col("reason") == ELSEWHERE)
    assert set_aside["claim_id"].to_list() == theirs["claim_id"].to_list()
    assert set_aside["row"].to_list() == theirs["row"].to_list()
    assert not result.claims.collect()["claim_id"].is_in(theirs["claim_id"].implode()).any()
    stay = theirs.filter(pl.col("visit_type") == "inpatient")["claim_id"]
    assert stay.len() == 1 and stay[0] not in result.points.cases["claim_id"].to_list()  # earns no points either
    conserved(result)


def test_cli_settles_in_batches(synthetic: Path, tmp_path: Path) -> None:
    """`yibao settle --batches` writes the same statements; the per-claim results are the batch files."""
    at_once = runner.invoke(app, ["settle", str(synthetic), "--out", str(tmp_path / "once")])
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    options = ["--out", str(tmp_path / "batched"), "--batches", "--db", db]
    batched = runner.invoke(app, ["settle", str(synthetic), *options])
    assert at_once.exit_code == 0 and batched.exit_code == 0, batched.output
    for name in ("alliances", "members", "direct", "region"):
        once = pl.read_parquet(tmp_path / "once" / f"{name}.parquet")
        assert pl.read_parquet(tmp_path / "batched" / f"{name}.parquet").equals(once), name
    assert not (tmp_path / "batched" / "claims.parquet").exists()
    parts = pl.read_parquet(tmp_path / "batched" / "claims" / "claims-*.parquet").sort("claim_id")
    assert parts.equals(pl.read_parquet(tmp_path / "once" / "claims.parquet").sort("claim_id"))
    assert "run 1 recorded" in batched.output


def test_cli_batches_need_an_alliance_policy(tmp_path: Path) -> None:
    case = REPO / "settlement_cases" / "hospital-report"
    result = runner.invoke(app, ["settle", str(case), "--out", str(tmp_path / "out"), "--batches"])
    assert result.exit_code == 2 and "--batches settles alliance years" in result.output
