"""Content hashes of a run's inputs (sha256, hex): a changed byte in any input makes a new run.

Each file is fed as its length then its bytes, so that moving bytes from one file to the next changes the hash.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel

from yibao.errors import InputError
from yibao.settlement.policy import Policy

CHUNK = 1 << 20


@dataclass(frozen=True)
class Blob:
    """An input held in memory rather than read from a file (a policy changed in Python): its name and bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class FileHash:
    """One input: its path (or the blob it is), size in bytes and own sha256 (what `sha256sum` prints)."""

    path: Path | Blob
    size: int
    sha256: str


def _chunks(source: Path | Blob) -> Iterator[bytes]:
    if isinstance(source, Blob):
        yield source.data
        return
    with source.open("rb") as file:
        while chunk := file.read(CHUNK):
            yield chunk


def hash_files(paths: Iterable[Path | Blob]) -> tuple[str, list[FileHash]]:
    """In one read of each file: the sha256 over the files in the order given (each as its length then its
    bytes), and every file's own sha256."""
    digest, each = hashlib.sha256(), []
    for path in paths:
        try:
            size = len(path.data) if isinstance(path, Blob) else path.stat().st_size
            own = hashlib.sha256()
            digest.update(size.to_bytes(8, "big"))
            for chunk in _chunks(path):
                digest.update(chunk)
                own.update(chunk)
        except FileNotFoundError:
            raise InputError(path, "no such file (an input of the run)") from None
        each.append(FileHash(path, size, own.hexdigest()))
    return digest.hexdigest(), each


def files_hash(paths: Iterable[Path]) -> str:
    """sha256 over the files, in the order given, each as its length then its bytes."""
    return hash_files(paths)[0]


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
