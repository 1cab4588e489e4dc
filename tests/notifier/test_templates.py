# ruff: noqa: RUF001  # expected Chinese texts use full-width punctuation on purpose.
"""Templates: both languages, segment budgets, privacy, time zones, and clear errors."""

from __future__ import annotations

import dataclasses
import locale
import re
from datetime import UTC, date, datetime

import pytest

from notifier.errors import TemplateError
from notifier.templates import (
    CONTEXTS,
    MAX_TEXT_CHARACTERS,
    RIDER_TEMPLATES,
    BookingCancelled,
    BookingChanged,
    BookingConfirmed,
    Context,
    DriverDayRoute,
    DriverLate,
    DriverOnTheWay,
    DriverRouteChanged,
    RequestUnmet,
    RideReminder,
    StopLine,
    TemplateName,
    make_context,
    render,
    render_named,
    to_fields,
)
from shared.segments import encoding, segment_count

# 14:30 UTC on a November Tuesday is 9:30 in Toronto (EST, UTC-5).
PICKUP = datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
PICKUP_END = datetime(2026, 11, 24, 14, 45, tzinfo=UTC)
LONG_EN = {
    "destination": "Toronto Western Hospital Fracture Clinic",
    "driver_first_name": "Christopher",
    "car": "silver Toyota Sienna CDKX 123",
}
LONG_ZH = {
    "destination": "多倫多西區醫院骨科診所",
    "driver_first_name": "Christopher",
    "car": "銀色豐田Sienna CDKX 123",
}


def rider_contexts(values: dict[str, str]) -> list[Context]:
    """One context per rider template, filled with ``values``."""
    ride = {"pickup_from": PICKUP, "pickup_to": PICKUP_END, **values}
    return [
        BookingConfirmed(**ride),  # type: ignore[arg-type]
        RideReminder(**ride),  # type: ignore[arg-type]
        BookingChanged(**ride),  # type: ignore[arg-type]
        DriverOnTheWay(values["driver_first_name"], values["car"], PICKUP),
        DriverLate(values["driver_first_name"], PICKUP, PICKUP_END),
        BookingCancelled(PICKUP, values["destination"]),
        RequestUnmet(PICKUP, values["destination"]),
    ]


def stops() -> tuple[StopLine, ...]:
    """A morning with two riders (full names given on purpose)."""
    return (
        StopLine(PICKUP, "pickup", "Mei Ling Chan", "123 Spadina Ave Apt 4", ("wheelchair",)),
        StopLine(PICKUP_END, "pickup", "Ahmad Karimi", "40 Huron St"),
        StopLine(
            datetime(2026, 11, 24, 15, 5, tzinfo=UTC),
            "dropoff",
            "Mei Ling Chan",
            "Toronto Western Hospital, 399 Bathurst St",
        ),
        StopLine(
            datetime(2026, 11, 24, 15, 20, tzinfo=UTC), "dropoff", "Ahmad", "Legal Aid, 2 Bloor"
        ),
    )


DAY_ROUTE = DriverDayRoute(date(2026, 11, 24), stops(), "https://rides.example.org/m/abc123")


def test_every_template_has_a_context_and_rider_templates_are_the_seven_rider_texts() -> None:
    """The registry covers every name; exactly seven texts go to riders (with the late notice)."""
    assert set(CONTEXTS) == set(TemplateName)
    assert len(RIDER_TEMPLATES) == 7


@pytest.mark.parametrize(
    ("language", "values"),
    [("en", LONG_EN), ("zh-Hant", LONG_EN), ("zh-Hant", LONG_ZH)],
    ids=["english", "chinese-with-english-values", "chinese-with-chinese-values"],
)
def test_rider_texts_fit_two_segments_with_long_values(
    language: str, values: dict[str, str]
) -> None:
    """Long hospital names, driver names and cars still fit 2 SMS (134 chars if Chinese)."""
    for context in rider_contexts(values):
        text = render(context, language)
        assert segment_count(text) <= 2, (context.NAME, len(text), text)


def test_english_texts_with_a_chinese_driver_name_fit_three_segments() -> None:
    """One Chinese character makes an English text UCS-2 (134 chars in 2 SMS): the known
    worst case costs a third segment, never more."""
    values = {**LONG_EN, "driver_first_name": "志明"}
    for context in rider_contexts(values):
        assert segment_count(render(context, "en")) <= 3, context.NAME


@pytest.mark.parametrize("context", rider_contexts(LONG_EN), ids=lambda c: str(c.NAME))
def test_english_rider_texts_stay_gsm7_for_plain_values(context: Context) -> None:
    """No character in an English template forces the expensive UCS-2 encoding."""
    assert encoding(render(context, "en")) == "GSM-7"


def test_curly_quotes_in_values_do_not_force_ucs2() -> None:
    """A destination pasted from a word processor ("St. Michael\u2019s") stays GSM-7."""
    text = render(BookingCancelled(PICKUP, "St. Michael\u2019s Hospital"), "en")
    assert "St. Michael's Hospital" in text
    assert encoding(text) == "GSM-7"


@pytest.mark.parametrize("language", ["en", "zh-Hant"])
@pytest.mark.parametrize("context", rider_contexts(LONG_EN), ids=lambda c: str(c.NAME))
def test_every_rider_text_fills_its_placeholders(context: Context, language: str) -> None:
    """No braces or 'None' left behind; each field value shows up in the text."""
    text = render(context, language)
    assert not re.search(r"[{}]|None", text)
    for value in LONG_EN.values():
        if any(getattr(context, name, None) == value for name in LONG_EN):
            assert value in text


def test_booking_confirmation_in_english_reads_as_expected() -> None:
    """The exact English wording, times in Toronto time."""
    assert render(rider_contexts(LONG_EN)[0], "en") == (
        "Ride booked: Tue Nov 24, pick-up 9:30-9:45am, to Toronto Western Hospital Fracture "
        "Clinic. Driver: Christopher, silver Toyota Sienna CDKX 123. Reply here if plans change."
    )


def test_booking_confirmation_in_chinese_reads_as_expected() -> None:
    """The exact Chinese wording, with a Chinese date, weekday and morning marker."""
    assert render(rider_contexts(LONG_ZH)[0], "zh-Hant") == (
        "已為你預約接送：11月24日（二）上午9:30至9:45接你，前往多倫多西區醫院骨科診所。"
        "司機：Christopher，銀色豐田Sienna CDKX 123。如有更改，請回覆此訊息。"
    )


def test_pickup_window_across_noon_names_both_halves_of_the_day() -> None:
    """11:45-12:15 shows am and pm in English, 上午 and 中午 in Chinese."""
    context = BookingConfirmed(
        datetime(2026, 11, 24, 16, 45, tzinfo=UTC),
        datetime(2026, 11, 24, 17, 15, tzinfo=UTC),
        **LONG_EN,
    )
    assert "11:45am-12:15pm" in render(context, "en")
    assert "上午11:45至中午12:15" in render(context, "zh-Hant")


def test_times_are_shown_in_the_organisation_time_zone() -> None:
    """The same instant reads 9:30am in Toronto and 6:30am in Vancouver; summer time applies."""
    context = BookingCancelled(PICKUP, "Clinic")
    assert "9:30am" in render(context, "en")
    assert "6:30am" in render(context, "en", tz="America/Vancouver")
    summer = BookingCancelled(datetime(2026, 7, 7, 14, 30, tzinfo=UTC), "Clinic")
    assert "Tue Jul 7 at 10:30am" in render(summer, "en")


def test_a_late_evening_utc_time_can_be_the_previous_local_day() -> None:
    """02:00 UTC on Nov 25 is 21:00 on Tue Nov 24 in Toronto."""
    text = render(BookingCancelled(datetime(2026, 11, 25, 2, 0, tzinfo=UTC), "Clinic"), "zh-Hant")
    assert "11月24日（二）晚上9:00" in text


def test_unknown_language_renders_english() -> None:
    """A rider whose language we have no templates for gets the English text."""
    context = rider_contexts(LONG_EN)[1]
    assert render(context, "tl") == render(context, "en")


def test_rider_contexts_carry_no_other_riders() -> None:
    """Rider texts are built only from scalar fields about one ride: no stops, no lists."""
    for name in RIDER_TEMPLATES:
        for field in dataclasses.fields(CONTEXTS[name]):
            assert field.type in ("datetime", "str"), (name, field.name, field.type)


@pytest.mark.parametrize("language", ["en", "zh-Hant"])
def test_day_route_lists_stops_in_order_with_first_names_only(language: str) -> None:
    """Ordered, numbered stops; 'Mei Ling Chan' appears as 'Mei', surnames never."""
    text = render(DAY_ROUTE, language)
    lines = text.splitlines()
    assert [line[:2] for line in lines[1:5]] == ["1.", "2.", "3.", "4."]
    assert "Chan" not in text and "Karimi" not in text
    assert "Mei" in lines[1] and "Ahmad" in lines[2]
    assert "123 Spadina Ave Apt 4" in lines[1]
    assert lines[-1].endswith("https://rides.example.org/m/abc123")


def test_day_route_in_english_shows_times_actions_and_needs() -> None:
    """The English route text, line by line."""
    assert render(DAY_ROUTE, "en").splitlines() == [
        "Route Tue Nov 24, 4 stops:",
        "1. 9:30am Pick up Mei, 123 Spadina Ave Apt 4 [wheelchair]",
        "2. 9:45am Pick up Ahmad, 40 Huron St",
        "3. 10:05am Drop off Mei, Toronto Western Hospital, 399 Bathurst St",
        "4. 10:20am Drop off Ahmad, Legal Aid, 2 Bloor",
        "Manifest: https://rides.example.org/m/abc123",
    ]


def test_day_route_in_chinese_translates_known_needs() -> None:
    """'wheelchair' becomes 輪椅 for a Chinese-reading driver; drop-offs read 送…到."""
    lines = render(DAY_ROUTE, "zh-Hant").splitlines()
    assert lines[0] == "11月24日（二）路線，共4站："
    assert lines[1] == "1. 上午9:30 接Mei：123 Spadina Ave Apt 4［輪椅］"
    assert lines[3] == "3. 上午10:05 送Mei到：Toronto Western Hospital, 399 Bathurst St"


def test_route_change_with_stops_and_with_none_left() -> None:
    """A changed route lists the new stops; an emptied one thanks the driver."""
    changed = DriverRouteChanged(DAY_ROUTE.day, DAY_ROUTE.stops[:2], DAY_ROUTE.manifest_url)
    assert render(changed, "en").startswith("Route change Tue Nov 24, now 2 stops:\n1. 9:30am")
    emptied = dataclasses.replace(changed, stops=())
    assert "no stops left" in render(emptied, "en")
    assert "已沒有站點" in render(emptied, "zh-Hant")


@pytest.mark.parametrize("language", ["en", "zh-Hant"])
def test_a_long_route_lists_what_fits_in_one_text_and_points_to_the_manifest(
    language: str,
) -> None:
    """Twilio refuses texts over 1,600 characters: a 40-stop day sends the rest to the manifest."""
    many = tuple(
        StopLine(PICKUP, "pickup", f"Rider{i}", f"{100 + i} Long Street Name Avenue, Scarborough")
        for i in range(40)
    )
    text = render(DriverDayRoute(date(2026, 11, 24), many, "https://r.example.org/m/t"), language)
    lines = text.splitlines()
    assert len(text) <= MAX_TEXT_CHARACTERS
    assert "40" in lines[0]  # the head still counts every stop
    assert lines[-1].endswith("https://r.example.org/m/t")
    listed = [line for line in lines[1:] if line[:1].isdigit()]
    assert 10 < len(listed) < 40
    assert [int(line.split(".")[0]) for line in listed] == list(range(1, len(listed) + 1))
    assert str(40 - len(listed)) in lines[-2]  # how many more the manifest holds
    short = render(DAY_ROUTE, language)
    assert (
        "manifest" not in short.splitlines()[-2].lower() and "行程表" not in short.splitlines()[-2]
    )


def test_newlines_in_values_cannot_forge_extra_lines() -> None:
    """An address with a newline stays on its stop's line."""
    stop = StopLine(PICKUP, "pickup", "Mei", "1 Main St\nManifest: http://evil.example")
    route = DriverDayRoute(date(2026, 11, 24), (stop,), "https://rides.example.org/m/x")
    assert len(render(route, "en").splitlines()) == 3


def test_missing_field_names_what_is_missing() -> None:
    """render_named says which fields are missing and which are unknown."""
    with pytest.raises(TemplateError, match=r"missing: \['car'\]; unknown: \['colour'\]"):
        render_named(
            TemplateName.DRIVER_ON_THE_WAY,
            "en",
            driver_first_name="Chris",
            colour="red",
            eta=PICKUP,
        )


def test_unknown_template_name_lists_known_ones() -> None:
    """A typo in a stored template name is reported with the valid names."""
    with pytest.raises(
        TemplateError, match=r"unknown template 'booking_confirm'.*booking_confirmed"
    ):
        render_named("booking_confirm", "en")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"destination": "  "}, "'destination' is empty"),
        ({"pickup_from": datetime(2026, 11, 24, 9, 30)}, "aware datetime"),
        ({"pickup_to": datetime(2026, 11, 24, 14, 0, tzinfo=UTC)}, "before pickup_from"),
    ],
)
def test_invalid_values_are_refused_with_a_clear_error(
    changes: dict[str, object], message: str
) -> None:
    """Blank text, naive times and backwards windows never reach a rider."""
    with pytest.raises(TemplateError, match=message):
        ride = {"pickup_from": PICKUP, "pickup_to": PICKUP_END, **LONG_EN}
        make_context(BookingConfirmed, {**ride, **changes})


def test_a_day_route_needs_stops() -> None:
    """An empty day route is a bug upstream, not a text to send."""
    with pytest.raises(TemplateError, match="at least one stop"):
        DriverDayRoute(date(2026, 11, 24), (), "https://rides.example.org/m/x")


@pytest.mark.parametrize("context", [*rider_contexts(LONG_ZH), DAY_ROUTE], ids=lambda c: c.NAME)
def test_fields_round_trip_through_json_safe_values(context: Context) -> None:
    """to_fields -> (store as JSON) -> render_named renders the same text as the context."""
    fields = to_fields(context)
    assert all(not isinstance(v, datetime | date) for v in fields.values())
    assert render_named(context.NAME, "zh-Hant", **fields) == render(context, "zh-Hant")


def test_dates_are_english_whatever_the_process_locale() -> None:
    """Weekday and month names come from CLDR (Babel), not the C library's locale."""
    previous = locale.setlocale(locale.LC_TIME)
    tried = []
    try:
        for name in ("fr_FR.UTF-8", "zh_HK.UTF-8", "C.UTF-8"):
            try:
                locale.setlocale(locale.LC_TIME, name)
            except locale.Error:
                continue
            tried.append(name)
            assert "Tue Nov 24" in render(BookingCancelled(PICKUP, "Clinic"), "en")
    finally:
        locale.setlocale(locale.LC_TIME, previous)
    # Without any of these locales the loop checks nothing: that must fail, not pass.
    assert tried, "none of fr_FR.UTF-8, zh_HK.UTF-8, C.UTF-8 is installed"


def test_a_one_stop_route_says_stop_not_stops() -> None:
    """Small things that make the text read as written by a person."""
    route = DriverDayRoute(date(2026, 11, 24), stops()[:1], "https://rides.example.org/m/x")
    assert render(route, "en").startswith("Route Tue Nov 24, 1 stop:\n")
