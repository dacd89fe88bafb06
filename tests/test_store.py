"""The settlement-run store: round trip, idempotence, new runs for changed inputs, rollback, concurrent writers,
schema versions, the CLI, and no personal data on record — on SQLite and on PostgreSQL (tests/databases.py)."""

from __future__ import annotations

import dataclasses
import hashlib
import multiprocessing
import re
import shutil
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, String, create_engine, func, inspect, select, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from typer.testing import CliRunner

import yibao
from tests.databases import DATABASES, postgres_database, store_database
from yibao.alliance.case_dir import load_year_case
from yibao.alliance.settle import YearSettlement, settle_year
from yibao.cli import app
from yibao.errors import StoreError
from yibao.settlement.monthly import month_of
from yibao.settlement.policy import load_policy
from yibao.store import (
    SCHEMA_VERSION,
    diff_runs,
    list_runs,
    open_store,
    record_month,
    record_year,
    run_frames,
    run_inputs,
    run_statements,
)
from yibao.store import record as record_module
from yibao.store import schema as schema_module
from yibao.store.detail_tables import SETTLEMENT_TABLES, VERSION_2_TABLES, IndicatorRow, PointMonthRegionRow
from yibao.store.hashes import bytes_hash, claims_hash, policy_tables
from yibao.store.read import FRAMES
from yibao.store.schema import STORE_TABLES, migrate, store_url
from yibao.store.tables import (
    VERSION_1_TABLES,
    AllianceStatementRow,
    DirectRow,
    MemberRow,
    Run,
    SchemaVersion,
    frame_columns,
)

CASE = Path(__file__).resolve().parents[1] / "settlement_cases" / "alliance-two-alliances"
runner = CliRunner()


@pytest.fixture
def case(tmp_path: Path) -> Path:
    """A copy of the worked case that a test may change."""
    folder = tmp_path / "case"
    shutil.copytree(CASE, folder, ignore=shutil.ignore_patterns("expected", "README.md"))
    return folder


@pytest.fixture(scope="module")
def settled() -> YearSettlement:
    return settle_year(load_year_case(CASE))


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'runs.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new PostgreSQL database's URL."""
    with postgres_database() as database:
        yield database


@pytest.fixture(params=DATABASES)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store's database URL: a SQLite file, or a new PostgreSQL database."""
    with store_database(request.param, tmp_path) as database:
        yield database


def _counts(engine: Engine) -> dict[str, int]:
    """Rows per table."""
    with engine.connect() as connection:
        return {
            model.__tablename__: connection.execute(select(func.count()).select_from(model.__table__)).scalar_one()
            for model in STORE_TABLES
        }


NO_RUN = {model.__tablename__: 0 for model in STORE_TABLES} | {"schema_version": 1}
"""Row counts of a store without runs."""
ONE_RUN = NO_RUN | {"run": 1, "alliance_statement": 2, "member_allocation": 6, "direct_payment": 1, "region_total": 1,
                    "point_region": 1, "point_month": 7 * 12, "point_institution": 7, "alliance_advance": 2 * 12,
                    "alliance_indicator": 2, "indicator_points": 2 * 3, "run_policy": 1, "run_input": 6}  # fmt: skip
"""Row counts of a store holding the worked case's run."""


def _settled_frame(result: YearSettlement, name: str) -> pl.DataFrame:
    """A `YearSettlement` frame by attribute path ("points.months"); a year has no month's region row."""
    if name == "points.month_region":
        return pl.DataFrame(schema=frame_columns(PointMonthRegionRow))
    frame: object = result
    for part in name.split("."):
        frame = getattr(frame, part)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _in_stored_order(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """A settled frame in the order the store gives it back: by its ids (institution or alliance, then month)."""
    keys = {"advances": ["alliance_id", "month"], "points.months": ["institution_id", "month"]}.get(
        name, [c for c in ("institution_id", "alliance_id") if c in frame.columns][:1]
    )
    return frame.sort(keys) if keys else frame


def _record(engine: Engine, folder: Path, out: Path) -> tuple[Run, bool]:
    return record_year(engine, folder, settle_year(load_year_case(folder)), out)


def test_round_trip(url: str, tmp_path: Path, settled: YearSettlement) -> None:
    engine = open_store(url)
    run, new = record_year(engine, CASE, settled, tmp_path / "out")
    assert new and run.id == 1
    assert (run.kind, run.period, run.status, run.library_version) == ("annual", "2025", "complete", yibao.__version__)
    region = settled.region.row(0, named=True)
    assert (run.rows_read, run.rows_accepted, run.rows_rejected) == (
        region["claims_read"], region["claims_charged"], region["claims_excluded"],
    )  # fmt: skip
    assert run.created_at.utcoffset() == timedelta(0)
    assert [r.created_at for r in list_runs(engine)] == [run.created_at]
    stored = run_statements(engine, run.id)
    for name in ("alliances", "members", "direct"):
        expected = getattr(settled, name).sort(stored[name].columns[0])
        assert stored[name].columns == expected.columns
        assert stored[name].to_dicts() == expected.to_dicts(), name
    claims_file = Path(run.claims_file)
    assert claims_file.parent == (tmp_path / "out").resolve() and claims_file.name.startswith("claims-")
    assert bytes_hash(claims_file.read_bytes()) == run.claims_file_hash
    assert pl.read_parquet(claims_file).equals(settled.claims.collect())


def test_recording_again_finds_the_run(url: str, tmp_path: Path, settled: YearSettlement) -> None:
    engine = open_store(url)
    first, _ = record_year(engine, CASE, settled, tmp_path / "out")
    before = _counts(engine)
    again, new = record_year(open_store(url), CASE, settle_year(load_year_case(CASE)), tmp_path / "out2")
    assert not new and again.id == first.id
    assert _counts(engine) == before == ONE_RUN
    assert not (tmp_path / "out2").exists()


def test_a_changed_policy_table_or_claims_file_makes_a_new_run(url: str, tmp_path: Path, case: Path) -> None:
    engine = open_store(url)
    first, _ = _record(engine, case, tmp_path / "out")
    assert case / "base_points.csv" in policy_tables(load_year_case(case).policy)
    table = case / "base_points.csv"
    lines = table.read_text(encoding="utf-8").splitlines()
    drg, points, *rest = lines[1].split(",")
    lines[1] = ",".join([drg, str(float(points) + 1), *rest])
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    second, new = _record(engine, case, tmp_path / "out")
    assert new and second.id != first.id
    assert second.policy_hash != first.policy_hash and second.claims_hash == first.claims_hash

    claims = case / "claims.csv"
    claims.write_text(claims.read_text(encoding="utf-8").replace("M01,", "M01x,", 1), encoding="utf-8")
    third, new = _record(engine, case, tmp_path / "out")
    assert new and third.id not in (first.id, second.id)
    assert third.claims_hash != second.claims_hash and third.policy_hash == second.policy_hash
    assert _counts(engine)["run"] == 3


def test_a_changed_organisation_table_makes_a_new_run(tmp_path: Path, case: Path) -> None:
    engine = open_store(_url(tmp_path))
    first, _ = _record(engine, case, tmp_path / "out")
    residents = case / "residents.csv"
    residents.write_text(residents.read_text(encoding="utf-8").replace(",false", ",true", 1), encoding="utf-8")
    second, new = _record(engine, case, tmp_path / "out")
    assert new and second.tables_hash != first.tables_hash


def test_a_province_sized_year_fits(url: str, tmp_path: Path, settled: YearSettlement) -> None:
    """Money and counts beyond 32 bits (a province's year in fen) are stored and read back exactly (BIGINT), in
    every frame of the run."""
    big = 2**40

    def scaled(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(
            pl.col(c) * big for c, t in frame.schema.items() if t.is_integer() and c not in ("year", "month")
        )

    points = settled.points
    province = dataclasses.replace(
        settled, alliances=scaled(settled.alliances), members=scaled(settled.members), direct=scaled(settled.direct),
        region=scaled(settled.region), advances=scaled(settled.advances), indicators=scaled(settled.indicators),
        points=dataclasses.replace(points, region=scaled(points.region), months=scaled(points.months),
                                   institutions=scaled(points.institutions)),
    )  # fmt: skip
    engine = open_store(url)
    run, _ = record_year(engine, CASE, province, tmp_path / "out")
    assert run.rows_read == settled.region["claims_read"][0] * big
    stored = run_frames(engine, run.id)
    assert stored["points.region"]["pool_fen"][0] == settled.points.region["pool_fen"][0] * big > 2**31
    for name, frame in stored.items():
        assert frame.to_dicts() == _in_stored_order(name, _settled_frame(province, name)).to_dicts(), name


def test_runs_come_back_in_code_point_order(url: str, tmp_path: Path, case: Path) -> None:
    """Statements and the version-2 frames, whatever the database's collation (the PostgreSQL test databases use
    ICU's, which puts "va" before "VB")."""
    for name in ("institutions.csv", "claims.csv"):
        table = case / name
        table.write_text(re.sub(r"\bVA\b", "va", table.read_text(encoding="utf-8")), encoding="utf-8")
    result = settle_year(load_year_case(case))
    engine = open_store(url)
    run, _ = record_year(engine, case, result, tmp_path / "out")
    members = run_statements(engine, run.id)["members"]
    assert members["institution_id"].to_list() == ["HA", "HB", "TA", "TB", "VB", "va"]
    assert members.to_dicts() == result.members.sort("institution_id").to_dicts()
    frames = run_frames(engine, run.id)
    for name in ("points.months", "points.institutions"):
        ids = frames[name]["institution_id"].unique(maintain_order=True).to_list()
        assert "va" in ids and ids == sorted(ids), name
        assert frames[name].to_dicts() == _in_stored_order(name, _settled_frame(result, name)).to_dicts(), name


def test_a_failure_midway_leaves_no_run(url: str, tmp_path: Path, settled: YearSettlement, monkeypatch) -> None:
    engine = open_store(url)

    def broken(*args: object) -> list:
        raise RuntimeError("disk full")

    monkeypatch.setattr(record_module, "_member_rows", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        record_year(engine, CASE, settled, tmp_path / "out")
    assert _counts(engine) == NO_RUN
    monkeypatch.undo()
    _, new = record_year(engine, CASE, settled, tmp_path / "out")
    assert new and _counts(engine)["member_allocation"] == settled.members.height


def test_a_failing_last_insert_takes_back_every_row_before_it(
    url: str, tmp_path: Path, settled: YearSettlement, monkeypatch
) -> None:
    """The input files are inserted last, after the region, point-method and indicator rows: one listed twice
    fails there, and the whole run is taken back."""
    engine = open_store(url)
    real = record_module._input_rows

    def twice(*args: object) -> list:
        *rows, (model, files) = real(*args)  # type: ignore[arg-type]
        return [*rows, (model, [*files, files[0]])]

    monkeypatch.setattr(record_module, "_input_rows", twice)
    with pytest.raises(IntegrityError):
        record_year(engine, CASE, settled, tmp_path / "out")
    assert _counts(engine) == NO_RUN


def _record_in_child(url: str, result: YearSettlement, out: str, barrier: Barrier, answers: Queue) -> None:
    engine = open_store(url)
    barrier.wait()
    run, new = record_year(engine, CASE, result, Path(out))
    answers.put((run.id, new))


def test_two_processes_recording_at_once_end_with_one_run(url: str, tmp_path: Path, settled: YearSettlement) -> None:
    context = multiprocessing.get_context("spawn")
    barrier, answers = context.Barrier(2), context.Queue()
    children = [
        context.Process(target=_record_in_child, args=(url, settled, str(tmp_path / "out"), barrier, answers))
        for _ in range(2)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=120)
    assert [child.exitcode for child in children] == [0, 0]
    results = sorted(answers.get(timeout=5) for _ in children)
    assert [run_id for run_id, _ in results] == [1, 1]
    assert sorted(new for _, new in results) == [False, True]
    engine = open_store(url)
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    assert _counts(engine)["run"] == 1 and _counts(engine)["alliance_statement"] == 2


def _migrate_in_child(url: str, barrier: Barrier, answers: Queue) -> None:
    engine = create_engine(store_url(url))
    with engine.connect():
        barrier.wait()
    try:
        with engine.begin() as connection:
            answers.put(migrate(connection))
    except SQLAlchemyError as error:
        answers.put(f"{type(error).__name__}: {error}")


@pytest.mark.parametrize("start", ["empty", "version 1"])
def test_postgres_migrations_at_once_take_turns(
    start: str, postgres_url: str, tmp_path: Path, settled: YearSettlement, monkeypatch
) -> None:
    """Creating a store, or migrating a version-1 store to version 2: each opener waits for the one before it (an
    advisory lock) rather than failing and leaning on `open_store`'s second look. (On SQLite the DDL runs outside
    pysqlite's transaction; concurrent openers rely on that second look.)"""
    old = _version_1_store(postgres_url, tmp_path / "out", settled, monkeypatch) if start == "version 1" else None
    context = multiprocessing.get_context("spawn")
    barrier, answers = context.Barrier(4), context.Queue()
    children = [context.Process(target=_migrate_in_child, args=(postgres_url, barrier, answers)) for _ in range(4)]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=120)
    assert [answers.get(timeout=5) for _ in children] == [SCHEMA_VERSION] * 4
    engine = open_store(postgres_url)
    with engine.connect() as connection:
        assert connection.execute(select(SchemaVersion.version)).scalar_one() == SCHEMA_VERSION
        assert {m.__tablename__ for m in STORE_TABLES} <= set(inspect(connection).get_table_names())
    assert _counts(engine)["schema_version"] == 1
    if old is not None:
        assert _counts(engine)["run"] == 1 and run_frames(engine, old.id)["points.months"].is_empty()


def test_losing_the_race_returns_the_run_the_other_writer_recorded(
    url: str, tmp_path: Path, settled: YearSettlement, monkeypatch
) -> None:
    engine = open_store(url)
    first, _ = record_year(engine, CASE, settled, tmp_path / "out")
    looks: list[Run | None] = []
    real_find = record_module.find_run

    def late(*args: object) -> Run | None:
        """The first look happens before the other writer commits: it finds nothing."""
        looks.append(None if not looks else real_find(*args))  # type: ignore[arg-type]
        return looks[-1]

    monkeypatch.setattr(record_module, "find_run", late)
    again, new = record_year(engine, CASE, settled, tmp_path / "out")
    assert len(looks) == 2 and not new and again.id == first.id
    assert _counts(engine)["run"] == 1 and _counts(engine)["alliance_statement"] == 2


def test_a_newer_schema_is_refused(url: str) -> None:
    engine = open_store(url)
    with engine.begin() as connection:
        connection.execute(SchemaVersion.__table__.update().values(version=SCHEMA_VERSION + 1))
    with pytest.raises(StoreError, match="newer than this library"):
        open_store(url)


def test_claims_hash_of_files_and_frames(tmp_path: Path) -> None:
    frame = pl.read_csv(CASE / "claims.csv")
    assert claims_hash(frame) == claims_hash(frame.clone())
    folder = tmp_path / "claims"
    folder.mkdir()
    frame.head(10).write_parquet(folder / "a.parquet")
    frame.tail(15).write_parquet(folder / "b.parquet")
    before = claims_hash(folder)
    (folder / "b.parquet").write_bytes((folder / "a.parquet").read_bytes())
    assert claims_hash(folder) != before


def test_cli_settle_records_then_runs_list_and_show(url: str, tmp_path: Path) -> None:
    url = url.replace("postgresql+psycopg://", "postgresql://")  # as bureau staff write it
    result = runner.invoke(app, ["settle", str(CASE), "--out", str(tmp_path / "out"), "--db", url])
    assert result.exit_code == 0, result.output
    assert "run 1 recorded" in result.output
    result = runner.invoke(app, ["settle", str(CASE), "--out", str(tmp_path / "out"), "--db", url])
    assert "run 1 already on record (same inputs)" in result.output
    listed = runner.invoke(app, ["runs", "list", "--db", url], terminal_width=160)
    assert listed.exit_code == 0, listed.output
    assert "annual" in listed.output and "2025" in listed.output and "complete" in listed.output
    shown = runner.invoke(app, ["runs", "show", "1", "--db", url], terminal_width=160)
    assert shown.exit_code == 0, shown.output
    assert "6,139.81" in shown.output and "7,151.16" in shown.output and "包干资金" in shown.output
    missing = runner.invoke(app, ["runs", "show", "9", "--db", url])
    assert missing.exit_code == 2 and "no run 9 on record" in missing.output and "Traceback" not in missing.output


def test_settle_without_db_records_nothing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["settle", str(CASE), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "yibao.db").exists() and "recorded" not in result.output


def test_no_person_key_on_record(url: str, tmp_path: Path, settled: YearSettlement) -> None:
    engine = open_store(url)
    run, _ = record_year(engine, CASE, settled, tmp_path / "out")
    keys = set(pl.read_csv(CASE / "residents.csv")["person_key"]) | set(pl.read_csv(CASE / "claims.csv")["person_key"])
    texts: list[str] = []
    with engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for column in inspect(connection).get_columns(table):
                if isinstance(column["type"], String):
                    query = text(f'SELECT "{column["name"]}" FROM "{table}"')
                    texts.extend(str(value) for value in connection.execute(query).scalars())
    assert texts and not [t for t in texts if any(key in t for key in keys)]
    assert "person_key" not in pl.read_parquet(run.claims_file).columns


def test_the_tables_hold_every_statement_column(settled: YearSettlement) -> None:
    for model, frame in ((AllianceStatementRow, settled.alliances), (MemberRow, settled.members),
                         (DirectRow, settled.direct)):  # fmt: skip
        assert set(frame.columns) <= set(model.__table__.columns.keys())
    for name, model in SETTLEMENT_TABLES.items():
        assert frame_columns(model) == _settled_frame(settled, name).columns
    measured = frame_columns(IndicatorRow)
    assert [c for c in settled.indicators.columns if c not in measured] == [
        "in_county_rate_points", "primary_care_rate_points", "signed_rate_points",
    ]  # fmt: skip


def test_every_frame_round_trips(url: str, tmp_path: Path, settled: YearSettlement) -> None:
    engine = open_store(url)
    run, _ = record_year(engine, CASE, settled, tmp_path / "out")
    stored = run_frames(engine, run.id)
    assert tuple(stored) == FRAMES
    for name, frame in stored.items():
        expected = _in_stored_order(name, _settled_frame(settled, name))
        assert frame.columns == expected.columns, name
        assert frame.height == expected.height > (-1 if name == "points.month_region" else 0), name
        assert frame.to_dicts() == expected.to_dicts(), name
    assert stored["points.months"].filter(pl.col("point_value").is_not_null()).height > 0
    assert str(stored["indicators"]["score"][0]) == "82.86" and str(stored["points.region"]["point_value"][0]) == (
        str(settled.points.region["point_value"][0])
    )


def test_the_inputs_snapshot(url: str, tmp_path: Path, settled: YearSettlement) -> None:
    engine = open_store(url)
    run, _ = record_year(engine, CASE, settled, tmp_path / "out")
    inputs = run_inputs(engine, run.id)
    assert inputs.policy_name == "policy.toml"
    assert inputs.policy_text == (CASE / "policy.toml").read_text(encoding="utf-8")
    files = inputs.files.select("role", "name").rows()
    assert files == [
        ("claims", "claims.csv"), ("policy", "base_points.csv"), ("policy", "policy.toml"),
        ("tables", "alliances.csv"), ("tables", "institutions.csv"), ("tables", "residents.csv"),
    ]  # fmt: skip
    for name, sha256, size in inputs.files.select("name", "sha256", "size").iter_rows():
        data = (CASE / name).read_bytes()
        assert (sha256, size) == (hashlib.sha256(data).hexdigest(), len(data)), name
    with pytest.raises(StoreError, match="no run 7 on record"):
        run_inputs(engine, 7)


def _version_1_store(url: str, out: Path, settled: YearSettlement, monkeypatch: pytest.MonkeyPatch) -> Run:
    """A store as the version-1 library wrote it (its tables only, its rows only), with the worked case's run."""
    with monkeypatch.context() as old_library:
        old_library.setattr(schema_module, "MIGRATIONS", schema_module.MIGRATIONS[:1])
        old_library.setattr(schema_module, "SCHEMA_VERSION", 1)
        old_library.setattr(record_module, "_detail_rows", lambda *args: [])
        old_library.setattr(record_module, "_input_rows", lambda *args: [])
        old, _ = record_year(open_store(url), CASE, settled, out)
    engine = create_engine(store_url(url))
    with engine.connect() as connection:
        assert connection.execute(select(SchemaVersion.version)).scalar_one() == 1
        assert not inspect(connection).has_table("point_month")
    engine.dispose()
    return old


def test_a_version_1_store_is_migrated_in_place(
    url: str, tmp_path: Path, case: Path, settled: YearSettlement, monkeypatch
) -> None:
    """A store written by the version-1 library opens as the current version and keeps its run; the run has no
    version-2 rows, and a new run records them all."""
    old = _version_1_store(url, tmp_path / "out", settled, monkeypatch)
    engine = open_store(url)
    with engine.connect() as connection:
        assert connection.execute(select(SchemaVersion.version)).scalar_one() == SCHEMA_VERSION == 3
        assert {m.__tablename__ for m in VERSION_2_TABLES} <= set(inspect(connection).get_table_names())
    frames = run_frames(engine, old.id)
    assert frames["alliances"].to_dicts() == settled.alliances.sort("alliance_id").to_dicts()
    assert frames["points.months"].is_empty() and frames["points.months"].columns == settled.points.months.columns
    assert run_inputs(engine, old.id).policy_text is None and run_inputs(engine, old.id).files.is_empty()
    claims = case / "claims.csv"
    claims.write_text(claims.read_text(encoding="utf-8").replace("M01,", "M01x,", 1), encoding="utf-8")
    new, recorded = _record(engine, case, tmp_path / "out")
    assert recorded and new.id == old.id + 1
    version_1 = {model.__tablename__ for model in VERSION_1_TABLES} - {"schema_version"}
    assert _counts(engine) == {name: n * 2 if name in version_1 else n for name, n in ONE_RUN.items()}
    diff = diff_runs(engine, old.id, new.id)
    assert diff.without_snapshot == (old.id,) and diff.causes["item"].to_list() == ["claims"]
    assert diff.files.is_empty() and diff.parameters.is_empty() and diff.region.is_empty()


def test_the_policy_hash_covers_every_table_the_policy_refers_to() -> None:
    history = CASE.parent / "history-base-points"
    assert [p.name for p in policy_tables(load_policy(history / "policy.toml"))] == [
        "history-2022.csv", "history-2023.csv", "history-2024.csv",
    ]  # fmt: skip
    review = CASE.parent / "special-review"
    assert {p.name for p in policy_tables(load_policy(review / "policy.toml"))} == {"base_points.csv", "special.csv"}


def test_a_claims_folder_is_listed_file_by_file(url: str, tmp_path: Path, case: Path) -> None:
    claims = pl.read_csv(case / "claims.csv", infer_schema=False)
    (case / "claims.csv").unlink()
    (case / "claims").mkdir()
    claims.head(10).write_parquet(case / "claims" / "a.parquet")
    claims.tail(15).write_parquet(case / "claims" / "b.parquet")
    engine = open_store(url)
    run, _ = _record(engine, case, tmp_path / "out")
    files = run_inputs(engine, run.id).files.filter(pl.col("role") == "claims")
    assert files["name"].to_list() == ["claims/a.parquet", "claims/b.parquet"]
    assert files["sha256"].to_list() == [
        hashlib.sha256((case / "claims" / name).read_bytes()).hexdigest() for name in ("a.parquet", "b.parquet")
    ]
    assert run.claims_hash == claims_hash(case / "claims")


def test_postgres_urls_use_psycopg() -> None:
    assert store_url("postgresql://u:p@db.example/yibao").drivername == "postgresql+psycopg"
    assert store_url("postgres://u:p@db.example/yibao").drivername == "postgresql+psycopg"
    assert store_url("postgresql+psycopg2://u:p@db.example/yibao").drivername == "postgresql+psycopg2"
    assert store_url("sqlite:///yibao.db").drivername == "sqlite"


def test_bad_database_urls_are_one_sentence_without_the_password(monkeypatch) -> None:
    unreachable = runner.invoke(app, ["runs", "list", "--db", "postgresql://yibao:s3cret@127.0.0.1:1/yibao"])
    assert unreachable.exit_code == 2 and "Traceback" not in unreachable.output
    assert "cannot open the store postgresql+psycopg://yibao:***@127.0.0.1:1/yibao: connection failed" in " ".join(
        unreachable.output.split()
    )
    assert "s3cret" not in unreachable.output
    malformed = runner.invoke(app, ["runs", "list", "--db", "postgresql://yibao:s3cret@host:port/yibao"])
    assert malformed.exit_code == 2 and "not one SQLAlchemy reads" in malformed.output
    assert "s3cret" not in malformed.output
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(StoreError, match=r"its driver is not installed \(pip install 'yibao\[postgres\]'\)"):
        open_store("postgresql://yibao:s3cret@127.0.0.1:1/yibao")


def test_a_version_2_store_is_migrated_in_place(url: str, tmp_path: Path, settled: YearSettlement, monkeypatch) -> None:
    """A store of the version-2 library gains the month's region table and keeps its run; a month's run goes in."""
    with monkeypatch.context() as old_library:
        old_library.setattr(schema_module, "MIGRATIONS", schema_module.MIGRATIONS[:2])
        old_library.setattr(schema_module, "SCHEMA_VERSION", 2)
        old, _ = record_year(open_store(url), CASE, settled, tmp_path / "out")
        with open_store(url).connect() as connection:
            assert not inspect(connection).has_table("point_month_region")
    engine = open_store(url)
    with engine.connect() as connection:
        assert connection.execute(select(SchemaVersion.version)).scalar_one() == SCHEMA_VERSION
        assert inspect(connection).has_table("point_month_region")
    assert _counts(engine) == ONE_RUN
    frames = run_frames(engine, old.id)
    assert frames["points.month_region"].is_empty() and frames["alliances"].height == 2
    month = month_of(settle_year(load_year_case(CASE, month=3)), 3)
    run, new = record_month(engine, CASE, month, tmp_path / "out")
    assert new and (run.kind, run.period) == ("monthly", "2025-03")
    assert _counts(engine)["point_month_region"] == 1


def test_a_second_opener_waits_for_a_slow_first_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite: while one opener creates the schema, another waits for its commit and then finds the schema in
    place (before, it saw the tables without their version row, ran the steps again and failed on the row)."""
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    version, step = schema_module.MIGRATIONS[-1]
    runs: list[int] = []

    def slow(connection: object) -> None:
        runs.append(version)
        step(connection)  # type: ignore[arg-type]
        time.sleep(1.0)

    monkeypatch.setattr(schema_module, "MIGRATIONS", [*schema_module.MIGRATIONS[:-1], (version, slow)])
    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(open_store, url)
        time.sleep(0.3)
        second = pool.submit(open_store, url)
        engines = [first.result(), second.result()]
    assert runs == [version]
    with engines[1].connect() as connection:
        assert schema_module.stored_version(connection) == schema_module.SCHEMA_VERSION
