"""Reading runs back: the list, one run, and a run's statements as frames in the settlement's columns."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, select

from yibao.alliance.settle import STATEMENT_COLUMNS
from yibao.errors import StoreError
from yibao.store.tables import AllianceStatementRow, DirectRow, MemberRow, Run

MEMBER_COLUMNS = ("institution_id", "alliance_id", "level", "work_points", "weight", "allocation_fen", "drg_fen",
                  "fee_for_service_fen")  # fmt: skip
DIRECT_COLUMNS = ("institution_id", "level", "county", "claims", "drg_fen", "fee_for_service_fen")
DECIMAL_COLUMNS = ("score", "retention_ratio", "work_points", "weight")
"""Stored as exact text; read back as Decimal."""


def list_runs(engine: Engine) -> list[Run]:
    """Every run on record, oldest first."""
    with Session(engine) as session:
        return list(session.exec(select(Run).order_by(Run.id)))  # type: ignore[arg-type]


def get_run(engine: Engine, run_id: int) -> Run:
    """One run; an unknown id is a StoreError."""
    with Session(engine) as session:
        run = session.get(Run, run_id)
    if run is None:
        raise StoreError(f"no run {run_id} on record in {engine.url.render_as_string(hide_password=True)}")
    return run


def _frame(engine: Engine, model: type[SQLModel], run_id: int, columns: tuple[str, ...], key: str) -> pl.DataFrame:
    """A run's rows of one table, sorted by `key` as polars sorts (by code point, whatever the database's collation),
    in the settlement's columns (exact decimals as Decimal)."""
    table = model.__table__  # type: ignore[attr-defined]
    with engine.connect() as connection:
        rows = connection.execute(table.select().where(table.c.run_id == run_id)).mappings()
        records = [
            {c: Decimal(row[c]) if c in DECIMAL_COLUMNS and row[c] is not None else row[c] for c in columns}
            for row in rows
        ]
    if not records:
        return pl.DataFrame(schema=columns)
    return pl.DataFrame(records, schema=list(columns), orient="row").sort(key)


def run_statements(engine: Engine, run_id: int) -> dict[str, pl.DataFrame]:
    """A run's alliance statements, member allocations and direct payments, as `YearSettlement` frames (by id)."""
    get_run(engine, run_id)
    return {
        "alliances": _frame(engine, AllianceStatementRow, run_id, STATEMENT_COLUMNS, "alliance_id"),
        "members": _frame(engine, MemberRow, run_id, MEMBER_COLUMNS, "institution_id"),
        "direct": _frame(engine, DirectRow, run_id, DIRECT_COLUMNS, "institution_id"),
    }
