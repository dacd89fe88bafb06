"""A policy resolved against one year's cases: the per-group, per-institution and per-case arrays the kernel reads."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import polars as pl

from yibao.errors import InputError, require_columns
from yibao.models.enums import DischargeMode, Level
from yibao.settlement.cases import SettlementCases, read_table
from yibao.settlement.history import GroupCosts, group_costs
from yibao.settlement.points import GROUP_AMBIGUOUS, GROUP_BED_DAY, GROUP_DRG, GROUP_NO_BASE, round_units
from yibao.settlement.policy import Policy

MODE_SLOTS = max(int(m) for m in DischargeMode) + 1


@dataclass(frozen=True, eq=False)
class PolicyTables:
    """Everything the kernel needs from a policy, aligned with `SettlementCases` indices."""

    unit: int
    """Point units per point (10^decimals)."""
    mean_cost_all: float
    base_table: pl.DataFrame
    """drg, base_points, mean_cost: the policy's groups (published with the results)."""
    group_kind: np.ndarray
    base: np.ndarray
    mean_cost: np.ndarray
    bed_day_points: np.ndarray
    high_by_group: np.ndarray
    readmission_excepted: np.ndarray
    coefficient: np.ndarray
    high_by_institution: np.ndarray
    incomplete_mode: np.ndarray
    special_units: np.ndarray


def _number(value: str | None, source: Path, row: int, field: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        number = Decimal("NaN")
    if not number.is_finite() or number < 0:
        raise InputError(source, f"not a non-negative number: {value!r}", row=row, field=field)
    return number


def policy_table(policy: Policy, relative: Path, columns: tuple[str, ...]) -> tuple[Path, list[dict[str, str]]]:
    """A policy table's rows as text (only `columns`), after checking it has them."""
    path = policy.path(relative)
    frame = read_table(path)
    require_columns(frame.columns, path, columns)
    return path, frame.select(pl.col(c).cast(pl.String) for c in columns).to_dicts()


def _history(policy: Policy) -> GroupCosts:
    years = [(read_history(policy.path(y.file)), y.weight) for y in policy.base_points.history]
    return group_costs(years, policy.base_points.iqr_fence)


def read_history(path: Path) -> pl.DataFrame:
    """A history file: only institution_id, drg, total_cost (and group_status) are read."""
    frame = read_table(path)
    require_columns(frame.columns, path, ("institution_id", "drg", "total_cost"))
    keep = [c for c in ("institution_id", "drg", "total_cost", "group_status") if c in frame.columns]
    typed = frame.select(keep).with_columns(pl.col("total_cost").cast(pl.Decimal(18, 2), strict=False))
    bad = typed["total_cost"].is_null() & frame["total_cost"].is_not_null()
    if bad.any():
        raise InputError(path, "不是金额 not an amount", row=int(bad.arg_true()[0]) + 1, field="total_cost")
    return typed


def base_points_table(policy: Policy, costs: GroupCosts | None) -> tuple[pl.DataFrame, float]:
    """(drg, base_points, mean_cost) and the mean cost of all cases, from history or from the policy's table."""
    unit = 10**policy.base_points.decimals
    if costs is not None:
        ratio = (costs.groups["mean_cost"] / costs.mean_cost_all * float(policy.base_points.scale)).to_numpy()
        base = pl.Series("base_points", round_units(ratio, float(unit)) / unit)
        return costs.groups.select("drg", base, "mean_cost"), costs.mean_cost_all
    assert policy.base_points.table is not None and policy.base_points.mean_cost_all is not None
    path, rows = policy_table(policy, policy.base_points.table, ("drg", "base_points", "mean_cost"))
    records = []
    for row, record in enumerate(rows, start=1):
        base = _number(record["base_points"], path, row, "base_points")
        mean = _number(record["mean_cost"], path, row, "mean_cost")
        if mean == 0:
            raise InputError(path, "mean_cost must be above 0", row=row, field="mean_cost")
        records.append({"drg": (record["drg"] or "").strip(), "base_points": float(base), "mean_cost": float(mean)})
    table = pl.DataFrame(records, schema={"drg": pl.String, "base_points": pl.Float64, "mean_cost": pl.Float64})
    if table["drg"].is_duplicated().any():
        raise InputError(path, f"drg {table.filter(pl.col('drg').is_duplicated())['drg'][0]!r} appears twice")
    return table, float(policy.base_points.mean_cost_all)


def _coefficients(policy: Policy, cases: SettlementCases, costs: GroupCosts | None, mean: np.ndarray) -> np.ndarray:
    rules = policy.coefficients
    n_institutions, n_groups = cases.institutions.height, cases.groups.len()
    matrix = np.ones((n_institutions, n_groups))
    group_index = {code: i for i, code in enumerate(cases.groups.to_list())}
    institution_index = {code: i for i, code in enumerate(cases.institutions["institution_id"].to_list())}
    if rules.method == "level":
        levels = {Level(level).value: float(value) for level, value in rules.levels.items()}
        for h, level in enumerate(cases.institutions["level"].to_list()):
            matrix[h, :] = levels.get(level, 1.0)
    elif rules.method == "table":
        assert rules.table is not None
        path, rows = policy_table(policy, rules.table, ("institution_id", "drg", "coefficient"))
        for row, record in enumerate(rows, start=1):
            value = float(_number(record["coefficient"], path, row, "coefficient"))
            h, g = institution_index.get(record["institution_id"]), group_index.get(record["drg"])
            if h is not None and g is not None:
                matrix[h, g] = value
    elif rules.method == "computed":
        if costs is None:
            raise InputError(policy.folder, "coefficients.method = 'computed' needs base_points.history")
        unit = 10**rules.decimals
        pairs = costs.institution_groups.filter(
            pl.col("institution_id").is_in(list(institution_index)) & pl.col("drg").is_in(list(group_index))
        )
        h = pairs["institution_id"].replace_strict(institution_index, return_dtype=pl.Int64).to_numpy()
        g = pairs["drg"].replace_strict(group_index, return_dtype=pl.Int64).to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = pairs["mean_cost"].to_numpy() / mean[g]
        known = np.isfinite(ratio)
        matrix[h[known], g[known]] = round_units(ratio[known], float(unit)) / unit
    for code in rules.uniform_groups:
        if code in group_index:
            matrix[:, group_index[code]] = 1.0
    return matrix


def _special_units(policy: Policy, cases: SettlementCases, unit: int) -> np.ndarray:
    units = np.full(len(cases), -1, dtype=np.int64)
    if policy.case_classes.special_review_table is None:
        return units
    path, rows = policy_table(policy, policy.case_classes.special_review_table, ("claim_id", "points"))
    index = {claim: i for i, claim in enumerate(cases.claims["claim_id"].to_list())}
    for row, record in enumerate(rows, start=1):
        i = index.get((record["claim_id"] or "").strip())
        if i is None:
            raise InputError(path, "claim id is not among the settled claims", row=row, field="claim_id")
        units[i] = int(round_units(np.array([float(_number(record["points"], path, row, "points"))]), float(unit))[0])
    return units


def resolve(policy: Policy, cases: SettlementCases) -> PolicyTables:
    """Resolve `policy` against `cases`: group tables, coefficients, thresholds and overrides as arrays."""
    if policy.year != cases.year:
        raise InputError(policy.folder, f"the policy is for {policy.year}, the cases for {cases.year}")
    rules = policy.case_classes
    costs = _history(policy) if policy.base_points.history else None
    table, mean_cost_all = base_points_table(policy, costs)
    unit = 10**policy.base_points.decimals
    groups = pl.DataFrame({"drg": cases.groups}).join(table, on="drg", how="left", maintain_order="left")
    base = groups["base_points"].fill_null(np.nan).to_numpy()
    mean = groups["mean_cost"].fill_null(np.nan).to_numpy()
    bed_day = np.zeros(cases.groups.len())
    if rules.bed_day_table is not None:
        path, rows = policy_table(policy, rules.bed_day_table, ("drg", "points_per_day"))
        index = {code: i for i, code in enumerate(cases.groups.to_list())}
        for row, record in enumerate(rows, start=1):
            value = float(_number(record["points_per_day"], path, row, "points_per_day"))
            if record["drg"] in index:
                bed_day[index[record["drg"]]] = value
    codes = cases.groups.to_list()
    kind = np.array(
        [GROUP_BED_DAY if bed_day[i] > 0 else GROUP_AMBIGUOUS if code.endswith(rules.ambiguous_suffix)
         else GROUP_DRG if np.isfinite(base[i]) else GROUP_NO_BASE for i, code in enumerate(codes)],
        dtype=np.int8,
    )  # fmt: skip
    tiers = [(float("inf") if t.max_base_points is None else float(t.max_base_points), float(t.ratio))
             for t in rules.high_ratio_tiers]  # fmt: skip
    high_by_group = np.array([next(r for limit, r in tiers if b <= limit) if np.isfinite(b) else np.inf for b in base])
    level_thresholds = {Level(level).value: float(value) for level, value in rules.high_ratio_levels.items()}
    if rules.high_ratio_by == "level":
        unknown = set(cases.institutions["level"]) - set(level_thresholds)
        if unknown:
            raise InputError(policy.folder, f"high_ratio_levels has no threshold for levels {sorted(unknown)}")
    high_by_institution = np.array([level_thresholds.get(level, np.inf) for level in cases.institutions["level"]])
    excepted = set(policy.readmission.excepted_groups)
    incomplete = np.zeros(MODE_SLOTS, dtype=np.bool_)
    incomplete[[int(m) for m in rules.incomplete_discharge_modes]] = True
    return PolicyTables(
        unit=unit,
        mean_cost_all=mean_cost_all,
        base_table=table,
        group_kind=kind,
        base=base,
        mean_cost=mean,
        bed_day_points=bed_day,
        high_by_group=high_by_group,
        readmission_excepted=np.array([c in excepted or c[:3] in excepted for c in codes], dtype=np.bool_),
        coefficient=_coefficients(policy, cases, costs, mean),
        high_by_institution=high_by_institution,
        incomplete_mode=incomplete,
        special_units=_special_units(policy, cases, unit),
    )
