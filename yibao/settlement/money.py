"""Fen arithmetic: the only place money is rounded (四舍五入到分) and split (largest remainder).

Money is an integer number of fen (分) everywhere in the settlement. Points are integer units of 10⁻⁴ point and
point values integer units of 10⁻ᵈ 元 (d from the policy), so every product and quotient here is exact in Python
integers; rounding is half-up, done once, at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from math import lcm

FEN_PER_YUAN = 100


def half_up_div(numerator: int, denominator: int) -> int:
    """`numerator / denominator` rounded half-up (away from zero at .5), exactly, for a positive denominator."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def yuan_to_fen(amount: Decimal | int | str) -> int:
    """An amount in 元 as integer fen; more than two decimals is an error, never a silent rounding."""
    value = Decimal(str(amount)) * FEN_PER_YUAN
    if value != value.to_integral_value():
        raise ValueError(f"{amount} 元 has more than two decimals")
    return int(value)


def fen_to_yuan(fen: int) -> Decimal:
    """Integer fen as a Decimal amount in 元 with two decimals."""
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def scaled(value: float | Decimal | str, decimals: int) -> int:
    """A decimal number as an integer count of 10⁻ᵈ units, rounded half-up (e.g. a point value to 4 decimals)."""
    return int(Decimal(str(value)).scaleb(decimals).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` fen in proportion to non-negative integer `weights`, summing exactly to `total`.

    Each share is the floor of its exact quota; the fen left over go one each to the largest remainders, ties to
    the earlier weight (so the order of the weights is part of the input). All weights zero: an equal split."""
    if any(w < 0 for w in weights):
        raise ValueError("weights must be non-negative")
    if not weights:
        if total:
            raise ValueError(f"cannot split {total} fen over nothing")
        return []
    weight_sum = sum(weights)
    if weight_sum == 0:
        weights, weight_sum = [1] * len(weights), len(weights)
    sign, magnitude = (1, total) if total >= 0 else (-1, -total)
    shares, remainders = [], []
    for w in weights:
        share, remainder = divmod(magnitude * w, weight_sum)
        shares.append(share)
        remainders.append(remainder)
    left = magnitude - sum(shares)
    for i in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        shares[i] += 1
    return [sign * s for s in shares]


def round_half_up(value: Fraction) -> int:
    """An exact fraction of a fen rounded half-up to whole fen."""
    return half_up_div(value.numerator, value.denominator)


def fraction(value: Decimal | int | str) -> Fraction:
    """A policy ratio as an exact fraction (0.9 is 9/10, not the nearest binary float)."""
    return Fraction(Decimal(str(value)))


def integer_weights(weights: Sequence[Fraction]) -> list[int]:
    """Exact fractional weights as integers in the same proportions (for `largest_remainder`)."""
    scale = lcm(*(w.denominator for w in weights)) if weights else 1
    return [int(w * scale) for w in weights]
