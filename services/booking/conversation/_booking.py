"""The booking steps: fill slots from messages, pick among similar places, confirm, book."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, time

from services.booking.conversation import _vocabulary as vocab
from services.booking.conversation._actions import CreateRideRequest, FlagForDispatcher
from services.booking.conversation._model import NEEDS, ConversationState, Draft, Step
from services.booking.conversation._prompts import choice_list, next_question
from services.booking.conversation._slots import Extracted, extract, ride_kind_for_place
from services.booking.conversation._text import normalise

# The parameters below keep their old name, ``session: Session``, until the concurrent formatting
# changes to this module have merged; it is the ``TurnBuilder``, not a database session.
from services.booking.conversation._turn_builder import TurnBuilder as Session
from services.booking.conversation.dates import DateProblem
from services.booking.conversation.keywords import yes_or_no
from services.booking.conversation.places import find_place, narrow, suggest_places
from services.booking.conversation.replies import fit_list, format_date, format_time, join
from shared.ride_requests import reference_code

# After this many messages in a row we cannot use, a person takes over.
MAX_MISSES = 3
_CHOICE_NUMBER = re.compile(r"^\s*#?\s*([1-9])\s*$")


def _apply(session: Session, found: Extracted) -> str | None:
    """Copy what the message said into the draft; return a problem to tell the rider, if any."""
    draft = session.draft
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
        if session.local_time_has_passed(ride_date, ride_time):
            problem = session.text("time_past")
            draft = replace(draft, ride_time=None)
        else:
            ride_home = _time_or_none(draft.return_pickup or draft.return_home_by)
            if ride_home is not None and ride_home <= ride_time:
                problem = session.text(
                    "return_before", time=format_time(ride_time, session.language)
                )
                draft = replace(draft, return_pickup=None, return_home_by=None)
    if found.date_problem is not None:
        problem = _date_problem_text(session, found.date_problem)
    session.set_draft(draft)
    return problem


def _ride_home(
    draft: Draft, *, pickup: str | None = None, home_by: str | None = None, wait: int | None = None
) -> Draft:
    return replace(draft, return_pickup=pickup, return_home_by=home_by, return_wait=wait)


def _date_problem_text(session: Session, problem: DateProblem) -> str:
    if problem.problem == "ambiguous" and len(problem.options) == 2:
        first, second = (format_date(option, session.language) for option in problem.options)
        example = f"{problem.options[1].month}月{problem.options[1].day}日"
        if session.language == "en":
            example = format_date(problem.options[1], "en").split(" ", 1)[1]
        return session.text("date_ambiguous", first=first, second=second, example=example)
    key = "date_past" if problem.problem == "past" else "date_impossible"
    return session.text(key)


def _miss(session: Session, prefix_key: str = "didnt_get") -> str:
    """Count a message we could not use; hand over to a person after too many."""
    misses = session.state.misses + 1
    if misses >= MAX_MISSES:
        asking = session.state.asking or str(session.state.step)
        session.actions.append(
            FlagForDispatcher(f"Rider could not finish an SMS booking (stuck at: {asking}).")
        )
        session.state = replace(session.state, misses=0)
        return session.text("flagged")
    session.state = replace(session.state, misses=misses)
    return join(session.text(prefix_key), _repeat_question(session))


def _repeat_question(session: Session) -> str:
    if session.state.step == Step.CHOOSE_PLACE and session.state.choices:
        return session.text("choose_place", options=choice_list(session))
    return next_question(session)


def handle_booking(session: Session, body: str) -> str:
    """Read a message while collecting slots (also used for corrections after the summary)."""
    state = session.state
    asking = state.asking
    answer = yes_or_no(body)
    if answer is not None and asking in {"return", "return_time"}:
        if asking == "return" or answer is False:
            session.set_draft(replace(session.draft, return_trip=answer))
        session.state = replace(session.state, misses=0)
        return next_question(session)
    if answer is not None and state.step == Step.START:
        return next_question(session)
    found = extract(
        body,
        today=session.today,
        catalogue=session.ctx.places,
        asking=asking,
        outbound_time=session.draft.time_value,
    )
    problem = _apply(session, found)
    if len(found.place.places) > 1:
        # At most four options: a longer list is no help by SMS; the rider can be more specific.
        options = tuple(p.id for p in found.place.places[:4])
        session.state = replace(session.state, choices=options)
        session.move(Step.CHOOSE_PLACE)
        return join(problem or "", session.text("choose_place", options=choice_list(session)))
    if problem is not None:
        session.state = replace(session.state, misses=0)
        next_question(session)  # keep step/asking consistent with what is still missing
        return problem
    if not found.anything and vocab.OPT_OUT_MENTION.search(normalise(body)):
        return session.text("stop_hint")
    place_missing = session.draft.place_id is None or asking == "place"
    if found.leftover and found.place.found is None and place_missing:
        suggestions = suggest_places(found.leftover, session.ctx.places)
        names = fit_list([session.place_name(entry) for entry in suggestions], session.language)
        next_question(session)
        session.state = replace(session.state, misses=min(session.state.misses + 1, 9))
        if session.state.misses >= MAX_MISSES:
            return _miss(session)
        return session.text("unknown_place", suggestions=names or "-")
    if not found.anything and state.step != Step.START:
        return _miss(session)
    session.state = replace(session.state, misses=0)
    return next_question(session)


def handle_choice(session: Session, body: str) -> str:
    """Read the answer to "Which one? 1) ... 2) ..."."""
    choices = [entry for entry in map(session.place, session.state.choices) if entry is not None]
    number = _CHOICE_NUMBER.match(normalise(body))
    chosen = None
    if number is not None and int(number.group(1)) <= len(choices):
        chosen = choices[int(number.group(1)) - 1]
    else:
        chosen = find_place(body, choices).found or narrow(body, choices)
    if chosen is None:
        session.move(Step.BOOKING)
        session.state = replace(session.state, choices=())
        return handle_booking(session, body)
    kind = ride_kind_for_place(chosen)
    session.set_draft(replace(session.draft, place_id=chosen.id, kind=kind))
    session.state = replace(session.state, choices=(), misses=0)
    return next_question(session)


def handle_confirm(session: Session, body: str) -> str:
    """Read the answer to the summary: YES books, NO asks what to change, else a correction."""
    answer = yes_or_no(body)
    if answer is False:
        session.move(Step.BOOKING)
        return session.text("what_to_change")
    if answer is True:
        return _book(session)
    return handle_booking(session, body)


def _book(session: Session) -> str:
    draft = session.draft
    entry = session.place(draft.place_id)
    ride_date, ride_time = draft.date_value, draft.time_value
    if entry is None or ride_date is None or ride_time is None:
        return next_question(session)
    if session.local_time_has_passed(ride_date, ride_time):
        session.set_draft(replace(draft, ride_time=None))
        next_question(session)
        return session.text("time_past")
    code = reference_code(session.ctx.rng)
    at_local = datetime.combine(ride_date, ride_time, tzinfo=session.zone)
    session.actions.append(
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
            language=session.language,
        )
    )
    session.state = replace(
        ConversationState(),
        language=session.state.language,
        language_chosen=session.state.language_chosen,
        registered=session.state.registered,
    )
    return session.text("booked", code=code)


def _time_or_none(value: str | None) -> time | None:
    return None if value is None else time.fromisoformat(value)
