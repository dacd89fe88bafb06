"""One year of an alliance settlement (docs/alliance.md): the point method for the stays, the fund's payment of every
claim, the charges to each alliance's package, budget, surplus or overspend, and the allocation to members."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import polars as pl

from yibao.alliance.allocation import Member, allocate, weight
from yibao.alliance.budget import Budget, BudgetBasis, advance_total, advances, budget
from yibao.alliance.claims import INPATIENT, mark, typed_claims
from yibao.alliance.outcome import outcome
from yibao.alliance.policy import AllianceBudget, Reimbursement
from yibao.alliance.reimbursement import OUT_OF_COUNTY, fund_payments
from yibao.alliance.source import BATCH_CLAIMS, Batch, YearSource, in_batch
from yibao.alliance.tables import alliance_facts, alliances_table, institutions_table, residents_table
from yibao.errors import InputError
from yibao.io.write import write_frame
from yibao.models.enums import Level, VisitType
from yibao.settlement.assessment import alliance_indicators, covered_residents, score
from yibao.settlement.cases import (
    CASE_COLUMNS,
    OPTIONAL_COLUMNS,
    fen,
    prepare_cases,
)
from yibao.settlement.money import largest_remainder, round_half_up, scaled, yuan_to_fen
from yibao.settlement.policy import Policy
from yibao.settlement.settle import Settlement, patient_share_fen, settle_points

KEPT_COLUMNS = (
    "claim_id", "person_key", "institution_id", "visit_type", "service_date", "class_a_cost", "class_b_cost",
    "total_cost", "referral", "residence_county", "level", "alliance_id", "county",
)  # fmt: skip
"""What the alliance settlement keeps of each charged claim (the point method has taken its stays' columns)."""
ELSEWHERE = "参保地与参保人员登记不符 residents table lists the patient in another county"
"""Reason a claim is set aside when its residence county is not the one the residents table gives its patient."""
STATEMENT_COLUMNS = (
    "alliance_id", "name", "county", "residents", "signed_residents", "budget_gross_fen", "risk_reserve_fen",
    "budget_fen", "inside_drg_fen", "inside_fee_for_service_fen", "capitation_fen", "inside_fen", "county_fen",
    "out_of_county_fen", "actual_fen", "balance_fen", "score", "retention_ratio", "retained_fen", "returned_fen",
    "overspend_fen", "fund_share_fen", "borne_fen", "package_fen", "advance_fen", "clearing_fen",
)  # fmt: skip
"""The alliance statement (医共体年度清算单), money in fen."""


@dataclass(frozen=True, eq=False)
class YearCase:
    """Everything one year's alliance settlement reads: the policy and the case folder's tables."""

    policy: Policy
    claims: pl.DataFrame | pl.LazyFrame
    """The year's claims; a LazyFrame (files) is read in batches of residence counties."""
    institutions: pl.DataFrame
    """institution_id, level, alliance_id (null: outside any alliance), county."""
    alliances: pl.DataFrame
    """alliance_id, name, county, and optionally prior_spending, prior_residents, prior_score, unreasonable."""
    residents: pl.DataFrame | pl.LazyFrame
    """person_key, residence_county, signed_family_doctor."""
    prior_indicators: pl.DataFrame | None = None
    """Last year's `indicators`, for the growth indicators."""

    def with_policy(self, policy: Policy) -> YearCase:
        """The same year under another policy (a what-if)."""
        return replace(self, policy=policy)


@dataclass(frozen=True, eq=False)
class YearSettlement:
    """年度清算 of a region with its alliances: the point-method settlement and the alliance frames."""

    points: Settlement
    alliances: pl.DataFrame
    members: pl.DataFrame
    direct: pl.DataFrame
    charges: pl.DataFrame
    claims: pl.LazyFrame
    """One row per charged claim (claim_id, institution, covering alliance, place, tier, method, eligible,
    deductible and fund payment in fen): in memory, or in the Parquet files of `settle_year(claims_dir=…)`."""
    advances: pl.DataFrame
    indicators: pl.DataFrame
    excluded: pl.DataFrame
    region: pl.DataFrame


def _terms(policy: Policy) -> tuple[AllianceBudget, Reimbursement]:
    if policy.alliance_budget is None or policy.reimbursement is None:
        raise InputError("policy", "an alliance settlement needs the [alliance_budget] and [reimbursement] sections")
    return policy.alliance_budget, policy.reimbursement


def _point_settled(stays: pl.DataFrame) -> pl.DataFrame:
    """The stays the point method settles: charged inpatient claims at institutions of the table, in its columns."""
    columns = [*CASE_COLUMNS, *(c for c in OPTIONAL_COLUMNS if c in stays.columns), "residence_county"]
    settled = stays["reason"].is_null() & stays["level"].is_not_null()
    return stays.select(columns).filter(settled)


def _marked(claims: pl.DataFrame, year: int, duplicates: pl.Series, institutions: pl.DataFrame) -> pl.DataFrame:
    """Typed claims with their reason to be set aside (null: charged) and their institution's level and alliance."""
    return mark(claims, year, duplicates).join(institutions, on="institution_id", how="left", maintain_order="left")


def _registered_elsewhere(stays: pl.DataFrame, source: YearSource) -> pl.DataFrame:
    """claim_id and reason of the charged stays whose patient the residents table lists in another county: suspects
    by a 64-bit hash of the person key (a join on integers), confirmed on the key as text."""
    charged = stays.select("claim_id", "person_key", "residence_county", hash=pl.col("person_key").hash(7))
    if stays["reason"].null_count() < stays.height:  # some stays are set aside already
        charged = charged.filter(stays["reason"].is_null())
    listed = source.counties_by_hash(charged["hash"].unique())
    suspects = charged.join(listed, on="hash").filter(pl.col("listed").ne_missing(pl.col("residence_county")))
    confirmed = suspects.drop("listed").join(
        source.listed(suspects["person_key"].unique()).rename({"residence_county": "listed"}), on="person_key"
    )
    elsewhere = confirmed.filter(pl.col("listed").ne_missing(pl.col("residence_county")))
    return elsewhere.select("claim_id", reason=pl.lit(ELSEWHERE))


@dataclass(frozen=True, eq=False)
class _Region:
    """What every batch needs of the whole region: the duplicate ids, the stays set aside and the stays' points."""

    duplicates: pl.Series
    set_aside: pl.DataFrame
    """claim_id, reason: stays the point method or the residents table set aside."""
    per_case: pl.DataFrame
    """claim_id, units, share and residence_county of every point-settled stay."""


@dataclass(frozen=True, eq=False)
class _Batch:
    """One batch's share of the year: every frame here is summed or stacked over the batches."""

    charged: int
    excluded: pl.DataFrame
    claims: pl.DataFrame
    cells: pl.DataFrame
    other: pl.DataFrame
    measured: pl.DataFrame
    counts: pl.DataFrame
    at_home: pl.DataFrame


def _across_region(source: YearSource, institutions: pl.DataFrame, policy: Policy) -> tuple[_Region, Settlement]:
    """What spans the region, read over every claim: duplicate ids, and the stays settled by the point method."""
    source.check_residents()
    source.check_claims()
    duplicates = source.duplicate_claim_ids()
    stays = _marked(typed_claims(source.stays()), policy.year, duplicates, institutions)
    elsewhere = _registered_elsewhere(stays, source)
    if elsewhere.height:
        stays = stays.join(elsewhere, on="claim_id", how="anti")
    settled = _point_settled(stays)
    del stays  # the point method's own copy is all that is needed from here
    cases = prepare_cases(settled, institutions.select("institution_id", "level", "alliance_id"), policy.year)
    counties = settled.select("claim_id", "residence_county")
    del settled
    points, core = settle_points(cases, policy)
    per_case = pl.DataFrame(
        {"claim_id": cases.claims["claim_id"], "units": core.units, "share": patient_share_fen(cases, policy)}
    )
    region = _Region(
        duplicates,
        pl.concat([elsewhere, cases.excluded.select("claim_id", "reason")]),
        per_case.join(counties, on="claim_id", how="left", maintain_order="left"),
    )
    return region, points


def settle_year(
    case: YearCase, batch_claims: int = BATCH_CLAIMS, claims_dir: Path | str | None = None
) -> YearSettlement:
    """Settle a region's year: points, claim payments, alliance packages and members' money.

    Claims and residents given as frames are settled at once; given as LazyFrames (files), they are read in
    batches of residence counties of about `batch_claims` claims (docs/alliance.md, *Large regions*). With
    `claims_dir`, each batch's per-claim results are written there (`claims-NNNNN.parquet`, source order within a
    batch; an earlier run's files there are removed) instead of being held in memory."""
    policy = case.policy
    budget_terms, _ = _terms(policy)
    institutions = institutions_table(case.institutions)
    alliances = alliances_table(case.alliances, institutions)
    source = YearSource.of(case.claims, case.residents)
    region, points = _across_region(source, institutions, policy)
    if claims_dir is not None:
        for stale in Path(claims_dir).glob("claims-*.parquet"):  # an earlier run's
            stale.unlink()
    parts: list[_Batch] = []
    batches = source.batches(alliances["county"], batch_claims)
    with source.batch_claims(batches) as claims_of:
        for number, batch in enumerate(batches):
            claims = claims_of(number)
            part = _settle_batch(source, batch, claims, region, institutions, alliances, case.prior_indicators, policy)
            if claims_dir is not None:
                write_frame(part.claims.sort("row").drop("row"), Path(claims_dir) / f"claims-{number:05d}.parquet")
                part = replace(part, claims=part.claims.clear())
            parts.append(part)
    drg = _drg_charges(pl.concat([p.cells for p in parts]), points)
    other = pl.concat([p.other for p in parts]).group_by("alliance_id", "institution_id", "place", "method").sum()
    charges = pl.concat([drg.select(other.columns), other.cast(drg.select(other.columns).schema)]).sort(
        "alliance_id", "institution_id", "place", "method", nulls_last=True
    )
    measured = pl.concat([p.measured for p in parts], how="vertical_relaxed")
    assessed = measured.join(score(measured, policy.assessment), on="alliance_id", maintain_order="left")
    assessed = alliances.select("alliance_id").join(assessed, on="alliance_id", maintain_order="left")
    statement = _statement(alliances, pl.concat([p.counts for p in parts]), charges, assessed, policy)
    at_home = pl.concat([p.at_home for p in parts]).group_by("institution_id").sum()
    excluded = pl.concat([p.excluded for p in parts]).sort("row")
    charged = sum(p.charged for p in parts)
    return YearSettlement(
        points=points,
        alliances=statement.select(STATEMENT_COLUMNS),
        members=_members(statement, institutions, at_home, drg, policy),
        direct=_direct(institutions, charges),
        charges=charges.select("alliance_id", "institution_id", "place", "method", "claims", "amount_fen"),
        claims=(
            pl.concat([p.claims for p in parts]).sort("row").drop("row").lazy()
            if claims_dir is None
            else pl.scan_parquet(Path(claims_dir) / "claims-*.parquet")
        ),
        advances=_advances(statement, budget_terms),
        indicators=assessed,
        excluded=excluded,
        region=_region(statement, charges, excluded, charged),
    )


def _settle_batch(
    source: YearSource,
    batch: Batch,
    claims: pl.DataFrame,
    region: _Region,
    institutions: pl.DataFrame,
    alliances: pl.DataFrame,
    prior_indicators: pl.DataFrame | None,
    policy: Policy,
) -> _Batch:
    """Coverage, places, claim payments, charges and indicators of one batch of residence counties (`claims`: theirs,
    typed)."""
    _, reimbursement = _terms(policy)
    marked = _marked(claims, policy.year, region.duplicates, institutions)
    del claims
    excluded = marked.filter(pl.col("reason").is_not_null()).select("claim_id", "row", "reason")
    charged = marked.select("row", *KEPT_COLUMNS).filter(marked["reason"].is_null())
    del marked
    # Stays set aside for the whole region are set aside here too, with their reason.
    set_aside = charged.join(region.set_aside, on="claim_id")
    kept = charged.filter(~pl.col("claim_id").is_in(set_aside["claim_id"].implode())) if set_aside.height else charged
    del charged

    # One join on the text person key; from here on a person is an integer (the resident's line).
    residents = residents_table(source.residents_of(batch)).with_row_index("person")
    kept = kept.join(
        residents.select("person_key", "person", listed="residence_county"), on="person_key", how="left",
        maintain_order="left",
    )  # fmt: skip
    elsewhere = pl.col("listed").ne_missing(pl.col("residence_county")) & pl.col("person").is_not_null()
    if not source.whole:  # listed in a county of another batch
        unlisted = source.listed(kept.filter(pl.col("person").is_null())["person_key"].unique())["person_key"]
        elsewhere |= pl.col("person").is_null() & pl.col("person_key").is_in(unlisted.implode())
    moved = kept.filter(elsewhere).select("claim_id", "row", reason=pl.lit(ELSEWHERE))
    kept = kept.filter(~elsewhere).drop("listed")
    excluded = pl.concat([excluded, set_aside.select("claim_id", "row", "reason"), moved])

    batch_alliances = alliances.filter(in_batch(pl.col("county"), batch))
    alliance = pl.col("alliance_id").cast(pl.Enum(alliances["alliance_id"].drop_nulls().sort()))  # ints in text order
    covered = covered_residents(
        residents.select("residence_county", person_key="person", key="person_key"),
        kept.filter(pl.col("person").is_not_null()).select(alliance, person_key="person"),
        batch_alliances.with_columns(alliance),
        order="key",
    ).select(person="person_key", covered_by=pl.col("alliance_id").cast(pl.String))
    people = _people(covered, residents)
    kept = _placed(kept, people, policy)
    payments = fund_payments(
        kept.select(
            "person_key", "visit_type", "service_date", "claim_id", "tier",
            class_a_fen=fen("class_a_cost"), class_b_fen=fen("class_b_cost"),
        ),
        reimbursement,
    )  # fmt: skip
    kept = pl.concat([kept, payments], how="horizontal")
    stays = region.per_case if source.whole else region.per_case.filter(in_batch(pl.col("residence_county"), batch))
    point_settled = kept.filter(pl.col("method") == "drg").select("claim_id", "institution_id", "alliance_id", "place")
    cells = (
        stays.join(point_settled, on="claim_id")
        .group_by("institution_id", "alliance_id", "place")
        .agg(claims=pl.len(), units=pl.col("units").sum(), share=pl.col("share").sum())
    )
    other = (
        kept.filter(pl.col("method") != "drg")
        .with_columns(amount=pl.when(pl.col("method") == "fee_for_service").then("fund_fen").otherwise(0))
        .group_by("alliance_id", "institution_id", "place", "method")
        .agg(claims=pl.len(), amount_fen=pl.col("amount").sum())
    )
    measured = alliance_indicators(
        kept.filter(pl.col("alliance_id").is_not_null()).select(
            "alliance_id", "county", "level", "residence_county", "visit_type", "total_cost", "referral",
            person_key="person",
        ),
        people.filter(pl.col("covered_by").is_not_null()).select(
            alliance_id="covered_by", signed_family_doctor=pl.col("signed").fill_null(False)
        ),
        batch_alliances.select("alliance_id", "county"),
        prior_indicators,
    )  # fmt: skip
    counts = (
        people.filter(pl.col("covered_by").is_not_null())
        .group_by("covered_by")
        .agg(residents=pl.len(), signed_residents=pl.col("signed").fill_null(False).sum())
    )
    at_home = (
        kept.filter(pl.col("place") == "inside")
        .group_by("institution_id")
        .agg(
            visits=(pl.col("visit_type") == VisitType.OUTPATIENT.value).sum().cast(pl.Int64),
            fee_for_service_fen=pl.col("fund_fen").filter(pl.col("method") == "fee_for_service").sum(),
        )
    )
    claims = kept.select(
        "row", "claim_id", "institution_id", "visit_type", "alliance_id", "place", "tier", "method", "eligible_fen",
        "deductible_fen", "fund_fen",
    )  # fmt: skip
    return _Batch(kept.height, excluded, claims, cells, other, measured, counts, at_home)


def _drg_charges(cells: pl.DataFrame, points: Settlement) -> pl.DataFrame:
    """Each institution's gross split over (alliance, place) by the stays' points; less their patients' share."""
    cells = (
        cells.group_by("institution_id", "alliance_id", "place")
        .agg(pl.col("claims", "units", "share").sum())
        .sort("institution_id", "alliance_id", "place", nulls_last=True)
    )
    gross = dict(points.institutions.select("institution_id", "gross_fen").iter_rows())
    pieces: list[int] = []
    for institution, group in cells.group_by("institution_id", maintain_order=True):
        pieces.extend(largest_remainder(gross[institution[0]], group["units"].to_list()))
    return cells.with_columns(method=pl.lit("drg"), amount_fen=pl.Series(pieces, dtype=pl.Int64) - pl.col("share"))


def _people(covered: pl.DataFrame, residents: pl.DataFrame) -> pl.DataFrame:
    """Every resident in person order (a person is its line): the covering alliance (covered_by, null: none) and,
    when covered, the signed flag (签约)."""
    none = pl.repeat(None, residents.height, dtype=covered.schema["covered_by"], eager=True)
    covered_by = none.scatter(covered["person"], covered["covered_by"]).alias("covered_by")
    return residents.select("person", covered_by, signed=pl.when(covered_by.is_not_null()).then("signed"))


def _placed(kept: pl.DataFrame, people: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """Each claim's covering alliance, place (inside / county / out_of_county), tier and payment method (`people`:
    `_people`, read at each claim's person line)."""
    in_county = pl.col("county").is_not_null() & (pl.col("county") == pl.col("residence_county"))
    capitation = policy.capitation
    capitated = pl.lit(False)
    if capitation is not None:
        capitated = (
            (pl.col("visit_type") == VisitType.OUTPATIENT.value)
            & pl.col("signed").fill_null(False)
            & (pl.col("place") == "inside")
            & pl.col("level").is_in([level.value for level in capitation.levels])
        )
    point_settled = (pl.col("visit_type") == INPATIENT) & pl.col("level").is_not_null()
    return (
        kept.rename({"alliance_id": "member_of"})
        .with_columns(people.select(pl.col("covered_by", "signed").gather(kept["person"])).get_columns())
        .with_columns(
            alliance_id="covered_by",
            place=pl.when(pl.col("member_of").is_not_null() & (pl.col("member_of") == pl.col("covered_by")))
            .then(pl.lit("inside"))
            .when(in_county)
            .then(pl.lit("county"))
            .otherwise(pl.lit(OUT_OF_COUNTY)),
            tier=pl.when(in_county).then("level").otherwise(pl.lit(OUT_OF_COUNTY)),
        )
        .with_columns(
            method=pl.when(point_settled)
            .then(pl.lit("drg"))
            .when(capitated)
            .then(pl.lit("capitation"))
            .otherwise(pl.lit("fee_for_service"))
        )
    )


def _statement(
    alliances: pl.DataFrame,
    counts: pl.DataFrame,
    charges: pl.DataFrame,
    assessed: pl.DataFrame,
    policy: Policy,
) -> pl.DataFrame:
    """One row per alliance: budget, spending by place, outcome, package, advances and clearing (fen)."""
    terms = policy.alliance_budget
    assert terms is not None
    inside = pl.col("place") == "inside"
    spent = charges.group_by("alliance_id").agg(
        inside_drg_fen=pl.col("amount_fen").filter(inside & (pl.col("method") == "drg")).sum(),
        inside_fee_for_service_fen=pl.col("amount_fen").filter(inside & (pl.col("method") == "fee_for_service")).sum(),
        county_fen=pl.col("amount_fen").filter(pl.col("place") == "county").sum(),
        out_of_county_fen=pl.col("amount_fen").filter(pl.col("place") == OUT_OF_COUNTY).sum(),
    )
    per_signed = 0 if policy.capitation is None else yuan_to_fen(policy.capitation.per_signed_resident)
    frame = (
        alliances.join(counts, left_on="alliance_id", right_on="covered_by", how="left", maintain_order="left")
        .join(spent, on="alliance_id", how="left", maintain_order="left")
        .join(assessed.select("alliance_id", "score", "retention_ratio"), on="alliance_id", maintain_order="left")
        .with_columns(
            pl.col(
                "residents",
                "signed_residents",
                "inside_drg_fen",
                "inside_fee_for_service_fen",
                "county_fen",
                "out_of_county_fen",
            )
            .fill_null(0)
            .cast(pl.Int64)
        )
        .with_columns(capitation_fen=pl.col("signed_residents") * per_signed)
        .with_columns(
            inside_fen=pl.col("inside_drg_fen") + pl.col("inside_fee_for_service_fen") + pl.col("capitation_fen")
        )
        .with_columns(actual_fen=pl.col("inside_fen") + pl.col("county_fen") + pl.col("out_of_county_fen"))
    )
    money = pl.DataFrame([_alliance_money(row, terms, policy) for row in frame.iter_rows(named=True)])
    return pl.concat([frame, money.cast(pl.Int64)], how="horizontal")


def _alliance_money(row: dict, terms: AllianceBudget, policy: Policy) -> dict[str, int]:
    """Budget, outcome, package, advances and clearing of one statement row."""
    basis = BudgetBasis(row["residents"], *alliance_facts(row))
    try:
        planned: Budget = budget(basis, terms)
    except ValueError as error:
        raise InputError("alliances", str(error), field=row["alliance_id"]) from None
    result = outcome(
        planned.budget_fen, row["actual_fen"], row["retention_ratio"], row["score"], bool(row["unreasonable"]),
        policy.overspend,
    )  # fmt: skip
    package = row["inside_fen"] + result.retained_fen - result.borne_fen
    advance = advance_total(planned.budget_fen, terms)
    return {
        "budget_gross_fen": planned.gross_fen, "risk_reserve_fen": planned.risk_reserve_fen,
        "budget_fen": planned.budget_fen, "balance_fen": result.balance_fen, "retained_fen": result.retained_fen,
        "returned_fen": result.returned_fen, "overspend_fen": result.overspend_fen,
        "fund_share_fen": result.fund_share_fen, "borne_fen": result.borne_fen, "package_fen": package,
        "advance_fen": advance, "clearing_fen": package - advance,
    }  # fmt: skip


def _members(
    statement: pl.DataFrame,
    institutions: pl.DataFrame,
    at_home: pl.DataFrame,
    drg: pl.DataFrame,
    policy: Policy,
) -> pl.DataFrame:
    """Work points, weight and allocation of every member; the charges its care of its alliance's residents made."""
    decimals = policy.base_points.decimals
    terms = policy.allocation
    inside = (
        drg.filter(pl.col("place") == "inside")
        .group_by("institution_id")
        .agg(units=pl.col("units").sum(), drg_fen=pl.col("amount_fen").sum())
    )
    members = (
        institutions.filter(pl.col("alliance_id").is_not_null())
        .join(inside, on="institution_id", how="left", maintain_order="left")
        .join(at_home, on="institution_id", how="left", maintain_order="left")
        .with_columns(pl.col("units", "drg_fen", "visits", "fee_for_service_fen").fill_null(0).cast(pl.Int64))
    )
    package = dict(statement.select("alliance_id", "package_fen").iter_rows())
    rows = []
    for (alliance,), group in members.group_by("alliance_id", maintain_order=True):
        people = [
            Member(r["institution_id"], Level(r["level"]), _work_points(r, terms.visit_points, decimals))
            for r in group.iter_rows(named=True)
        ]
        try:
            shares = allocate(package[alliance], people, terms)
        except ValueError as error:
            raise InputError("policy", str(error), field="allocation") from None
        rows.extend(
            {"institution_id": m.institution_id, "work_points": _decimal(m.work_points, decimals),
             "weight": _decimal(weight(m, terms), decimals), "allocation_fen": share}
            for m, share in zip(people, shares, strict=True)
        )  # fmt: skip
    money = pl.DataFrame(
        rows,
        schema={"institution_id": pl.String, "work_points": pl.Decimal(38, decimals),
                "weight": pl.Decimal(38, decimals), "allocation_fen": pl.Int64},
    )  # fmt: skip
    return members.join(money, on="institution_id", maintain_order="left").select(
        "institution_id", "alliance_id", "level", "work_points", "weight", "allocation_fen", "drg_fen",
        "fee_for_service_fen",
    )  # fmt: skip


def _work_points(row: dict, visit_points: dict[Level, Decimal], decimals: int) -> Fraction:
    """工作量点数: case points of its alliance's residents' stays + outpatient visits × the level's visit points."""
    per_visit = scaled(visit_points.get(Level(row["level"]), Decimal(0)), decimals)
    return Fraction(row["units"] + row["visits"] * per_visit, 10**decimals)


def _decimal(value: Fraction, decimals: int) -> Decimal:
    """An exact fraction shown with `decimals` places (half-up)."""
    return Decimal(round_half_up(value * 10**decimals)).scaleb(-decimals)


def _direct(institutions: pl.DataFrame, charges: pl.DataFrame) -> pl.DataFrame:
    """Institutions outside any alliance: the fund's payments for their claims (直接结算)."""
    paid = charges.group_by("institution_id").agg(
        claims=pl.col("claims").sum(),
        drg_fen=pl.col("amount_fen").filter(pl.col("method") == "drg").sum(),
        fee_for_service_fen=pl.col("amount_fen").filter(pl.col("method") == "fee_for_service").sum(),
    )
    return (
        institutions.filter(pl.col("alliance_id").is_null())
        .join(paid, on="institution_id", how="left", maintain_order="left")
        .with_columns(pl.col("claims", "drg_fen", "fee_for_service_fen").fill_null(0).cast(pl.Int64))
        .select("institution_id", "level", "county", "claims", "drg_fen", "fee_for_service_fen")
    )


def _advances(statement: pl.DataFrame, terms: AllianceBudget) -> pl.DataFrame:
    rows = [
        (alliance, month, amount)
        for alliance, budget_fen in statement.select("alliance_id", "budget_fen").iter_rows()
        for month, amount in enumerate(advances(budget_fen, terms), start=1)
    ]
    return pl.DataFrame(
        rows, schema={"alliance_id": pl.String, "month": pl.Int8, "advance_fen": pl.Int64}, orient="row"
    )


def _region(statement: pl.DataFrame, charges: pl.DataFrame, excluded: pl.DataFrame, charged: int) -> pl.DataFrame:
    """One row of totals: claims read, charged and set aside; budgets, spending and the fund's outlay."""
    totals = ("budget_fen", "risk_reserve_fen", "actual_fen", "retained_fen", "returned_fen", "fund_share_fen",
              "borne_fen", "package_fen")  # fmt: skip
    sums = {c: int(statement[c].sum()) for c in totals}
    uncovered = int(charges.filter(pl.col("alliance_id").is_null())["amount_fen"].sum())
    return pl.DataFrame(
        {"claims_read": [charged + excluded.height], "claims_charged": [charged],
         "claims_excluded": [excluded.height], "alliances": [statement.height],
         **{k: [v] for k, v in sums.items()}, "uncovered_fen": [uncovered]}
    )  # fmt: skip
