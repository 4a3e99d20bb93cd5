"""Discovers task specs (YAML) in ``tasks/``, installed task packs and ``--include-path`` folders.

A task pack (entry-point group ``invbench.tasks``, see :mod:`invbench.plugins.task_packs`) is read
exactly like an include path: its YAML files are tasks, its ``targets/`` folder holds target sets.
A task is addressed as ``family/name`` (its latest version) or ``family/name@N`` (pinned). A
suite is every task whose spec names it, each at its latest version.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml
from pydantic import ValidationError

from invbench.contracts.errors import InvbenchError, UnknownNameError
from invbench.contracts.task_spec import TaskSpec
from invbench.fs.cache import prepared_targets_dir
from invbench.fs.shipped import resource_dir
from invbench.plugins.catalog import FAMILIES, TASK_PACKS
from invbench.plugins.registry import unknown_name_message
from invbench.plugins.spec_keys import first_error


def load_task_file(path: Path) -> TaskSpec:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InvbenchError(f"task file {str(path)!r} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise InvbenchError(f"task file {str(path)!r} must hold a mapping")
    try:
        spec = TaskSpec.model_validate(data)
    except ValidationError as exc:
        raise InvbenchError(f"task file {str(path)!r}: {first_error(exc)}") from None
    if spec.family not in FAMILIES:  # a plug-in family is registered by its entry point
        raise InvbenchError(f"task file {str(path)!r}: field family: "
                            f"{unknown_name_message('task family', spec.family, FAMILIES.names())}")
    return spec


class TaskCatalog:
    """Every known task spec, by name and version."""

    def __init__(self, include_paths: Iterable[str | Path] = ()) -> None:
        self.include_paths = [Path(p) for p in include_paths]
        for folder in self.include_paths:
            if not folder.is_dir():
                raise InvbenchError(f"--include-path {str(folder)!r} is not a folder")
        self.pack_paths = [TASK_PACKS.get(name) for name in TASK_PACKS.names()]
        self._specs: dict[str, dict[int, TaskSpec]] = {}
        self._files: dict[str, Path] = {}
        for folder in [resource_dir("tasks"), *self.pack_paths, *self.include_paths]:
            for path in sorted(folder.rglob("*.yaml")):
                self._add(load_task_file(path), path)

    def _add(self, spec: TaskSpec, path: Path) -> None:
        versions = self._specs.setdefault(spec.name, {})
        if spec.version in versions and versions[spec.version] != spec:
            raise InvbenchError(
                f"task {spec.key} is defined twice with different contents: "
                f"{self._files[spec.key]} and {path} (a changed task needs a new version)"
            )
        versions[spec.version] = spec
        self._files[spec.key] = path

    def target_dirs(self) -> list[Path]:
        """Where target sets are looked up: include paths' ``targets/`` first, then task packs',
        then ``data/``, then the sets ``invbench prepare`` made (in the cache)."""
        folders = [*self.include_paths, *self.pack_paths]
        found = [p / "targets" for p in folders if (p / "targets").is_dir()]
        return [*found, resource_dir("data") / "targets", prepared_targets_dir()]

    def all_latest(self) -> list[TaskSpec]:
        return [versions[max(versions)] for _, versions in sorted(self._specs.items())]

    def all_specs(self) -> list[TaskSpec]:
        return [v[n] for _, v in sorted(self._specs.items()) for n in sorted(v)]

    def suites(self) -> list[str]:
        return sorted({spec.suite for spec in self.all_latest()})

    def get(self, name: str) -> TaskSpec:
        base, _, pinned = name.partition("@")
        if base not in self._specs:
            raise UnknownNameError(unknown_name_message("task", base, sorted(self._specs)))
        versions = self._specs[base]
        if not pinned:
            return versions[max(versions)]
        if not pinned.isdigit() or int(pinned) not in versions:
            have = ", ".join(f"{base}@{v}" for v in sorted(versions))
            raise UnknownNameError(f"unknown version {name!r} (available: {have})")
        return versions[int(pinned)]

    def suite(self, suite: str) -> list[TaskSpec]:
        specs = [spec for spec in self.all_latest() if spec.suite == suite]
        if not specs:
            raise UnknownNameError(unknown_name_message("suite", suite, self.suites()))
        return specs
