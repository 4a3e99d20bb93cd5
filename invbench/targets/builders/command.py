"""``invbench targets build NAME... [--verify] [--out DIR | --root DIR]``: rebuild a shipped set.

The one command line of every target-set builder. The builder modules' ``main()`` (the
``python -m invbench.targets.builders.<module>`` paths, and the one-release shims under
``invbench.worlds``) run it through :func:`run_build`. It lives beside the builders rather than in
``invbench.cli`` because those ``main()`` functions sit below the CLI and must not import it; the
CLI adds this command to its ``targets`` group.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import click

from invbench.contracts.errors import InvbenchError
from invbench.targets.builders.catalog import BUILDERS, DEFAULT_ROOT, SetBuilder
from invbench.targets.manifest_writer import check_manifest


def _folder(name: str, out: Path | None, root: Path | None) -> Path:
    return out if out is not None else (root if root is not None else DEFAULT_ROOT) / name


def _verify(builder: SetBuilder, folder: Path) -> int:
    """Re-run the recipe against ``folder``; 1 (and the differing files) on a mismatch."""
    differ = builder.verify(folder)
    bad = [str(folder / rel) for rel in dict.fromkeys(differ + check_manifest(folder))]
    click.echo(f"{builder.name}: all files match" if not bad
               else f"{builder.name}: {len(bad)} differ: {', '.join(bad[:5])}")
    return 1 if bad else 0


def _build(builder: SetBuilder, folder: Path, options: dict[str, bool]) -> None:
    manifest = builder.build(folder, **options)
    pool = f" and {manifest['pool_count']} pool images" if manifest.get("pool_count") else ""
    click.echo(f"{builder.name}: wrote {manifest['count']} targets{pool} to {folder}; "
               f"content_sha256 {manifest['content_sha256']}")


@click.command("build")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="The set's folder (one NAME only; default: data/targets/NAME).")
@click.option("--root", type=click.Path(path_type=Path), default=None,
              help="Folder holding the sets: each NAME is ROOT/NAME (default: data/targets).")
@click.option("--verify", is_flag=True,
              help="Check the files there against a re-run of the recipe; write nothing.")
@click.option("--check-whisper", is_flag=True,
              help="transcripts-mini: prove Whisper tiny.en transcribes every rendering "
                   "exactly, and record it in the manifest.")
def build_command(names: tuple[str, ...], out: Path | None, root: Path | None, verify: bool,
                  check_whisper: bool) -> int:
    """Rebuild shipped target set NAME (e.g. captions-mini) from its recipe, or --verify it.

    Sets: captions-mini, images-mini, clips-mini, transcripts-mini, captions-paper,
    sentences-paper. The set's manifest records this command and the content_sha256 that
    tasks pin.
    """
    if out is not None and (root is not None or len(names) > 1):
        raise click.UsageError("--out names one set's folder: give one NAME and no --root")
    builders = [BUILDERS.get(name) for name in names]
    options = {"check_whisper": check_whisper} if check_whisper else {}
    for builder in builders:
        if set(options) - set(builder.options):
            raise click.UsageError(f"--check-whisper applies to transcripts-mini, not "
                                   f"{builder.name}")
        missing = [program for program in builder.needs if shutil.which(program) is None]
        if missing:
            raise InvbenchError(f"{builder.name}: {', '.join(missing)} is not on PATH "
                                "(e.g. apt-get install espeak-ng)")
    if verify:
        if options:
            raise click.UsageError("--verify checks a set; --check-whisper belongs to a build")
        return max(_verify(b, _folder(b.name, out, root)) for b in builders)
    for builder in builders:
        _build(builder, _folder(builder.name, out, root), options)
    return 0


def run_build(args: list[str]) -> int:
    """Run ``invbench targets build`` with ``args`` outside the ``invbench`` command (for the
    builders' ``python -m`` paths): the exit status, user errors as one line."""
    try:
        code = build_command.main(args=args, prog_name="invbench targets build",
                                  standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except InvbenchError as exc:
        click.echo(f"invbench: error: {exc}", err=True)
        return 2
    return code if isinstance(code, int) else 0


def module_main(*names: str) -> Callable[[list[str] | None], int]:
    """A builder module's ``main(argv=None)``: ``invbench targets build NAMES`` with ``argv``
    (default: the process's arguments), so the old ``python -m`` commands keep working."""

    def main(argv: list[str] | None = None) -> int:
        return run_build([*names, *(sys.argv[1:] if argv is None else argv)])

    main.__doc__ = f"``invbench targets build {' '.join(names)}`` with ``argv``."
    return main
