"""Generation parameters of a synthetic case: every tunable number in one frozen dataclass, with its default."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar

from yibao.models.enums import DischargeMode, Level

SCALES: Mapping[str, int] = MappingProxyType({"county": 100_000, "prefecture": 1_000_000, "province": 10_000_000})
"""Named scales and their inpatient stays per year (DOMAIN.md §10)."""

AGE_BANDS: tuple[int, ...] = tuple(range(0, 95, 5))
"""Lower bounds of the 19 age bands 0–4, 5–9, …, 85–89, 90–95 (the last band is six years wide)."""
MAX_AGE = 95


K = TypeVar("K")
V = TypeVar("V")


def _frozen(mapping: dict[K, V]) -> Mapping[K, V]:
    """A read-only mapping as a dataclass default."""
    return field(default_factory=lambda: MappingProxyType(dict(mapping)))


@dataclass(frozen=True)
class GenerationParams:
    """How a synthetic region and its claim year are drawn. Shares are fractions; money is in 元."""

    year: int = 2025
    """Calendar year of the admissions (入院日期)."""
    chunk_rows: int = 1_000_000
    """Rows per claims Parquet file; files are generated and written one at a time."""

    # --- organisation (机构) ---
    claims_per_county: int = 110_000
    """Inpatient stays per county and year; sets the number of counties (county 1, prefecture 9, province 91)."""
    counties_per_prefecture: int = 10
    """Counties per prefecture (地市); each prefecture has an urban district hosting its tertiary hospitals."""
    alliances_per_county: Mapping[int, float] = _frozen({1: 0.4, 2: 0.35, 3: 0.18, 4: 0.07})
    """Distribution of the number of 医共体 in a county."""
    townships_per_county: tuple[int, int] = (7, 13)
    """Range (inclusive) of township health centres (乡镇卫生院) per county, shared out among its alliances."""
    villages_per_township: tuple[int, int] = (0, 3)
    """Range (inclusive) of village clinics (村卫生室) under each township centre."""
    private_hospital_share: float = 0.6
    """Share of counties with a private hospital (民营医院) outside any alliance."""
    private_secondary_share: float = 0.5
    """Share of those private hospitals that are secondary (the others are primary, 一级)."""
    tertiary_lead_share: float = 0.15
    """Share of lead hospitals (牵头医院) that are tertiary, in regions of more than one county."""
    tertiary_per_prefecture: tuple[int, int] = (3, 5)
    """Range (inclusive) of prefecture-level tertiary hospitals outside alliances, per prefecture."""
    institution_size_sigma: float = 0.4
    """Log-scale spread of institution sizes (their relative attraction of patients)."""

    # --- residents (参保人) ---
    residents_per_stay: float = 7.0
    """Insured residents per inpatient stay and year (住院率 ≈ 1/7)."""
    county_size_sigma: float = 0.35
    """Log-scale spread of county populations."""
    male_share: float = 0.51
    signed_share: float = 0.5
    """Share of residents signed with a family-doctor team (签约率; target ≥ 50%)."""
    population_by_age: tuple[float, ...] = (
        5.7, 6.3, 5.9, 5.2, 5.3, 6.6, 8.8, 6.9, 6.6, 8.2, 8.5, 7.1, 5.2, 5.5, 3.8, 2.3, 1.5, 0.8, 0.3,
    )  # fmt: skip
    """Population weight of each age band (AGE_BANDS), roughly China's 2020 census pyramid."""
    inpatient_rate_by_age: tuple[float, ...] = (
        1.2, 0.4, 0.4, 0.5, 0.6, 0.7, 0.7, 0.7, 0.8, 1.0, 1.2, 1.5, 1.8, 2.2, 2.6, 3.0, 3.4, 3.6, 3.6,
    )  # fmt: skip
    """Relative hospitalisation rate of each age band."""
    outpatient_rate_by_age: tuple[float, ...] = (
        2.0, 1.0, 0.7, 0.6, 0.6, 0.7, 0.8, 0.8, 0.9, 1.0, 1.2, 1.4, 1.7, 2.0, 2.2, 2.3, 2.3, 2.2, 2.0,
    )  # fmt: skip
    """Relative outpatient visit rate of each age band."""

    # --- case mix (病种结构) ---
    medical_weight: float = 3.0
    """Weight of a medical (内科) ADRG relative to a surgical one (weight 1)."""
    adrg_popularity_sigma: float = 1.0
    """Log-scale spread of ADRG frequencies (drawn once per ADRG)."""
    mdc_shares: Mapping[str, float] = _frozen({"MDCA": 0.001, "MDCP": 0.03})
    """Fixed shares of stays for some MDCs (transplant/ventilation, newborns); the others share the rest."""
    mdc_sex: Mapping[str, int] = _frozen({"MDCO": 2})
    """MDCs of one sex in practice although the tables have no `sex_is` for them (妊娠分娩 → female)."""
    mdc_ages: Mapping[str, tuple[int, int]] = _frozen({"MDCO": (18, 44)})
    """Age ranges (years, inclusive) of MDCs the tables do not restrict by age."""
    secondary_diagnoses: tuple[float, ...] = (0.15, 0.2, 0.2, 0.15, 0.12, 0.1, 0.08)
    """Distribution of the number of secondary diagnoses (0–6) of a stay."""
    complication_share: float = 0.2
    """Share of secondary diagnoses drawn from the CC/MCC list (complications.csv)."""
    extra_procedures_mean: float = 0.4
    """Mean number (Poisson, capped at 3) of extra non-OR procedures on a stay."""
    newborn_weight_g: tuple[float, float] = (3200.0, 0.18)
    """Median (g) and log-scale spread of birth weights; sets the frequency of ADRGs by birth-weight band."""
    min_birth_weight_band_share: float = 0.01
    """Floor of a birth-weight band's share of newborns (very low weights are rarer in the lognormal)."""
    birth_weight_g: tuple[int, int] = (500, 5000)
    """Range (g) of birth weights; also the open end of an ADRG's weight band (e.g. PS4 ≥ 2500)."""
    newborn_days_mean: float = 4.0
    """Mean age in days (exponential, within the newborn limit) of a newborn stay."""

    # --- where care is given (就医流向) ---
    out_of_county_share: float = 0.1
    """Share of stays outside the resident's county (县域外就医; target ≤ 10%)."""
    outpatient_out_of_county_share: float = 0.05
    """Share of outpatient visits outside the resident's county."""
    other_prefecture_weight: float = 0.1
    """Attraction of another prefecture's tertiary hospital relative to the own prefecture's."""
    medical_level_weights: Mapping[Level, float] = _frozen(
        {Level.TERTIARY: 8.0, Level.SECONDARY: 6.0, Level.PRIMARY: 1.5, Level.TOWNSHIP: 0.5, Level.VILLAGE: 0.0}
    )
    """Attraction of one institution of each level for a medical stay."""
    surgical_level_weights: Mapping[Level, float] = _frozen(
        {Level.TERTIARY: 10.0, Level.SECONDARY: 6.0, Level.PRIMARY: 1.0, Level.TOWNSHIP: 0.1, Level.VILLAGE: 0.0}
    )
    """Attraction of one institution of each level for a surgical stay."""
    outpatient_level_weights: Mapping[Level, float] = _frozen(
        {Level.TERTIARY: 6.0, Level.SECONDARY: 5.0, Level.PRIMARY: 1.5, Level.TOWNSHIP: 2.5, Level.VILLAGE: 1.0}
    )
    """Attraction of one institution of each level for an outpatient visit."""
    referral_up_share: float = 0.1
    """Share of stays at secondary/tertiary hospitals in the county that were referred up (上转)."""
    referral_up_share_out_of_county: float = 0.3
    """Share of out-of-county stays that were referred up."""
    referral_down_share: float = 0.08
    """Share of stays at township/primary level that were referred down (下转) from a hospital."""

    # --- stays ---
    los_median: float = 7.0
    """Median length of stay (days) over ADRGs; each ADRG's median is drawn around it."""
    adrg_los_sigma: float = 0.3
    """Log-scale spread of ADRG median lengths of stay."""
    los_sigma: float = 0.5
    """Log-scale spread of the length of stay within an ADRG."""
    max_los: int = 180
    discharge_modes: Mapping[DischargeMode, float] = _frozen(
        {
            DischargeMode.ORDERED: 0.9,
            DischargeMode.TRANSFER: 0.03,
            DischargeMode.TO_COMMUNITY: 0.02,
            DischargeMode.AGAINST_ADVICE: 0.03,
            DischargeMode.DEATH: 0.01,
            DischargeMode.OTHER: 0.01,
        }
    )
    """Distribution of the discharge mode (离院方式)."""

    # --- money (费用) ---
    medical_cost_median: float = 6_000.0
    """Median over medical ADRGs of their median cost (元) at a secondary hospital."""
    surgical_cost_median: float = 18_000.0
    """Median over surgical ADRGs of their median cost (元) at a secondary hospital."""
    adrg_cost_sigma: float = 0.6
    """Log-scale spread of ADRG median costs."""
    stay_cost_sigma: float = 0.35
    """Log-scale spread of a stay's cost around its ADRG, level and length-of-stay expectation."""
    cost_los_elasticity: float = 0.6
    """Cost grows as (LOS / ADRG median LOS) to this power."""
    level_cost_factors: Mapping[Level, float] = _frozen(
        {Level.TERTIARY: 1.6, Level.SECONDARY: 1.0, Level.PRIMARY: 0.8, Level.TOWNSHIP: 0.55, Level.VILLAGE: 0.4}
    )
    """Cost of the same case at each level relative to a secondary hospital."""
    outpatient_cost_median: float = 150.0
    """Median cost (元) of an outpatient visit at a secondary hospital."""
    outpatient_cost_sigma: float = 0.8
    """Log-scale spread of an outpatient visit's cost."""
    min_stay_cost: float = 100.0
    """Floor of a stay's total cost (元)."""
    min_visit_cost: float = 1.0
    """Floor of a visit's total cost (元)."""
    self_pay_share: tuple[float, float] = (2.0, 14.0)
    """Beta(a, b) of the self-paid share (自费) of the total cost."""
    class_a_share: tuple[float, float] = (6.0, 3.0)
    """Beta(a, b) of the class-A (甲类) share of the listed cost; class B (乙类) takes the rest."""
    class_b_first_pay: float = 0.1
    """乙类先行自付: share of class-B cost the patient pays before the fund shares."""
    fund_ratio: Mapping[Level, float] = _frozen(
        {Level.TERTIARY: 0.7, Level.SECONDARY: 0.8, Level.PRIMARY: 0.85, Level.TOWNSHIP: 0.88, Level.VILLAGE: 0.9}
    )
    """Inpatient reimbursement ratio (报销比例) by level, inside the county."""
    out_of_county_fund_ratio: float = 0.6
    """Inpatient reimbursement ratio outside the county."""
    outpatient_fund_ratio: float = 0.5
    """Outpatient (门诊统筹) reimbursement ratio."""

    # --- outpatient visits (门诊) ---
    outpatient_per_stay: float = 10.0
    """Outpatient visits per inpatient stay."""
    outpatient_diagnoses: tuple[float, ...] = (0.5, 0.35, 0.15)
    """Distribution of the number of diagnoses (1–3) of a visit."""
    outpatient_procedure_share: float = 0.1
    """Share of visits with one (non-OR) procedure."""

    def __post_init__(self) -> None:
        bands = len(AGE_BANDS)
        for name in ("population_by_age", "inpatient_rate_by_age", "outpatient_rate_by_age"):
            if len(getattr(self, name)) != bands:
                raise ValueError(f"{name} needs one value per age band ({bands})")
        if self.chunk_rows < 1:
            raise ValueError("chunk_rows must be positive")


def inpatient_claims(scale: str | int) -> int:
    """The number of inpatient stays of a named scale, or the number given."""
    if isinstance(scale, str):
        if scale not in SCALES:
            raise ValueError(f"unknown scale {scale!r}; use one of {', '.join(SCALES)} or a number of claims")
        return SCALES[scale]
    if scale < 1:
        raise ValueError("the number of inpatient claims must be positive")
    return scale
