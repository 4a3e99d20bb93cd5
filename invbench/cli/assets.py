"""``invbench doctor`` (offline: what a suite needs, present or missing) and
``invbench prefetch`` (online: download it and write a lockfile of revisions and sha256)."""

from __future__ import annotations

from pathlib import Path

import click
import torch
from tabulate import tabulate

from invbench.assets.lockfile import default_lockfile, read_lockfile, write_lockfile
from invbench.contracts.errors import InvbenchError
from invbench.harness.environment import library_versions, now_iso
from invbench.harness.requirements import check_tasks, task_assets
from invbench.models.placement import hub_offline
from invbench.plugins.task_catalog import TaskCatalog

_suite_option = click.option("--suite", "suites", multiple=True,
                             help="Suite to check (repeatable; default: every suite).")
_include_option = click.option("--include-path", "include_paths", multiple=True,
                               type=click.Path(path_type=Path),
                               help="Extra folder of task YAMLs (and targets/).")


def _specs(catalog: TaskCatalog, suites: tuple[str, ...]):
    if not suites:
        return catalog.all_latest()
    return [spec for suite in suites for spec in catalog.suite(suite)]


def _environment() -> list[str]:
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none visible"
    return [f"torch {torch.__version__}; GPU: {gpu}",
            f"HF_HUB_OFFLINE={'1' if hub_offline() else 'unset'}"]


@click.command("doctor")
@_suite_option
@_include_option
@click.option("--verify", is_flag=True, help="Also re-hash files whose sha256 is known (slow).")
def doctor_command(suites, include_paths, verify) -> int:
    """Offline check of everything the suites' tasks need: model weights, optional backends,
    judge weights, prepared target sets, and each pinned target set's files and hash. Exits 1 if
    a required asset is missing."""
    catalog = TaskCatalog(include_paths)
    specs = _specs(catalog, suites)
    reports = check_tasks(specs, catalog.target_dirs(), verify=verify, targets=True)
    for line in _environment():
        click.echo(line)
    rows = []
    for r in reports:
        state = "ok" if r.status.present else ("MISSING" if r.asset.required
                                               else "missing (optional)")
        rows.append([state, r.asset.key, r.asset.purpose, ", ".join(r.tasks), r.status.detail])
    if rows:
        click.echo(tabulate(rows, headers=["status", "asset", "what", "needed by", "detail"]))
    blocking = [r for r in reports if r.blocking]
    optional = [r for r in reports if not r.status.present and not r.asset.required]
    ready = sorted({s.key for s in specs} - {t for r in blocking for t in r.tasks})
    click.echo(f"{len(reports)} asset(s) checked for {len(specs)} task(s): {len(blocking)} "
               f"required missing, {len(optional)} optional missing (their metrics are skipped).")
    click.echo(f"ready to run: {', '.join(ready) or 'none'}")
    for suite in sorted({s.suite for s in specs}):
        lock = read_lockfile(default_lockfile(suite))
        if lock:
            click.echo(f"lockfile for {suite}: {default_lockfile(suite)} ({lock['created']})")
    return 1 if blocking else 0


@click.command("prefetch")
@_suite_option
@_include_option
@click.option("--lockfile", type=click.Path(path_type=Path), default=None,
              help="Where to write the lockfile (default: <cache>/locks/<suite>.lock.json).")
@click.option("--skip-optional", is_flag=True, help="Do not fetch judge weights.")
def prefetch_command(suites, include_paths, lockfile, skip_optional) -> int:
    """Online: download every asset the suites need (Hugging Face repos at their revision,
    Whisper checkpoints, judge weights) and write a lockfile with the exact revisions and the
    sha256 of every file. Python backends and prepared target sets cannot be downloaded: they
    are listed with the command that makes them."""
    if hub_offline():
        raise InvbenchError("HF_HUB_OFFLINE is set: prefetch needs the network (unset it)")
    catalog = TaskCatalog(include_paths)
    suites = suites or ("paper",)
    if lockfile is not None and len(suites) > 1:
        raise InvbenchError("--lockfile takes one suite; give a single --suite")
    failed = 0
    for suite in suites:
        specs = catalog.suite(suite)
        entries: dict[str, dict] = {}
        seen = set()
        for spec in specs:
            for asset in task_assets(spec, catalog.target_dirs()):
                if asset.key in seen or (skip_optional and not asset.required):
                    continue
                seen.add(asset.key)
                click.echo(f"{suite}: fetching {asset.key} ({asset.purpose})", err=True)
                try:
                    entries[asset.key] = asset.fetch()
                except Exception as exc:  # report every asset, then fail at the end
                    failed += asset.required
                    click.echo(f"  could not fetch {asset.key}: {exc}", err=True)
        path = lockfile or default_lockfile(suite)
        write_lockfile(path, suite, entries, now_iso(), library_versions())
        click.echo(f"{suite}: {len(entries)} asset(s) locked in {path}")
    return 1 if failed else 0
