"""The ``rides`` command line: one Typer app, one module per command group."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="rides",
    help="Ride and errand scheduling for volunteer driver networks.",
    no_args_is_help=True,
    add_completion=False,
)


def main() -> None:
    """Entry point of the ``rides`` script."""
    from services.cli import commands  # noqa: F401  (registers the commands)

    app()
