"""`generate_case`: write a runnable case folder — region, alliances, institutions, residents and a year of claims.

Layout::

    region.json                       one Region (统筹区)
    alliances.csv                     Alliance fields (医共体)
    institutions.csv                  Institution fields; alliance_id empty outside any alliance
    residents.parquet                 person_key, residence_county, signed_family_doctor, age, sex
    claims/inpatient-00000.parquet …  住院 claims, `chunk_rows` per file, columns of polars_schema(Claim)
    claims/outpatient-00000.parquet … 门诊 visits, likewise

Claims are generated and written one file at a time, each from its own seeded stream, so memory stays bounded by
the chunk size and the same seed gives the same files.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict

from yibao.models import Level
from yibao.synth.casemix import CaseMix
from yibao.synth.claims import ClaimContext, inpatient_chunk, outpatient_chunk
from yibao.synth.codes import RulesetCodes
from yibao.synth.flows import CareFlows
from yibao.synth.organisation import Organisation, build_organisation
from yibao.synth.params import GenerationParams, inpatient_claims
from yibao.synth.residents import Population
from yibao.synth.sampling import Stream, stream

Chunk = Callable[[ClaimContext, np.random.Generator, int, int], pl.DataFrame]


class CaseSummary(BaseModel):
    """What `generate_case` wrote: counts and paths."""

    model_config = ConfigDict(frozen=True)

    folder: Path
    regions: int
    counties: int
    alliances: int
    institutions: dict[Level, int]
    """Institutions by level (机构级别)."""
    residents: int
    inpatient_claims: int
    outpatient_visits: int
    region_file: Path
    alliances_file: Path
    institutions_file: Path
    residents_file: Path
    inpatient_files: tuple[Path, ...]
    outpatient_files: tuple[Path, ...]

    def counts(self) -> dict[str, int]:
        """The counts under bilingual labels, for display."""
        by_level = {f"机构 institutions: {level.label} {level.value}": n for level, n in self.institutions.items()}
        return {
            "统筹区 regions": self.regions,
            "县区 counties": self.counties,
            "医共体 alliances": self.alliances,
            "机构 institutions": sum(self.institutions.values()),
            **by_level,
            "参保人 residents": self.residents,
            "住院 inpatient claims": self.inpatient_claims,
            "门诊 outpatient visits": self.outpatient_visits,
        }


def _write_organisation(out: Path, org: Organisation) -> tuple[Path, Path, Path]:
    region, alliances, institutions = out / "region.json", out / "alliances.csv", out / "institutions.csv"
    region.write_text(org.region.model_dump_json(indent=2) + "\n", encoding="utf-8")
    org.alliances.write_csv(alliances)
    org.institutions.write_csv(institutions)
    return region, alliances, institutions


def _write_residents(path: Path, population: Population, chunk_rows: int) -> None:
    writer: pq.ParquetWriter | None = None
    try:
        for start in range(0, population.total, chunk_rows):
            table = population.frame(start, min(start + chunk_rows, population.total)).to_arrow()
            writer = writer or pq.ParquetWriter(path, table.schema, compression="zstd")
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()


def _write_claims(
    folder: Path, kind: str, chunk: Chunk, ctx: ClaimContext, seed: int, stream_kind: Stream, total: int
) -> tuple[Path, ...]:
    for stale in folder.glob(f"{kind}-*.parquet"):
        stale.unlink()
    size = ctx.params.chunk_rows
    paths = []
    for index in range(math.ceil(total / size)):
        first = index * size
        frame = chunk(ctx, stream(seed, stream_kind, index), first, min(size, total - first))
        path = folder / f"{kind}-{index:05d}.parquet"
        frame.write_parquet(path)
        paths.append(path)
    return tuple(paths)


def generate_case(
    out: Path, scale: str | int, seed: int, ruleset: Path, params: GenerationParams | None = None
) -> CaseSummary:
    """Generate a synthetic region and one year of claims into `out`.

    `scale` is "county" (1e5 inpatient stays a year), "prefecture" (1e6), "province" (1e7) or a number of stays;
    codes are drawn from the ruleset directory `ruleset` (FORMAT.md tables). Same seed and params → same files.
    """
    params = params or GenerationParams()
    n_inpatient = inpatient_claims(scale)
    n_outpatient = round(n_inpatient * params.outpatient_per_stay)
    out = Path(out)
    claims = out / "claims"
    claims.mkdir(parents=True, exist_ok=True)

    org = build_organisation(n_inpatient, params, stream(seed, Stream.ORGANISATION))
    population = Population.build(org.counties, n_inpatient, params, stream(seed, Stream.RESIDENTS))
    codes = RulesetCodes.load(Path(ruleset), params)
    ctx = ClaimContext(
        params=params,
        organisation=org,
        population=population,
        codes=codes,
        case_mix=CaseMix.draw(codes, params, stream(seed, Stream.CASE_MIX)),
        flows=CareFlows.build(org, params),
    )
    region, alliances, institutions = _write_organisation(out, org)
    residents = out / "residents.parquet"
    _write_residents(residents, population, params.chunk_rows)
    return CaseSummary(
        folder=out,
        regions=1,
        counties=len(org.counties),
        alliances=org.alliances.height,
        institutions=org.institutions_by_level(),
        residents=population.total,
        inpatient_claims=n_inpatient,
        outpatient_visits=n_outpatient,
        region_file=region,
        alliances_file=alliances,
        institutions_file=institutions,
        residents_file=residents,
        inpatient_files=_write_claims(claims, "inpatient", inpatient_chunk, ctx, seed, Stream.INPATIENT, n_inpatient),
        outpatient_files=_write_claims(
            claims, "outpatient", outpatient_chunk, ctx, seed, Stream.OUTPATIENT, n_outpatient
        ),
    )
