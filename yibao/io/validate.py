"""Vectorised claim validation: the model's field constraints and consistency checks over a whole frame.

Every rule comes from `Claim`: field types, bounds and code formats from its field specs, consistency from
`CLAIM_CHECKS`. A row that breaks any rule is rejected with one line per broken rule (row, field, value,
reason). Duplicate claim ids are a rule of the whole file: `duplicate_ids` finds them once all rows are checked
(`load.py` rejects every row that carries one).

Codes are normalised once per distinct value (a year of claims holds millions of codes but only thousands of
values): a pass over the rows' codes (`code_pass`) finds them beside the parsing of the other fields.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import polars as pl

from yibao.codes import is_diagnosis_expr, is_procedure_expr, normalise_diagnosis_expr, normalise_procedure_expr
from yibao.errors import InputError
from yibao.identity import NATIONAL_ID_MALFORMED, is_national_id_expr, normalise_national_id_expr, person_key_expr
from yibao.io.columns import CODE_PARTS
from yibao.io.read import ROW, RawClaims
from yibao.io.tidy import Tidying, tidying
from yibao.models import Claim
from yibao.models.checks import CLAIM_CHECKS
from yibao.models.list_text import empty_for_null, split_text
from yibao.models.parse import (
    empty_as_null,
    money_from_text,
    parse,
    present,
    too_many_decimals,
    too_many_decimals_reason,
    trimmed,
    unreadable,
)
from yibao.models.pattern_text import matches
from yibao.models.schema import FieldSpec, field_specs
from yibao.models.types import PRINCIPAL_MISSING
from yibao.text_views import SMALL_CHUNK

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
        excess = (
            pl.col(_excess_decimals(spec.name))
            if _read_as_amount_text(spec, source)
            else too_many_decimals(pl.col(raw(spec.name)), source, spec.decimal_places)
        )
        if excess is not None:
            rules.append(Rule(spec.name, too_many_decimals_reason(spec.decimal_places), excess))
    if spec.max_digits is not None and spec.decimal_places is not None:
        limit = 10 ** (spec.max_digits - spec.decimal_places)
        too_large = (value >= limit) | (value <= -limit)  # not `abs()`: a 128-bit column more per amount
        rules.append(Rule(spec.name, f"金额过大 {limit:,} or more", too_large))
    if spec.pattern is not None:
        rules.append(Rule(spec.name, f"格式错误 does not match {spec.pattern}", ~matches(value, spec.pattern)))
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
        reason = f"编码格式错误 not a {spec.code.system} code of 医保版 2.0"
        rules.append(Rule(spec.name, reason, pl.col(_invalid_code(spec.name))))
    return rules


def claim_rules(schema: pl.Schema) -> list[Rule]:
    """All rules of a claim for raw columns of these types but the duplicate-id rule (`duplicate_rule`, a claim's
    last)."""
    rules = [rule for spec in SPECS for rule in _field_rules(spec, schema[raw(spec.name)])]
    rules += [Rule(p, PRINCIPAL_MISSING, pl.col(_missing_principal(p))) for p in sorted(PRINCIPAL_FIELDS)]
    rules.append(Rule("national_id", NATIONAL_ID_MALFORMED, pl.col(MALFORMED_ID)))
    rules += [Rule(check.field, check.reason, check.violated) for check in CLAIM_CHECKS]
    return rules


def duplicate_rule(repeated_ids: pl.Series) -> Rule:
    """The rule that rejects every row whose claim id is one of `repeated_ids` (found by `duplicate_ids`)."""
    repeated = repeated_ids.cast(pl.String).implode()  # as the claim id is parsed: text
    return Rule("claim_id", "清单流水号重复 duplicate claim id", pl.col("claim_id").is_in(repeated))


def _code_sources(raw_claims: RawClaims, name: str) -> list[str]:
    """The columns a code list is assembled from: its principal column, its `|`-separated others, numbered others."""
    principal, others = CODE_PARTS[name]
    columns = raw_claims.columns
    return [c for c in (principal, others) if c in columns.single] + columns.numbered.get(others, [])


def code_list(raw_claims: RawClaims, name: str) -> pl.Expr | None:
    """A code list from one `|`-separated (or list) column, or assembled from its principal and other columns.

    An empty text is an empty list (rather than one blank part: the same codes, and shown the same way)."""
    columns, schema = raw_claims.columns, raw_claims.frame.collect_schema()
    principal, others = CODE_PARTS[name]
    assembled = _code_sources(raw_claims, name)
    no_codes = pl.lit([], dtype=pl.List(pl.String))
    if name in columns.single:
        if assembled:
            raise InputError(raw_claims.source, f"both {columns.single[name]!r} and {assembled[0]!r} give {name}")
        if isinstance(schema[name], pl.List):
            return pl.col(name).cast(pl.List(pl.String))
        return pl.col(name).cast(pl.String).map_batches(split_codes, pl.List(pl.String), is_elementwise=True)
    parts = [pl.col(principal).cast(pl.String)] if principal in columns.single else []
    if others in columns.single:
        parts.append(pl.col(others).cast(pl.String).str.split("|").fill_null(no_codes))
    parts += [pl.col(header).cast(pl.String) for header in columns.numbered.get(others, [])]
    return pl.concat_list(parts) if parts else None


def split_codes(text: pl.Series) -> pl.Series:
    """A `|`-separated code text as a list: an empty text is an empty list (not one blank part)."""
    return split_text(text, "|")


MALFORMED_ID = "__malformed_national_id"


def _person_key(columns: dict[str, str]) -> dict[str, pl.Expr]:
    """人员标识 as given, else the keyed hash of a well-formed 身份证号; and whether a given ID is malformed."""
    given = pl.col("person_key").cast(pl.String) if "person_key" in columns else pl.lit(None, dtype=pl.String)
    if "national_id" not in columns:
        return {raw("person_key"): given, MALFORMED_ID: pl.lit(False)}
    national = normalise_national_id_expr(pl.col("national_id").cast(pl.String))
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


def _tidied(source: pl.LazyFrame, trim: list[str], nulls: list[str]) -> pl.LazyFrame:
    """The source with the text columns `trim` trimmed, then those of `nulls` with empty text as null (`text`; in
    one step, polars trims each column twice)."""
    return source.with_columns(trimmed(pl.col(trim))).with_columns(empty_as_null(pl.col(c)) for c in nulls)


def _text_columns(frame: pl.LazyFrame | pl.DataFrame) -> list[str]:
    return [name for name, dtype in frame.collect_schema().items() if dtype == pl.String]


def _staged(raw_claims: RawClaims, source: pl.LazyFrame) -> pl.LazyFrame:
    """Raw values per field, and whether the row is blank, from `source`: the rows of `raw_claims` with every text
    column tidy (trimmed, empty text as null: `_tidy_source`).

    A row is blank when every field is empty after trimming: a blank line, a line of spaces or separators.
    """
    codes_empty = pl.all_horizontal(_codes_empty(raw_claims, name) for name in LIST_FIELDS).alias(BLANK)
    fields = (expr.alias(name) for name, expr in _raw_fields(raw_claims).items())
    staged = source.select(ROW, *fields, codes_empty)
    scalars_empty = [pl.col(raw(s.name)).is_null() for s in SPECS if s.code is None]
    return staged.with_columns(pl.all_horizontal(pl.col(BLANK), *scalars_empty).alias(BLANK))


def _tidy_source(raw_claims: RawClaims) -> pl.LazyFrame:
    """The rows of `raw_claims` read into memory, only the text columns that need it tidied (most need not), and a
    column whose only fault is empty values (a CSV file's `""`) not trimmed.

    Many small pieces are copied into one first (a CSV file is read in large pieces already, `RawClaims.piece_rows`):
    every later step copied or walked them again (the code pass alone held 300 MB more at 1e6 rows)."""
    read = raw_claims.read()
    if read.height < SMALL_CHUNK * read.n_chunks():
        read = read.rechunk()
    columns = _text_columns(read)
    with ThreadPoolExecutor() as pool:  # the check releases the GIL
        needs = dict(zip(columns, pool.map(tidying, map(read.get_column, columns)), strict=True))  # not copied
    trim = [c for c in columns if needs[c] is Tidying.TRIM]
    return _tidied(read.lazy(), trim, [c for c in columns if needs[c] is not Tidying.NONE])


def _codes_empty(raw_claims: RawClaims, name: str) -> pl.Expr:
    """Whether every column a code list comes from is empty (cheaper than looking inside the assembled list)."""
    columns, schema = raw_claims.columns, raw_claims.frame.collect_schema()
    if name in columns.single:
        if isinstance(schema[name], pl.List):
            return pl.col(name).list.len().fill_null(0) == 0
        return pl.col(name).is_null()
    sources = _code_sources(raw_claims, name)
    return pl.all_horizontal([pl.col(c).is_null() for c in sources]) if sources else pl.lit(True)


@dataclass(frozen=True)
class Codes:
    """The codes of the rows being checked: each code list's distinct raw codes with their normal form (null for a
    blank part) and whether that is `invalid`; and the code lists whose every part is already a valid code in
    normal form (no null or blank parts), kept as they are."""

    code_maps: dict[str, pl.DataFrame]
    clean_lists: frozenset[str]


def duplicate_ids(ids: pl.LazyFrame) -> pl.Series:
    """Claim ids (column `raw("claim_id")`) that occur more than once: none when the ids ascend (files are often in
    claim-id order: one comparison per row); else 64-bit hashes first (small), then the exact ids behind repeated
    hashes."""
    claim_id = pl.col(raw("claim_id"))
    given = ids.select(claim_id.drop_nulls())
    if given.select((claim_id > claim_id.shift(1)).all()).collect(engine="streaming").item():
        return pl.Series("claim_id", [], dtype=given.collect_schema()[raw("claim_id")])  # ascending: none repeats
    repeated = ids.select(claim_id.hash().alias("h")).group_by("h").len().filter(pl.col("len") > 1)
    hashes = repeated.collect(engine="streaming")["h"]
    candidates = ids.select(claim_id.alias("claim_id")).filter(pl.col("claim_id").hash().is_in(hashes.implode()))
    exact = candidates.group_by("claim_id").len().filter((pl.col("len") > 1) & pl.col("claim_id").is_not_null())
    return exact.collect(engine="streaming")["claim_id"]


def code_pass(staged: pl.LazyFrame) -> Codes:
    """The codes of the staged rows."""
    names = sorted(LIST_FIELDS)
    distinct = [staged.select(_parts(name).drop_nulls().unique().alias("raw")) for name in names]
    null_parts = staged.select(_parts(name).null_count() for name in names)
    *found, nulls = pl.collect_all([*distinct, null_parts], engine="streaming")
    maps = {name: _code_map(name, codes) for name, codes in zip(names, found, strict=True)}
    clean = {name for name, null_count in zip(names, nulls.row(0), strict=True) if _clean(maps[name], null_count)}
    return Codes(code_maps=maps, clean_lists=frozenset(clean))


def _parts(name: str) -> pl.Expr:
    """Every part of a code list column, null lists taken as empty (so a null here is a null part): then the
    parts are the lists' own, not copied (`explode` copies them to give a null list its null)."""
    lists = pl.col(raw(name)).map_batches(empty_for_null, pl.List(pl.String), is_elementwise=True)
    return lists.explode(empty_as_null=False)


def _clean(code_map: pl.DataFrame, null_parts: int) -> bool:
    """Whether a code list can be kept as it is: no null parts, every distinct part a valid code in normal form."""
    if null_parts:
        return False
    return code_map.select(pl.col("normal").eq_missing(pl.col("raw")).all() & ~pl.col("invalid").any()).item()


def _code_map(name: str, codes: pl.DataFrame) -> pl.DataFrame:
    """Distinct raw codes with their normal form (null for a blank part) and whether that is invalid."""
    system = next(s.code for s in SPECS if s.name == name)
    diagnosis = system is not None and system.system == "diagnosis"
    normalise, valid = (
        (normalise_diagnosis_expr, is_diagnosis_expr) if diagnosis else (normalise_procedure_expr, is_procedure_expr)
    )
    normal = normalise(pl.col("raw"))
    with_normal = codes.with_columns(pl.when(normal != "").then(normal).alias("normal"))
    return with_normal.with_columns((~valid(pl.col("normal"))).fill_null(False).alias("invalid"))


def _missing_principal(principal: str) -> str:
    return f"__missing_{principal}"


def _invalid_code(name: str) -> str:
    return f"__invalid_{name}"


def _code_fields(name: str, codes: Codes) -> list[pl.Expr]:
    """The code list in normal form without blank parts; whether its principal (first) part is blank while others
    are not; whether any part is not a valid code. Each part is looked up in the map of distinct codes
    (blank parts map to null); a list of clean codes is kept as it is."""
    no_codes = pl.lit([], dtype=pl.List(pl.String))
    principal_missing, invalid = _missing_principal(CODE_PARTS[name][0]), _invalid_code(name)
    if name in codes.clean_lists:
        kept = pl.col(raw(name)).map_batches(empty_for_null, pl.List(pl.String), is_elementwise=True)
        return [kept.alias(name), pl.lit(False).alias(principal_missing), pl.lit(False).alias(invalid)]
    mapping = codes.code_maps[name]
    to_normal = {"old": mapping["raw"], "new": mapping["normal"], "default": None}
    normal = pl.col(raw(name)).list.eval(pl.element().replace_strict(**to_normal).drop_nulls()).fill_null(no_codes)
    principal = pl.col(raw(name)).list.first().replace_strict(**to_normal)
    to_invalid = {"old": mapping["raw"], "new": mapping["invalid"], "default": False}
    any_invalid = pl.col(raw(name)).list.eval(pl.element().replace_strict(**to_invalid)).list.any().fill_null(False)
    return [normal.alias(name), (principal.is_null() & (normal.list.len() > 0)).alias(principal_missing),
            any_invalid.alias(invalid)]  # fmt: skip


def _read_as_amount_text(spec: FieldSpec, source: pl.DataType) -> bool:
    """Whether a field is an amount given as text: read up front with its decimals check (`_text_amounts`)."""
    return spec.decimal_places is not None and source == pl.String


def _amount(name: str) -> str:
    """The column holding an amount read from text by `_text_amounts`."""
    return f"__amount_{name}"


def _excess_decimals(name: str) -> str:
    """The column holding an amount's decimals check, from `_text_amounts`."""
    return f"__excess_decimals_{name}"


def _text_amounts(staged: pl.DataFrame) -> list[pl.Series]:
    """Each amount given as text, read once with its decimals check (`money_from_text`), the columns in parallel
    (the compiled pass releases the GIL): the parse and the rule would each read it otherwise."""
    specs = [s for s in SPECS if _read_as_amount_text(s, staged.schema[raw(s.name)])]
    with ThreadPoolExecutor() as pool:
        read = pool.map(lambda spec: money_from_text(staged[raw(spec.name)], spec.decimal_places), specs)
        return [
            column.alias(name)
            for spec, (values, excess) in zip(specs, read, strict=True)
            for column, name in ((values, _amount(spec.name)), (excess, _excess_decimals(spec.name)))
        ]


def _parse_or_default(spec: FieldSpec, source: pl.DataType) -> pl.Expr:
    """The parsed value; the model's default where none is given (an unreadable value stays null)."""
    value = (
        pl.col(_amount(spec.name))
        if _read_as_amount_text(spec, source)
        else parse(pl.col(raw(spec.name)), spec, source)
    )
    if spec.default is None:
        return value
    return pl.when(present(pl.col(raw(spec.name)), source)).then(value).otherwise(pl.lit(spec.default, spec.dtype))


@dataclass(frozen=True)
class Checked:
    """The validated rows of one file (or batch)."""

    frame: pl.DataFrame
    """The non-blank rows: parsed fields, raw values, and the row's bad flag (true when any rule is violated)."""
    rules: list[Rule]
    total: int
    """Rows read, blank ones included."""
    blank: int


def checked_frame(raw_claims: RawClaims) -> Checked:
    """Validate the rows of `raw_claims` (a whole file or a piece of it), staged in memory once, by every rule but
    the duplicate-id rule (the caller's, across all its rows: `duplicate_ids`).

    Only the bad flag is computed for every row: which rules a rejected row breaks is asked again for the rejected
    rows alone (`Rule.violated`).
    """
    all_rows = _staged(raw_claims, _tidy_source(raw_claims)).collect()
    blank = all_rows[BLANK]
    # lazily: an eager filter copies columns chunked unalike into one chunk each
    staged = all_rows.lazy().filter(~pl.col(BLANK)).collect() if blank.any() else all_rows
    staged = staged.drop(BLANK)
    schema = staged.schema
    with ThreadPoolExecutor(max_workers=1) as pool:  # the code pass runs beside the parsing that needs none of it
        pending = pool.submit(code_pass, staged.lazy())
        scalars = (
            staged.lazy()
            .with_columns(_text_amounts(staged))
            .with_columns(
                _parse_or_default(spec, schema[raw(spec.name)]).alias(spec.name) for spec in SPECS if spec.code is None
            )
            .collect()
        )
        codes = pending.result()
    rules = claim_rules(schema)
    bad = pl.any_horizontal(rule.violated.fill_null(False) for rule in rules).alias(BAD)
    code_fields = (expr for name in LIST_FIELDS for expr in _code_fields(name, codes))
    frame = scalars.lazy().with_columns(code_fields).with_columns(bad).collect()
    return Checked(frame=frame, rules=rules, total=all_rows.height, blank=blank.sum())
