"""The store's tables of schema version 1: the schema version, settlement runs and their statements (money in fen,
exact decimals as text).

No person key or other personal data is stored: the per-claim results live in the Parquet file a run points to,
and they hold claim ids, never person keys.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

RUN_KINDS = ("annual", "monthly", "what-if")
"""Kinds of run: the year's clearing (年度清算), a month's pre-settlement (月度预结算, period YYYY-MM), and a what-if
(测算) of either, never taken for the official run of its period."""


def _now() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A UTC timestamp, read back time-zone aware also where the database keeps none (SQLite)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def big() -> int:
    """A non-null BIGINT column: money in fen (a province's year overflows 32 bits) and counts."""
    return Field(sa_type=BigInteger, nullable=False)  # type: ignore[no-any-return]


EXACT = "exact"
"""The `info` flag of a column holding an exact decimal as text (read back as Decimal)."""


def exact(description: str = "exact decimal text", nullable: bool = False) -> Any:
    """A text column holding an exact decimal (points, ratios, scores), never a float."""
    return Field(default=None if nullable else ..., nullable=nullable, description=description,
                 sa_column_kwargs={"info": {EXACT: True}})  # fmt: skip


class SchemaVersion(SQLModel, table=True):
    """The store's schema version: one row (id 1)."""

    __tablename__ = "schema_version"
    id: int = Field(default=1, primary_key=True)
    version: int


class Run(SQLModel, table=True):
    """One settlement run: what it read (content hashes), which library settled it, and its row counts."""

    __tablename__ = "run"
    __table_args__ = (
        UniqueConstraint(
            "kind", "period", "claims_hash", "policy_hash", "tables_hash", "library_version", name="uq_run_inputs"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime, nullable=False)
    kind: str = Field(max_length=16, description="annual | monthly | what-if (RUN_KINDS)")
    period: str = Field(max_length=16, description="the policy year, e.g. 2025, or a month, e.g. 2025-03")
    claims_hash: str = Field(max_length=64, description="sha256 of the claims input")
    policy_hash: str = Field(max_length=64, description="sha256 of the policy file and every table it refers to")
    tables_hash: str = Field(
        max_length=64, description="sha256 of institutions, alliances, residents, prior indicators"
    )
    library_version: str = Field(max_length=32)
    status: str = Field(default="complete", max_length=16)
    rows_read: int = Field(sa_type=BigInteger)
    rows_accepted: int = Field(sa_type=BigInteger, description="claims charged")
    rows_rejected: int = Field(sa_type=BigInteger, description="claims set aside")
    claims_file: str = Field(description="the per-claim results (Parquet) of the run")
    claims_file_hash: str = Field(max_length=64)


class AllianceStatementRow(SQLModel, table=True):
    """One alliance's statement (医共体年度清算单) of a run: `YearSettlement.alliances`."""

    __tablename__ = "alliance_statement"
    run_id: int = Field(foreign_key="run.id", primary_key=True)
    alliance_id: str = Field(primary_key=True)
    name: str | None = None
    county: str
    residents: int = big()
    signed_residents: int = big()
    budget_gross_fen: int = big()
    risk_reserve_fen: int = big()
    budget_fen: int = big()
    inside_drg_fen: int = big()
    inside_fee_for_service_fen: int = big()
    capitation_fen: int = big()
    inside_fen: int = big()
    county_fen: int = big()
    out_of_county_fen: int = big()
    actual_fen: int = big()
    balance_fen: int = big()
    score: str | None = exact("assessment score as exact decimal text", nullable=True)
    retention_ratio: str | None = exact("as exact decimal text", nullable=True)
    retained_fen: int = big()
    returned_fen: int = big()
    overspend_fen: int = big()
    fund_share_fen: int = big()
    borne_fen: int = big()
    package_fen: int = big()
    advance_fen: int = big()
    clearing_fen: int = big()


class MemberRow(SQLModel, table=True):
    """One member institution's work points and allocation of a run: `YearSettlement.members`."""

    __tablename__ = "member_allocation"
    run_id: int = Field(foreign_key="run.id", primary_key=True)
    institution_id: str = Field(primary_key=True)
    alliance_id: str
    level: str
    work_points: str = exact()
    weight: str = exact()
    allocation_fen: int = big()
    drg_fen: int = big()
    fee_for_service_fen: int = big()


class DirectRow(SQLModel, table=True):
    """An institution outside any alliance, paid directly by the fund: `YearSettlement.direct`."""

    __tablename__ = "direct_payment"
    run_id: int = Field(foreign_key="run.id", primary_key=True)
    institution_id: str = Field(primary_key=True)
    level: str
    county: str | None = None
    claims: int = big()
    drg_fen: int = big()
    fee_for_service_fen: int = big()


def frame_columns(model: type[SQLModel]) -> list[str]:
    """A table's columns but run_id, in order: the columns of the frame it mirrors."""
    return [c.name for c in model.__table__.columns if c.name != "run_id"]  # type: ignore[attr-defined]


VERSION_1_TABLES = [SchemaVersion, Run, AllianceStatementRow, MemberRow, DirectRow]
"""The tables of schema version 1, parents first."""
