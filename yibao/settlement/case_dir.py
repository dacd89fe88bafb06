"""A settlement case folder (`settlement_cases/<name>/`): policy.toml, claims and institutions, read as one.

    policy.toml              the policy; its tables are paths relative to it
    claims.csv|.parquet      grouped claims of the policy's year (`CASE_COLUMNS`)
    institutions.csv|.parquet institution_id, level, alliance_id

Results are written as one file per frame (`write_settlement`).
"""

from __future__ import annotations

from pathlib import Path

from yibao.errors import InputError
from yibao.io.write import write_frame
from yibao.settlement.cases import SettlementCases, prepare_cases, read_cases, read_institutions
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


def load_case(
    folder: Path | str, policy: Path | None = None, claims: Path | None = None, institutions: Path | None = None
) -> tuple[Policy, SettlementCases]:
    """The policy and the prepared cases of a case folder; each file may be given elsewhere instead."""
    folder = Path(folder)
    loaded = load_policy(policy or folder / "policy.toml")
    cases = prepare_cases(
        read_cases(claims or find_table(folder, "claims")),
        read_institutions(institutions or find_table(folder, "institutions")),
        loaded.year,
    )
    return loaded, cases


def write_settlement(settlement: Settlement, out: Path | str, suffix: str = ".csv") -> list[Path]:
    """Write every frame of a settlement into `out` (CSV by default, or `.parquet`); the paths written."""
    out = Path(out)
    paths = []
    for name in RESULT_FILES:
        path = out / f"{name}{suffix}"
        write_frame(getattr(settlement, name), path)
        paths.append(path)
    return paths
