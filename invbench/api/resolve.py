"""Turns what a caller of ``invbench.evaluate`` passes (names or objects) into tasks, inverters
and plan settings, checking each before any compute with a one-line error."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from invbench.contracts.errors import InvbenchError
from invbench.contracts.inverter import Inverter, config_hash, inverter_access
from invbench.contracts.task_spec import TaskSpec
from invbench.plugins.catalog import INVERTERS
from invbench.plugins.inverter_factory import make_inverter
from invbench.plugins.task_catalog import TaskCatalog

_PROTOCOL = ("name", "version", "families", "oracle", "config", "invert")


def as_list(value: Any) -> list[Any]:
    """``None`` → ``[]``; one item (a name, a path, an object) → ``[item]``; a sequence → a list."""
    if value is None:
        return []
    if isinstance(value, (str, Path, TaskSpec)) or not isinstance(value, Sequence):
        return [value]
    return list(value)


def resolve_tasks(catalog: TaskCatalog, tasks: Any, suite: str | None) -> list[TaskSpec]:
    """Task names (``family/name`` or ``family/name@N``) and ``TaskSpec`` objects, or a suite."""
    wanted = as_list(tasks)
    if wanted and suite:
        raise InvbenchError("give tasks or a suite, not both")
    if not wanted:
        return catalog.suite(suite or "mini")
    specs = []
    for task in wanted:
        if isinstance(task, TaskSpec):
            specs.append(task)
        elif isinstance(task, str):
            specs.append(catalog.get(task.strip()))
        else:
            raise InvbenchError(f"task {task!r} must be a name such as 'asr/mini' or a TaskSpec")
    keys = [spec.key for spec in specs]
    for key in keys:
        if keys.count(key) > 1:
            raise InvbenchError(f"task {key} is listed twice")
    return specs


def _instance(inverter: Any) -> Inverter:
    """A configured inverter object, checked against the protocol."""
    if isinstance(inverter, type):
        inverter = inverter()  # a class with usable defaults, as registry entries are
    if not isinstance(inverter, Inverter):
        missing = [a for a in _PROTOCOL if not hasattr(inverter, a)]
        raise InvbenchError(
            f"{inverter!r} is neither a registered inverter name nor an Inverter "
            f"(missing {missing})"
        )
    return inverter


def unique(items: Sequence[Any], what: str, log: Callable[[str], None],
           key: Callable[[Any], Any] = lambda item: item) -> list[Any]:
    """``items`` without repeats (first occurrence kept, order kept), with a one-line notice:
    a repeated seed or inverter would compute the same item twice."""
    kept: dict[Any, Any] = {}
    for item in items:
        kept.setdefault(key(item), item)
    if len(kept) < len(items):
        repeated = [k for k in kept if sum(key(item) == k for item in items) > 1]
        log(f"notice: {what} {', '.join(map(str, repeated))} listed more than once; "
            "running each once")
    return list(kept.values())


def resolve_inverters(inverters: Any, options: Mapping[str, Mapping[str, Any]] | None,
                      log: Callable[[str], None] = lambda message: None) -> list[Inverter]:
    """Registered names (configured by ``options``) and inverter objects; by default every
    built-in inverter. Repeats (the same name and config hash) run once, with a notice."""
    wanted = as_list(inverters) or INVERTERS.builtin_names()
    named = [item.strip() for item in wanted if isinstance(item, str)]
    for name in options or {}:
        if name not in named:
            raise InvbenchError(f"inverter option names {name!r}, which is not being run")
    resolved: list[Inverter] = []
    for item in wanted:
        if isinstance(item, str):
            name = item.strip()
            resolved.append(make_inverter(name, dict((options or {}).get(name) or {}) or None))
        else:
            resolved.append(_instance(item))
    for inverter in resolved:
        inverter_access(inverter)  # an unknown access class fails here, not mid-run
    return unique(resolved, "inverter", log,
                  key=lambda inv: f"{inv.name} ({config_hash(inv)})")


def parse_shard(value: str | Sequence[int] | None) -> tuple[int, int] | None:
    """``"i/N"`` or ``(i, N)`` with ``1 <= i <= N``; ``None``/empty: the whole run."""
    if value is None or value == "":
        return None
    parts: Sequence[Any] | None = None
    if isinstance(value, str):
        i, sep, n = value.partition("/")
        parts = (i, n) if sep and i.isdigit() and n.isdigit() else None
    elif isinstance(value, Sequence) and len(value) == 2:
        parts = value
    try:
        index, count = (int(p) for p in parts) if parts else (0, 0)
    except (TypeError, ValueError):
        index, count = 0, 0
    if not 1 <= index <= count:
        raise InvbenchError(f"shard {value!r} must be i/N with 1 <= i <= N, e.g. 1/4")
    return index, count


def positive(name: str, value: int | None) -> int | None:
    """``value`` if it is None or an integer ≥ 1, else a one-line error naming ``name``."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise InvbenchError(f"{name} {value!r} must be a positive integer")
    return value


def seed_list(seeds: int | Sequence[int] | str | None) -> list[int] | None:
    """Seeds as a list of ints (``"0,1"`` too); ``None``: each task's default seeds."""
    if seeds is None:
        return None
    items = [s.strip() for s in seeds.split(",")] if isinstance(seeds, str) else as_list(seeds)
    items = [s for s in items if s != ""]
    if not all((isinstance(s, str) and s.lstrip("-").isdigit())
               or (isinstance(s, int) and not isinstance(s, bool)) for s in items):
        raise InvbenchError(f"seeds {seeds!r} must be integers, e.g. 0,1")
    return [int(s) for s in items] or None
