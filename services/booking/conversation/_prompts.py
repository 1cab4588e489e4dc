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
from services.booking.conversation._turn_builder import TurnBuilder
from services.booking.conversation.replies import fit_list, shorten
from shared.i18n import format_date, format_time

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


def place_examples(builder: TurnBuilder, limit: int = 3) -> str:
    """A few catalogue names to show as examples."""
    names = [builder.place_name(entry) for entry in builder.ctx.places[:limit]]
    if not names:
        return "超市或診所名稱" if builder.language == "zh-Hant" else "a store or clinic name"
    return fit_list(names, builder.language)


def _clock(value: str | None, builder: TurnBuilder) -> str:
    parsed = time.fromisoformat(value) if value else time(12)
    return format_time(parsed, builder.language)


def summary(builder: TurnBuilder) -> str:
    """One-line description of the draft ride in the reply language."""
    draft, zh = builder.draft, builder.language == "zh-Hant"
    entry = builder.place(draft.place_id)
    place = builder.place_name(entry) if entry is not None else "?"
    place = shorten(place, _PLACE_NAME_LIMIT[builder.language])
    day = format_date(draft.date_value, builder.language) if draft.date_value else "?"
    at = _clock(draft.ride_time, builder)
    if not draft.return_trip:
        ride_home = "不需要回程" if zh else "No ride home"
    elif draft.return_home_by:
        home_by = _clock(draft.return_home_by, builder)
        ride_home = f"回程：{home_by}前到家" if zh else f"Home by {home_by}"
    elif draft.return_pickup:
        pickup = _clock(draft.return_pickup, builder)
        ride_home = f"回程：{pickup}接" if zh else f"Ride home at {pickup}"
    else:
        wait = draft.return_wait or 0
        ride_home = f"回程：等{wait}分鐘後接" if zh else f"Ride home after a {wait} min wait"
    needs = [_NEEDS_TEXT[builder.language][need] for need in draft.needs]
    if zh:
        extra = "".join(f"，{need}" for need in needs)
        return f"{day}{at}去{place}。{ride_home}。{draft.passengers}人{extra}。"
    people = "1 person" if draft.passengers == 1 else f"{draft.passengers} people"
    extra = "".join(f", {need}" for need in needs)
    return f"{place}, {day} at {at}. {ride_home}. {people}{extra}."


def next_question(builder: TurnBuilder) -> str:
    """Move to the next unanswered question (or the confirmation) and return its text."""
    slot = missing_slot(builder.draft)
    if slot is None:
        builder.move(Step.CONFIRM)
        return builder.text("confirm", summary=summary(builder))
    builder.move(Step.BOOKING, asking=slot)
    if slot == "place":
        return builder.text("ask_place", examples=place_examples(builder))
    return builder.text(f"ask_{slot}")


def choice_list(builder: TurnBuilder) -> str:
    """ "1) No Frills (Dundas) 2) No Frills (Bathurst)" for the place choices in the state."""
    entries = [builder.place(place_id) for place_id in builder.state.choices]
    options = [
        f"{number}) {builder.place_name(entry)}"
        for number, entry in enumerate(entries, start=1)
        if entry is not None
    ]
    return fit_list(options, builder.language, separator=" ")


def current_question(builder: TurnBuilder, *, needs_registration: bool) -> str:
    """Re-ask whatever the conversation is waiting for (after a language switch, a picture...)."""
    step = builder.state.step
    if step in {Step.START, Step.REG_NAME} and needs_registration:
        builder.move(Step.REG_NAME)
        return builder.text("welcome_new", programme=builder.ctx.programme_name)
    if step == Step.REG_ADDRESS:
        return builder.text("ask_address")
    if step == Step.CHOOSE_PLACE and builder.state.choices:
        return builder.text("choose_place", options=choice_list(builder))
    return next_question(builder)
