"""Which question to ask next, and the confirmation summary.

Questions come in a fixed order, place, day, time, ride home, so that a rider who answers only
what was asked is walked through, while one who says everything at once goes straight to the
summary.
"""

# Chinese summaries rightly use full-width punctuation, which this rule flags as look-alikes.
# ruff: noqa: RUF001

from __future__ import annotations

from datetime import time

from services.booking.conversation._model import Draft, Step
from services.booking.conversation._turn_builder import Session
from services.booking.conversation.replies import fit_list, format_date, format_time, shorten

# Long catalogue names are cut in the summary so the confirmation stays within two SMS.
_PLACE_NAME_LIMIT = {"en": 60, "zh-Hant": 20}
_NEEDS_TEXT = {
    "en": {"wheelchair": "wheelchair", "walker": "walker", "service_animal": "service animal"},
    "zh-Hant": {"wheelchair": "輪椅", "walker": "助行架", "service_animal": "服務動物"},
}


def missing_slot(draft: Draft) -> str | None:
    """The first slot the draft still needs, or None when it is ready to confirm."""
    if draft.place_id is None:
        return "place"
    if draft.date_value is None:
        return "date"
    if draft.time_value is None:
        return "time"
    if draft.return_trip is None:
        return "return"
    has_return_time = draft.return_pickup or draft.return_home_by or draft.return_wait
    if draft.return_trip and not has_return_time:
        return "return_time"
    return None


def place_examples(session: Session, limit: int = 3) -> str:
    """A few catalogue names to show as examples."""
    names = [session.place_name(entry) for entry in session.ctx.places[:limit]]
    if not names:
        return "超市或診所名稱" if session.language == "zh-Hant" else "a store or clinic name"
    return fit_list(names, session.language)


def _clock(value: str | None, session: Session) -> str:
    parsed = time.fromisoformat(value) if value else time(12)
    return format_time(parsed, session.language)


def summary(session: Session) -> str:
    """One-line description of the draft ride in the session's language."""
    draft, zh = session.draft, session.language == "zh-Hant"
    entry = session.place(draft.place_id)
    place = session.place_name(entry) if entry is not None else "?"
    place = shorten(place, _PLACE_NAME_LIMIT[session.language])
    day = format_date(draft.date_value, session.language) if draft.date_value else "?"
    at = _clock(draft.ride_time, session)
    if not draft.return_trip:
        ride_home = "不需要回程" if zh else "No ride home"
    elif draft.return_home_by:
        home_by = _clock(draft.return_home_by, session)
        ride_home = f"回程：{home_by}前到家" if zh else f"Home by {home_by}"
    elif draft.return_pickup:
        pickup = _clock(draft.return_pickup, session)
        ride_home = f"回程：{pickup}接" if zh else f"Ride home at {pickup}"
    else:
        wait = draft.return_wait or 0
        ride_home = f"回程：等{wait}分鐘後接" if zh else f"Ride home after a {wait} min wait"
    needs = [_NEEDS_TEXT[session.language][need] for need in draft.needs]
    if zh:
        extra = "".join(f"，{need}" for need in needs)
        return f"{day}{at}去{place}。{ride_home}。{draft.passengers}人{extra}。"
    people = "1 person" if draft.passengers == 1 else f"{draft.passengers} people"
    extra = "".join(f", {need}" for need in needs)
    return f"{place}, {day} at {at}. {ride_home}. {people}{extra}."


def next_question(session: Session) -> str:
    """Move to the next unanswered question (or the confirmation) and return its text."""
    slot = missing_slot(session.draft)
    if slot is None:
        session.move(Step.CONFIRM)
        return session.text("confirm", summary=summary(session))
    session.move(Step.BOOKING, asking=slot)
    if slot == "place":
        return session.text("ask_place", examples=place_examples(session))
    return session.text(f"ask_{slot}")


def choice_list(session: Session) -> str:
    """ "1) No Frills (Dundas) 2) No Frills (Bathurst)" for the place choices in the state."""
    entries = [session.place(place_id) for place_id in session.state.choices]
    options = [
        f"{number}) {session.place_name(entry)}"
        for number, entry in enumerate(entries, start=1)
        if entry is not None
    ]
    return fit_list(options, session.language, separator=" ")


def current_question(session: Session, *, needs_registration: bool) -> str:
    """Re-ask whatever the conversation is waiting for (after a language switch, a picture...)."""
    step = session.state.step
    if step in {Step.START, Step.REG_NAME} and needs_registration:
        session.move(Step.REG_NAME)
        return session.text("welcome_new", programme=session.ctx.programme_name)
    if step == Step.REG_ADDRESS:
        return session.text("ask_address")
    if step == Step.CHOOSE_PLACE and session.state.choices:
        return session.text("choose_place", options=choice_list(session))
    return next_question(session)
