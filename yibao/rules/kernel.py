"""The numba grouping kernel: FORMAT.md's algorithm over arrays of encoded records, one record per iteration.

Records come as flat arrays: demographics (-1 where missing) and codes in CSR form (offsets into one array of
code ids; -1 for a code the ruleset does not know). The kernel returns MDC, ADRG and DRG ids (-1 for none) and a
status per record. It reads a `CompiledRuleset`'s arrays and nothing else.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from yibao.models.checks import NEWBORN_MAX_AGE_DAYS

SUCCESS, FAIL, CHECK_FAILED = 0, 1, 2
MISSING = -1
(
    PDX_IN_LIST, ANY_DX_IN_LIST, PPROC_IN_LIST, ANY_PROC_IN_LIST, PPROC_IS_OR, NO_OR_PROC, AGE_DAYS_MAX,
    AGE_YEARS_IS, SEX_IS, BIRTH_WEIGHT_BELOW, BIRTH_WEIGHT_AT_LEAST, TRAUMA_REGIONS_AT_LEAST, PROC_TAG_COMBO,
) = range(13)  # fmt: skip  # the order of compiled.PREDICATE_IDS
ALWAYS, MCC, MCC_OR_CC = 0, 1, 2


@njit(cache=True)
def _check(sex: int, age: int, age_days: int, weight: int, n_dx: int) -> bool:
    """FORMAT.md step 1: the record can be grouped."""
    if sex != 1 and sex != 2:
        return False
    if age == MISSING:
        return False
    if age == 0 and age_days == MISSING:
        return False
    if age == 0 and age_days <= NEWBORN_MAX_AGE_DAYS and weight == MISSING:
        return False
    return n_dx > 0


@njit(cache=True, inline="always")
def _holds(predicate, lst, arg, adrg, sex, age, age_days, weight, dx, px, dx_in_list, px_in_list, px_tag, dx_region,
           px_is_or, combo_start, combo_end, combo_mask) -> bool:  # fmt: skip
    """Whether one condition holds for one record (`adrg` is the owner's ADRG id, or -1 for an MDC)."""
    if predicate == PDX_IN_LIST:
        return dx.size > 0 and dx[0] >= 0 and dx_in_list[lst, dx[0]]
    if predicate == ANY_DX_IN_LIST:
        for code in dx:
            if code >= 0 and dx_in_list[lst, code]:
                return True
        return False
    if predicate == PPROC_IN_LIST:
        return px.size > 0 and px[0] >= 0 and px_in_list[lst, px[0]]
    if predicate == ANY_PROC_IN_LIST:
        for code in px:
            if code >= 0 and px_in_list[lst, code]:
                return True
        return False
    if predicate == PPROC_IS_OR:
        return px.size > 0 and px[0] >= 0 and px_is_or[px[0]]
    if predicate == NO_OR_PROC:
        for code in px:
            if code >= 0 and px_is_or[code]:
                return False
        return True
    if predicate == AGE_DAYS_MAX:
        return age_days != MISSING and age_days <= arg
    if predicate == AGE_YEARS_IS:
        return age == arg
    if predicate == SEX_IS:
        return sex == arg
    if predicate == BIRTH_WEIGHT_BELOW:
        return weight > 0 and weight < arg
    if predicate == BIRTH_WEIGHT_AT_LEAST:
        return weight > 0 and weight >= arg
    if predicate == TRAUMA_REGIONS_AT_LEAST:
        seen = np.int64(0)
        for code in dx:
            if code >= 0 and dx_in_list[lst, code] and dx_region[lst, code] >= 0:
                seen |= np.int64(1) << np.int64(dx_region[lst, code])
        count = 0
        while seen:
            seen &= seen - np.int64(1)
            count += 1
        return count >= arg
    if predicate == PROC_TAG_COMBO:
        tags = np.int64(0)
        for code in px:
            if code >= 0 and px_tag[lst, code] >= 0:
                tags |= np.int64(1) << np.int64(px_tag[lst, code])
        for alternative in range(combo_start[adrg], combo_end[adrg]):
            if combo_mask[alternative] & tags == combo_mask[alternative]:
                return True
        return False
    return False


@njit(cache=True, inline="always")
def _split_holds(split, dx, cc_level, cc_table, pdx_table) -> bool:  # fmt: skip
    """FORMAT.md's split predicates: some secondary diagnosis counts as MCC (or CC) against the principal."""
    if split == ALWAYS:
        return True
    principal_table = pdx_table[dx[0]] if dx[0] >= 0 else -1
    lowest = 2 if split == MCC else 1
    for code in dx[1:]:
        if code >= 0 and cc_level[code] >= lowest and (principal_table < 0 or cc_table[code] != principal_table):
            return True
    return False


@njit(cache=True, parallel=True)
def group_kernel(sex, age, age_days, weight, dx_offsets, dx_codes, px_offsets, px_codes,
                 dx_in_list, px_in_list, px_tag, dx_region, cc_level, cc_table, pdx_table, px_is_or,
                 cond_start, cond_end, cond_predicate, cond_list, cond_arg, adrg_start, adrg_end, drg_start, drg_end,
                 drg_split, combo_start, combo_end, combo_mask):  # fmt: skip
    """Group every record: returns (mdc, adrg, drg, status) arrays; ids are -1 where there is none.

    MDC, ADRG and DRG ids are their positions in evaluation order, so walking ids in order walks the rules."""
    n = sex.size
    n_mdc = adrg_start.size
    mdc_out = np.full(n, -1, dtype=np.int32)
    adrg_out = np.full(n, -1, dtype=np.int32)
    drg_out = np.full(n, -1, dtype=np.int32)
    status = np.full(n, FAIL, dtype=np.int8)
    for i in prange(n):
        dx = dx_codes[dx_offsets[i] : dx_offsets[i + 1]]
        px = px_codes[px_offsets[i] : px_offsets[i + 1]]
        if not _check(sex[i], age[i], age_days[i], weight[i], dx.size):
            status[i] = CHECK_FAILED
            continue
        for m in range(n_mdc):
            entered = True
            for c in range(cond_start[m], cond_end[m]):
                if not _holds(cond_predicate[c], cond_list[c], cond_arg[c], -1, sex[i], age[i], age_days[i], weight[i],
                              dx, px, dx_in_list, px_in_list, px_tag, dx_region, px_is_or, combo_start, combo_end,
                              combo_mask):  # fmt: skip
                    entered = False
                    break
            if not entered:
                continue
            for a in range(adrg_start[m], adrg_end[m]):
                owner = n_mdc + a
                taken = True
                for c in range(cond_start[owner], cond_end[owner]):
                    if not _holds(cond_predicate[c], cond_list[c], cond_arg[c], a, sex[i], age[i], age_days[i],
                                  weight[i], dx, px, dx_in_list, px_in_list, px_tag, dx_region, px_is_or, combo_start,
                                  combo_end, combo_mask):  # fmt: skip
                        taken = False
                        break
                if not taken:
                    continue
                mdc_out[i], adrg_out[i], status[i] = m, a, SUCCESS
                for j in range(drg_start[a], drg_end[a]):
                    if _split_holds(drg_split[j], dx, cc_level, cc_table, pdx_table):
                        drg_out[i] = j
                        break
                break
            if status[i] == SUCCESS:
                break
    return mdc_out, adrg_out, drg_out, status
