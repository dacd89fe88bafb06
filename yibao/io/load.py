"""Load claim files: validate, keep accepted rows, quarantine rejects, and reconcile the counts."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cache, partial
from pathlib import Path
from typing import TextIO

import polars as pl
from polars.io.plugins import register_io_source
from pydantic import BaseModel, ConfigDict

from yibao.errors import InputError
from yibao.io.read import ROW, RawClaims, open_claims, raw_claims
from yibao.io.rejects import REJECT_COLUMNS, reject_lines
from yibao.io.validate import BAD, FIELDS, LIST_FIELDS, Checked, Rule, checked_frame, duplicate_ids, duplicate_rule
from yibao.io.validate import raw as raw_name
from yibao.io.write import PARQUET_COMPRESSION
from yibao.models import Claim
from yibao.models.schema import polars_schema

BATCH_ROWS = 250_000
"""Rows `validate_file` checks at a time: its memory follows the batch, not the file (1e7 CSV rows: 1.5 GB at
most; 500,000 rows a batch took 2.1 GB, no faster)."""
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


def _accepted(checked: pl.DataFrame) -> pl.DataFrame:
    return checked.lazy().filter(~pl.col(BAD)).select(FIELDS).cast(dict(polars_schema(Claim))).collect()


def _counts(checked: Checked) -> pl.DataFrame:
    """One row: rows `read` (not blank), `rejected`, `total` rows and `blank` rows."""
    frame = checked.frame
    return pl.DataFrame(
        {"read": [frame.height], "rejected": [frame[BAD].sum()], "total": [checked.total], "blank": [checked.blank]}
    )


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
        blank_rows=blank,
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


@dataclass(frozen=True)
class _Checked:
    """What checking some rows leaves: accepted rows, reject lines, counts (`_counts`), and each non-blank row's
    claim id with its row number and bad flag (to look for duplicate ids across pieces)."""

    accepted: pl.DataFrame
    rejects: pl.DataFrame
    counts: pl.DataFrame
    ids: pl.DataFrame


def _check(raw: RawClaims) -> _Checked:
    """Check the rows of `raw` (the whole file, or a piece of it), all but the duplicate-id rule (`_Duplicates`)."""
    checked = checked_frame(raw)
    rejects = reject_lines(checked.frame.lazy().filter(pl.col(BAD)), checked.rules, str(raw.source)).collect()
    # lazily: an eager select on a frame whose columns are chunked unalike copies them all into one chunk (7 s)
    ids = checked.frame.lazy().select(ROW, raw_name("claim_id"), "claim_id", BAD).collect()
    return _Checked(_accepted(checked.frame), rejects, _counts(checked), ids)


@dataclass(frozen=True)
class _Duplicates:
    """The rows of a whole file whose claim id repeats: the rule that finds them, their reject lines (one a row),
    how many rows they are, and how many of them every other rule accepted (rejected now)."""

    rule: Rule
    lines: pl.LazyFrame
    rows: int
    newly_rejected: int

    @classmethod
    def find(cls, ids: pl.LazyFrame, source: str) -> _Duplicates | None:
        """The duplicates among the claim ids of a whole file (`_Checked.ids`); None when no id repeats."""
        repeated = duplicate_ids(ids)
        if repeated.is_empty():
            return None
        rule = duplicate_rule(repeated)
        rows = ids.filter(rule.violated)
        counts = rows.select(pl.len(), (~pl.col(BAD)).sum()).collect(engine="streaming")
        return cls(rule, reject_lines(rows, [rule], source), *counts.row(0))

    def rejected_from(self, accepted: pl.LazyFrame) -> pl.LazyFrame:
        """The accepted rows without these."""
        return accepted.filter(~self.rule.violated)

    def added_to(self, rejects: pl.LazyFrame) -> pl.LazyFrame:
        """Reject lines (in row order) with these merged in, each after its row's other lines (the rule is a
        claim's last): a merge, not a sort, so a large rejects file is not held in memory."""
        return rejects.merge_sorted(self.lines, key=ROW)

    def counted_in(self, counts: pl.DataFrame) -> pl.DataFrame:
        """Counts (`_counts`) with these rows rejected."""
        return counts.with_columns(pl.col("rejected") + self.newly_rejected)


def _load_raw(raw: RawClaims) -> Load:
    """Check the file piece by piece (`RawClaims.pieces`), then look for duplicate ids across all of them."""
    checked = [_check(piece) for piece in raw.pieces()]
    accepted = pl.concat([c.accepted for c in checked], rechunk=False)
    rejects = pl.concat([c.rejects for c in checked], rechunk=False)
    counts = pl.concat([c.counts for c in checked]).sum()
    duplicates = _Duplicates.find(pl.concat([c.ids for c in checked], rechunk=False).lazy(), str(raw.source))
    if duplicates is not None:
        accepted = duplicates.rejected_from(accepted.lazy()).collect()
        rejects = duplicates.added_to(rejects.lazy()).collect()
        counts = duplicates.counted_in(counts)
    summary = _summary(raw, counts, rejects.height)
    if summary.accepted != accepted.height:
        raise AssertionError(f"{raw.source}: {accepted.height} accepted rows written, {summary.accepted} counted")
    return Load(summary=summary, accepted=accepted, rejects=rejects)


@cache
def _load_compiled_passes() -> None:
    """Validate two made-up rows of text (the second without codes), once per process: numba loads each compiled
    pass from its cache at the pass's first call (about 0.3 s in a new process, whatever the file's size)."""
    rows = {name: ["1", None if name in LIST_FIELDS else "1"] for name in FIELDS}
    checked_frame(raw_claims(pl.DataFrame(rows), "<compiled passes>"))


@contextmanager
def _passes_loading() -> Iterator[None]:
    """The compiled passes loading in a thread while the body reads a file (polars' read leaves the GIL free)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        loading = pool.submit(_load_compiled_passes)
        yield
        loading.result()


def load_claims(source: Path | str | pl.DataFrame) -> Load:
    """Read and validate a claim file (CSV, Parquet, Excel) or a frame, in memory."""
    if isinstance(source, pl.DataFrame):
        return load_raw(raw_claims(source, "<frame>"))
    with _passes_loading(), tempfile.TemporaryDirectory(prefix="yibao-") as workdir:
        return load_raw(open_claims(source, Path(workdir)))


class _Batches:
    """The accepted rows of a file batch by batch, as a lazy frame for polars' own Parquet writer (twice as fast as
    Arrow's here; LZ4 like every result of yibao: at 1e6 rows written in 0.24 s against zstd's 0.35–0.38 and read
    back twice as fast, at 1.65 times the size); each batch's reject lines go to `rejects` as it is checked, its
    claim ids to a file of their own in `workdir` (`ids`), and its counts to `counts`."""

    def __init__(self, raw: RawClaims, rejects: TextIO, workdir: Path) -> None:
        self.raw, self.rejects, self.workdir = raw, rejects, workdir
        self.counts: list[pl.DataFrame] = []
        self.reject_lines = 0
        self.id_files: list[Path] = []

    @property
    def ids(self) -> pl.LazyFrame:
        """The claim ids of every batch checked (`_Checked.ids`)."""
        return pl.scan_parquet(self.id_files, glob=False)

    def _accepted(self, *_: object) -> Iterator[pl.DataFrame]:
        """The IO source: a sink of the whole frame passes no projection, filter or row limit to honour."""
        for number, batch in enumerate(self.raw.pieces()):
            checked = _check(batch)
            checked.rejects.write_csv(self.rejects, include_header=number == 0)
            self.id_files.append(self.workdir / f"ids-{number:06}.parquet")
            checked.ids.write_parquet(self.id_files[-1], compression=PARQUET_COMPRESSION)
            self.counts.append(checked.counts)
            self.reject_lines += checked.rejects.height
            yield checked.accepted

    def sink(self, accepted_file: Path) -> None:
        """Check every batch, writing the accepted rows to `accepted_file`."""
        batches = register_io_source(self._accepted, schema=polars_schema(Claim), explain_name="yibao batches")
        batches.sink_parquet(accepted_file, compression=PARQUET_COMPRESSION)


def _rewrite(path: Path, rows: pl.LazyFrame, write: Callable[[pl.LazyFrame, Path], object]) -> None:
    """Write `rows` (read from `path`) to `path`, through a file beside it (removed if the write fails)."""
    new = path.with_name(f".{path.name}.new")
    try:
        write(rows, new)
        new.replace(path)
    except BaseException:
        new.unlink(missing_ok=True)
        raise


def _reject_duplicates(duplicates: _Duplicates, accepted_file: Path, rejects_file: Path) -> None:
    """Take the rows whose claim id repeats out of the accepted file and add their lines to the rejects file."""
    accepted = pl.scan_parquet(accepted_file, glob=False)
    write = partial(pl.LazyFrame.sink_parquet, compression=PARQUET_COMPRESSION)
    _rewrite(accepted_file, duplicates.rejected_from(accepted), write)
    schema = {name: pl.UInt32 if name == ROW else pl.String for name in REJECT_COLUMNS}
    rejects = pl.scan_csv(rejects_file, schema=schema, glob=False)
    _rewrite(rejects_file, duplicates.added_to(rejects), pl.LazyFrame.sink_csv)


def validate_file(source: Path | str, out_dir: Path | str, batch_rows: int = BATCH_ROWS) -> LoadSummary:
    """Validate a claim file of any size: accepted rows to `<name>.accepted.parquet`, reject lines to
    `<name>.rejects.csv` in `out_dir`. Rows are read and checked `batch_rows` at a time, so memory follows the batch,
    not the file; rows whose claim id repeats anywhere in the file are taken out of the results afterwards."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    accepted_file, rejects_file = (
        out / f"{Path(source).stem}{ACCEPTED_SUFFIX}",
        out / f"{Path(source).stem}{REJECTS_SUFFIX}",
    )
    with _passes_loading(), tempfile.TemporaryDirectory(prefix="yibao-") as workdir:  # private
        with _parsing(source):
            raw = replace(open_claims(source, Path(workdir)), piece_rows=batch_rows)
        try:
            with _parsing(source), rejects_file.open("w", encoding="utf-8", newline="") as rejects:
                batches = _Batches(raw, rejects, Path(workdir))
                batches.sink(accepted_file)
            totals, reject_count = pl.concat(batches.counts).sum(), batches.reject_lines
            duplicates = _Duplicates.find(batches.ids, str(raw.source))
            if duplicates is not None:
                _reject_duplicates(duplicates, accepted_file, rejects_file)
                totals, reject_count = duplicates.counted_in(totals), reject_count + duplicates.rows
        except BaseException:  # a batch that fails leaves no half-written results
            accepted_file.unlink(missing_ok=True)
            rejects_file.unlink(missing_ok=True)
            raise
    summary = _summary(raw, totals, reject_count, accepted_file=str(accepted_file), rejects_file=str(rejects_file))
    written = pl.scan_parquet(accepted_file, glob=False).select(pl.len()).collect().item()
    if written != summary.accepted:
        raise AssertionError(f"{source}: {written} accepted rows written, {summary.accepted} counted")
    return summary


__all__ = ["ROW", "Load", "LoadSummary", "load_claims", "validate_file"]
