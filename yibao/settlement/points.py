"""Points of each case (病例点数): its class, its ratio r and its points, in one compiled pass (numba).

Classes are tried in this order; the first that applies decides:

| code | class | points |
|---|---|---|
| 9 | special review 特病单议 | the panel's points |
| 8 | outside DRG 住院天数除外 (LOS ≤ / ≥ a limit) | cost ÷ mean_cost[all] × scale × outside_ratio |
| 7 | ungrouped 未入组 (or a group without base points) | cost ÷ mean_cost[all] × scale × ungrouped_ratio |
| 5 | bed-day 床日 (wins over the QY suffix) | points_per_day × LOS |
| 6 | ambiguous 歧义组 (QY) | cost ÷ mean_cost[all] × scale × ambiguous_ratio |
| 4 | incomplete 未完成治疗 (discharge mode listed, r < limit) | min(base × coef × r, base) |
| 3 | high ratio 高倍率 (r ≥ threshold) | base × coef + base × (r − threshold) |
| 1 | low ratio 低倍率 (r ≤ low) | min(base × r, base × coef) |
| 2 | mid band 中间倍率 (low < r ≤ upper) | base × (r + add) |
| 0 | normal 正常 | base × coef |

A readmission (再入院) then multiplies the earlier stay's points by the policy's factor (not for special review).
Points are rounded half-up once, to 10⁻ᵈ point, as integer units; binary noise below 10⁻⁶ of a unit is removed
first so that a decimal tie such as 45.12345 rounds up as written.
"""

from __future__ import annotations

from enum import IntEnum

import numba as nb
import numpy as np


class CaseClass(IntEnum):
    """病例类型 (code in the kernel's output)."""

    NORMAL = 0
    LOW_RATIO = 1
    MID_BAND = 2
    HIGH_RATIO = 3
    INCOMPLETE = 4
    BED_DAY = 5
    AMBIGUOUS = 6
    UNGROUPED = 7
    OUTSIDE_DRG = 8
    SPECIAL_REVIEW = 9

    @property
    def label(self) -> str:
        return CASE_CLASS_LABELS[self]


CASE_CLASS_LABELS = {
    CaseClass.NORMAL: "正常病例",
    CaseClass.LOW_RATIO: "低倍率病例",
    CaseClass.MID_BAND: "中间倍率病例",
    CaseClass.HIGH_RATIO: "高倍率病例",
    CaseClass.INCOMPLETE: "未完成治疗病例",
    CaseClass.BED_DAY: "床日病例",
    CaseClass.AMBIGUOUS: "歧义组病例",
    CaseClass.UNGROUPED: "未入组病例",
    CaseClass.OUTSIDE_DRG: "住院天数除外病例",
    CaseClass.SPECIAL_REVIEW: "特病单议病例",
}

GROUP_DRG, GROUP_BED_DAY, GROUP_AMBIGUOUS, GROUP_NO_BASE = 0, 1, 2, 3
"""Kinds of group (`group_kind`)."""


@nb.njit(cache=True, inline="always")
def to_units(points: float, unit: float) -> np.int64:
    """Points as integer units of 1/unit, half-up, after removing binary noise below 10⁻⁶ unit."""
    return np.int64(np.floor(np.rint(points * unit * 1e6) / 1e6 + 0.5))


@nb.njit(cache=True, parallel=True)
def case_points(
    group, institution, cost_fen, los_days, discharge_mode, readmission_gap, special_units,
    group_kind, base, mean_cost, bed_day_points, high_by_group, readmission_excepted, coefficient,
    high_by_institution, incomplete_mode,
    unit, scale, mean_cost_all, low_ratio, mid_upper, mid_add, high_by_level, incomplete_max_ratio,
    ambiguous_ratio, ungrouped_ratio, outside_ratio, los_outside_max, los_outside_min,
    readmission_days, readmission_factor,
):  # fmt: skip
    """Class, r (NaN where none), base, coefficient and points (integer units) of every case.

    Per case: group index (-1: not grouped), institution index, cost in fen, LOS, discharge mode (-1: none),
    days to the next same-DRG stay, special-review units (-1: none). Per group: kind, base points, mean cost (元),
    points per bed-day, high-ratio threshold, readmission exemption; coefficient[institution, group]."""
    n = group.size
    klass = np.empty(n, np.int8)
    ratio = np.full(n, np.nan)
    base_used = np.full(n, np.nan)
    coef_used = np.full(n, np.nan)
    units = np.empty(n, np.int64)
    readmitted = np.zeros(n, np.bool_)
    for i in nb.prange(n):
        g = group[i]
        h = institution[i]
        cost = cost_fen[i] / 100.0
        converted = cost / mean_cost_all * scale
        if special_units[i] >= 0:
            klass[i] = 9
            units[i] = special_units[i]
            continue
        if (los_outside_max >= 0 and los_days[i] <= los_outside_max) or (
            los_outside_min >= 0 and los_days[i] >= los_outside_min
        ):
            klass[i] = 8
            points = converted * outside_ratio
        elif g < 0 or group_kind[g] == GROUP_NO_BASE:
            klass[i] = 7
            points = converted * ungrouped_ratio
        elif group_kind[g] == GROUP_AMBIGUOUS:
            klass[i] = 6
            points = converted * ambiguous_ratio
        elif group_kind[g] == GROUP_BED_DAY:
            klass[i] = 5
            points = bed_day_points[g] * los_days[i]
        else:
            b = base[g]
            c = coefficient[h, g]
            r = cost / mean_cost[g]
            high = high_by_institution[h] if high_by_level else high_by_group[g]
            mode = discharge_mode[i]
            ratio[i] = r
            base_used[i] = b
            coef_used[i] = c
            if mode >= 0 and incomplete_mode[mode] and r < incomplete_max_ratio:
                klass[i] = 4
                points = min(b * c * r, b)
            elif r >= high:
                klass[i] = 3
                points = b * c + b * (r - high)
            elif r <= low_ratio:
                klass[i] = 1
                points = min(b * r, b * c)
            elif mid_upper > 0 and r <= mid_upper:
                klass[i] = 2
                points = b * (r + mid_add)
            else:
                klass[i] = 0
                points = b * c
        if readmission_days >= 0 and g >= 0 and not readmission_excepted[g] and readmission_gap[i] <= readmission_days:
            readmitted[i] = True
            points = points * readmission_factor
        units[i] = to_units(points, unit)
    return klass, ratio, base_used, coef_used, units, readmitted


@nb.njit(cache=True)
def sum_by(index, values, n):
    """Σ values per index (0..n-1), in int64."""
    totals = np.zeros(n, np.int64)
    for i in range(index.size):
        totals[index[i]] += values[i]
    return totals


@nb.njit(cache=True)
def sum_by_month(institution, month, values, n):
    """Σ values per (institution, month 1..12) as an (n, 12) int64 array."""
    totals = np.zeros((n, 12), np.int64)
    for i in range(institution.size):
        totals[institution[i], month[i] - 1] += values[i]
    return totals


@nb.njit(cache=True)
def round_units(points: np.ndarray, unit: float) -> np.ndarray:
    """`to_units` over an array of points."""
    units = np.empty(points.size, np.int64)
    for i in range(points.size):
        units[i] = to_units(points[i], unit)
    return units
