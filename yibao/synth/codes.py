"""Diagnosis and procedure codes drawn from a ruleset's tables (FORMAT.md), so that claims group plausibly.

Per ADRG: the principal diagnosis comes from its `zd` list (preferring codes also on its MDC's list), else from its
MDC's list; each procedure condition of the ADRG contributes one procedure (the principal-procedure condition
first); sex and age follow the MDC's `sex_is` / `age_years_is`; newborn ADRGs carry their age-in-days and
birth-weight bounds. This is not a grouper: it only aims at records a grouper would place near the ADRG drawn.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from yibao.models.checks import NEWBORN_MAX_AGE_DAYS
from yibao.synth.params import GenerationParams
from yibao.synth.sampling import Pools

DIAGNOSIS_PREDICATES = frozenset({"pdx_in_list", "any_dx_in_list"})
PROCEDURE_PREDICATES = frozenset({"pproc_in_list", "any_proc_in_list", "proc_tag_combo", "pproc_is_or"})
PRINCIPAL_FIRST = {"pproc_in_list": 0, "pproc_is_or": 0}


def _table(ruleset: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(ruleset / name, infer_schema=False).with_columns(pl.all().fill_null(""))


def _codes_by(table: pl.DataFrame, *keys: str) -> dict[tuple[str, ...], list[str]]:
    """The `code` column of a table grouped by `keys`."""
    return {tuple(key): codes for *key, codes in table.group_by(keys).agg("code").iter_rows()}


def _slots(
    condition: dict[str, str],
    lists: dict[tuple[str, ...], list[str]],
    tagged: dict[tuple[str, ...], list[str]],
    combos: pl.DataFrame,
    or_codes: list[str],
) -> list[list[str]]:
    """The procedure pools that one ADRG condition asks for (one code is drawn from each)."""
    predicate, key = condition["predicate"], (condition["adrg"], condition["list"])
    if predicate == "pproc_is_or":
        return [or_codes]
    if predicate == "proc_tag_combo":
        alternatives = combos.filter(pl.col("adrg") == condition["adrg"]).sort(pl.col("alternative").cast(pl.Int64))
        first = alternatives.filter(pl.col("alternative") == alternatives["alternative"][0])
        return [tagged.get((*key, tag), []) for tag in first["tag"]]
    if predicate in PROCEDURE_PREDICATES:
        return [lists.get(key, [])]
    return []


def _layout(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For a ragged layout with `counts` items per row: the row and the position in its row of each item."""
    row = np.repeat(np.arange(len(counts)), counts)
    first = np.cumsum(counts) - counts
    return row, np.arange(len(row)) - first[row]


def _lists(counts: np.ndarray, items: np.ndarray, vocabulary: pa.Array) -> pl.Series:
    """A List(String) column with `counts[i]` codes in row i, the codes being `vocabulary[items]`."""
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]), type=pa.int64())
    values = vocabulary.take(pa.array(items, type=pa.int64()))
    return pl.Series(pl.from_arrow(pa.LargeListArray.from_arrays(offsets, values))).list.unique(maintain_order=True)


class _PoolBuilder:
    """Collects (group, code) pairs; groups are numbered in the order they are opened."""

    def __init__(self) -> None:
        self.groups: list[list[str]] = []

    def add(self, codes: list[str]) -> int:
        self.groups.append(sorted(set(codes)))
        return len(self.groups) - 1

    def build(self) -> tuple[Pools, pa.Array]:
        vocabulary = np.array(sorted({code for group in self.groups for code in group}))
        groups = np.repeat(np.arange(len(self.groups)), [len(g) for g in self.groups])
        codes = np.searchsorted(vocabulary, np.array([code for group in self.groups for code in group]))
        return Pools.build(groups, codes), pa.array(vocabulary.tolist(), type=pa.string())


@dataclass(frozen=True)
class RulesetCodes:
    """A ruleset's ADRGs (in evaluation order) with their constraints and code pools."""

    adrg: tuple[str, ...]
    mdc: tuple[str, ...]
    surgical: np.ndarray
    """ADRG entered by a procedure condition (外科)."""
    sex: np.ndarray
    """1 or 2 where the ADRG's MDC admits one sex only, else 0."""
    age_low: np.ndarray
    """Age range (years) the MDC admits; −1 where unrestricted."""
    age_high: np.ndarray
    newborn_days: np.ndarray
    """Maximum age in days of a newborn ADRG; −1 for the others."""
    weight_low: np.ndarray
    """Birth-weight band (g) of the ADRG, [low, high); 0 where it sets none."""
    weight_high: np.ndarray
    diagnosis_pools: Pools
    """Groups: principal per ADRG (0…A−1), then the complication pool, the general pool, companion pools."""
    companion: np.ndarray
    """Pool of a forced first secondary diagnosis (multiple trauma: another body region), or −1."""
    complication_pool: int
    general_pool: int
    diagnoses: pa.Array
    procedure_pools: Pools | None
    """Groups: one per procedure slot of an ADRG, then the non-OR procedure pool (if any)."""
    slot_start: np.ndarray
    slot_count: np.ndarray
    minor_pool: int
    """Pool of non-OR procedures (extras on any claim); −1 when the ruleset has none."""
    procedures: pa.Array

    @classmethod
    def load(cls, ruleset: Path, params: GenerationParams) -> RulesetCodes:
        """Read the tables of a ruleset directory once and arrange its code pools."""
        mdc_order = _table(ruleset, "mdc.csv").select("mdc", pl.col("order").cast(pl.Int64).alias("mdc_order"))
        adrgs = (
            _table(ruleset, "adrg.csv")
            .join(mdc_order, on="mdc")
            .sort("mdc_order", pl.col("order").cast(pl.Int64), "adrg")
            .select("adrg", "mdc")
        )
        if adrgs.is_empty():
            raise ValueError(f"no ADRG in {ruleset / 'adrg.csv'}")
        mdc_conditions = _table(ruleset, "mdc_conditions.csv")
        conditions = _table(ruleset, "adrg_conditions.csv").sort("adrg", pl.col("seq").cast(pl.Int64))
        mdc_codes = _codes_by(_table(ruleset, "mdc_diagnoses.csv"), "mdc")
        adrg_diagnoses = _codes_by(_table(ruleset, "adrg_diagnoses.csv"), "adrg", "list")
        procedure_table = _table(ruleset, "adrg_procedures.csv")
        adrg_procedures = _codes_by(procedure_table, "adrg", "list")
        tagged = _codes_by(procedure_table, "adrg", "list", "tag")
        combos = _table(ruleset, "adrg_procedure_combos.csv")
        or_codes = _table(ruleset, "or_procedures.csv")["code"].to_list()
        complications = _table(ruleset, "complications.csv")["code"].to_list()

        def mdc_arg(mdc: str, predicate: str) -> int | None:
            rows = mdc_conditions.filter((pl.col("mdc") == mdc) & (pl.col("predicate") == predicate))
            return int(rows["arg"][0]) if rows.height else None

        by_adrg: dict[str, list[dict[str, str]]] = defaultdict(list)
        for row in conditions.iter_rows(named=True):
            by_adrg[row["adrg"]].append(row)

        mdcs = adrgs["mdc"].unique(maintain_order=True).to_list()
        sex_of = {m: mdc_arg(m, "sex_is") or params.mdc_sex.get(m, 0) for m in mdcs}
        age_of = {m: (a, a) if (a := mdc_arg(m, "age_years_is")) is not None else params.mdc_ages.get(m) for m in mdcs}
        trauma = {m for m in mdcs if mdc_arg(m, "trauma_regions_at_least") is not None}
        unrestricted = [m for m in mdcs if not sex_of[m] and age_of[m] is None]
        general = [c for m in unrestricted for c in mdc_codes.get((m,), [])] or [
            c for v in mdc_codes.values() for c in v
        ]

        dx = _PoolBuilder()
        px = _PoolBuilder()
        columns: dict[str, list[int]] = defaultdict(list)
        for adrg, mdc in adrgs.iter_rows():
            rows = by_adrg.get(adrg, [])
            zd = [c for r in rows if r["predicate"] in DIAGNOSIS_PREDICATES for c in adrg_diagnoses[(adrg, r["list"])]]
            on_mdc = set(mdc_codes.get((mdc,), []))
            principal = [c for c in zd if c in on_mdc] or zd or sorted(on_mdc) or general
            dx.add(principal)
            args = {r["predicate"]: int(r["arg"]) for r in rows if r["arg"]}
            ages = age_of[mdc]
            newborn = ages == (0, 0)
            columns["surgical"].append(any(r["predicate"] in PROCEDURE_PREDICATES for r in rows))
            columns["sex"].append(sex_of[mdc])
            columns["age_low"].append(ages[0] if ages else -1)
            columns["age_high"].append(ages[1] if ages else -1)
            columns["newborn_days"].append(
                min(args.get("age_days_max", NEWBORN_MAX_AGE_DAYS), NEWBORN_MAX_AGE_DAYS) if newborn else -1
            )
            columns["weight_low"].append(args.get("birth_weight_at_least", 0))
            columns["weight_high"].append(args.get("birth_weight_below", 0))
            columns["slot_start"].append(len(px.groups))
            for r in sorted(rows, key=lambda r: PRINCIPAL_FIRST.get(r["predicate"], 1)):
                for slot in _slots(r, adrg_procedures, tagged, combos, or_codes):
                    if slot:
                        px.add(slot)
            columns["slot_count"].append(len(px.groups) - columns["slot_start"][-1])
        complication_pool = dx.add(complications)
        general_pool = dx.add(general)
        companion_pool = {m: dx.add(mdc_codes[(m,)]) for m in trauma}
        minor = sorted({c for codes in adrg_procedures.values() for c in codes} - set(or_codes))
        minor_pool = px.add(minor) if minor else -1
        diagnosis_pools, diagnoses = dx.build()
        procedure_pools, procedures = px.build() if px.groups else (None, pa.array([], type=pa.string()))
        arrays = {name: np.array(values, dtype=np.int64) for name, values in columns.items()}
        return cls(
            adrg=tuple(adrgs["adrg"]),
            mdc=tuple(adrgs["mdc"]),
            surgical=arrays.pop("surgical").astype(bool),
            diagnosis_pools=diagnosis_pools,
            companion=np.array([companion_pool.get(m, -1) for m in adrgs["mdc"]], dtype=np.int64),
            complication_pool=complication_pool,
            general_pool=general_pool,
            diagnoses=diagnoses,
            procedure_pools=procedure_pools,
            minor_pool=minor_pool,
            procedures=procedures,
            **arrays,
        )

    def draw_diagnoses(
        self, rng: np.random.Generator, adrg: np.ndarray, n_secondary: np.ndarray, complication_share: float
    ) -> pl.Series:
        """诊断: the principal of each row's ADRG, then secondaries (CC/MCC codes with `complication_share`)."""
        companion = self.companion[adrg]
        counts = 1 + np.where(companion >= 0, np.maximum(n_secondary, 1), n_secondary)
        row, position = _layout(counts)
        group = np.where(rng.random(len(row)) < complication_share, self.complication_pool, self.general_pool)
        group = np.where((position == 1) & (companion[row] >= 0), companion[row], group)
        group = np.where(position == 0, adrg[row], group)
        return _lists(counts, self.diagnosis_pools.sample(group, rng.random(len(row))), self.diagnoses)

    def draw_procedures(self, rng: np.random.Generator, adrg: np.ndarray, n_extra: np.ndarray) -> pl.Series:
        """手术操作: one per procedure condition of each row's ADRG, then `n_extra` non-OR procedures."""
        if self.procedure_pools is None:
            return pl.Series([[]] * len(adrg), dtype=pl.List(pl.String))
        slots = self.slot_count[adrg]
        counts = slots + (n_extra if self.minor_pool >= 0 else 0)
        row, position = _layout(counts)
        group = np.where(position < slots[row], self.slot_start[adrg][row] + position, self.minor_pool)
        return _lists(counts, self.procedure_pools.sample(group, rng.random(len(row))), self.procedures)
