"""The assessment scoring table (考核评分表) as data: the `[assessment]` section of a TOML file.

Per indicator a weight (points out of 100), a target, a direction and a rule; and the retention bands that turn
the score into the share of a budget surplus the alliance keeps (结余留用). Every number has a documented
default here (targets from seeds 003/004, see DOMAIN.md §6–§7); the code has none of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from yibao.errors import InputError
from yibao.settlement.toml_input import read_toml, validated

SECTION = "assessment"


class Indicator(StrEnum):
    """The indicators a scoring table may score: columns of `assessment.indicators`."""

    IN_COUNTY_RATE = "in_county_rate"
    PRIMARY_CARE_RATE = "primary_care_rate"
    SIGNED_RATE = "signed_rate"
    DOWN_REFERRALS = "down_referrals"
    DOWN_REFERRAL_GROWTH = "down_referral_growth"
    DOWN_UP_RATIO = "down_up_ratio"
    OUTPATIENT_COST_PER_VISIT = "outpatient_cost_per_visit"
    OUTPATIENT_COST_GROWTH = "outpatient_cost_growth"
    INPATIENT_COST_PER_STAY = "inpatient_cost_per_stay"
    INPATIENT_COST_GROWTH = "inpatient_cost_growth"


RetentionBand = tuple[Decimal, Decimal]
"""(min_score, ratio): a score ≥ min_score (and below the band above) keeps `ratio` of the surplus."""


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IndicatorScore(_Section):
    """How one indicator earns points.

    `threshold`: the full weight when the target is met (value ≥ target, or ≤ for `lower`), else 0.
    `linear`: the full weight at the target or better, 0 at the floor or worse, linear in between.
    A missing value (no visits, no prior year) earns 0, or the full weight with `when_missing = "full"`.
    """

    weight: Decimal = Field(ge=0, le=100, description="points out of 100 (分值)")
    target: Decimal = Field(description="目标值, e.g. 0.9 for 90%")
    direction: Literal["higher", "lower"] = Field("higher", description="which way is better")
    rule: Literal["threshold", "linear"] = Field("threshold", description="all or nothing, or linear to the floor")
    floor: Decimal | None = Field(None, description="linear only: the value that earns 0 points")
    when_missing: Literal["zero", "full"] = Field("zero", description="points for a missing value (null)")

    @model_validator(mode="after")
    def _floor_on_the_bad_side(self) -> IndicatorScore:
        if self.rule == "linear":
            if self.floor is None:
                raise ValueError("rule 'linear' needs a floor (the value that earns 0 points)")
            if (self.floor >= self.target) if self.direction == "higher" else (self.floor <= self.target):
                side = "below" if self.direction == "higher" else "above"
                raise ValueError(f"floor must be {side} the target when {self.direction} is better")
        elif self.floor is not None:
            raise ValueError("floor applies to rule 'linear' only")
        return self


def _default_indicators() -> dict[Indicator, IndicatorScore]:
    return {
        Indicator.IN_COUNTY_RATE: IndicatorScore(weight=Decimal(30), target=Decimal("0.9")),
        Indicator.PRIMARY_CARE_RATE: IndicatorScore(weight=Decimal(30), target=Decimal("0.65")),
        Indicator.SIGNED_RATE: IndicatorScore(weight=Decimal(20), target=Decimal("0.5")),
        Indicator.DOWN_REFERRAL_GROWTH: IndicatorScore(weight=Decimal(20), target=Decimal("0.1")),
    }


def _default_bands() -> list[RetentionBand]:
    return [
        (Decimal(90), Decimal(1)),
        (Decimal(80), Decimal("0.8")),
        (Decimal(60), Decimal("0.5")),
        (Decimal(0), Decimal(0)),
    ]


def check_bands(bands: Sequence[RetentionBand]) -> None:
    """Bands run from the highest min_score down to 0, ratios in [0, 1] never rising as the score falls; so a
    higher score never keeps a smaller share."""
    if not bands:
        raise ValueError("retention_bands needs at least one band")
    for (upper, upper_ratio), (lower, lower_ratio) in pairwise(bands):
        if lower >= upper:
            raise ValueError("retention_bands must be listed from the highest min_score down, each lower")
        if lower_ratio > upper_ratio:
            raise ValueError(f"the band from {lower} keeps more ({lower_ratio}) than the band from {upper}")
    if bands[-1][0] != 0:
        raise ValueError("the last retention band must start at 0, so that every score has a ratio")
    if any(not 0 <= ratio <= 1 for _, ratio in bands):
        raise ValueError("retention ratios must be between 0 and 1")


class Scoring(_Section):
    """考核评分表: indicator weights (summing to 100), the score's decimals, and the retention bands."""

    indicators: dict[Indicator, IndicatorScore] = Field(
        default_factory=_default_indicators,
        description="the indicators scored, each with its weight and rule; the weights sum to 100",
    )
    decimals: int = Field(2, ge=0, le=6, description="points and score are rounded half-up to these")
    retention_bands: list[RetentionBand] = Field(
        default_factory=_default_bands,
        description="(min_score, ratio) from the top: ≥ 90 → 1, 80–90 → 0.8, 60–80 → 0.5, < 60 → 0",
    )

    @field_validator("indicators")
    @classmethod
    def _out_of_100(cls, indicators: dict[Indicator, IndicatorScore]) -> dict[Indicator, IndicatorScore]:
        total = sum((rule.weight for rule in indicators.values()), Decimal(0))
        if total != 100:
            raise ValueError(f"weights must sum to 100, not {total}")
        return indicators

    @field_validator("retention_bands")
    @classmethod
    def _monotone(cls, bands: list[RetentionBand]) -> list[RetentionBand]:
        check_bands(bands)
        return bands


def validate_scoring(data: dict[str, Any], source: Path | str = SECTION) -> Scoring:
    """A scoring table from the contents of an `[assessment]` section; errors name the key."""
    return validated(Scoring, data, source, (SECTION,))


def load_scoring(path: Path | str) -> Scoring:
    """The `[assessment]` section of a TOML file (a policy file, or one of its own), validated."""
    path = Path(path)
    data = read_toml(path)
    if not isinstance(data.get(SECTION), dict):
        raise InputError(path, f"no [{SECTION}] section")
    return validate_scoring(data[SECTION], path)
