"""The tables schema versions 2 and 3 add: everything else a report or a diff of a run needs, a snapshot of its
inputs (version 2), and the region row of a month's run (version 3).

Each settlement table mirrors one `YearSettlement` frame, its columns in the frame's order (the reader takes the
column list from here): money BIGINT fen, exact decimals as text, rates as float. No person key is stored.
"""

from __future__ import annotations

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from yibao.store.tables import big, exact


class RegionTotalRow(SQLModel, table=True):
    """The region's totals of a run (one row): `YearSettlement.region`."""

    __tablename__ = "region_total"
    run_id: int = Field(foreign_key="run.id", primary_key=True)
    claims_read: int = big()
    claims_charged: int = big()
    claims_excluded: int = big()
    alliances: int = big()
    budget_fen: int = big()
    risk_reserve_fen: int = big()
    actual_fen: int = big()
    retained_fen: int = big()
    returned_fen: int = big()
    fund_share_fen: int = big()
    borne_fen: int = big()
    package_fen: int = big()
    uncovered_fen: int = big()


class PointRegionRow(SQLModel, table=True):
    """The point method's region row of a run (点值, pool, gross …): `YearSettlement.points.region`."""

    __tablename__ = "point_region"
    run_id: int = Field(foreign_key="run.id", primary_key=True)
    year: int
    cases: int = big()
    excluded: int = big()
    fund_budget_fen: int = big()
    patient_share_fen: int = big()
    pool_fen: int = big()
    points: str = exact()
    point_value: str = exact("the year's point value (元/点) as exact decimal text")
    gross_fen: int = big()
    deductions_fen: int = big()
    prepaid_fen: int = big()
    deposit_withheld_fen: int = big()
    deposit_returned_fen: int = big()
    balance_fen: int = big()


class PointMonthRow(SQLModel, table=True):
    """月度预结算 of one institution and month: `YearSettlement.points.months` (the point value by month)."""

    __tablename__ = "point_month"
    run_id: int = Field(foreign_key="run.id", primary_key=True)
    institution_id: str = Field(primary_key=True)
    month: int = Field(primary_key=True)
    cases: int = big()
    points: str = exact()
    point_value: str | None = exact("the month's provisional point value; null in a month without cases", True)
    gross_fen: int = big()
    patient_share_fen: int = big()
    advance_fen: int = big()
    deposit_fen: int = big()
    paid_fen: int = big()


class PointInstitutionRow(SQLModel, table=True):
    """年度清算 of one institution by the point method: `YearSettlement.points.institutions`."""

    __tablename__ = "point_institution"
    run_id: int = Field(foreign_key="run.id", primary_key=True)
    institution_id: str = Field(primary_key=True)
    level: str
    alliance_id: str | None = None
    cases: int = big()
    points: str = exact()
    point_value: str = exact()
    patient_share_fen: int = big()
    gross_fen: int = big()
    deductions_fen: int = big()
    prepaid_fen: int = big()
    deposit_withheld_fen: int = big()
    deposit_returned_fen: int = big()
    balance_fen: int = big()


class PointMonthRegionRow(SQLModel, table=True):
    """A month's run (月度预结算): the region's totals of the month and so far — `MonthSettlement.region`."""

    __tablename__ = "point_month_region"
    run_id: int = Field(foreign_key="run.id", primary_key=True)
    year: int
    month: int
    cases: int = big()
    excluded: int = big()
    budget_fen: int = big()
    patient_share_fen: int = big()
    points: str = exact()
    point_value: str | None = exact("the month's provisional point value; null in a month without cases", True)
    gross_fen: int = big()
    advance_fen: int = big()
    deposit_fen: int = big()
    paid_fen: int = big()
    cases_to_date: int = big()
    budget_to_date_fen: int = big()
    gross_to_date_fen: int = big()
    advance_to_date_fen: int = big()
    deposit_to_date_fen: int = big()
    paid_to_date_fen: int = big()


class AdvanceRow(SQLModel, table=True):
    """One alliance's advance (预付) of one month: `YearSettlement.advances`."""

    __tablename__ = "alliance_advance"
    run_id: int = Field(foreign_key="run.id", primary_key=True)
    alliance_id: str = Field(primary_key=True)
    month: int = Field(primary_key=True)
    advance_fen: int = big()


class IndicatorRow(SQLModel, table=True):
    """One alliance's assessment (考核): counts, rates, score and retention ratio — `YearSettlement.indicators`
    without the per-indicator points, which are in `indicator_points` (the indicators scored depend on the policy)."""

    __tablename__ = "alliance_indicator"
    run_id: int = Field(foreign_key="run.id", primary_key=True)
    alliance_id: str = Field(primary_key=True)
    county: str
    residents: int = big()
    signed_residents: int = big()
    visits: int = big()
    in_county_visits: int = big()
    primary_care_visits: int = big()
    down_referrals: int = big()
    up_referral_visits: int = big()
    down_referral_visits: int = big()
    outpatient_visits: int = big()
    inpatient_stays: int = big()
    in_county_rate: float | None = None
    primary_care_rate: float | None = None
    signed_rate: float | None = None
    down_up_ratio: float | None = None
    outpatient_cost_per_visit: float | None = None
    inpatient_cost_per_stay: float | None = None
    down_referral_growth: float | None = None
    outpatient_cost_growth: float | None = None
    inpatient_cost_growth: float | None = None
    score: str | None = exact("assessment score as exact decimal text", nullable=True)
    retention_ratio: str | None = exact("as exact decimal text", nullable=True)


class IndicatorPointsRow(SQLModel, table=True):
    """The points one alliance earned on one scored indicator (`<indicator>_points` of `indicators`)."""

    __tablename__ = "indicator_points"
    run_id: int = Field(foreign_key="run.id", primary_key=True)
    alliance_id: str = Field(primary_key=True)
    indicator: str = Field(primary_key=True)
    position: int = Field(description="the indicator's place among the policy's scored indicators")
    points: str = exact()


class PolicySnapshot(SQLModel, table=True):
    """The policy file a run settled under, its full text (TOML) as read."""

    __tablename__ = "run_policy"
    run_id: int = Field(foreign_key="run.id", primary_key=True)
    name: str = Field(description="the file's name, relative to the case folder when inside it")
    text: str = Field(sa_type=Text)


class InputFileRow(SQLModel, table=True):
    """One file a run read: claims, the policy and its tables, or an organisation table."""

    __tablename__ = "run_input"
    run_id: int = Field(foreign_key="run.id", primary_key=True)
    role: str = Field(primary_key=True, max_length=16, description="claims | policy | tables (the run's hashes)")
    name: str = Field(primary_key=True, description="relative to the case folder when inside it")
    sha256: str = Field(max_length=64, description="the file's own sha256 (what sha256sum prints)")
    size: int = big()


SETTLEMENT_TABLES = {
    "region": RegionTotalRow,
    "advances": AdvanceRow,
    "points.region": PointRegionRow,
    "points.months": PointMonthRow,
    "points.institutions": PointInstitutionRow,
}
"""The `YearSettlement` frames (by attribute path) stored one column per column."""
FRAME_TABLES = {**SETTLEMENT_TABLES, "points.month_region": PointMonthRegionRow}
"""Every frame stored one column per column: the `YearSettlement` frames and a month's region row."""
VERSION_2_TABLES = [*SETTLEMENT_TABLES.values(), IndicatorRow, IndicatorPointsRow, PolicySnapshot, InputFileRow]
"""The tables schema version 2 adds."""
VERSION_3_TABLES = [PointMonthRegionRow]
"""The tables schema version 3 adds."""
