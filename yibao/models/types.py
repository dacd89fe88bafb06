"""Annotated field types shared by the models; their metadata also drives the bulk (polars) validation."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from yibao import codes

PRINCIPAL_MISSING = "缺少主要诊断或主要手术操作 principal code missing while others are given"


@dataclass(frozen=True)
class CodeKind:
    """Marks a string as a medical code of one system, for the bulk validator."""

    system: Literal["diagnosis", "procedure"]


def _diagnosis(code: str) -> str:
    normalised = codes.normalise_diagnosis(code)
    if not codes.is_diagnosis(normalised):
        raise ValueError("不是ICD-10医保版诊断编码 not an ICD-10 医保版 diagnosis code")
    return normalised


def _procedure(code: str) -> str:
    normalised = codes.normalise_procedure(code)
    if not codes.is_procedure(normalised):
        raise ValueError("不是ICD-9-CM-3医保版手术操作编码 not an ICD-9-CM-3 医保版 procedure code")
    return normalised


def _split_codes(value: object) -> object:
    """Accept `A|B` as well as a list; empty parts are dropped, but not an empty principal (first) code."""
    parts = value.split("|") if isinstance(value, str) else value
    if not isinstance(parts, list):
        return value
    stripped = [part.strip() if isinstance(part, str) else part for part in parts]
    kept = [part for part in stripped if part]
    if kept and not stripped[0]:
        raise ValueError(PRINCIPAL_MISSING)
    return kept


DiagnosisCode = Annotated[str, AfterValidator(_diagnosis), CodeKind("diagnosis")]
"""诊断编码 (ICD-10 医保版 2.0)."""

ProcedureCode = Annotated[str, AfterValidator(_procedure), CodeKind("procedure")]
"""手术及操作编码 (ICD-9-CM-3 医保版 2.0)."""

DiagnosisList = Annotated[list[DiagnosisCode], BeforeValidator(_split_codes)]
ProcedureList = Annotated[list[ProcedureCode], BeforeValidator(_split_codes)]

Money = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)]
"""An amount in 元, to the fen (two decimal places), never negative."""
