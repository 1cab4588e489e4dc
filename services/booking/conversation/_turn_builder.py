"""The working context of one turn, from which the engine makes the ``Turn`` it returns.

``TurnBuilder`` holds the state being changed, the reply language, the clock and the actions
decided so far.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from services.booking.conversation._actions import Action
from services.booking.conversation._model import (
    ConversationContext,
    ConversationState,
    Draft,
    Step,
    Turn,
)
from services.booking.conversation.places import PlaceEntry
from services.booking.conversation.replies import render
from shared.i18n import Language, time_zone


def aware_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass
class TurnBuilder:
    """Mutable scratch space for building one ``Turn``; never stored.

    Not a database session: the engine does no I/O.
    """

    ctx: ConversationContext
    state: ConversationState
    language: Language
    actions: list[Action] = field(default_factory=list)

    @property
    def zone(self) -> ZoneInfo:
        """The organisation's time zone."""
        return time_zone(self.ctx.time_zone)

    @property
    def now_local(self) -> datetime:
        """The current moment in the organisation's time zone."""
        return aware_utc(self.ctx.now).astimezone(self.zone)

    @property
    def today(self) -> date:
        """Today's date in the organisation's time zone."""
        return self.now_local.date()

    @property
    def draft(self) -> Draft:
        """The ride being booked."""
        return self.state.draft

    def set_draft(self, draft: Draft) -> None:
        """Replace the draft."""
        self.state = replace(self.state, draft=draft)

    def move(self, step: Step, asking: str | None = None) -> None:
        """Go to ``step``, remembering which question (if any) the rider is answering."""
        self.state = replace(self.state, step=step, asking=asking)

    def place(self, place_id: str | None) -> PlaceEntry | None:
        """The catalogue entry with this id, or None."""
        return next((entry for entry in self.ctx.places if entry.id == place_id), None)

    def place_name(self, entry: PlaceEntry) -> str:
        """The place's name in the reply language."""
        if self.language == "zh-Hant" and entry.name_zh:
            return entry.name_zh
        return entry.name_en or entry.name_zh

    def text(self, key: str, **values: object) -> str:
        """A reply template in the turn's language."""
        return render(key, self.language, **values)

    def local_time_has_passed(self, ride_date: date, ride_time: time) -> bool:
        """True if ``ride_date`` at ``ride_time`` is not in the future."""
        moment = datetime.combine(ride_date, ride_time, tzinfo=self.zone)
        return moment <= self.now_local

    def finish(self, reply: str | None) -> Turn:
        """The turn to return: state stamped with language and time, plus the actions."""
        stamped = replace(
            self.state,
            language=self.language,
            updated_at=aware_utc(self.ctx.now).isoformat(),
        )
        return Turn(state=stamped, reply=reply, language=self.language, actions=tuple(self.actions))
