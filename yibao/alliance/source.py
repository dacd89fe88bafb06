"""Where a year's claims and residents come from, and their reading in batches of residence counties.

Everything of an alliance settlement but the point value is local to a residence county (参保地): who an alliance
covers, each claim's place and payment, the charges and the indicators. A year too large for memory is therefore
settled one batch of counties at a time: the claims split by batch once into temporary files, the residents read
with a filter on the county; frames given in memory are one batch. The few things that span the region are read
first, over every claim: duplicate claim ids and the inpatient stays (for the point value).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import polars as pl

from yibao.alliance.claims import CLAIM_COLUMNS, INPATIENT, OPTIONAL_CLAIM_COLUMNS, batch_claims
from yibao.alliance.split import BATCH, split_by_batch
from yibao.alliance.tables import flag, trimmed_text, unreadable_flag
from yibao.errors import InputError, require_columns
from yibao.settlement.cases import ROW, check_readable, column_parser

BATCH_CLAIMS = 5_000_000
"""Claims read per batch when the claims are files (a batch holds whole counties, so it may hold more)."""


@dataclass(frozen=True)
class Batch:
    """Residence counties settled together; `None` stands for claims and residents without a county."""

    counties: tuple[str | None, ...]
    claims: int


def _numbered(frame: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """The frame with its source `row` (1-based): kept when it has one (a scan numbers rows best, see
    `case_dir.scan_table`: a row index added after the scan stops filters reaching the files)."""
    lazy = frame.lazy()
    return lazy if ROW in lazy.collect_schema() else lazy.with_row_index(ROW, offset=1)


@contextmanager
def _reading(table: str) -> Iterator[None]:
    """Polars' error for a malformed file as one sentence naming the table (its message may quote raw rows)."""
    try:
        yield
    except pl.exceptions.ComputeError:
        raise InputError(table, "not a well-formed file (a CSV row with more fields than the header?)") from None


def _repeated(hashes: pl.Series) -> pl.Series:
    """The values that occur more than once (sorting is cheaper than hashing 64-bit hashes again)."""
    ordered = np.sort(hashes.to_numpy())
    return pl.Series("hash", np.unique(ordered[1:][ordered[1:] == ordered[:-1]]), pl.UInt64)


def _sharing(frame: pl.LazyFrame, key: pl.Expr) -> pl.DataFrame:
    """`row` and `key` of every line whose key another line holds too, in row order: candidates by a 64-bit hash of
    the key, then compared as text."""
    name = key.meta.output_name()
    shared = _repeated(frame.select(key.hash(7).alias("hash")).collect(engine="streaming")["hash"])
    lines = frame.select(ROW, key)
    if shared.is_empty():
        return lines.clear().collect()
    found = lines.filter(pl.col(name).hash(7).is_in(shared.implode())).collect(engine="streaming")
    return found.filter(pl.col(name).is_duplicated()).sort(ROW)


def in_batch(county: pl.Expr, batch: Batch) -> pl.Expr:
    """Whether `county` is one of the batch's (null counts when the batch holds the claims without a county)."""
    known = [c for c in batch.counties if c is not None]
    inside = county.is_in(known)
    return inside | county.is_null() if None in batch.counties else inside


@dataclass(frozen=True, eq=False)
class YearSource:
    """The claims and residents of a year, each with its source `row`; `whole`: both in memory, one batch."""

    claims: pl.LazyFrame
    residents: pl.LazyFrame
    whole: bool

    @classmethod
    def of(cls, claims: pl.DataFrame | pl.LazyFrame, residents: pl.DataFrame | pl.LazyFrame) -> YearSource:
        whole = isinstance(claims, pl.DataFrame) and isinstance(residents, pl.DataFrame)
        return cls(_numbered(claims), _numbered(residents), whole)

    def _claims_column(self, name: str) -> pl.Expr:
        """A claims column read as `typed_claims` reads it."""
        return column_parser(name, self.claims.collect_schema()[name]).cast(CLAIM_COLUMNS[name])

    def duplicate_claim_ids(self) -> pl.Series:
        """Claim ids held by more than one claim of the year: candidates by a 64-bit hash, then compared as text."""
        claim_id = self._claims_column("claim_id").alias("claim_id")
        return _sharing(self.claims, claim_id)["claim_id"].unique().drop_nulls()

    def stays(self) -> pl.DataFrame:
        """Every claim whose visit type reads as inpatient (住院), with its source row."""
        inpatient = self._claims_column("visit_type") == INPATIENT
        return self.claims.filter(inpatient.fill_null(False)).collect(engine="streaming")

    def check_claims(self) -> None:
        """An unreadable value anywhere in the claims is an error naming the first (by column, then row), whichever
        batch holds it."""
        with _reading("claims"):
            check_readable(self.claims, "claims", CLAIM_COLUMNS, OPTIONAL_CLAIM_COLUMNS)

    def check_residents(self) -> None:
        """The residents' checks, over every resident before any batch (a batch sees one county at a time): the
        columns, the first yes/no value that is not one, then a person listed twice anywhere (their claims would
        count twice)."""
        with _reading("residents"):
            self._check_residents()

    def _check_residents(self) -> None:
        schema = self.residents.collect_schema()
        require_columns(schema.names(), "residents", ("person_key", "residence_county", "signed_family_doctor"))
        if schema["signed_family_doctor"] != pl.Boolean:
            signed = self.residents.select(ROW, "signed_family_doctor").filter(unreadable_flag("signed_family_doctor"))
            flag(signed.head(1).collect(engine="streaming"), "signed_family_doctor", "residents")  # raises if any
        twice = _sharing(self.residents, trimmed_text("person_key"))
        if twice.height:
            raise InputError("residents", "this person is listed twice", row=int(twice[ROW][1]), field="person_key")

    def batches(self, alliance_counties: pl.Series, most_claims: int = BATCH_CLAIMS) -> list[Batch]:
        """Counties in batches of at most `most_claims` claims (a county is never split); one batch when whole."""
        claims = self.claims.group_by(self._claims_column("residence_county").alias("county")).len()
        residents = self.residents.select(trimmed_text("residence_county").alias("county")).unique()
        known = [
            claims.collect(engine="streaming"),
            residents.with_columns(len=pl.lit(0, pl.UInt32)).collect(engine="streaming"),
            alliance_counties.rename("county").to_frame().with_columns(len=pl.lit(0, pl.UInt32)),
        ]
        counts = (
            pl.concat(known, how="vertical_relaxed")
            .group_by("county")
            .agg(pl.col("len").sum())
            .sort("county", nulls_last=False)
        )
        if self.whole:
            return [Batch(tuple(counts["county"]), int(counts["len"].sum()))]
        batches: list[Batch] = []
        counties: list[str | None] = []
        size = 0
        for county, count in counts.iter_rows():
            if counties and size + count > most_claims:
                batches.append(Batch(tuple(counties), size))
                counties, size = [], 0
            counties.append(county)
            size += count
        if counties:
            batches.append(Batch(tuple(counties), size))
        return batches

    @contextmanager
    def batch_claims(self, batches: list[Batch]) -> Iterator[Callable[[int], pl.DataFrame]]:
        """Yields the reader of a batch's claims by its number in `batches` (`batch_claims` columns, source order).
        Claims read from files are split by batch in one pass into temporary files first, removed afterwards."""
        claims = batch_claims(self.claims)
        if self.whole:
            frame = claims.collect()
            yield lambda _: frame
            return
        numbers = pl.LazyFrame(
            [(county, number) for number, batch in enumerate(batches) for county in batch.counties],
            schema={"residence_county": pl.String, BATCH: pl.UInt32},
            orient="row",
        )
        numbered = claims.join(numbers, on="residence_county", nulls_equal=True, maintain_order="left")
        with _reading("claims"), split_by_batch(numbered) as read:
            yield read

    def residents_of(self, batch: Batch) -> pl.DataFrame:
        """The residents of the batch's counties."""
        if self.whole:
            return self.residents.collect()
        county = trimmed_text("residence_county")
        return self.residents.filter(in_batch(county, batch)).collect(engine="streaming")

    def counties_by_hash(self, hashes: pl.Series) -> pl.DataFrame:
        """hash (`person_key.hash(7)` of the trimmed key) and listed county of the residents with one of `hashes`."""
        person = trimmed_text("person_key").hash(7).alias("hash")
        found = self.residents.select(person, listed=trimmed_text("residence_county"))
        return found.filter(pl.col("hash").is_in(hashes.implode())).collect(engine="streaming")

    def listed(self, persons: pl.Series) -> pl.DataFrame:
        """person_key and residence_county of those of `persons` (trimmed keys) the residents table lists, in any
        county: candidates by a 64-bit hash of the key, then matched as text."""
        keys = trimmed_text("person_key", "residence_county")
        if persons.is_empty():
            return self.residents.select(keys).clear().collect()
        hashes = persons.hash(7).unique()
        candidates = self.residents.select(keys).filter(pl.col("person_key").hash(7).is_in(hashes.implode()))
        found = candidates.collect(engine="streaming")
        return found.filter(pl.col("person_key").is_in(persons.implode()))
