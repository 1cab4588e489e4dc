# ruff: noqa: RUF001  # Chinese page text uses full-width punctuation on purpose.
"""The manifest page: the right driver's day only, bad and old links refused, working buttons."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlmodel import Session, select

from services.manifest.app import csrf_token
from services.manifest.view import build_manifest
from shared.driver_responses import driver_alerts
from shared.manifest_links import manifest_token
from shared.models import Driver, DriverException, Message, RequestStatus, RideRequest, Route
from tests.driver_day import DAY, RIDER_PHONES
from tests.manifest.conftest import Manifest


def _url(driver_id: int, day: date = DAY) -> str:
    return f"/m/{manifest_token(driver_id, day)}"


def test_token_opens_the_drivers_day_with_only_their_riders(manifest: Manifest) -> None:
    """Chris's page lists Mei, Ahmad and Sam in order, in Chinese, never Wing's rider Lan."""
    response = manifest.client.get(_url(manifest.day.chris))
    assert response.status_code == 200
    page = response.text
    assert "11月24日（二）的路線" in page
    assert page.index("Mei") < page.index("Ahmad") < page.index("Sam")
    assert "Lan" not in page and RIDER_PHONES["lan"] not in page
    assert "Chan" not in page and "Karimi" not in page  # first names only
    assert f'href="tel:{RIDER_PHONES["mei"]}"' in page
    assert "123 Spadina Ave Apt 4" in page and "輪椅" in page
    assert 'href="geo:43.650000,-79.380000?q=43.650000,-79.380000(' in page
    assert "https://www.google.com/maps/dir/?api=1&amp;destination=43.650000,-79.380000" in page
    assert response.headers["cache-control"] == "no-store"


def test_another_drivers_token_shows_that_driver_only(manifest: Manifest) -> None:
    """Wing's link shows Lan, and none of Chris's riders."""
    page = manifest.client.get(_url(manifest.day.wing)).text
    assert "Lan" in page
    assert all(name not in page for name in ("Mei", "Ahmad", "Sam"))


def test_tampered_and_foreign_tokens_get_404(manifest: Manifest) -> None:
    """A changed character, a token signed with another key, a driver of another day's token
    edited to name Wing, or a deactivated driver: all 404."""
    token = manifest_token(manifest.day.chris, DAY)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    foreign = manifest_token(manifest.day.chris, DAY, secret="another deployment's key")
    for bad in (tampered, foreign, "nonsense", token.split(".")[0]):
        response = manifest.client.get(f"/m/{bad}")
        assert response.status_code == 404, bad
        assert "Mei" not in response.text
    with Session(manifest.engine) as session:
        wing = session.get(Driver, manifest.day.wing)
        assert wing is not None
        wing.active = False
        session.add(wing)
        session.commit()
    assert manifest.client.get(_url(manifest.day.wing)).status_code == 404


def test_expired_token_gets_410_with_an_explanation(manifest: Manifest) -> None:
    """The link works the day after the route; two days after, it has expired."""
    manifest.clock.now += timedelta(days=1)
    assert manifest.client.get(_url(manifest.day.chris)).status_code == 200
    manifest.clock.now += timedelta(days=1)
    response = manifest.client.get(_url(manifest.day.chris))
    assert response.status_code == 410
    assert "連結已過期" in response.text and "Mei" not in response.text


def _press(manifest: Manifest, action: str) -> str:
    url = _url(manifest.day.chris)
    token = url.rsplit("/", 1)[1]
    response = manifest.client.post(
        f"{url}/{action}", data={"csrf_token": csrf_token(token)}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    return manifest.client.get(location).text


def test_accept_button_accepts_the_route(manifest: Manifest) -> None:
    """Accept: the route's response, and a thank-you on the page."""
    page = _press(manifest, "accept")
    assert "你已接受這條路線" in page
    with Session(manifest.engine) as session:
        route = session.get(Route, manifest.day.chris_route)
        assert route is not None and route.driver_response == "accepted"


def test_decline_button_declines_takes_the_day_off_and_alerts(manifest: Manifest) -> None:
    """Decline: as the SMS NO, with the day off and the alert."""
    page = _press(manifest, "decline")
    assert "另找司機" in page
    with Session(manifest.engine) as session:
        off = session.exec(
            select(DriverException).where(DriverException.driver_id == manifest.day.chris)
        ).all()
        assert [row.day for row in off] == [DAY]
        alerts = driver_alerts(session, manifest.day.organisation_id, DAY, manifest.clock.now)
        assert [a.driver_id for a in alerts if a.kind == "declined"] == [manifest.day.chris]


def test_on_my_way_and_done_buttons(manifest: Manifest) -> None:
    """On my way texts Mei; done after her pick-up time completes her ride."""
    _press(manifest, "left")
    with Session(manifest.engine) as session:
        sent = session.exec(select(Message).where(Message.template == "driver_on_the_way")).all()
        assert [m.to_number for m in sent if m.organisation_id == manifest.day.organisation_id] == [
            RIDER_PHONES["mei"]
        ]
    manifest.clock.now += timedelta(minutes=40)
    page = _press(manifest, "done")
    assert "已完成" in page
    with Session(manifest.engine) as session:
        mei = session.get(RideRequest, manifest.day.requests["mei"])
        assert mei is not None and mei.status == RequestStatus.COMPLETED


def test_posts_without_the_form_token_or_from_another_site_are_refused(manifest: Manifest) -> None:
    """No token, a wrong token, another Origin: 403 and nothing changes; unknown button 404."""
    url = _url(manifest.day.chris)
    token = url.rsplit("/", 1)[1]
    assert manifest.client.post(f"{url}/accept", data={}).status_code == 403
    assert manifest.client.post(f"{url}/accept", data={"csrf_token": "0" * 64}).status_code == 403
    evil = manifest.client.post(
        f"{url}/accept",
        data={"csrf_token": csrf_token(token)},
        headers={"Origin": "https://evil.example"},
    )
    assert evil.status_code == 403
    unknown = manifest.client.post(f"{url}/late", data={"csrf_token": csrf_token(token)})
    assert unknown.status_code == 404
    with Session(manifest.engine) as session:
        route = session.get(Route, manifest.day.chris_route)
        assert route is not None and route.driver_response == "pending"


def test_page_follows_the_current_published_plan(manifest: Manifest) -> None:
    """The view is read from the published plan at each request: a moved stop shows moved."""
    with Session(manifest.engine) as session:
        chris = session.get(Driver, manifest.day.chris)
        assert chris is not None
        before = build_manifest(session, chris, DAY)
        assert [stop.time for stop in before.stops][:1] == ["上午9:30"]
    page = manifest.client.get(_url(manifest.day.chris)).text
    assert re.search(r"1\. 上午9:30", page)
