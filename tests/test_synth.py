"""Synthetic cases (yibao.synth): schema, claim checks, codes from the ruleset, structure, determinism, chunking."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest

from yibao.models import Alliance, Claim, Institution, Level, Region
from yibao.models.checks import CLAIM_CHECKS
from yibao.models.schema import polars_schema
from yibao.synth import SCALES, CaseSummary, GenerationParams, generate_case
from yibao.synth.organisation import build_organisation
from yibao.synth.sampling import Pools

REPO = Path(__file__).resolve().parents[1]
N_INPATIENT = 5_000
SEED = 20250101


def _ruleset() -> Path:
    """rulesets/demo when it is there, else the full CHS-DRG 1.1 tables beside the checkout."""
    for candidate in (REPO / "rulesets" / "demo", REPO.parent / "shared" / "rulesets" / "chs-drg-1.1"):
        if (candidate / "mdc.csv").is_file():
            return candidate
    pytest.skip("no ruleset directory with an mdc.csv")


@pytest.fixture(scope="module")
def ruleset() -> Path:
    return _ruleset()


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory, ruleset: Path) -> CaseSummary:
    return generate_case(tmp_path_factory.mktemp("case"), N_INPATIENT, SEED, ruleset)


def _claims(summary: CaseSummary, kind: str = "*") -> pl.DataFrame:
    return pl.read_parquet(summary.folder / "claims" / f"{kind}-*.parquet")


def _institutions(summary: CaseSummary) -> pl.DataFrame:
    return pl.read_csv(summary.institutions_file, infer_schema=False)


def test_claim_files_have_the_claim_schema(case: CaseSummary) -> None:
    for path in (*case.inpatient_files, *case.outpatient_files):
        assert pl.read_parquet_schema(path) == dict(polars_schema(Claim)), path.name


def test_every_claim_check_holds(case: CaseSummary) -> None:
    flags = _claims(case).select([c.violated.fill_null(False).sum().alias(str(i)) for i, c in enumerate(CLAIM_CHECKS)])
    broken = {CLAIM_CHECKS[int(i)].reason: n for i, n in flags.row(0, named=True).items() if n}
    assert broken == {}


def test_the_model_accepts_a_sample_of_rows(case: CaseSummary) -> None:
    for kind in ("inpatient", "outpatient"):
        for row in _claims(case, kind).sample(150, seed=1).iter_rows(named=True):
            assert Claim(**row).claim_id == row["claim_id"]


def test_codes_come_from_the_ruleset(case: CaseSummary, ruleset: Path) -> None:
    def codes(*names: str) -> set[str]:
        return {c for name in names for c in pl.read_csv(ruleset / name, infer_schema=False)["code"]}

    diagnoses = codes("adrg_diagnoses.csv", "mdc_diagnoses.csv", "complications.csv")
    procedures = codes("adrg_procedures.csv", "or_procedures.csv")
    claims = _claims(case)
    assert set(claims["diagnoses"].explode().drop_nulls()) <= diagnoses
    assert set(claims["procedures"].explode().drop_nulls()) <= procedures
    assert claims["diagnoses"].list.len().min() >= 1
    assert (claims["diagnoses"].list.n_unique() == claims["diagnoses"].list.len()).all()


def test_claim_ids_are_unique_across_the_case(case: CaseSummary) -> None:
    ids = _claims(case)["claim_id"]
    assert ids.n_unique() == ids.len() == case.inpatient_claims + case.outpatient_visits


def test_summary_counts_match_the_files(case: CaseSummary) -> None:
    region = Region.model_validate_json(case.region_file.read_text(encoding="utf-8"))
    assert case.regions == 1
    assert case.counties == len(region.counties)
    assert case.alliances == pl.read_csv(case.alliances_file).height
    levels = _institutions(case)["level"].value_counts()
    assert {Level(level): n for level, n in levels.iter_rows()} == {k: v for k, v in case.institutions.items() if v}
    assert case.residents == pl.scan_parquet(case.residents_file).select(pl.len()).collect().item()
    assert _claims(case, "inpatient").height == case.inpatient_claims == N_INPATIENT
    assert _claims(case, "outpatient").height == case.outpatient_visits == N_INPATIENT * 10
    assert case.counts()["住院 inpatient claims"] == N_INPATIENT


def test_files_validate_as_models(case: CaseSummary) -> None:
    institutions = [Institution(**row) for row in _institutions(case).iter_rows(named=True)]
    alliances = [Alliance(**row) for row in pl.read_csv(case.alliances_file, infer_schema=False).iter_rows(named=True)]
    by_id = {i.institution_id: i for i in institutions}
    for alliance in alliances:
        lead = by_id[alliance.lead_institution_id]
        assert lead.alliance_id == alliance.alliance_id
        assert lead.level in (Level.SECONDARY, Level.TERTIARY)
    assert {i.alliance_id for i in institutions} - {None} == {a.alliance_id for a in alliances}
    assert any(i.alliance_id is None for i in institutions)


def test_claims_refer_to_existing_institutions_and_residents(case: CaseSummary) -> None:
    claims = _claims(case)
    assert set(claims["institution_id"]) <= set(_institutions(case)["institution_id"])
    residents = pl.read_parquet(case.residents_file)
    assert residents["person_key"].n_unique() == residents.height
    assert residents["person_key"].str.contains("^[0-9a-f]{20}$").all()
    joined = claims.join(residents, on="person_key", how="left", suffix="_resident")
    for column in ("residence_county", "signed_family_doctor", "age", "sex"):
        assert (joined[column] == joined[f"{column}_resident"]).all(), column


def test_out_of_county_shares_follow_the_parameters(case: CaseSummary) -> None:
    params = GenerationParams()
    counties = _institutions(case).select("institution_id", pl.col("county").alias("institution_county"))
    for kind, share in (
        ("inpatient", params.out_of_county_share),
        ("outpatient", params.outpatient_out_of_county_share),
    ):
        claims = _claims(case, kind).join(counties, on="institution_id")
        away = (claims["institution_county"] != claims["residence_county"]).mean()
        assert away == pytest.approx(share, abs=0.02), kind


def test_care_is_plausible(case: CaseSummary) -> None:
    inpatient, outpatient = _claims(case, "inpatient"), _claims(case, "outpatient")
    levels = _institutions(case).select("institution_id", "level")
    assert not inpatient.join(levels, on="institution_id")["level"].is_in([Level.VILLAGE.value]).any()
    primary_care = outpatient.join(levels, on="institution_id")["level"].is_in([Level.TOWNSHIP, Level.VILLAGE])
    assert primary_care.mean() > 0.5
    assert inpatient["discharge_mode"].value_counts().sort("count")["discharge_mode"][-1] == 1
    assert (inpatient["age"] == 0).any() and (inpatient["birth_weight_g"].is_not_null()).any()
    assert 0.4 < inpatient["signed_family_doctor"].mean() < 0.6
    assert set(inpatient["referral"]) == {"up", "down", "none"}
    assert outpatient["procedures"].list.len().mean() < 0.5
    assert inpatient["total_cost"].cast(pl.Float64).median() > 10 * outpatient["total_cost"].cast(pl.Float64).median()


def test_sex_specific_mdcs_get_one_sex(case: CaseSummary, ruleset: Path) -> None:
    conditions = pl.read_csv(ruleset / "mdc_conditions.csv", infer_schema=False).filter(pl.col("predicate") == "sex_is")
    lists = pl.read_csv(ruleset / "mdc_diagnoses.csv", infer_schema=False).select("mdc", "code").unique()
    only_one = lists.group_by("code").agg(pl.col("mdc").first(), pl.len()).filter(pl.col("len") == 1)
    expected = only_one.join(conditions.select("mdc", pl.col("arg").cast(pl.Int64).alias("expected")), on="mdc")
    claims = _claims(case, "inpatient").with_columns(code=pl.col("diagnoses").list.first())
    checked = claims.join(expected, on="code")
    assert checked.height > 0
    assert (checked["sex"] == checked["expected"]).all()


def test_same_seed_same_case_other_seed_other_case(case: CaseSummary, ruleset: Path, tmp_path: Path) -> None:
    again = generate_case(tmp_path / "again", N_INPATIENT, SEED, ruleset)
    files = (*case.inpatient_files, *case.outpatient_files, case.residents_file)
    files_again = (*again.inpatient_files, *again.outpatient_files, again.residents_file)
    for first, second in zip(files, files_again, strict=True):
        assert pl.read_parquet(first).equals(pl.read_parquet(second)), first.name
    for name in ("region.json", "alliances.csv", "institutions.csv"):
        assert (case.folder / name).read_bytes() == (again.folder / name).read_bytes(), name
    other = generate_case(tmp_path / "other", 500, SEED + 1, ruleset)
    assert not pl.read_parquet(other.inpatient_files[0]).equals(pl.read_parquet(case.inpatient_files[0]).head(500))


def test_chunks_split_at_the_chunk_size(ruleset: Path, tmp_path: Path) -> None:
    params = GenerationParams(chunk_rows=500, outpatient_per_stay=1.5)
    summary = generate_case(tmp_path, 1_200, 3, ruleset, params)
    assert [pl.read_parquet(p).height for p in summary.inpatient_files] == [500, 500, 200]
    assert [pl.read_parquet(p).height for p in summary.outpatient_files] == [500, 500, 500, 300]
    assert [p.name for p in summary.inpatient_files] == [f"inpatient-0000{i}.parquet" for i in range(3)]
    assert pq.ParquetFile(summary.residents_file).num_row_groups == -(-summary.residents // 500)
    ids = _claims(summary, "inpatient")["claim_id"]
    assert ids.n_unique() == 1_200
    rerun = generate_case(tmp_path, 600, 3, ruleset, params)
    assert sorted((tmp_path / "claims").glob("inpatient-*")) == list(rerun.inpatient_files)


@pytest.mark.parametrize(
    ("scale", "counties", "institutions"), [("county", (1, 1), (20, 50)), ("province", (80, 100), (2_000, 4_000))]
)
def test_organisation_size_follows_the_scale(
    scale: str, counties: tuple[int, int], institutions: tuple[int, int]
) -> None:
    org = build_organisation(SCALES[scale], GenerationParams(), np.random.default_rng(0))
    assert counties[0] <= len(org.counties) <= counties[1]
    assert institutions[0] <= org.institutions.height <= institutions[1]
    per_county = org.alliances.group_by("county").len()["len"]
    assert per_county.min() >= 1 and per_county.max() <= 4
    assert (org.institutions.filter(pl.col("level") == Level.TERTIARY.value)["alliance_id"].is_null()).any()
    assert json.loads(org.region.model_dump_json())["counties"] == list(org.counties)


def test_pools_sample_each_group_by_weight() -> None:
    pools = Pools.build(np.array([0, 0, 1, 1, 1]), np.array([10, 11, 20, 21, 22]), np.array([1.0, 3.0, 0.0, 1.0, 1.0]))
    rng = np.random.default_rng(0)
    groups = np.repeat([0, 1], 20_000)
    drawn = pools.sample(groups, rng.random(len(groups)))
    assert set(drawn[:20_000]) == {10, 11} and set(drawn[20_000:]) == {21, 22}
    assert (drawn[:20_000] == 11).mean() == pytest.approx(0.75, abs=0.02)
    assert pools.sample(np.array([0, 1]), np.array([1.0 - 1e-16, 1.0 - 1e-16])).tolist() == [11, 22]
    uniform = Pools.build(np.array([1, 0, 1]), np.array([20, 10, 21]))
    assert uniform.sample(np.array([0, 1, 1]), np.array([0.99, 0.0, 1.0 - 1e-16])).tolist() == [10, 20, 21]
    with pytest.raises(ValueError, match="empty pool"):
        Pools.build(np.array([0, 2]), np.array([1, 2]))
