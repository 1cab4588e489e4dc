"""The ``rides`` command line: one Typer app, one module per command group."""

from __future__ import annotations

import typer

from services.cli._output import configure_logging, friendly_errors

app = typer.Typer(
    name="rides",
    help="Ride and errand scheduling for volunteer driver networks.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
@friendly_errors  # settings that cannot work together stop every command with one line
def _options(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug detail to stderr."),
) -> None:
    # Every command logs to stderr at LOG_LEVEL (INFO by default); stdout is its output.
    configure_logging(verbose)


def main() -> None:
    """Entry point of the ``rides`` script."""
    from services.cli import commands  # noqa: F401  (registers the commands)

    app()
