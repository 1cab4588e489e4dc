"""Pull every booking slot out of one message: "grocery at T&T tomorrow 10am, back by 1".

Each parser marks what it used; the remaining words tell whether the rider named a place we do
not know ("Costco") or wrote something we could not read at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, time

from services.booking.conversation import _vocabulary as vocab
from services.booking.conversation._text import blank_out, normalise
from services.booking.conversation.dates import (
    DateFound,
    DateProblem,
    TimeFound,
    find_date,
    find_time,
    find_wait,
)
from services.booking.conversation.places import (
    PlaceEntry,
    PlaceMatch,
    find_by_street,
    find_place,
    street_span,
)


@dataclass(frozen=True)
class Extracted:
    """What one message said about the ride; None means "not mentioned"."""

    kind: str | None = None
    place: PlaceMatch = field(default_factory=PlaceMatch)
    ride_date: date | None = None
    date_problem: DateProblem | None = None
    ride_time: time | None = None
    return_trip: bool | None = None
    return_pickup: time | None = None
    return_home_by: time | None = None
    return_wait: int | None = None
    passengers: int | None = None
    needs_added: tuple[str, ...] = ()
    needs_removed: tuple[str, ...] = ()
    leftover: str = ""
    # "morning", "afternoon", "evening": a part of the day given without a clock time.
    time_hint: str | None = None
    # The catalogue kinds a word like "doctor" or "超市" points to, narrowest first.
    place_kinds: tuple[str, ...] = ()

    @property
    def anything(self) -> bool:
        """True if the message gave or touched at least one slot."""
        return any(
            (
                self.kind,
                self.place.places,
                self.ride_date,
                self.date_problem,
                self.ride_time,
                self.return_trip is not None,
                self.passengers,
                self.needs_added,
                self.needs_removed,
            )
        )


def _all_times(text: str, *, bare_numbers: bool) -> list[TimeFound]:
    found: list[TimeFound] = []
    for _ in range(4):
        hit = find_time(text, bare_numbers=bare_numbers, normalised=True)
        if hit is None:
            break
        found.append(hit)
        text = blank_out(text, hit.span)
    return sorted(found, key=lambda hit: hit.span)


def _return_context(text: str, span: tuple[int, int], outbound_known: bool) -> str | None:
    """ "home_by", "pickup" or None (an outbound time), from the words around a time."""
    before, after = text[max(0, span[0] - 24) : span[0]], text[span[1] : span[1] + 8]
    english = vocab.EN_RETURN_BEFORE.search(before)
    if english is not None:
        word, preposition = english.group(1), english.group(2)
        # The time parser keeps "by 1" / "at 1" in its span, so look there too.
        preposition = preposition or text[span[0] : span[1]].split(" ", 1)[0]
        if word.startswith("pick") and not outbound_known:
            return None  # "pick me up at 9" with no ride time yet is the outbound pick-up.
        if word in {"back", "home"} and preposition in {"by", "before"}:
            return "home_by"
        return "pickup"
    chinese = vocab.ZH_RETURN_AFTER.search(after)
    if chinese is not None:
        if chinese.group(1):
            return "home_by"
        # A bare "四點接我" is the ride home only once the outbound time is known.
        bare_pickup = not any(word in chinese.group(0) for word in ("回", "返", "走"))
        return None if bare_pickup and not outbound_known else "pickup"
    if vocab.ZH_RETURN_BEFORE.search(before):
        return "pickup"
    return None


def ride_kind_for_place(place: PlaceEntry) -> str:
    """The ride kind a catalogue place implies (a clinic means an appointment)."""
    return vocab.PLACE_KIND_TO_RIDE.get(place.kind.lower(), "errand")


def extract(
    text: str,
    *,
    today: date,
    catalogue: Sequence[PlaceEntry],
    asking: str | None = None,
    outbound_time: time | None = None,
) -> Extracted:
    """Read every slot ``text`` mentions; ``asking`` is the question the rider is answering."""
    original = normalise(text)
    norm = _drop_negated(original)
    rest = norm
    # "唔係九點, 十點呀" corrects the ride time even while we ask about the ride home.
    corrects_time = norm != original and find_time(original, normalised=True) is not None
    if corrects_time and asking in {"return", "return_time"}:
        asking = None
    slots: dict[str, object] = {}

    date_hit = find_date(norm, today, normalised=True)
    if isinstance(date_hit, DateFound):
        slots["ride_date"] = date_hit.value
    elif isinstance(date_hit, DateProblem):
        slots["date_problem"] = date_hit
    elif asking == "date" and (bare := vocab.BARE_DAY.match(norm)):
        # Just "5" in answer to "What day?" is the 5th.
        day_hit = find_date(f"the {int(bare.group(1))}th", today)
        if isinstance(day_hit, DateFound):
            slots["ride_date"] = day_hit.value
        elif isinstance(day_hit, DateProblem):
            slots["date_problem"] = replace(day_hit, span=bare.span(1))
        date_hit = None
        rest = ""
    if date_hit is not None:
        rest = blank_out(rest, date_hit.span)

    wait = find_wait(norm, normalised=True, bare=asking in {"return", "return_time"})
    if wait is not None:
        slots.update(return_trip=True, return_wait=wait.minutes)
        rest = blank_out(rest, wait.span)
    no_return = vocab.NO_RETURN.search(norm)
    if no_return is not None:
        slots["return_trip"] = False
        rest = blank_out(rest, no_return.span())
    elif (round_trip := vocab.ROUND_TRIP.search(norm)) is not None:
        slots.setdefault("return_trip", True)
        rest = blank_out(rest, round_trip.span())

    for span in _read_times(norm, rest, asking, outbound_time, slots):
        rest = blank_out(rest, span)
    if "ride_time" not in slots and isinstance(date_hit, DateFound):
        # "sat 10", "tues 11": an hour right after the day is the time.
        after_date = _HOUR_AFTER_DATE.match(rest, date_hit.span[1])
        if after_date is not None and 1 <= int(after_date.group(1)) <= 12:
            hour = int(after_date.group(1))
            slots["ride_time"] = time(hour + 12 if hour <= 6 else hour)
            rest = blank_out(rest, after_date.span(1))
    if "ride_time" not in slots:
        for hint, pattern in vocab.VAGUE_TIME:
            if (vague := pattern.search(rest)) is not None:
                slots["time_hint"] = hint
                rest = blank_out(rest, vague.span())
                break

    place = find_place(norm, catalogue, normalised=True)
    if place.span is not None:
        rest = blank_out(rest, place.span)
    if place.found is not None:
        slots["kind"] = ride_kind_for_place(place.found)
    kinds: list[str] = []
    for _word, place_kinds, pattern in vocab.PLACE_WORDS:
        if pattern.search(rest):
            kinds.extend(k for k in place_kinds if k not in kinds)
    if kinds:
        slots["place_kinds"] = tuple(kinds)
    for kind, pattern in vocab.KIND_PATTERNS:
        hit = pattern.search(rest)
        if hit is not None:
            slots.setdefault("kind", kind)
            rest = blank_out(rest, hit.span())
    if place.found is None and not place.places:
        street = find_by_street(rest, catalogue, kinds=tuple(kinds))
        if street is not None:
            place = PlaceMatch(places=(street,), span=None, score=90.0)
            slots["kind"] = ride_kind_for_place(street)
            rest = blank_out(rest, street_span(rest, street))

    rest = _read_people(rest, slots)
    leftover = _leftover(rest)
    return Extracted(place=place, leftover=leftover, **slots)  # type: ignore[arg-type]


_HOUR_AFTER_DATE = re.compile(
    r"\s*,?\s*(\d{1,2})(?![\d:./]|\s*(?:people|ppl|persons?|passengers?|adults|of us|hours?"
    r"|hrs?|min|mins|minutes?|th|st|nd|rd|am|pm|a\.m|p\.m|人|個|位|號|日|月|點|時|分))"
)
_NEGATED = re.compile(
    r"\bnot\s+(?:the\s+|at\s+|on\s+)?([^,;.!]+?)\s*(?:[,;.!]|\bi mean\b|\bbut\b|\bit'?s\b|$)"
    r"|(?:唔係|不是)\s*([^,;.!。係是]+?)\s*(?:[,;.!。]|(?=係|是|而係))"
)


def _drop_negated(norm: str) -> str:
    """Blank what the rider says it is not: "not No Frills, I mean Btrust", "唔係十點, 係十一點"."""
    for hit in _NEGATED.finditer(norm):
        group = 1 if hit.group(1) is not None else 2
        if hit.group(group).strip() in {"going", "sure", "needed", "need"}:
            continue
        norm = blank_out(norm, hit.span(group))
    return norm


def _read_times(
    norm: str,
    rest: str,
    asking: str | None,
    outbound_time: time | None,
    slots: dict[str, object],
) -> list[tuple[int, int]]:
    """Sort each time in the message into the ride time or the ride home; return their spans.

    Times are looked for in ``rest`` (dates and waits blanked, so 禮拜四十點 is Thursday at
    ten, not "forty o'clock"); the words around them are read in ``norm``.
    """
    spans: list[tuple[int, int]] = []
    outbound_known = outbound_time is not None or asking in {"return", "return_time"}
    for hit in _all_times(rest, bare_numbers=asking in {"time", "return", "return_time"}):
        context = _return_context(norm, hit.span, outbound_known)
        if context is None and asking in {"return", "return_time"}:
            context = "pickup"
        if context is None:
            if "ride_time" not in slots:
                slots["ride_time"] = hit.value
                outbound_known = True
                spans.append(hit.span)
            continue
        after = slots.get("ride_time", outbound_time)
        assert after is None or isinstance(after, time)
        piece = norm[hit.span[0] : hit.span[1]]
        reread = find_time(piece, bare_numbers=True, after=after, normalised=True)
        value = reread.value if reread is not None else hit.value
        slots["return_trip"] = True
        slots["return_home_by" if context == "home_by" else "return_pickup"] = value
        spans.append(hit.span)
    return spans


def _read_people(rest: str, slots: dict[str, object]) -> str:
    people = vocab.PASSENGERS.search(rest)
    if people is not None:
        token = people.group(1) or people.group(2)
        count = vocab.NUM_WORDS.get(token) or vocab.CN_SMALL.get(token) or int(token)
        slots["passengers"] = count
        rest = blank_out(rest, people.span())
    elif (companion := vocab.COMPANION.search(rest)) is not None:
        slots["passengers"] = 2
        rest = blank_out(rest, companion.span())
    elif (alone := vocab.ALONE.search(rest)) is not None:
        slots["passengers"] = 1
        rest = blank_out(rest, alone.span())
    added: list[str] = []
    removed: list[str] = []
    for need, pattern in vocab.NEEDS_PATTERNS:
        for hit in pattern.finditer(rest):
            negated = vocab.NEGATION.search(rest[max(0, hit.start() - 14) : hit.start()])
            (removed if negated else added).append(need)
            rest = blank_out(rest, hit.span())
    if added:
        slots["needs_added"] = tuple(dict.fromkeys(added))
    if removed:
        slots["needs_removed"] = tuple(dict.fromkeys(removed))
    return rest


def _leftover(rest: str) -> str:
    """Words nothing explained: a place we do not know, or nonsense."""
    words = [w for w in vocab.LATIN_WORD.findall(rest) if w.strip("'") not in vocab.EN_STOPWORDS]
    chinese = "".join(vocab.CJK_CHAR.findall(vocab.ZH_STOP_PHRASES.sub(" ", rest)))
    return " ".join([*words, chinese] if len(chinese) >= 2 else words)
