"""Property tests: no text, however odd, makes the parsers or the engine raise.

``handle`` has a last-resort catch that apologises and flags a dispatcher; these tests assert
that catch is never reached, so a bug cannot hide behind it.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.booking.conversation._model import ConversationState, Draft, Step
from services.booking.conversation.dates import find_date, find_time, find_wait
from services.booking.conversation.engine import (
    ConversationContext,
    FlagForDispatcher,
    InboundText,
    handle,
)
from services.booking.conversation.places import find_place, suggest_places
from shared.segments import segment_count
from tests.booking.scenarios import HELP_CONTACT, PLACES, PROGRAMME, RIDERS

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Words riders really send, so generated texts reach deep into the conversation too.
VOCABULARY = [
    "T&T",
    "tnt",
    "no frills",
    "大統華",
    "康福",
    "IRCC",
    "tomorrow",
    "Sat",
    "next tue",
    "Dec 3",
    "12/3",
    "3/12",
    "Feb 30",
    "明天",
    "後天",
    "星期六",
    "下星期二",
    "12月3日",
    "10am",
    "10:30",
    "noon",
    "上午十點",
    "下午3點半",
    "10點",
    "back by 1",
    "wait 1 hour",
    "one way",
    "yes",
    "no",
    "是",
    "不是",
    "2 people",
    "wheelchair",
    "輪椅",
    "STOP",
    "START",
    "HELP",
    "STATUS",
    "中文",
    "English",
    "CANCEL K7M4QX",
    "取消",
    "1",
    "2",
    "10",
    "🚗",
    "",
    ",",
    "。",
    "\n",
]
sms_text = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(VOCABULARY), max_size=6).map(" ".join),
    st.text(alphabet="0123456789/:.-apm 點號月日時半", max_size=30),
)
short_text = st.text(max_size=40)
drafts = st.builds(
    Draft,
    kind=st.one_of(st.none(), st.sampled_from(["grocery", "appointment", "errand"]), short_text),
    place_id=st.one_of(st.none(), st.sampled_from([p.id for p in PLACES]), short_text),
    ride_date=st.one_of(st.none(), st.dates().map(date.isoformat), short_text),
    ride_time=st.one_of(st.none(), st.times().map(lambda t: t.strftime("%H:%M")), short_text),
    return_trip=st.one_of(st.none(), st.booleans()),
    return_pickup=st.one_of(st.none(), st.times().map(time.isoformat), short_text),
    return_home_by=st.one_of(st.none(), short_text),
    return_wait=st.one_of(st.none(), st.integers()),
    passengers=st.integers(),
    needs=st.lists(st.sampled_from(["wheelchair", "walker", "jetpack"])).map(tuple),
)
states = st.builds(
    ConversationState,
    step=st.sampled_from(list(Step)),
    asking=st.one_of(st.none(), st.sampled_from(["place", "date", "time", "return"]), short_text),
    language=st.sampled_from([None, "en", "zh-Hant"]),
    language_chosen=st.booleans(),
    draft=drafts,
    reg_name=st.one_of(st.none(), short_text),
    registered=st.booleans(),
    opted_out=st.booleans(),
    misses=st.integers(),
    choices=st.lists(st.one_of(st.sampled_from([p.id for p in PLACES]), short_text)).map(tuple),
    updated_at=st.one_of(
        st.none(),
        st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat),
        short_text,
    ),
)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
)


@FAST
@given(text=sms_text, today=st.dates(min_value=date(1900, 1, 1), max_value=date(9000, 1, 1)))
def test_the_date_and_time_parsers_never_raise(text: str, today: date) -> None:
    """Any unicode text gives a result or None, never an exception."""
    find_date(text, today)
    find_time(text)
    find_time(text, bare_numbers=True, after=time(10))
    find_wait(text)


@FAST
@given(text=sms_text)
def test_the_place_matcher_never_raises(text: str) -> None:
    """Any unicode text gives a (possibly empty) match and suggestions."""
    match = find_place(text, PLACES)
    assert all(place in PLACES for place in match.places)
    assert len(suggest_places(text, PLACES)) <= 3


@FAST
@given(
    state=st.one_of(st.none(), states),
    text=sms_text,
    num_media=st.integers(min_value=0, max_value=10),
    rider=st.sampled_from([None, *RIDERS.values()]),
    opted_out=st.booleans(),
    now=moments,
    zone=st.sampled_from(["America/Toronto", "America/Vancouver", "Not/AZone"]),
)
def test_handle_never_raises_and_always_answers_sensibly(
    state: ConversationState | None,
    text: str,
    num_media: int,
    rider: object,
    opted_out: bool,
    now: datetime,
    zone: str,
) -> None:
    """Any state, any text: a reply within two SMS (or deliberate silence), JSON-able state."""
    ctx = ConversationContext(
        now=now,
        programme_name=PROGRAMME,
        help_contact=HELP_CONTACT,
        places=PLACES,
        rider=rider,  # type: ignore[arg-type]
        opted_out=opted_out,
        time_zone=zone,
        rng=random.Random(0),
    )
    turn = handle(state, InboundText(text, num_media), ctx)
    internal = [a for a in turn.actions if isinstance(a, FlagForDispatcher)]
    assert not any("internal error" in a.reason for a in internal)
    if turn.reply is not None:
        assert turn.reply.strip()
        assert segment_count(turn.reply) <= 2, turn.reply
    stored = json.loads(json.dumps(turn.state.to_dict()))
    assert ConversationState.from_dict(stored) == turn.state
    if opted_out and turn.reply is not None:
        # An opted-out number hears back only when it opts in (or re-sends a STOP we log).
        assert turn.actions, turn.reply


@FAST
@given(
    texts=st.lists(sms_text, min_size=1, max_size=8), rider=st.sampled_from([None, RIDERS["mei"]])
)
def test_a_whole_conversation_of_random_texts_never_raises(texts: list[str], rider: object) -> None:
    """Feeding each turn's state into the next keeps working, as the webhook will."""
    state: ConversationState | None = None
    now = datetime(2026, 11, 22, 14, tzinfo=UTC)
    for text in texts:
        ctx = ConversationContext(
            now=now,
            programme_name=PROGRAMME,
            help_contact=HELP_CONTACT,
            places=PLACES,
            rider=rider,  # type: ignore[arg-type]
            rng=random.Random(0),
        )
        turn = handle(state, InboundText(text), ctx)
        assert not any(
            isinstance(a, FlagForDispatcher) and "internal error" in a.reason for a in turn.actions
        )
        state = turn.state
        now += timedelta(minutes=3)


# Commands riders put inside sentences, and what they wrap them in.
_COMMANDS = [
    "cancel K7M4QX",
    "取消 K7M4QX",
    "what rides do I have",
    "我有咩預約",
    "how do I use this",
    "點用",
    "can you reply in English",
    "講中文得唔得",
    "yes",
    "係",
    "no",
    "唔使",
]
_WRAPPING = st.sampled_from(
    [
        "",
        "please ",
        "hi, ",
        "唔該",
        "呀",
        "啦",
        "喇",
        "囉",
        "嘅",
        "㗎",
        "喎",
        " 👍",
        " 🙏",
        " thanks",
        " 唔該晒",
        "!",
        "?",
        "，",  # noqa: RUF001 - the Chinese comma riders type
        " pls",
        "ok ",
    ]
)


@FAST
@given(
    before=_WRAPPING,
    command=st.sampled_from(_COMMANDS),
    after=st.lists(_WRAPPING, max_size=3),
    state=st.one_of(st.none(), states),
    rider=st.sampled_from([RIDERS["mei"], RIDERS["chan"]]),
)
def test_a_command_in_a_sentence_is_never_answered_as_a_place(
    before: str, command: str, after: list[str], state: ConversationState | None, rider: object
) -> None:
    """Wrapped in particles, thanks or emoji, a command never gets "I don't know that place"."""
    ctx = ConversationContext(
        now=datetime(2026, 11, 22, 14, tzinfo=UTC),
        programme_name=PROGRAMME,
        help_contact=HELP_CONTACT,
        places=PLACES,
        rider=rider,  # type: ignore[arg-type]
        rng=random.Random(0),
    )
    # Latin words need a space to stay words; particles and emoji stick to what they follow.
    gap = " " if before[-1:].isalpha() and before[-1:].isascii() else ""
    tail = "".join(f" {w}" if w[:1].isalpha() and w.isascii() else w for w in after)
    text = before + gap + command + tail
    turn = handle(state, InboundText(text), ctx)
    reply = turn.reply or ""
    assert "don't know that place" not in reply, (text, state, reply)
    assert "不認識這個地方" not in reply, (text, state, reply)
