"""Derive the polars schema and per-field rules from a pydantic model: the one source of truth for both paths."""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum, IntEnum
from functools import cache
from typing import Any

import annotated_types
import polars as pl
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from yibao.models.types import CodeKind

MONEY_DTYPE = pl.Decimal(18, 2)


@dataclass(frozen=True)
class FieldSpec:
    """What the bulk path needs to know about one model field."""

    name: str
    dtype: pl.DataType
    required: bool
    default: Any
    description: str
    ge: float | None = None
    le: float | None = None
    min_len: int | None = None
    max_len: int | None = None
    decimal_places: int | None = None
    max_digits: int | None = None
    pattern: str | None = None
    enum: type[Enum] | None = None
    code: CodeKind | None = None


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _code_kind(annotation: Any) -> CodeKind | None:
    for meta in getattr(annotation, "__metadata__", ()):
        if isinstance(meta, CodeKind):
            return meta
    return None


def _dtype(annotation: Any) -> tuple[pl.DataType, type[Enum] | None, CodeKind | None]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _dtype(typing.get_args(annotation)[0])
    if origin is list:
        (item,) = typing.get_args(annotation)
        inner, _, _ = _dtype(item)
        return pl.List(inner), None, _code_kind(item)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return (pl.Int64() if issubclass(annotation, IntEnum) else pl.String()), annotation, None
    simple: dict[Any, pl.DataType] = {
        str: pl.String(),
        int: pl.Int64(),
        float: pl.Float64(),
        bool: pl.Boolean(),
        date: pl.Date(),
        Decimal: MONEY_DTYPE,
    }
    if annotation in simple:
        return simple[annotation], None, None
    raise TypeError(f"no polars type for {annotation!r}")


def _spec(name: str, info: FieldInfo) -> FieldSpec:
    annotation, optional = _strip_optional(info.annotation)
    dtype, enum, code = _dtype(annotation)
    bounds: dict[str, Any] = {}
    for meta in info.metadata:
        if isinstance(meta, annotated_types.Ge):
            bounds["ge"] = meta.ge
        elif isinstance(meta, annotated_types.Le):
            bounds["le"] = meta.le
        elif isinstance(meta, annotated_types.MinLen):
            bounds["min_len"] = meta.min_length
        elif isinstance(meta, annotated_types.MaxLen):
            bounds["max_len"] = meta.max_length
        else:
            for key in ("decimal_places", "max_digits", "pattern"):
                if getattr(meta, key, None) is not None:
                    bounds[key] = getattr(meta, key)
    default = None if info.is_required() else info.get_default(call_default_factory=True)
    if isinstance(default, Enum):
        default = default.value
    return FieldSpec(
        name=name,
        dtype=dtype,
        required=info.is_required() and not optional,
        default=default,
        description=info.description or "",
        enum=enum,
        code=code,
        **bounds,
    )


@cache
def field_specs(model: type[BaseModel]) -> tuple[FieldSpec, ...]:
    """The model's fields in declaration order, with their polars types and constraints."""
    return tuple(_spec(name, info) for name, info in model.model_fields.items())


def polars_schema(model: type[BaseModel]) -> pl.Schema:
    """The polars schema of a frame of these models, columns named as the model's fields."""
    return pl.Schema({spec.name: spec.dtype for spec in field_specs(model)})


def to_frame(records: typing.Sequence[BaseModel]) -> pl.DataFrame:
    """Models as a polars frame with the derived schema."""
    if not records:
        raise ValueError("no records")
    model = type(records[0])
    rows = [record.model_dump() for record in records]
    return pl.DataFrame(rows, schema=polars_schema(model), orient="row")
