"""A fake webhook that plays scenarios through ``handle`` the way the real caller will.

It stores the state as JSON between messages (as the database will), applies each action to a
small in-memory world (opt-out flag, the rider's language and upcoming rides), and checks every
step's expectations.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field, replace
from datetime import timedelta

from services.booking.conversation.engine import (
    Action,
    CancelRide,
    ConversationContext,
    ConversationState,
    CreateRideRequest,
    InboundText,
    OptIn,
    OptOut,
    RiderInfo,
    SetLanguage,
    Turn,
    UpcomingRide,
    action_to_dict,
    handle,
)
from shared.segments import segment_count
from tests.booking.scenarios import (
    HELP_CONTACT,
    PLACES,
    PROGRAMME,
    RIDERS,
    ExpectAction,
    Scenario,
    Step,
)


@dataclass
class FakeCaller:
    """What the webhook keeps per phone number between messages."""

    scenario: Scenario
    rider: RiderInfo | None = None
    opted_out: bool = False
    stored: str | None = None
    last_code: str | None = None
    now: object = None
    rng: random.Random = field(default_factory=random.Random)

    @classmethod
    def for_scenario(cls, scenario: Scenario) -> FakeCaller:
        """A caller set up as the scenario says."""
        rider = RIDERS[scenario.rider] if scenario.rider is not None else None
        return cls(scenario, rider, scenario.opted_out, rng=random.Random(scenario.name))

    def send(self, text: str, *, num_media: int = 0, at: object) -> Turn:
        """Deliver one inbound text and apply the resulting actions."""
        state = (
            None if self.stored is None else ConversationState.from_dict(json.loads(self.stored))
        )
        ctx = ConversationContext(
            now=at,  # type: ignore[arg-type]
            programme_name=PROGRAMME,
            help_contact=HELP_CONTACT,
            places=PLACES,
            rider=self.rider,
            opted_out=self.opted_out,
            time_zone=self.scenario.time_zone,
            rng=self.rng,
        )
        turn = handle(state, InboundText(text, num_media), ctx)
        self.stored = json.dumps(turn.state.to_dict())
        for action in turn.actions:
            self._apply(action, turn)
        return turn

    def _apply(self, action: Action, turn: Turn) -> None:
        if isinstance(action, OptOut):
            self.opted_out = True
        elif isinstance(action, OptIn):
            self.opted_out = False
        elif isinstance(action, SetLanguage) and self.rider is not None:
            self.rider = replace(self.rider, language=action.language)
        elif isinstance(action, CreateRideRequest):
            self.last_code = action.reference_code
            if self.rider is not None:
                ride = UpcomingRide(action.reference_code, action.at_utc, action.place_id, "")
                self.rider = replace(self.rider, upcoming=(*self.rider.upcoming, ride))
        elif isinstance(action, CancelRide) and self.rider is not None:
            kept = tuple(
                r for r in self.rider.upcoming if r.reference_code != action.reference_code
            )
            self.rider = replace(self.rider, upcoming=kept)
        # RegisterRider goes to a review queue: the number stays unknown to ctx, as in real life.


def _matches(expected: ExpectAction, action: Action) -> bool:
    data = action_to_dict(action)
    if data["type"] != expected.type:
        return False
    return all(data.get(key) == value for key, value in expected.fields.items())


def check_step(step: Step, turn: Turn, index: int) -> None:
    """Assert one step's expectations, with a message naming the step."""
    where = f"step {index} ({step.text[:40]!r})"
    if step.silent:
        assert turn.reply is None, f"{where}: expected silence, got {turn.reply!r}"
    else:
        assert turn.reply is not None, f"{where}: expected a reply"
        for fragment in step.reply:
            assert fragment.lower() in turn.reply.lower(), (
                f"{where}: {fragment!r} not in {turn.reply!r}"
            )
        assert segment_count(turn.reply) <= 2, f"{where}: reply too long: {turn.reply!r}"
    got = [action_to_dict(a) for a in turn.actions]
    assert len(turn.actions) == len(step.actions), f"{where}: actions {got}"
    for expected, action in zip(step.actions, turn.actions, strict=True):
        assert _matches(expected, action), (
            f"{where}: expected {expected}, got {action_to_dict(action)}"
        )


def run_scenario(scenario: Scenario) -> list[Turn]:
    """Play every step of ``scenario`` and check it; return the turns for further checks."""
    caller = FakeCaller.for_scenario(scenario)
    now = scenario.start
    turns: list[Turn] = []
    for index, step in enumerate(scenario.steps):
        if index:
            now += timedelta(minutes=step.minutes_later)
        text = step.text.replace("{last_code}", caller.last_code or "NONE")
        turn = caller.send(text, num_media=step.num_media, at=now)
        check_step(step, turn, index)
        turns.append(turn)
    return turns
