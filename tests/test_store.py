"""The settlement-run store: round trip, idempotence, new runs for changed inputs, rollback, concurrent writers,
schema versions, the CLI, and no personal data on record — on SQLite and on PostgreSQL (tests/databases.py)."""

from __future__ import annotations

import dataclasses
import multiprocessing
import re
import shutil
import sys
from collections.abc import Iterator
from datetime import timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, String, create_engine, func, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError
from typer.testing import CliRunner

import yibao
from tests.databases import postgres_database
from yibao.alliance.case_dir import load_year_case
from yibao.alliance.settle import YearSettlement, settle_year
from yibao.cli import app
from yibao.errors import StoreError
from yibao.settlement.policy import load_policy
from yibao.store import SCHEMA_VERSION, list_runs, open_store, record_year, run_statements
from yibao.store import record as record_module
from yibao.store.hashes import bytes_hash, claims_hash, policy_tables
from yibao.store.schema import migrate, store_url
from yibao.store.tables import STORE_TABLES, AllianceStatementRow, DirectRow, MemberRow, Run, SchemaVersion

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


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store's database URL: a SQLite file, or a new PostgreSQL database."""
    return _url(tmp_path) if request.param == "sqlite" else request.getfixturevalue("postgres_url")


def _counts(engine: Engine) -> dict[str, int]:
    """Rows per table."""
    with engine.connect() as connection:
        return {
            model.__tablename__: connection.execute(select(func.count()).select_from(model.__table__)).scalar_one()
            for model in STORE_TABLES
        }


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
    assert pl.read_parquet(claims_file).equals(settled.claims)


def test_recording_again_finds_the_run(url: str, tmp_path: Path, settled: YearSettlement) -> None:
    engine = open_store(url)
    first, _ = record_year(engine, CASE, settled, tmp_path / "out")
    before = _counts(engine)
    again, new = record_year(open_store(url), CASE, settle_year(load_year_case(CASE)), tmp_path / "out2")
    assert not new and again.id == first.id
    assert _counts(engine) == before == {"schema_version": 1, "run": 1, "alliance_statement": 2,
                                         "member_allocation": 6, "direct_payment": 1}  # fmt: skip
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
    """Money and counts beyond 32 bits (a province's year in fen) are stored and read back exactly (BIGINT)."""
    big = 2**40

    def scaled(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(pl.col(c) * big for c, t in frame.schema.items() if t.is_integer())

    province = dataclasses.replace(settled, alliances=scaled(settled.alliances), members=scaled(settled.members),
                                   direct=scaled(settled.direct), region=scaled(settled.region))  # fmt: skip
    engine = open_store(url)
    run, _ = record_year(engine, CASE, province, tmp_path / "out")
    assert run.rows_read == settled.region["claims_read"][0] * big
    stored = run_statements(engine, run.id)
    for name in ("alliances", "members", "direct"):
        assert stored[name].to_dicts() == getattr(province, name).sort(stored[name].columns[0]).to_dicts(), name


def test_statements_come_back_in_code_point_order(url: str, tmp_path: Path, case: Path) -> None:
    """Whatever the database's collation (the PostgreSQL test databases use ICU's, which puts "va" before "VB")."""
    for name in ("institutions.csv", "claims.csv"):
        table = case / name
        table.write_text(re.sub(r"\bVA\b", "va", table.read_text(encoding="utf-8")), encoding="utf-8")
    result = settle_year(load_year_case(case))
    engine = open_store(url)
    run, _ = record_year(engine, case, result, tmp_path / "out")
    members = run_statements(engine, run.id)["members"]
    assert members["institution_id"].to_list() == ["HA", "HB", "TA", "TB", "VB", "va"]
    assert members.to_dicts() == result.members.sort("institution_id").to_dicts()


def test_a_failure_midway_leaves_no_run(url: str, tmp_path: Path, settled: YearSettlement, monkeypatch) -> None:
    engine = open_store(url)

    def broken(*args: object) -> list:
        raise RuntimeError("disk full")

    monkeypatch.setattr(record_module, "_member_rows", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        record_year(engine, CASE, settled, tmp_path / "out")
    assert _counts(engine) == {"schema_version": 1, "run": 0, "alliance_statement": 0, "member_allocation": 0,
                               "direct_payment": 0}  # fmt: skip
    monkeypatch.undo()
    _, new = record_year(engine, CASE, settled, tmp_path / "out")
    assert new and _counts(engine)["member_allocation"] == settled.members.height


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


def test_postgres_migrations_at_once_take_turns(postgres_url: str) -> None:
    """Each waits for the one before it (an advisory lock) rather than failing and leaning on `open_store`'s second
    look. (On SQLite the DDL runs outside pysqlite's transaction; concurrent openers rely on that second look.)"""
    context = multiprocessing.get_context("spawn")
    barrier, answers = context.Barrier(4), context.Queue()
    children = [context.Process(target=_migrate_in_child, args=(postgres_url, barrier, answers)) for _ in range(4)]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=120)
    assert [answers.get(timeout=5) for _ in children] == [SCHEMA_VERSION] * 4
    assert _counts(open_store(postgres_url))["schema_version"] == 1


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


def test_a_point_method_settlement_is_not_recorded_yet(tmp_path: Path) -> None:
    case = CASE.parent / "hospital-report"
    result = runner.invoke(app, ["settle", str(case), "--out", str(tmp_path / "out"), "--db", _url(tmp_path)])
    assert result.exit_code == 2 and "only alliance settlements are recorded" in result.output
    assert not (tmp_path / "out").exists()


def test_the_policy_hash_covers_every_table_the_policy_refers_to() -> None:
    history = CASE.parent / "history-base-points"
    assert [p.name for p in policy_tables(load_policy(history / "policy.toml"))] == [
        "history-2022.csv", "history-2023.csv", "history-2024.csv",
    ]  # fmt: skip
    review = CASE.parent / "special-review"
    assert {p.name for p in policy_tables(load_policy(review / "policy.toml"))} == {"base_points.csv", "special.csv"}


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
