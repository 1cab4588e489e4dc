"""Settings, one pydantic-settings class per concern, each with safe local defaults.

Every class reads its own environment prefix; ``get_settings()`` builds them once per process,
and ``reset_settings()`` makes the next call read the environment again (tests change the
environment, then reset).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.errors import ConfigurationError
from shared.i18n import DEFAULT_TIME_ZONE

DEFAULT_DATA_DIR = Path("data")

#: One send is one HTTP request (twilio's client makes no retries of its own), and its connect
#: and its read may each take the whole ``TWILIO_TIMEOUT_SECONDS``.
SEND_TIMEOUT_PHASES = 2
#: Clock skew between workers and Twilio's one-second ``date_created``.
LEASE_MARGIN_SECONDS = 1.0


class AppSettings(BaseSettings):
    """Deployment-wide settings (no prefix: these are the names operators expect)."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_DATA_DIR / 'rides.sqlite3'}",
        description="SQLAlchemy URL; a local SQLite file by default.",
    )
    redis_url: str | None = Field(
        default=None, description="Redis URL for the job queue; unset means in-process."
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Base URL Twilio calls; used to check webhook signatures.",
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Signs sessions and CSRF tokens; required outside development."
    )
    default_time_zone: str = DEFAULT_TIME_ZONE
    max_request_body_bytes: int = Field(
        default=256 * 1024,
        ge=1024,
        description="Larger request bodies are refused with 413 before any handler reads them.",
    )
    demo_mode: bool = Field(
        default=False,
        description="Serve the SMS simulator at /simulator (set by `rides demo`; never in "
        "production).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", description="Lowest level the command line logs to stderr."
    )
    reminder_hour: int = Field(
        default=17, ge=0, le=23, description="Local hour at which day-before reminders go out."
    )
    relay_interval_seconds: float = Field(
        default=30.0, gt=0, description="How often workers sweep the outbox for missed jobs."
    )
    relay_grace_seconds: float = Field(
        default=60.0, ge=0, description="Leave the after-commit enqueue this long before sweeping."
    )
    relay_stale_seconds: float = Field(
        default=300.0, gt=0, description="Enqueue an outbox row again if still pending this long."
    )
    driver_answer_hours: float = Field(
        default=12.0,
        ge=0,
        description="A route still unanswered this long before its first pick-up is an alert.",
    )
    sending_lease_seconds: float = Field(
        default=180.0,
        gt=0,
        description=(
            "A text claimed longer ago than this lost its worker; must exceed the longest send "
            "plus Twilio's listing delay (checked at start-up)."
        ),
    )

    log_format: Literal["text", "json"] = Field(
        default="text", description="Log lines as text, or as one JSON object each."
    )
    held_journal_path: Path = Field(
        default=DEFAULT_DATA_DIR / "held-webhooks.jsonl",
        description="Journal of webhooks kept while the database is away (when Redis cannot).",
    )
    held_replay_interval_seconds: float = Field(
        default=5.0, gt=0, description="How often the web app checks the database and replays."
    )
    worker_metrics_port: int = Field(
        default=9191, ge=0, le=65535, description="Port of a worker's /metrics; 0 turns it off."
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_case_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _secret_outside_development(self) -> AppSettings:
        if self.environment == "production" and self.secret_key is None:
            raise ValueError("SECRET_KEY must be set when ENVIRONMENT=production")
        if self.environment == "production" and self.demo_mode:
            raise ValueError("DEMO_MODE serves an SMS simulator; it cannot be on in production")
        return self


class SmsSettings(BaseSettings):
    """Which SMS back-end sends texts, and Twilio's credentials when it is Twilio."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    sms_backend: Literal["console", "twilio"] = "console"
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from_number: str | None = None
    twilio_api_base: str | None = Field(
        default=None, description="Point the Twilio client at another API host (a local fake)."
    )
    twilio_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Connect and read timeout of each request to Twilio."
    )
    twilio_list_lag_seconds: float = Field(
        default=30.0,
        ge=0,
        description="How long Twilio may take to list a text it accepted (recovery waits it out).",
    )
    sms_dev_allow_unsigned: bool = Field(
        default=False,
        description="Accept unsigned webhooks when no auth token is set (embedded demo only).",
    )
    sms_rate_per_second: float = Field(
        default=1.0, description="Segments per second per sending number."
    )
    sms_inbound_queue_seconds: float = Field(
        default=5.0,
        gt=0,
        le=14,
        description="Longest a text waits for its turn in a busy web process; then it is kept "
        "like a text during a database outage and answered later (Twilio waits 15 s).",
    )
    sms_quiet_hours: bool = Field(
        default=True,
        description="Hold texts that are not urgent between 21:00 and 09:00 local time "
        "(`rides demo` turns this off so its texts show at any hour).",
    )

    @model_validator(mode="after")
    def _twilio_needs_credentials(self) -> SmsSettings:
        if self.sms_backend == "twilio":
            missing = [
                name
                for name, value in (
                    ("TWILIO_ACCOUNT_SID", self.twilio_account_sid),
                    ("TWILIO_AUTH_TOKEN", self.twilio_auth_token),
                    ("TWILIO_FROM_NUMBER", self.twilio_from_number),
                )
                if not value
            ]
            if missing:
                raise ValueError(f"SMS_BACKEND=twilio needs {', '.join(missing)} to be set")
        return self


class SchedulerSettings(BaseSettings):
    """Solver defaults a deployment may change."""

    model_config = SettingsConfigDict(env_prefix="SCHEDULER_", extra="ignore")

    time_limit_seconds: float = 30.0
    seed: int = 0
    osrm_url: str | None = Field(
        default=None, description="OSRM base URL; unset means great-circle travel times."
    )
    average_speed_kmh: float = 30.0
    detour_factor: float = 1.3
    # Objective weights, in seconds of driving: a served request outweighs any number of drivers
    # called out, and a driver called out outweighs a long day's extra driving.
    unserved_penalty: int = Field(default=10_000_000, ge=1)
    driver_cost: int = Field(default=30_000, ge=0)
    moved_penalty: int = Field(default=3_600, ge=0)


#: signs manifest links in development and tests only; production refuses to start without its own
DEVELOPMENT_SECRET_KEY = "rides-development-only-secret-key"


def signing_key(app: AppSettings) -> str:
    """The key that signs links and form tokens: ``SECRET_KEY``, or outside production a fixed
    development key (production cannot start without ``SECRET_KEY``, see ``AppSettings``)."""
    if app.secret_key is not None:
        return app.secret_key.get_secret_value()
    if app.environment == "production":
        raise RuntimeError("SECRET_KEY must be set when ENVIRONMENT=production")
    return DEVELOPMENT_SECRET_KEY


@dataclass(frozen=True)
class Settings:
    """All settings, grouped by concern."""

    app: AppSettings
    sms: SmsSettings
    scheduler: SchedulerSettings


def longest_send_seconds(sms: SmsSettings) -> float:
    """The longest one text can be in flight at the provider: its request's connect and read."""
    return SEND_TIMEOUT_PHASES * sms.twilio_timeout_seconds


def minimum_sending_lease(sms: SmsSettings) -> float:
    """The shortest safe ``SENDING_LEASE_SECONDS``: the longest send, then the provider's listing
    delay, then a margin. A claim older than this is one whose send has certainly ended and whose
    text, if the provider took it, is in the provider's list, so recovery may decide on it."""
    return longest_send_seconds(sms) + sms.twilio_list_lag_seconds + LEASE_MARGIN_SECONDS


def check_sending_lease(app: AppSettings, sms: SmsSettings) -> None:
    """Refuse a lease that recovery could outrun: it would resend texts still being answered."""
    need = minimum_sending_lease(sms)
    if app.sending_lease_seconds <= need:
        raise ConfigurationError(
            f"SENDING_LEASE_SECONDS={app.sending_lease_seconds:g} is too short for "
            f"TWILIO_TIMEOUT_SECONDS={sms.twilio_timeout_seconds:g}: one send may take "
            f"{longest_send_seconds(sms):g} s (connect and read) and Twilio may list it "
            f"TWILIO_LIST_LAG_SECONDS={sms.twilio_list_lag_seconds:g} s later, so the lease must "
            f"be more than {need:g} s. Raise SENDING_LEASE_SECONDS or lower "
            "TWILIO_TIMEOUT_SECONDS."
        )


_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def _is_local_host(host: str) -> bool:
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified or address.is_link_local


def check_production(app: AppSettings, sms: SmsSettings) -> None:
    """Refuse to run ``ENVIRONMENT=production`` with a setting that only suits a developer.

    Without ``SMS_BACKEND=twilio`` no rider would get a text; without an auth token no
    webhook signature could be checked; and Twilio can only call an https address it can reach,
    which is also the address signatures are checked against.
    """
    if app.environment != "production":
        return
    problems = []
    if sms.sms_backend != "twilio":
        problems.append(f"SMS_BACKEND must be twilio (it is {sms.sms_backend})")
    if sms.twilio_auth_token is None or not sms.twilio_auth_token.get_secret_value():
        problems.append("TWILIO_AUTH_TOKEN must be set (it checks Twilio's webhook signatures)")
    url = urlsplit(app.public_base_url)
    if url.scheme != "https" or not url.hostname or _is_local_host(url.hostname.lower()):
        problems.append(
            f"PUBLIC_BASE_URL must be the https address Twilio reaches this service at, not "
            f"{app.public_base_url!r}"
        )
    if problems:
        raise ConfigurationError(f"ENVIRONMENT=production: {'; '.join(problems)}")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Build the settings from the environment once per process.

    Raises ``ConfigurationError`` for settings that cannot work together (the sending lease,
    production with development settings).
    """
    settings = Settings(app=AppSettings(), sms=SmsSettings(), scheduler=SchedulerSettings())
    check_production(settings.app, settings.sms)
    check_sending_lease(settings.app, settings.sms)
    return settings


def reset_settings() -> None:
    """Forget cached settings so the next ``get_settings()`` re-reads the environment."""
    get_settings.cache_clear()
