"""The field tables of docs/policy-reference.md, generated from the policy models.

    python scripts/policy_reference.py          rewrite the tables in docs/policy-reference.md
    python scripts/policy_reference.py --check  exit 1 when they differ from the models

Each model of a policy file (`yibao.settlement.policy.Policy` and every section under it) has one table — key,
type, default, constraints, meaning (the field's description) — between the markers
`<!-- fields: Model -->` and `<!-- /fields -->`; the prose around them is written by hand.
`tests/test_policy_reference.py` fails when a table is missing, extra or out of date.
"""

from __future__ import annotations

import argparse
import re
import sys
import types
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from yibao.models.enums import DischargeMode, Level
from yibao.settlement.assessment_policy import Indicator
from yibao.settlement.policy import Policy

DOC = Path(__file__).resolve().parents[1] / "docs" / "policy-reference.md"
BLOCK = re.compile(r"<!-- fields: (\w+) -->.*?<!-- /fields -->", re.S)
HEADER = "| key | type | default | constraints | meaning |\n|---|---|---|---|---|"
NAMED_TYPES: dict[Any, str] = {
    Decimal: "number",
    int: "integer",
    str: "text",
    bool: "true / false",
    Path: "file (relative to the policy file)",
    Level: "level",
    DischargeMode: "离院方式 code",
    Indicator: "indicator",
}


def _options(annotation: Any) -> list[Any]:
    """The alternatives of a union (`X | None`, `Literal[...] | Decimal`), or the annotation itself."""
    if get_origin(annotation) in (Union, types.UnionType):
        return list(get_args(annotation))
    return [annotation]


def _models(annotation: Any) -> list[tuple[type[BaseModel], str]]:
    """The models inside a field's type, each with how its path continues: '' (a table), '[]' (each entry of a
    list) or '.<key>' (each value of a table)."""
    found = []
    for option in _options(annotation):
        origin, args = get_origin(option), get_args(option)
        if isinstance(option, type) and issubclass(option, BaseModel):
            found.append((option, ""))
        elif origin is list and isinstance(args[0], type) and issubclass(args[0], BaseModel):
            found.append((args[0], "[]"))
        elif origin is dict and isinstance(args[1], type) and issubclass(args[1], BaseModel):
            found.append((args[1], f".<{NAMED_TYPES.get(args[0], 'key')}>"))
    return found


def sections() -> dict[type[BaseModel], list[str]]:
    """Every model of a policy file, in the order of the fields, with the TOML paths where it appears."""
    paths: dict[type[BaseModel], list[str]] = {Policy: [""]}
    pending = [(Policy, "")]
    while pending:
        model, path = pending.pop(0)
        for name, field in model.model_fields.items():
            if field.exclude:
                continue
            for inner, suffix in _models(field.annotation):
                child = f"{path}.{name}{suffix}".lstrip(".")
                if child not in paths.setdefault(inner, []):
                    paths[inner].append(child)
                    pending.append((inner, child))
    return paths


def _type(annotation: Any) -> str:
    if annotation in NAMED_TYPES:
        return NAMED_TYPES[annotation]
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return " or ".join(f'`"{a}"`' for a in args)
    if origin in (Union, types.UnionType):
        return " or ".join(_type(a) for a in args if a is not type(None))
    if origin is list:
        inner = _type(args[0])
        return "list of tables" if inner == "table" else f"list of {inner}"
    if origin is tuple:
        return "[" + ", ".join(_type(a) for a in args) + "]"
    if origin is dict:
        return f"table: {_type(args[0])} → {_type(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    raise TypeError(f"no name for the type {annotation!r}")


def toml(value: Any) -> str:
    """A default value as it would be written in the policy file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Level):
        return f'"{value.label}"'
    if isinstance(value, Enum) and isinstance(value.value, int):
        return str(value.value)
    if isinstance(value, Enum | str):
        return f'"{value.value if isinstance(value, Enum) else value}"'
    if isinstance(value, Decimal | int):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    if isinstance(value, BaseModel):
        shown = {k: getattr(value, k) for k in type(value).model_fields if k in value.model_fields_set}
        return toml({k: v for k, v in shown.items() if v is not None})
    if isinstance(value, dict):
        items = [f"{_key(k)} = {toml(v)}" for k, v in value.items()]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    raise TypeError(f"no TOML form for the default {value!r}")


def _key(key: Any) -> str:
    text = key.label if isinstance(key, Level) else str(key.value if isinstance(key, Enum) else key)
    return text if re.fullmatch(r"[A-Za-z0-9_-]+", text) else f'"{text}"'


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    value = field.default_factory() if field.default_factory is not None else field.default  # type: ignore[call-arg]
    if value is None:
        return "— (absent)"
    if isinstance(value, BaseModel) and _models(field.annotation):
        return "its keys' defaults"
    return f"`{toml(value)}`"


def _constraint(item: Any) -> str | None:
    """One constraint of a field's metadata in words (None: not a constraint this page shows)."""
    match item:
        case at.Gt(gt=bound):
            return f"> {bound}"
        case at.Ge(ge=bound):
            return f"≥ {bound}"
        case at.Lt(lt=bound):
            return f"< {bound}"
        case at.Le(le=bound):
            return f"≤ {bound}"
        case at.MinLen(min_length=length):
            return f"at least {length} long"
        case at.MaxLen(max_length=length):
            return f"at most {length} long"
    places = getattr(item, "decimal_places", None)
    return None if places is None else f"at most {places} decimals"


def _constraints(field: FieldInfo) -> str:
    return ", ".join(text for text in map(_constraint, field.metadata) if text)


def table(model: type[BaseModel], paths: list[str]) -> str:
    """The marked block of one model: where it appears, and one row per key."""
    where = "the top level of the file" if paths == [""] else ", ".join(f"`{p}`" for p in paths)
    rows = []
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        if not field.description:
            raise ValueError(f"{model.__name__}.{name} has no description")
        cells = [f"`{name}`", _type(field.annotation), _default(field), _constraints(field), field.description]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return f"<!-- fields: {model.__name__} -->\nKeys of {where}:\n\n{HEADER}\n" + "\n".join(rows) + "\n\n<!-- /fields -->"


def blocks() -> dict[str, str]:
    """Model name → its generated block."""
    return {model.__name__: table(model, paths) for model, paths in sections().items()}


def documented(text: str) -> dict[str, str]:
    """Model name → the block as the document has it."""
    return {match.group(1): match.group(0) for match in BLOCK.finditer(text)}


def updated(text: str) -> str:
    """The document with every generated block replaced by the models' current one (blocks of models that no longer
    exist are left for the test to report)."""
    current = blocks()
    return BLOCK.sub(lambda m: current.get(m.group(1), m.group(0)), text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the document's tables are out of date")
    check = parser.parse_args().check
    text = DOC.read_text(encoding="utf-8")
    new = updated(text)
    missing = sorted(set(blocks()) - set(documented(new)))
    extra = sorted(set(documented(new)) - set(blocks()))
    for name in missing:
        print(f"{DOC.name}: no table for {name}; add a line `<!-- fields: {name} --><!-- /fields -->` where it goes")
    for name in extra:
        print(f"{DOC.name}: the table for {name} has no model any more")
    if check:
        return int(new != text or bool(missing or extra))
    DOC.write_text(new, encoding="utf-8")
    return int(bool(missing or extra))


if __name__ == "__main__":
    sys.exit(main())
