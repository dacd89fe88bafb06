"""Recording a year's settlement as a run: idempotent, in one transaction, the per-claim results beside it."""

from __future__ import annotations

import os
import tempfile
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, SQLModel, select

import yibao
from yibao.alliance.settle import YearSettlement
from yibao.errors import StoreError
from yibao.store.detail_tables import (
    SETTLEMENT_TABLES,
    IndicatorPointsRow,
    IndicatorRow,
    InputFileRow,
    PolicySnapshot,
)
from yibao.store.hashes import bytes_hash, frame_parquet
from yibao.store.inputs import InputHashes, YearInputs, year_inputs
from yibao.store.schema import reason
from yibao.store.tables import AllianceStatementRow, DirectRow, MemberRow, Run, frame_columns

ANNUAL = "annual"


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def write_claims_file(claims: pl.DataFrame, out: Path) -> tuple[Path, str]:
    """The per-claim results as `out/claims-<hash16>.parquet` (content-addressed, written whole); path and hash."""
    data = frame_parquet(claims)
    digest = bytes_hash(data)
    path = out / f"claims-{digest[:16]}.parquet"
    if not path.is_file():
        out.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=out, prefix=".claims-", suffix=".part")
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    return path.resolve(), digest


def find_run(session: Session, kind: str, period: str, hashes: InputHashes, version: str) -> Run | None:
    """The complete run of these inputs under this library version, if one is on record."""
    query = select(Run).where(
        Run.kind == kind,
        Run.period == period,
        Run.claims_hash == hashes.claims,
        Run.policy_hash == hashes.policy,
        Run.tables_hash == hashes.tables,
        Run.library_version == version,
        Run.status == "complete",
    )
    return session.exec(query).first()


def _statement_rows(run_id: int, result: YearSettlement) -> list[AllianceStatementRow]:
    return [
        AllianceStatementRow(
            run_id=run_id, **{**row, "score": _text(row["score"]), "retention_ratio": _text(row["retention_ratio"])}
        )
        for row in result.alliances.iter_rows(named=True)
    ]


def _member_rows(run_id: int, result: YearSettlement) -> list[MemberRow]:
    return [
        MemberRow(run_id=run_id, **{**row, "work_points": str(row["work_points"]), "weight": str(row["weight"])})
        for row in result.members.iter_rows(named=True)
    ]


def _direct_rows(run_id: int, result: YearSettlement) -> list[DirectRow]:
    return [DirectRow(run_id=run_id, **row) for row in result.direct.iter_rows(named=True)]


Rows = list[tuple[type[SQLModel], list[dict[str, Any]]]]
"""Rows to insert, table by table (as plain values: one executemany per table, not one object per row)."""


def _values(run_id: int, frame: pl.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as column values with the run id (exact decimals as text)."""
    return [
        {"run_id": run_id, **{k: str(v) if isinstance(v, Decimal) else v for k, v in row.items()}}
        for row in frame.iter_rows(named=True)
    ]


def _attribute(result: YearSettlement, path: str) -> pl.DataFrame:
    """A frame of the settlement by its attribute path, e.g. "points.months"."""
    value: object = result
    for part in path.split("."):
        value = getattr(value, part)
    assert isinstance(value, pl.DataFrame)
    return value


def _detail_rows(run_id: int, result: YearSettlement) -> Rows:
    """The region, point-method and advance rows, and the indicators with their points one row per indicator."""
    rows: Rows = [(model, _values(run_id, _attribute(result, name))) for name, model in SETTLEMENT_TABLES.items()]
    measured = frame_columns(IndicatorRow)
    rows.append((IndicatorRow, _values(run_id, result.indicators.select(measured))))
    scored = [c for c in result.indicators.columns if c not in measured and c.endswith("_points")]
    earned = [
        {"run_id": run_id, "alliance_id": row["alliance_id"], "indicator": column.removesuffix("_points"),
         "position": position, "points": str(row[column])}
        for row in result.indicators.select("alliance_id", *scored).iter_rows(named=True)
        for position, column in enumerate(scored, start=1)
    ]  # fmt: skip
    return [*rows, (IndicatorPointsRow, earned)]


def _input_rows(run_id: int, inputs: YearInputs) -> Rows:
    """The policy text and every input file's name and sha256."""
    return [
        (PolicySnapshot, [{"run_id": run_id, "name": inputs.policy_name, "text": inputs.policy_text}]),
        (InputFileRow, [{"run_id": run_id, **asdict(f)} for f in inputs.files]),
    ]


def _insert(session: Session, rows: Rows) -> None:
    for model, values in rows:
        if values:
            session.connection().execute(model.__table__.insert(), values)  # type: ignore[attr-defined]


def record_year(
    engine: Engine,
    case_folder: Path,
    result: YearSettlement,
    out: Path,
    policy_file: Path | None = None,
    claims: Path | None = None,
    institutions: Path | None = None,
) -> tuple[Run, bool]:
    """Record an annual settlement of `case_folder` (files given elsewhere as for `load_year_case`).

    The run of the same inputs, period and library version is returned as it is (False: nothing written);
    otherwise the per-claim results go to `out/` as Parquet, then the run, its statements, the region, point-method,
    advance and indicator rows, and the snapshot of its inputs (policy text, every file's sha256) are inserted in
    one transaction (True). Two processes recording the same inputs at once end with one run.
    """
    case_folder = Path(case_folder)
    inputs = year_inputs(case_folder, result.points.policy, policy_file, claims, institutions)
    hashes = inputs.hashes
    period, version = str(result.points.policy.year), yibao.__version__
    with Session(engine, expire_on_commit=False) as session:
        found = find_run(session, ANNUAL, period, hashes, version)
        if found is not None:
            return found, False
    claims_file, claims_file_hash = write_claims_file(result.claims.collect(), Path(out))
    region = result.region.row(0, named=True)
    run = Run(
        kind=ANNUAL, period=period, claims_hash=hashes.claims, policy_hash=hashes.policy, tables_hash=hashes.tables,
        library_version=version, status="complete", rows_read=region["claims_read"],
        rows_accepted=region["claims_charged"], rows_rejected=region["claims_excluded"],
        claims_file=claims_file.as_posix(), claims_file_hash=claims_file_hash,
    )  # fmt: skip
    try:
        with Session(engine, expire_on_commit=False) as session:
            session.add(run)
            session.flush()
            assert run.id is not None
            session.add_all(_statement_rows(run.id, result))
            session.add_all(_member_rows(run.id, result))
            session.add_all(_direct_rows(run.id, result))
            _insert(session, [*_detail_rows(run.id, result), *_input_rows(run.id, inputs)])
            session.commit()
    except IntegrityError:
        # The same run was recorded by another process between our look and our insert.
        with Session(engine, expire_on_commit=False) as session:
            found = find_run(session, ANNUAL, period, hashes, version)
        if found is None:
            raise
        return found, False
    except DBAPIError as error:
        raise StoreError(f"the run could not be recorded (nothing was written to the store): {reason(error)}") from None
    return run, True
