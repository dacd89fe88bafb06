"""Which files an alliance year case reads (as `load_year_case` finds them), and their content hashes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from yibao.settlement.case_dir import find_table
from yibao.settlement.policy import Policy
from yibao.store.hashes import claims_hash, files_hash, policy_hash


@dataclass(frozen=True)
class InputHashes:
    """sha256 of the claims, of the policy with its tables, and of the organisation tables."""

    claims: str
    policy: str
    tables: str


def organisation_files(folder: Path, institutions: Path | None = None) -> list[Path]:
    """institutions, alliances, residents and (when present) prior_indicators.csv of a case folder."""
    files = [institutions or find_table(folder, "institutions"), find_table(folder, "alliances"),
             find_table(folder, "residents")]  # fmt: skip
    prior = folder / "prior_indicators.csv"
    return [*files, prior] if prior.is_file() else files


def year_hashes(
    folder: Path,
    policy: Policy,
    policy_file: Path | None = None,
    claims: Path | None = None,
    institutions: Path | None = None,
) -> InputHashes:
    """The hashes of what `load_year_case(folder, policy_file, claims, institutions)` read; `policy` is the policy
    it settled under (its table paths)."""
    if claims is None:
        claims = folder / "claims" if (folder / "claims").is_dir() else find_table(folder, "claims")
    return InputHashes(
        claims=claims_hash(claims),
        policy=policy_hash(policy_file or folder / "policy.toml", policy),
        tables=files_hash(organisation_files(folder, institutions)),
    )
