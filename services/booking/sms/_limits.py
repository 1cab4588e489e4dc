"""Per-number rate limit for inbound texts, counted in the database so every process agrees.

A number may send ``limit`` texts within ``window``. The next one gets a single polite answer in
the rider's language; after that the webhook stays silent until older texts leave the window.
Rate-limited texts are still stored (nothing accepted is lost), only not handled. Opt-out and
opt-in keywords are always handled: a carrier keyword must work however busy a number is.
"""

# The Chinese text rightly uses full-width punctuation, which this rule flags as look-alikes.
# ruff: noqa: RUF001

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from shared.i18n import Language
from shared.models import InboundMessage

# Short enough for one segment in either language (GSM-7: 160, UCS-2: 70 characters).
TOO_MANY: dict[Language, str] = {
    Language.EN: (
        "You have sent many messages. Please wait about {minutes} minutes, then try again."
    ),
    Language.ZH_HANT: "您發送的訊息太多，請等約{minutes}分鐘後再試。",
}


class InboundSettings(BaseSettings):
    """How many texts one number may send in a window before the webhook stops answering."""

    model_config = SettingsConfigDict(env_prefix="SMS_INBOUND_", extra="ignore")

    rate_limit: int = Field(default=20, ge=1, description="Texts one number may send per window.")
    rate_window_seconds: float = Field(
        default=600.0, gt=0, description="The rate-limit window, in seconds."
    )


class Verdict(Enum):
    """What to do with one text, given how many the number sent in the window."""

    HANDLE = "handle"
    WARN = "warn"
    SILENT = "silent"


@dataclass(frozen=True)
class RateLimit:
    """``limit`` texts per ``window`` for each number."""

    limit: int = 20
    window: timedelta = timedelta(minutes=10)

    @classmethod
    def from_settings(cls) -> RateLimit:
        """The limit from ``SMS_INBOUND_RATE_LIMIT`` and ``SMS_INBOUND_RATE_WINDOW_SECONDS``."""
        settings = InboundSettings()
        return cls(settings.rate_limit, timedelta(seconds=settings.rate_window_seconds))

    def verdict(self, count: int) -> Verdict:
        """``count`` includes the text being judged."""
        if count <= self.limit:
            return Verdict.HANDLE
        return Verdict.WARN if count == self.limit + 1 else Verdict.SILENT

    def text(self, language: Language) -> str:
        """The polite "too many messages" answer."""
        minutes = max(1, round(self.window.total_seconds() / 60))
        return TOO_MANY[language].format(minutes=minutes)

    def count(self, session: Session, organisation_id: int, from_number: str, now: datetime) -> int:
        """Texts from ``from_number`` to this organisation in the window ending at ``now``."""
        return int(session.exec(self.count_query(organisation_id, from_number, now)).one())

    def count_query(
        self, organisation_id: int, from_number: str, now: datetime
    ) -> SelectOfScalar[int]:
        """The query ``count`` runs, for a caller that sends it along with others."""
        return (
            select(func.count())
            .select_from(InboundMessage)
            .where(
                InboundMessage.organisation_id == organisation_id,
                InboundMessage.from_number == from_number,
                col(InboundMessage.received_at) > now - self.window,
                col(InboundMessage.received_at) <= now,
            )
        )
