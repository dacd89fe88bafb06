"""docs/policy-reference.md lists every key of the policy models, as the models have them now, and nothing else;
its TOML examples are valid policy sections."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from decimal import Decimal
from types import ModuleType
from typing import Literal

import pytest
from pydantic import BaseModel, Field, TypeAdapter

from tests.conftest import REPO
from yibao.models.enums import Level
from yibao.settlement.policy import Policy

DOC = REPO / "docs" / "policy-reference.md"
TOML_BLOCK = re.compile(r"^```toml\n(.*?)^```", re.S | re.M)
KEY_CELL = re.compile(r"^\| `(\w+)` \|", re.M)


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("policy_reference", REPO / "scripts" / "policy_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATOR = _generator()
TEXT = DOC.read_text(encoding="utf-8")
FIX = "run `python scripts/policy_reference.py` and review the prose around the table"


def test_every_model_of_a_policy_file_has_one_table() -> None:
    documented, generated = GENERATOR.documented(TEXT), GENERATOR.blocks()
    assert sorted(set(generated) - set(documented)) == [], "models without a table in policy-reference.md"
    assert sorted(set(documented) - set(generated)) == [], "tables of models a policy file no longer has"
    assert len(re.findall(r"<!-- fields: ", TEXT)) == len(generated), "a model has two tables"


@pytest.mark.parametrize("name", sorted(GENERATOR.blocks()))
def test_each_table_is_the_models_now(name: str) -> None:
    assert GENERATOR.documented(TEXT)[name] == GENERATOR.blocks()[name], FIX


def test_each_table_lists_exactly_its_models_keys() -> None:
    """Read back from the page, independently of how the tables are drawn."""
    tables = GENERATOR.documented(TEXT)
    models = GENERATOR.sections()
    assert Policy in models and len(models) >= 20
    for model in models:
        keys = [name for name, field in model.model_fields.items() if not field.exclude]
        assert KEY_CELL.findall(tables[model.__name__]) == keys, model.__name__


class _Toy(BaseModel):
    ratio: Decimal = Field(Decimal("0.9"), ge=0, le=1, description="a share")
    amount: Decimal = Field(gt=0, decimal_places=2, description="元 | fen")
    levels: list[Level] = Field(default_factory=lambda: [Level.TOWNSHIP], description="levels")
    mode: Literal["a", "b"] | None = Field(None, description="mode")


def test_a_table_shows_type_default_constraints_and_meaning() -> None:
    rows = GENERATOR.table(_Toy, ["toy"]).splitlines()
    assert rows[1] == "Keys of `toy`:"
    assert rows[5:9] == [
        "| `ratio` | number | `0.9` | ≥ 0, ≤ 1 | a share |",
        "| `amount` | number | required | > 0, at most 2 decimals | 元 \\| fen |",
        '| `levels` | list of level | `["基层"]` |  | levels |',
        '| `mode` | `"a"` or `"b"` | — (absent) |  | mode |',
    ]


def test_a_key_without_a_description_is_refused() -> None:
    class Bare(BaseModel):
        days: int = 15

    with pytest.raises(ValueError, match=r"Bare\.days has no description"):
        GENERATOR.table(Bare, ["bare"])


def _examples() -> list[str]:
    return TOML_BLOCK.findall(TEXT)


@pytest.mark.parametrize("example", _examples(), ids=[f"toml#{i + 1}" for i in range(len(_examples()))])
def test_each_toml_example_is_a_valid_policy_or_section(example: str) -> None:
    data = tomllib.loads(example)
    if "name" in data:
        policy = Policy.model_validate({**data, "folder": DOC.parent})
        assert policy.alliance_budget is not None and policy.reimbursement is not None
        return
    assert data and set(data) <= set(Policy.model_fields), f"not policy sections: {sorted(data)}"
    for section, value in data.items():
        TypeAdapter(Policy.model_fields[section].annotation).validate_python(value)
