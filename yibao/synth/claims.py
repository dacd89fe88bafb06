"""One chunk of claims at a time: inpatient stays (住院) and outpatient visits (门诊), vectorised with numpy.

Each row is drawn in this order: case (ADRG), patient (sex and age the ADRG admits, then a resident of that county,
sex and age), place of care (inside or outside the resident's county, by level attraction), dates, codes, money.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from yibao.models import Claim, Level, Referral, VisitType
from yibao.models.checks import INFANT_MAX_AGE_DAYS, NEWBORN_MAX_AGE_DAYS
from yibao.models.schema import polars_schema
from yibao.synth.casemix import CaseMix
from yibao.synth.codes import RulesetCodes
from yibao.synth.costs import split_costs, to_fen
from yibao.synth.flows import HOSPITAL_LEVELS, Care, CareFlows
from yibao.synth.organisation import LEVELS, Organisation
from yibao.synth.params import AGE_BANDS, MAX_AGE, GenerationParams
from yibao.synth.residents import Population
from yibao.synth.sampling import choice

CLAIM_SCHEMA = polars_schema(Claim)
INFANT_DAYS = (NEWBORN_MAX_AGE_DAYS + 1, INFANT_MAX_AGE_DAYS)
"""Age in days of an infant (age 0, past the newborn period)."""
MAX_EXTRA_PROCEDURES = 3
REFERRALS = pl.Series([Referral.NONE.value, Referral.UP.value, Referral.DOWN.value])


@dataclass(frozen=True)
class ClaimContext:
    """Everything drawn once per case that the claim chunks sample from."""

    params: GenerationParams
    organisation: Organisation
    population: Population
    codes: RulesetCodes
    case_mix: CaseMix
    flows: CareFlows

    def by_level(self, values: dict[Level, float]) -> np.ndarray:
        """A per-level mapping as an array indexed like LEVELS."""
        return np.array([values[level] for level in LEVELS])


@dataclass(frozen=True)
class _Patients:
    county: np.ndarray
    sex: np.ndarray
    age: np.ndarray
    resident: np.ndarray


def _patients(ctx: ClaimContext, rng: np.random.Generator, adrg: np.ndarray, rates: tuple[float, ...]) -> _Patients:
    """Sex and age each row's ADRG admits, a county by population, and a resident of that county, sex and age."""
    codes, n = ctx.codes, len(adrg)
    sex = np.where(codes.sex[adrg] > 0, codes.sex[adrg], np.where(rng.random(n) < ctx.params.male_share, 1, 2))
    bounds = np.array([*AGE_BANDS, MAX_AGE + 1])
    band = choice(rng, np.asarray(ctx.params.population_by_age) * np.asarray(rates), n)
    age = bounds[band] + (rng.random(n) * np.diff(bounds)[band]).astype(np.int64)
    low, high = codes.age_low[adrg], codes.age_high[adrg]
    age = np.where(low >= 0, low + (rng.random(n) * (high - low + 1)).astype(np.int64), age)
    county = choice(rng, ctx.population.county_sizes().astype(np.float64), n)
    resident = ctx.population.draw(county, sex, age, rng.random(n))
    return _Patients(county=county, sex=sex, age=age, resident=resident)


def _infant_days(rng: np.random.Generator, n: int) -> np.ndarray:
    return INFANT_DAYS[0] + (rng.random(n) * (INFANT_DAYS[1] - INFANT_DAYS[0] + 1)).astype(np.int64)


def _nullable(values: np.ndarray, present: np.ndarray) -> pl.Series:
    return pl.select(pl.when(pl.lit(pl.Series(present))).then(pl.lit(pl.Series(values, dtype=pl.Int64)))).to_series()


def _dates(days_since_new_year: np.ndarray, year: int) -> pl.Series:
    epoch_day = (date(year, 1, 1) - date(1970, 1, 1)).days
    return pl.Series(days_since_new_year + epoch_day, dtype=pl.Int32).cast(pl.Date)


def _days_in_year(year: int) -> int:
    return (date(year + 1, 1, 1) - date(year, 1, 1)).days


def _frame(
    ctx: ClaimContext,
    prefix: str,
    first: int,
    people: _Patients,
    institution: np.ndarray,
    columns: dict[str, pl.Series | np.ndarray],
) -> pl.DataFrame:
    """Assemble the columns shared by both kinds of claim with the kind's own, in the schema's order."""
    n = len(institution)
    ids = pl.select(pl.lit(prefix) + pl.int_range(first, first + n).cast(pl.String).str.zfill(10)).to_series()
    shared: dict[str, pl.Series | np.ndarray] = {
        "claim_id": ids,
        "person_key": ctx.population.person_keys(people.resident),
        "institution_id": ctx.organisation.institutions["institution_id"].gather(institution),
        "sex": people.sex,
        "age": people.age,
        "residence_county": pl.Series(ctx.organisation.counties).gather(people.county),
        "signed_family_doctor": ctx.population.signed(people.resident),
    }
    data = shared | columns
    return pl.DataFrame({name: data[name] for name in CLAIM_SCHEMA}, schema=CLAIM_SCHEMA)


def _newborns(ctx: ClaimContext, rng: np.random.Generator, adrg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Age in days and birth weight (g) of each row as a newborn of its ADRG (used where the row is one)."""
    p, codes, n = ctx.params, ctx.codes, len(adrg)
    days = np.minimum(rng.exponential(p.newborn_days_mean, n).astype(np.int64), codes.newborn_days[adrg])
    w_low, w_high = codes.weight_low[adrg], codes.weight_high[adrg]
    banded_low = np.maximum(w_low, p.birth_weight_g[0])
    banded_high = np.where(w_high > 0, w_high, p.birth_weight_g[1])
    banded = banded_low + (rng.random(n) * (banded_high - banded_low)).astype(np.int64)
    typical = np.clip(rng.lognormal(np.log(p.newborn_weight_g[0]), p.newborn_weight_g[1], n), *p.birth_weight_g)
    return days, np.where((w_low > 0) | (w_high > 0), banded, typical.astype(np.int64))


def _referrals(p: GenerationParams, rng: np.random.Generator, level: np.ndarray, away: np.ndarray) -> np.ndarray:
    """转诊: up to hospitals (more often out of the county), down to township/primary level; index into REFERRALS."""
    hospital = np.isin(level, list(HOSPITAL_LEVELS))
    u = rng.random(len(level))
    up = hospital & (u < np.where(away, p.referral_up_share_out_of_county, p.referral_up_share))
    down = ~hospital & (u < p.referral_down_share)
    return np.where(up, 1, np.where(down, 2, 0))


def inpatient_chunk(ctx: ClaimContext, rng: np.random.Generator, first: int, n: int) -> pl.DataFrame:
    """Inpatient stays `first`…`first + n − 1` (claim ids `ZY…`)."""
    p, codes, mix = ctx.params, ctx.codes, ctx.case_mix
    adrg = choice(rng, mix.inpatient, n)
    people = _patients(ctx, rng, adrg, p.inpatient_rate_by_age)
    newborn = (people.age == 0) & (codes.newborn_days[adrg] >= 0)
    newborn_days, birth_weight = _newborns(ctx, rng, adrg)
    age_days = np.where(newborn, newborn_days, _infant_days(rng, n))

    away = rng.random(n) < p.out_of_county_share
    care = np.where(codes.surgical[adrg], Care.SURGICAL, Care.MEDICAL)
    institution = ctx.flows.institution(people.county, care, away, rng.random(n))
    level = ctx.organisation.institution_level[institution]
    referral = _referrals(p, rng, level, away)

    admission = (rng.random(n) * _days_in_year(p.year)).astype(np.int64)
    los = np.exp(np.log(mix.los_median[adrg]) + p.los_sigma * rng.standard_normal(n))
    los = np.clip(np.round(los), 1, p.max_los).astype(np.int64)
    modes = np.array([mode.value for mode in p.discharge_modes])
    discharge_mode = modes[choice(rng, np.array(list(p.discharge_modes.values())), n)]

    diagnoses = codes.draw_diagnoses(rng, adrg, choice(rng, np.asarray(p.secondary_diagnoses), n), p.complication_share)
    extra = np.minimum(rng.poisson(p.extra_procedures_mean, n), MAX_EXTRA_PROCEDURES)
    procedures = codes.draw_procedures(rng, adrg, extra)

    expected = mix.cost_median[adrg] * ctx.by_level(p.level_cost_factors)[level]
    expected *= (los / mix.los_median[adrg]) ** p.cost_los_elasticity
    total = to_fen(expected * rng.lognormal(0.0, p.stay_cost_sigma, n), p.min_stay_cost)
    ratio = np.where(away, p.out_of_county_fund_ratio, ctx.by_level(p.fund_ratio)[level])
    return _frame(
        ctx,
        "ZY",
        first,
        people,
        institution,
        {
            "visit_type": pl.repeat(VisitType.INPATIENT.value, n, eager=True),
            "admission_date": _dates(admission, p.year),
            "discharge_date": _dates(admission + los, p.year),
            "los_days": los,
            "age_days": _nullable(age_days, people.age == 0),
            "birth_weight_g": _nullable(birth_weight, newborn),
            "discharge_mode": discharge_mode,
            "diagnoses": diagnoses,
            "procedures": procedures,
            "referral": REFERRALS.gather(referral),
            **split_costs(rng, total, ratio, p),
        },
    )


def outpatient_chunk(ctx: ClaimContext, rng: np.random.Generator, first: int, n: int) -> pl.DataFrame:
    """Outpatient visits `first`…`first + n − 1` (claim ids `MZ…`): no discharge, no stay, few codes, small costs."""
    p, codes = ctx.params, ctx.codes
    adrg = choice(rng, ctx.case_mix.outpatient, n)
    people = _patients(ctx, rng, adrg, p.outpatient_rate_by_age)
    away = rng.random(n) < p.outpatient_out_of_county_share
    institution = ctx.flows.institution(people.county, np.full(n, Care.OUTPATIENT), away, rng.random(n))
    level = ctx.organisation.institution_level[institution]
    visit = (rng.random(n) * _days_in_year(p.year)).astype(np.int64)
    n_secondary = choice(rng, np.asarray(p.outpatient_diagnoses), n)
    diagnoses = codes.draw_diagnoses(rng, adrg, n_secondary, p.complication_share)
    procedures = codes.draw_procedures(rng, adrg, (rng.random(n) < p.outpatient_procedure_share).astype(np.int64))
    expected = p.outpatient_cost_median * ctx.by_level(p.level_cost_factors)[level]
    total = to_fen(expected * rng.lognormal(0.0, p.outpatient_cost_sigma, n), p.min_visit_cost)
    return _frame(
        ctx,
        "MZ",
        first,
        people,
        institution,
        {
            "visit_type": pl.repeat(VisitType.OUTPATIENT.value, n, eager=True),
            "admission_date": _dates(visit, p.year),
            "discharge_date": pl.repeat(None, n, dtype=pl.Date, eager=True),
            "los_days": np.zeros(n, dtype=np.int64),
            "age_days": _nullable(_infant_days(rng, n), people.age == 0),
            "birth_weight_g": pl.repeat(None, n, dtype=pl.Int64, eager=True),
            "discharge_mode": pl.repeat(None, n, dtype=pl.Int64, eager=True),
            "diagnoses": diagnoses,
            "procedures": procedures,
            "referral": REFERRALS.gather(np.zeros(n, dtype=np.int64)),
            **split_costs(rng, total, np.full(n, p.outpatient_fund_ratio), p),
        },
    )
