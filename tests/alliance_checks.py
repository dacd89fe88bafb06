"""The money checks every alliance year must pass: shared by the case tests, the properties and the benchmark."""

from __future__ import annotations

import polars as pl

from yibao.alliance.settle import YearSettlement


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
