"""Settings have safe local defaults and refuse combinations that cannot work."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.errors import ConfigurationError
from shared.settings import (
    AppSettings,
    SmsSettings,
    get_settings,
    minimum_sending_lease,
    reset_settings,
)


def test_defaults_are_the_embedded_ones() -> None:
    settings = get_settings()
    assert settings.app.database_url.startswith("sqlite:///")
    assert settings.app.redis_url is None
    assert settings.sms.sms_backend == "console"


def test_environment_variables_override_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://example.invalid:6379/0")
    monkeypatch.setenv("SCHEDULER_TIME_LIMIT_SECONDS", "5")
    from shared.settings import reset_settings

    reset_settings()
    assert get_settings().app.redis_url == "redis://example.invalid:6379/0"
    assert get_settings().scheduler.time_limit_seconds == 5


def test_production_requires_a_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        AppSettings()


def test_the_twilio_backend_names_each_missing_credential(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS_BACKEND", "twilio")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC123")
    with pytest.raises(ValidationError, match="TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER"):
        SmsSettings()


def test_a_lease_shorter_than_a_send_and_the_listing_delay_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """10 s timeout: a send may take 20 s, Twilio lists it 30 s later, 1 s margin: > 51 s."""
    monkeypatch.setenv("SENDING_LEASE_SECONDS", "51")
    reset_settings()
    with pytest.raises(ConfigurationError) as refused:
        get_settings()
    message = str(refused.value)
    assert "SENDING_LEASE_SECONDS=51" in message and "TWILIO_TIMEOUT_SECONDS=10" in message
    assert "more than 51 s" in message


def test_a_lease_just_long_enough_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENDING_LEASE_SECONDS", "6")
    monkeypatch.setenv("TWILIO_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("TWILIO_LIST_LAG_SECONDS", "2")
    reset_settings()
    assert minimum_sending_lease(get_settings().sms) == 5.0
    assert get_settings().app.sending_lease_seconds == 6.0


def _production(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    """A production environment that passes every check, with ``values`` changed."""
    base = {
        "ENVIRONMENT": "production",
        "SECRET_KEY": "s3cret-s3cret-s3cret",
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": "AC123",
        "TWILIO_AUTH_TOKEN": "token",
        "TWILIO_FROM_NUMBER": "+14165550100",
        "PUBLIC_BASE_URL": "https://rides.example.org",
    }
    for name, value in (base | values).items():
        if value:
            monkeypatch.setenv(name, value)
        else:
            monkeypatch.delenv(name, raising=False)
    reset_settings()


def test_production_with_real_settings_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    _production(monkeypatch)
    assert get_settings().app.environment == "production"


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"SMS_BACKEND": "console"}, "SMS_BACKEND must be twilio"),
        ({"SMS_BACKEND": "console", "TWILIO_AUTH_TOKEN": ""}, "TWILIO_AUTH_TOKEN must be set"),
        ({"PUBLIC_BASE_URL": "http://rides.example.org"}, "PUBLIC_BASE_URL must be the https"),
        ({"PUBLIC_BASE_URL": "https://127.0.0.1:8000"}, "PUBLIC_BASE_URL"),
        ({"PUBLIC_BASE_URL": "https://localhost"}, "PUBLIC_BASE_URL"),
        ({"PUBLIC_BASE_URL": "https://[::1]:8443"}, "PUBLIC_BASE_URL"),
        ({"PUBLIC_BASE_URL": "https://0.0.0.0"}, "PUBLIC_BASE_URL"),
        ({"PUBLIC_BASE_URL": "rides.example.org"}, "PUBLIC_BASE_URL"),
    ],
    ids=["console", "no-token", "http", "loopback-v4", "localhost", "loopback-v6", "any", "bare"],
)
def test_production_fails_fast_naming_the_development_setting(
    monkeypatch: pytest.MonkeyPatch, changes: dict[str, str], named: str
) -> None:
    _production(monkeypatch, **changes)
    with pytest.raises(ConfigurationError, match="ENVIRONMENT=production") as refused:
        get_settings()
    assert named in str(refused.value)


def test_development_keeps_its_local_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same values are fine outside production: the demo runs on them."""
    _production(monkeypatch, ENVIRONMENT="development", SMS_BACKEND="console")
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://127.0.0.1:8000")
    reset_settings()
    assert get_settings().sms.sms_backend == "console"


def test_serve_refuses_to_start_production_on_development_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`rides serve` stops at start-up with the message, before uvicorn listens."""
    from typer.testing import CliRunner

    from services.cli import app
    from services.cli import commands as _commands  # noqa: F401  (registers the commands)

    _production(monkeypatch, PUBLIC_BASE_URL="http://localhost:8000")
    result = CliRunner().invoke(app, ["serve", "--port", "1"])
    assert result.exit_code == 1
    assert "PUBLIC_BASE_URL must be the https" in result.output
