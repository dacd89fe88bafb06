"""Content hashes of a run's inputs (sha256, hex): a changed byte in any input makes a new run.

Each file is fed as its length then its bytes, so that moving bytes from one file to the next changes the hash.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel

from yibao.errors import InputError
from yibao.settlement.policy import Policy

CHUNK = 1 << 20


def files_hash(paths: Iterable[Path]) -> str:
    """sha256 over the files, in the order given, each as its length then its bytes."""
    digest = hashlib.sha256()
    for path in paths:
        try:
            digest.update(path.stat().st_size.to_bytes(8, "big"))
            with path.open("rb") as file:
                while chunk := file.read(CHUNK):
                    digest.update(chunk)
        except FileNotFoundError:
            raise InputError(path, "no such file (an input of the run)") from None
    return digest.hexdigest()


def bytes_hash(data: bytes) -> str:
    """sha256 of bytes (hex)."""
    return hashlib.sha256(data).hexdigest()


def frame_parquet(frame: pl.DataFrame) -> bytes:
    """A frame as Parquet bytes (the same frame gives the same bytes under one polars version)."""
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="lz4")
    return buffer.getvalue()


def claims_files(source: Path) -> list[Path]:
    """The files a claims input is read from: the file itself, or a claims/ folder's Parquet files by name."""
    return sorted(source.glob("*.parquet")) if source.is_dir() else [source]


def claims_hash(source: Path | pl.DataFrame) -> str:
    """sha256 of the claims: every claims file's bytes (sorted by name), or a frame's Parquet bytes."""
    if isinstance(source, pl.DataFrame):
        return bytes_hash(frame_parquet(source))
    return files_hash(claims_files(source))


def _paths(value: Any) -> Iterator[Path]:
    """Every Path held in a policy section, in field order (lists and dicts included)."""
    if isinstance(value, Path):
        yield value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _paths(getattr(value, name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _paths(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _paths(item)


def policy_tables(policy: Policy) -> list[Path]:
    """The table files a policy refers to (base points, history years, coefficients, …), resolved."""
    sections = [getattr(policy, name) for name in type(policy).model_fields if name != "folder"]
    return [policy.path(path) for path in _paths(sections)]


def policy_hash(policy_file: Path, policy: Policy) -> str:
    """sha256 of the policy file's bytes and of every table file it refers to."""
    return files_hash([policy_file, *policy_tables(policy)])
