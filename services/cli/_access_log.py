"""Uvicorn's logging for ``rides serve``, without personal data in the access log.

Uvicorn logs each request's path with its query string, and our URLs carry personal data there
(``/api/v1/riders?phone=+14165550101``) and in a driver's manifest link (``/m/<token>``, which
opens the driver's day for whoever holds it). The access log keeps the method, the path without
its query and without manifest tokens, and the status.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

import uvicorn.config

from services.cli._output import MaskPhones

# The token part of a manifest link, up to the next slash.
_MANIFEST_TOKEN = re.compile(r"^/m/[^/?]+")


def private_path(path: str) -> str:
    """``path`` as the access log shows it: no query string, no manifest token."""
    bare, query_mark, _query = path.partition("?")
    bare = _MANIFEST_TOKEN.sub("/m/…", bare)
    return bare + ("?…" if query_mark else "")


class HidePrivateParts(logging.Filter):
    """Rewrites uvicorn's access records (``client, method, path, version, status``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], private_path(args[2]), args[3], args[4])
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """Uvicorn's own logging configuration with the private parts hidden and numbers masked.

    A dictionary (not live objects) so that every worker process ``--workers`` starts applies it.
    """
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["filters"] = {
        "private_paths": {"()": f"{__name__}.HidePrivateParts"},
        "phones": {"()": f"{MaskPhones.__module__}.MaskPhones"},
    }
    config["handlers"]["access"]["filters"] = ["private_paths", "phones"]
    config["handlers"]["default"]["filters"] = ["phones"]
    return config
