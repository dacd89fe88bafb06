"""Point-method settlement on a year of grouped stays: the numba core, a "what if" re-settlement, the full run.

Goal (settlement issue): the numba core (case points, sums, point value, monthly and annual clearing) settles 1e7
claims in under 1 second after warm-up, and a parameter change re-settles without re-reading or re-grouping.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from benchmarks.conftest import DATA, SIZES, claim_files, per_second
from yibao.defaults import DEMO_RULESET
from yibao.io.write import write_frame
from yibao.rules.bulk import group_frame
from yibao.rules.compiled import compiled
from yibao.rules.load import load_ruleset
from yibao.settlement import Policy, SettlementCases, load_policy, prepare_cases, read_institutions, settle
from yibao.settlement.clearing import read_deductions
from yibao.settlement.history import group_costs
from yibao.settlement.settle import settle_core
from yibao.settlement.tables import resolve

POLICY = """
name = "benchmark"
year = 2025
[budget]
fund_budget = "{budget}"
[base_points]
table = "base.csv"
mean_cost_all = "{mean_all}"
[coefficients]
method = "level"
levels = {{ "三级" = 1.1, "二级" = 1.0, "一级" = 0.9, "基层" = 0.85, "村卫生室" = 0.8 }}
[case_classes]
low_ratio = {low}
mid_band_upper = 0.8
los_outside_min = 60
[readmission]
days = 15
[monthly]
quality_deposit_ratio = 0.03
"""


@dataclass(frozen=True)
class Year:
    cases: SettlementCases
    folder: Path


def _grouped(n: int) -> Path:
    """The synthetic year grouped once with the demo ruleset (cached beside the claims)."""
    path = DATA / f"grouped-{n}.parquet"
    if not path.exists():
        parquet, _ = claim_files(n)
        columns = ["claim_id", "person_key", "institution_id", "admission_date", "discharge_date", "los_days",
                   "discharge_mode", "total_cost", "own_share", "self_pay_cost", "sex", "age", "age_days",
                   "birth_weight_g", "diagnoses", "procedures"]  # fmt: skip
        grouped = group_frame(pl.read_parquet(parquet, columns=columns), compiled(load_ruleset(DEMO_RULESET)))
        write_frame(grouped.drop("diagnoses", "procedures"), path)
    return path


def _write_policy(folder: Path, mean_all: float, budget: str, low: float) -> Policy:
    (folder / "policy.toml").write_text(POLICY.format(budget=budget, mean_all=f"{mean_all:.2f}", low=low), "utf-8")
    return load_policy(folder / "policy.toml")


@pytest.fixture(scope="module", params=SIZES, ids=lambda n: f"{n:.0e}")
def year(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Year:
    n = request.param
    grouped = pl.read_parquet(_grouped(n))
    institutions = read_institutions(DATA / f"case-{n}" / "institutions.csv")
    folder = tmp_path_factory.mktemp(f"policy-{n}")
    costs = group_costs([(grouped, 1)], fence=None)  # the year as its own history: base points near 100
    write_frame(
        costs.groups.with_columns(base_points=pl.col("mean_cost") / costs.mean_cost_all * 100), folder / "base.csv"
    )
    (folder / "mean_all").write_text(str(costs.mean_cost_all))
    return Year(prepare_cases(grouped, institutions, 2025), folder)


def _policy(year: Year, budget: str = "0.00", low: float = 0.4) -> Policy:
    mean_all = float((year.folder / "mean_all").read_text())
    if budget == "0.00":
        budget = f"{float(year.cases.cost_fen.sum()) / 100 * 0.7:.2f}"
    return _write_policy(year.folder, mean_all, budget, low)


def test_settlement_core(benchmark, year: Year) -> None:
    """Case points, sums per institution and month, point value, monthly pre-settlement and clearing."""
    policy = _policy(year)
    tables = resolve(policy, year.cases)
    settle_core(year.cases, tables, policy, [])  # warm-up: numba's cached compilation
    core = benchmark.pedantic(settle_core, args=(year.cases, tables, policy, []), rounds=5, iterations=1)
    assert sum(core.clearing.gross_fen) == core.clearing.pool_fen
    benchmark.extra_info["claims"] = len(year.cases)
    benchmark.extra_info["claims_per_s"] = per_second(benchmark, len(year.cases))


def _what_if(year: Year, budget: str, low: float) -> int:
    """Re-settle after a policy change: reload the policy, resolve it, run the core (nothing re-read or re-grouped)."""
    policy = _policy(year, budget, low)
    core = settle_core(year.cases, resolve(policy, year.cases), policy, read_deductions(policy, year.cases))
    return core.clearing.point_value_units


def test_what_if_parameter_change(benchmark, year: Year) -> None:
    """The question a bureau asks: a 3 % larger budget and a low-ratio threshold of 0.5 instead of 0.4."""
    base_budget = float(year.cases.cost_fen.sum()) / 100 * 0.7
    before = _what_if(year, f"{base_budget:.2f}", 0.4)
    after = benchmark.pedantic(_what_if, args=(year, f"{base_budget * 1.03:.2f}", 0.5), rounds=5, iterations=1)
    assert after != before
    benchmark.extra_info["claims"] = len(year.cases)


def test_full_settlement_with_frames(benchmark, year: Year) -> None:
    """`settle`: the core plus the per-case explanation, institution, month and region frames."""
    policy = _policy(year)
    settle(year.cases, policy)
    result = benchmark.pedantic(settle, args=(year.cases, policy), rounds=3, iterations=1)
    assert result.cases.height == len(year.cases)
    assert result.cases.height + result.excluded.height == year.cases.read


def test_prepare_cases(benchmark, year: Year) -> None:
    """Reading the grouped year and encoding it once (institutions, groups, months, readmission gaps)."""
    n = year.cases.read
    institutions = read_institutions(DATA / f"case-{n}" / "institutions.csv")

    def prepare() -> int:
        return len(prepare_cases(pl.read_parquet(_grouped(n)), institutions, 2025))

    assert benchmark.pedantic(prepare, rounds=3, iterations=1) == len(year.cases)
