"""Console output and error handling shared by every command."""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import Callable
from typing import ParamSpec, TextIO, TypeVar

import typer
from rich.console import Console

from shared.errors import RidesError
from shared.phones import mask
from shared.settings import get_settings

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


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is when a record arrives.

    Test runners and Typer's ``CliRunner`` swap ``sys.stderr``; a handler that kept the stream
    it was made with would write into a closed one afterwards.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


# E.164 numbers, possibly with spaces or dashes between digit groups ("+1 416-555-0123").
_PHONE = re.compile(r"\+\d(?:[ -]?\d){7,14}")


class MaskPhones(logging.Filter):
    """Masks anything that looks like a phone number in a record's message.

    Our own code masks numbers where it logs them; this also catches a library's log line or a
    formatted exception, so no log line the CLI writes ever carries a whole number.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = _PHONE.sub(lambda found: mask(found.group(0)), message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def configure_logging(verbose: bool = False, *, level: int | str | None = None) -> None:
    """Send log records to stderr (stdout stays for command output), phone numbers masked.

    The level is DEBUG with ``verbose``, else ``level``, else the ``LOG_LEVEL`` setting. Calling
    it again replaces the handler it installed before rather than adding a second one.
    """
    if verbose:
        level = logging.DEBUG
    elif level is None:
        level = get_settings().app.log_level
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(handler)
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskPhones())
    root.addHandler(handler)
    root.setLevel(level)
