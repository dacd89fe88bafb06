"""Reject lines: one line per broken rule of a rejected row, with the value as read (personal IDs never)."""

from __future__ import annotations

import polars as pl

from yibao.io.read import ROW
from yibao.io.validate import LIST_FIELDS, PRINCIPAL_FIELDS, Rule, raw

REJECT_COLUMNS = ("source", ROW, "claim_id", "field", "value", "reason")


def _display(name: str) -> pl.Expr:
    column = pl.col(raw(name))
    if name in LIST_FIELDS:
        return column.list.join("|")
    if name in PRINCIPAL_FIELDS or name == "national_id":  # a flag, or a personal ID never shown
        return pl.lit(None, dtype=pl.String)
    return column.cast(pl.String)


def reject_lines(rejected: pl.LazyFrame, rules: list[Rule], source: str) -> pl.LazyFrame:
    """Rejected rows as one line per broken rule: source, row, claim_id, field, value, reason."""
    lines = [
        pl.when(rule.violated.fill_null(False)).then(
            pl.struct(field=pl.lit(rule.field), value=_display(rule.field), reason=pl.lit(rule.reason))
        )
        for rule in rules
    ]
    return (
        rejected.select(
            ROW,
            pl.col(raw("claim_id")).cast(pl.String).alias("claim_id"),
            pl.concat_list(lines).list.drop_nulls().alias("line"),
        )
        .explode("line")
        .unnest("line")
        .select(pl.lit(source).alias("source"), *REJECT_COLUMNS[1:])
        .sort(ROW, maintain_order=True)
    )
