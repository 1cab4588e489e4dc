"""docker-compose.yml cannot run here (no Docker engine), so it is checked by reading it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer.main
import yaml

from services.cli import app
from services.cli import commands as _commands  # noqa: F401  (registers the commands)

ROOT = Path(__file__).resolve().parent.parent


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_the_stack_has_its_five_services_with_health_checks() -> None:
    services = _compose()["services"]
    assert {"postgres", "redis", "migrate", "web", "worker"} <= set(services)
    for name in ("postgres", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name


def test_every_rides_command_in_compose_exists_in_the_cli() -> None:
    group = typer.main.get_command(app)
    commands = getattr(group, "commands", {})
    for name, service in _compose()["services"].items():
        command = service.get("command")
        if not command or command[0] != "rides":
            continue
        sub = commands.get(command[1])
        assert sub is not None, f"{name} runs unknown command {command[1]!r}"
        sub.make_context(command[1], list(command[2:]))  # raises on an unknown option or value


def test_app_services_wait_for_healthy_databases_and_the_migration() -> None:
    services = _compose()["services"]
    for name in ("web", "worker"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_image_installs_from_the_lock_file() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "uv sync --frozen" in dockerfile
