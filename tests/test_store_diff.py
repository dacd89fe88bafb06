"""`diff_runs` and `yibao runs diff`: the worked case against itself with a changed policy parameter and with a
changed claim — the why (inputs, files, policy keys) and the money (equal to the stored statements' differences)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from tests.databases import DATABASES, store_database
from yibao.alliance.case_dir import load_year_case
from yibao.alliance.settle import settle_year
from yibao.cli import app
from yibao.errors import StoreError
from yibao.store import diff_runs, open_store, record_year, run_frames, run_statements
from yibao.store.diff import RunDiff, money_changes, parameter_changes

CASE = Path(__file__).resolve().parents[1] / "settlement_cases" / "alliance-two-alliances"
runner = CliRunner()


def _copy(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(CASE, folder, ignore=shutil.ignore_patterns("expected", "README.md"))
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture(scope="module", params=DATABASES)
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    """Run 1: the worked case; run 2: per_capita 2315 → 2400 元 and min_score 60 → 65; run 3: claim M07 (an
    outpatient visit paid fee-for-service at the direct institution P1) costs 100 元 more, all of it class A — on
    SQLite and on PostgreSQL."""
    tmp_path = tmp_path_factory.mktemp("diff")
    base, policy, claims = (_copy(tmp_path, name) for name in ("base", "policy", "claims"))
    _edit(policy / "policy.toml", 'per_capita = "2315.00"', 'per_capita = "2400.00"')
    _edit(policy / "policy.toml", "min_score = 60", "min_score = 65")
    _edit(claims / "claims.csv", ",530.00,300.00,", ",630.00,400.00,")
    with store_database(request.param, tmp_path) as url:
        engine = open_store(url)
        for folder in (base, policy, claims):
            record_year(engine, folder, settle_year(load_year_case(folder)), tmp_path / "out")
        yield url, engine
        engine.dispose()


def _differences(engine: Engine, old: int, new: int, name: str, key: str) -> dict[tuple[str, str], tuple[int, int]]:
    """(id, money column) → (old, new) where the stored statements differ."""
    before, after = run_statements(engine, old)[name], run_statements(engine, new)[name]
    assert before[key].to_list() == after[key].to_list()
    found = {}
    for a, b in zip(before.iter_rows(named=True), after.iter_rows(named=True), strict=True):
        found |= {(a[key], c): (a[c], b[c]) for c in before.columns if c.endswith("_fen") and a[c] != b[c]}
    return found


def _as_found(frame: pl.DataFrame, key: str) -> dict[tuple[str, str], tuple[int, int]]:
    assert (frame["change_fen"] == frame["new_fen"] - frame["old_fen"]).all()
    changes = frame["change_fen"].abs().to_list()
    assert changes == sorted(changes, reverse=True)
    return {(row[key], row["item"]): (row["old_fen"], row["new_fen"]) for row in frame.iter_rows(named=True)}


def _check_money(engine: Engine, diff: RunDiff) -> None:
    old, new = diff.old.id, diff.new.id
    assert _as_found(diff.alliances, "alliance_id") == _differences(engine, old, new, "alliances", "alliance_id")
    assert _as_found(diff.members, "institution_id") == _differences(engine, old, new, "members", "institution_id")
    assert _as_found(diff.direct, "institution_id") == _differences(engine, old, new, "direct", "institution_id")


def test_a_changed_policy_parameter(store: tuple[str, Engine]) -> None:
    _, engine = store
    diff = diff_runs(engine, 1, 2)
    assert diff.causes["item"].to_list() == ["policy"]
    assert diff.causes.row(0) == ("policy", diff.old.policy_hash, diff.new.policy_hash)
    assert diff.files.select("role", "name").rows() == [("policy", "policy.toml")]
    assert diff.parameters.rows() == [
        ("alliance_budget.per_capita", '"2315.00"', '"2400.00"'), ("overspend.min_score", "60", "65"),
    ]  # fmt: skip
    _check_money(engine, diff)
    assert not diff.alliances.is_empty() and diff.members.height == 6 and diff.direct.is_empty()
    nb = diff.alliances.filter(pl.col("alliance_id") == "NB", pl.col("item") == "budget_fen").row(0, named=True)
    assert (nb["old_fen"], nb["new_fen"]) == (1099625, 1140000)  # 5 residents × 2315 / 2400 元, less the 5 % reserve
    region = dict(diff.region.select("item", "change_fen").iter_rows())
    assert region["budget_fen"] == diff.alliances.filter(pl.col("item") == "budget_fen")["change_fen"].sum()
    assert "points.gross_fen" not in region and diff.point_value[0] == diff.point_value[1]
    assert not diff.same and diff.without_snapshot == ()


def test_a_changed_claim(store: tuple[str, Engine]) -> None:
    _, engine = store
    diff = diff_runs(engine, 1, 3)
    assert diff.causes["item"].to_list() == ["claims"]
    assert diff.files.select("role", "name").rows() == [("claims", "claims.csv")]
    assert diff.parameters.is_empty()
    _check_money(engine, diff)
    assert diff.direct.rows() == [("P1", "fee_for_service_fen", 9000, 14000, 5000)]  # 100 元 of class A at 50 %
    assert ("NA", "county_fen", 443119, 448119, 5000) in diff.alliances.rows()
    frames = run_frames(engine, 3)
    assert frames["region"]["actual_fen"][0] - run_frames(engine, 1)["region"]["actual_fen"][0] == 5000


def test_a_run_against_itself_is_the_same(store: tuple[str, Engine]) -> None:
    diff = diff_runs(store[1], 2, 2)
    assert diff.same and diff.causes.is_empty() and diff.parameters.is_empty()


def test_an_unknown_run(store: tuple[str, Engine]) -> None:
    with pytest.raises(StoreError, match="no run 9 on record"):
        diff_runs(store[1], 1, 9)


def test_rows_that_appear_or_disappear() -> None:
    old = pl.DataFrame({"institution_id": ["A", "B"], "drg_fen": [100, 50], "claims": [1, 1]})
    new = pl.DataFrame({"institution_id": ["B", "C"], "drg_fen": [50, 7], "claims": [2, 1]})
    assert money_changes(old, new, ["institution_id"]).rows() == [
        ("A", "drg_fen", 100, None, -100), ("C", "drg_fen", None, 7, 7),
    ]  # fmt: skip


def test_policy_keys_are_dotted_as_in_toml() -> None:
    old = 'a = 1\n[t]\nlevels."二级" = { ratio = 0.8 }\nbands = [{ up_to = 0.05 }, { up_to = 0.1 }]\nw = [1, 2]\n'
    new = 'b = "x"\n[t]\nlevels."二级" = { ratio = 0.9 }\nbands = [{ up_to = 0.05 }, { up_to = 0.2 }]\nw = [1, 3]\n'
    assert parameter_changes(old, new).rows() == [
        ("b", None, '"x"'), ('t.levels."二级".ratio', "0.8", "0.9"), ("t.bands[1].up_to", "0.1", "0.2"),
        ("t.w", "[1, 2]", "[1, 3]"), ("a", "1", None),
    ]  # fmt: skip
    assert parameter_changes(None, new).is_empty()


def test_cli_runs_diff(store: tuple[str, Engine]) -> None:
    url, _ = store
    shown = runner.invoke(app, ["runs", "diff", "1", "2", "--db", url, "--top", "3"], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    for text in ("alliance_budget.per_capita", '"2315.00"', '"2400.00"', "overspend.min_score", "policy.toml",
                 "11,575.00", "12,000.00", "+425.00", "budget_gross", "… 17 more", "no money changed"):  # fmt: skip
        assert text in shown.output, text
    claims = runner.invoke(app, ["runs", "diff", "1", "3", "--db", url], terminal_width=200)
    assert claims.exit_code == 0, claims.output
    assert "claims.csv" in claims.output and "fee_for_service" in claims.output and "+50.00" in claims.output
    same = runner.invoke(app, ["runs", "diff", "3", "3", "--db", url])
    assert "same kind, period, inputs and library version, and the same money" in same.output
    missing = runner.invoke(app, ["runs", "diff", "1", "9", "--db", url])
    assert missing.exit_code == 2 and "no run 9 on record" in missing.output and "Traceback" not in missing.output
