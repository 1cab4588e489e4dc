"""The command line logs to stderr through ``configure_logging``: level, masking, one handler."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli import app
from services.cli import commands as _commands  # noqa: F401  (registers the commands)
from services.cli._output import configure_logging
from shared.db import dispose_engines
from shared.settings import reset_settings

runner = CliRunner()


def _use(monkeypatch: pytest.MonkeyPatch, **environment: str) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    dispose_engines()


def test_migrate_logs_alembic_progress_to_stderr(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Alembic's INFO lines reach stderr; stdout holds only the command's own output."""
    _use(monkeypatch, DATABASE_URL=f"sqlite:///{tmp_path / 'rides.sqlite3'}")
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    assert "INFO alembic.runtime.migration: Running upgrade" in result.stderr
    assert result.stdout.strip() == "database at revision head"
    dispose_engines()


def test_log_level_setting_quietens_the_command_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """LOG_LEVEL=warning (any case) hides the INFO lines."""
    _use(monkeypatch, DATABASE_URL=f"sqlite:///{tmp_path / 'rides.sqlite3'}", LOG_LEVEL="warning")
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    assert "Running upgrade" not in result.stderr
    assert logging.getLogger().level == logging.WARNING
    dispose_engines()


def test_verbose_flag_logs_debug_detail(monkeypatch: pytest.MonkeyPatch) -> None:
    """``rides --verbose`` lowers the level to DEBUG whatever LOG_LEVEL says."""
    _use(monkeypatch, LOG_LEVEL="ERROR")
    result = runner.invoke(app, ["--verbose", "worker"])
    assert result.exit_code == 1
    assert logging.getLogger().level == logging.DEBUG


def test_a_bad_log_level_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unknown LOG_LEVEL is refused by the settings, naming the allowed values."""
    from pydantic import ValidationError

    from shared.settings import get_settings

    _use(monkeypatch, LOG_LEVEL="chatty")
    with pytest.raises(ValidationError, match="'DEBUG', 'INFO', 'WARNING'"):
        get_settings()


def test_phone_numbers_are_masked_in_every_log_line(capsys: pytest.CaptureFixture[str]) -> None:
    """A number logged unmasked (say by a library) still reaches stderr masked."""
    configure_logging(level=logging.INFO)
    logging.getLogger("some.library").info("texting %s and +1 416-555-0177", "+14165550123")
    err = capsys.readouterr().err
    assert "+1416*****23" in err and "+1 416-***-**77" in err
    assert "5550123" not in err and "555-0177" not in err


def test_configuring_twice_keeps_one_handler(capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI callback and a sub-command may both configure logging; lines are not doubled."""
    configure_logging()
    configure_logging(level=logging.WARNING)
    logging.getLogger("rides.test").warning("once")
    assert capsys.readouterr().err.count("once") == 1


def test_log_format_json_writes_one_masked_json_object_per_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """LOG_FORMAT=json (any case): each line is a JSON object, numbers still masked."""
    _use(monkeypatch, LOG_FORMAT="JSON")
    configure_logging(level=logging.INFO)
    logging.getLogger("rides.test").info("texting %s", "+14165550123")
    logging.getLogger("rides.test").debug("not shown")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["message"] == "texting +1416*****23"
    assert (record["level"], record["logger"]) == ("INFO", "rides.test")
    assert {"asctime", "process"} <= set(record)


def test_an_unknown_log_format_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from shared.settings import get_settings

    _use(monkeypatch, LOG_FORMAT="xml")
    with pytest.raises(ValidationError, match="'text' or 'json'"):
        get_settings()
