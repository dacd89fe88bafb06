"""Assessment (考核) of county medical alliances from a year of claims, and its score (DOMAIN.md §6–§7).

**Covered residents (覆盖人群).** A resident of a county belongs to one alliance of that county: the one whose
member institutions saw most of the resident's visits (ties: the smaller alliance_id). Residents who never
visited an alliance of their county are dealt out in turn, in person_key order, over the county's alliances
(sorted by alliance_id) — with one alliance per county, simply all of its county's residents. Residents of a
county without an alliance are covered by none; claims of people not in the residents table are not counted.

Every claim-based indicator is over the covered residents' claims wherever they were treated (the package, 总额包干,
pays for all of them). A visit is one claim, inpatient or outpatient (就诊人次). Claims at an institution missing
from the institutions table count as outside the county and not at 基层.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

import polars as pl

from yibao.errors import InputError, require_columns
from yibao.models.enums import Level, Referral, VisitType
from yibao.settlement.assessment_policy import IndicatorScore, RetentionBand, Scoring, check_bands

PRIMARY_CARE_LEVELS = (Level.TOWNSHIP, Level.VILLAGE)
"""基层: 乡镇卫生院 / 社区卫生服务中心 and 村卫生室 (DOMAIN.md §7)."""
GROWTH_BASES = {
    "down_referral_growth": "down_referrals",
    "outpatient_cost_growth": "outpatient_cost_per_visit",
    "inpatient_cost_growth": "inpatient_cost_per_stay",
}
"""Each growth indicator and the indicator it is the year-on-year growth of."""


def _canonical(frame: pl.DataFrame, column: str, vocabulary: type[StrEnum], source: str) -> pl.DataFrame:
    """Map a vocabulary column (values, Chinese labels or aliases) to its canonical values; unknown is an error."""
    aliases = vocabulary.aliases()  # type: ignore[attr-defined]
    text = pl.col(column).cast(pl.String).str.strip_chars()
    unknown = frame.filter(~text.is_in(list(aliases)) & pl.col(column).is_not_null())
    if unknown.height:
        raise InputError(source, f"unknown value {unknown[column][0]!r}", field=column)
    return frame.with_columns(text.replace_strict(aliases, default=None, return_dtype=pl.String).alias(column))


def _ratio(numerator: str, denominator: str, decimals: int) -> pl.Expr:
    """numerator ÷ denominator rounded to `decimals`; null when the denominator is 0."""
    return pl.when(pl.col(denominator) > 0).then(pl.col(numerator) / pl.col(denominator)).round(decimals)


def covered_residents(
    residents: pl.DataFrame, visits: pl.DataFrame, alliances: pl.DataFrame, order: str = "person_key"
) -> pl.DataFrame:
    """person_key → alliance_id by the rule in the module docstring.

    `visits` has person_key and alliance_id of the institution (null outside any alliance); `residents` has
    person_key and residence_county, and `order` when the person_key order is another column's (person_key may then
    be any id); `alliances` alliance_id and county. Visits are counted per (person, alliance) before anything is
    joined, so the joins see one row per pair, not per visit."""
    used = (
        visits.filter(pl.col("alliance_id").is_not_null())
        .group_by("person_key", "alliance_id")
        .len()
        .join(alliances, on="alliance_id")
        .join(residents, on="person_key")
        .filter(pl.col("county") == pl.col("residence_county"))
        .group_by("person_key")
        .agg(pl.col("alliance_id").sort_by("len", "alliance_id", descending=[True, False]).first())
    )
    in_turn = alliances.sort("alliance_id").group_by("county").agg(pl.col("alliance_id").alias("choices"))
    dealt = (
        residents.join(used, on="person_key", how="anti")
        .join(in_turn, left_on="residence_county", right_on="county")
        .with_columns(turn=pl.col(order).rank("ordinal").over("residence_county") - 1)
        .select("person_key", alliance_id=pl.col("choices").list.get(pl.col("turn") % pl.col("choices").list.len()))
    )
    return pl.concat([used, dealt])


def indicators(
    claims: pl.DataFrame,
    institutions: pl.DataFrame,
    alliances: pl.DataFrame,
    residents: pl.DataFrame,
    prior: pl.DataFrame | None = None,
    *,
    covered: pl.DataFrame | None = None,
    primary_care_levels: Collection[Level] = PRIMARY_CARE_LEVELS,
    decimals: int = 4,
) -> pl.DataFrame:
    """One row per alliance (in `alliances` order) with the 考核 indicators of its covered residents' year.

    Inputs: claims (person_key, institution_id, visit_type, total_cost, referral), institutions
    (institution_id, level, alliance_id, county), alliances (alliance_id, county), residents (person_key,
    residence_county, signed_family_doctor); `prior`: this function's output for the year before; `covered`:
    person_key → alliance_id when already known (`covered_residents`).

    - 县域内就诊率 `in_county_rate` = visits at institutions in the resident's own county ÷ visits
    - 基层就诊率 `primary_care_rate` = visits at `primary_care_levels` (township, village) ÷ visits
    - 签约率 `signed_rate` = residents signed with a family doctor ÷ residents
    - 下转患者数 `down_referrals` = residents with at least one claim referred down (下转, marked on the
      receiving claim); 下转患者增长率 `down_referral_growth` = down_referrals ÷ prior down_referrals − 1
    - 双向转诊: `up_referral_visits`, `down_referral_visits` (claims marked 上转 / 下转) and
      `down_up_ratio` = down_referral_visits ÷ up_referral_visits
    - 次均费用: `outpatient_cost_per_visit` = Σ total_cost ÷ outpatient visits (门诊次均, 元),
      `inpatient_cost_per_stay` = Σ total_cost ÷ stays (住院次均, 元); growth `…_cost_growth` = ÷ prior − 1

    Rates, ratios and growths are rounded to `decimals` (so 0.9 meets a 90% target without binary noise), costs to
    the fen. A ratio with a zero denominator, and a growth without a prior year or from 0, is null. Counts
    (`residents`, `visits`, …) are included so that every rate can be checked.
    """
    require_columns(claims.columns, "claims", ("person_key", "institution_id", "visit_type", "total_cost", "referral"))
    require_columns(institutions.columns, "institutions", ("institution_id", "level", "alliance_id", "county"))
    require_columns(alliances.columns, "alliances", ("alliance_id", "county"))
    require_columns(residents.columns, "residents", ("person_key", "residence_county", "signed_family_doctor"))
    columns = pl.col("institution_id", "level", "alliance_id", "county").cast(pl.String)
    institutions = _canonical(institutions.select(columns), "level", Level, "institutions")
    alliances = alliances.select(pl.col("alliance_id", "county").cast(pl.String))
    strays = institutions.filter(pl.col("alliance_id").is_not_null()).join(alliances, on="alliance_id", how="anti")
    if strays.height:
        raise InputError(
            "institutions", f"alliance_id {strays['alliance_id'][0]!r} is not in alliances", field="alliance_id"
        )
    residents = residents.select(
        pl.col("person_key", "residence_county").cast(pl.String), pl.col("signed_family_doctor").cast(pl.Boolean)
    )
    claims = claims.select(
        pl.col("person_key", "institution_id").cast(pl.String),
        pl.col("visit_type"),
        pl.col("total_cost").cast(pl.Float64),
        pl.col("referral").fill_null(Referral.NONE.value),
    )
    claims = _canonical(_canonical(claims, "visit_type", VisitType, "claims"), "referral", Referral, "claims")

    visits = claims.join(institutions, on="institution_id", how="left")
    if covered is None:
        covered = covered_residents(
            residents.select("person_key", "residence_county"), visits.select("person_key", "alliance_id"), alliances
        )
    covered = covered.select(pl.col("person_key", "alliance_id").cast(pl.String)).join(residents, on="person_key")
    return alliance_indicators(
        visits.drop("alliance_id").join(covered, on="person_key"),
        covered.select("alliance_id", "signed_family_doctor"),
        alliances,
        prior,
        primary_care_levels=primary_care_levels,
        decimals=decimals,
    )


def alliance_indicators(
    visits: pl.DataFrame,
    people: pl.DataFrame,
    alliances: pl.DataFrame,
    prior: pl.DataFrame | None = None,
    *,
    primary_care_levels: Collection[Level] = PRIMARY_CARE_LEVELS,
    decimals: int = 4,
) -> pl.DataFrame:
    """`indicators` from visits already placed: one row per covered resident's claim with alliance_id (the covering
    alliance), person_key, county and level of the institution, residence_county, visit_type, total_cost and
    referral in canonical values; `people`: alliance_id and signed_family_doctor of each covered resident."""
    outpatient = pl.col("visit_type") == VisitType.OUTPATIENT.value
    inpatient = pl.col("visit_type") == VisitType.INPATIENT.value
    down, up = pl.col("referral") == Referral.DOWN.value, pl.col("referral") == Referral.UP.value
    per_alliance = visits.group_by("alliance_id").agg(
        visits=pl.len(),
        in_county_visits=(pl.col("county") == pl.col("residence_county")).sum(),
        primary_care_visits=pl.col("level").is_in([level.value for level in primary_care_levels]).sum(),
        down_referrals=pl.col("person_key").filter(down).n_unique(),
        up_referral_visits=up.sum(),
        down_referral_visits=down.sum(),
        outpatient_visits=outpatient.sum(),
        outpatient_cost=pl.col("total_cost").filter(outpatient).sum(),
        inpatient_stays=inpatient.sum(),
        inpatient_cost=pl.col("total_cost").filter(inpatient).sum(),
    )
    people = people.group_by("alliance_id").agg(
        residents=pl.len(), signed_residents=pl.col("signed_family_doctor").sum()
    )
    counts = [c for c in (*people.columns, *per_alliance.columns) if c != "alliance_id"]
    frame = (
        alliances.join(people, on="alliance_id", how="left", maintain_order="left")
        .join(per_alliance, on="alliance_id", how="left", maintain_order="left")
        .with_columns(pl.col(counts).fill_null(0).cast(pl.Int64))
        .with_columns(
            in_county_rate=_ratio("in_county_visits", "visits", decimals),
            primary_care_rate=_ratio("primary_care_visits", "visits", decimals),
            signed_rate=_ratio("signed_residents", "residents", decimals),
            down_up_ratio=_ratio("down_referral_visits", "up_referral_visits", decimals),
            outpatient_cost_per_visit=_ratio("outpatient_cost", "outpatient_visits", 2),
            inpatient_cost_per_stay=_ratio("inpatient_cost", "inpatient_stays", 2),
        )
        .drop("outpatient_cost", "inpatient_cost")
    )
    return _growth(frame, prior, decimals)


def _growth(frame: pl.DataFrame, prior: pl.DataFrame | None, decimals: int) -> pl.DataFrame:
    """Year-on-year growth columns (GROWTH_BASES) against `prior`, matched by alliance_id."""
    if prior is None:
        return frame.with_columns(pl.lit(None, pl.Float64).alias(name) for name in GROWTH_BASES)
    require_columns(prior.columns, "prior", ("alliance_id", *GROWTH_BASES.values()))
    before = prior.select(
        pl.col("alliance_id").cast(pl.String),
        *(pl.col(b).cast(pl.Float64).alias(f"prior_{b}") for b in GROWTH_BASES.values()),
    )
    growth = (
        pl.when(pl.col(f"prior_{base}") > 0)
        .then(pl.col(base) / pl.col(f"prior_{base}") - 1)
        .round(decimals)
        .alias(name)
        for name, base in GROWTH_BASES.items()
    )
    joined = frame.join(before, on="alliance_id", how="left", maintain_order="left")
    return joined.with_columns(growth).drop(before.columns[1:])


def half_up(value: Decimal, decimals: int) -> Decimal:
    """The one rounding of the assessment: half-up (四舍五入) to `decimals` places."""
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def points(value: float | Decimal | None, rule: IndicatorScore, decimals: int) -> Decimal:
    """The points one indicator value earns under its rule, rounded half-up to `decimals`."""
    if value is None:
        return half_up(rule.weight if rule.when_missing == "full" else Decimal(0), decimals)
    value = Decimal(str(value))
    if rule.rule == "threshold":
        met = value >= rule.target if rule.direction == "higher" else value <= rule.target
        return half_up(rule.weight if met else Decimal(0), decimals)
    assert rule.floor is not None  # the model requires it for linear
    progress = min(max((value - rule.floor) / (rule.target - rule.floor), Decimal(0)), Decimal(1))
    return half_up(rule.weight * progress, decimals)


def retention_ratio(score: Decimal, bands: Sequence[RetentionBand]) -> Decimal:
    """结余留用比例: the ratio of the first band (from the top) whose min_score the score reaches."""
    check_bands(bands)
    return next(ratio for min_score, ratio in bands if score >= min_score)


def score(frame: pl.DataFrame, scoring: Scoring) -> pl.DataFrame:
    """Per alliance: `<indicator>_points` for each scored indicator, `score` (their sum, 0–100) and
    `retention_ratio`. Points are rounded once each (half-up to `scoring.decimals`); the score is their exact sum.
    One Python step per alliance (a region has at most a few hundred), in exact decimals."""
    names = [str(name) for name in scoring.indicators]
    require_columns(frame.columns, "indicators", ("alliance_id", *names))
    money = pl.Decimal(10, scoring.decimals)
    rows = []
    for row in frame.select("alliance_id", *names).iter_rows(named=True):
        earned = {
            f"{name}_points": points(row[name], rule, scoring.decimals) for name, rule in scoring.indicators.items()
        }
        total = sum(earned.values(), Decimal(0))
        ratio = retention_ratio(total, scoring.retention_bands)
        rows.append({"alliance_id": row["alliance_id"], **earned, "score": total, "retention_ratio": ratio})
    schema = {"alliance_id": pl.String, **{f"{n}_points": money for n in names}, "score": money}
    return pl.DataFrame(rows, schema={**schema, "retention_ratio": pl.Decimal(10, 4)}, orient="row")
