"""The command line: validate, synth, settle and demo, their summaries and their one-sentence errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from tests.test_io_messy import TEXT
from yibao.cli import app

runner = CliRunner()


def test_validate_writes_accepted_and_rejects(tmp_path: Path) -> None:
    source = tmp_path / "claims.csv"
    source.write_text(TEXT, encoding="gb18030")
    result = runner.invoke(app, ["validate", str(source), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "claims.csv" in result.output
    assert pl.read_parquet(tmp_path / "out" / "claims.accepted.parquet").height == 1
    assert pl.read_csv(tmp_path / "out" / "claims.rejects.csv").height == 9


def test_errors_are_one_sentence(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "missing.csv"), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "missing.csv: no such file" in result.output
    assert "Traceback" not in result.output


def test_a_refused_file_does_not_hide_the_others(tmp_path: Path) -> None:
    """Three files, the middle one with a ragged row: the other two are checked and counted, the middle one's error
    is shown, and the exit code says a file was refused."""
    paths = [tmp_path / name for name in ("january.csv", "february.csv", "march.csv")]
    for path in paths:
        path.write_text(TEXT, encoding="utf-8")
    paths[1].write_text(TEXT.replace(",钱七,", ",钱,七,"), encoding="utf-8")
    result = runner.invoke(app, ["validate", *map(str, paths), "--out", str(tmp_path / "out")], terminal_width=160)
    assert result.exit_code == 2
    assert "january.csv" in result.stdout and "march.csv" in result.stdout
    assert "february.csv: cannot be parsed" in result.stderr and "february.csv" not in result.stdout
    written = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert written == [f"{m}.{kind}" for m in ("january", "march") for kind in ("accepted.parquet", "rejects.csv")]


def test_synth_then_validate(tmp_path: Path) -> None:
    result = runner.invoke(app, ["synth", "--scale", "2000", "--seed", "3", "--out", str(tmp_path / "case")])
    assert result.exit_code == 0, result.output
    inpatient = sorted((tmp_path / "case" / "claims").glob("inpatient-*.parquet"))
    assert inpatient and sum(pl.scan_parquet(p).select(pl.len()).collect().item() for p in inpatient) == 2000
    result = runner.invoke(app, ["validate", *map(str, inpatient), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output


def test_demo(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--out", str(tmp_path)], terminal_width=160)
    assert result.exit_code == 0, result.output
    assert "1,100,000 of 1,100,000 claims accepted" in result.output
    grouped = pl.read_parquet(tmp_path / "grouped" / "inpatient.parquet")
    assert grouped.height == 100_000 and set(grouped["group_status"]) <= {"SUCCESS", "FAIL", "CHECK_FAILED"}
    assert (grouped["group_status"] == "SUCCESS").mean() > 0.95
    assert "CHS-DRG 分组 grouping" in result.output
    statements = pl.read_parquet(tmp_path / "settlement" / "results" / "alliances.parquet")
    assert statements.height == 4 and "医共体年度清算" in result.output
    members = pl.read_parquet(tmp_path / "settlement" / "results" / "members.parquet")
    paid = dict(members.group_by("alliance_id").agg(pl.col("allocation_fen").sum()).iter_rows())
    assert paid == dict(statements.select("alliance_id", "package_fen").iter_rows())


def test_settle_writes_the_alliance_statements(tmp_path: Path) -> None:
    case = Path(__file__).resolve().parents[1] / "settlement_cases" / "alliance-two-alliances"
    result = runner.invoke(app, ["settle", str(case), "--out", str(tmp_path)], terminal_width=160)
    assert result.exit_code == 0, result.output
    assert "包干资金" in result.output and "NA" in result.output
    for name in ("alliances", "members", "direct", "advances", "indicators", "charges", "region", "excluded"):
        assert (tmp_path / f"{name}.csv").is_file() and (tmp_path / f"{name}.parquet").is_file()
    assert pl.read_parquet(tmp_path / "claims.parquet").height == pl.read_csv(case / "claims.csv").height
    sheets = pl.read_excel(tmp_path / "settlement.xlsx", sheet_id=0)
    assert list(sheets)[:2] == ["医共体年度清算", "成员单位分配"]
    statement = sheets["医共体年度清算"]
    assert statement["医共体包干资金(元)"].cast(pl.String).to_list() == ["6139.81", "7151.16"]


def test_inputs_with_the_same_name_are_refused(tmp_path: Path) -> None:
    for month in ("m1", "m2"):
        (tmp_path / month).mkdir()
        (tmp_path / month / "claims.csv").write_text(TEXT, encoding="utf-8")
    files = [str(tmp_path / m / "claims.csv") for m in ("m1", "m2")]
    result = runner.invoke(app, ["validate", *files, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "share this name" in result.output


def test_explain_prints_the_trail() -> None:
    from tests.conftest import CHS_DRG_11

    if not (CHS_DRG_11 / "oracle_dev.csv").is_file():
        import pytest

        pytest.skip(f"the CHS-DRG 1.1 tables are not at {CHS_DRG_11}")
    line = (CHS_DRG_11 / "oracle_dev.csv").read_text(encoding="utf-8").splitlines()[3]
    result = runner.invoke(app, ["explain", line, "--ruleset", str(CHS_DRG_11)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "MDCF / FR2 / FR21  SUCCESS" in result.output
    assert "A23.200" in result.output and "MCC" in result.output


def test_group_with_the_rules_engine(tmp_path: Path) -> None:
    from tests.conftest import DEMO_RULESET

    source = tmp_path / "records.csv"
    source.write_text(
        "id,gender,age,age_days,birth_weight_g,diagnoses,procedures\n1,1,0,3,1000,P07.200,\n2,3,40,,,I10.x00,\n"
    )
    for engine in ("bulk", "rules"):
        out = tmp_path / f"{engine}.csv"
        result = runner.invoke(
            app, ["group", str(source), "--ruleset", str(DEMO_RULESET), "--out", str(out), "--engine", engine]
        )
        assert result.exit_code == 0, result.output
        assert pl.read_csv(out)["drg"].to_list() == ["PS15", "0000"]


def test_commands_start_without_the_store_and_charts() -> None:
    """`yibao validate` and the other commands that need neither do not wait for SQLAlchemy and matplotlib to load."""
    probe = "import sys, yibao.cli; print(sorted(m for m in ('matplotlib', 'sqlalchemy') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    assert done.stdout.strip() == "[]"
