"""Which files a case reads (as `load_case` or `load_year_case` finds them), their content hashes, and the policy
text: what a run keeps so that it can be explained without the original folder.

A policy that is not what its file says (built or changed in Python: a what-if) is kept as the TOML text of the
policy itself (`policy_text.policy_toml`), under the name `IN_MEMORY`, and hashed as that text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from yibao.alliance.case_dir import YearCaseFiles
from yibao.errors import InputError
from yibao.settlement.case_dir import CaseFiles
from yibao.settlement.policy import Policy, load_policy
from yibao.settlement.policy_text import policy_toml
from yibao.store.hashes import Blob, FileHash, claims_files, hash_files, policy_tables

INPUT_ROLES = ("claims", "policy", "tables")
"""The three inputs a run is keyed by: the claims, the policy with its tables, the organisation tables."""
IN_MEMORY = "(in memory)"
"""The name a run gives a policy that exists only in memory."""


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
class CaseInputs:
    """The inputs of a case: the three hashes, every file, and the policy file's name and full text."""

    hashes: InputHashes
    files: list[InputFile]
    policy_name: str
    policy_text: str

    @property
    def in_memory(self) -> bool:
        """Whether the policy settled is not its file's (built or changed in Python)."""
        return self.policy_name == IN_MEMORY


def file_name(path: Path, folder: Path) -> str:
    """A file's name as stored: relative to the case folder when inside it, else its absolute path (POSIX)."""
    absolute, base = Path(os.path.abspath(path)), Path(os.path.abspath(folder))
    return (absolute.relative_to(base) if absolute.is_relative_to(base) else absolute).as_posix()


def _files(role: str, hashed: list[FileHash], folder: Path) -> list[InputFile]:
    """Each file once (a table the policy names twice is read twice but listed once), in reading order."""
    named = {(h.path.name if isinstance(h.path, Blob) else file_name(h.path, folder)): h for h in hashed}
    return [InputFile(role, name, h.sha256, h.size) for name, h in named.items()]


def _from_file(policy: Policy, path: Path) -> bool:
    """Whether `policy` is what the policy file says."""
    try:
        return path.is_file() and load_policy(path) == policy
    except InputError:
        return False


def case_inputs(folder: Path, policy: Policy, files: CaseFiles | YearCaseFiles) -> CaseInputs:
    """What a case read (`files`, as `case_files` or `year_case_files` found them), each file read once to hash it;
    `policy` is the policy it settled under (its table paths; its own text when it is not its file's)."""
    source: Path | Blob = files.policy
    if not _from_file(policy, files.policy):
        source = Blob(IN_MEMORY, policy_toml(policy).encode("utf-8"))
    read = {
        "claims": hash_files(claims_files(files.claims)),
        "policy": hash_files([source, *policy_tables(policy)]),
        "tables": hash_files(files.organisation),
    }
    return CaseInputs(
        hashes=InputHashes(**{role: digest for role, (digest, _) in read.items()}),
        files=[file for role in INPUT_ROLES for file in _files(role, read[role][1], folder)],
        policy_name=source.name if isinstance(source, Blob) else file_name(source, folder),
        policy_text=(source.data if isinstance(source, Blob) else source.read_bytes()).decode("utf-8"),
    )
