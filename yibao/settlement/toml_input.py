"""Reading a TOML file into a pydantic model, with errors that name the file and the key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from yibao.errors import InputError

Model = TypeVar("Model", bound=BaseModel)


def read_toml(path: Path, what: str = "file") -> dict[str, Any]:
    """A TOML file's contents; a missing or malformed file is an InputError (`what` names it: "policy file")."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise InputError(path, f"no such {what}") from error
    except tomllib.TOMLDecodeError as error:
        raise InputError(path, f"not valid TOML: {error}") from error


def validated(model: type[Model], data: dict[str, Any], source: Path | str, prefix: tuple[str, ...] = ()) -> Model:
    """`data` as `model`; the first error becomes an InputError naming the dotted key (after `prefix`)."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join((*prefix, *(str(part) for part in first["loc"]))) or "(top level)"
        more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
        raise InputError(source, f"{first['msg']}{more}", field=key) from error
