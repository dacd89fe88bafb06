"""Which files an alliance year case reads (as `load_year_case` finds them), and their content hashes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from yibao.alliance.case_dir import year_case_files
from yibao.settlement.policy import Policy
from yibao.store.hashes import claims_hash, files_hash, policy_hash


@dataclass(frozen=True)
class InputHashes:
    """sha256 of the claims, of the policy with its tables, and of the organisation tables."""

    claims: str
    policy: str
    tables: str


def year_hashes(
    folder: Path,
    policy: Policy,
    policy_file: Path | None = None,
    claims: Path | None = None,
    institutions: Path | None = None,
) -> InputHashes:
    """The hashes of what `load_year_case(folder, policy_file, claims, institutions)` read; `policy` is the policy
    it settled under (its table paths)."""
    files = year_case_files(folder, policy_file, claims, institutions)
    return InputHashes(
        claims=claims_hash(files.claims),
        policy=policy_hash(files.policy, policy),
        tables=files_hash(files.organisation),
    )
