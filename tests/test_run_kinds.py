"""Runs of every kind — the point method's year, a month's pre-settlement (月度预结算), a what-if (测算) — recorded,
listed, shown, compared and reported, on SQLite and on PostgreSQL (tests/databases.py); a month's rows equal the
year's when the later months' stays are absent."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from tests.databases import DATABASES, store_database
from yibao import cli
from yibao.alliance.case_dir import load_year_case
from yibao.alliance.settle import settle_year
from yibao.cli import app
from yibao.errors import InputError, StoreError
from yibao.report.html import render_run_html
from yibao.report.run import load_run_report
from yibao.report.run_excel import write_run_workbook
from yibao.settlement import Settlement, settle
from yibao.settlement.case_dir import load_case
from yibao.settlement.clearing import month_budgets
from yibao.settlement.monthly import month_of, parse_month
from yibao.settlement.policy import load_policy
from yibao.settlement.policy_text import policy_toml, read_policy_text
from yibao.store import diff_runs, get_run, list_runs, open_store, record_month, record_year, run_frames, run_inputs

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "settlement_cases"
HOSPITAL, MONTHLY, ALLIANCE, READMISSION = (
    CASES / name for name in ("hospital-report", "monthly-clearing", "alliance-two-alliances", "readmission")
)
WHAT_IF_POLICY = ROOT / "docs" / "examples" / "what-if-2025.toml"
runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's tables as a wide terminal shows them (cells not cut)."""
    monkeypatch.setattr(cli.console, "width", 200)


@pytest.fixture(params=DATABASES)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store's database URL: a SQLite file, or a new PostgreSQL database."""
    with store_database(request.param, tmp_path) as database:
        yield database


def _settle(folder: Path, month: int | None = None) -> Settlement:
    policy, cases = load_case(folder, month=month)
    return settle(cases, policy)


def _cli(*words: str) -> str:
    result = runner.invoke(app, list(words), terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


# A month's pre-settlement (月度预结算)


@pytest.mark.parametrize("month", range(1, 13))
def test_a_month_is_the_year_s_month_without_the_later_stays(month: int) -> None:
    """monthly-clearing (no readmissions, no special reviews): month M settled from the stays discharged through M
    has the rows of month M of the whole year's settlement, to the fen; the region row sums them, and so far."""
    year = _settle(MONTHLY)
    result = month_of(_settle(MONTHLY, month), month)
    assert result.points.cases["month"].to_list() == [m for m in year.cases["month"] if m <= month]
    expected = year.months.filter(pl.col("month") == month)
    assert result.months.equals(expected)
    so_far = year.months.filter(pl.col("month") <= month)
    assert result.points.months.filter(pl.col("month") <= month).equals(so_far)
    region = result.region.row(0, named=True)
    assert (region["year"], region["month"], region["cases"]) == (2025, month, expected["cases"].sum())
    assert region["budget_fen"] == month_budgets(year.policy)[month - 1]
    assert region["budget_to_date_fen"] == sum(month_budgets(year.policy)[:month])
    assert region["point_value"] == (expected["point_value"][0] if expected["cases"].sum() else None)
    for column in ("gross_fen", "advance_fen", "deposit_fen", "paid_fen"):
        assert region[column] == expected[column].sum()
        assert region[column.replace("_fen", "_to_date_fen")] == so_far[column].sum()
    assert region["cases_to_date"] == so_far["cases"].sum() == result.points.cases.height
    assert region["paid_fen"] == region["advance_fen"] - region["deposit_fen"]


def test_a_readmission_settles_an_earlier_month_again() -> None:
    """R02 (discharged 28 January) is followed by R03 (admitted 12 February, same DRG, 15 days): January's run pays
    R02 in full; once February's stays are in, the year pays it half — so January's row changes."""
    january = month_of(_settle(READMISSION, 1), 1)
    year = _settle(READMISSION)
    flagged = dict(year.cases.select("claim_id", "readmission").iter_rows())
    assert flagged["R02"] and not dict(january.points.cases.select("claim_id", "readmission").iter_rows())["R02"]
    h1 = pl.col("institution_id") == "H1"
    then, now = january.months.filter(h1).row(0, named=True), year.months.filter(h1, month=1).row(0, named=True)
    assert then["points"] > now["points"] and then["cases"] == now["cases"]


def test_a_month_names_the_rows_it_sets_aside_as_the_year_does(tmp_path: Path) -> None:
    """The stays after the month are left out, not renumbered: a stay set aside names its line in the file."""
    folder = tmp_path / "case"
    shutil.copytree(MONTHLY, folder, ignore=shutil.ignore_patterns("expected", "README.md"))
    claims = folder / "claims.csv"
    lines = claims.read_text(encoding="utf-8").splitlines()
    late = lines[1].replace("M01,", "M90,").replace("2025-01-02,2025-01-16", "2024-12-02,2024-12-16")
    claims.write_text("\n".join([*lines, late]) + "\n", encoding="utf-8")
    year, january = _settle(folder), _settle(folder, 1)
    assert year.excluded.select("claim_id", "row").rows() == [("M90", 10)]
    assert january.excluded.select("claim_id", "row").rows() == [("M90", 10)]
    assert january.cases.height == 3 and year.cases.height == 9


def test_an_alliance_month(tmp_path: Path) -> None:
    """The point method's month and each alliance's advance of the month, from the claims through the month; in this
    county (one alliance's coverage decided by visits) they equal the year's in March."""
    year = settle_year(load_year_case(ALLIANCE))
    march = month_of(settle_year(load_year_case(ALLIANCE, month=3)), 3)
    assert march.alliances is not None and march.period == "2025-03"
    assert march.advances.equals(year.advances.filter(pl.col("month") == 3)) and march.advances.height == 2
    assert march.months.equals(year.points.months.filter(pl.col("month") == 3))
    assert set(march.tables()) == {"months", "month_region", "advances", "cases", "excluded"}
    lazy = month_of(settle_year(load_year_case(ALLIANCE, lazy=True, month=3)), 3)  # read from the files in batches
    assert lazy.advances.equals(march.advances) and lazy.region.equals(march.region)
    assert lazy.alliances is not None and lazy.alliances.region.equals(march.alliances.region)


def test_month_text() -> None:
    assert parse_month("2025-03", 2025) == 3 and parse_month(" 2025-12 ", 2025) == 12
    for text, reason in (("2025-13", "is not a month"), ("2025-00", "is not a month"), ("March", "is not a month"),
                         ("2024-03", "outside the policy's year 2025")):  # fmt: skip
        with pytest.raises(InputError, match=reason):
            parse_month(text, 2025)


def test_cli_month_errors_are_one_sentence(tmp_path: Path) -> None:
    for month, reason in (("2025-13", "'2025-13' is not a month: write YYYY-MM, e.g. 2025-03"),
                          ("2024-03", "2024-03 is outside the policy's year 2025"),
                          ("march", "'march' is not a month")):  # fmt: skip
        result = runner.invoke(app, ["settle", str(MONTHLY), "--month", month, "--out", str(tmp_path / "out")])
        assert result.exit_code == 2 and f"--month: {reason}" in " ".join(result.output.split())
        assert "Traceback" not in result.output and not (tmp_path / "out").exists()
    result = runner.invoke(app, ["settle", str(ALLIANCE), "--month", "2025-01", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "no stay of 2025 has points to settle" in " ".join(result.output.split())


def test_monthly_runs_recorded_listed_shown_and_diffed(url: str, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    first = _cli("settle", str(MONTHLY), "--month", "2025-01", "--out", out, "--db", url)
    assert "run 1 recorded (monthly 2025-01)" in first and "累计 to date" in first
    assert "run 2 recorded (monthly 2025-02)" in _cli("settle", str(MONTHLY), "--month", "2025-02", "--out", out,
                                                      "--db", url)  # fmt: skip
    again = _cli("settle", str(MONTHLY), "--month", "2025-02", "--out", out, "--db", url)
    assert "run 2 already on record (same inputs)" in again
    assert "run 3 recorded (annual 2025)" in _cli("settle", str(MONTHLY), "--out", str(tmp_path / "year"), "--db", url)
    engine = open_store(url)
    assert [(r.id, r.kind, r.period) for r in list_runs(engine)] == [
        (1, "monthly", "2025-01"), (2, "monthly", "2025-02"), (3, "annual", "2025"),
    ]  # fmt: skip
    assert {r.claims_hash for r in list_runs(engine)} == {get_run(engine, 3).claims_hash}
    listed = _cli("runs", "list", "--db", url)
    assert re.search(r"2\s*│[^│]*│\s*monthly\s*│\s*2025-02", listed)

    february = month_of(_settle(MONTHLY, 2), 2)
    frames = run_frames(engine, 2)
    assert frames["points.months"].to_dicts() == february.months.sort("institution_id").to_dicts()
    assert frames["points.month_region"].to_dicts() == february.region.to_dicts()
    assert all(frames[name].is_empty() for name in ("alliances", "region", "points.region", "points.institutions"))
    run = get_run(engine, 2)
    assert (run.rows_read, run.rows_accepted, run.rows_rejected) == (5, 5, 0)
    assert pl.read_parquet(run.claims_file)["claim_id"].to_list() == february.points.cases["claim_id"].to_list()

    shown = _cli("runs", "show", "2", "--db", url)
    assert "2025-02 月度预结算" in shown and "97.5690" in shown and "15,802.93" in shown and "47,408.79" in shown

    diff = diff_runs(engine, 1, 2)
    assert diff.causes.rows() == [("period", "2025-01", "2025-02")] and diff.files.is_empty()
    assert diff.held == ("region", "months") and diff.point_value[1] == february.region["point_value"][0]
    region = dict(diff.region.select("item", "new_fen").iter_rows())
    assert region["month.paid_to_date_fen"] == february.region["paid_to_date_fen"][0]
    assert set(diff.months["month"]) == {1, 2}  # January's rows went, February's came
    shown = _cli("runs", "diff", "2", "3", "--db", url)
    assert "monthly" in shown and "annual" in shown and "月度预结算 months" in shown


def test_an_alliance_month_and_its_what_if_are_recorded(url: str, tmp_path: Path) -> None:
    engine = open_store(url)
    march = month_of(settle_year(load_year_case(ALLIANCE, month=3)), 3)
    run, new = record_month(engine, ALLIANCE, march, tmp_path / "out")
    assert new and (run.kind, run.period, run.rows_read) == ("monthly", "2025-03", 8)
    assert record_month(engine, ALLIANCE, march, tmp_path / "out")[0].id == run.id
    frames = run_frames(engine, run.id)
    assert frames["advances"].to_dicts() == march.advances.to_dicts()
    assert frames["points.months"].height == 7 and frames["alliances"].is_empty()
    what_if, new = record_month(engine, ALLIANCE, march, tmp_path / "out", kind="what-if")
    assert new and what_if.id != run.id and (what_if.kind, what_if.period) == ("what-if", "2025-03")
    with pytest.raises(ValueError, match="a month's run is of kind 'monthly' or 'what-if', not 'annual'"):
        record_month(engine, ALLIANCE, march, tmp_path / "out", kind="annual")
    shown = _cli("runs", "show", str(run.id), "--db", url)
    assert "医共体月度预付" in shown and "499.83" in shown


# The point method's year


def test_a_point_method_year_is_recorded(url: str, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    assert "run 1 recorded (annual 2025)" in _cli("settle", str(HOSPITAL), "--out", out, "--db", url)
    assert "run 1 already on record (same inputs)" in _cli("settle", str(HOSPITAL), "--out", out, "--db", url)
    engine = open_store(url)
    year = _settle(HOSPITAL)
    run = get_run(engine, 1)
    assert (run.kind, run.period, run.rows_read, run.rows_accepted, run.rows_rejected) == ("annual", "2025", 10, 10, 0)
    frames = run_frames(engine, 1)
    assert frames["points.region"].to_dicts() == year.region.to_dicts()
    for name, key in (("months", ["institution_id", "month"]), ("institutions", ["institution_id"])):
        assert frames[f"points.{name}"].to_dicts() == getattr(year, name).sort(key).to_dicts(), name
    assert all(frames[name].is_empty() for name in ("alliances", "members", "direct", "region", "advances",
                                                    "indicators", "points.month_region"))  # fmt: skip
    assert run_inputs(engine, 1).files.select("role", "name").rows() == [
        ("claims", "claims.csv"), ("policy", "base_points.csv"), ("policy", "policy.toml"),
        ("tables", "institutions.csv"),
    ]  # fmt: skip
    claims = pl.read_parquet(run.claims_file)
    assert "person_key" not in claims.columns and claims["claim_id"].to_list() == year.cases["claim_id"].to_list()
    shown = _cli("runs", "show", "1", "--db", url)
    assert "点值 point value 64.0000" in shown and "11,142,272.00" in shown and "1,585,768.87" in shown


def test_point_method_years_are_diffed(url: str, tmp_path: Path) -> None:
    bigger = tmp_path / "bigger"
    shutil.copytree(HOSPITAL, bigger, ignore=shutil.ignore_patterns("expected", "README.md"))
    policy = bigger / "policy.toml"
    policy.write_text(policy.read_text(encoding="utf-8").replace('"15857688.67"', '"16857688.67"'), encoding="utf-8")
    engine = open_store(url)
    record_year(engine, HOSPITAL, _settle(HOSPITAL), tmp_path / "out")
    record_year(engine, bigger, _settle(bigger), tmp_path / "out")
    diff = diff_runs(engine, 1, 2)
    assert diff.causes["item"].to_list() == ["policy"]
    assert diff.parameters.rows() == [("budget.fund_budget", "15857688.67", "16857688.67")]  # as TOML numbers
    assert diff.held == ("region", "institutions", "months") and diff.alliances.is_empty()
    old, new = (run_frames(engine, i)["points.institutions"] for i in (1, 2))
    gross = diff.institutions.filter(pl.col("item") == "gross_fen")
    assert dict(gross.select("institution_id", "change_fen").iter_rows()) == {
        h: b - a for h, a, b in zip(old["institution_id"], old["gross_fen"], new["gross_fen"], strict=True)
    }
    assert gross["change_fen"].sum() == 100_000_000  # the pool grew by 1,000,000 元
    region = dict(diff.region.select("item", "change_fen").iter_rows())
    assert region["points.fund_budget_fen"] == region["points.pool_fen"] == 100_000_000
    shown = _cli("runs", "diff", "1", "2", "--db", url)
    assert "点数法年度清算 point-method institutions" in shown and "budget.fund_budget" in shown
    assert "医共体 alliances" not in shown


# What-if runs (测算)


def test_a_what_if_is_never_the_official_run(url: str, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    assert "run 1 recorded (annual 2025)" in _cli("settle", str(ALLIANCE), "--out", out, "--db", url)
    what_if = ["settle", str(ALLIANCE), "--policy", str(WHAT_IF_POLICY), "--out", str(tmp_path / "w"), "--db", url]
    assert "run 2 recorded (what-if 2025)" in _cli(*what_if, "--what-if")
    assert "run 2 already on record (same inputs)" in _cli(*what_if, "--what-if")
    assert "run 3 recorded (annual 2025)" in _cli(*what_if)  # the same inputs as the bureau's own: another kind
    engine = open_store(url)
    assert [r.kind for r in list_runs(engine)] == ["annual", "what-if", "annual"]
    assert "what-if" in _cli("runs", "list", "--db", url)
    diff = diff_runs(engine, 1, 2)
    assert diff.causes.rows() == [
        ("kind", "annual", "what-if"), ("policy", get_run(engine, 1).policy_hash, get_run(engine, 2).policy_hash),
    ]  # fmt: skip
    assert ("alliance_budget.per_capita", '"2315.00"', '"2400.00"') in diff.parameters.rows()
    shown = _cli("runs", "diff", "1", "2", "--db", url)
    assert "what-if" in shown and "alliance_budget.per_capita" in shown and "+425.00" in shown
    assert diff_runs(engine, 2, 3).causes.rows() == [("kind", "what-if", "annual")]


def test_a_what_if_built_in_python_keeps_its_policy_text(url: str, tmp_path: Path) -> None:
    case = load_year_case(ALLIANCE)
    engine = open_store(url)
    official, _ = record_year(engine, ALLIANCE, settle_year(case), tmp_path / "out")
    richer = case.policy.updated({"alliance_budget": {"per_capita": "2400.00"}})
    result = settle_year(case.with_policy(richer))
    with pytest.raises(StoreError, match='record the annual run as a what-if \\(kind="what-if"\\)'):
        record_year(engine, ALLIANCE, result, tmp_path / "out")
    run, new = record_year(engine, ALLIANCE, result, tmp_path / "out", kind="what-if")
    assert new and run.kind == "what-if"
    inputs = run_inputs(engine, run.id)
    assert inputs.policy_name == "(in memory)" and inputs.policy_text == policy_toml(richer)
    assert read_policy_text(inputs.policy_text, richer.folder) == richer
    policy_files = inputs.files.filter(pl.col("role") == "policy").select("name", "sha256").rows()
    assert policy_files[0] == ("(in memory)", hashlib.sha256(inputs.policy_text.encode()).hexdigest())
    assert [name for name, _ in policy_files] == ["(in memory)", "base_points.csv"]
    same = case.policy.updated({"alliance_budget": {"per_capita": "2400.00"}})  # built again: the same text
    again, new = record_year(engine, ALLIANCE, settle_year(case.with_policy(same)), tmp_path / "out", kind="what-if")
    assert (again.id, new) == (run.id, False)
    diff = diff_runs(engine, official.id, run.id)
    assert diff.parameters.rows() == [("alliance_budget.per_capita", '"2315.00"', '"2400.00"')]
    changed = diff.files.select("name", old=pl.col("old_sha256").is_not_null(), new=pl.col("new_sha256").is_not_null())
    assert changed.rows() == [("(in memory)", False, True), ("policy.toml", True, False)]
    with pytest.raises(ValueError, match="a year's run is of kind 'annual' or 'what-if', not 'monthly'"):
        record_year(engine, ALLIANCE, result, tmp_path / "out", kind="monthly")


def test_a_point_method_what_if_built_in_python(url: str, tmp_path: Path) -> None:
    policy, cases = load_case(HOSPITAL)
    engine = open_store(url)
    official, _ = record_year(engine, HOSPITAL, settle(cases, policy), tmp_path / "out")
    bigger = policy.updated({"budget": {"fund_budget": policy.budget.fund_budget + 1_000_000}})
    run, new = record_year(engine, HOSPITAL, settle(cases, bigger), tmp_path / "out", kind="what-if")
    assert new and run_inputs(engine, run.id).policy_name == "(in memory)" and run.claims_hash == official.claims_hash
    diff = diff_runs(engine, official.id, run.id)
    assert diff.parameters.rows() == [("budget.fund_budget", "15857688.67", "16857688.67")]
    assert diff.point_value == (Decimal("64.0000"), Decimal("67.5266"))  # docs/settlement.md


def test_policies_as_toml_text_read_back() -> None:
    """Every policy of the repository written as TOML reads back as itself, and writes the same text again."""
    files = sorted({*CASES.glob("*/policy.toml"), *(ROOT / "docs" / "examples").rglob("*.toml"),
                    *(ROOT / "yibao").rglob("policy*.toml")})  # fmt: skip
    assert len(files) > 10
    for path in files:
        policy = load_policy(path)
        text = policy_toml(policy)
        assert read_policy_text(text, policy.folder) == policy, path
        assert policy_toml(read_policy_text(text, policy.folder)) == text, path
    off = load_policy(READMISSION / "policy.toml").updated({"readmission": {"days": None}})
    with pytest.raises(InputError, match=r"field readmission\.days: cannot be written as TOML"):
        policy_toml(off)


# Reports of every kind


def test_reports_of_a_point_method_year_and_of_months(url: str, tmp_path: Path) -> None:
    engine = open_store(url)
    record_year(engine, HOSPITAL, _settle(HOSPITAL), tmp_path / "out")
    record_month(engine, ALLIANCE, month_of(settle_year(load_year_case(ALLIANCE, month=3)), 3), tmp_path / "out")
    record_month(engine, MONTHLY, month_of(_settle(MONTHLY, 5), 5), tmp_path / "out")

    assert "written to" in _cli("report", "1", "--out", str(tmp_path / "cli.html"), "--db", url)
    assert "written to" in _cli("report", "2", "--out", str(tmp_path / "cli.xlsx"), "--db", url)
    year = load_run_report(engine, 1)
    book = openpyxl.load_workbook(write_run_workbook(year, tmp_path / "year.xlsx"))
    assert book.sheetnames == ["地区汇总", "机构"] and "医保结算报告" in book["机构"]["A1"].value
    lines = {r[0]: r[1] for r in book["地区汇总"].iter_rows(min_row=6, values_only=True) if r[1] is not None}
    assert lines["点值(元/点)"] == 64 and round(lines["清算应付(元)"] * 100) == 158576887
    rows = {r[0]: r for r in book["机构"].iter_rows(min_row=6, values_only=True)}
    assert set(rows) == {"H1", "H2", "H3"}
    page = render_run_html(year)
    assert page.count("<svg") == 1 and 'id="chart-point-value"' in page and 'id="left-out-budget"' in page
    assert "64.0000" in page and "机构年度清算" in page and "11,142,272.00" in page

    march = load_run_report(engine, 2)
    assert march.title == "医共体医保结算报告 — 结算记录 2 (2025-03 月度预结算)"
    book = openpyxl.load_workbook(write_run_workbook(march, tmp_path / "march.xlsx"))
    assert book.sheetnames == ["地区汇总", "医共体", "机构"]
    assert [r[:3] for r in book["医共体"].iter_rows(min_row=6, values_only=True)] == [
        ("NA", 3, 499.83),
        ("NB", 3, 499.83),
    ]
    page = render_run_html(march)
    assert page.count("<svg") == 1 and "47.7389" in page and "医共体月度预付" in page and "累计实付" in page

    may = render_run_html(load_run_report(engine, 3))  # May: no stays, so no point value to draw
    assert may.count("<svg") == 0 and 'id="left-out-point-value"' in may and "no stays, no point value" in may
    assert "本结算记录未保存" not in may
