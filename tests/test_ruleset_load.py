"""Ruleset loading: real rulesets load; each kind of broken table is refused with its file, row and reason."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import DEMO_RULESET, ruleset_dirs
from yibao.rules.load import RulesetError, load_ruleset
from yibao.rules.tables import TABLE_COLUMNS


@pytest.mark.parametrize("ruleset", ruleset_dirs(), ids=lambda p: p.name)
def test_real_rulesets_load(ruleset: Path) -> None:
    loaded = load_ruleset(ruleset)
    assert set(loaded.tables) == {name.removesuffix(".csv") for name in TABLE_COLUMNS}
    assert loaded["mdc"].height == 26 and len(loaded.content_hash) == 64
    assert load_ruleset(ruleset) is loaded  # cached by content


def _edit(directory: Path, file: str, change: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    path = directory / file
    change(pl.read_csv(path, infer_schema=False)).write_csv(path)


def _set(row: int, column: str, value: str | None) -> Callable[[pl.DataFrame], pl.DataFrame]:
    """Set one cell; `row` is the line in the file (header = 1)."""

    def change(frame: pl.DataFrame) -> pl.DataFrame:
        index = pl.int_range(pl.len()) == row - 2
        return frame.with_columns(pl.when(index).then(pl.lit(value)).otherwise(pl.col(column)).alias(column))

    return change


BROKEN = [
    (
        "unknown predicate",
        "adrg_conditions.csv",
        _set(2, "predicate", "pdx_is_nice"),
        2,
        "unknown predicate 'pdx_is_nice'",
    ),
    ("DRG of no ADRG", "drg.csv", _set(3, "adrg", "ZZ9"), 3, "adrg ZZ9 is not a known ADRG"),
    ("duplicate order", "adrg.csv", _set(3, "order", "1"), 3, "duplicate mdc/order"),
    ("bad split", "drg.csv", _set(2, "split", "maybe"), 2, "unknown split 'maybe'"),
    ("unparseable code", "adrg_diagnoses.csv", _set(4, "code", "K80-000"), 4, "'K80-000' is not a diagnosis code"),
    ("bad procedure code", "or_procedures.csv", _set(2, "code", "ABC"), 2, "'ABC' is not a procedure code"),
    ("arg not a number", "mdc_conditions.csv", _set(4, "arg", "zero"), 4, "needs a whole-number arg"),
    ("arg where none is taken", "mdc_conditions.csv", _set(3, "arg", "1"), 3, "predicate takes no arg"),
    ("list that does not exist", "adrg_conditions.csv", _set(2, "list", "ss9"), 2, "list its ADRG does not have"),
    ("order not a number", "mdc.csv", _set(5, "order", "fifth"), 5, "order is not a whole number"),
    ("empty key", "complications.csv", _set(2, "level", None), 2, "level is empty"),
    ("unknown CC level", "complications.csv", _set(2, "level", "HUGE"), 2, "unknown level 'HUGE'"),
]


@pytest.mark.parametrize(("name", "file", "change", "row", "reason"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_rulesets_are_refused(tmp_path: Path, name: str, file: str, change, row: int, reason: str) -> None:
    directory = tmp_path / "ruleset"
    shutil.copytree(DEMO_RULESET, directory)
    _edit(directory, file, change)
    with pytest.raises(RulesetError) as error:
        load_ruleset(directory)
    assert any(p.file == file and p.row == row and reason in p.reason for p in error.value.problems), str(error.value)
    assert f"{file}, row {row}: " in str(error.value)


def test_missing_file_and_columns(tmp_path: Path) -> None:
    directory = tmp_path / "ruleset"
    shutil.copytree(DEMO_RULESET, directory)
    (directory / "drg.csv").unlink()
    with pytest.raises(RulesetError, match=r"drg\.csv: file missing"):
        load_ruleset(directory)
    shutil.copy(DEMO_RULESET / "drg.csv", directory / "drg.csv")
    _edit(directory, "adrg.csv", lambda f: f.drop("order"))
    with pytest.raises(RulesetError, match=r"adrg.csv, row 1: columns are \['adrg', 'mdc'\]"):
        load_ruleset(directory)


def test_content_hash_follows_content(tmp_path: Path) -> None:
    directory = tmp_path / "ruleset"
    shutil.copytree(DEMO_RULESET, directory)
    before = load_ruleset(directory).content_hash
    assert before == load_ruleset(DEMO_RULESET).content_hash
    _edit(directory, "drg.csv", _set(2, "name", "改名"))
    assert load_ruleset(directory).content_hash != before
