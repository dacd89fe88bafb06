"""A settlement case folder (`settlement_cases/<name>/`): policy.toml, claims and institutions, read as one.

    policy.toml              the policy; its tables are paths relative to it
    claims.csv|.parquet      grouped claims of the policy's year (`CASE_COLUMNS`)
    institutions.csv|.parquet institution_id, level, alliance_id

Results are written as one file per frame (`write_settlement`; a month's run: `write_month`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from yibao.errors import InputError
from yibao.io.write import write_frame
from yibao.settlement.cases import SettlementCases, prepare_cases, read_cases, read_institutions
from yibao.settlement.monthly import MonthSettlement, through_month
from yibao.settlement.policy import Policy, load_policy
from yibao.settlement.settle import Settlement

RESULT_FILES = ("cases", "institutions", "months", "region", "excluded", "base_points")
"""The frames of a `Settlement`, one file each."""


def find_table(folder: Path, stem: str) -> Path:
    """`<stem>.parquet` or `<stem>.csv` of a case folder (Parquet first); missing both is an InputError."""
    found = [folder / f"{stem}{suffix}" for suffix in (".parquet", ".csv") if (folder / f"{stem}{suffix}").is_file()]
    if not found:
        raise InputError(folder, f"no {stem}.csv or {stem}.parquet in the case folder")
    return found[0]


@dataclass(frozen=True)
class CaseFiles:
    """The files a point-method case is read from."""

    policy: Path
    claims: Path
    institutions: Path

    @property
    def organisation(self) -> list[Path]:
        """The organisation tables: the institutions."""
        return [self.institutions]


def case_files(
    folder: Path | str, policy: Path | None = None, claims: Path | None = None, institutions: Path | None = None
) -> CaseFiles:
    """Where a case folder's files are; each may be given elsewhere instead."""
    folder = Path(folder)
    return CaseFiles(
        policy=policy or folder / "policy.toml",
        claims=claims or find_table(folder, "claims"),
        institutions=institutions or find_table(folder, "institutions"),
    )


def load_case(
    folder: Path | str,
    policy: Path | None = None,
    claims: Path | None = None,
    institutions: Path | None = None,
    month: int | None = None,
) -> tuple[Policy, SettlementCases]:
    """The policy and the prepared cases of a case folder; each file may be given elsewhere instead. With `month`,
    the stays of the policy's year discharged after that month are left out (a month's run, `monthly.py`)."""
    files = case_files(folder, policy, claims, institutions)
    loaded = load_policy(files.policy)
    stays = read_cases(files.claims)
    if month is not None:
        stays = through_month(stays, pl.col("discharge_date"), loaded.year, month)
    return loaded, prepare_cases(stays, read_institutions(files.institutions), loaded.year)


def write_settlement(settlement: Settlement, out: Path | str, suffix: str = ".csv") -> list[Path]:
    """Write every frame of a settlement into `out` (CSV by default, or `.parquet`); the paths written."""
    out = Path(out)
    paths = []
    for name in RESULT_FILES:
        path = out / f"{name}{suffix}"
        write_frame(getattr(settlement, name), path)
        paths.append(path)
    return paths


def write_month(result: MonthSettlement, out: Path | str) -> list[Path]:
    """Every table of a month's run (`MonthSettlement.tables`) into `out` as CSV; the paths written."""
    out = Path(out)
    paths = []
    for name, frame in result.tables().items():
        write_frame(frame, out / f"{name}.csv")
        paths.append(out / f"{name}.csv")
    return paths
