"""Load a ruleset directory and validate it completely before anything groups with it.

Every problem is reported with its file, row (the line in the CSV file, the header being row 1) and reason; a
ruleset with any problem is refused as a whole. A loaded ruleset carries the SHA-256 of its tables' bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl

from yibao.codes import is_diagnosis_expr, is_procedure_expr
from yibao.errors import YibaoError
from yibao.rules.tables import TABLE_COLUMNS

ROW = "row"
LIST_PREDICATES = {
    "pdx_in_list": "diagnosis",
    "any_dx_in_list": "diagnosis",
    "pproc_in_list": "procedure",
    "any_proc_in_list": "procedure",
    "proc_tag_combo": "procedure",
    "trauma_regions_at_least": "diagnosis",
}
"""Predicates that name one of the owner's lists, and which kind of list."""
ARG_PREDICATES = {
    "age_days_max",
    "age_years_is",
    "sex_is",
    "birth_weight_below",
    "birth_weight_at_least",
    "trauma_regions_at_least",
}
"""Predicates that take a whole-number argument."""
PREDICATES = set(LIST_PREDICATES) | ARG_PREDICATES | {"pproc_is_or", "no_or_proc"}
SPLITS = {"always", "mcc", "mcc_or_cc"}
LEVELS = {"CC", "MCC"}
DIAGNOSIS_TABLES = ("mdc_diagnoses", "adrg_diagnoses", "complications", "principal_exclusions", "diagnosis_names")
PROCEDURE_TABLES = ("adrg_procedures", "or_procedures", "procedure_names")
MAX_REPORTED = 20


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a ruleset."""

    file: str
    row: int | None
    reason: str

    def __str__(self) -> str:
        return f"{self.file}" + (f", row {self.row}" if self.row is not None else "") + f": {self.reason}"


class RulesetError(YibaoError):
    """A ruleset directory that cannot be used; lists its problems."""

    def __init__(self, source: Path, problems: list[Problem]) -> None:
        shown = "\n".join(f"  {p}" for p in problems[:MAX_REPORTED])
        more = f"\n  … and {len(problems) - MAX_REPORTED} more" if len(problems) > MAX_REPORTED else ""
        super().__init__(f"ruleset {source} has {len(problems)} problem(s):\n{shown}{more}")
        self.source, self.problems = source, problems


@dataclass(frozen=True, eq=False)
class RulesetTables:
    """A validated ruleset: one frame per table (text columns, `row` = line in the file), and its content hash.

    Compared and hashed by identity: `load_ruleset` gives one object per directory and content."""

    source: Path
    content_hash: str
    tables: dict[str, pl.DataFrame]

    def __getitem__(self, name: str) -> pl.DataFrame:
        return self.tables[name]


def content_hash(directory: Path) -> str:
    """SHA-256 over every table's name and bytes, in a fixed order."""
    digest = hashlib.sha256()
    for name in TABLE_COLUMNS:
        digest.update(name.encode() + b"\0" + (directory / name).read_bytes() + b"\0")
    return digest.hexdigest()


def _read(directory: Path) -> tuple[dict[str, pl.DataFrame], list[Problem]]:
    tables, problems = {}, []
    for name, columns in TABLE_COLUMNS.items():
        path = directory / name
        if not path.is_file():
            problems.append(Problem(name, None, "file missing"))
            continue
        try:
            frame = pl.read_csv(path, infer_schema=False, encoding="utf8")
        except pl.exceptions.PolarsError:
            problems.append(Problem(name, None, "not a readable UTF-8 CSV file"))
            continue
        if frame.columns != columns:
            problems.append(Problem(name, 1, f"columns are {frame.columns}, expected {columns}"))
            continue
        tables[name.removesuffix(".csv")] = frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))
    return tables, problems


def _rows(file: str, frame: pl.DataFrame, reason: str) -> list[Problem]:
    return [Problem(f"{file}.csv", row, reason) for row in frame[ROW].to_list()]


def _required(t: dict[str, pl.DataFrame]) -> list[Problem]:
    """Key columns must be filled in every row."""
    keys = {
        "mdc": ["mdc", "order"], "mdc_conditions": ["mdc", "seq", "predicate"], "mdc_diagnoses": ["mdc", "code"],
        "adrg": ["adrg", "mdc", "order"], "adrg_conditions": ["adrg", "seq", "predicate"],
        "adrg_diagnoses": ["adrg", "list", "code"], "adrg_procedures": ["adrg", "list", "code"],
        "adrg_procedure_combos": ["adrg", "alternative", "tag"], "drg": ["drg", "adrg", "order", "split"],
        "complications": ["code", "level", "exclusion_table"], "principal_exclusions": ["code", "exclusion_table"],
        "or_procedures": ["code"], "diagnosis_names": ["code"], "procedure_names": ["code"],
    }  # fmt: skip
    return [
        problem
        for table, columns in keys.items()
        for column in columns
        for problem in _rows(table, t[table].filter(pl.col(column).is_null()), f"{column} is empty")
    ]


def _whole_numbers(t: dict[str, pl.DataFrame]) -> list[Problem]:
    numbered = {"mdc": "order", "adrg": "order", "drg": "order", "mdc_conditions": "seq", "adrg_conditions": "seq"}
    problems = []
    for table, column in numbered.items():
        bad = t[table].filter(pl.col(column).is_not_null() & pl.col(column).cast(pl.Int64, strict=False).is_null())
        problems += _rows(table, bad, f"{column} is not a whole number")
    return problems


def _unique(t: dict[str, pl.DataFrame]) -> list[Problem]:
    keys = {
        "mdc": [["mdc"], ["order"]], "adrg": [["adrg"], ["mdc", "order"]], "drg": [["drg"], ["adrg", "order"]],
        "mdc_conditions": [["mdc", "seq"]], "adrg_conditions": [["adrg", "seq"]],
    }  # fmt: skip
    problems = []
    for table, key_sets in keys.items():
        for key in key_sets:
            repeated = t[table].filter(pl.struct(key).is_duplicated() & pl.all_horizontal(pl.col(key).is_not_null()))
            problems += _rows(table, repeated, f"duplicate {'/'.join(key)}")
    return problems


def _references(t: dict[str, pl.DataFrame]) -> list[Problem]:
    mdcs, adrgs = t["mdc"]["mdc"], t["adrg"]["adrg"]
    checks = [
        ("adrg", "mdc", mdcs, "MDC"), ("mdc_conditions", "mdc", mdcs, "MDC"), ("mdc_diagnoses", "mdc", mdcs, "MDC"),
        ("drg", "adrg", adrgs, "ADRG"), ("adrg_conditions", "adrg", adrgs, "ADRG"),
        ("adrg_diagnoses", "adrg", adrgs, "ADRG"), ("adrg_procedures", "adrg", adrgs, "ADRG"),
        ("adrg_procedure_combos", "adrg", adrgs, "ADRG"),
    ]  # fmt: skip
    problems = []
    for table, column, known, kind in checks:
        unknown = t[table].filter(pl.col(column).is_not_null() & ~pl.col(column).is_in(known.implode()))
        problems += [
            Problem(f"{table}.csv", r, f"{column} {v} is not a known {kind}")
            for r, v in unknown[[ROW, column]].iter_rows()
        ]
    return problems


def _vocabulary(t: dict[str, pl.DataFrame]) -> list[Problem]:
    problems = []
    for table in ("mdc_conditions", "adrg_conditions"):
        frame = t[table]
        unknown = frame.filter(pl.col("predicate").is_not_null() & ~pl.col("predicate").is_in(PREDICATES))
        problems += [
            Problem(f"{table}.csv", r, f"unknown predicate {p!r}") for r, p in unknown[[ROW, "predicate"]].iter_rows()
        ]
        wants_list = pl.col("predicate").is_in(list(LIST_PREDICATES))
        problems += _rows(table, frame.filter(wants_list & pl.col("list").is_null()), "predicate needs a list")
        problems += _rows(table, frame.filter(~wants_list & pl.col("list").is_not_null()), "predicate takes no list")
        wants_arg = pl.col("predicate").is_in(list(ARG_PREDICATES))
        bad_arg = wants_arg & pl.col("arg").cast(pl.Int64, strict=False).is_null()
        problems += _rows(table, frame.filter(bad_arg), "predicate needs a whole-number arg")
        problems += _rows(table, frame.filter(~wants_arg & pl.col("arg").is_not_null()), "predicate takes no arg")
    bad_split = t["drg"].filter(pl.col("split").is_not_null() & ~pl.col("split").is_in(SPLITS))
    problems += [Problem("drg.csv", r, f"unknown split {s!r}") for r, s in bad_split[[ROW, "split"]].iter_rows()]
    bad_level = t["complications"].filter(pl.col("level").is_not_null() & ~pl.col("level").is_in(LEVELS))
    problems += [
        Problem("complications.csv", r, f"unknown level {v!r}") for r, v in bad_level[[ROW, "level"]].iter_rows()
    ]
    return problems


def _lists_exist(t: dict[str, pl.DataFrame]) -> list[Problem]:
    """A condition's list must exist for its owner: an MDC's `mdc` list, an ADRG's diagnosis or procedure list."""
    problems = []
    mdc_lists = t["mdc_diagnoses"].select("mdc").unique()
    listed = t["mdc_conditions"].filter(pl.col("list").is_not_null())
    missing = listed.filter((pl.col("list") != "mdc") | ~pl.col("mdc").is_in(mdc_lists["mdc"].implode()))
    problems += _rows("mdc_conditions", missing, "names a list its MDC does not have (an MDC has one list, `mdc`)")
    lists = {
        "diagnosis": t["adrg_diagnoses"].select("adrg", "list").unique(),
        "procedure": t["adrg_procedures"].select("adrg", "list").unique(),
    }
    conditions = t["adrg_conditions"].filter(pl.col("list").is_not_null())
    for kind, known in lists.items():
        predicates = [p for p, k in LIST_PREDICATES.items() if k == kind]
        wanted = conditions.filter(pl.col("predicate").is_in(predicates))
        absent = wanted.join(known, on=["adrg", "list"], how="anti")
        problems += _rows("adrg_conditions", absent, f"names a {kind} list its ADRG does not have")
    combos = conditions.filter(pl.col("predicate") == "proc_tag_combo")
    no_alternatives = combos.join(t["adrg_procedure_combos"].select("adrg").unique(), on="adrg", how="anti")
    problems += _rows("adrg_conditions", no_alternatives, "proc_tag_combo without alternatives")
    tags = t["adrg_procedures"].filter(pl.col("tag").is_not_null()).select("adrg", "tag").unique()
    untagged = t["adrg_procedure_combos"].join(tags, on=["adrg", "tag"], how="anti")
    problems += _rows("adrg_procedure_combos", untagged, "tag that no procedure of the ADRG carries")
    trauma = t["mdc_conditions"].filter(pl.col("predicate") == "trauma_regions_at_least")["mdc"]
    no_region = t["mdc_diagnoses"].filter(pl.col("mdc").is_in(trauma.implode()) & pl.col("trauma_region").is_null())
    problems += _rows("mdc_diagnoses", no_region, "code of a multiple-trauma MDC without a trauma_region")
    return problems


def _codes(t: dict[str, pl.DataFrame]) -> list[Problem]:
    problems = []
    for tables, valid, kind in (
        (DIAGNOSIS_TABLES, is_diagnosis_expr, "diagnosis"),
        (PROCEDURE_TABLES, is_procedure_expr, "procedure"),
    ):
        for table in tables:
            bad = t[table].filter(pl.col("code").is_not_null() & ~valid(pl.col("code")))
            problems += [
                Problem(f"{table}.csv", r, f"{c!r} is not a {kind} code") for r, c in bad[[ROW, "code"]].iter_rows()
            ]
    return problems


def _validate(tables: dict[str, pl.DataFrame]) -> list[Problem]:
    checks = (_required, _whole_numbers, _unique, _references, _vocabulary, _lists_exist, _codes)
    return [problem for check in checks for problem in check(tables)]


@cache
def _load(directory: Path, digest: str) -> RulesetTables:
    tables, problems = _read(directory)
    if not problems:
        problems = _validate(tables)
    if problems:
        raise RulesetError(directory, problems)
    return RulesetTables(source=directory, content_hash=digest, tables=tables)


def load_ruleset(directory: Path | str) -> RulesetTables:
    """Read and validate a ruleset directory; the same content is loaded once per process (cached by hash)."""
    directory = Path(directory).resolve()
    if not directory.is_dir():
        raise RulesetError(directory, [Problem(str(directory), None, "not a directory")])
    missing = [Problem(name, None, "file missing") for name in TABLE_COLUMNS if not (directory / name).is_file()]
    if missing:
        raise RulesetError(directory, missing)
    return _load(directory, content_hash(directory))
