"""Grouped stays as the settlement's arrays, prepared once per year and reused by every policy run on them.

Input (`CASE_COLUMNS`): one row per grouped inpatient stay. Rows that cannot be settled are set aside with the
reason (`SettlementCases.excluded`); `read = settled + excluded` always holds. Everything a policy may change
(thresholds, tables, budget) is applied later, so a "what if" re-settles without re-reading or re-grouping.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from yibao.errors import InputError, require_columns
from yibao.models import Claim
from yibao.models.enums import Level
from yibao.models.parse import parse, text, unreadable
from yibao.models.schema import field_specs
from yibao.rules.records import UNGROUPED, GroupStatus

CASE_COLUMNS: dict[str, pl.DataType] = {
    "claim_id": pl.String(),
    "person_key": pl.String(),
    "institution_id": pl.String(),
    "admission_date": pl.Date(),
    "discharge_date": pl.Date(),
    "los_days": pl.Int32(),
    "discharge_mode": pl.Int8(),
    "total_cost": pl.Decimal(18, 2),
    "own_share": pl.Decimal(18, 2),
    "drg": pl.String(),
}
"""Columns a settlement needs; `self_pay_cost` (Decimal) too when the policy counts it, and `group_status` and
`visit_type` are used when present (not SUCCESS: ungrouped; not inpatient: excluded)."""

OPTIONAL_COLUMNS: dict[str, pl.DataType] = {
    "self_pay_cost": pl.Decimal(18, 2),
    "group_status": pl.String(),
    "visit_type": pl.String(),
}
INSTITUTION_COLUMNS = ("institution_id", "level", "alliance_id")
ROW = "row"
"""The source row (1-based) of a line read in batches."""
NO_NEXT_STAY = np.iinfo(np.int32).max
"""Gap (days) of a stay with no later stay of the same person and DRG."""


@dataclass(frozen=True, eq=False)
class SettlementCases:
    """One year's settled stays as arrays (index order = `claims` row order) and the rows set aside."""

    year: int
    claims: pl.DataFrame
    """claim_id, institution_id, drg, month of each settled stay."""
    excluded: pl.DataFrame
    """claim_id, row, reason of each stay set aside."""
    institutions: pl.DataFrame
    """institution_id, level, alliance_id; the institution index is the row."""
    groups: pl.Series
    """The distinct grouped DRG codes; the group index is the position (-1: not grouped)."""
    group: np.ndarray
    institution: np.ndarray
    month: np.ndarray
    cost_fen: np.ndarray
    own_share_fen: np.ndarray
    self_pay_fen: np.ndarray
    los_days: np.ndarray
    discharge_mode: np.ndarray
    gap_any: np.ndarray
    """Days from discharge to the next admission of the same person with the same DRG, anywhere."""
    gap_same_institution: np.ndarray
    """The same, at the same institution."""

    @property
    def read(self) -> int:
        return self.claims.height + self.excluded.height

    def __len__(self) -> int:
        return self.claims.height


def read_institutions(path: Path | str) -> pl.DataFrame:
    """An institutions file (CSV/Parquet/Excel with institution_id, level, alliance_id) as a frame of levels."""
    return institutions_frame(read_table(path), path)


def read_table(path: Path | str) -> pl.DataFrame:
    """A small table of a case or policy (CSV as text, or Parquet)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such file")
    if path.suffix.lower() == ".parquet":
        return pl.read_parquet(path)
    try:
        return pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except pl.exceptions.PolarsError:  # its message quotes raw rows, which may hold personal data
        raise InputError(path, "not a well-formed CSV file (a row has more fields than the header?)") from None


def institutions_frame(frame: pl.DataFrame, source: Path | str = "institutions") -> pl.DataFrame:
    """institution_id, level (canonical value), alliance_id; errors name the row and field."""
    require_columns(frame.columns, source, ("institution_id", "level"))
    if "alliance_id" not in frame.columns:
        frame = frame.with_columns(alliance_id=pl.lit(None, pl.String))
    frame = frame.select(pl.col(c).cast(pl.String) for c in INSTITUTION_COLUMNS)
    aliases = Level.aliases()
    for row, (institution, level) in enumerate(frame.select("institution_id", "level").iter_rows(), start=1):
        if not institution:
            raise InputError(source, "institution_id is empty", row=row, field="institution_id")
        if (level or "").strip() not in aliases:
            raise InputError(source, f"unknown level {level!r}", row=row, field="level")
    duplicated = frame.filter(pl.col("institution_id").is_duplicated())
    if duplicated.height:
        raise InputError(source, f"institution_id {duplicated['institution_id'][0]!r} appears more than once")
    return frame.with_columns(level=pl.col("level").str.strip_chars().replace_strict(aliases, return_dtype=pl.String))


def column_parser(name: str, source: pl.DataType, trimmed: bool = False) -> pl.Expr:
    """The expression that reads column `name` (of type `source`) as the claim model does; unreadable → null.
    `trimmed`: text already read by `text` (trimmed, empty as null)."""
    spec = {spec.name: spec for spec in field_specs(Claim)}.get(name)
    raw = text(pl.col(name)) if source == pl.String and not trimmed else pl.col(name)
    return raw if spec is None else parse(raw, spec, source)


def check_readable(
    frame: pl.LazyFrame, source: Path | str, required: dict[str, pl.DataType], optional: dict[str, pl.DataType]
) -> None:
    """`typed_cases`' checks over a whole frame with its `row`, read once without holding it: the same error for the
    first unreadable value (by column, then row) as `typed_cases` of all of it at once gives."""
    schema = frame.collect_schema()
    require_columns(schema.names(), source, required)
    specs = {spec.name: spec for spec in field_specs(Claim)}
    columns = {**required, **{k: v for k, v in optional.items() if k in schema}}

    def may_fail(name: str, dtype: pl.DataType) -> bool:
        """Text read as plain text is always readable; any other reading may not be."""
        plain = name not in specs or (specs[name].enum is None and specs[name].dtype == pl.String)
        return not (plain and dtype == pl.String) and (schema[name] != dtype or dtype == pl.String)

    wanted = {name: dtype for name, dtype in columns.items() if may_fail(name, dtype)}
    if not wanted:
        return
    raw = {name: text(pl.col(name)) if schema[name] == pl.String else pl.col(name) for name in wanted}
    bad = {name: raw[name].is_not_null() & column_parser(name, schema[name]).cast(dtype).is_null()
           for name, dtype in wanted.items()}  # fmt: skip
    # Enumerated text written exactly as one of its spellings (the usual case) is readable: the first pass only
    # looks for other spellings, and a column that has some is read again, parsed.
    enumerated = [name for name in wanted if name in specs and specs[name].enum is not None]
    enumerated = [name for name in enumerated if schema[name] == pl.String]
    spellings = {name: list(specs[name].enum.aliases()) for name in enumerated}  # type: ignore[union-attr]
    other = {name: pl.col(name).is_not_null() & ~pl.col(name).is_in(words) for name, words in spellings.items()}
    first = _first_rows(frame, bad | other)
    again = {name: bad[name] for name in spellings if first[name] is not None}
    if again:
        first |= _first_rows(frame, again)
    for name in wanted:
        if first[name] is not None:
            reason = unreadable(specs[name]) if name in specs else "unreadable value"
            raise InputError(source, reason, row=int(first[name]), field=name)


def _first_rows(frame: pl.LazyFrame, conditions: dict[str, pl.Expr]) -> dict[str, int | None]:
    """The first `row` where each condition holds (None: nowhere), in one streaming pass."""
    first = frame.select(pl.col(ROW).filter(condition).min().alias(name) for name, condition in conditions.items())
    return first.collect(engine="streaming").row(0, named=True)


def typed_cases(
    frame: pl.DataFrame,
    source: Path | str = "claims",
    required: dict[str, pl.DataType] = CASE_COLUMNS,
    optional: dict[str, pl.DataType] = OPTIONAL_COLUMNS,
) -> pl.DataFrame:
    """A grouped-claims frame with `required` (and the `optional` present) in their types, parsed with the claim
    model's parsers; columns already of their type are taken as they are. A `row` column (the source row of each
    line, for a frame read in batches) is kept first and names the row in errors; without it the position does.

    A value that is present but unreadable is an error naming the row and the field (a grouped file comes out of
    validation, so one bad value means the wrong file, not a row to quarantine)."""
    specs = {spec.name: spec for spec in field_specs(Claim)}
    require_columns(frame.columns, source, required)
    columns = {**required, **{k: v for k, v in optional.items() if k in frame.columns}}
    rows = [ROW] if ROW in frame.columns else []
    done = [name for name, dtype in columns.items() if frame.schema[name] == dtype and dtype != pl.String]
    wanted = {name: dtype for name, dtype in columns.items() if name not in done}
    if not wanted:
        return frame.select([*rows, *columns])
    parsed = frame.select(column_parser(name, frame.schema[name]).cast(dtype).alias(name)
                          for name, dtype in wanted.items())  # fmt: skip
    for name in wanted:
        if not parsed[name].has_nulls():  # nothing unreadable; spares a trimmed copy of the column
            continue
        raw = frame.select(text(pl.col(name)) if frame.schema[name] == pl.String else pl.col(name))[name]
        bad = raw.is_not_null() & parsed[name].is_null()
        if bad.any():
            index = int(bad.arg_true()[0])
            row = int(frame[ROW][index]) if rows else index + 1
            reason = unreadable(specs[name]) if name in specs else "unreadable value"
            raise InputError(source, reason, row=row, field=name)
    return pl.concat([frame.select([*rows, *done]), parsed], how="horizontal").select([*rows, *columns])


def read_cases(path: Path | str) -> pl.DataFrame:
    """Grouped claims from a CSV or Parquet file (the output of `yibao group`), typed by `typed_cases`."""
    return typed_cases(read_table(path), path)


def _exclusion(frame: pl.DataFrame, year: int, known: pl.Series) -> pl.Expr:
    """The reason a row cannot be settled this year, or null."""
    reasons: list[tuple[pl.Expr, str]] = [
        (pl.col("claim_id").is_null(), "清单流水号为空 no claim id"),
        (pl.col("claim_id").is_duplicated(), "清单流水号重复 duplicate claim id"),
        (
            ~pl.col("institution_id").is_in(known.implode()),
            "机构不在机构表中 institution not in the institutions table",
        ),
        (pl.col("discharge_date").is_null(), "无出院日期 no discharge date"),
        (pl.col("discharge_date").dt.year() != year, f"出院日期不在{year}年 discharged outside {year}"),
        (pl.col("total_cost").is_null(), "无医疗费总额 no total cost"),
        (pl.col("own_share").is_null(), "无个人自付 no own share"),
        (pl.col("los_days").is_null(), "无住院天数 no length of stay"),
    ]
    if "visit_type" in frame.columns:
        reasons.insert(0, (pl.col("visit_type").is_in(["inpatient", "住院"]).not_(), "非住院 not an inpatient stay"))
    return first_reason(reasons)


def first_reason(reasons: list[tuple[pl.Expr, str]]) -> pl.Expr:
    """The reason of the first condition that holds (a null condition holds: the value is missing), or null."""
    expression = pl.lit(None, pl.String)
    for condition, reason in reversed(reasons):
        expression = pl.when(condition.fill_null(True)).then(pl.lit(reason)).otherwise(expression)
    return expression


def _next_stay_gap(frame: pl.DataFrame, keys: list[str]) -> np.ndarray:
    """For each grouped stay: days from its discharge to the next admission of a stay sharing `keys` and the DRG.

    Stays are sorted by a 64-bit hash of each key (cheaper than sorting text), then the dates; neighbours count only
    when their keys are equal as written, so a hash collision can hide a readmission but never invent one. Stays equal
    in every key and date are ordered by claim id, so the input's row order never matters."""
    hashed = [f"{k}#" for k in keys]
    ranked = (
        frame.filter(pl.col("group") >= 0, *(pl.col(k).is_not_null() for k in keys))
        .select("i", *keys, *(pl.col(k).hash().alias(h) for k, h in zip(keys, hashed, strict=True)), "group",
                "admission_date", "discharge_date", "claim_id")
        .sort([*hashed, "group", "admission_date", "discharge_date", "claim_id"])
    )  # fmt: skip
    same = pl.all_horizontal(pl.col(k).shift(-1) == pl.col(k) for k in [*keys, "group"])
    gaps = ranked.select(
        "i", gap=pl.when(same).then((pl.col("admission_date").shift(-1) - pl.col("discharge_date")).dt.total_days())
    ).drop_nulls("gap")
    result = np.full(frame.height, NO_NEXT_STAY, dtype=np.int32)
    result[gaps["i"].to_numpy()] = gaps["gap"].clip(-NO_NEXT_STAY, NO_NEXT_STAY).cast(pl.Int32).to_numpy()
    return result


def fen(column: str) -> pl.Expr:
    """A 元 column (two decimals) as integer fen."""
    return (pl.col(column).cast(pl.Decimal(18, 2)) * 100).cast(pl.Int64)


def prepare_cases(claims: pl.DataFrame, institutions: pl.DataFrame, year: int) -> SettlementCases:
    """Encode one year's grouped claims (`CASE_COLUMNS`) against the institutions for settlement; a `row` column
    (source rows of a frame already filtered) numbers the rows set aside, else their position does."""
    claims = typed_cases(claims) if any(claims.schema.get(k) != v for k, v in CASE_COLUMNS.items()) else claims
    institutions = institutions_frame(institutions)
    reason = _exclusion(claims, year, institutions["institution_id"])
    numbered = claims if ROW in claims.columns else claims.with_row_index(ROW, offset=1)
    marked = numbered.with_columns(reason=reason)
    excluded = marked.filter(pl.col("reason").is_not_null()).select("claim_id", "row", "reason")
    kept = marked if excluded.is_empty() else marked.filter(pl.col("reason").is_null())
    if "self_pay_cost" not in kept.columns:
        kept = kept.with_columns(self_pay_cost=pl.lit(None, pl.Decimal(18, 2)))
    grouped = pl.col("drg").is_not_null() & (pl.col("drg") != UNGROUPED[2])
    if "group_status" in kept.columns:
        grouped = grouped & (pl.col("group_status") == GroupStatus.SUCCESS.value)
    groups = kept.filter(grouped)["drg"].unique().sort()
    encoded = kept.with_row_index("i").with_columns(
        group=pl.when(grouped).then(pl.col("drg").replace_strict(groups, pl.int_range(groups.len(), eager=True),
                                                                 default=-1, return_dtype=pl.Int32)).otherwise(-1),
        institution=pl.col("institution_id").replace_strict(
            institutions["institution_id"], pl.int_range(institutions.height, eager=True), return_dtype=pl.Int32
        ),
        month=pl.col("discharge_date").dt.month().cast(pl.Int8),
    )  # fmt: skip
    return SettlementCases(
        year=year,
        claims=encoded.select("claim_id", "institution_id", "drg", "month"),
        excluded=excluded,
        institutions=institutions,
        groups=groups,
        group=encoded["group"].to_numpy(),
        institution=encoded["institution"].to_numpy(),
        month=encoded["month"].to_numpy(),
        cost_fen=encoded.select(fen("total_cost"))["total_cost"].to_numpy(),
        own_share_fen=encoded.select(fen("own_share"))["own_share"].to_numpy(),
        self_pay_fen=encoded.select(fen("self_pay_cost").fill_null(0))["self_pay_cost"].to_numpy(),
        los_days=encoded["los_days"].cast(pl.Int32).to_numpy(),
        discharge_mode=encoded["discharge_mode"].fill_null(-1).cast(pl.Int8).to_numpy(),
        gap_any=_next_stay_gap(encoded, ["person_key"]),
        gap_same_institution=_next_stay_gap(encoded, ["person_key", "institution_id"]),
    )
