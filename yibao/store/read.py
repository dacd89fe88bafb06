"""Reading runs back: the list, one run, its frames in the settlement's columns, and the snapshot of its inputs."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import polars as pl
from sqlalchemy import BigInteger, Boolean, Engine, Float, Integer, Table
from sqlmodel import Session, SQLModel, select

from yibao.alliance.settle import STATEMENT_COLUMNS
from yibao.errors import StoreError
from yibao.store.detail_tables import FRAME_TABLES, IndicatorPointsRow, IndicatorRow, InputFileRow, PolicySnapshot
from yibao.store.tables import EXACT, AllianceStatementRow, DirectRow, MemberRow, Run, frame_columns

MEMBER_COLUMNS = ("institution_id", "alliance_id", "level", "work_points", "weight", "allocation_fen", "drg_fen",
                  "fee_for_service_fen")  # fmt: skip
DIRECT_COLUMNS = ("institution_id", "level", "county", "claims", "drg_fen", "fee_for_service_fen")
FRAMES = ("alliances", "members", "direct", "region", "advances", "indicators", "points.region", "points.months",
          "points.institutions", "points.month_region")  # fmt: skip
"""The frames `run_frames` gives, named by their `YearSettlement` attribute path (`points.month_region`: the region
row of a month's run, `MonthSettlement.region`)."""


@dataclass(frozen=True)
class RunInputs:
    """What a run read: its policy file's name and full text, and every input file (role, name, sha256, size).
    A run recorded before schema version 2 has no snapshot: None, None and no files."""

    policy_name: str | None
    policy_text: str | None
    files: pl.DataFrame


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


def _dtype(table: Table, column: str, values: list) -> pl.DataType:
    """The polars type of a stored column: exact text as Decimal (to its widest scale), integers as Int64."""
    sql = table.c[column]
    if sql.info.get(EXACT):
        scales = [-v.as_tuple().exponent for v in values if v is not None]
        return pl.Decimal(38, max([0, *scales]))
    if isinstance(sql.type, Integer | BigInteger):
        return pl.Int64()
    if isinstance(sql.type, Float):
        return pl.Float64()
    return pl.Boolean() if isinstance(sql.type, Boolean) else pl.String()


def _frame(engine: Engine, model: type[SQLModel], run_id: int, columns: tuple[str, ...] | None = None) -> pl.DataFrame:
    """A run's rows of one table in `columns` (default: the table's, without run_id; they include the primary key),
    exact decimals as Decimal, sorted by primary key as polars sorts (by code point, whatever the database's
    collation)."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    columns = columns or tuple(frame_columns(model))
    key = [c.name for c in table.primary_key.columns if c.name != "run_id"]
    with engine.connect() as connection:
        rows = connection.execute(table.select().where(table.c.run_id == run_id)).mappings().all()
    values = {
        c: [Decimal(r[c]) if table.c[c].info.get(EXACT) and r[c] is not None else r[c] for r in rows] for c in columns
    }
    frame = pl.DataFrame({c: pl.Series(c, v, dtype=_dtype(table, c, v)) for c, v in values.items()})
    return frame.sort(key) if key else frame


def _indicators(engine: Engine, run_id: int) -> pl.DataFrame:
    """`indicators` as settled: the measured columns, `<indicator>_points` in the policy's order, score, ratio."""
    measured = _frame(engine, IndicatorRow, run_id)
    earned = _frame(engine, IndicatorPointsRow, run_id)
    if earned.is_empty():
        return measured
    names = earned.sort("position").unique("indicator", keep="first", maintain_order=True)["indicator"].to_list()
    wide = earned.pivot("indicator", index="alliance_id", values="points").select(
        "alliance_id", *(pl.col(name).alias(f"{name}_points") for name in names)
    )
    tail = ["score", "retention_ratio"]
    return (
        measured.drop(tail)
        .join(wide, on="alliance_id", how="left", maintain_order="left")
        .hstack(measured.select(tail))
    )


def run_statements(engine: Engine, run_id: int) -> dict[str, pl.DataFrame]:
    """A run's alliance statements, member allocations and direct payments, as `YearSettlement` frames (by id)."""
    get_run(engine, run_id)
    return {
        "alliances": _frame(engine, AllianceStatementRow, run_id, STATEMENT_COLUMNS),
        "members": _frame(engine, MemberRow, run_id, MEMBER_COLUMNS),
        "direct": _frame(engine, DirectRow, run_id, DIRECT_COLUMNS),
    }


def run_frames(engine: Engine, run_id: int) -> dict[str, pl.DataFrame]:
    """Every stored frame of a run (FRAMES), in the settlement's columns, rows by id (institution, alliance, month);
    the frames a run does not have are empty: a point-method run has no alliance frames, a month's run only its
    month's rows, its region row and advances, and a run recorded before schema version 2 only its statements."""
    frames = run_statements(engine, run_id)
    frames.update({name: _frame(engine, model, run_id) for name, model in FRAME_TABLES.items()})
    frames["indicators"] = _indicators(engine, run_id)
    return {name: frames[name] for name in FRAMES}


def run_inputs(engine: Engine, run_id: int) -> RunInputs:
    """The snapshot of a run's inputs: the policy text and every file it read with its sha256 (by role — claims,
    policy, tables — then name)."""
    get_run(engine, run_id)
    with Session(engine) as session:
        policy = session.get(PolicySnapshot, run_id)
    files = _frame(engine, InputFileRow, run_id)
    return RunInputs(
        policy_name=None if policy is None else policy.name,
        policy_text=None if policy is None else policy.text,
        files=files,
    )
