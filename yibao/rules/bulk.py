"""The bulk grouping path: polars encodes a frame's codes to integers, the numba kernel groups, polars names.

Input columns (`GROUPING_COLUMNS`): sex, age, age_days, birth_weight_g (integers, null where missing) and
diagnoses, procedures (lists of codes, principal first). Output: the same frame with `mdc`, `adrg`, `drg` and
`group_status` added.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from yibao.rules.compiled import CompiledRuleset
from yibao.rules.kernel import MISSING, SUCCESS, group_kernel
from yibao.rules.records import UNGROUPED, GroupStatus

GROUPING_COLUMNS = ("sex", "age", "age_days", "birth_weight_g", "diagnoses", "procedures")
RESULT_COLUMNS = ("mdc", "adrg", "drg", "group_status")
STATUS_NAMES = [GroupStatus.SUCCESS.value, GroupStatus.FAIL.value, GroupStatus.CHECK_FAILED.value]
"""Status names by the kernel's status codes."""


def _integers(frame: pl.DataFrame, column: str) -> np.ndarray:
    return frame[column].cast(pl.Int64, strict=False).fill_null(MISSING).to_numpy()


def _csr(frame: pl.DataFrame, column: str, codes: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """A list column as (offsets, code ids): each code looked up in the ruleset's codes, -1 if unknown.

    A null part stays in its place as an unknown code: dropping it would shift every later record's codes. The
    lookup is a cast to an enum of the ruleset's codes (faster than `replace_strict`; unknown codes become null)."""
    lists = frame[column].fill_null([])
    lengths = lists.list.len().to_numpy()
    offsets = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    parts = lists.explode(empty_as_null=False)
    encoded = parts.cast(pl.Enum(codes), strict=False).to_physical().cast(pl.Int32)
    return offsets, encoded.fill_null(-1).to_numpy()


def group_arrays(frame: pl.DataFrame, rules: CompiledRuleset) -> tuple[np.ndarray, ...]:
    """Run the kernel over a frame with `GROUPING_COLUMNS`: (mdc, adrg, drg, status) id arrays."""
    dx_offsets, dx_codes = _csr(frame, "diagnoses", rules.diagnosis_codes)
    px_offsets, px_codes = _csr(frame, "procedures", rules.procedure_codes)
    r = rules
    return group_kernel(
        _integers(frame, "sex"), _integers(frame, "age"), _integers(frame, "age_days"),
        _integers(frame, "birth_weight_g"), dx_offsets, dx_codes, px_offsets, px_codes,
        r.dx_in_list, r.px_in_list, r.px_tag, r.dx_region, r.cc_level, r.cc_table, r.pdx_table, r.px_is_or,
        r.cond_start, r.cond_end, r.cond_predicate, r.cond_list, r.cond_arg, r.adrg_start, r.adrg_end,
        r.drg_start, r.drg_end, r.drg_split, r.combo_start, r.combo_end, r.combo_mask,
    )  # fmt: skip


def _named(ids: np.ndarray, names: pl.Series) -> pl.Series:
    """Ids to names; -1 (none) to null."""
    return names.gather(np.maximum(ids, 0)).set(pl.Series(ids < 0), None)


def group_frame(frame: pl.DataFrame, rules: CompiledRuleset) -> pl.DataFrame:
    """The frame with `mdc`, `adrg`, `drg` and `group_status` added (a DRG that no split takes is its ADRG)."""
    missing = [c for c in GROUPING_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"grouping needs the columns {missing}")
    mdc, adrg, drg, status = group_arrays(frame, rules)
    named = pl.DataFrame(
        {
            "mdc": _named(mdc, rules.mdc_names),
            "adrg": _named(adrg, rules.adrg_names),
            "drg": _named(drg, rules.drg_names),
            "status": status,
        }
    )
    grouped = pl.col("status") == SUCCESS
    status_name = pl.col("status").replace_strict(range(len(STATUS_NAMES)), STATUS_NAMES, return_dtype=pl.String)
    results = named.select(
        mdc=pl.when(grouped).then("mdc").otherwise(pl.lit(UNGROUPED[0])),
        adrg=pl.when(grouped).then("adrg").otherwise(pl.lit(UNGROUPED[1])),
        drg=pl.when(grouped).then(pl.coalesce("drg", "adrg")).otherwise(pl.lit(UNGROUPED[2])),
        group_status=status_name,
    )
    return frame.with_columns(results.get_columns())
