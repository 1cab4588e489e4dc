"""Registers every command group on the ``rides`` app."""

from __future__ import annotations

from services.cli import _apikey, _database, _demo, _orgs, _plan, _run, _users, app
from services.cli.bench import bench_app

app.add_typer(bench_app, name="bench")

__all__ = ["_apikey", "_database", "_demo", "_orgs", "_plan", "_run", "_users", "app"]
