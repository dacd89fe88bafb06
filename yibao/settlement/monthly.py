"""A month's pre-settlement (月度预结算) as a run of its own: the stays discharged up to and including the month,
settled, and that month's rows (docs/settlement.md, *A month's run*).

Month M's rows depend only on month M's stays and its share of the budget, so they come out the same from the
stays through M as from the whole year — unless a later stay settles one of month M's again: a readmission (再入院)
halves the earlier stay once the later one is in, and a special review (特病单议) added later replaces its points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import polars as pl

from yibao.errors import InputError
from yibao.settlement.cases import ROW
from yibao.settlement.clearing import month_budgets
from yibao.settlement.settle import Settlement

if TYPE_CHECKING:
    from yibao.alliance.settle import YearSettlement

MONTH_TEXT = re.compile(r"(\d{4})-(\d{1,2})")
MONEY = ("gross_fen", "advance_fen", "deposit_fen", "paid_fen")
"""The month rows' money the region row sums, for the month and so far."""
Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)


def parse_month(text: str, year: int) -> int:
    """The month (1–12) of `YYYY-MM` in the policy's year; anything else is an InputError naming --month."""
    found = MONTH_TEXT.fullmatch(text.strip())
    if found is None or not 1 <= int(found[2]) <= 12:
        raise InputError("--month", f"{text!r} is not a month: write YYYY-MM, e.g. {year}-03")
    if int(found[1]) != year:
        raise InputError("--month", f"{text} is outside the policy's year {year}")
    return int(found[2])


def month_period(year: int, month: int) -> str:
    """A month as runs name it: `2025-03`."""
    return f"{year}-{month:02d}"


def through_month(claims: Frame, date: pl.Expr, year: int, month: int) -> Frame:
    """The claims without those dated (`date`) in `year` after `month`, each numbered by its source row first (so
    that the rows set aside name the line of the file). Claims of other years and without a date stay: the
    settlement sets them aside with their reason, as the year's run does."""
    numbered = claims if ROW in claims.collect_schema() else claims.with_row_index(ROW, offset=1)
    later = ((date.dt.year() == year) & (date.dt.month() > month)).fill_null(False)
    return numbered.filter(~later)


@dataclass(frozen=True, eq=False)
class MonthSettlement:
    """月度预结算 of one month, from the claims discharged (visits made) through it."""

    month: int
    points: Settlement
    """The point method over the stays through the month (its `months` rows 1..month as settled now)."""
    months: pl.DataFrame
    """The month's rows of `points.months`: per institution, cases, points, the point value, gross, patients'
    share, advance, deposit and paid (fen)."""
    region: pl.DataFrame
    """One row: the month's totals and the totals so far (`REGION_COLUMNS`)."""
    advances: pl.DataFrame
    """alliance_id, month, advance_fen: each alliance's advance of the month (none without alliance sections)."""
    alliances: YearSettlement | None = None
    """The alliance year over the claims through the month, when the policy has the alliance sections."""

    @property
    def period(self) -> str:
        return month_period(self.points.policy.year, self.month)

    def tables(self) -> dict[str, pl.DataFrame]:
        """What a month's run writes, by file stem: the month's rows, its region row, the alliances' advances of the
        month (with alliances), then the stays' points and the claims set aside so far."""
        tables = {"months": self.months, "month_region": self.region}
        if self.alliances is not None:
            tables["advances"] = self.advances
        excluded = self.points.excluded if self.alliances is None else self.alliances.excluded
        return {**tables, "cases": self.points.cases, "excluded": excluded}


REGION_COLUMNS = (
    "year", "month", "cases", "excluded", "budget_fen", "patient_share_fen", "points", "point_value", *MONEY,
    "cases_to_date", "budget_to_date_fen", *(f"{c.removesuffix('_fen')}_to_date_fen" for c in MONEY),
)  # fmt: skip
"""The month's region row: counts, the month's budget share and point value, money of the month and so far."""


def month_region(points: Settlement, month: int) -> pl.DataFrame:
    """The region row of month `month` of a settlement (`REGION_COLUMNS`): stays set aside are those read so far."""
    policy = points.policy
    budgets = month_budgets(policy)
    rows = points.months.filter(pl.col("month") == month)
    so_far = points.months.filter(pl.col("month") <= month)
    values = rows["point_value"].drop_nulls()
    row = {
        "year": policy.year, "month": month, "cases": int(rows["cases"].sum()), "excluded": points.excluded.height,
        "budget_fen": budgets[month - 1], "patient_share_fen": int(rows["patient_share_fen"].sum()),
        "points": rows["points"].sum(), "point_value": values[0] if values.len() else None,
        **{c: int(rows[c].sum()) for c in MONEY}, "cases_to_date": int(so_far["cases"].sum()),
        "budget_to_date_fen": sum(budgets[:month]),
        **{f"{c.removesuffix('_fen')}_to_date_fen": int(so_far[c].sum()) for c in MONEY},
    }  # fmt: skip
    schema = dict.fromkeys(REGION_COLUMNS, pl.Int64) | {
        "points": points.months.schema["points"],
        "point_value": points.months.schema["point_value"],
    }
    return pl.DataFrame([row], schema=schema)


def month_of(year: Settlement | YearSettlement, month: int) -> MonthSettlement:
    """Month `month`'s pre-settlement from a settlement of the claims through it (`load_case(…, month=…)` or
    `load_year_case(…, month=…)`, then `settle` or `settle_year`)."""
    alliances = None if isinstance(year, Settlement) else year
    points = year if isinstance(year, Settlement) else year.points
    advances = (
        pl.DataFrame(schema={"alliance_id": pl.String, "month": pl.Int8, "advance_fen": pl.Int64})
        if alliances is None
        else alliances.advances.filter(pl.col("month") == month)
    )
    return MonthSettlement(
        month=month,
        points=points,
        months=points.months.filter(pl.col("month") == month),
        region=month_region(points, month),
        advances=advances,
        alliances=alliances,
    )
