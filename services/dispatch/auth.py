"""Who is asking: the session, the signed-in account, and the role every route requires.

The session is Starlette's signed cookie (HttpOnly, SameSite=Lax, Secure on https). It is
signed again on every response, and its ``max_age`` is the idle time, so a session ends after
``DISPATCH_SESSION_IDLE_MINUTES`` without a request. The account is re-read on each request:
a disabled account, or one whose role changed, takes effect at once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from asgi_csrf import asgi_csrf_decorator
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Scope

from services.dispatch.i18n import N_, parse_language, using
from services.dispatch.settings import get_dispatch_settings
from shared.models import Language, Organisation, Role
from shared.settings import get_settings, signing_key
from shared.users import active_user

log = logging.getLogger(__name__)

SESSION_COOKIE = "rides_session"
CSRF_COOKIE = "csrftoken"
CSRF_FIELD = "csrftoken"
CSRF_HEADER = "x-csrftoken"
LANGUAGE_COOKIE = "rides_lang"
# Paths served by the dispatcher pages: the session and CSRF checks apply to these only (the
# SMS webhooks and the JSON API authenticate by signature and key, not by cookie).
PAGE_PREFIXES = ("/login", "/logout", "/dispatch", "/simulator")

WRITE_ROLES = frozenset({Role.ADMIN, Role.DISPATCHER})
ALL_ROLES = frozenset(Role)


@dataclass(frozen=True)
class Actor:
    """The signed-in account and its organisation, as handlers need them."""

    user_id: int
    email: str
    role: Role
    organisation_id: int
    organisation_name: str
    time_zone: str
    language: Language

    @property
    def can_change(self) -> bool:
        """Dispatchers and admins change rides and plans; viewers only look."""
        return self.role in WRITE_ROLES


class PageError(Exception):
    """A refusal a handler raises: shown as an error page with its status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def is_page_path(path: str) -> bool:
    """True for the dispatcher pages' paths."""
    return any(path == p or path.startswith(p + "/") for p in PAGE_PREFIXES)


def secure_cookies() -> bool:
    """Cookies get the Secure flag when the app is served over https."""
    return get_settings().app.public_base_url.lower().startswith("https://")


def _skip_csrf(scope: Scope) -> bool:
    return not is_page_path(str(scope.get("path", "")))


def _csrf_middleware(app: ASGIApp) -> ASGIApp:
    protect = asgi_csrf_decorator(
        signing_secret=signing_key(get_settings().app),
        cookie_name=CSRF_COOKIE,
        form_input=CSRF_FIELD,
        http_header=CSRF_HEADER,
        cookie_secure=secure_cookies(),
        # A login form posted from another site must fail too, though it carries no session.
        always_protect={"/login", "/logout"},
        skip_if_scope=_skip_csrf,
    )
    wrapped: ASGIApp = protect(app)
    return wrapped


_REACHED = "rides.csrf_reached"


class CsrfMiddleware:
    """asgi-csrf as a Starlette middleware class: the token in a form field or a header.

    asgi-csrf reads a posted form itself to find the token, and fails with an exception on a
    form that is not UTF-8 or a multipart body without a boundary; such a request gets 400.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.inner = app
        self.app = _csrf_middleware(self._checked)

    async def _checked(self, scope: Scope, receive: Any, send: Any) -> None:
        scope[_REACHED][0] = True
        await self.inner(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        # Shared by every copy asgi-csrf makes of the scope: did the request get past it?
        reached = [False]
        try:
            await self.app({**scope, _REACHED: reached}, receive, send)
        except Exception:
            if reached[0]:
                raise  # the page's own error, not the form's
            log.info("form refused: asgi-csrf could not read it")
            await PlainTextResponse("the form could not be read", 400)(scope, receive, send)


def page_middleware() -> list[Middleware]:
    """Session, then CSRF: the middleware the dispatcher pages need (outermost first)."""
    settings = get_dispatch_settings()
    return [
        Middleware(
            SessionMiddleware,
            secret_key=signing_key(get_settings().app),
            session_cookie=SESSION_COOKIE,
            max_age=settings.session_idle_minutes * 60,
            same_site="lax",
            https_only=secure_cookies(),
        ),
        Middleware(CsrfMiddleware),
    ]


def csrf_token(request: Request) -> str:
    """This request's CSRF token, for a hidden form field and the htmx header."""
    getter = request.scope.get("csrftoken")
    return str(getter()) if callable(getter) else ""


def request_language(request: Request) -> Language:
    """The language chosen by cookie (the switch remembers it), else English."""
    return parse_language(request.cookies.get(LANGUAGE_COOKIE))


def load_actor(session: Session, request: Request) -> Actor | None:
    """The account of this request's session, if signed in and still active."""
    if "session" not in request.scope:
        return None
    user_id = request.session.get("uid")
    if not isinstance(user_id, int):
        return None
    user = active_user(session, user_id)
    if user is None or user.id is None:
        return None
    org = session.get(Organisation, user.organisation_id)
    if org is None or org.id is None:
        return None
    return Actor(
        user_id=user.id,
        email=user.email,
        role=user.role,
        organisation_id=org.id,
        organisation_name=org.name,
        time_zone=org.time_zone,
        language=request_language(request),
    )


Handler = Callable[[Request, Actor, Session, FormData | None], Response]
Endpoint = Callable[[Request], Awaitable[Response]]
ErrorRenderer = Callable[[Request, Actor | None, PageError], Response]


def guarded(
    engine: Callable[[], Engine],
    roles: frozenset[Role],
    on_error: ErrorRenderer,
) -> Callable[[Handler], Endpoint]:
    """Make ``handler`` an endpoint that runs only for a signed-in account with one of ``roles``.

    Reads the form of a POST first, then runs the handler on a worker thread with a database
    session that commits when it returns a response and rolls back when it raises.
    """

    def decorate(handler: Handler) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            form = await request.form() if request.method == "POST" else None

            def run() -> Response:
                actor: Actor | None = None
                with Session(engine(), expire_on_commit=False) as session:
                    try:
                        actor = load_actor(session, request)
                        if actor is None:
                            if request.method == "GET":
                                target = quote(request.url.path, safe="/")
                                return RedirectResponse(f"/login?next={target}", status_code=303)
                            raise PageError(403, N_("Sign in first."))
                        if actor.role not in roles:
                            raise PageError(403, N_("Your role cannot do this."))
                        with using(actor.language):
                            response = handler(request, actor, session, form)
                        session.commit()
                        return response
                    except PageError as refusal:
                        session.rollback()
                        return on_error(request, actor, refusal)

            return await run_in_threadpool(run)

        return endpoint

    return decorate
