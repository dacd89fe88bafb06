"""Which files an alliance year case reads (as `load_year_case` finds them), their content hashes, and the policy
text: what a run keeps so that it can be explained without the original folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from yibao.alliance.case_dir import year_case_files
from yibao.settlement.policy import Policy
from yibao.store.hashes import FileHash, claims_files, hash_files, policy_tables

INPUT_ROLES = ("claims", "policy", "tables")
"""The three inputs a run is keyed by: the claims, the policy with its tables, the organisation tables."""


@dataclass(frozen=True)
class InputHashes:
    """sha256 of the claims, of the policy with its tables, and of the organisation tables."""

    claims: str
    policy: str
    tables: str


@dataclass(frozen=True)
class InputFile:
    """One file a run read: its input (claims / policy / tables), name, own sha256 and size."""

    role: str
    name: str
    sha256: str
    size: int


@dataclass(frozen=True)
class YearInputs:
    """The inputs of a year case: the three hashes, every file, and the policy file's name and full text."""

    hashes: InputHashes
    files: list[InputFile]
    policy_name: str
    policy_text: str


def file_name(path: Path, folder: Path) -> str:
    """A file's name as stored: relative to the case folder when inside it, else its absolute path (POSIX)."""
    absolute, base = Path(os.path.abspath(path)), Path(os.path.abspath(folder))
    return (absolute.relative_to(base) if absolute.is_relative_to(base) else absolute).as_posix()


def _files(role: str, hashed: list[FileHash], folder: Path) -> list[InputFile]:
    """Each file once (a table the policy names twice is read twice but listed once), in reading order."""
    named = {file_name(h.path, folder): h for h in hashed}
    return [InputFile(role, name, h.sha256, h.size) for name, h in named.items()]


def year_inputs(
    folder: Path,
    policy: Policy,
    policy_file: Path | None = None,
    claims: Path | None = None,
    institutions: Path | None = None,
) -> YearInputs:
    """What `load_year_case(folder, policy_file, claims, institutions)` read, each file read once to hash it;
    `policy` is the policy it settled under (its table paths)."""
    files = year_case_files(folder, policy_file, claims, institutions)
    read = {
        "claims": hash_files(claims_files(files.claims)),
        "policy": hash_files([files.policy, *policy_tables(policy)]),
        "tables": hash_files(files.organisation),
    }
    return YearInputs(
        hashes=InputHashes(**{role: digest for role, (digest, _) in read.items()}),
        files=[file for role in INPUT_ROLES for file in _files(role, read[role][1], folder)],
        policy_name=file_name(files.policy, folder),
        policy_text=files.policy.read_bytes().decode("utf-8"),
    )
