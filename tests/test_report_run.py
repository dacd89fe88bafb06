"""`yibao report RUN`: the Excel report read back with openpyxl, and the HTML report rendered in headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from PIL import Image
from typer.testing import CliRunner

from tests.databases import DATABASES, store_database
from yibao.alliance.case_dir import load_year_case
from yibao.alliance.settle import settle_year
from yibao.cli import app
from yibao.report.charts import money_unit
from yibao.report.html import render_run_html
from yibao.report.run import load_run_report
from yibao.report.run_excel import write_run_workbook
from yibao.settlement.money import fen_to_yuan
from yibao.store import open_store, record_year

CASE = Path(__file__).resolve().parents[1] / "settlement_cases" / "alliance-two-alliances"
PACKAGES = {"NA": "6,139.81", "NB": "7,151.16"}
"""Each alliance's package (包干资金) in 元, as the reports show it (docs/alliance.md: 613981 and 715116 fen)."""
CHARTS = ("budget", "outcome", "point-value", "allocation")
runner = CliRunner()


@pytest.fixture(scope="module", params=DATABASES)
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A store holding one run of the worked case (run 1), on SQLite and on PostgreSQL."""
    folder = tmp_path_factory.mktemp("store")
    with store_database(request.param, folder) as url:
        engine = open_store(url)
        run, _ = record_year(engine, CASE, settle_year(load_year_case(CASE)), folder / "settled")
        engine.dispose()
        assert run.id == 1
        yield url


def _report(store: str, out: Path) -> Path:
    result = runner.invoke(app, ["report", "1", "--out", str(out), "--db", store])
    assert result.exit_code == 0, result.output
    assert out.is_file()
    return out


def _person_keys() -> list[str]:
    return pl.read_csv(CASE / "claims.csv")["person_key"].unique().to_list()


def test_excel_report(store: str, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(_report(store, tmp_path / "run.xlsx"))
    assert book.sheetnames == ["地区汇总", "医共体", "机构"]
    frames = load_run_report(open_store(store), 1).frames
    for sheet in book:
        assert "结算记录 1" in sheet["A1"].value and "2025" in sheet["A1"].value
        assert "claims " in sheet["A3"].value and "policy " in sheet["A3"].value
    alliances = book["医共体"]
    assert alliances.freeze_panes == "C6"
    header = [c.value for c in alliances[5]]
    assert header[:2] == ["医共体编码", "名称"] and "医共体包干资金(元)" in header and "结余(+)/超支(-)(元)" in header
    package, budget = header.index("医共体包干资金(元)") + 1, header.index("医共体预算(元)") + 1
    stored = frames["alliances"]
    for row, statement in enumerate(stored.iter_rows(named=True), start=6):
        assert alliances.cell(row, 1).value == statement["alliance_id"]
        cell = alliances.cell(row, package)
        assert cell.number_format == "#,##0.00"
        assert f"{cell.value:,.2f}" == PACKAGES[statement["alliance_id"]]
        assert round(alliances.cell(row, budget).value * 100) == statement["budget_fen"]
    assert alliances.max_row == 5 + stored.height

    institutions = book["机构"]
    assert institutions.freeze_panes == "B6"
    header = [c.value for c in institutions[5]]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in institutions.iter_rows(min_row=6, values_only=True)}
    members, direct = frames["members"], frames["direct"]
    assert set(rows) == {*members["institution_id"], *direct["institution_id"]}
    for member in members.iter_rows(named=True):
        row = rows[member["institution_id"]]
        assert row["结算渠道"] == "医共体成员单位" and row["医共体编码"] == member["alliance_id"]
        assert round(row["分配金额(元)"] * 100) == member["allocation_fen"]
    assert rows["P1"]["结算渠道"] == "基金直接结算" and rows["P1"]["清单数"] == 4
    assert rows["P1"]["机构级别"] == "二级" and round(rows["P1"]["按病组支付(元)"] * 100) == 433326

    region = book["地区汇总"]
    assert region.freeze_panes == "A6"
    lines = {r[0]: r[1] for r in region.iter_rows(min_row=6, values_only=True) if r[1] is not None}
    totals = frames["region"].row(0, named=True)
    assert round(lines["医共体包干资金(元)"] * 100) == totals["package_fen"] == 613981 + 715116
    assert lines["点值(元/点)"] == float(frames["points.region"]["point_value"][0])
    texts = {str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None}
    assert not any(key in text for key in _person_keys() for text in texts)


def _chromium() -> str | None:
    found = next((shutil.which(name) for name in ("chromium", "chromium-browser") if shutil.which(name)), None)
    if found is None and os.environ.get("CI"):
        pytest.fail("chromium is not installed (.ci/run installs it)")
    if found is None:
        pytest.skip("chromium is not installed (apt-get install chromium fonts-noto-cjk); CI installs it")
    return found


def _headless(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", *args]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def test_html_report_in_chromium(store: str, tmp_path: Path) -> None:
    chromium = _chromium()
    page = _report(store, tmp_path / "run.html")
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?https?:|@import""", text, re.I)
    assert not any(key in text for key in _person_keys())

    dom = _headless(chromium, tmp_path / "profile", "--dump-dom", page.as_uri()).stdout
    assert "医共体医保结算报告" in dom
    for chart in CHARTS:
        figure = re.search(rf'<figure class="chart" id="chart-{chart}">(.*?)</figure>', dom, re.S)
        assert figure and "<svg" in figure.group(1) and "<path" in figure.group(1), chart
    statement = re.search(r"<td>医共体包干资金\(元\)</td>(.*?)</tr>", dom, re.S)
    assert statement, "the statement has its package line"
    assert re.findall(r'<td class="num">([^<]*)</td>', statement.group(1)) == [*PACKAGES.values(), "13,290.97"]
    for allocation in ("4,297.87", "884.13", "957.81"):  # NA's members (docs/alliance.md)
        assert f'<td class="num">{allocation}</td>' in dom
    assert "45.9896" in dom  # the year's point value

    png = tmp_path / "run.png"
    _headless(chromium, tmp_path / "profile", f"--screenshot={png}", "--window-size=1280,2400", page.as_uri())
    with Image.open(png) as image:
        assert image.size == (1280, 2400)
        pixels = image.convert("RGB")
        colours = pixels.getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 200, "the page draws charts and text, not a blank sheet"
        inked = sum(n for n, rgb in (colours or []) if sum(rgb) < 600)
        assert colours is None or inked > 0.02 * 1280 * 2400


def test_html_escapes_names(store: str) -> None:
    report = load_run_report(open_store(store), 1)
    alliances = report.frames["alliances"].with_columns(name=pl.lit('<script>alert("x")</script> & $a$'))
    page = render_run_html(replace(report, frames={**report.frames, "alliances": alliances}))
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_report_errors_are_one_sentence(store: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "1", "--out", str(tmp_path / "run.pdf"), "--db", store])
    assert result.exit_code == 2 and "unknown report format '.pdf'" in result.output
    result = runner.invoke(app, ["report", "9", "--out", str(tmp_path / "run.html"), "--db", store])
    assert result.exit_code == 2 and "no run 9 on record" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "run.html").exists()


def test_money_unit() -> None:
    assert money_unit(9_999_999) == (100, "元")
    assert money_unit(10**7) == (10**6, "万元")
    assert money_unit(10**10) == (10**10, "亿元")
    assert f"{fen_to_yuan(613981):,}" == PACKAGES["NA"]


def test_a_run_recorded_before_schema_v2(store: str, tmp_path: Path) -> None:
    """A v1 run has only its statements: the reports say what is missing and show the rest."""
    report = load_run_report(open_store(store), 1)
    frames = {name: frame.clear() if name in ("region", "points.region", "points.months") else frame
              for name, frame in report.frames.items()}  # fmt: skip
    v1 = replace(report, frames=frames)
    page = render_run_html(v1)
    assert page.count("recorded before store schema version 2") == 2 and page.count("<svg") == 3
    assert PACKAGES["NA"] in page
    book = openpyxl.load_workbook(write_run_workbook(v1, tmp_path / "v1.xlsx"))
    assert [r[0] for r in book["地区汇总"].iter_rows(min_row=6, values_only=True)] == [
        "医共体总额预算", "本结算记录未保存此项", "按病组点数法", "本结算记录未保存此项",
    ]  # fmt: skip
