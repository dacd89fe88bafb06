"""A year's claims split once by batch into temporary Parquet files, so that each batch reads only its own claims
(a scan filtered on the county per batch decodes most of every claims file once per batch)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl
from polars.io.partition import FileProviderArgs

BATCH = "batch"
"""The column of `split_by_batch`'s input that numbers each line's batch."""


@contextmanager
def split_by_batch(frame: pl.LazyFrame) -> Iterator[Callable[[int], pl.DataFrame]]:
    """`frame` written in one streaming pass into a private temporary folder, a file per value of its `batch`
    column; yields the reader of one batch's lines (in `frame` order, without `batch`). The folder is removed
    afterwards, also on error."""
    schema = frame.drop(BATCH).collect_schema()
    with tempfile.TemporaryDirectory(prefix="yibao-batches-") as name:
        folder = Path(name)

        def path(args: FileProviderArgs) -> Path:
            return folder / f"{args.partition_keys[BATCH].item():05d}-{args.index_in_partition:05d}.parquet"

        partitions = pl.PartitionBy(folder, key=BATCH, include_key=False, file_path_provider=path)
        frame.sink_parquet(partitions, compression="uncompressed")  # written and read once: lz4 cost ~15%

        def read(batch: int) -> pl.DataFrame:
            files = sorted(folder.glob(f"{batch:05d}-*.parquet"))
            return pl.read_parquet(files) if files else pl.DataFrame(schema=schema)

        yield read
