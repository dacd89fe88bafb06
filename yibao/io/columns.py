"""Column names: canonical snake_case fields plus Chinese and hospital-system aliases, from a mapping table.

`column_aliases.csv` beside this module is the table: `field,alias,numbered`. A numbered alias takes a number
after it (其他诊断代码1, 其他诊断代码2 …). Besides the model's fields, a few input-only fields exist: the identity
fields (hashed or dropped at once) and the parts a code list may be assembled from.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path

import polars as pl

from yibao.errors import InputError
from yibao.models import Claim
from yibao.models.claim import RAW_IDENTITY_FIELDS

CODE_PARTS: dict[str, tuple[str, str]] = {
    "diagnoses": ("principal_diagnosis", "other_diagnoses"),
    "procedures": ("principal_procedure", "other_procedures"),
}
"""Each code list and the (principal, others) columns it can be assembled from."""

INPUT_ONLY_FIELDS = (*RAW_IDENTITY_FIELDS, *(part for parts in CODE_PARTS.values() for part in parts))
_NUMBERED_RE = re.compile(r"^(.*?)(\d+)$")
_REPEATED_RE = re.compile(r"^(.*)_duplicated_\d+$")
"""How polars renames a header that occurs twice."""


def normalise_header(header: str) -> str:
    """Full-width to half-width, no BOM or spaces around, English lower case, inner spaces as `_`."""
    header = unicodedata.normalize("NFKC", header).replace("\ufeff", "").strip()
    return re.sub(r"[\s\-]+", "_", header).lower()


@dataclass(frozen=True)
class AliasTable:
    """Aliases by normalised spelling: plain ones and numbered prefixes."""

    plain: dict[str, str]
    numbered: dict[str, str]


@cache
def alias_table() -> AliasTable:
    """The packaged alias table, plus every known field under its own name."""
    text = files("yibao.io").joinpath("column_aliases.csv").read_text(encoding="utf-8")
    table = pl.read_csv(text.encode(), schema={"field": pl.String, "alias": pl.String, "numbered": pl.Int8})
    known = set(Claim.model_fields) | set(INPUT_ONLY_FIELDS)
    unknown = set(table["field"]) - known
    if unknown:
        raise ValueError(f"column_aliases.csv names unknown fields: {sorted(unknown)}")
    plain = {name: name for name in known}
    numbered: dict[str, str] = {}
    for fld, alias, is_numbered in table.iter_rows():
        (numbered if is_numbered else plain)[normalise_header(alias)] = fld
    return AliasTable(plain=plain, numbered=numbered)


@dataclass
class ColumnMap:
    """How a file's headers map to fields: one header per field, or numbered headers in order."""

    single: dict[str, str] = field(default_factory=dict)
    numbered: dict[str, list[str]] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)


def map_columns(headers: Iterable[str], source: Path | str) -> ColumnMap:
    """Map a file's headers to fields; two headers for one field is an error naming both."""
    aliases = alias_table()
    mapping = ColumnMap()
    numbered: dict[str, list[tuple[int, str]]] = {}
    for header in headers:
        repeated = _REPEATED_RE.match(header)
        if repeated and normalise_header(repeated.group(1)) in aliases.plain:
            raise InputError(source, f"column {repeated.group(1)!r} appears more than once")
        key = normalise_header(header)
        target = aliases.plain.get(key)
        if target is not None:
            if target in mapping.single:
                raise InputError(source, f"columns {mapping.single[target]!r} and {header!r} both mean {target}")
            mapping.single[target] = header
            continue
        match = _NUMBERED_RE.match(key)
        if match and match.group(1) in aliases.numbered:
            numbered.setdefault(aliases.numbered[match.group(1)], []).append((int(match.group(2)), header))
        else:
            mapping.ignored.append(header)
    mapping.numbered = {fld: [h for _, h in sorted(cols)] for fld, cols in numbered.items()}
    return mapping
