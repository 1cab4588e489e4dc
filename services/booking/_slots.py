"""Pull every booking slot out of one message: "grocery at T&T tomorrow 10am, back by 1".

Each parser marks what it used; the remaining words tell whether the rider named a place we do
not know ("Costco") or wrote something we could not read at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, time

from services.booking._text import blank_out, normalise
from services.booking.dates import (
    DateFound,
    DateProblem,
    TimeFound,
    find_date,
    find_time,
    find_wait,
)
from services.booking.places import PlaceEntry, PlaceMatch, find_place


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


_KINDS = (
    (
        "grocery",
        r"\bgrocer(?:y|ies)\b|\bshopping\b|\bsupermarket\b|買餸|買菜|超市|買嘢|買東西|街市",
    ),
    (
        "appointment",
        r"\bappointments?\b|\bappt\b|\bdoctor\b|\bclinic\b|\bdentist\b|\bhospital\b|\blawyer\b"
        r"|\blegal\b|\bimmigration\b|\binterview\b|\bspecialist\b|\bblood test\b|\bphysio\b"
        r"|睇醫生|看醫生|醫生|診所|醫院|牙醫|覆診|律師|法律|移民|面試|約見|驗血|物理治療|預約",
    ),
    ("errand", r"\berrands?\b|\bbank\b|\bpharmacy\b|\bpost office\b|銀行|藥房|郵局|辦事"),
)
_KIND_PATTERNS = [(kind, re.compile(pattern)) for kind, pattern in _KINDS]
_PLACE_KIND_TO_RIDE = {
    "grocery": "grocery",
    "supermarket": "grocery",
    "medical": "appointment",
    "clinic": "appointment",
    "hospital": "appointment",
    "dental": "appointment",
    "legal": "appointment",
    "immigration": "appointment",
    "government": "appointment",
    "settlement": "appointment",
}

_NO_RETURN = re.compile(
    r"\bone[- ]?way\b|\bno (?:ride |trip |need )?(?:home|back|return)\b"
    r"|\bdon'?t need (?:a )?(?:ride )?(?:home|back)\b|單程"
    r"|(?:不用|唔使|唔駛|不需要)(?:接)?(?:我)?(?:回程|回家|返屋企|接返|返)"
)
_ROUND_TRIP = re.compile(
    r"\bround[- ]?trip\b|\breturn trip\b|\band back\b|\bboth ways\b|\bride home\b"
    r"|來回|要回程|接返我"
)
_EN_RETURN_BEFORE = re.compile(
    r"\b(back|home|return|returning|pick ?(?:me )?up|pickup)\s*(by|before|at|around|@|for)?\s*$"
)
_ZH_RETURN_AFTER = re.compile(r"^\s*(前)?\s*(?:接(?:我)?)?\s*(?:回家|返屋企|返去|回程|返|走)")
_ZH_RETURN_BEFORE = re.compile(r"(回程|回家|返屋企|接返)\s*$")

_NUM_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_CN_SMALL = {"一": 1, "二": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_PASSENGERS = re.compile(
    r"\b([1-8]|one|two|three|four|five|six)\s*(?:people|persons?|passengers?|ppl|adults|of us)\b"
    r"|([1-8一二兩三四五六])\s*(?:個人|人|位)"
)
_COMPANION = re.compile(
    r"\bwith my (?:wife|husband|son|daughter|mother|mom|mum|father|dad|friend|kid|child"
    r"|grandson|granddaughter|caregiver|helper)\b"
    r"|同(?:埋)?(?:我)?(?:老婆|老公|太太|先生|媽媽|爸爸|阿媽|阿爸|仔|女|朋友|小朋友|孫|家人|工人)"
)
_ALONE = re.compile(r"\bjust me\b|\bonly me\b|\bby myself\b|\balone\b|自己一個|得我一個")
_NEEDS = (
    ("wheelchair", r"wheel ?chair|輪椅"),
    ("walker", r"\bwalker\b|walking frame|\brollator\b|助行架|助行器|行路架"),
    ("service_animal", r"service (?:dog|animal)|guide dog|導盲犬|服務犬|服務動物|工作犬"),
)
_NEEDS_PATTERNS = [(need, re.compile(pattern)) for need, pattern in _NEEDS]
_NEGATION = re.compile(r"(?:\bno|\bwithout|\bdon'?t need|不用|唔使|沒有|冇|不需要)\s*(?:a\s+)?$")

_EN_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "i",
        "i'm",
        "im",
        "me",
        "my",
        "we",
        "us",
        "to",
        "at",
        "on",
        "in",
        "for",
        "of",
        "and",
        "or",
        "but",
        "with",
        "from",
        "by",
        "is",
        "it",
        "this",
        "that",
        "please",
        "pls",
        "plz",
        "thanks",
        "thank",
        "you",
        "hi",
        "hello",
        "hey",
        "need",
        "needs",
        "want",
        "wanna",
        "would",
        "like",
        "go",
        "going",
        "get",
        "ride",
        "rides",
        "trip",
        "drive",
        "take",
        "book",
        "booking",
        "can",
        "could",
        "will",
        "be",
        "there",
        "here",
        "next",
        "coming",
        "morning",
        "afternoon",
        "evening",
        "am",
        "pm",
        "ok",
        "okay",
        "yes",
        "no",
        "not",
        "just",
        "also",
        "again",
        "time",
        "day",
        "date",
        "want",
        "so",
        "um",
        "uh",
        "actually",
        "sorry",
        "change",
        "make",
        "instead",
        "then",
        "back",
        "home",
        "return",
        "pick",
        "up",
        "pickup",
        "before",
        "after",
        "around",
    ]
)
_ZH_STOP_PHRASES = re.compile(
    r"唔該|麻煩|請問|可唔可以|可不可以|我想|我要|想去|要去|接送|預約|謝謝|多謝|改成|改為|改做|"
    r"早上|上午|下午|晚上|時間|日子|不是|唔係|你好|回家|返屋企|屋企|回程|"
    r"[我你佢想要去到請幫車搭坐嘅的在喺和呀啊吖喇啦了嗎呢係是有冇改做嘢個點接返前]"
)
_LATIN_WORD = re.compile(r"[a-z][a-z']{2,}")
_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_BARE_DAY = re.compile(r"^\s*(\d{1,2})\s*$")


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
    english = _EN_RETURN_BEFORE.search(before)
    if english is not None:
        word, preposition = english.group(1), english.group(2)
        # The time parser keeps "by 1" / "at 1" in its span, so look there too.
        preposition = preposition or text[span[0] : span[1]].split(" ", 1)[0]
        if word.startswith("pick") and not outbound_known:
            return None  # "pick me up at 9" with no ride time yet is the outbound pick-up.
        if word in {"back", "home"} and preposition in {"by", "before"}:
            return "home_by"
        return "pickup"
    chinese = _ZH_RETURN_AFTER.search(after)
    if chinese is not None:
        return "home_by" if chinese.group(1) else "pickup"
    if _ZH_RETURN_BEFORE.search(before):
        return "pickup"
    return None


def ride_kind_for_place(place: PlaceEntry) -> str:
    """The ride kind a catalogue place implies (a clinic means an appointment)."""
    return _PLACE_KIND_TO_RIDE.get(place.kind.lower(), "errand")


def extract(
    text: str,
    *,
    today: date,
    catalogue: Sequence[PlaceEntry],
    asking: str | None = None,
    outbound_time: time | None = None,
) -> Extracted:
    """Read every slot ``text`` mentions; ``asking`` is the question the rider is answering."""
    norm = normalise(text)
    rest = norm
    slots: dict[str, object] = {}

    date_hit = find_date(norm, today, normalised=True)
    if isinstance(date_hit, DateFound):
        slots["ride_date"] = date_hit.value
    elif isinstance(date_hit, DateProblem):
        slots["date_problem"] = date_hit
    elif asking == "date" and (bare := _BARE_DAY.match(norm)):
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

    wait = find_wait(norm, normalised=True)
    if wait is not None:
        slots.update(return_trip=True, return_wait=wait.minutes)
        rest = blank_out(rest, wait.span)
    no_return = _NO_RETURN.search(norm)
    if no_return is not None:
        slots["return_trip"] = False
        rest = blank_out(rest, no_return.span())
    elif (round_trip := _ROUND_TRIP.search(norm)) is not None:
        slots.setdefault("return_trip", True)
        rest = blank_out(rest, round_trip.span())

    for span in _read_times(norm, asking, outbound_time, slots):
        rest = blank_out(rest, span)

    place = find_place(norm, catalogue, normalised=True)
    if place.span is not None:
        rest = blank_out(rest, place.span)
    if place.found is not None:
        slots["kind"] = ride_kind_for_place(place.found)
    for kind, pattern in _KIND_PATTERNS:
        hit = pattern.search(rest)
        if hit is not None:
            slots.setdefault("kind", kind)
            rest = blank_out(rest, hit.span())

    rest = _read_people(rest, slots)
    leftover = _leftover(rest)
    return Extracted(place=place, leftover=leftover, **slots)  # type: ignore[arg-type]


def _read_times(
    norm: str, asking: str | None, outbound_time: time | None, slots: dict[str, object]
) -> list[tuple[int, int]]:
    """Sort each time in the message into the ride time or the ride home; return their spans."""
    spans: list[tuple[int, int]] = []
    outbound_known = outbound_time is not None or asking in {"return", "return_time"}
    for hit in _all_times(norm, bare_numbers=asking in {"time", "return", "return_time"}):
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
    people = _PASSENGERS.search(rest)
    if people is not None:
        token = people.group(1) or people.group(2)
        count = _NUM_WORDS.get(token) or _CN_SMALL.get(token) or int(token)
        slots["passengers"] = count
        rest = blank_out(rest, people.span())
    elif (companion := _COMPANION.search(rest)) is not None:
        slots["passengers"] = 2
        rest = blank_out(rest, companion.span())
    elif (alone := _ALONE.search(rest)) is not None:
        slots["passengers"] = 1
        rest = blank_out(rest, alone.span())
    added: list[str] = []
    removed: list[str] = []
    for need, pattern in _NEEDS_PATTERNS:
        for hit in pattern.finditer(rest):
            negated = _NEGATION.search(rest[max(0, hit.start() - 14) : hit.start()])
            (removed if negated else added).append(need)
            rest = blank_out(rest, hit.span())
    if added:
        slots["needs_added"] = tuple(dict.fromkeys(added))
    if removed:
        slots["needs_removed"] = tuple(dict.fromkeys(removed))
    return rest


def _leftover(rest: str) -> str:
    """Words nothing explained: a place we do not know, or nonsense."""
    words = [w for w in _LATIN_WORD.findall(rest) if w.strip("'") not in _EN_STOPWORDS]
    chinese = "".join(_CJK_CHAR.findall(_ZH_STOP_PHRASES.sub(" ", rest)))
    return " ".join([*words, chinese] if len(chinese) >= 2 else words)
