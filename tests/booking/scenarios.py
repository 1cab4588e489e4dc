"""Scripted SMS conversations, as data, for the engine tests and the HTTP replay tests.

Each ``Scenario`` is a phone number's conversation: who the number belongs to, when it starts,
and ``Step``s of (text in, what the reply must contain, which actions must come out). The same
data can be replayed through ``POST /sms/inbound``; a replay only needs to apply the actions as
the webhook would (see ``harness.FakeCaller``).

Conventions:
- ``reply`` fragments must all appear in the reply, compared case-insensitively.
- ``silent=True`` means no reply at all (opted-out numbers).
- ``actions`` lists exactly the actions expected, in order, as (type name, subset of the fields
  ``action_to_dict`` gives); an empty tuple means "no actions".
- ``{last_code}`` in a text is replaced by the reference code of the last ride booked.
- A replay must start every scenario from a clean slate for its number: no stored
  conversation, the rider (if any) seeded as in ``RIDERS`` with their upcoming rides, and the
  opt-out flag as ``opted_out`` says. Scenarios of the same rider share a phone number.
- Times are those of the organisation (America/Toronto unless ``time_zone`` says otherwise);
  every scenario starts on Sunday 22 November 2026 at 09:00 Toronto time unless ``start`` says
  otherwise, and each step happens ``minutes_later`` after the previous one.
"""

# Chinese texts rightly use full-width punctuation, which this rule flags as look-alikes.
# ruff: noqa: RUF001

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.booking.conversation.engine import PlaceEntry, RiderInfo, UpcomingRide
from shared.i18n import Language

START = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)  # Sun 22 Nov 2026, 09:00 in Toronto
PROGRAMME = "HK Neighbours Rides"
HELP_CONTACT = "416-555-0100"

PLACES = (
    PlaceEntry("tnt-downsview", "grocery", "T&T Supermarket", "大統華超市", ("大統華", "T and T")),
    PlaceEntry("nofrills-dundas", "grocery", "No Frills (Dundas)", "No Frills（登打士街）"),
    PlaceEntry("nofrills-bathurst", "grocery", "No Frills (Bathurst)", "No Frills（巴富士街）"),
    PlaceEntry(
        "hongfook", "medical", "Hong Fook Clinic", "康福診所", ("Hong Fook", "康福", "clinic")
    ),
    PlaceEntry("ircc", "immigration", "IRCC Office", "移民局", ("immigration office", "IRCC")),
    PlaceEntry(
        "csalc",
        "legal",
        "Chinese Legal Clinic",
        "華人法律援助中心",
        ("legal clinic", "法律援助"),
    ),
)

RIDERS = {
    "mei": RiderInfo(
        name="Mei Wong",
        language=Language.EN,
        upcoming=(
            UpcomingRide(
                "K7M4QX", datetime(2026, 11, 25, 15, 0, tzinfo=UTC), "T&T Supermarket", "大統華超市"
            ),
        ),
    ),
    "chan": RiderInfo(
        name="陳太",
        language=Language.ZH_HANT,
        upcoming=(
            UpcomingRide(
                "P3R8TW", datetime(2026, 11, 27, 19, 30, tzinfo=UTC), "Hong Fook Clinic", "康福診所"
            ),
        ),
    ),
    "new": RiderInfo(name="Ho Ka Yan", language=Language.EN),
}


# Phone numbers for a replay through the real webhook: riders are seeded under these numbers.
RIDER_PHONES = {"mei": "+14165550101", "chan": "+14165550102", "new": "+14165550103"}


def scenario_phone(scenario: Scenario) -> str:
    """A stable E.164 number for the scenario: its rider's, or one of its own if unregistered.

    Unregistered scenarios each get a distinct number (from a CRC of the name) so that their
    stored conversations never mix during a replay.
    """
    if scenario.rider is not None:
        return RIDER_PHONES[scenario.rider]
    return f"+1647555{zlib.crc32(scenario.name.encode()) % 10_000:04d}"


@dataclass(frozen=True)
class ExpectAction:
    """An action the step must emit: its type name and a subset of its fields."""

    type: str
    fields: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """One inbound text and what must come back."""

    text: str
    reply: tuple[str, ...] = ()
    actions: tuple[ExpectAction, ...] = ()
    silent: bool = False
    minutes_later: float = 1.0
    num_media: int = 0


@dataclass(frozen=True)
class Scenario:
    """A whole conversation; ``name`` is a sentence saying what it shows."""

    name: str
    steps: tuple[Step, ...]
    rider: str | None = "mei"
    opted_out: bool = False
    start: datetime = START
    time_zone: str = "America/Toronto"


def say(
    text: str,
    *reply: str,
    actions: tuple[ExpectAction, ...] = (),
    silent: bool = False,
    minutes_later: float = 1.0,
    num_media: int = 0,
) -> Step:
    """Shorthand for a ``Step``."""
    return Step(text, reply, actions, silent, minutes_later, num_media)


def act(type_name: str, **fields: object) -> ExpectAction:
    """Shorthand for an ``ExpectAction``."""
    return ExpectAction(type_name, fields)


def booked(**fields: object) -> tuple[ExpectAction, ...]:
    """The single CreateRideRequest expected when a ride is confirmed."""
    return (act("CreateRideRequest", **fields),)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "An English rider books a grocery trip with every detail in one text",
        (
            say(
                "grocery at T&T tomorrow 10am, back by 1",
                "T&T Supermarket",
                "Mon Nov 23 at 10am",
                "Home by 1pm",
                "Reply YES",
            ),
            say(
                "YES",
                "ride code is",
                actions=booked(
                    kind="grocery",
                    place_id="tnt-downsview",
                    ride_date="2026-11-23",
                    ride_time="10:00:00",
                    at_utc="2026-11-23T15:00:00+00:00",
                    return_trip=True,
                    return_home_by="13:00:00",
                    passengers=1,
                    language="en",
                ),
            ),
        ),
    ),
    Scenario(
        "A Chinese rider books with every detail in one text",
        (
            say(
                "明天上午十點去大統華買餸，下午1點接我回家",
                "11月23日（一）上午10:00去大統華超市",
                "下午1:00接",
                "請回覆「是」確認",
            ),
            say(
                "是",
                "已收到預約",
                actions=booked(
                    place_id="tnt-downsview",
                    ride_date="2026-11-23",
                    ride_time="10:00:00",
                    return_pickup_time="13:00:00",
                    language="zh-Hant",
                ),
            ),
        ),
        rider="chan",
    ),
    Scenario(
        "An English rider answers one question at a time and picks a No Frills branch",
        (
            say("hi", "Where would you like to go?"),
            say("nofrills", "Which one?", "1) No Frills (Dundas)", "2) No Frills (Bathurst)"),
            say("2", "What day?"),
            say("Sat", "What time"),
            say("10:30", "ride home"),
            say("wait 1 hour", "Sat Nov 28 at 10:30am", "after a 60 min wait"),
            say(
                "yes",
                "ride code",
                actions=booked(
                    place_id="nofrills-bathurst",
                    ride_date="2026-11-28",
                    ride_time="10:30:00",
                    return_wait_minutes=60,
                ),
            ),
        ),
    ),
    Scenario(
        "A Chinese rider answers one question at a time for a clinic appointment",
        (
            say("你好", "請問想去哪裏"),
            say("康福", "請問哪一天"),
            say("後天", "請問幾點"),
            say("下午3點半", "需要接您回家嗎"),
            say("不用", "11月24日（二）下午3:30去康福診所", "不需要回程"),
            say(
                "是",
                "編號",
                actions=booked(
                    kind="appointment",
                    place_id="hongfook",
                    ride_date="2026-11-24",
                    ride_time="15:30:00",
                    return_trip=False,
                ),
            ),
        ),
        rider="chan",
    ),
    Scenario(
        "A correction after the summary changes the day and asks again",
        (
            say("T&T tomorrow 10am one way", "Mon Nov 23"),
            say("no, Saturday", "Sat Nov 28 at 10am", "Reply YES"),
            say("yes", actions=booked(ride_date="2026-11-28", return_trip=False)),
        ),
    ),
    Scenario(
        "A Chinese correction after the summary changes the day",
        (
            say("明天10點去大統華，單程", "11月23日（一）"),
            say("不是，星期六", "11月28日（六）上午10:00"),
            say("好", actions=booked(ride_date="2026-11-28", ride_time="10:00:00")),
        ),
        rider="chan",
    ),
    Scenario(
        "A plain NO at the summary asks what to change, then takes the new time",
        (
            say("No Frills Dundas tomorrow 10am, no ride home", "No Frills (Dundas)"),
            say("No", "What should I change?"),
            say("11am", "Mon Nov 23 at 11am", "Reply YES"),
            say("yes", actions=booked(place_id="nofrills-dundas", ride_time="11:00:00")),
        ),
    ),
    Scenario(
        "Passengers and a wheelchair given in one text show in the summary and the booking",
        (
            say("T&T Saturday noon with my wife, wheelchair, one way", "2 people, wheelchair"),
            say("yes", actions=booked(passengers=2, needs=["wheelchair"], ride_time="12:00:00")),
        ),
    ),
    Scenario(
        "A Chinese rider travelling with a companion and a wheelchair",
        (
            say("星期六中午去大統華，同老婆去，要輪椅，單程", "2人，輪椅"),
            say("是", actions=booked(passengers=2, needs=["wheelchair"])),
        ),
        rider="chan",
    ),
    Scenario(
        "An unknown place gets suggestions and the rider then names a known one",
        (
            say("Costco tomorrow 10am", "I don't know that place", "Try:"),
            say("T and T", "ride home"),
            say("no", "T&T Supermarket, Mon Nov 23 at 10am"),
            say("yes", actions=booked(place_id="tnt-downsview")),
        ),
    ),
    Scenario(
        "A Chinese unknown place gets suggestions in Chinese",
        (
            say("明天去好市多", "我不認識這個地方", "可以試"),
            say("大統華", "請問幾點"),
        ),
        rider="chan",
    ),
    Scenario(
        "An impossible date gets a clear question instead of an error",
        (
            say("T&T Feb 30 10am", "That date does not exist"),
            say("Dec 3", "ride home"),
        ),
    ),
    Scenario(
        "A date that has passed is questioned",
        (
            say("T&T Nov 1 at 10am", "That date has passed"),
            say("tomorrow", "ride home"),
        ),
    ),
    Scenario(
        "A numeric date that could be day/month or month/day is asked about",
        (
            say("IRCC 3/12 2pm", "Do you mean", "Mar 12", "Dec 3"),
            say("Dec 3", "ride home"),
            say("no", "IRCC Office, Thu Dec 3 at 2pm"),
        ),
    ),
    Scenario(
        "A bare weekday that is today is asked about",
        (
            say("T&T Sunday 3pm", "Do you mean", "Sun Nov 22", "Sun Nov 29"),
            say("Nov 29", "ride home"),
        ),
    ),
    Scenario(
        "A time that has already passed today is questioned",
        (
            say("T&T today 8am", "already passed"),
            say("11am", "ride home"),
        ),
    ),
    Scenario(
        "A ride home before the appointment is questioned",
        (
            say("Hong Fook tomorrow 10am home by 9am", "must be after 10am"),
            say("1pm", "Ride home at 1pm"),
        ),
    ),
    Scenario(
        "STOP confirms once, then silence until START",
        (
            say("STOP", "unsubscribed", "START", actions=(act("OptOut", keyword="stop"),)),
            say("hello", silent=True),
            say("stop", silent=True),
            say("HELP", silent=True),
            say("START", "Welcome back", actions=(act("OptIn", keyword="start"),)),
            say("hi", "Where would you like to go?"),
        ),
    ),
    Scenario(
        "A Chinese opt-out is confirmed in Chinese and YES opts back in",
        (
            say("停止", "您已停收", actions=(act("OptOut", keyword="停止"),)),
            say("你好", silent=True),
            say("YES", "歡迎回來", actions=(act("OptIn", keyword="yes"),)),
        ),
        rider="chan",
    ),
    Scenario(
        "CANCEL on its own is a carrier opt-out keyword",
        (say("  Cancel ", "unsubscribed", actions=(act("OptOut", keyword="cancel"),)),),
    ),
    Scenario(
        "Asking to stop in a sentence explains the STOP keyword without opting out",
        (
            say("stop texting me please", "reply with just the word STOP"),
            say("請不要再發短訊", "請只回覆「停止」"),
            say("STOP", "unsubscribed", actions=(act("OptOut", keyword="stop"),)),
        ),
    ),
    Scenario(
        "A companion mentioned in passing counts as a passenger",
        (
            say("Hong Fook Tuesday 2pm, my daughter is coming too, back by 5", "2 people"),
            say("yes", actions=booked(passengers=2, return_home_by="17:00:00")),
        ),
    ),
    Scenario(
        "A number already opted out stays silent for everything but opt-in",
        (
            say("HELP", silent=True),
            say("T&T tomorrow 10am", silent=True),
            say("unstop", "Welcome back", actions=(act("OptIn", keyword="unstop"),)),
        ),
        opted_out=True,
    ),
    Scenario(
        "HELP names the programme, a contact and how to stop, in both languages",
        (
            say("help", PROGRAMME, HELP_CONTACT, "STOP"),
            say("幫助", PROGRAMME, HELP_CONTACT, "停止"),
        ),
    ),
    Scenario(
        "STATUS lists upcoming rides with their codes",
        (
            say("STATUS", "Wed Nov 25 10am T&T Supermarket (K7M4QX)"),
            say("狀態", "11月25日（三）上午10:00 大統華超市 (K7M4QX)"),
        ),
    ),
    Scenario(
        "CANCEL with a code cancels that ride",
        (
            say(
                "cancel k7m4qx",
                "K7M4QX is cancelled",
                actions=(act("CancelRide", reference_code="K7M4QX"),),
            ),
            say("status", "no upcoming rides"),
        ),
    ),
    Scenario(
        "取消 with a code cancels the ride in Chinese",
        (
            say(
                "取消 P3R8TW",
                "已取消預約 P3R8TW",
                actions=(act("CancelRide", reference_code="P3R8TW"),),
            ),
        ),
        rider="chan",
    ),
    Scenario(
        "Cancelling a code that is not the rider's changes nothing",
        (say("CANCEL ABC234", "can't find ride ABC234"),),
    ),
    Scenario(
        "A rider books a ride and cancels it with the new code",
        (
            say("IRCC Dec 3 at 2pm, wait 2 hours", "Thu Dec 3 at 2pm"),
            say("yes", actions=booked(kind="appointment", return_wait_minutes=120)),
            say("CANCEL {last_code}", "is cancelled", actions=(act("CancelRide"),)),
        ),
    ),
    Scenario(
        "An unregistered English number signs up and then books",
        (
            say("Hello", "Welcome to", PROGRAMME, "What is your name?"),
            say("My name is Lee Siu Ming", "home address"),
            say(
                "Yonge and Finch",
                "signed up",
                "Where would you like to go?",
                actions=(
                    act(
                        "RegisterRider",
                        name="Lee Siu Ming",
                        home_address="Yonge and Finch",
                        language="en",
                    ),
                ),
            ),
            say("T&T tomorrow 10am, back by 1", "Home by 1pm"),
            say("yes", actions=booked(place_id="tnt-downsview")),
        ),
        rider=None,
    ),
    Scenario(
        "An unregistered number that writes in Chinese signs up in Chinese",
        (
            say("你好", "歡迎使用", "請問您的名字"),
            say("我叫陳大文", "住址"),
            say(
                "央街與芬治",
                "已登記",
                "請問想去哪裏",
                actions=(act("RegisterRider", name="陳大文", language="zh-Hant"),),
            ),
            say("後天下午2點 移民局 不用回程", "11月24日（二）下午2:00去移民局"),
            say("是", actions=booked(place_id="ircc", language="zh-Hant")),
        ),
        rider=None,
    ),
    Scenario(
        "A first text that is a booking keeps its details through sign-up",
        (
            say("T&T tomorrow 10am one way", "What is your name?"),
            say("Ho Ka Yan", "home address"),
            say(
                "123 Main St, Unit 4",
                "signed up",
                "T&T Supermarket, Mon Nov 23 at 10am",
                actions=(
                    act("RegisterRider", name="Ho Ka Yan", home_address="123 Main St, Unit 4"),
                ),
            ),
            say("yes", actions=booked(place_id="tnt-downsview", return_trip=False)),
        ),
        rider=None,
    ),
    Scenario(
        "A YES after the conversation went stale does not book",
        (
            say("T&T tomorrow 10am one way", "Reply YES"),
            say(
                "yes", "timed out and was not made", "Where would you like to go?", minutes_later=45
            ),
        ),
    ),
    Scenario(
        "A new request after a long silence starts over politely",
        (
            say("No Frills Dundas", "What day?"),
            say(
                "Hong Fook Friday 2pm one way",
                "timed out",
                "Hong Fook Clinic, Fri Nov 27",
                minutes_later=90,
            ),
        ),
    ),
    Scenario(
        "Switching language mid-booking re-asks the question in the new language",
        (
            say("T&T", "What day?"),
            say(
                "中文",
                "之後會用中文回覆您",
                "請問哪一天",
                actions=(act("SetLanguage", language="zh-Hant"),),
            ),
            say("明天", "請問幾點"),
            say("English", "in English", "What time", actions=(act("SetLanguage", language="en"),)),
        ),
    ),
    Scenario(
        "A picture with no text gets a text-only apology and the question again",
        (
            say("T&T", "What day?"),
            say("", "only read text", "What day?", num_media=1),
        ),
    ),
    Scenario(
        "Emoji and nonsense get a helpful reply and, after three tries, a coordinator",
        (
            say("T&T", "What day?"),
            say("🚗🚗🚗", "didn't understand", "What day?"),
            say("hmm", "didn't understand", "What day?"),
            say(
                "???",
                "coordinator will contact you",
                actions=(act("FlagForDispatcher"),),
            ),
        ),
    ),
    Scenario(
        "A 1,600-character text still gets a short reply",
        (say("T&T tomorrow 10am " + "blah " * 316, "ride home"),),
    ),
    Scenario(
        "Tomorrow late at night means the next day in Toronto, not in UTC",
        (
            say("T&T tomorrow 10am one way", "Mon Nov 23 at 10am"),
            say("yes", actions=booked(ride_date="2026-11-23", at_utc="2026-11-23T15:00:00+00:00")),
        ),
        start=datetime(2026, 11, 23, 4, 30, tzinfo=UTC),  # Sun 22 Nov, 23:30 in Toronto
    ),
    Scenario(
        "A Vancouver organisation resolves dates and times in Pacific time",
        (
            say("T&T tomorrow 10am one way", "Mon Nov 23 at 10am"),
            say("yes", actions=booked(at_utc="2026-11-23T18:00:00+00:00")),
        ),
        time_zone="America/Vancouver",
    ),
    Scenario(
        "Next Tuesday in Chinese is the Tuesday of next week",
        (
            say("下星期二朝早9點去康福，等一個鐘", "11月24日（二）上午9:00去康福診所", "等60分鐘"),
            say("確認", actions=booked(ride_date="2026-11-24", return_wait_minutes=60)),
        ),
        rider="chan",
    ),
    Scenario(
        "A branch can be picked by naming what tells it apart",
        (
            say("No Frills tomorrow 9am", "Which one?"),
            say("bathurst", "ride home"),
            say("no", "No Frills (Bathurst), Mon Nov 23 at 9am"),
        ),
    ),
    Scenario(
        "Dropping a booking half way with 取消 books nothing",
        (
            say("明天去大統華", "請問幾點"),
            say("取消", "沒有預約任何接送"),
        ),
        rider="chan",
    ),
)
