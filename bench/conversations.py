"""Replay the rider conversation corpus through the booking engine and print two rates.

``uv run python bench/conversations.py`` reads every ``bench/conversations/*.yaml`` file (the
place catalogue and riders in ``_world.yaml``; conversations in the others), plays each
conversation's texts through ``handle`` the way the webhook does (state stored as JSON between
texts, actions applied to a small world), and scores it two ways:

- right outcome: the booking (place, day, time, ride home, people), cancellation, status list,
  help text or language switch the rider was after, and nothing else booked or cancelled;
- without friction: no "I didn't understand", no "I don't know that place", no hand-over to a
  coordinator, and no question asked twice.

The replay is seeded and deterministic: the clock starts on Sunday 22 November 2026 at 09:00
Toronto time and moves two minutes per text. ``--show`` prints every failing conversation.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from services.booking.conversation.engine import (
    CancelRide,
    ConversationContext,
    ConversationState,
    CreateRideRequest,
    InboundText,
    PlaceEntry,
    RiderInfo,
    SetLanguage,
    UpcomingRide,
    handle,
)
from services.booking.conversation.replies import TEMPLATES
from shared.i18n import Language

CORPUS = Path(__file__).parent / "conversations"
START = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)  # Sun 22 Nov 2026, 09:00 in Toronto
PROGRAMME = "HK Neighbours Rides"
HELP_CONTACT = "416-555-0100"

# Replies that are friction whenever they appear: the bot failed to follow the rider.
_FRICTION_KEYS = ("didnt_get", "unknown_place", "flagged", "error")
# Questions: asking the same one twice in a conversation is friction.
_QUESTION_KEYS = (
    "ask_place",
    "ask_date",
    "ask_time",
    "ask_return",
    "ask_return_time",
    "choose_place",
    "what_to_change",
)


def _marker(template: str) -> str:
    """The fixed opening of a template, up to its first placeholder."""
    return template.split("{", 1)[0].strip()


def _markers(keys: tuple[str, ...]) -> dict[str, list[str]]:
    return {
        key: [m for m in (_marker(TEMPLATES[key][lang]) for lang in ("en", "zh-Hant")) if m]
        for key in keys
        if key in TEMPLATES
    }


@dataclass
class World:
    """The catalogue and riders every conversation runs against."""

    places: tuple[PlaceEntry, ...]
    riders: dict[str, RiderInfo]


@dataclass
class Result:
    """One conversation's replay."""

    id: str
    right: bool
    smooth: bool
    why: list[str] = field(default_factory=list)
    transcript: list[tuple[str, str | None]] = field(default_factory=list)


def load_world(path: Path = CORPUS / "_world.yaml") -> World:
    """The place catalogue and riders of the corpus."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    places = tuple(
        PlaceEntry(
            id=p["id"],
            kind=p["kind"],
            name_en=p["name_en"],
            name_zh=p.get("name_zh", ""),
            aliases=tuple(p.get("aliases", ())),
            address=p.get("address", ""),
        )
        for p in data["places"]
    )
    by_id = {p.id: p for p in places}
    riders = {}
    for key, r in data["riders"].items():
        upcoming = tuple(
            UpcomingRide(
                u["code"],
                datetime.fromisoformat(u["at"]),
                by_id[u["place"]].name_en,
                by_id[u["place"]].name_zh,
            )
            for u in r.get("upcoming", ())
        )
        riders[key] = RiderInfo(
            name=r["name"],
            language=Language(r["language"]),
            upcoming=upcoming,
            recent_places=tuple(r.get("recent", ())),
        )
    return World(places, riders)


def load_conversations(folder: Path = CORPUS) -> list[dict[str, Any]]:
    """Every conversation of the corpus, in file order."""
    conversations: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            item.setdefault("file", path.name)
            conversations.append(item)
    return conversations


def _home(action: CreateRideRequest) -> str:
    if not action.return_trip:
        return "no"
    if action.return_pickup_time is not None:
        return f"pickup {action.return_pickup_time:%H:%M}"
    if action.return_home_by is not None:
        return f"by {action.return_home_by:%H:%M}"
    return f"wait {action.return_wait_minutes}"


def _check_booking(want: dict[str, Any], got: CreateRideRequest) -> list[str]:
    problems = []
    have = {
        "place": got.place_id,
        "date": got.ride_date.isoformat(),
        "time": f"{got.ride_time:%H:%M}",
        "home": _home(got),
        "people": got.passengers,
    }
    for key, value in want.items():
        expected = value.isoformat() if isinstance(value, date) else value
        if key == "home" and expected == "yes":
            if have["home"] == "no":
                problems.append("ride home missing")
            continue
        if str(have.get(key)) != str(expected):
            problems.append(f"{key}: want {expected}, got {have.get(key)}")
    return problems


def replay(conversation: dict[str, Any], world: World) -> Result:
    """Play one conversation and score it."""
    rider_key = conversation.get("rider")
    rider = world.riders.get(rider_key) if rider_key else None
    stored: str | None = None
    now = START + timedelta(minutes=float(conversation.get("minutes_offset", 0)))
    rng = random.Random(conversation["id"])
    booked: list[CreateRideRequest] = []
    cancelled: list[str] = []
    languages: list[str] = []
    result = Result(conversation["id"], right=True, smooth=True)
    replies: list[str] = []
    last_language = ""
    for text in conversation["turns"]:
        state = None if stored is None else ConversationState.from_dict(json.loads(stored))
        ctx = ConversationContext(
            now=now,
            programme_name=PROGRAMME,
            help_contact=HELP_CONTACT,
            places=world.places,
            rider=rider,
            rng=rng,
        )
        turn = handle(state, InboundText(str(text)), ctx)
        stored = json.dumps(turn.state.to_dict())
        result.transcript.append((str(text), turn.reply))
        replies.append(turn.reply or "")
        last_language = str(turn.language)
        for action in turn.actions:
            if isinstance(action, CreateRideRequest):
                booked.append(action)
            elif isinstance(action, CancelRide):
                cancelled.append(action.reference_code)
            elif isinstance(action, SetLanguage):
                languages.append(str(action.language))
        now += timedelta(minutes=2)

    expect: dict[str, Any] = conversation.get("expect", {})
    why = result.why
    if "booked" in expect:
        if len(booked) != 1:
            why.append(f"{len(booked)} bookings")
        else:
            why.extend(_check_booking(expect["booked"], booked[0]))
    elif booked:
        why.append("booked a ride nobody asked for")
    if "cancelled" in expect:
        if cancelled != [expect["cancelled"]]:
            why.append(f"cancelled {cancelled}, want {expect['cancelled']}")
    elif cancelled:
        why.append(f"cancelled {cancelled} unasked")
    if expect.get("status") and rider is not None:
        codes = [ride.reference_code for ride in rider.upcoming]
        if not any(all(code in reply for code in codes) for reply in replies):
            why.append("status not shown")
    if expect.get("help") and not any(HELP_CONTACT in reply for reply in replies):
        why.append("help not shown")
    if "language" in expect:
        if expect["language"] != last_language:
            why.append(f"last reply in {last_language}, want {expect['language']}")
        if expect.get("switch") and expect["language"] not in languages:
            why.append("language not switched")
    if "reply_language" in expect and expect["reply_language"] != last_language:
        why.append(f"replied in {last_language}, want {expect['reply_language']}")
    result.right = not why

    friction = _friction(replies)
    if friction and not conversation.get("friction_ok"):
        result.smooth = False
        why.extend(f"friction: {item}" for item in friction)
    return result


_FRICTION = _markers(_FRICTION_KEYS)
_QUESTIONS = _markers(_QUESTION_KEYS)


def _friction(replies: list[str]) -> list[str]:
    found = []
    asked: Counter[str] = Counter()
    for number, reply in enumerate(replies, start=1):
        for key, marks in _FRICTION.items():
            if any(mark in reply for mark in marks):
                found.append(f"{key} at text {number}")
        for key, marks in _QUESTIONS.items():
            if any(mark in reply for mark in marks):
                asked[key] += 1
    found.extend(f"{key} asked {n} times" for key, n in asked.items() if n > 1)
    return found


def run(folder: Path = CORPUS) -> list[Result]:
    """Replay the whole corpus."""
    world = load_world(folder / "_world.yaml")
    return [replay(conversation, world) for conversation in load_conversations(folder)]


def _pattern(value: str) -> re.Pattern[str]:
    return re.compile(value)


def main(argv: list[str] | None = None) -> int:
    """Print the corpus rates, by file and overall."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--show", action="store_true", help="print failing conversations")
    parser.add_argument("--only", type=_pattern, help="replay ids matching this regex")
    args = parser.parse_args(argv)
    world = load_world()
    conversations = load_conversations()
    if args.only is not None:
        conversations = [c for c in conversations if args.only.search(c["id"])]
    results = [replay(c, world) for c in conversations]
    by_file: dict[str, list[Result]] = {}
    for conversation, result in zip(conversations, results, strict=True):
        by_file.setdefault(conversation["file"], []).append(result)
    out = sys.stdout
    out.write(f"{'file':<28} {'n':>4} {'right outcome':>14} {'no friction':>12}\n")
    for name, items in [*by_file.items(), ("ALL", results)]:
        right = sum(r.right for r in items) / len(items)
        smooth = sum(r.right and r.smooth for r in items) / len(items)
        out.write(f"{name:<28} {len(items):>4} {right:>13.1%} {smooth:>12.1%}\n")
    if args.show:
        for result in results:
            if result.right and result.smooth:
                continue
            out.write(f"\n== {result.id}: {'; '.join(result.why)}\n")
            for said, reply in result.transcript:
                out.write(f"  > {said}\n  < {reply}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
