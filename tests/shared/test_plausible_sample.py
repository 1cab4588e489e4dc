"""The sample day is one a dispatcher would recognise, in each city.

Each rule of ``shared._plausible_sample`` is checked on the generated rows, for Toronto and
Vancouver and on three weekdays; then the day is planned through the product path and at least
90% of its legs must be served, each unserved one with a reason a dispatcher would accept.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler.planning import plan_and_store
from scheduler.solver import UnservedReason
from shared._plausible_sample import SHIFTS, distance_km, nearest, request_busy
from shared._sample_cities import CITIES, City
from shared.models import PlaceKind, RequestKind, UnservedRequest
from shared.sample import Network, SampleSize, sample_network, seed_sample

CITY_KEYS = sorted(CITIES)
DAYS = [date(2026, 12, 3), date(2026, 12, 5), date(2026, 12, 7)]  # Thursday, Saturday, Monday
#: Other towns of each region: a place whose name says one of these is in the wrong town.
TOWNS = {
    "toronto": {"Toronto", "Scarborough", "Markham", "Richmond Hill", "North York", "Etobicoke"},
    "vancouver": {"Vancouver", "Richmond", "Burnaby", "Surrey", "Coquitlam"},
}
#: Reasons that say the day is wrong, not that it is full: a plausible day never has them.
NOT_ACCEPTABLE = {UnservedReason.IMPOSSIBLE_ALONE.value, UnservedReason.NO_SKILLS.value}


def _network(key: str, day: date) -> Network:
    return sample_network(key, day)


@pytest.mark.parametrize("key", CITY_KEYS)
def test_places_are_in_the_towns_their_names_and_addresses_say(key: str) -> None:
    city: City = CITIES[key]
    centres = {area.town: (area.latitude, area.longitude) for area in city.areas}
    for place in city.places:
        assert place.address.endswith(", " + place.town), place.name
        named = {t for t in TOWNS[key] if t in place.name and t != place.town}
        # "Richmond Hill" names Richmond Hill, not Richmond.
        named = {t for t in named if not any(t in o and o in place.name for o in TOWNS[key] - {t})}
        assert not named, f"{place.name} is in {place.town}, not {named}"
        if place.town in centres:
            assert distance_km(centres[place.town], (place.latitude, place.longitude)) < 12


@pytest.mark.parametrize("key", CITY_KEYS)
@pytest.mark.parametrize("day", DAYS)
def test_riders_shop_near_home_and_see_doctors_nearby(key: str, day: date) -> None:
    net = _network(key, day)
    city = CITIES[key]
    groceries = [p for p in city.places if p.kind == PlaceKind.GROCERY]
    for sample in net.requests:
        rider = net.riders[sample.rider_index]
        home = (rider.home_latitude or 0.0, rider.home_longitude or 0.0)
        place = city.places[sample.place_index]
        if sample.request.kind == RequestKind.GROCERY:
            assert place in nearest(groceries, home)[:2], (rider.home_address, place.name)
        else:
            assert distance_km(home, (place.latitude, place.longitude)) <= 15


@pytest.mark.parametrize("key", CITY_KEYS)
@pytest.mark.parametrize("day", DAYS)
def test_no_rider_has_overlapping_trips(key: str, day: date) -> None:
    net = _network(key, day)
    tz = ZoneInfo(CITIES[key].time_zone)
    trips: dict[int, list[tuple[datetime, datetime]]] = {}
    for sample in net.requests:
        busy = request_busy(sample.request, tz)
        for start, end in trips.get(sample.rider_index, []):
            assert busy.end <= start or end <= busy.start
        trips.setdefault(sample.rider_index, []).append((busy.start, busy.end))
    # A second trip for somebody exists once requests outnumber riders, never overlapping.
    big = sample_network(key, day, SampleSize(drivers=12, riders=20, requests=30))
    assert len({s.rider_index for s in big.requests}) < len(big.requests)


@pytest.mark.parametrize("key", CITY_KEYS)
@pytest.mark.parametrize("day", DAYS)
def test_shifts_cover_the_day_and_every_window_can_be_reached(key: str, day: date) -> None:
    net = _network(key, day)
    tz = ZoneInfo(CITIES[key].time_zone)
    working = [a for _, a in net.availability if a.weekday == day.weekday()]
    for hour in range(8, 18):
        at = time(hour, 30)
        assert sum(a.start_time <= at < a.end_time for a in working) >= 3, hour
    vans = {i for i, a in net.availability if a.weekday == day.weekday()} & {
        i for i, d in enumerate(net.drivers) if d.wheelchair_spaces
    }
    assert vans, "an accessible van works every day"
    earliest = min(start for start, _ in SHIFTS)
    latest = max(end for _, end in SHIFTS)
    for sample in net.requests:
        request = sample.request
        rider = net.riders[sample.rider_index]
        place = CITIES[key].places[sample.place_index]
        direct_h = (
            distance_km(
                (rider.home_latitude or 0.0, rider.home_longitude or 0.0),
                (place.latitude, place.longitude),
            )
            * 1.3
            / 30
        )
        busy = request_busy(request, tz)
        day_start = datetime.combine(day, earliest, tz)
        day_end = datetime.combine(day, latest, tz)
        if request.arrive_by is not None:
            # Time to reach the appointment after the first shift begins (30 min to get there).
            leave = request.arrive_by.astimezone(tz) - timedelta(hours=direct_h)
            assert leave - timedelta(minutes=30) >= day_start
        assert busy.end <= day_end + timedelta(minutes=30)


@pytest.mark.parametrize("key", CITY_KEYS)
def test_the_day_plans_at_least_nine_legs_in_ten_with_acceptable_reasons(
    key: str, engine: Engine
) -> None:
    day = DAYS[0]
    with Session(engine) as session:
        net = seed_sample(session, key, day)
        session.commit()
        assert net.organisation.id is not None
        org_id = net.organisation.id
    result = plan_and_store(org_id, day, time_limit=3, engine=engine)
    legs = len(result.day.problem.requests) + len(result.day.rejected)
    unserved = len(result.solution.unserved) + len(result.day.rejected)
    assert legs >= len(net.requests)
    assert (legs - unserved) / legs >= 0.9, (legs, unserved)
    with Session(engine) as session:
        reasons = session.exec(
            select(UnservedRequest.reason).where(UnservedRequest.plan_id == result.plan_id)
        ).all()
    assert not set(reasons) & NOT_ACCEPTABLE


@pytest.mark.parametrize("key", CITY_KEYS)
def test_nobody_shares_a_number_with_the_organisation_or_each_other(key: str) -> None:
    net = sample_network(key, DAYS[0], SampleSize(drivers=150, riders=600, requests=100))
    phones = [d.phone for d in net.drivers] + [r.phone for r in net.riders]
    assert len(set(phones)) == len(phones)
    assert net.organisation.sms_number not in phones
