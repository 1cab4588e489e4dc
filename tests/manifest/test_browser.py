# ruff: noqa: RUF001  # Chinese page text uses full-width punctuation on purpose.
"""The manifest in a real browser at a phone's width (390 px), in both languages.

Debian's chromium drives it through Playwright (never a downloaded browser); elements are found
by role and label, as a person finds them. Screenshots are saved as test artefacts under
``tests/artifacts/``. Without chromium the test skips (locally) or fails (CI), like the other
back-ends.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import Engine
from starlette.applications import Starlette

from devtools.fake_twilio import BackgroundServer
from services.manifest.app import manifest_routes
from shared.db import make_engine
from shared.i18n import Language
from shared.manifest_links import manifest_token
from tests.booking.sms.conftest import Clock, seed_world
from tests.browser import shot
from tests.driver_day import DAY, at, seed_driver_day


@pytest.fixture
def sqlite_engine(sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite database of this test's own."""
    path = tmp_path / "rides.sqlite3"
    shutil.copy(sqlite_template, path)
    built = make_engine(f"sqlite:///{path}")
    yield built
    built.dispose()


@pytest.fixture
def server(sqlite_engine: Engine) -> Iterator[str]:
    """The manifest routes under uvicorn on a free port; its base URL."""
    running = BackgroundServer(
        Starlette(routes=manifest_routes(sqlite_engine, clock=Clock(at(14))))
    )
    yield running.base_url
    running.stop()


@pytest.mark.parametrize("language", [Language.EN, Language.ZH_HANT], ids=["en", "zh-Hant"])
def test_manifest_at_phone_width_accept_and_screenshot(
    sqlite_engine: Engine, server: str, language: Language, browser: Browser
) -> None:
    """At 390 px: the heading, the stops, call and navigation links; Accept works."""
    world = seed_world(sqlite_engine)
    day = seed_driver_day(
        sqlite_engine,
        world.organisation_id,
        next(iter(world.place_ids.values())),
        chris_language=language,
    )
    url = f"{server}/m/{manifest_token(day.chris, DAY)}"
    chinese = language == Language.ZH_HANT
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    try:
        page = context.new_page()
        page.goto(url)
        heading = "11月24日（二）的路線" if chinese else "Route for Tue Nov 24"
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        call = "致電Mei" if chinese else "Call Mei"
        expect(page.get_by_role("link", name=call)).to_have_attribute("href", "tel:+16475551001")
        assert page.get_by_role("link", name="導航" if chinese else "Navigate").count() == 6
        # Nothing is wider than the phone: no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, f"manifest-{language.value}")
        page.get_by_role("button", name="接受路線" if chinese else "Accept route").click()
        done = "多謝！你已接受這條路線。" if chinese else "Thank you! You accepted the route."
        expect(page.get_by_role("status")).to_have_text(done)
        shot(page, f"manifest-{language.value}-accepted")
    finally:
        context.close()
