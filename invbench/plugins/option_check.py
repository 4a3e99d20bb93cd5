"""A task's options for its metrics, forward model and judges, checked against each factory's
signature before anything is built, so a typo (``normalise`` for ``normalize``) is one line with
"did you mean" instead of a ``TypeError`` traceback.

A factory that takes ``**kwargs`` accepts any option (it checks its own); a signature that cannot
be read (a C extension) is not checked. Model factories are called as
``factory(**options, device=device)``, so ``device`` is the harness's to set, never an option.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from invbench.contracts.errors import InvbenchError
from invbench.contracts.task_spec import TaskSpec
from invbench.plugins.catalog import METRICS, MODELS


def accepted_options(factory: Callable[..., Any]) -> list[str] | None:
    """The keyword options ``factory`` takes, or None when it takes any (``**kwargs``)."""
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # no readable signature: let the factory judge
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return [p.name for p in params
            if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]


def check_options(where: str, kind: str, name: str, factory: Callable[..., Any],
                  options: Mapping[str, Any], reserved: tuple[str, ...] = ()) -> None:
    """Raise a one-line error naming ``where`` (the task), the ``kind`` and ``name``, the first
    unknown option with its closest accepted ones, and every accepted option."""
    taken = [key for key in options if key in reserved]
    if taken:
        raise InvbenchError(f"{where}: {kind} {name!r} option {taken[0]!r} is set by invbench "
                            "(for the device, use --device)")
    accepted = accepted_options(factory)
    if accepted is None:
        return
    accepted = [a for a in accepted if a not in reserved]
    for key in options:
        if key not in accepted:
            close = difflib.get_close_matches(key, [*accepted, *reserved], n=2, cutoff=0.6)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            if set(close) & set(reserved):
                hint += " (the device is set by --device, not in options)"
            raise InvbenchError(f"{where}: {kind} {name!r} has no option {key!r}{hint} "
                                f"(accepted: {', '.join(accepted) or 'none'})")


def check_task_options(spec: TaskSpec, source: str | None = None) -> None:
    """Every option ``spec`` gives its forward model, judges and metrics is one they take.
    Unknown metric or model names raise the registries' "did you mean" error."""
    where = f"task {spec.key}" + (f" ({source})" if source else "")
    models = [("forward model", spec.forward_model)]
    models += [(f"judge {role!r}", ref) for role, ref in spec.judges.items()]
    for kind, ref in models:
        check_options(where, kind, ref.id, MODELS.get(ref.id), ref.options, reserved=("device",))
    for metric in spec.metric_refs:
        check_options(where, "metric", metric.id, METRICS.get(metric.id), metric.options)
