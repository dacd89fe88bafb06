"""A policy as a TOML document: the text a run keeps of a policy that exists only in memory (a what-if built in
Python), and the form in which two policies are compared key by key.

The document is the whole policy, defaults included, keys in the models' order, so equal policies give the same text
(and the same hash) and reading the text back gives the policy again. Decimals are TOML numbers where the number
reads back as written (`0.85`, `100`), else strings (`"2315.00"`, as policy files write money); levels are written
by their Chinese labels (三级), other codes by value.
"""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from enum import Enum, StrEnum
from pathlib import Path, PurePath
from typing import Any

import tomli_w

from yibao.errors import InputError
from yibao.settlement.policy import Policy

WHOLE = re.compile(r"-?\d+")


def _number(value: Decimal) -> int | float | str:
    """A decimal as TOML writes it exactly: an integer, a float that prints as the decimal does, else its text."""
    text = str(value)
    if WHOLE.fullmatch(text):
        return int(text)
    return float(value) if repr(float(value)) == text else text


def _plain(value: Any) -> Any:
    """A dumped model value as TOML values (no None: TOML has no null, so a field left empty is left out)."""
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, StrEnum) and hasattr(value, "label"):
        return value.label
    return value.value if isinstance(value, Enum) else value


def policy_document(policy: Policy) -> dict[str, Any]:
    """The whole policy as TOML values, defaults included, in the models' key order."""
    document = _plain(policy.model_dump(mode="python"))
    assert isinstance(document, dict)
    return document


def read_policy_text(text: str, folder: Path) -> Policy:
    """A policy from TOML text, its tables relative to `folder`."""
    return Policy.model_validate({**tomllib.loads(text), "folder": folder})


def _first_difference(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> str:
    """The dotted key of the first value that differs between two dumped models."""
    for key, value in old.items():
        if value != new.get(key):
            if isinstance(value, dict) and isinstance(new.get(key), dict):
                return _first_difference(value, new[key], f"{prefix}{key}.")
            return f"{prefix}{key}"
    return prefix.rstrip(".")


def policy_toml(policy: Policy) -> str:
    """The policy as TOML text that reads back as the same policy; a value TOML cannot hold (a key set to None
    where the default is not) is an InputError naming the key."""
    text = tomli_w.dumps(policy_document(policy))
    back = read_policy_text(text, policy.folder)
    if back != policy:
        key = _first_difference(policy.model_dump(), back.model_dump())
        raise InputError("policy", "cannot be written as TOML (None where the default is not?)", field=key)
    return text
