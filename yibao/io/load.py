"""Load claim files: validate, keep accepted rows, quarantine rejects, and reconcile the counts."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl
from pydantic import BaseModel, ConfigDict

from yibao.errors import InputError
from yibao.io.read import ROW, RawClaims, open_claims, raw_claims
from yibao.io.rejects import reject_lines
from yibao.io.validate import BAD, FIELDS, Checked, checked_frame
from yibao.models import Claim
from yibao.models.schema import polars_schema

ACCEPTED_SUFFIX = ".accepted.parquet"
REJECTS_SUFFIX = ".rejects.csv"


class LoadSummary(BaseModel):
    """What a load read, accepted and rejected (read = accepted + rejected; blank rows are not records)."""

    model_config = ConfigDict(frozen=True)

    source: str
    accepted_file: str | None = None
    rejects_file: str | None = None
    read: int
    accepted: int
    rejected: int
    blank_rows: int
    reject_lines: int
    ignored_columns: list[str]

    def model_post_init(self, _: object) -> None:
        if self.read != self.accepted + self.rejected:
            raise AssertionError(
                f"{self.source}: counts do not reconcile: {self.read} ≠ {self.accepted} + {self.rejected}"
            )


class Load(BaseModel):
    """An in-memory load: accepted claims (the `Claim` schema) and reject lines."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    summary: LoadSummary
    accepted: pl.DataFrame
    rejects: pl.DataFrame


def _accepted(checked: pl.LazyFrame) -> pl.LazyFrame:
    return checked.filter(~pl.col(BAD)).select(FIELDS).cast(dict(polars_schema(Claim)))


def _counts(checked: Checked) -> pl.LazyFrame:
    rejected = checked.frame.select(pl.len().alias("read"), pl.col(BAD).sum().alias("rejected"))
    return rejected.join(checked.counts, how="cross")


def _summary(raw: RawClaims, counts: pl.DataFrame, reject_count: int, **files: str) -> LoadSummary:
    read, rejected, total, blank = counts.row(0)
    if total - blank != read:
        raise AssertionError(f"{raw.source}: {total} rows, {blank} blank, but {read} read")
    return LoadSummary(
        **files,
        source=str(raw.source),
        read=read,
        accepted=read - rejected,
        rejected=rejected,
        blank_rows=total - read,
        reject_lines=reject_count,
        ignored_columns=raw.columns.ignored,
    )


@contextmanager
def _parsing(source: Path | str) -> Iterator[None]:
    """A file that polars cannot parse becomes an InputError; polars' message quotes raw rows, so it is dropped."""
    try:
        yield
    except pl.exceptions.ComputeError:
        reason = "cannot be parsed (an unmatched quote, or a row with more fields than the header?) 文件格式错误"
        raise InputError(source, reason) from None


def load_raw(raw: RawClaims) -> Load:
    """Validate claims already opened, in memory."""
    with _parsing(raw.source):
        return _load_raw(raw)


def _load_raw(raw: RawClaims) -> Load:
    checked = checked_frame(raw, in_memory=True)
    frame = checked.frame.cache()
    rejects = reject_lines(frame.filter(pl.col(BAD)), checked.rules, str(raw.source))
    accepted, rejected, counts = pl.collect_all(
        [_accepted(frame), rejects, _counts(checked)],
    )
    summary = _summary(raw, counts, rejected.height)
    if summary.accepted != accepted.height:
        raise AssertionError(f"{raw.source}: {accepted.height} accepted rows written, {summary.accepted} counted")
    return Load(summary=summary, accepted=accepted, rejects=rejected)


def load_claims(source: Path | str | pl.DataFrame) -> Load:
    """Read and validate a claim file (CSV, Parquet, Excel) or a frame, in memory."""
    if isinstance(source, pl.DataFrame):
        return load_raw(raw_claims(source, "<frame>"))
    with tempfile.TemporaryDirectory(prefix="yibao-") as workdir:
        return load_raw(open_claims(source, Path(workdir)))


def validate_file(source: Path | str, out_dir: Path | str) -> LoadSummary:
    """Validate a claim file of any size, streaming: accepted rows to `<name>.accepted.parquet`, reject lines to
    `<name>.rejects.csv` in `out_dir`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    accepted_file, rejects_file = (
        out / f"{Path(source).stem}{ACCEPTED_SUFFIX}",
        out / f"{Path(source).stem}{REJECTS_SUFFIX}",
    )
    with _parsing(source), tempfile.TemporaryDirectory(prefix="yibao-") as workdir:  # private, not in `out`
        raw = open_claims(source, Path(workdir))
        checked = checked_frame(raw, in_memory=False)
        rejected_rows = Path(workdir) / "rejected.parquet"
        _, _, counts = pl.collect_all(
            [
                _accepted(checked.frame).sink_parquet(accepted_file, lazy=True),
                checked.frame.filter(pl.col(BAD)).sink_parquet(rejected_rows, lazy=True),
                _counts(checked),
            ],
            engine="streaming",
        )
        lines = reject_lines(pl.scan_parquet(rejected_rows), checked.rules, str(raw.source))
        lines.sink_csv(rejects_file)
        reject_count = pl.scan_csv(rejects_file).select(pl.len()).collect().item()
    summary = _summary(raw, counts, reject_count, accepted_file=str(accepted_file), rejects_file=str(rejects_file))
    written = pl.scan_parquet(accepted_file).select(pl.len()).collect().item()
    if written != summary.accepted:
        raise AssertionError(f"{source}: {written} accepted rows written, {summary.accepted} counted")
    return summary


__all__ = ["ROW", "Load", "LoadSummary", "load_claims", "validate_file"]
