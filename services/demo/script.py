# ruff: noqa: RUF001  # Cantonese texts use full-width punctuation on purpose.
"""The demo's morning of texts: who writes, and what, in English and in Cantonese.

Each rider writes about a place near home (their nearest grocery, a clinic or hospital nearby),
as the sample's riders do, and about tomorrow only, one trip each, so no rider has two trips
at once. The texts are in the forms the conversation engine is tested on (``bench/conversations``):
several details in one text, a ride home asked for or declined, a correction, a cancellation,
an opt-out, and a new number that signs up.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from shared.models import Language, Place, PlaceKind, Rider

#: Stands in a turn for the reference code of the writer's booking, filled in when sent.
CODE = "{code}"
NEW_NUMBER = "+14165550188"
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Conversation:
    """One person's texts, sent in turn."""

    phone: str
    who: str
    turns: tuple[str, ...]


def _km(rider: Rider, place: Place) -> float:
    lat = math.radians(rider.home_latitude or 0.0)
    dy = (place.latitude - (rider.home_latitude or 0.0)) * 111.0
    dx = (place.longitude - (rider.home_longitude or 0.0)) * 111.0 * math.cos(lat)
    return math.hypot(dx, dy)


def _nearest(rider: Rider, places: Sequence[Place], kinds: set[PlaceKind], rank: int = 0) -> Place:
    near = sorted((p for p in places if p.kind in kinds), key=lambda p: _km(rider, p))
    return near[min(rank, len(near) - 1)]


def _en(place: Place) -> str:
    english = [a for a in place.aliases if not _CJK.search(a)]
    return english[0] if english else place.name


def _zh(place: Place) -> str:
    chinese = [a for a in place.aliases if _CJK.search(a)]
    return chinese[0] if chinese else place.name_zh or place.name


GROCERY = {PlaceKind.GROCERY}
CARE = {PlaceKind.CLINIC, PlaceKind.HOSPITAL}

# English riders: (turns, which place), the place's name filled into "{p}" / "{q}".
_ENGLISH: tuple[tuple[tuple[str, ...], set[PlaceKind]], ...] = (
    (
        ("hi can i get a ride to {p} tomorrow at 10am", "no thanks, I'll take the bus", "yes"),
        GROCERY,
    ),
    (("Need a ride to {p} tomorrow 2pm, pick me up at 4", "yep that's right thanks"), CARE),
    (("I need to see a doctor tomorrow", "{p}", "10ish", "wait 90 min for me", "ok"), CARE),
    (("{p} tmrw 11am", "no", "not {p}, I mean {q}", "yes"), GROCERY),
    (("grocery shopping tomorrow", "{p}", "around 1pm", "no need to take me back", "yes"), GROCERY),
    (("appt at {p} tomorrow at 11, wait 1 hour for me", "yes thank you"), CARE),
    (("{p} tomorrow 1:30pm", "pick me up at 3:30", "yes that's right"), CARE),
    (("can u take me to {p} tomorrow around 12", "about an hour", "yup"), GROCERY),
)
# Cantonese riders.
_CANTONESE: tuple[tuple[tuple[str, ...], set[PlaceKind]], ...] = (
    (("聽日朝早十點去{p} 唔該", "唔使接", "係呀唔該"), GROCERY),
    (("我聽日下晝兩點要去{p}覆診", "四點接我", "啱，唔該晒"), CARE),
    (("你好 我想聽日去{p} 早上十一點 等我兩個鐘", "係"), CARE),
    (("聽日十點去{p}", "唔使接", "唔係，係十一點", "係呀"), CARE),
    (("聽日去{p}買餸", "十一點", "唔使接喇", "ok"), GROCERY),
    (("聽日下晝一點去{p}", "等我一個鐘", "啱呀"), GROCERY),
    (("聽日下晝三點去{p}", "唔使接", "好"), CARE),
    (("聽日朝早十點半去{p}", "十二點接我返", "係呀"), CARE),
)


def morning(riders: Sequence[Rider], places: Sequence[Place]) -> list[Conversation]:
    """The scripted morning for a sample network: about thirty texters, most of them booking."""
    english = [r for r in riders if r.preferred_language == Language.EN and not r.wheelchair]
    chinese = [r for r in riders if r.preferred_language == Language.ZH_HANT and not r.wheelchair]
    wheelchair = [r for r in riders if r.wheelchair]
    out: list[Conversation] = []
    for i, rider in enumerate(english):
        turns, kinds = _ENGLISH[i % len(_ENGLISH)]
        p = _nearest(rider, places, kinds, rank=i // len(_ENGLISH))
        q = _nearest(rider, places, kinds, rank=1 + i // len(_ENGLISH))
        out.append(Conversation(rider.phone, rider.name, _fill(turns, _en(p), _en(q))))
    for i, rider in enumerate(chinese[:18]):
        turns, kinds = _CANTONESE[i % len(_CANTONESE)]
        p = _nearest(rider, places, kinds, rank=(i // len(_CANTONESE)) % 2)
        out.append(Conversation(rider.phone, rider.name, _fill(turns, _zh(p), _zh(p))))
    for rider in wheelchair[:1]:
        p = _nearest(rider, places, CARE)
        turns = ("wheelchair ride to {p} tomorrow 1pm please", "pick me up at 3", "yes")
        out.append(Conversation(rider.phone, rider.name, _fill(turns, _en(p), _en(p))))
    # A booking, then its cancellation by reference code.
    if len(chinese) > 18:
        rider = chinese[18]
        p = _nearest(rider, places, GROCERY)
        turns = ("聽日十點去{p}", "唔使接", "係", f"取消 {CODE}")
        out.append(Conversation(rider.phone, rider.name, _fill(turns, _zh(p), _zh(p))))
    # An opt-out: the rider will not be texted again.
    if len(chinese) > 19:
        out.append(Conversation(chinese[19].phone, chinese[19].name, ("STOP",)))
    # A new number signs up, then books (a dispatcher reviews the new rider's address).
    grocery = next(p for p in places if p.kind == PlaceKind.GROCERY)
    out.append(
        Conversation(
            NEW_NUMBER,
            "a new number",
            (
                "Hello",
                "My name is Amy Tse",
                "88 Main St",
                f"{_en(grocery)} tomorrow 10am, one way",
                "yes",
            ),
        )
    )
    return out


def _fill(turns: tuple[str, ...], p: str, q: str) -> tuple[str, ...]:
    return tuple(t.replace("{p}", p).replace("{q}", q) for t in turns)
