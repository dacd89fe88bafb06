"""A ruleset compiled to plain arrays for the numba kernel: codes as integers, lists as membership matrices.

Diagnosis and procedure codes become dense ids (an unknown code is -1). Every (owner, list) pair of the tables
becomes a row of a membership matrix. Conditions, ADRGs of an MDC and DRGs of an ADRG become ranges over flat
arrays in evaluation order. Nothing here evaluates a rule: the kernel does.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

from yibao.rules.load import LIST_PREDICATES, RulesetTables

PREDICATE_IDS: dict[str, int] = {
    name: i
    for i, name in enumerate(
        [
            "pdx_in_list", "any_dx_in_list", "pproc_in_list", "any_proc_in_list", "pproc_is_or", "no_or_proc",
            "age_days_max", "age_years_is", "sex_is", "birth_weight_below", "birth_weight_at_least",
            "trauma_regions_at_least", "proc_tag_combo",
        ]
    )
}  # fmt: skip
"""Predicate name → the integer the kernel switches on (FORMAT.md's closed vocabulary)."""
SPLIT_IDS = {"always": 0, "mcc": 1, "mcc_or_cc": 2}
LEVEL_IDS = {"CC": 1, "MCC": 2}


@dataclass(frozen=True)
class CompiledRuleset:
    """The arrays the kernel walks, and the names to turn its integer answers back into groups."""

    content_hash: str
    diagnosis_codes: pl.Series
    procedure_codes: pl.Series
    mdc_names: pl.Series
    adrg_names: pl.Series
    drg_names: pl.Series
    dx_in_list: np.ndarray  # bool [dx list, dx code]
    px_in_list: np.ndarray  # bool [px list, px code]
    px_tag: np.ndarray  # int8 [px list, px code]: tag bit, -1 for none
    dx_region: np.ndarray  # int8 [dx list, dx code]: trauma region, -1 for none
    cc_level: np.ndarray  # int8 [dx code]: 0 none, 1 CC, 2 MCC
    cc_table: np.ndarray  # int32 [dx code]: exclusion table of a CC/MCC, -1 for none
    pdx_table: np.ndarray  # int32 [dx code]: exclusion table as principal, -1 for none
    px_is_or: np.ndarray  # bool [px code]
    cond_start: np.ndarray  # int32 [owner]: owners are the MDCs, then the ADRGs
    cond_end: np.ndarray
    cond_predicate: np.ndarray  # int8
    cond_list: np.ndarray  # int32: dx or px list id by the predicate's kind, -1 for none
    cond_arg: np.ndarray  # int64
    adrg_start: np.ndarray  # int32 [mdc]: MDC, ADRG and DRG ids are their positions in evaluation order
    adrg_end: np.ndarray
    drg_start: np.ndarray  # int32 [adrg]
    drg_end: np.ndarray
    drg_split: np.ndarray  # int8
    combo_start: np.ndarray  # int32 [adrg]
    combo_end: np.ndarray
    combo_mask: np.ndarray  # int64: an alternative's tags as bits


def _ids(values: pl.Series) -> dict[str, int]:
    return {value: i for i, value in enumerate(values.to_list())}


def _lookup(column: str, ids: dict[str, int]) -> pl.Expr:
    return pl.col(column).replace_strict(ids, default=-1, return_dtype=pl.Int32)


def _ranges(keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of each key's run in an array sorted by key (empty runs for absent keys)."""
    start = np.searchsorted(keys, np.arange(n), side="left").astype(np.int32)
    end = np.searchsorted(keys, np.arange(n), side="right").astype(np.int32)
    return start, end


def _membership(rows: pl.DataFrame, n_lists: int, n_codes: int, value: str | None, dtype: type) -> np.ndarray:
    """A [list, code] matrix: True (or `value`, first row wins) where the code is on the list."""
    first = rows.unique(subset=["list_id", "code_id"], keep="first", maintain_order=True)
    fill = False if value is None else -1
    matrix = np.full((n_lists, n_codes), fill, dtype=dtype)
    matrix[first["list_id"].to_numpy(), first["code_id"].to_numpy()] = True if value is None else first[value]
    return matrix


def compile_ruleset(ruleset: RulesetTables) -> CompiledRuleset:
    """Compile validated tables to the kernel's arrays."""
    t = ruleset
    dx_tables = ("mdc_diagnoses", "adrg_diagnoses", "complications", "principal_exclusions", "diagnosis_names")
    px_tables = ("adrg_procedures", "or_procedures", "procedure_names")
    dx_codes = pl.concat([t[name]["code"] for name in dx_tables]).unique().sort()
    px_codes = pl.concat([t[name]["code"] for name in px_tables]).unique().sort()
    dx_id, px_id = _ids(dx_codes), _ids(px_codes)

    mdcs = t["mdc"].with_columns(pl.col("order").cast(pl.Int64)).sort("order")
    mdc_id = _ids(mdcs["mdc"])
    adrgs = t["adrg"].with_columns(pl.col("order").cast(pl.Int64), _lookup("mdc", mdc_id).alias("mdc_id"))
    adrgs = adrgs.sort("mdc_id", "order")
    adrg_id = _ids(adrgs["adrg"])
    drgs = t["drg"].with_columns(pl.col("order").cast(pl.Int64), _lookup("adrg", adrg_id).alias("adrg_id"))
    drgs = drgs.sort("adrg_id", "order")

    # Lists: the MDCs' `mdc` lists, then the ADRGs' diagnosis lists; the ADRGs' procedure lists apart.
    mdc_rows = t["mdc_diagnoses"].select(owner=pl.col("mdc"), list=pl.lit("mdc"), code="code", region="trauma_region")
    adrg_dx_rows = t["adrg_diagnoses"].select(owner=pl.col("adrg"), list="list", code="code")
    dx_rows = pl.concat([mdc_rows, adrg_dx_rows.with_columns(region=pl.lit(None, pl.String))])
    px_rows = t["adrg_procedures"].select(owner=pl.col("adrg"), list="list", code="code", tag="tag")
    dx_lists = _ids(dx_rows.select(pl.format("{}/{}", "owner", "list")).unique(maintain_order=True).to_series())
    px_lists = _ids(px_rows.select(pl.format("{}/{}", "owner", "list")).unique(maintain_order=True).to_series())
    regions = _ids(dx_rows["region"].drop_nulls().unique().sort())
    tags = _ids(px_rows["tag"].drop_nulls().unique().sort())
    if len(tags) > 63:
        raise ValueError(f"{ruleset.source}: more than 63 procedure tags")

    def keyed(rows: pl.DataFrame, lists: dict[str, int], codes: dict[str, int]) -> pl.DataFrame:
        key = pl.format("{}/{}", "owner", "list")
        return rows.with_columns(
            key.replace_strict(lists, return_dtype=pl.Int32).alias("list_id"), _lookup("code", codes).alias("code_id")
        )

    dx_keyed = keyed(dx_rows, dx_lists, dx_id).with_columns(region_id=_lookup("region", regions).cast(pl.Int8))
    px_keyed = keyed(px_rows, px_lists, px_id).with_columns(tag_id=_lookup("tag", tags).cast(pl.Int8))

    cc = t["complications"].with_columns(_lookup("code", dx_id).alias("code_id"))
    tables = _ids(pl.concat([cc["exclusion_table"], t["principal_exclusions"]["exclusion_table"]]).unique().sort())
    cc_level = np.zeros(len(dx_id), dtype=np.int8)
    cc_level[cc["code_id"].to_numpy()] = cc["level"].replace_strict(LEVEL_IDS, return_dtype=pl.Int8).to_numpy()
    cc_table = np.full(len(dx_id), -1, dtype=np.int32)
    cc_table[cc["code_id"].to_numpy()] = cc.select(_lookup("exclusion_table", tables)).to_series().to_numpy()
    pdx = t["principal_exclusions"].with_columns(_lookup("code", dx_id).alias("code_id"))
    pdx_table = np.full(len(dx_id), -1, dtype=np.int32)
    pdx_table[pdx["code_id"].to_numpy()] = pdx.select(_lookup("exclusion_table", tables)).to_series().to_numpy()
    px_is_or = np.zeros(len(px_id), dtype=np.bool_)
    px_is_or[t["or_procedures"].select(_lookup("code", px_id)).to_series().to_numpy()] = True

    # Conditions of MDCs (owners 0..n_mdc-1) and ADRGs (owners n_mdc..).
    conditions = (
        pl.concat(
            [
                t["mdc_conditions"].select(
                    owner=_lookup("mdc", mdc_id),
                    key=pl.format("{}/{}", "mdc", "list"),
                    seq="seq",
                    predicate="predicate",
                    arg="arg",
                ),
                t["adrg_conditions"].select(
                    owner=_lookup("adrg", adrg_id) + len(mdc_id),
                    key=pl.format("{}/{}", "adrg", "list"),
                    seq="seq",
                    predicate="predicate",
                    arg="arg",
                ),
            ]
        )
        .with_columns(pl.col("seq").cast(pl.Int64))
        .sort("owner", "seq")
    )
    kinds = conditions["predicate"].replace_strict(LIST_PREDICATES, default=None)
    dx_list = conditions["key"].replace_strict(dx_lists, default=-1, return_dtype=pl.Int32)
    px_list = conditions["key"].replace_strict(px_lists, default=-1, return_dtype=pl.Int32)
    cond_list = pl.select(
        pl.when(kinds == "diagnosis").then(dx_list).when(kinds == "procedure").then(px_list).otherwise(-1)
    ).to_series()
    cond_start, cond_end = _ranges(conditions["owner"].to_numpy(), len(mdc_id) + len(adrg_id))
    combos = t["adrg_procedure_combos"].with_columns(
        _lookup("adrg", adrg_id).alias("adrg_id"), _lookup("tag", tags).alias("tag_id")
    )
    combos = combos.group_by("adrg_id", "alternative").agg("tag_id").sort("adrg_id", "alternative")
    masks = np.array(
        [np.bitwise_or.reduce(np.left_shift(1, np.array(ids, dtype=np.int64))) for ids in combos["tag_id"]]
    )
    combo_start, combo_end = _ranges(combos["adrg_id"].to_numpy(), len(adrg_id))
    adrg_start, adrg_end = _ranges(adrgs["mdc_id"].to_numpy(), len(mdc_id))
    drg_start, drg_end = _ranges(drgs["adrg_id"].to_numpy(), len(adrg_id))

    return CompiledRuleset(
        content_hash=ruleset.content_hash,
        diagnosis_codes=dx_codes,
        procedure_codes=px_codes,
        mdc_names=mdcs["mdc"],
        adrg_names=adrgs["adrg"],
        drg_names=drgs["drg"],
        dx_in_list=_membership(dx_keyed, len(dx_lists), len(dx_id), None, np.bool_),
        px_in_list=_membership(px_keyed, len(px_lists), len(px_id), None, np.bool_),
        px_tag=_membership(px_keyed, len(px_lists), len(px_id), "tag_id", np.int8),
        dx_region=_membership(dx_keyed, len(dx_lists), len(dx_id), "region_id", np.int8),
        cc_level=cc_level,
        cc_table=cc_table,
        pdx_table=pdx_table,
        px_is_or=px_is_or,
        cond_start=cond_start,
        cond_end=cond_end,
        cond_predicate=conditions["predicate"].replace_strict(PREDICATE_IDS, return_dtype=pl.Int8).to_numpy(),
        cond_list=cond_list.cast(pl.Int32).to_numpy(),
        cond_arg=conditions["arg"].cast(pl.Int64, strict=False).fill_null(0).to_numpy(),
        adrg_start=adrg_start,
        adrg_end=adrg_end,
        drg_start=drg_start,
        drg_end=drg_end,
        drg_split=drgs["split"].replace_strict(SPLIT_IDS, return_dtype=pl.Int8).to_numpy(),
        combo_start=combo_start,
        combo_end=combo_end,
        combo_mask=masks.astype(np.int64).reshape(-1),
    )


@cache
def compiled(ruleset: RulesetTables) -> CompiledRuleset:
    """The compiled form of a loaded ruleset, made once per ruleset (loaded rulesets are cached by content)."""
    return compile_ruleset(ruleset)
