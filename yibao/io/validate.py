"""Vectorised claim validation: the model's field constraints and consistency checks over a whole frame.

Every rule comes from `Claim`: field types, bounds and code formats from its field specs, consistency from
`CLAIM_CHECKS`. A row that breaks any rule is rejected with one line per broken rule (row, field, value,
reason); duplicate claim ids are rejected in every row that carries them.

One pre-pass reads only the claim ids and the distinct codes: duplicates are found there, and codes are
normalised once per distinct value (a year of claims holds millions of codes but only thousands of values).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from yibao.codes import is_diagnosis_expr, is_procedure_expr, normalise_diagnosis_expr, normalise_procedure_expr
from yibao.errors import InputError
from yibao.identity import NATIONAL_ID_MALFORMED, is_national_id_expr, normalise_national_id_expr, person_key_expr
from yibao.io.columns import CODE_PARTS
from yibao.io.read import ROW, RawClaims
from yibao.models import Claim
from yibao.models.checks import CLAIM_CHECKS
from yibao.models.parse import parse, present, text, too_many_decimals, too_many_decimals_reason, unreadable
from yibao.models.schema import FieldSpec, field_specs
from yibao.models.types import PRINCIPAL_MISSING

SPECS: tuple[FieldSpec, ...] = field_specs(Claim)
FIELDS: tuple[str, ...] = tuple(spec.name for spec in SPECS)
LIST_FIELDS = frozenset(spec.name for spec in SPECS if spec.code is not None)
PRINCIPAL_FIELDS = frozenset(principal for principal, _ in CODE_PARTS.values())
BAD = "__bad"
BLANK = "__blank"


def raw(name: str) -> str:
    """The column holding a field's value as read."""
    return f"__raw_{name}"


@dataclass(frozen=True)
class Rule:
    """One reason to reject a row: `violated` is true on the rows it rejects."""

    field: str
    reason: str
    violated: pl.Expr


def _field_rules(spec: FieldSpec, source: pl.DataType) -> list[Rule]:
    value = pl.col(spec.name)
    given = value.list.len() > 0 if spec.code is not None else present(pl.col(raw(spec.name)), source)
    rules: list[Rule] = []
    if spec.required:
        rules.append(Rule(spec.name, "缺少必填项 required value missing", ~given))
    if spec.code is None:
        rules.append(Rule(spec.name, unreadable(spec), given & value.is_null()))
    if spec.decimal_places is not None:
        excess = too_many_decimals(pl.col(raw(spec.name)), source, spec.decimal_places)
        if excess is not None:
            rules.append(Rule(spec.name, too_many_decimals_reason(spec.decimal_places), excess))
    if spec.max_digits is not None and spec.decimal_places is not None:
        limit = 10 ** (spec.max_digits - spec.decimal_places)
        rules.append(Rule(spec.name, f"金额过大 {limit:,} or more", value.abs() >= limit))
    if spec.pattern is not None:
        rules.append(Rule(spec.name, f"格式错误 does not match {spec.pattern}", ~value.str.contains(spec.pattern)))
    length = value.list.len() if spec.code is not None else value.str.len_chars()
    if spec.ge is not None:
        rules.append(Rule(spec.name, f"小于{spec.ge} below {spec.ge}", value < spec.ge))
    if spec.le is not None:
        rules.append(Rule(spec.name, f"大于{spec.le} above {spec.le}", value > spec.le))
    if spec.min_len is not None and (spec.min_len > 1 or not spec.required):
        rules.append(Rule(spec.name, f"少于{spec.min_len}项 fewer than {spec.min_len}", length < spec.min_len))
    if spec.max_len is not None:
        rules.append(Rule(spec.name, f"长度超过{spec.max_len} longer than {spec.max_len}", length > spec.max_len))
    if spec.code is not None:
        valid = is_diagnosis_expr if spec.code.system == "diagnosis" else is_procedure_expr
        reason = f"编码格式错误 not a {spec.code.system} code of 医保版 2.0"
        rules.append(Rule(spec.name, reason, value.list.eval(~valid(pl.element())).list.any()))
    return rules


def claim_rules(schema: pl.Schema, duplicate_ids: pl.Series) -> list[Rule]:
    """All rules of a claim for raw columns of these types; the duplicate-id rule last."""
    rules = [rule for spec in SPECS for rule in _field_rules(spec, schema[raw(spec.name)])]
    rules += [Rule(p, PRINCIPAL_MISSING, pl.col(_missing_principal(p))) for p in sorted(PRINCIPAL_FIELDS)]
    rules.append(Rule("national_id", NATIONAL_ID_MALFORMED, pl.col(MALFORMED_ID)))
    rules += [Rule(check.field, check.reason, check.violated) for check in CLAIM_CHECKS]
    duplicate = pl.col("claim_id").is_in(duplicate_ids.implode())
    rules.append(Rule("claim_id", "清单流水号重复 duplicate claim id", duplicate))
    return rules


def _code_sources(raw_claims: RawClaims, name: str) -> list[str]:
    """The columns a code list is assembled from: its principal column, its `|`-separated others, numbered others."""
    principal, others = CODE_PARTS[name]
    columns = raw_claims.columns
    return [c for c in (principal, others) if c in columns.single] + columns.numbered.get(others, [])


def code_list(raw_claims: RawClaims, name: str) -> pl.Expr | None:
    """A code list from one `|`-separated (or list) column, or assembled from its principal and other columns."""
    columns, schema = raw_claims.columns, raw_claims.frame.collect_schema()
    principal, others = CODE_PARTS[name]
    assembled = _code_sources(raw_claims, name)
    if name in columns.single:
        if assembled:
            raise InputError(raw_claims.source, f"both {columns.single[name]!r} and {assembled[0]!r} give {name}")
        if isinstance(schema[name], pl.List):
            return pl.col(name).cast(pl.List(pl.String))
        return pl.col(name).cast(pl.String).str.split("|")
    no_codes = pl.lit([], dtype=pl.List(pl.String))
    parts = [pl.col(principal).cast(pl.String)] if principal in columns.single else []
    if others in columns.single:
        parts.append(pl.col(others).cast(pl.String).str.split("|").fill_null(no_codes))
    parts += [pl.col(header).cast(pl.String) for header in columns.numbered.get(others, [])]
    return pl.concat_list(parts) if parts else None


MALFORMED_ID = "__malformed_national_id"


def _person_key(columns: dict[str, str]) -> dict[str, pl.Expr]:
    """人员标识 as given, else the keyed hash of a well-formed 身份证号; and whether a given ID is malformed."""
    given = text(pl.col("person_key")) if "person_key" in columns else pl.lit(None, dtype=pl.String)
    if "national_id" not in columns:
        return {raw("person_key"): given, MALFORMED_ID: pl.lit(False)}
    national = normalise_national_id_expr(text(pl.col("national_id")))
    well_formed = is_national_id_expr(national)
    hashed = person_key_expr(pl.when(well_formed).then(national))
    malformed = given.is_null() & national.is_not_null() & ~well_formed
    return {raw("person_key"): pl.coalesce(given, hashed), MALFORMED_ID: malformed.fill_null(False)}


def _raw_fields(raw_claims: RawClaims) -> dict[str, pl.Expr]:
    """The raw value of every model field, by column name: code lists assembled, national IDs hashed."""
    columns = raw_claims.columns.single
    if "person_key" not in columns and "national_id" not in columns:
        raise InputError(raw_claims.source, "required column missing (缺少必填列)", field="person_key")
    exprs = _person_key(columns)
    for spec in SPECS:
        if spec.code is not None:
            codes = code_list(raw_claims, spec.name)
            exprs[raw(spec.name)] = pl.lit([], dtype=pl.List(pl.String)) if codes is None else codes
        elif spec.name == "person_key":
            continue
        elif spec.name in columns:
            exprs[raw(spec.name)] = pl.col(spec.name)
        elif spec.required:
            raise InputError(raw_claims.source, "required column missing (缺少必填列)", field=spec.name)
        else:
            exprs[raw(spec.name)] = pl.lit(None, dtype=pl.String)
    return exprs


def _staged(raw_claims: RawClaims) -> pl.LazyFrame:
    """Raw values per field (text trimmed, empty text as null), and whether the row is blank.

    A row is blank when every field is empty after trimming: a blank line, a line of spaces or separators.
    """
    codes_empty = pl.all_horizontal(_codes_empty(raw_claims, name) for name in LIST_FIELDS).alias(BLANK)
    fields = (expr.alias(name) for name, expr in _raw_fields(raw_claims).items())
    staged = raw_claims.frame.select(ROW, *fields, codes_empty)
    schema = staged.collect_schema()
    staged = staged.with_columns(text(pl.col(name)) for name, dtype in schema.items() if dtype == pl.String)
    scalars_empty = [pl.col(raw(s.name)).is_null() for s in SPECS if s.code is None]
    return staged.with_columns(pl.all_horizontal(pl.col(BLANK), *scalars_empty).alias(BLANK))


def _codes_empty(raw_claims: RawClaims, name: str) -> pl.Expr:
    """Whether every column a code list comes from is empty (cheaper than looking inside the assembled list)."""
    columns, schema = raw_claims.columns, raw_claims.frame.collect_schema()
    if name in columns.single:
        if isinstance(schema[name], pl.List):
            return pl.col(name).list.len().fill_null(0) == 0
        return text(pl.col(name)).is_null()
    sources = _code_sources(raw_claims, name)
    return pl.all_horizontal([text(pl.col(c)).is_null() for c in sources]) if sources else pl.lit(True)


@dataclass(frozen=True)
class PrePass:
    """What validation needs from the whole file before any row: the duplicate claim ids, and each code list's
    distinct raw codes with their normal form (null for a blank part)."""

    duplicate_ids: pl.Series
    code_maps: dict[str, pl.DataFrame]


def _duplicate_ids(staged: pl.LazyFrame, optimizations: pl.QueryOptFlags) -> pl.Series:
    """Claim ids that occur more than once: 64-bit hashes first (small), then the exact ids behind repeated hashes."""
    ids = pl.col(raw("claim_id"))
    repeated = staged.select(ids.hash().alias("h")).group_by("h").len().filter(pl.col("len") > 1)
    hashes = repeated.collect(engine="streaming", optimizations=optimizations)["h"]
    candidates = staged.select(ids.alias("claim_id")).filter(pl.col("claim_id").hash().is_in(hashes.implode()))
    exact = candidates.group_by("claim_id").len().filter((pl.col("len") > 1) & pl.col("claim_id").is_not_null())
    return exact.collect(engine="streaming")["claim_id"]


def pre_pass(staged: pl.LazyFrame, optimizations: pl.QueryOptFlags | None = None) -> PrePass:
    """The pre-pass over the staged rows of a whole file (blank rows may be among them: they add nothing)."""
    optimizations = optimizations or pl.QueryOptFlags()
    duplicates = _duplicate_ids(staged, optimizations)
    distinct = [staged.select(pl.col(raw(name)).explode().drop_nulls().unique().alias("raw")) for name in LIST_FIELDS]
    found = pl.collect_all(distinct, engine="streaming")
    maps: dict[str, pl.DataFrame] = {}
    for name, codes in zip(LIST_FIELDS, found, strict=True):
        system = next(s.code for s in SPECS if s.name == name)
        normalise = normalise_diagnosis_expr if system and system.system == "diagnosis" else normalise_procedure_expr
        normal = normalise(pl.col("raw"))
        maps[name] = codes.with_columns(pl.when(normal != "").then(normal).alias("normal"))
    return PrePass(duplicate_ids=duplicates, code_maps=maps)


def file_pre_pass(raw_claims: RawClaims) -> PrePass:
    """The pre-pass of a whole file, streamed. Blank rows need not be left out (they carry no claim id and no code),
    so only the claim id and code columns are read."""
    return pre_pass(_staged(raw_claims).drop(BLANK), raw_claims.optimizations)


def _missing_principal(principal: str) -> str:
    return f"__missing_{principal}"


def _code_fields(name: str, mapping: pl.DataFrame) -> list[pl.Expr]:
    """The code list in normal form without blank parts, and whether its principal (first) part is blank while
    others are not. Each part is looked up in the pre-pass map of distinct codes (blank parts map to null)."""
    to_normal = {"old": mapping["raw"], "new": mapping["normal"], "default": None}
    codes = pl.col(raw(name)).list.eval(pl.element().replace_strict(**to_normal).drop_nulls())
    codes = codes.fill_null(pl.lit([], dtype=pl.List(pl.String)))
    principal = pl.col(raw(name)).list.first().replace_strict(**to_normal)
    principal_missing = principal.is_null() & (codes.list.len() > 0)
    return [codes.alias(name), principal_missing.alias(_missing_principal(CODE_PARTS[name][0]))]


def _parse_or_default(spec: FieldSpec, source: pl.DataType) -> pl.Expr:
    """The parsed value; the model's default where none is given (an unreadable value stays null)."""
    value = parse(pl.col(raw(spec.name)), spec, source)
    if spec.default is None:
        return value
    return pl.when(present(pl.col(raw(spec.name)), source)).then(value).otherwise(pl.lit(spec.default, spec.dtype))


@dataclass(frozen=True)
class Checked:
    """The validation plan of one file."""

    frame: pl.LazyFrame
    """The non-blank rows: parsed fields, raw values, one flag per rule and the row's bad flag."""
    rules: list[Rule]
    counts: pl.LazyFrame
    """One row: `total` rows in the file and how many of them are `blank`."""


def checked_frame(raw_claims: RawClaims, pre: PrePass | None = None) -> Checked:
    """Plan the validation of the rows of `raw_claims`, staged in memory once.

    `pre` is the pre-pass of the whole file when these rows are one batch of it; without it, the rows are the whole
    file and the pre-pass runs over them.
    """
    all_rows = _staged(raw_claims).collect(optimizations=raw_claims.optimizations).lazy()
    counts = all_rows.select(pl.len().alias("total"), pl.col(BLANK).sum().alias("blank"))
    staged = all_rows.filter(~pl.col(BLANK)).drop(BLANK)
    schema = staged.collect_schema()
    pre = pre or pre_pass(staged)
    parsed = staged.with_columns(
        *(_parse_or_default(spec, schema[raw(spec.name)]).alias(spec.name) for spec in SPECS if spec.code is None),
        *(expr for name in LIST_FIELDS for expr in _code_fields(name, pre.code_maps[name])),
    )
    rules = claim_rules(schema, pre.duplicate_ids)
    flags = [rule.violated.fill_null(False).alias(f"__rule{i}") for i, rule in enumerate(rules)]
    flagged = parsed.with_columns(flags).with_columns(
        pl.any_horizontal(f"__rule{i}" for i in range(len(rules))).alias(BAD)
    )
    return Checked(frame=flagged, rules=rules, counts=counts)
