"""Reading JSON files into pydantic models, with one-line errors that name the file and field.

Every file invbench reads back (run records and manifests, target-set and mini-zoo manifests)
is validated against its model on the way in. A problem is reported as one line a user can act
on, e.g. ``runs/x/records.jsonl line 12: field 'seed': expected an integer, got 'one'``, never
as pydantic's multi-line report or a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from invbench.contracts.errors import InvbenchError

M = TypeVar("M", bound=BaseModel)

# pydantic's wording ("Input should be a valid integer") reworded as what the field expects
_EXPECTED = {
    "missing": "missing (required)",
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "int_from_float": "expected an integer",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "string_type": "expected a string",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "dict_type": "expected an object",
    "model_type": "expected an object",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
}


class Versioned(BaseModel):
    """A model stored in a file with a ``schema`` number (absent in a file: 1).

    A reader accepts every schema up to its own ``SCHEMA`` and refuses a newer one with an
    "upgrade invbench" message. Unknown fields are kept (``extra="allow"``): a later invbench
    may add optional fields without a new schema number, and an older one still reads the file.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    SCHEMA: ClassVar[int] = 1

    schema_version: int = Field(1, alias="schema", ge=1,
                                description="Schema number of this file's format.")

    @field_validator("schema_version")
    @classmethod
    def _known_schema(cls, value: int) -> int:
        if value > cls.SCHEMA:
            raise ValueError(f"schema {value} was written by a newer invbench; this one reads "
                             f"schema {cls.SCHEMA} and older (upgrade invbench)")
        return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def validation_line(exc: ValidationError) -> str:
    """The first problem of ``exc`` as ``field 'a.b': expected ..., got ...`` (+ how many more)."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    kind = first["type"]
    if kind in _EXPECTED:
        what = _EXPECTED[kind]
    else:
        what = first["msg"].removeprefix("Value error, ").replace("Input should be", "expected")
    if kind != "missing" and not isinstance(first.get("input"), (dict, list)):
        what += f", got {_short(first.get('input'))}"
    more = len(errors) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"field {where!r}: {what}{tail}"


def validate_as(model: type[M], data: Any, where: str,
                error: type[InvbenchError] = InvbenchError) -> M:
    """``model.model_validate(data)``; a failure is ``error("<where>: field ...")``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error(f"{where}: {validation_line(exc)}") from None


def read_json_model(path: Path, model: type[M],
                    error: type[InvbenchError] = InvbenchError) -> M:
    """The JSON file ``path`` as ``model``; unreadable or invalid is a one-line ``error``."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise error(f"{path} is not valid JSON: {exc}") from None
    return validate_as(model, data, str(path), error)
