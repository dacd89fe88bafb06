"""Recording a settlement as a run — a year (annual), a month (monthly) or a what-if of either: idempotent, in one
transaction, the per-claim results beside it."""

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
from yibao.alliance.case_dir import year_case_files
from yibao.alliance.settle import YearSettlement
from yibao.errors import StoreError
from yibao.settlement.case_dir import case_files
from yibao.settlement.monthly import MonthSettlement
from yibao.settlement.settle import Settlement
from yibao.store.content import RunContent, run_content
from yibao.store.detail_tables import FRAME_TABLES, IndicatorPointsRow, IndicatorRow, InputFileRow, PolicySnapshot
from yibao.store.hashes import hash_files
from yibao.store.inputs import CaseInputs, InputHashes, case_inputs
from yibao.store.schema import reason
from yibao.store.tables import RUN_KINDS, AllianceStatementRow, DirectRow, MemberRow, Run, frame_columns

ANNUAL, MONTHLY, WHAT_IF = RUN_KINDS


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def write_claims_file(claims: pl.LazyFrame, out: Path) -> tuple[Path, str]:
    """The per-claim results as `out/claims-<hash16>.parquet` (content-addressed, streamed to disk, never held
    whole in memory); path and the file's sha256."""
    out.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=out, prefix=".claims-", suffix=".part")
    os.close(handle)
    try:
        claims.sink_parquet(temporary, compression="lz4")
        digest = hash_files([Path(temporary)])[1][0].sha256
        path = out / f"claims-{digest[:16]}.parquet"
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return path.resolve(), digest


def find_run(session: Session, kind: str, period: str, hashes: InputHashes, version: str) -> Run | None:
    """The complete run of this kind and period, of these inputs under this library version, if one is on record."""
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


def _statement_rows(run_id: int, alliances: pl.DataFrame) -> list[AllianceStatementRow]:
    return [
        AllianceStatementRow(
            run_id=run_id, **{**row, "score": _text(row["score"]), "retention_ratio": _text(row["retention_ratio"])}
        )
        for row in alliances.iter_rows(named=True)
    ]


def _member_rows(run_id: int, members: pl.DataFrame) -> list[MemberRow]:
    return [
        MemberRow(run_id=run_id, **{**row, "work_points": str(row["work_points"]), "weight": str(row["weight"])})
        for row in members.iter_rows(named=True)
    ]


def _direct_rows(run_id: int, direct: pl.DataFrame) -> list[DirectRow]:
    return [DirectRow(run_id=run_id, **row) for row in direct.iter_rows(named=True)]


Rows = list[tuple[type[SQLModel], list[dict[str, Any]]]]
"""Rows to insert, table by table (as plain values: one executemany per table, not one object per row)."""


def _values(run_id: int, frame: pl.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as column values with the run id (exact decimals as text)."""
    return [
        {"run_id": run_id, **{k: str(v) if isinstance(v, Decimal) else v for k, v in row.items()}}
        for row in frame.iter_rows(named=True)
    ]


def _detail_rows(run_id: int, frames: dict[str, pl.DataFrame]) -> Rows:
    """The region, point-method, month and advance rows, and the indicators with their points one row per
    indicator: those of `frames` the run has."""
    rows: Rows = [(model, _values(run_id, frames[name])) for name, model in FRAME_TABLES.items() if name in frames]
    indicators = frames.get("indicators")
    if indicators is None:
        return rows
    measured = frame_columns(IndicatorRow)
    rows.append((IndicatorRow, _values(run_id, indicators.select(measured))))
    scored = [c for c in indicators.columns if c not in measured and c.endswith("_points")]
    earned = [
        {"run_id": run_id, "alliance_id": row["alliance_id"], "indicator": column.removesuffix("_points"),
         "position": position, "points": str(row[column])}
        for row in indicators.select("alliance_id", *scored).iter_rows(named=True)
        for position, column in enumerate(scored, start=1)
    ]  # fmt: skip
    return [*rows, (IndicatorPointsRow, earned)]


def _input_rows(run_id: int, inputs: CaseInputs) -> Rows:
    """The policy text and every input file's name and sha256."""
    return [
        (PolicySnapshot, [{"run_id": run_id, "name": inputs.policy_name, "text": inputs.policy_text}]),
        (InputFileRow, [{"run_id": run_id, **asdict(f)} for f in inputs.files]),
    ]


def _insert(session: Session, rows: Rows) -> None:
    for model, values in rows:
        if values:
            session.connection().execute(model.__table__.insert(), values)  # type: ignore[attr-defined]


def _record(engine: Engine, kind: str, content: RunContent, inputs: CaseInputs, out: Path) -> tuple[Run, bool]:
    """Record `content` as a run of `kind` unless the same run is on record (see `record_year`)."""
    if inputs.in_memory and kind != WHAT_IF:
        raise StoreError(f"the policy settled is not its file's (built or changed in Python): record the {kind} run "
                         f'as a what-if (kind="{WHAT_IF}"), or settle from a policy file')  # fmt: skip
    hashes, period, version = inputs.hashes, content.period, yibao.__version__
    with Session(engine, expire_on_commit=False) as session:
        found = find_run(session, kind, period, hashes, version)
        if found is not None:
            return found, False
    claims_file, claims_file_hash = write_claims_file(content.claims, Path(out))
    run = Run(
        kind=kind, period=period, claims_hash=hashes.claims, policy_hash=hashes.policy, tables_hash=hashes.tables,
        library_version=version, status="complete", rows_read=content.read, rows_accepted=content.charged,
        rows_rejected=content.excluded, claims_file=claims_file.as_posix(), claims_file_hash=claims_file_hash,
    )  # fmt: skip
    frames, empty = content.frames, pl.DataFrame()
    try:
        with Session(engine, expire_on_commit=False) as session:
            session.add(run)
            session.flush()
            assert run.id is not None
            session.add_all(_statement_rows(run.id, frames.get("alliances", empty)))
            session.add_all(_member_rows(run.id, frames.get("members", empty)))
            session.add_all(_direct_rows(run.id, frames.get("direct", empty)))
            _insert(session, [*_detail_rows(run.id, frames), *_input_rows(run.id, inputs)])
            session.commit()
    except IntegrityError:
        # The same run was recorded by another process between our look and our insert.
        with Session(engine, expire_on_commit=False) as session:
            found = find_run(session, kind, period, hashes, version)
        if found is None:
            raise
        return found, False
    except DBAPIError as error:
        raise StoreError(f"the run could not be recorded (nothing was written to the store): {reason(error)}") from None
    return run, True


def _inputs(
    folder: Path, content: RunContent, policy_file: Path | None, claims: Path | None, institutions: Path | None
) -> CaseInputs:
    """The inputs the case read: an alliance case's (with alliances and residents) or a point-method case's."""
    find = year_case_files if content.alliance else case_files
    return case_inputs(folder, content.policy, find(folder, policy_file, claims, institutions))


def record_year(
    engine: Engine,
    case_folder: Path,
    result: YearSettlement | Settlement,
    out: Path,
    policy_file: Path | None = None,
    claims: Path | None = None,
    institutions: Path | None = None,
    *,
    kind: str = ANNUAL,
) -> tuple[Run, bool]:
    """Record a year's settlement of `case_folder` — an alliance year, or the point method alone — as a run of
    `kind` "annual" or "what-if" (files given elsewhere as for `load_year_case` / `load_case`).

    The run of the same kind, inputs, period and library version is returned as it is (False: nothing written);
    otherwise the per-claim results go to `out/` as Parquet, then the run, its statements, the region,
    point-method, advance and indicator rows, and the snapshot of its inputs (policy text, every file's sha256) are
    inserted in one transaction (True). Two processes recording the same inputs at once end with one run. A policy
    that is not its file's (changed in Python) is recorded by its own TOML text, as a what-if only.
    """
    if kind not in (ANNUAL, WHAT_IF):
        raise ValueError(f"a year's run is of kind {ANNUAL!r} or {WHAT_IF!r}, not {kind!r}")
    case_folder = Path(case_folder)
    content = run_content(result)
    return _record(engine, kind, content, _inputs(case_folder, content, policy_file, claims, institutions), out)


def record_month(
    engine: Engine,
    case_folder: Path,
    result: MonthSettlement,
    out: Path,
    policy_file: Path | None = None,
    claims: Path | None = None,
    institutions: Path | None = None,
    *,
    kind: str = MONTHLY,
) -> tuple[Run, bool]:
    """Record a month's pre-settlement (`monthly.month_of`) as a run of `kind` "monthly" or "what-if", period
    `YYYY-MM`: the month's point-method rows, its region row and the alliances' advances of the month, as
    `record_year` records a year (the inputs are the files read, the claims file whole)."""
    if kind not in (MONTHLY, WHAT_IF):
        raise ValueError(f"a month's run is of kind {MONTHLY!r} or {WHAT_IF!r}, not {kind!r}")
    case_folder = Path(case_folder)
    content = run_content(result)
    return _record(engine, kind, content, _inputs(case_folder, content, policy_file, claims, institutions), out)
