"""Settings of the dispatcher pages (env prefix ``DISPATCH_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DispatchSettings(BaseSettings):
    """Sessions, login limits and the map's tiles."""

    model_config = SettingsConfigDict(env_prefix="DISPATCH_", extra="ignore")

    session_idle_minutes: int = Field(default=60, ge=1, description="Log out after this idle.")
    login_attempts_per_account: int = Field(default=5, ge=1)
    login_attempts_per_address: int = Field(default=20, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    # Unset: the map draws stops and routes only, so it works with no internet.
    tile_url: str | None = Field(
        default=None, description="e.g. https://tile.example/{z}/{x}/{y}.png"
    )
    tile_attribution: str = ""


@lru_cache(maxsize=1)
def get_dispatch_settings() -> DispatchSettings:
    """The dispatcher settings, read from the environment once per process."""
    return DispatchSettings()
