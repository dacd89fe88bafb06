"""结余留用 and 合理超支分担: what a surplus or an overspend means for the alliance and the fund (fen)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from yibao.alliance.policy import Overspend
from yibao.settlement.money import fraction, round_half_up


@dataclass(frozen=True)
class Outcome:
    """The year's result of one alliance: balance = budget − actual; a surplus is retained or returned, an
    overspend shared by the fund or borne by the alliance. Amounts not in play are 0."""

    balance_fen: int
    retained_fen: int
    returned_fen: int
    overspend_fen: int
    fund_share_fen: int
    borne_fen: int


def fund_share(overspend_fen: int, budget_fen: int, terms: Overspend) -> int:
    """The fund's part of an overspend: each band's slice × its share, summed exactly, rounded once."""
    shared, floor = Fraction(0), Fraction(0)
    for band in terms.bands:
        ceiling = budget_fen * fraction(band.up_to)
        shared += max(Fraction(0), min(Fraction(overspend_fen), ceiling) - floor) * fraction(band.fund_share)
        floor = ceiling
    return round_half_up(shared)


def outcome(
    budget_fen: int, actual_fen: int, retention_ratio: Decimal, score: Decimal, unreasonable: bool, terms: Overspend
) -> Outcome:
    """Surplus: retained = round(balance × retention_ratio). Overspend: the fund shares by the bands unless the
    overspend is judged unreasonable or the score is below `terms.min_score`."""
    balance = budget_fen - actual_fen
    if balance >= 0:
        retained = round_half_up(balance * fraction(retention_ratio))
        return Outcome(balance, retained, balance - retained, 0, 0, 0)
    overspend = -balance
    shared = 0 if unreasonable or score < terms.min_score else fund_share(overspend, budget_fen, terms)
    return Outcome(balance, 0, 0, overspend, shared, overspend - shared)
