"""A settlement policy (点数法结算办法) as data: a TOML file validated by these models.

Every number of the point method is a field here with a documented default; the code has none of its own.
Tables a policy refers to (base points, coefficients, bed-day points, special reviews, deductions, history
files) are paths relative to the policy file. See `docs/policy-reference.md` for each key.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from yibao.alliance.policy import AllianceBudget, Allocation, Capitation, Overspend, Reimbursement
from yibao.models.enums import DischargeMode, Level
from yibao.settlement.assessment_policy import Scoring
from yibao.settlement.toml_input import read_toml, validated


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HistoryYear(_Section):
    """One past year of grouped claims and its weight (e.g. 2:3:5, oldest to newest)."""

    file: Path = Field(description="grouped claims of that year (needs institution_id, drg, total_cost)")
    weight: Decimal = Field(Decimal(1), gt=0, description="权重 of the year when the years are combined")


class BasePoints(_Section):
    """基准点数: `mean_cost[g] / mean_cost[all] × scale` from history, or a table given by the bureau."""

    scale: Decimal = Field(Decimal(100), gt=0, description="the points of a case of average cost")
    decimals: int = Field(4, ge=0, le=6, description="base points and case points are rounded half-up to these")
    history: list[HistoryYear] = Field(default_factory=list, description="past years, oldest first")
    iqr_fence: Decimal | None = Field(
        Decimal("1.5"), ge=0, description="k: trim each group-year's costs to [Q1 − k·IQR, Q3 + k·IQR]"
    )
    table: Path | None = Field(None, description="CSV: drg, base_points, mean_cost (instead of history)")
    mean_cost_all: Decimal | None = Field(None, gt=0, description="mean cost of all cases (元), with `table`")

    @model_validator(mode="after")
    def _one_source(self) -> BasePoints:
        if bool(self.history) == (self.table is not None):
            raise ValueError("give either history (past years) or table (a base-point table), not both or neither")
        if self.table is not None and self.mean_cost_all is None:
            raise ValueError("a base-point table needs mean_cost_all (次均费用 of all cases, 元)")
        return self


class Coefficients(_Section):
    """差异系数: computed from history (`mean_cost[h,g] / mean_cost[all,g]`), per level, from a table, or none."""

    method: Literal["computed", "level", "table", "none"] = Field("none", description="where coefficients come from")
    decimals: int = Field(4, ge=0, le=6, description="computed coefficients are rounded half-up to these")
    levels: dict[Level, Decimal] = Field(default_factory=dict, description="coefficient per institution level")
    table: Path | None = Field(None, description="CSV: institution_id, drg, coefficient")
    uniform_groups: list[str] = Field(default_factory=list, description="同病同价: groups with coefficient 1")

    @model_validator(mode="after")
    def _complete(self) -> Coefficients:
        if self.method == "level" and not self.levels:
            raise ValueError('method "level" needs levels, e.g. levels = { "三级" = 1.1, "二级" = 1.0 }')
        if self.method == "table" and self.table is None:
            raise ValueError("method 'table' needs table = <csv file>")
        return self


class HighRatioTier(_Section):
    """A high-ratio threshold for groups whose base points are at most `max_base_points` (none: all above)."""

    max_base_points: Decimal | None = Field(None, description="the tier holds groups with base points up to this")
    ratio: Decimal = Field(gt=1, description="the high-ratio threshold of the tier's groups")


class CaseClasses(_Section):
    """病例分类 and their thresholds; optional classes are off when their key is absent."""

    low_ratio: Decimal = Field(Decimal("0.4"), gt=0, description="r ≤ low: base × r (低倍率)")
    mid_band_upper: Decimal | None = Field(None, description="low < r ≤ this: base × (r + mid_band_add)")
    mid_band_add: Decimal = Field(Decimal("0.2"), ge=0, description="added to r in the mid band")
    high_ratio_by: Literal["base_points", "level"] = Field(
        "base_points", description="high-ratio thresholds by the group's base points (tiers) or by level"
    )
    high_ratio_tiers: list[HighRatioTier] = Field(
        default_factory=lambda: [
            HighRatioTier(max_base_points=Decimal(100), ratio=Decimal(3)),
            HighRatioTier(max_base_points=Decimal(300), ratio=Decimal(2)),
            HighRatioTier(ratio=Decimal("1.5")),
        ],
        description="r ≥ threshold: base × coef + base × (r − threshold) (高倍率); by base-point tier",
    )
    high_ratio_levels: dict[Level, Decimal] = Field(default_factory=dict, description="thresholds by level")
    incomplete_discharge_modes: list[DischargeMode] = Field(
        default_factory=lambda: [DischargeMode.TRANSFER, DischargeMode.TO_COMMUNITY, DischargeMode.AGAINST_ADVICE,
                                 DischargeMode.DEATH],
        description="未完成治疗: base × coef × r capped at base, when r < incomplete_max_ratio",
    )  # fmt: skip
    incomplete_max_ratio: Decimal = Field(Decimal(1), gt=0, description="未完成治疗 only when r is below this")
    ambiguous_suffix: str = Field("QY", min_length=1, description="DRG codes ending so are ambiguous (歧义组)")
    ambiguous_ratio: Decimal = Field(Decimal(1), ge=0, description="歧义组: cost ÷ mean_cost[all] × scale × this")
    ungrouped_ratio: Decimal = Field(Decimal(1), ge=0, description="未入组/无基准点数: the same conversion × this")
    los_outside_max: int | None = Field(None, ge=0, description="LOS ≤ this is paid outside DRG (按项目折算)")
    los_outside_min: int | None = Field(None, ge=1, description="LOS ≥ this is paid outside DRG")
    outside_ratio: Decimal = Field(Decimal(1), ge=0, description="outside DRG: cost ÷ mean_cost[all] × scale × this")
    bed_day_table: Path | None = Field(None, description="CSV: drg, points_per_day (按床日)")
    special_review_table: Path | None = Field(None, description="CSV: claim_id, points (特病单议)")

    @model_validator(mode="after")
    def _consistent(self) -> CaseClasses:
        if self.mid_band_upper is not None and self.mid_band_upper <= self.low_ratio:
            raise ValueError("mid_band_upper must be above low_ratio")
        if self.high_ratio_by == "level" and not self.high_ratio_levels:
            raise ValueError("high_ratio_by = 'level' needs high_ratio_levels")
        if self.high_ratio_by == "base_points" and (
            not self.high_ratio_tiers or self.high_ratio_tiers[-1].max_base_points is not None
        ):
            raise ValueError("the last high-ratio tier must have no max_base_points (it takes every group above)")
        if any(ratio <= 1 for ratio in self.high_ratio_levels.values()):
            raise ValueError("high-ratio thresholds must be above 1")
        return self


class Readmission(_Section):
    """再入院: the earlier of two stays with the same DRG within `days` has its points × `factor`."""

    days: int | None = Field(15, ge=0, description="next admission − this discharge ≤ days counts as a readmission")
    factor: Decimal = Field(Decimal("0.5"), ge=0, le=1, description="the earlier stay's points × this")
    same_institution: bool = Field(True, description="only stays at the same institution count")
    excepted_groups: list[str] = Field(default_factory=list, description="DRG or ADRG codes exempt (放化疗 …)")


class Budget(_Section):
    """年度住院统筹基金预算 and what counts as the patients' share (个人负担) in the point value."""

    fund_budget: Decimal = Field(ge=0, decimal_places=2, description="年度住院统筹基金预算, 元")
    patient_share: list[Literal["own_share", "self_pay_cost"]] = Field(
        default_factory=lambda: ["own_share"], description="claim columns counted as the patients' share (个人负担)"
    )
    monthly_weights: list[Decimal] = Field(
        default_factory=lambda: [Decimal(1)] * 12, description="how the budget spreads over months 1..12"
    )

    @model_validator(mode="after")
    def _twelve(self) -> Budget:
        if len(self.monthly_weights) != 12 or any(w < 0 for w in self.monthly_weights):
            raise ValueError("monthly_weights needs 12 non-negative numbers")
        return self


class PointValue(_Section):
    """点值: decimals it is published with; the monthly provisional value (from the budget, or given)."""

    decimals: int = Field(4, ge=0, le=8, description="point values (元 per point) are rounded half-up to these")
    monthly: Literal["budget"] | Decimal = Field("budget", description="'budget' or a fixed 元 per point")


class Monthly(_Section):
    """月度预结算: prepayment ratio and quality deposit withheld (质量保证金)."""

    prepayment_ratio: Decimal = Field(Decimal("0.9"), ge=0, le=1, description="share of a month's due advanced")
    quality_deposit_ratio: Decimal = Field(
        Decimal(0), ge=0, le=1, description="质量保证金: share of each monthly advance withheld"
    )


class Clearing(_Section):
    """年度清算: deposit returned and audit deductions (违规扣减)."""

    deposit_returned_ratio: Decimal = Field(
        Decimal(1), ge=0, le=1, description="share of the year's quality deposit returned at the clearing"
    )
    deductions_table: Path | None = Field(None, description="CSV: institution_id, points, amount, reason")
    deduction_factor: Decimal = Field(Decimal(1), ge=0, description="k in amount × k and points × point value × k")


class Policy(_Section):
    """一个统筹区一年的 DRG 点数法结算办法."""

    name: str = Field(min_length=1, description="the policy's name, shown on the results")
    year: int = Field(ge=2000, le=2100, description="the year settled: stays discharged (visits made) in it")
    budget: Budget = Field(description="年度住院统筹基金预算")
    base_points: BasePoints = Field(description="基准点数: from past years or a table")
    coefficients: Coefficients = Field(Coefficients(), description="差异系数")
    case_classes: CaseClasses = Field(CaseClasses(), description="病例分类 and their thresholds")
    readmission: Readmission = Field(Readmission(), description="再入院")
    point_value: PointValue = Field(PointValue(), description="点值")
    monthly: Monthly = Field(Monthly(), description="月度预结算")
    clearing: Clearing = Field(Clearing(), description="年度清算")
    alliance_budget: AllianceBudget | None = Field(None, description="医共体总额预算; none: no alliance settlement")
    reimbursement: Reimbursement | None = Field(None, description="claim-level fund payment (alliance settlement)")
    capitation: Capitation | None = Field(None, description="按人头 for signed residents; none: no capitation")
    overspend: Overspend = Field(Overspend(), description="合理超支分担 (alliance settlement)")
    allocation: Allocation = Field(Allocation(), description="成员单位分配 (alliance settlement)")
    assessment: Scoring = Field(Scoring(), description="考核评分表 (alliance settlement)")
    folder: Path = Field(Path("."), exclude=True, description="where relative table paths start")

    def updated(self, changes: dict[str, Any]) -> Policy:
        """A validated copy with `changes` merged in, e.g. `{"budget": {"fund_budget": "1.2e8"}}` (what-if runs)."""

        def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
            merged = dict(base)
            for key, value in extra.items():
                merged[key] = (
                    merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
                )
            return merged

        return Policy.model_validate({**merge(self.model_dump(exclude_unset=True), changes), "folder": self.folder})

    def path(self, relative: Path) -> Path:
        """A table path of the policy, resolved against the policy's folder."""
        return relative if relative.is_absolute() else self.folder / relative


def load_policy(path: Path | str) -> Policy:
    """Read and validate a policy TOML file; errors name the file and the key."""
    path = Path(path)
    return validated(Policy, {**read_toml(path, "policy file"), "folder": path.parent}, path)
