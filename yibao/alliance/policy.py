"""The alliance sections of a policy file (docs/alliance.md): budget, claim-level reimbursement, capitation,
overspend sharing and allocation to members. Every number is a field with a documented default or required."""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from yibao.models.enums import Level

PRIMARY_CARE = [Level.TOWNSHIP, Level.VILLAGE]
"""基层 and 村卫生室."""


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _twelve_ones() -> list[Decimal]:
    return [Decimal(1)] * 12


class AllianceBudget(_Section):
    """总额预算 of each alliance: from last year's spending or per capita, less a risk reserve; monthly advances."""

    method: Literal["prior", "per_capita"] = Field(description="prior: last year's spending; per_capita: 按人头")
    per_capita: Decimal | None = Field(
        None, ge=0, decimal_places=2, description="per_capita: 元 per covered resident a year"
    )
    growth: Decimal = Field(Decimal(0), gt=-1, description="prior: × (1 + growth)")
    population_adjustment: bool = Field(False, description="prior: × covered residents ÷ prior_residents")
    score_adjustment: list[tuple[Decimal, Decimal]] = Field(
        default_factory=list, description="(min_score, adjustment) from the top: prior score → × (1 + adjustment)"
    )
    risk_reserve_ratio: Decimal = Field(Decimal(0), ge=0, lt=1, description="风险调剂金, kept by the fund")
    advance_ratio: Decimal = Field(Decimal(1), ge=0, le=1, description="月度预付: share of the budget advanced")
    monthly_weights: list[Decimal] = Field(default_factory=_twelve_ones, description="advance over months 1..12")

    @model_validator(mode="after")
    def _complete(self) -> AllianceBudget:
        if self.method == "per_capita" and self.per_capita is None:
            raise ValueError('method "per_capita" needs per_capita (元 per covered resident)')
        if len(self.monthly_weights) != 12 or any(w < 0 for w in self.monthly_weights) or not any(self.monthly_weights):
            raise ValueError("monthly_weights needs 12 non-negative numbers, not all 0")
        bands = self.score_adjustment
        if bands and (any(low >= high for (high, _), (low, _) in pairwise(bands)) or bands[-1][0] != 0):
            raise ValueError("score_adjustment bands run from the highest min_score down to a last band at 0")
        if any(adjustment <= -1 for _, adjustment in bands):
            raise ValueError("a score adjustment must be above -1")
        return self

    def adjustment(self, score: Decimal | None) -> Decimal:
        """The budget adjustment for last year's score (0 without bands; a missing score is an error)."""
        if not self.score_adjustment:
            return Decimal(0)
        if score is None:
            raise ValueError("score_adjustment needs the alliance's prior_score")
        return next(adjustment for min_score, adjustment in self.score_adjustment if score >= min_score)


class Tier(_Section):
    """起付线 and 报销比例 at one tier (an institution level in the county, or outside it)."""

    deductible: Decimal = Field(Decimal(0), ge=0, decimal_places=2, description="起付线, 元")
    ratio: Decimal = Field(ge=0, le=1, description="报销比例: share of the eligible cost above the deductible")


class VisitTerms(_Section):
    """The fund's terms for one visit type (住院 or 门诊)."""

    deductible_basis: Literal["claim", "year"] = Field("claim", description="each claim, or once per person-year")
    annual_cap: Decimal | None = Field(None, ge=0, decimal_places=2, description="元 per person and year; none: no cap")
    levels: dict[Level, Tier] = Field(default_factory=dict, description="by institution level, in the county")
    out_of_county: Tier = Field(description="县域外: outside the patient's county or not in the institutions table")


class Reimbursement(_Section):
    """Claim-level fund payment (统筹基金支付): 乙类先行自付, then per visit type deductible, ratio and cap."""

    class_b_self_pay_first: Decimal = Field(Decimal(0), ge=0, le=1, description="乙类先行自付比例")
    inpatient: VisitTerms = Field(description="住院")
    outpatient: VisitTerms = Field(description="门诊")


class Capitation(_Section):
    """按人头付费 for signed residents (签约): outpatient visits at the alliance's members of `levels`."""

    per_signed_resident: Decimal = Field(ge=0, decimal_places=2, description="元 per signed covered resident a year")
    levels: list[Level] = Field(
        default_factory=lambda: list(PRIMARY_CARE), description="levels whose visits by signed residents it covers"
    )


class OverspendBand(_Section):
    """Overspend up to `up_to` × budget (from the band below) of which the fund bears `fund_share`."""

    up_to: Decimal = Field(gt=0, description="the band's upper end, as a share of the budget")
    fund_share: Decimal = Field(ge=0, le=1, description="share of the overspend in the band the fund bears")


class Overspend(_Section):
    """合理超支分担: bands of overspend the fund shares; beyond the last the alliance bears all (超支不补)."""

    bands: list[OverspendBand] = Field(default_factory=list, description="rising bands; none: the fund shares nothing")
    min_score: Decimal = Field(Decimal(0), ge=0, le=100, description="below this score the fund shares nothing")

    @model_validator(mode="after")
    def _rising(self) -> Overspend:
        if any(low.up_to >= high.up_to for low, high in pairwise(self.bands)):
            raise ValueError("overspend bands must be listed with rising up_to")
        return self


class AllocationTier(_Section):
    """One tier of a fixed split (e.g. 县 6 of 县:乡:村 = 6:3:1) and the levels it holds."""

    share: Decimal = Field(ge=0, description="the tier's share (e.g. 6 of 6:3:1)")
    levels: list[Level] = Field(min_length=1, description="the levels of the tier's members")


class Allocation(_Section):
    """成员单位分配: by work points × coefficient (with a floor for 基层), or a fixed split by tiers."""

    method: Literal["points", "fixed"] = Field("points", description="by work points, or a fixed split by tiers")
    visit_points: dict[Level, Decimal] = Field(default_factory=dict, description="work points per outpatient visit")
    coefficients: dict[Level, Decimal] = Field(default_factory=dict, description="× weight by level (default 1)")
    primary_care_floor: Decimal | None = Field(None, ge=0, le=1, description="基层 and villages get at least this")
    primary_care_levels: list[Level] = Field(
        default_factory=lambda: list(PRIMARY_CARE), description="the levels the floor protects"
    )
    tiers: list[AllocationTier] = Field(default_factory=list, description="fixed: e.g. 6:3:1 by level lists")

    @model_validator(mode="after")
    def _complete(self) -> Allocation:
        if self.method == "fixed":
            if not self.tiers or not any(tier.share for tier in self.tiers):
                raise ValueError('method "fixed" needs tiers with a positive share')
            levels = [level for tier in self.tiers for level in tier.levels]
            if len(levels) != len(set(levels)):
                raise ValueError("a level may be in one tier only")
        if any(value < 0 for value in (*self.visit_points.values(), *self.coefficients.values())):
            raise ValueError("visit points and coefficients must be non-negative")
        return self
