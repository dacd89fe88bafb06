"""Money of a claim, in fen (int64) while drawn and as Decimal(18, 2) 元 when written.

A total is split exactly: 自费 (self-pay), 甲类 (class A) and 乙类 (class B) sum to the total; the patient's own share
(个人自付) is the class-B first payment plus the part of the eligible cost the fund does not reimburse, so it never
exceeds class A + class B.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import polars as pl

from yibao.models.schema import MONEY_DTYPE
from yibao.synth.params import GenerationParams

MONEY_COLUMNS = ("total_cost", "class_a_cost", "class_b_cost", "self_pay_cost", "own_share")


def money(fen: np.ndarray) -> pl.Series:
    """Amounts in fen as 元 with two decimals, exactly."""
    in_yuan = pl.lit(pl.Series(fen, dtype=pl.Int64)).cast(pl.Decimal(38, 0)) * pl.lit(Decimal("0.01"))
    return pl.select(in_yuan.cast(MONEY_DTYPE)).to_series()


def split_costs(
    rng: np.random.Generator, total: np.ndarray, fund_ratio: np.ndarray, params: GenerationParams
) -> dict[str, pl.Series]:
    """The five money columns of claims with these totals (fen) and reimbursement ratios."""
    self_pay = np.floor(total * rng.beta(*params.self_pay_share, len(total))).astype(np.int64)
    listed = total - self_pay
    class_a = np.floor(listed * rng.beta(*params.class_a_share, len(total))).astype(np.int64)
    class_b = listed - class_a
    first_pay = class_b * params.class_b_first_pay
    own = np.floor(first_pay + (listed - first_pay) * (1.0 - fund_ratio)).astype(np.int64)
    parts = (total, class_a, class_b, self_pay, np.minimum(own, listed))
    return {name: money(fen) for name, fen in zip(MONEY_COLUMNS, parts, strict=True)}


def to_fen(yuan: np.ndarray, minimum: float) -> np.ndarray:
    """Amounts in 元 (floats), at least `minimum` 元, rounded to the fen."""
    return np.round(np.maximum(yuan, minimum) * 100).astype(np.int64)
