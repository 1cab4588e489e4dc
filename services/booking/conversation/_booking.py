"""The booking steps: fill slots from messages, pick among similar places, confirm, book."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, time

from services.booking.conversation import _vocabulary as vocab
from services.booking.conversation._actions import CreateRideRequest, FlagForDispatcher
from services.booking.conversation._intents import answer as read_answer
from services.booking.conversation._model import NEEDS, ConversationState, Draft, Step
from services.booking.conversation._prompts import choice_list, missing_slot, next_question
from services.booking.conversation._slots import Extracted, extract, ride_kind_for_place
from services.booking.conversation._text import normalise
from services.booking.conversation._turn_builder import TurnBuilder
from services.booking.conversation.dates import DateProblem
from services.booking.conversation.keywords import yes_or_no
from services.booking.conversation.places import PlaceMatch, find_place, narrow, suggest_places
from services.booking.conversation.replies import fit_list, join
from shared.i18n import format_date, format_time
from shared.ride_requests import reference_code

# After this many messages in a row we cannot use, a person takes over.
MAX_MISSES = 3
_CHOICE_NUMBER = re.compile(r"^\s*#?\s*([1-9])\s*$")


def _apply(builder: TurnBuilder, found: Extracted) -> str | None:
    """Copy what the message said into the draft; return a problem to tell the rider, if any."""
    draft = builder.draft
    problem: str | None = None
    if found.place.found is not None:
        draft = replace(draft, place_id=found.place.found.id, kind=found.kind or draft.kind)
    elif found.kind is not None:
        draft = replace(draft, kind=found.kind)
    if found.ride_date is not None:
        draft = replace(draft, ride_date=found.ride_date.isoformat())
    if found.ride_time is not None:
        draft = replace(draft, ride_time=found.ride_time.strftime("%H:%M"))
    if found.return_trip is False:
        draft = replace(
            draft, return_trip=False, return_pickup=None, return_home_by=None, return_wait=None
        )
    elif found.return_trip:
        draft = replace(draft, return_trip=True)
        # The three ways home exclude each other; the newest one the rider gave wins.
        if found.return_wait is not None:
            draft = _ride_home(draft, wait=found.return_wait)
        if found.return_pickup is not None:
            draft = _ride_home(draft, pickup=found.return_pickup.strftime("%H:%M"))
        if found.return_home_by is not None:
            draft = _ride_home(draft, home_by=found.return_home_by.strftime("%H:%M"))
    if found.passengers is not None:
        draft = replace(draft, passengers=max(1, min(found.passengers, 8)))
    needs = [n for n in NEEDS if (n in draft.needs or n in found.needs_added)]
    draft = replace(draft, needs=tuple(n for n in needs if n not in found.needs_removed))

    ride_time, ride_date = draft.time_value, draft.date_value
    if ride_date is not None and ride_time is not None:
        if builder.local_time_has_passed(ride_date, ride_time):
            problem = builder.text("time_past")
            draft = replace(draft, ride_time=None)
        else:
            ride_home = _time_or_none(draft.return_pickup or draft.return_home_by)
            if ride_home is not None and ride_home <= ride_time:
                problem = builder.text(
                    "return_before", time=format_time(ride_time, builder.language)
                )
                draft = replace(draft, return_pickup=None, return_home_by=None)
    if found.date_problem is not None:
        problem = _date_problem_text(builder, found.date_problem)
    builder.set_draft(draft)
    return problem


def _ride_home(
    draft: Draft, *, pickup: str | None = None, home_by: str | None = None, wait: int | None = None
) -> Draft:
    return replace(draft, return_pickup=pickup, return_home_by=home_by, return_wait=wait)


def _date_problem_text(builder: TurnBuilder, problem: DateProblem) -> str:
    if problem.problem == "ambiguous" and len(problem.options) == 2:
        first, second = (format_date(option, builder.language) for option in problem.options)
        example = format_date(problem.options[1], builder.language, weekday=False)
        return builder.text("date_ambiguous", first=first, second=second, example=example)
    key = "date_past" if problem.problem == "past" else "date_impossible"
    return builder.text(key)


def _miss(builder: TurnBuilder, prefix_key: str = "didnt_get") -> str:
    """Count a message we could not use; hand over to a person after too many."""
    misses = builder.state.misses + 1
    if misses >= MAX_MISSES:
        asking = builder.state.asking or str(builder.state.step)
        builder.actions.append(
            FlagForDispatcher(f"Rider could not finish an SMS booking (stuck at: {asking}).")
        )
        builder.state = replace(builder.state, misses=0)
        return builder.text("flagged")
    builder.state = replace(builder.state, misses=misses)
    return join(builder.text(prefix_key), _repeat_question(builder))


def _repeat_question(builder: TurnBuilder) -> str:
    if builder.state.step == Step.CHOOSE_PLACE and builder.state.choices:
        return builder.text("choose_place", options=choice_list(builder))
    return next_question(builder)


def handle_booking(builder: TurnBuilder, body: str) -> str:
    """Read a message while collecting slots (also used for corrections after the summary)."""
    state = builder.state
    asking = state.asking
    answer = yes_or_no(body)
    if answer is not None and asking in {"return", "return_time"}:
        if asking == "return" or answer is False:
            builder.set_draft(replace(builder.draft, return_trip=answer))
        builder.state = replace(builder.state, misses=0)
        return next_question(builder)
    if answer is not None and state.step == Step.START:
        return next_question(builder)
    found = extract(
        body,
        today=builder.today,
        catalogue=builder.ctx.places,
        asking=asking,
        outbound_time=builder.draft.time_value,
    )
    if not found.place.places and builder.draft.place_id is not None:
        found = _sibling(builder, body, found)
    problem = _apply(builder, found)
    if asking in {"return", "return_time"} and found.return_trip is None:
        # "no thanks, I'll take the bus", "yes I need a ride back": the answer leads the text.
        lead = read_answer(body)
        if lead.value is not None and (asking == "return" or lead.value is False):
            builder.set_draft(replace(builder.draft, return_trip=lead.value))
            found = replace(found, return_trip=lead.value)
    if len(found.place.places) > 1:
        # At most four options: a longer list is no help by SMS; the rider can be more specific.
        options = tuple(p.id for p in found.place.places[:4])
        builder.state = replace(builder.state, choices=options)
        builder.move(Step.CHOOSE_PLACE)
        return join(problem or "", builder.text("choose_place", options=choice_list(builder)))
    if problem is not None:
        builder.state = replace(builder.state, misses=0)
        next_question(builder)  # keep step/asking consistent with what is still missing
        return problem
    if not found.anything and vocab.OPT_OUT_MENTION.search(normalise(body)):
        return builder.text("stop_hint")
    place_missing = builder.draft.place_id is None or asking == "place"
    if place_missing and found.place.found is None and found.place_kinds:
        offered = _places_of_kind(builder, found.place_kinds)
        if offered:
            # "see a doctor", "去睇醫生": ask which one, the rider's own places first.
            builder.state = replace(builder.state, choices=offered, misses=0)
            builder.move(Step.CHOOSE_PLACE)
            return join(problem or "", builder.text("choose_place", options=choice_list(builder)))
    if found.time_hint is not None and missing_slot(builder.draft) == "time" and problem is None:
        # "after lunch", "早上": ask for the time, offering that part of the day.
        builder.state = replace(builder.state, misses=0)
        next_question(builder)
        return builder.text(f"ask_time_{found.time_hint}")
    if (
        found.leftover
        and found.place.found is None
        and place_missing
        and answer is None
        and looks_like_place(found.leftover)
    ):
        suggestions = suggest_places(found.leftover, builder.ctx.places)
        names = fit_list([builder.place_name(entry) for entry in suggestions], builder.language)
        next_question(builder)
        builder.state = replace(builder.state, misses=min(builder.state.misses + 1, 9))
        if builder.state.misses >= MAX_MISSES:
            return _miss(builder)
        return builder.text("unknown_place", suggestions=names or "-")
    if not found.anything and found.time_hint is None and state.step != Step.START:
        return _miss(builder)
    builder.state = replace(builder.state, misses=0)
    return next_question(builder)


def _sibling(builder: TurnBuilder, body: str, found: Extracted) -> Extracted:
    """ "唔係嗰間, 係萬錦嗰間", "the Markham one": another branch of the same kind of place."""
    current = builder.place(builder.draft.place_id)
    if current is None:
        return found
    siblings = [entry for entry in builder.ctx.places if entry.kind == current.kind]
    chosen = narrow(body, siblings) if len(siblings) > 1 else None
    if chosen is None or chosen.id == current.id:
        return found
    return replace(found, place=PlaceMatch(places=(chosen,), score=90.0))


def _places_of_kind(builder: TurnBuilder, kinds: tuple[str, ...]) -> tuple[str, ...]:
    """Ids of catalogue places of ``kinds``, the rider's recent ones first (at most four)."""
    catalogue = builder.ctx.places
    recent = builder.ctx.rider.recent_places if builder.ctx.rider is not None else ()
    fitting = [entry.id for entry in catalogue if entry.kind.lower() in kinds]
    ordered = [place_id for place_id in recent if place_id in fitting]
    ordered += [place_id for place_id in fitting if place_id not in ordered]
    return tuple(ordered[:4])


def looks_like_place(leftover: str) -> bool:
    """True if the words nothing explained could be a place name we do not know ("Costco").

    Everyday words ("my son will sort it out") and Chinese with particles or verbs are not a
    place: answering them with "I don't know that place" would only confuse the rider.
    """
    words = leftover.split()
    latin = [word for word in words if word.isascii()]
    chinese = "".join(word for word in words if not word.isascii())
    unusual = [word for word in latin if word not in vocab.COMMON_WORDS]
    if latin and len(unusual) * 2 >= len(latin) and len(latin) <= 5:
        return True
    if chinese:
        if vocab.ZH_PLACE_END.search(chinese):
            return True
        return len(chinese) <= 5 and not vocab.ZH_NOT_PLACE.search(chinese)
    return False


def handle_choice(builder: TurnBuilder, body: str) -> str:
    """Read the answer to "Which one? 1) ... 2) ..."."""
    choices = [entry for entry in map(builder.place, builder.state.choices) if entry is not None]
    number = _CHOICE_NUMBER.match(normalise(body))
    chosen = None
    if number is not None and int(number.group(1)) <= len(choices):
        chosen = choices[int(number.group(1)) - 1]
    else:
        chosen = find_place(body, choices).found or narrow(body, choices)
    if chosen is None:
        builder.move(Step.BOOKING)
        builder.state = replace(builder.state, choices=())
        return handle_booking(builder, body)
    kind = ride_kind_for_place(chosen)
    builder.set_draft(replace(builder.draft, place_id=chosen.id, kind=kind))
    builder.state = replace(builder.state, choices=(), misses=0)
    return next_question(builder)


def handle_confirm(builder: TurnBuilder, body: str) -> str:
    """Read the answer to the summary: YES books, NO asks what to change, else a correction."""
    answer = yes_or_no(body)
    if answer is False:
        builder.move(Step.BOOKING)
        return builder.text("what_to_change")
    if answer is True:
        return _book(builder)
    return handle_booking(builder, body)


def _book(builder: TurnBuilder) -> str:
    draft = builder.draft
    entry = builder.place(draft.place_id)
    ride_date, ride_time = draft.date_value, draft.time_value
    if entry is None or ride_date is None or ride_time is None:
        return next_question(builder)
    if builder.local_time_has_passed(ride_date, ride_time):
        builder.set_draft(replace(draft, ride_time=None))
        next_question(builder)
        return builder.text("time_past")
    code = reference_code(builder.ctx.rng)
    at_local = datetime.combine(ride_date, ride_time, tzinfo=builder.zone)
    builder.actions.append(
        CreateRideRequest(
            reference_code=code,
            kind=draft.kind or ride_kind_for_place(entry),
            place_id=entry.id,
            ride_date=ride_date,
            ride_time=ride_time,
            at_utc=at_local.astimezone(UTC),
            passengers=draft.passengers,
            needs=draft.needs,
            return_trip=bool(draft.return_trip),
            return_pickup_time=_time_or_none(draft.return_pickup),
            return_home_by=_time_or_none(draft.return_home_by),
            return_wait_minutes=draft.return_wait,
            language=builder.language,
        )
    )
    builder.state = replace(
        ConversationState(),
        language=builder.state.language,
        language_chosen=builder.state.language_chosen,
        registered=builder.state.registered,
    )
    return builder.text("booked", code=code)


def _time_or_none(value: str | None) -> time | None:
    return None if value is None else time.fromisoformat(value)
