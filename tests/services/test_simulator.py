"""``/simulator``: refused outside demo mode; in demo mode, texts go through the signed webhook.

The HTTP tests use the whole web app (session, CSRF, the webhook's signature check) over the
migrated SQLite and PostgreSQL databases; the browser test texts through the page as a person
would, at a laptop's and a phone's width, in both languages, and saves screenshots.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from services.cli._demo import BackgroundServer, free_port
from shared.db import dispose_engines, make_engine
from shared.models import InboundMessage, Message, Organisation, Rider
from shared.outbox import queue_text
from shared.queue import build_broker, use_broker
from shared.sample import SampleSize, seed_sample
from shared.settings import reset_settings
from tests.browser import shot

DAY = date(2026, 12, 3)
TOKEN = "simulator-test-token"
ROUTES = [("GET", "/simulator"), ("GET", "/simulator/thread")]
POSTS = ["/simulator/phone", "/simulator/send"]


def _settings(monkeypatch: pytest.MonkeyPatch, url: str, demo: bool, base: str) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("PUBLIC_BASE_URL", base)
    monkeypatch.setenv("DEMO_MODE", "true" if demo else "false")
    reset_settings()
    dispose_engines()


def _seed(engine: Engine) -> Organisation:
    with Session(engine, expire_on_commit=False) as session:
        net = seed_sample(session, "toronto", DAY, SampleSize(drivers=3, riders=6, requests=0))
        session.commit()
        return net.organisation


def _client() -> TestClient:
    import services.worker  # noqa: F401  (the actors a booking enqueues)
    from services.web import create_app

    use_broker(build_broker(None))
    return TestClient(create_app(), base_url="http://testserver")


def _csrf(client: TestClient) -> str:
    page = client.get("/simulator")
    assert page.status_code == 200
    found = re.search(r'name="csrftoken" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def test_outside_demo_mode_every_simulator_path_is_not_found(
    monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine
) -> None:
    _settings(monkeypatch, database_url, demo=False, base="http://testserver")
    _seed(engine)
    with _client() as client:
        for method, path in ROUTES:
            assert client.request(method, path).status_code == 404
        # Even with a valid CSRF token from another page, the posts are refused the same way.
        client.get("/login")
        token = client.cookies.get("csrftoken") or ""
        for path in POSTS:
            response = client.post(path, data={"csrftoken": token, "body": "hi"})
            assert response.status_code == 404
    with Session(engine) as session:
        assert session.exec(select(InboundMessage)).first() is None


def test_demo_mode_can_never_be_on_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DEMO_MODE", "true")
    reset_settings()
    from pydantic import ValidationError

    from shared.settings import get_settings

    with pytest.raises(ValidationError, match="DEMO_MODE"):
        get_settings()


def test_a_text_from_the_simulator_is_signed_booked_and_shown_with_later_texts(
    monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine
) -> None:
    _settings(monkeypatch, database_url, demo=True, base="http://testserver")
    org = _seed(engine)
    with Session(engine) as session:
        rider = session.exec(select(Rider)).first()
        assert rider is not None
    with _client() as client:
        token = _csrf(client)
        chosen = client.post("/simulator/phone", data={"csrftoken": token, "contact": rider.phone})
        assert chosen.status_code == 200  # followed the redirect back to the page
        assert rider.name in chosen.text
        assert rider.phone not in str(chosen.url), "the number stays out of URLs"
        sent = client.post(
            "/simulator/send",
            data={"csrftoken": token, "body": "T&T Markham tomorrow 10am"},
            headers={"HX-Request": "true"},
        )
        assert sent.status_code == 200
        assert "T&amp;T Markham tomorrow 10am" in sent.text
        with Session(engine) as session:
            inbound = session.exec(select(InboundMessage)).one()
            assert inbound.from_number == rider.phone and inbound.reply_body
            reply = inbound.reply_body[:15]
            assert org.id is not None
            # A later text to the number (as a published plan would send) shows on the phone.
            queue_text(
                session,
                organisation_id=org.id,
                to_number=rider.phone,
                from_number=org.sms_number or "",
                body="Ride booked: your driver is Ann",
                language=rider.preferred_language,
                template="booking_confirmed",
            )
            session.commit()
        thread = client.get("/simulator/thread")
        assert not set(reply) & set("&<>'\"") and reply in thread.text
        assert "Ride booked: your driver is Ann" in thread.text


def test_bad_input_gets_a_clear_400_and_a_missing_token_403(
    monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine
) -> None:
    _settings(monkeypatch, database_url, demo=True, base="http://testserver")
    _seed(engine)
    with _client() as client:
        token = _csrf(client)
        bad = client.post("/simulator/phone", data={"csrftoken": token, "new_number": "hello"})
        assert bad.status_code == 400 and "not a phone number" in bad.text
        # No phone chosen yet: nothing to send from.
        empty = client.post("/simulator/send", data={"csrftoken": token, "body": "hi"})
        assert empty.status_code == 400
        assert (
            client.post("/simulator/phone", data={"new_number": "+14165550177"}).status_code == 403
        )
        client.post("/simulator/phone", data={"csrftoken": token, "new_number": "416 555 0177"})
        too_long = client.post("/simulator/send", data={"csrftoken": token, "body": "x" * 1601})
        assert too_long.status_code == 400
    with Session(engine) as session:
        assert session.exec(select(InboundMessage)).first() is None
        assert session.exec(select(Message)).first() is None


@pytest.fixture
def demo_site(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """The web app in demo mode on a loopback port, over a seeded SQLite day."""
    from shared import migrations

    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    migrations.upgrade(url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    _settings(monkeypatch, url, demo=True, base=base)
    engine = make_engine(url)
    _seed(engine)
    engine.dispose()
    import services.worker  # noqa: F401

    use_broker(build_broker(None))
    server = BackgroundServer(port)
    server.start()
    yield base
    server.stop()


def test_texting_through_the_simulator_page_shows_the_reply(
    browser: Browser, demo_site: str
) -> None:
    for width, language in ((1280, "en"), (390, "zh_Hant")):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto(f"{demo_site}/simulator")
        if language == "zh_Hant":
            page.get_by_label("Language").select_option("zh-Hant")
            page.get_by_role("button", name="Change language").click()
            expect(page.get_by_role("heading", name="短訊模擬器")).to_be_visible()
            page.get_by_label("或輸入新號碼").fill("+1 416 555 0177")
            page.get_by_role("button", name="用這部電話").click()
            page.get_by_label("訊息").fill("你好")
            page.get_by_role("button", name="發送").click()
            expect(page.get_by_text("請問您的名字")).to_be_visible()
        else:
            page.get_by_label("Text as a sample rider or driver").select_option(index=1)
            page.get_by_role("button", name="Use this phone").click()
            page.get_by_label("Message").fill("T&T Markham tomorrow 10am")
            page.get_by_role("button", name="Send").click()
            texts = page.get_by_role("list", name="Texts")
            expect(texts.get_by_text("T&T Markham tomorrow 10am")).to_be_visible()
            expect(page.locator(".bubble.theirs")).to_have_count(1)
        shot(page, f"simulator-{width}-{language}")
        other = 390 if width == 1280 else 1280
        page.set_viewport_size({"width": other, "height": 900})
        shot(page, f"simulator-{other}-{language}")
        context.close()
