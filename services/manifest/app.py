"""``/m/<token>``: a driver's manifest for one day, and its four buttons.

No login: the signed token in the link is the permission (``shared.manifest_links``). A
tampered token, one signed with another key, or one for a driver who is gone gets 404; an
expired one 410 with a short explanation. The buttons (accept, decline, on my way, done) are
plain form POSTs that call the same function as the SMS commands
(``notifier.driver_reports.respond``), then redirect back to the page (POST, redirect, GET).

CSRF: the page sets no cookie and has no session, so a forged cross-site POST carries no
ambient credential; what it would need is the secret token in the URL. Each form still carries
a token bound to that manifest token (an HMAC of it under a key of its own), and a POST whose
``Origin`` names another host is refused: a link that leaked on its own (a forwarded text) is
not enough to press a button without loading the page. A library such as asgi-csrf guards
cookie sessions, which this page does not have.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from notifier.driver_reports import DriverAction, Outcome, respond
from services.manifest.view import build_manifest
from shared.db import get_engine
from shared.i18n import Language, text_language, time_zone
from shared.manifest_links import (
    BadManifestToken,
    ExpiredManifestToken,
    ManifestGrant,
    read_manifest_token,
)
from shared.models import Driver, Organisation, utcnow
from shared.settings import get_settings, signing_key

_HERE = Path(__file__).parent
LOCALE_DIR = _HERE / "locale"
_LOCALES = {Language.EN: "en", Language.ZH_HANT: "zh_Hant"}
_HTML_LANG = {Language.EN: "en", Language.ZH_HANT: "zh-Hant"}
#: the buttons in page order: the action, and whether it is the one that says no
BUTTONS = (
    (DriverAction.ACCEPT, ""),
    (DriverAction.DECLINE, "decline"),
    (DriverAction.LEFT, ""),
    (DriverAction.DONE, ""),
)
_NOTICES = frozenset(outcome.value for outcome in Outcome)
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@cache
def translations(language: Language) -> NullTranslations:
    """The compiled catalogue of one language (committed ``.mo`` files)."""
    return Translations.load(str(LOCALE_DIR), [_LOCALES[language]], domain="messages")


@cache
def environment(language: Language) -> Environment:
    """The Jinja2 environment of one language, its gettext from the compiled catalogue."""
    env = Environment(
        loader=FileSystemLoader(_HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(  # type: ignore[attr-defined]
        translations(language), newstyle=True
    )
    return env


def render(template: str, language: Language, status: int = 200, **values: object) -> HTMLResponse:
    """A page in ``language``."""
    html = (
        environment(language)
        .get_template(template)
        .render(html_lang=_HTML_LANG[language], **values)
    )
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def csrf_token(manifest_token: str) -> str:
    """The form token bound to one manifest token."""
    key = hashlib.sha256(("manifest-csrf:" + signing_key(get_settings().app)).encode()).digest()
    return hmac.new(key, manifest_token.encode(), hashlib.sha256).hexdigest()


def _labels(language: Language) -> dict[DriverAction, str]:
    gettext = translations(language).gettext
    return {
        DriverAction.ACCEPT: str(gettext("Accept route")),
        DriverAction.DECLINE: str(gettext("Decline route")),
        DriverAction.LEFT: str(gettext("On my way")),
        DriverAction.DONE: str(gettext("Done")),
    }


class _Refused(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _open(session: Session, token: str, now: datetime) -> tuple[Driver, ManifestGrant]:
    """The driver and day of a token, or a refusal (404 or 410)."""
    try:
        # Expiry is judged on the organisation's calendar, known once the driver is read.
        grant = read_manifest_token(token, None)
    except BadManifestToken:
        raise _Refused(render("not_found.html", Language.EN, 404)) from None
    driver = session.get(Driver, grant.driver_id)
    org = None if driver is None else session.get(Organisation, driver.organisation_id)
    if driver is None or org is None or not driver.active:
        raise _Refused(render("not_found.html", Language.EN, 404))
    language = text_language(driver.languages[0] if driver.languages else None)
    today = now.astimezone(time_zone(org.time_zone)).date()
    try:
        read_manifest_token(token, today)
    except ExpiredManifestToken:
        raise _Refused(render("gone.html", language, 410)) from None
    return driver, grant


def manifest_routes(
    engine: Engine | None = None, *, clock: Callable[[], datetime] = utcnow
) -> list[Route]:
    """The manifest's routes: ``GET /m/{token}`` and ``POST /m/{token}/{action}``."""

    def page(token: str, notice: str | None) -> Response:
        with Session(engine or get_engine()) as session:
            try:
                driver, grant = _open(session, token, clock())
            except _Refused as refused:
                return refused.response
            view = build_manifest(session, driver, grant.day)
        labels = _labels(view.language)
        actions = [(action.value, labels[action], css) for action, css in BUTTONS]
        return render(
            "manifest.html",
            view.language,
            view=view,
            notice=notice,
            actions=actions,
            csrf_token=csrf_token(token),
            post_base=f"/m/{token}",
        )

    def press(token: str, action: str, form_token: str) -> Response:
        with Session(engine or get_engine()) as session:
            try:
                driver, grant = _open(session, token, clock())
            except _Refused as refused:
                return refused.response
            if not hmac.compare_digest(form_token, csrf_token(token)):
                return Response("the form is out of date: reload the page", 403)
            try:
                chosen = DriverAction(action)
            except ValueError:
                return Response("no such button", 404)
            if chosen not in dict(BUTTONS):
                return Response("no such button", 404)
            report = respond(session, driver, chosen, now=clock(), day=grant.day)
            session.commit()
        return RedirectResponse(f"/m/{token}?done={report.outcome.value}", status_code=303)

    async def get_page(request: Request) -> Response:
        notice = request.query_params.get("done")
        if notice not in _NOTICES:
            notice = None
        return await run_in_threadpool(page, request.path_params["token"], notice)

    async def post_action(request: Request) -> Response:
        origin = request.headers.get("origin")
        if origin and origin != "null" and urlsplit(origin).netloc != request.url.netloc:
            return Response("cross-site form posts are refused", 403)
        try:
            form = await request.form()
        except Exception:
            return Response("the body must be a form", 400)
        form_token = form.get("csrf_token")
        if not isinstance(form_token, str):
            return Response("the form is missing its token: reload the page", 403)
        return await run_in_threadpool(
            press, request.path_params["token"], request.path_params["action"], form_token
        )

    return [
        Route("/m/{token}", get_page, methods=["GET"]),
        Route("/m/{token}/{action}", post_action, methods=["POST"]),
    ]
