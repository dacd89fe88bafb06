"""总额预算 of each alliance and its monthly advances (docs/alliance.md, *The budget*)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from yibao.alliance.policy import AllianceBudget
from yibao.settlement.money import fraction, integer_weights, largest_remainder, round_half_up, yuan_to_fen


@dataclass(frozen=True)
class BudgetBasis:
    """What one alliance's budget is computed from: this year's covered residents and last year's facts."""

    residents: int
    prior_spending: Decimal | None = None
    """元: last year's actual spending charged to the alliance."""
    prior_residents: int | None = None
    prior_score: Decimal | None = None


@dataclass(frozen=True)
class Budget:
    """gross (rounded once), the risk reserve kept by the fund (风险调剂金), and the budget: gross − reserve (fen)."""

    gross_fen: int
    risk_reserve_fen: int
    budget_fen: int


def budget(basis: BudgetBasis, terms: AllianceBudget) -> Budget:
    """One alliance's budget. A basis missing what the method needs is a ValueError naming it."""
    if terms.method == "per_capita":
        assert terms.per_capita is not None  # the model requires it
        gross = basis.residents * yuan_to_fen(terms.per_capita)
    else:
        if basis.prior_spending is None:
            raise ValueError('method "prior" needs prior_spending')
        amount = Fraction(yuan_to_fen(basis.prior_spending)) * (1 + fraction(terms.growth))
        if terms.population_adjustment:
            if not basis.prior_residents:
                raise ValueError("population_adjustment needs prior_residents (more than 0)")
            amount *= Fraction(basis.residents, basis.prior_residents)
        amount *= 1 + fraction(terms.adjustment(basis.prior_score))
        gross = round_half_up(amount)
    reserve = round_half_up(gross * fraction(terms.risk_reserve_ratio))
    return Budget(gross_fen=gross, risk_reserve_fen=reserve, budget_fen=gross - reserve)


def advance_total(budget_fen: int, terms: AllianceBudget) -> int:
    """The year's 月度预付: round(budget × advance_ratio)."""
    return round_half_up(budget_fen * fraction(terms.advance_ratio))


def advances(budget_fen: int, terms: AllianceBudget) -> list[int]:
    """`advance_total` split over months 1..12 by the monthly weights."""
    total = advance_total(budget_fen, terms)
    return largest_remainder(total, integer_weights([fraction(w) for w in terms.monthly_weights]))
