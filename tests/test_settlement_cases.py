"""Every worked case in `settlement_cases/` settles to its hand-checked `expected/` results."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from yibao.settlement import settle
from yibao.settlement.case_dir import load_case

CASES = Path(__file__).resolve().parents[1] / "settlement_cases"
KEYS = {"cases": ["claim_id"], "institutions": ["institution_id"], "months": ["institution_id", "month"], "region": []}


def case_folders() -> list[Path]:
    return sorted(p for p in CASES.iterdir() if (p / "expected").is_dir())


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(pl.col(c).cast(pl.String) for c in frame.columns)


@pytest.mark.parametrize("folder", case_folders(), ids=lambda p: p.name)
def test_case_settles_to_its_expected_results(folder: Path) -> None:
    policy, cases = load_case(folder)
    result = settle(cases, policy)
    compared = 0
    for name, keys in KEYS.items():
        path = folder / "expected" / f"{name}.csv"
        if not path.is_file():
            continue
        expected = pl.read_csv(path, infer_schema=False)
        actual = _as_text(getattr(result, name).select(expected.columns))
        if keys:
            assert sorted(actual[keys[0]].unique()) == sorted(expected[keys[0]].unique()), f"{name}: rows differ"
            actual, expected = actual.sort(keys), expected.sort(keys)
            if name == "months":
                actual = actual.join(expected.select(keys), on=keys, how="semi").sort(keys)
        for column in expected.columns:
            mismatched = [
                (row, want, got)
                for row, (want, got) in enumerate(zip(expected[column], actual[column], strict=True))
                if want != got
            ]
            assert not mismatched, f"{folder.name} {name}.{column}: (row, expected, got) {mismatched[:5]}"
            compared += len(expected)
    assert compared > 0


def test_there_are_worked_cases() -> None:
    names = {p.name for p in case_folders()}
    assert {"case-classes", "hospital-report", "readmission", "special-review", "monthly-clearing"} <= names
