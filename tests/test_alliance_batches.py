"""Settling a year in batches of residence counties (claims and residents read from files) gives exactly what
settling it at once gives; a claim whose residents-table county differs is set aside in both."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from tests.alliance_checks import conserved, synthetic_year
from tests.conftest import REPO
from yibao.alliance import load_year_case, settle, settle_year
from yibao.alliance.settle import ELSEWHERE, YearSettlement
from yibao.cli import app
from yibao.errors import InputError
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


@pytest.mark.parametrize("fails", [False, True], ids=["settled", "failing"])
def test_batch_files_are_removed(synthetic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fails: bool) -> None:
    """The claims split by batch go to a temporary folder, removed after the year, also when a batch fails."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    seen: list[int] = []
    settle_batch = settle._settle_batch

    def watched(*args: object) -> object:
        seen.append(len(list(tmp_path.glob("yibao-batches-*/*.parquet"))))
        if fails:
            raise InputError("claims", "a batch fails")
        return settle_batch(*args)

    monkeypatch.setattr(settle, "_settle_batch", watched)
    case = load_year_case(synthetic, lazy=True)
    if fails:
        with pytest.raises(InputError, match="a batch fails"):
            settle_year(case, batch_claims=1)
    else:
        conserved(settle_year(case, batch_claims=1))
    assert seen and seen[0] >= 4 and not list(tmp_path.iterdir())


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


TWO = REPO / "settlement_cases" / "alliance-two-alliances"  # 南河县 rows 1–22, 北岭县 rows 23–25
CLAIM, PERSON = pl.col("claim_id"), pl.col("person_key")
FIRST = "1950d2504f669faa4d6c"  # residents row 1, claims of 南河县


def _set(column: str, where: pl.Expr, value: str | None) -> Callable[[pl.DataFrame], pl.DataFrame]:
    return lambda f: f.with_columns(pl.when(where).then(pl.lit(value)).otherwise(pl.col(column)).alias(column))


def _edited(tmp_path: Path, edits: dict[str, list[Callable[[pl.DataFrame], pl.DataFrame]]]) -> Path:
    """alliance-two-alliances with its CSV tables edited (read and written as text)."""
    folder = tmp_path / "case"
    shutil.copytree(TWO, folder)
    for table, changes in edits.items():
        frame = pl.read_csv(folder / f"{table}.csv", infer_schema=False)
        for change in changes:
            frame = change(frame)
        frame.write_csv(folder / f"{table}.csv")
    return folder


def _both(folder: Path) -> tuple[YearSettlement | str, YearSettlement | str]:
    """The year settled at once and one county a batch; an InputError as its message."""
    results: list[YearSettlement | str] = []
    for lazy in (False, True):
        try:
            results.append(settle_year(load_year_case(folder, lazy=lazy), batch_claims=1))
        except InputError as error:
            results.append(str(error))
    return results[0], results[1]


SETTLED = {
    "blank claim county": {"claims": [_set("residence_county", CLAIM == "M04", "  ")]},
    "padded counties": {
        "claims": [_set("residence_county", CLAIM.is_in(["M04", "K02"]), " 南河县 ")],
        "residents": [_set("residence_county", PERSON == "2b302ff8cd17a67891dc", "\t南河县 ")],
        "alliances": [_set("county", pl.col("alliance_id") == "NB", " 南河县")],
    },
    "blank resident county": {"residents": [_set("residence_county", PERSON == "22b6031b9985227eede7", " ")]},
    "null resident county": {"residents": [_set("residence_county", PERSON == "22b6031b9985227eede7", None)]},
    "a stay without county": {"claims": [_set("residence_county", CLAIM == "K02", None)]},
    "claims but no residents": {"claims": [_set("residence_county", PERSON == "2b302ff8cd17a67891dc", "东山县")]},
    "residents but no claims": {"residents": [_set("residence_county", PERSON == "3dd478afb6367a6ccffd", "西坡县")]},
    "duplicate ids across batches": {
        "claims": [_set("claim_id", CLAIM == "M16", "M01"), _set("claim_id", CLAIM == "K07", "K01")]
    },
    "visit types and referrals spelled otherwise": {
        "claims": [_set("visit_type", CLAIM == "M02", " 门诊 "), _set("visit_type", CLAIM == "K07", "住院"),
                   _set("referral", CLAIM == "M16", "下转")]
    },
    "another year": {
        "claims": [_set("discharge_date", CLAIM == "K07", "2024-03-01"),
                   _set("admission_date", CLAIM == "M16", "2024-03-01")]
    },
    "stays the point method sets aside": {
        "claims": [_set("own_share", CLAIM == "K07", None), _set("institution_id", CLAIM == "K08", "ZZ")]
    },
    "an alliance without claims or residents": {
        "alliances": [lambda f: pl.concat([f, pl.DataFrame({"alliance_id": ["XS"], "name": ["x"],
                                                            "county": ["西坡县"]})])],
        "institutions": [lambda f: pl.concat([f, f.head(1).with_columns(
            institution_id=pl.lit("X1"), alliance_id=pl.lit("XS"), county=pl.lit("西坡县"))])],
    },
}  # fmt: skip


@pytest.mark.parametrize("edits", SETTLED.values(), ids=SETTLED.keys())
def test_batches_equal_whole_on_edge_inputs(tmp_path: Path, edits: dict) -> None:
    whole, batched = _both(_edited(tmp_path, edits))
    assert isinstance(whole, YearSettlement) and isinstance(batched, YearSettlement), (whole, batched)
    _same(whole, batched)
    conserved(batched)


REFUSED = {
    "bad amounts in two batches": (
        {"claims": [_set("total_cost", CLAIM.is_in(["M01", "M16"]), "abc")]},  # the 北岭县 batch comes first
        "claims, row 1, field total_cost",
    ),
    "a visit type spelled otherwise, then a bad one": (
        {"claims": [_set("visit_type", CLAIM == "M02", " 门诊 "), _set("visit_type", CLAIM == "K07", "visit")]},
        "claims, row 23, field visit_type",
    ),
    "bad flags in two batches": (
        {"residents": [_set("signed_family_doctor", PERSON == FIRST, "maybe"),
                       _set("signed_family_doctor", pl.col("residence_county") == "北岭县", "perhaps")]},
        "residents, row 1, field signed_family_doctor: not a yes/no value: 'maybe'",
    ),
    "listed twice in two counties": (
        {"residents": [lambda f: pl.concat([f, f.head(1).with_columns(residence_county=pl.lit("北岭县"))])]},
        "residents, row 12, field person_key: this person is listed twice",
    ),
    "listed twice, and a bad claim": (
        {"residents": [lambda f: pl.concat([f.head(1).with_columns(residence_county=pl.lit("北岭县")), f])],
         "claims": [_set("total_cost", CLAIM == "M01", "abc")]},
        "residents, row 2, field person_key: this person is listed twice",
    ),
    "no person_key column": ({"residents": [lambda f: f.rename({"person_key": "pk"})]}, "missing columns"),
}  # fmt: skip


@pytest.mark.parametrize(("edits", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_batches_refuse_as_whole_does(tmp_path: Path, edits: dict, message: str) -> None:
    """The same error, naming the same row, whichever batch holds the bad value."""
    whole, batched = _both(_edited(tmp_path, edits))
    assert isinstance(whole, str) and message in whole
    assert batched == whole


def _claims_folder(tmp_path: Path, second: Callable[[pl.DataFrame], pl.DataFrame]) -> Path:
    """The case with its claims as a claims/ folder of two Parquet files (rows 1–12, 13–25), the second edited."""
    folder = _edited(tmp_path, {})
    claims = pl.read_csv(folder / "claims.csv", infer_schema=False)
    (folder / "claims.csv").unlink()
    (folder / "claims").mkdir()
    claims.head(12).write_parquet(folder / "claims" / "a.parquet")
    second(claims.tail(13)).write_parquet(folder / "claims" / "b.parquet")
    return folder


def test_batches_equal_whole_on_a_claims_folder_with_other_columns(tmp_path: Path) -> None:
    money = ("total_cost", "class_a_cost", "class_b_cost", "own_share", "self_pay_cost")
    typed = _claims_folder(tmp_path, lambda f: f.drop("drg").with_columns(pl.col(money).cast(pl.Decimal(18, 2))))
    whole, batched = _both(typed)
    assert isinstance(whole, YearSettlement) and isinstance(batched, YearSettlement), (whole, batched)
    _same(whole, batched)


def test_batches_name_the_row_of_a_claims_folder(tmp_path: Path) -> None:
    whole, batched = _both(_claims_folder(tmp_path / "bad", _set("los_days", CLAIM == "K07", "nine")))
    assert isinstance(whole, str) and "claims, row 23, field los_days" in whole
    assert batched == whole


@pytest.mark.parametrize("table", ["claims", "residents"])
def test_a_malformed_csv_read_lazily_is_one_sentence(tmp_path: Path, table: str) -> None:
    """A line with more fields than the header: polars' own error (which may quote the line) never surfaces."""
    folder = tmp_path / "case"
    shutil.copytree(REPO / "settlement_cases" / "alliance-two-alliances", folder)
    with (folder / f"{table}.csv").open("a", encoding="utf-8") as file:
        file.write("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z\n")
    with pytest.raises(InputError, match=rf"^{table}, .*(not a well-formed file|row \d+, field)"):
        settle_year(load_year_case(folder, lazy=True), batch_claims=1)


def test_batches_equal_whole_with_last_years_indicators(tmp_path: Path) -> None:
    """The growth indicators read last year's `indicators` (prior_indicators.csv) the same way in both."""
    folder = tmp_path / "case"
    shutil.copytree(REPO / "settlement_cases" / "alliance-two-alliances", folder)
    last_year = settle_year(load_year_case(folder)).indicators
    scale = {c: pl.col(c) * 0.9 for c in ("down_referrals", "outpatient_cost_per_visit", "inpatient_cost_per_stay")}
    last_year.with_columns(**scale).select(pl.exclude(pl.Decimal)).write_csv(folder / "prior_indicators.csv")
    whole = settle_year(load_year_case(folder))
    assert whole.indicators["outpatient_cost_growth"].is_not_null().all()
    _same(whole, settle_year(load_year_case(folder, lazy=True), batch_claims=1))
