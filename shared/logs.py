"""Log set-up for every process: stderr, phone numbers masked, text or JSON (``LOG_FORMAT``).

The command line calls ``configure_logging`` once; ``rides serve``'s web processes (which
uvicorn may start afresh) call ``ensure_logging``. Uvicorn's own loggers are left to propagate
here (``rides serve`` gives uvicorn no logging config of its own), so its lines are masked and
formatted the same way.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

from shared.phones import mask
from shared.settings import get_settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: The fields of each JSON line (message holds the masked text; exc_info appears when set).
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s"


class StderrHandler(logging.StreamHandler[TextIO]):
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
    formatted exception, so no log line ever carries a whole number.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = _PHONE.sub(lambda found: mask(found.group(0)), message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


# The token part of a manifest link, up to the next slash.
_MANIFEST_TOKEN = re.compile(r"^/m/[^/?]+")


def private_path(path: str) -> str:
    """``path`` as the access log shows it: no query string, no manifest token.

    Our URLs carry personal data in their query (``/api/v1/riders?phone=+14165550101``), and a
    driver's manifest link (``/m/<token>``) opens the driver's day for whoever holds it.
    """
    bare, query_mark, _query = path.partition("?")
    bare = _MANIFEST_TOKEN.sub("/m/…", bare)
    return bare + ("?…" if query_mark else "")


class HidePrivateParts(logging.Filter):
    """Rewrites uvicorn's access records (``client, method, path, version, status``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if (
            record.name == "uvicorn.access"
            and isinstance(args, tuple)
            and len(args) == 5
            and isinstance(args[2], str)
        ):
            record.args = (args[0], args[1], private_path(args[2]), args[3], args[4])
        return True


def formatter(log_format: str) -> logging.Formatter:
    """The formatter for ``LOG_FORMAT``: ``json`` gives one JSON object per line."""
    if log_format == "json":
        return JsonFormatter(JSON_FIELDS, rename_fields={"levelname": "level", "name": "logger"})
    return logging.Formatter(TEXT_FORMAT)


def configure_logging(verbose: bool = False, *, level: int | str | None = None) -> None:
    """Send log records to stderr (stdout stays for command output), phone numbers masked.

    The level is DEBUG with ``verbose``, else ``level``, else the ``LOG_LEVEL`` setting; the
    format is ``LOG_FORMAT``'s. Calling it again replaces the handler it installed before
    rather than adding a second one.
    """
    settings = get_settings().app
    if verbose:
        level = logging.DEBUG
    elif level is None:
        level = settings.log_level
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, StderrHandler)]:
        root.removeHandler(handler)
    handler = StderrHandler()
    handler.setFormatter(formatter(settings.log_format))
    handler.addFilter(HidePrivateParts())  # before the phones: it needs the record's args
    handler.addFilter(MaskPhones())
    root.addHandler(handler)
    root.setLevel(level)


def ensure_logging() -> None:
    """``configure_logging`` unless this process already did (a web process uvicorn started)."""
    if not any(isinstance(h, StderrHandler) for h in logging.getLogger().handlers):
        configure_logging()
