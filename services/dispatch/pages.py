"""The dispatcher pages: handlers stay thin (parse, check, call a plain function, render)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from scheduler.actors import plan_day
from services.booking.api.errors import ApiError
from services.dispatch import actions
from services.dispatch._throttle import LoginThrottle
from services.dispatch.auth import (
    ALL_ROLES,
    LANGUAGE_COOKIE,
    WRITE_ROLES,
    Actor,
    PageError,
    guarded,
    request_language,
    secure_cookies,
)
from services.dispatch.i18n import N_, gettext, parse_language, using
from services.dispatch.moves import MoveRefused, move_ride
from services.dispatch.new_ride import book_ride, new_ride_form, problems
from services.dispatch.settings import get_dispatch_settings
from services.dispatch.templates import render
from services.dispatch.views import (
    build_day_board,
    build_plan_view,
    today,
)
from shared.audit import AuditFilter, actors_and_actions, list_events, record
from shared.db import get_engine
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.models import DispatcherUser, Driver, Organisation, Plan, RideRequest, Role
from shared.models import Route as RouteRow
from shared.plan_days import newest_version, publish_latest_draft
from shared.users import (
    authenticate,
    create_user,
    disable_user,
    list_users,
    normalise_email,
)

log = logging.getLogger(__name__)
_Owned = TypeVar("_Owned", Plan, RideRequest, Driver)
STATIC_DIR = __file__.rsplit("/", 1)[0] + "/static"


# Row ids are 32-bit INTEGER columns on PostgreSQL; a larger number is no row, not an error.
MAX_ROW_ID = 2**31 - 1
# Days a page can show: far enough either way for any service, and clear of the calendar's ends
# (the pages step a day back and forward and convert days to UTC).
_YEARS = range(2000, 2200)


def _calendar_day(value: str) -> date | None:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if day.year in _YEARS and len(value) == len("YYYY-MM-DD") else None


def parse_day(value: str) -> date:
    """A YYYY-MM-DD path segment; anything else is a page that does not exist."""
    day = _calendar_day(value)
    if day is None:
        raise PageError(404, gettext("There is no such page."))
    return day


def path_id(request: Request, name: str) -> int:
    """A row id from the path (the route takes digits only); too large is no such page."""
    value = int(request.path_params[name])
    if not 1 <= value <= MAX_ROW_ID:
        raise PageError(404, gettext("There is no such page."))
    return value


def _int(form: FormData | None, name: str) -> int | None:
    raw = form.get(name) if form is not None else None
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        value = int(raw)
    except ValueError:
        raise PageError(400, gettext("That form field is not a number.")) from None
    if not -MAX_ROW_ID <= value <= MAX_ROW_ID:
        raise PageError(400, gettext("That form field is not a number."))
    return value


def _text(form: FormData | None, name: str) -> str:
    raw = form.get(name) if form is not None else None
    return raw.strip() if isinstance(raw, str) else ""


def _raw(form: FormData | None, name: str) -> str:
    raw = form.get(name) if form is not None else None
    return raw if isinstance(raw, str) else ""


def _back(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def owned(session: Session, model: type[_Owned], row_id: int, actor: Actor) -> _Owned:
    """A row of the actor's organisation; any other row is answered as if it did not exist."""
    row = session.get(model, row_id)
    if row is None or row.organisation_id != actor.organisation_id:
        raise PageError(404, gettext("There is no such page."))
    return row


class DispatchPages:
    """The dispatcher pages over one database."""

    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine
        settings = get_dispatch_settings()
        self.throttle = LoginThrottle(
            settings.login_attempts_per_account,
            settings.login_attempts_per_address,
            settings.login_window_seconds,
        )

    def engine(self) -> Engine:
        return self._engine or get_engine()

    # --- errors and login -------------------------------------------------------------------

    def error_page(self, request: Request, actor: Actor | None, error: PageError) -> Response:
        with using(actor.language if actor else request_language(request)):
            return render(
                request,
                "error.html",
                {"status": error.status, "message": gettext(error.message)},
                actor=actor,
                status_code=error.status,
            )

    async def login(self, request: Request) -> Response:
        next_path = request.query_params.get("next", "/dispatch")
        if not next_path.startswith("/dispatch"):
            next_path = "/dispatch"
        if request.method == "GET":
            return render(request, "login.html", {"next": next_path, "error": ""})
        form = await request.form()
        email = normalise_email(_text(form, "email"))
        password = form.get("password")
        address = request.client.host if request.client else "unknown"
        refused = gettext_in(request, N_("The email or password is not right, or too many tries."))
        # NUL cannot be in a stored email or password, and PostgreSQL refuses it in a query.
        if isinstance(password, str) and "\x00" in email + password:
            password = None
        if not isinstance(password, str) or not email or self.throttle.blocked(email, address):
            self.throttle.failed(email, address)
            return render(
                request, "login.html", {"next": next_path, "error": refused}, status_code=401
            )

        def check() -> int | None:
            with Session(self.engine()) as session:
                user = authenticate(session, email, password)
                if user is None:
                    return None
                record(
                    session,
                    user.organisation_id,
                    user.email,
                    "login",
                    "dispatcher_user",
                    user.id,
                    None,
                    None,
                )
                session.commit()
                return user.id

        user_id = await run_in_threadpool(check)
        if user_id is None:
            self.throttle.failed(email, address)
            return render(
                request, "login.html", {"next": next_path, "error": refused}, status_code=401
            )
        self.throttle.succeeded(email)
        request.session.clear()
        request.session["uid"] = user_id
        return _back(next_path)

    async def logout(self, request: Request) -> Response:
        request.session.clear()
        return _back("/login")

    async def set_language(self, request: Request) -> Response:
        form = await request.form()
        language = parse_language(_text(form, "language"))
        target = _text(form, "next")
        response = _back(target if target.startswith(("/dispatch", "/simulator")) else "/dispatch")
        response.set_cookie(
            LANGUAGE_COOKIE,
            language.value,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=secure_cookies(),
        )
        return response

    # --- pages ------------------------------------------------------------------------------

    def home(self, request: Request, actor: Actor, session: Session, form: Any) -> Response:
        return _back(f"/dispatch/{today(actor.time_zone).isoformat()}")

    def board(self, request: Request, actor: Actor, session: Session, form: Any) -> Response:
        picked = request.query_params.get("date")
        if picked:
            return _back(f"/dispatch/{parse_day(picked).isoformat()}")
        day = parse_day(request.path_params["day"])
        view = build_day_board(session, actor.organisation_id, day, actor.time_zone)
        if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "texts":
            # htmx refreshing the texts while they are on their way: only that fragment.
            return render(request, "_texts.html", {"view": view}, actor=actor)
        return render(request, "board.html", {"view": view}, actor=actor)

    def plan(self, request: Request, actor: Actor, session: Session, form: Any) -> Response:
        day = parse_day(request.path_params["day"])
        view = build_plan_view(session, actor.organisation_id, day, actor.time_zone, None)
        running = request.session.get("runs", {}).get(day.isoformat())
        waiting = running is not None and newest_version(
            session, actor.organisation_id, day
        ) <= int(running)
        return render(
            request,
            "plan.html",
            {
                "view": view,
                "waiting": waiting,
                "tile_url": get_dispatch_settings().tile_url or "",
                "tile_attribution": get_dispatch_settings().tile_attribution,
            },
            actor=actor,
        )

    def plan_by_id(self, request: Request, actor: Actor, session: Session, form: Any) -> Response:
        plan = owned(session, Plan, path_id(request, "plan_id"), actor)
        view = build_plan_view(
            session, actor.organisation_id, plan.service_date, actor.time_zone, plan
        )
        return render(
            request,
            "plan.html",
            {"view": view, "waiting": False, "tile_url": get_dispatch_settings().tile_url or ""},
            actor=actor,
        )

    def run(self, request: Request, actor: Actor, session: Session, form: Any) -> Response:
        day = parse_day(request.path_params["day"])
        version = newest_version(session, actor.organisation_id, day)
        record(
            session,
            actor.organisation_id,
            actor.email,
            "run_scheduler",
            "plan",
            None,
            {"newest_version": version},
            {"queued_for": day.isoformat()},
        )
        runs = dict(request.session.get("runs", {}))
        runs[day.isoformat()] = version
        request.session["runs"] = runs
        session.commit()  # the audit row first: the job may finish before this handler returns
        plan_day.send(actor.organisation_id, day.isoformat())
        return _back(f"/dispatch/{day.isoformat()}/plan")

    def progress(self, request: Request, actor: Actor, session: Session, form: Any) -> Response:
        day = parse_day(request.path_params["day"])
        running = request.session.get("runs", {}).get(day.isoformat())
        newest = newest_version(session, actor.organisation_id, day)
        done = running is None or newest > int(running)
        if done:
            runs = dict(request.session.get("runs", {}))
            runs.pop(day.isoformat(), None)
            request.session["runs"] = runs
            return Response(
                status_code=200, headers={"HX-Redirect": f"/dispatch/{day.isoformat()}/plan"}
            )
        return render(request, "_progress.html", {"day": day}, actor=actor)

    def publish(self, request: Request, actor: Actor, session: Session, form: Any) -> Response:
        day = parse_day(request.path_params["day"])
        try:
            publish_latest_draft(session, actor.organisation_id, day, actor.email)
        except (NotFound, Conflict) as exc:
            raise PageError(409, gettext("There is no new draft to publish.")) from exc
        return _back(f"/dispatch/{day.isoformat()}")

    def request_page(self, request: Request, actor: Actor, session: Session, form: Any) -> Response:
        ride = owned(session, RideRequest, path_id(request, "request_id"), actor)
        detail = actions.request_detail(session, ride, actor.time_zone)
        return render(request, "request.html", {"detail": detail}, actor=actor)

    def driver_page(self, request: Request, actor: Actor, session: Session, form: Any) -> Response:
        driver = owned(session, Driver, path_id(request, "driver_id"), actor)
        return render(request, "driver.html", {"driver": driver}, actor=actor)

    def outcome(self, request: Request, actor: Actor, session: Session, form: Any) -> Response:
        ride = owned(session, RideRequest, path_id(request, "request_id"), actor)
        try:
            actions.set_outcome(
                session, ride, _text(form, "outcome"), _text(form, "reason"), actor.email
            )
        except ValidationFailed as exc:
            raise PageError(400, str(exc)) from exc
        return _back(_text(form, "next") or f"/dispatch/requests/{ride.id}")

    def lock(self, request: Request, actor: Actor, session: Session, form: Any) -> Response:
        ride = owned(session, RideRequest, path_id(request, "request_id"), actor)
        driver_id = _int(form, "driver_id")
        if driver_id is not None:
            owned(session, Driver, driver_id, actor)
        try:
            actions.set_lock(session, ride, driver_id, _text(form, "hold") == "1", actor.email)
        except ValidationFailed as exc:
            raise PageError(400, str(exc)) from exc
        return _back(_text(form, "next") or f"/dispatch/requests/{ride.id}")

    def move(self, request: Request, actor: Actor, session: Session, form: Any) -> Response:
        ride = owned(session, RideRequest, path_id(request, "request_id"), actor)
        driver_id = None if _text(form, "out") == "1" else _int(form, "driver_id")
        if driver_id is None and _text(form, "out") != "1":
            raise PageError(400, gettext("Choose a driver, or take the ride out of the plan."))
        if driver_id is not None:
            owned(session, Driver, driver_id, actor)
        try:
            move_ride(session, actor.organisation_id, ride, driver_id, actor.email, actor.time_zone)
        except MoveRefused as refused:
            session.rollback()
            detail = actions.request_detail(session, ride, actor.time_zone)
            return render(
                request,
                "request.html",
                {"detail": detail, "refused": refused.reasons},
                actor=actor,
                status_code=409,
            )
        return _back(_text(form, "next") or f"/dispatch/{ride.service_date.isoformat()}/plan")

    def freeze(self, request: Request, actor: Actor, session: Session, form: Any) -> Response:
        route = session.get(RouteRow, path_id(request, "route_id"))
        plan = session.get(Plan, route.plan_id) if route is not None else None
        if route is None or plan is None or plan.organisation_id != actor.organisation_id:
            raise PageError(404, gettext("There is no such page."))
        try:
            actions.set_frozen(
                session, actor.organisation_id, route, _text(form, "frozen") == "1", actor.email
            )
        except ValidationFailed as exc:
            raise PageError(409, str(exc)) from exc
        return _back(f"/dispatch/plans/{plan.id}")

    def users(self, request: Request, actor: Actor, session: Session, form: Any) -> Response:
        error = ""
        status = 200
        if request.method == "POST":
            org = session.get(Organisation, actor.organisation_id)
            assert org is not None
            try:
                role = Role(_text(form, "role"))
            except ValueError:
                role = None
            try:
                if role is None:
                    raise ValidationFailed(N_("Choose a role."))
                create_user(
                    session, org, _text(form, "email"), role, _raw(form, "password"), actor.email
                )
            except (ValidationFailed, Conflict) as exc:
                session.rollback()
                error, status = gettext(str(exc)), 400
            else:
                return _back("/dispatch/users")
        accounts = list_users(session, actor.organisation_id)
        return render(
            request,
            "users.html",
            {"accounts": accounts, "roles": list(Role), "error": error},
            actor=actor,
            status_code=status,
        )

    def disable(self, request: Request, actor: Actor, session: Session, form: Any) -> Response:
        user = session.get(DispatcherUser, path_id(request, "user_id"))
        if user is None or user.organisation_id != actor.organisation_id:
            raise PageError(404, gettext("There is no such page."))
        if user.id == actor.user_id:
            raise PageError(409, gettext("You cannot disable your own account."))
        disable_user(session, user.email, actor.email)
        return _back("/dispatch/users")

    def new_ride(self, request: Request, actor: Actor, session: Session, form: Any) -> Response:
        day = parse_day(request.path_params["day"])
        values = {k: v for k, v in (form or {}).items() if isinstance(v, str)}
        errors: list[str] = []
        if request.method == "POST":
            try:
                ride = book_ride(
                    session, actor.organisation_id, day, values, actor.time_zone, actor.email
                )
            except ApiError as exc:
                session.rollback()
                errors = problems(exc)
            else:
                return _back(f"/dispatch/requests/{ride.id}")
        choices = new_ride_form(session, actor.organisation_id)
        return render(
            request,
            "new_ride.html",
            {"day": day, "choices": choices, "values": values, "errors": errors},
            actor=actor,
            status_code=400 if errors else 200,
        )

    def unlock(self, request: Request, actor: Actor, session: Session, form: Any) -> Response:
        ride = owned(session, RideRequest, path_id(request, "request_id"), actor)
        actions.remove_lock(session, ride, actor.email)
        return _back(_text(form, "next") or f"/dispatch/requests/{ride.id}")

    def audit(self, request: Request, actor: Actor, session: Session, form: Any) -> Response:
        params = request.query_params
        if any("\x00" in value for value in params.values()):
            raise PageError(400, gettext("There is no such page."))
        day = None
        if params.get("date"):
            day = _calendar_day(params["date"])
            if day is None:
                raise PageError(400, gettext("Give the date as YYYY-MM-DD."))
        wanted = AuditFilter(
            day=day, actor=params.get("user") or None, action=params.get("kind") or None
        )
        events = list_events(session, actor.organisation_id, actor.time_zone, wanted)
        users, kinds = actors_and_actions(session, actor.organisation_id)
        rows = actions.audit_rows(events, actor.time_zone)
        return render(
            request,
            "audit.html",
            {
                "rows": rows,
                "wanted": wanted,
                "users": users,
                "kinds": [(kind, actions.action_label(kind)) for kind in kinds],
            },
            actor=actor,
        )

    # --- routing ----------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        """Every dispatcher route, each with the roles allowed to use it."""
        read = guarded(self.engine, ALL_ROLES, self.error_page)
        write = guarded(self.engine, WRITE_ROLES, self.error_page)
        admin = guarded(self.engine, frozenset({Role.ADMIN}), self.error_page)
        page: Callable[..., Route] = Route
        return [
            Route("/login", self.login, methods=["GET", "POST"]),
            Route("/logout", self.logout, methods=["POST"]),
            Mount("/dispatch/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
            page("/dispatch", read(self.home)),
            Route("/dispatch/language", self.set_language, methods=["POST"]),
            page("/dispatch/audit", read(self.audit)),
            page("/dispatch/users", admin(self.users), methods=["GET", "POST"]),
            page("/dispatch/users/{user_id:int}/disable", admin(self.disable), methods=["POST"]),
            page("/dispatch/plans/{plan_id:int}", read(self.plan_by_id)),
            page("/dispatch/requests/{request_id:int}", read(self.request_page)),
            page(
                "/dispatch/requests/{request_id:int}/outcome", write(self.outcome), methods=["POST"]
            ),
            page("/dispatch/requests/{request_id:int}/lock", write(self.lock), methods=["POST"]),
            page(
                "/dispatch/requests/{request_id:int}/unlock", write(self.unlock), methods=["POST"]
            ),
            page("/dispatch/requests/{request_id:int}/move", write(self.move), methods=["POST"]),
            page("/dispatch/routes/{route_id:int}/freeze", write(self.freeze), methods=["POST"]),
            page("/dispatch/drivers/{driver_id:int}", read(self.driver_page)),
            page("/dispatch/{day}", read(self.board)),
            page("/dispatch/{day}/plan", read(self.plan)),
            page("/dispatch/{day}/plan/progress", read(self.progress)),
            page("/dispatch/{day}/plan/run", write(self.run), methods=["POST"]),
            page("/dispatch/{day}/rides/new", write(self.new_ride), methods=["GET", "POST"]),
            page("/dispatch/{day}/plan/publish", write(self.publish), methods=["POST"]),
        ]


def gettext_in(request: Request, message: str) -> str:
    """``message`` in the language of a request that has no signed-in account yet."""
    with using(request_language(request)):
        return gettext(message)
