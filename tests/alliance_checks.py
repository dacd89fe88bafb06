"""The money checks every alliance year must pass: shared by the case tests, the properties and the benchmark."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from yibao.alliance.settle import YearSettlement
from yibao.defaults import DEMO_POLICY, DEMO_RULESET
from yibao.grouping import Grouper
from yibao.synth import GenerationParams, generate_case


def synthetic_year(folder: Path, n: int, params: GenerationParams | None = None) -> Path:
    """A case folder of `n` stays and their visits (made once, then reused): the stays grouped, base points from
    the year itself, the demo policy with its DRG budget scaled from the demo county's 1e5 stays."""
    grouped = folder / "claims" / "inpatient.parquet"
    if grouped.exists():
        return folder
    generate_case(folder, n, seed=7, ruleset=DEMO_RULESET, params=params)
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


def conserved(result: YearSettlement) -> None:
    """Fund → alliance → members, to the fen."""
    a = result.alliances
    outlay = a["county_fen"] + a["out_of_county_fen"] + a["package_fen"] + a["returned_fen"] - a["fund_share_fen"]
    assert (outlay == a["budget_fen"]).all()
    assert (a["budget_gross_fen"] == a["budget_fen"] + a["risk_reserve_fen"]).all()
    assert (a["actual_fen"] == a["inside_fen"] + a["county_fen"] + a["out_of_county_fen"]).all()
    assert (a["clearing_fen"] == a["package_fen"] - a["advance_fen"]).all()
    paid = dict(result.members.group_by("alliance_id").agg(pl.col("allocation_fen").sum()).iter_rows())
    assert paid == dict(a.select("alliance_id", "package_fen").iter_rows())
    months = dict(result.advances.group_by("alliance_id").agg(pl.col("advance_fen").sum()).iter_rows())
    assert months == dict(a.select("alliance_id", "advance_fen").iter_rows())
    gross = int(result.points.institutions["gross_fen"].sum())
    drg = result.charges.filter(pl.col("method") == "drg")
    share = int(result.points.institutions["patient_share_fen"].sum())
    assert int(drg["amount_fen"].sum()) == gross - share  # every point-settled fen charged once
    region = result.region.row(0, named=True)
    assert region["claims_read"] == region["claims_charged"] + region["claims_excluded"]
