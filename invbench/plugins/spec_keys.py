"""Friendly messages for a task YAML that pydantic rejects: an unknown key gets "did you mean".

pydantic says only "Extra inputs are not permitted"; this finds the model the key sits in (by
walking the error's location through the spec's field types) and suggests its closest keys.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from invbench.contracts.task_spec import TaskSpec


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation can hold (through Optional, list, dict, unions)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def model_at(loc: Sequence[Any], root: type[BaseModel] = TaskSpec) -> type[BaseModel] | None:
    """The model that holds the key at the end of ``loc`` (None if the walk gets lost)."""
    model: type[BaseModel] | None = root
    for step in loc[:-1]:
        if model is None:
            return None
        if isinstance(step, str) and step in model.model_fields:
            found = _models_in(model.model_fields[step].annotation)
            if len(found) == 1 or not found:
                model = found[0] if found else None
                continue
            # a container key or union member name comes next; keep the candidates by name
            model = next((m for m in found if m.__name__ in map(str, loc)), found[0])
        # list indexes, dict keys and union member names keep the current model
    return model


def first_error(exc: ValidationError, root: type[BaseModel] = TaskSpec) -> str:
    """``field <where>: <what>``; an unknown key comes first and carries a suggestion."""
    errors = exc.errors()
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    *path, last = err["loc"] or ("",)
    # drop union member tags ("str", "MetricRef") that pydantic puts inside the location
    loc = [p for p in path if not (isinstance(p, str) and (p[:1].isupper() or p == "str"))]
    loc.append(last)
    where = ".".join(str(p) for p in loc) or "(top level)"
    if err["type"] != "extra_forbidden":
        return f"field {where}: {err['msg']}"
    model = model_at(err["loc"], root)
    known = list(model.model_fields) if model is not None else []
    key = str(err["loc"][-1])
    close = difflib.get_close_matches(key, known, n=2, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    accepted = f" (accepted here: {', '.join(known)})" if known else ""
    return f"field {where}: unknown key {key!r}{hint}{accepted}"
