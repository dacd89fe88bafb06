"""An alliance case folder read as one `YearCase`, and a `YearSettlement` written out (docs/alliance.md).

policy.toml               with the alliance sections ([alliance_budget], [reimbursement], …)
institutions.csv          institution_id, name, level, alliance_id, county
alliances.csv             alliance_id, name, county [, prior_spending, prior_residents, prior_score, unreasonable]
residents.csv|.parquet    person_key, residence_county, signed_family_doctor
claims.csv|.parquet       the year's claims, inpatient (grouped) and outpatient — or a claims/ folder of Parquet
prior_indicators.csv      optional: last year's indicators (growth indicators)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from yibao.alliance.claims import CLAIM_COLUMNS, OPTIONAL_CLAIM_COLUMNS, claims_through_month
from yibao.alliance.settle import YearCase, YearSettlement
from yibao.errors import InputError
from yibao.io.write import sink_frame, write_frame
from yibao.settlement.case_dir import find_table, write_settlement
from yibao.settlement.cases import ROW, read_table
from yibao.settlement.policy import Policy, load_policy

STATEMENT_FILES = ("alliances", "members", "direct", "charges", "advances", "indicators", "excluded", "region")
"""Frames of a `YearSettlement` written as CSV and Parquet; `claims` (one row per claim) as Parquet only."""


def is_alliance_policy(policy: Policy) -> bool:
    """Whether the policy settles alliances (has [alliance_budget]) or only the point method."""
    return policy.alliance_budget is not None


def scan_table(path: Path, offset: int = 1) -> pl.LazyFrame:
    """A CSV (as text) or Parquet table, read lazily, its lines numbered in `row` from `offset` by the scan itself
    (a row index added after a scan keeps filters from reaching the file)."""
    if not path.is_file():
        raise InputError(path, "no such file")
    if path.suffix.lower() == ".parquet":
        return pl.scan_parquet(path, row_index_name=ROW, row_index_offset=offset)
    return pl.scan_csv(path, infer_schema=False, encoding="utf8-lossy", row_index_name=ROW, row_index_offset=offset)


def scan_claims(path: Path) -> pl.LazyFrame:
    """The columns the settlement reads of a claims file, or of every Parquet file in a claims/ folder (numbered on
    through the files in name order), lazily, with their source `row`."""
    wanted = [*CLAIM_COLUMNS, *OPTIONAL_CLAIM_COLUMNS]
    if not path.is_dir():
        frame = scan_table(path)
        return frame.select(ROW, *(c for c in wanted if c in frame.collect_schema()))
    files = sorted(path.glob("*.parquet"))
    if not files:
        raise InputError(path, "no Parquet files in the claims folder")
    frames, offset = [], 1
    for file in files:
        frame = scan_table(file, offset)
        frames.append(frame.select(ROW, *(c for c in wanted if c in frame.collect_schema())))
        offset += pl.scan_parquet(file).select(pl.len()).collect().item()
    return pl.concat(frames, how="diagonal_relaxed")


def read_claims(path: Path) -> pl.DataFrame:
    """`scan_claims`, read into memory."""
    if not path.is_dir():
        frame = read_table(path)
        return frame.select(c for c in [*CLAIM_COLUMNS, *OPTIONAL_CLAIM_COLUMNS] if c in frame.columns)
    return scan_claims(path).collect()


@dataclass(frozen=True)
class YearCaseFiles:
    """The files an alliance year case is read from (`prior_indicators` None when the folder has none)."""

    policy: Path
    claims: Path
    institutions: Path
    alliances: Path
    residents: Path
    prior_indicators: Path | None

    @property
    def organisation(self) -> list[Path]:
        """institutions, alliances, residents and (when present) prior indicators."""
        files = [self.institutions, self.alliances, self.residents]
        return files if self.prior_indicators is None else [*files, self.prior_indicators]


def year_case_files(
    folder: Path | str, policy: Path | None = None, claims: Path | None = None, institutions: Path | None = None
) -> YearCaseFiles:
    """Where a case folder's files are; the policy, claims and institutions may be given elsewhere instead."""
    folder = Path(folder)
    if claims is None:
        claims = folder / "claims" if (folder / "claims").is_dir() else find_table(folder, "claims")
    prior = folder / "prior_indicators.csv"
    return YearCaseFiles(
        policy=policy or folder / "policy.toml",
        claims=claims,
        institutions=institutions or find_table(folder, "institutions"),
        alliances=find_table(folder, "alliances"),
        residents=find_table(folder, "residents"),
        prior_indicators=prior if prior.is_file() else None,
    )


def load_year_case(
    folder: Path | str,
    policy: Path | None = None,
    claims: Path | None = None,
    institutions: Path | None = None,
    *,
    lazy: bool = False,
    month: int | None = None,
) -> YearCase:
    """A case folder's policy and tables; the policy, claims and institutions may be given elsewhere instead.

    `lazy`: claims and residents stay in their files (LazyFrames), and `settle_year` reads them one batch of
    residence counties at a time — for regions larger than memory. `month`: the claims of the policy's year whose
    service date (discharge of a stay, date of a visit) falls after that month are left out (a month's run)."""
    files = year_case_files(folder, policy, claims, institutions)
    loaded = load_policy(files.policy)
    year_claims = scan_claims(files.claims) if lazy else read_claims(files.claims)
    if month is not None:
        year_claims = claims_through_month(year_claims, loaded.year, month, files.claims)
    return YearCase(
        policy=loaded,
        claims=year_claims,
        institutions=read_table(files.institutions),
        alliances=read_table(files.alliances),
        residents=scan_table(files.residents) if lazy else read_table(files.residents),
        prior_indicators=None if files.prior_indicators is None else read_table(files.prior_indicators),
    )


def write_year(result: YearSettlement, out: Path | str, claims: bool = True) -> list[Path]:
    """Every frame into `out`: statements as CSV and Parquet, the per-claim results as `claims.parquet` (unless
    `claims` is False: `settle_year` has written them batch by batch); the point-method frames under `out/points/`.
    The paths written."""
    out = Path(out)
    frames = [(getattr(result, name), out / f"{name}{suffix}") for name in STATEMENT_FILES
              for suffix in (".csv", ".parquet")]  # fmt: skip
    for frame, path in frames:
        write_frame(frame, path)
    paths = [path for _, path in frames]
    if claims:
        sink_frame(result.claims, out / "claims.parquet")
        paths.append(out / "claims.parquet")
    return [*paths, *write_settlement(result.points, out / "points", ".parquet")]
