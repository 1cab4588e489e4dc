"""docker-compose.yml cannot run here (no Docker engine), so it is checked by reading it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer.main
import yaml

from services.cli import app
from services.cli import commands as _commands  # noqa: F401  (registers the commands)
from shared.settings import AppSettings, SchedulerSettings, SmsSettings

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("migrate", "web", "scheduler", "notifier")
LONG_RUNNING = ("web", "scheduler", "notifier")


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def _command(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    assert isinstance(command, list)
    return [str(part) for part in command]


def test_the_stack_has_its_services_each_with_a_health_check() -> None:
    services = _compose()["services"]
    assert set(services) == {"postgres", "redis", *APP_SERVICES}
    for name in ("postgres", "redis", *LONG_RUNNING):
        assert services[name]["healthcheck"]["test"], name


def test_the_web_app_runs_two_processes_checked_by_liveness() -> None:
    web = _compose()["services"]["web"]
    command = _command(web)
    assert command[:2] == ["rides", "serve"]
    assert command[command.index("--workers") + 1] == "2"
    test = " ".join(web["healthcheck"]["test"])
    # Liveness: the web app must keep holding texts while the database is away.
    assert "/healthz" in test and "/readyz" not in test


def test_each_worker_runs_only_its_own_queue_and_is_checked_by_rides_check() -> None:
    services = _compose()["services"]
    for name, queue in (("scheduler", "scheduler"), ("notifier", "notifier")):
        command = _command(services[name])
        assert command[:2] == ["rides", "worker"]
        assert command[command.index("--queues") + 1] == queue
        assert services[name]["healthcheck"]["test"] == ["CMD", "rides", "check"]


def test_the_worker_queues_are_the_queues_the_actors_use() -> None:
    from services.cli._run import QUEUES
    from services.worker import broker
    from shared.queue import declared_actors

    assert broker is not None  # importing it declared every product actor
    used = {
        declared.queue_name
        for declared in declared_actors()
        if declared.fn.__module__.split(".")[0] in ("scheduler", "notifier")
    }
    assert used == set(QUEUES)
    stack = _compose()["services"]
    commands = [_command(stack[name]) for name in ("scheduler", "notifier")]
    run = {command[command.index("--queues") + 1] for command in commands}
    assert run == used


def test_every_rides_command_in_compose_exists_in_the_cli() -> None:
    group = typer.main.get_command(app)
    commands = getattr(group, "commands", {})
    for name, service in _compose()["services"].items():
        for command in (service.get("command"), service.get("healthcheck", {}).get("test")):
            if not command:
                continue
            parts = [str(part) for part in command]
            if parts[0] == "CMD":
                parts = parts[1:]
            if parts[0] != "rides":
                continue
            sub = commands.get(parts[1])
            assert sub is not None, f"{name} runs unknown command {parts[1]!r}"
            sub.make_context(parts[1], list(parts[2:]))  # raises on an unknown option or value


def test_app_services_wait_for_healthy_databases_and_the_migration() -> None:
    services = _compose()["services"]
    for name in APP_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
    for name in LONG_RUNNING:
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
    assert services["migrate"]["restart"] == "no"


def test_app_services_share_metrics_and_keep_the_held_journal_on_a_volume() -> None:
    compose = _compose()
    for name in APP_SERVICES:
        env = compose["services"][name]["environment"]
        assert env["PROMETHEUS_MULTIPROC_DIR"].startswith("/tmp/")
        assert "/tmp" in compose["services"][name]["tmpfs"]  # emptied at each start
        assert env["REDIS_URL"] == "redis://redis:6379/0"
    web = compose["services"]["web"]
    journal = web["environment"]["HELD_JOURNAL_PATH"]
    assert any(journal.startswith(v.split(":")[1] + "/") for v in web["volumes"])
    assert "--appendonly" in compose["services"]["redis"]["command"]


def test_every_variable_compose_reads_is_documented_in_env_example() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{([A-Z_]+)", text))
    example = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z_]+)=", example, flags=re.MULTILINE))
    assert used == documented
    readme = (ROOT / "README.md").read_text()
    for name in used - {"POSTGRES_PASSWORD"}:
        assert f"`{name}`" in readme, f"{name} is not in the README"


def test_the_app_environment_names_real_settings() -> None:
    env = _compose()["x-app"]["environment"]
    known = {name.upper() for name in AppSettings.model_fields}
    known |= {name.upper() for name in SmsSettings.model_fields}
    known |= {"SCHEDULER_" + name.upper() for name in SchedulerSettings.model_fields}
    known.add("PROMETHEUS_MULTIPROC_DIR")  # prometheus-client's own
    assert set(env) <= known, set(env) - known


def test_the_image_installs_from_the_lock_file_and_can_write_its_journal() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "uv sync --frozen" in dockerfile
    assert "chown rides:rides /app/data" in dockerfile
    assert re.search(r"EXPOSE 8000 9191", dockerfile)
    for package in ("services", "scheduler", "notifier", "shared"):
        assert f"COPY {package} {package}" in dockerfile
