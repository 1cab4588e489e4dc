"""Console output and error handling shared by every command."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from shared.errors import RidesError
from shared.logs import MaskPhones, configure_logging

P = ParamSpec("P")
R = TypeVar("R")

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def friendly_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn the project's own errors into a one-line message and exit code 1, no traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except RidesError as exc:
            err_console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(code=1) from exc

    return wrapper


__all__ = ["MaskPhones", "configure_logging", "console", "err_console", "friendly_errors"]
