"""Registers every command group on the ``rides`` app."""

from __future__ import annotations

from services.cli import app

__all__ = ["app"]
