"""Entry point: ``invbench <command>``. User errors print one line and exit 2, no traceback.

An ``OSError`` that reaches here (a path that cannot be written or read) is one line too,
naming the path (:func:`invbench.cli.paths.os_error_message`).
"""

from __future__ import annotations

import sys

import click

from invbench.cli.assets import doctor_command, prefetch_command
from invbench.cli.evaluate import evaluate_command
from invbench.cli.listing import inverters_command, metrics_command, models_command, tasks_command
from invbench.cli.paths import os_error_message
from invbench.cli.prepare import prepare_command
from invbench.cli.results import compare_command, leaderboard_command
from invbench.cli.schema import schema_command
from invbench.cli.targets import targets_group
from invbench.cli.zoo import zoo_command
from invbench.contracts.errors import InvbenchError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="invbench")
def cli() -> None:
    """invbench: benchmark methods that invert multimodal models.

    Start with `invbench evaluate` (the offline `mini` suite with every built-in inverter),
    then publish with `invbench leaderboard` and guard regressions with `invbench compare`.
    """


for command in (evaluate_command, tasks_command, inverters_command, metrics_command, models_command,
                leaderboard_command, compare_command, zoo_command, doctor_command,
                prefetch_command, prepare_command, schema_command):
    cli.add_command(command)
cli.add_command(targets_group)  # `targets freeze` and `targets build`


def main(argv: list[str] | None = None) -> None:
    try:
        code = cli.main(args=argv, prog_name="invbench", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except InvbenchError as exc:
        click.echo(f"invbench: error: {exc}", err=True)
        sys.exit(2)
    except OSError as exc:  # permission, read-only mount, a file in the way, disk full
        click.echo(f"invbench: error: {os_error_message(exc)}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("interrupted: completed items are saved; re-run the command to resume", err=True)
        sys.exit(130)
    # commands return an int exit status (compare: 1 on regression); None means success
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
