"""``rides demo``: the whole product in one command, on embedded defaults.

It uses its own SQLite file (``data/demo.sqlite3``, fresh each run unless ``--keep``), its own
Twilio auth token (so the webhook really checks signatures), the console SMS sender and the
in-process queue; it serves the web app on loopback in a background thread, runs the scripted
day (``services.demo.day``) against it, and then keeps serving the dispatcher pages and the SMS
simulator until Ctrl-C.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from sqlmodel import select

from scheduler.solver import warm_up
from services.cli import app
from services.cli._database import parse_day, run_migrations
from services.cli._output import console, friendly_errors
from services.demo.day import DEMO_ACTOR, DemoDay
from shared.db import dispose_engines, get_engine, session_scope
from shared.errors import ConfigurationError
from shared.models import DispatcherUser, Organisation, Role
from shared.queue import build_broker, use_broker
from shared.sample import SampleSize, seed_sample
from shared.settings import get_settings, reset_settings
from shared.users import create_user, hash_password

DEMO_EMAIL = "demo@example.org"
DEMO_DATABASE = Path("data/demo.sqlite3")
HOST = "127.0.0.1"


def _say(line: str) -> None:
    console.print(line, markup=False, highlight=False)


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def demo_environment(database: Path, port: int, auth_token: str) -> dict[str, str]:
    """The settings the demo runs with: embedded defaults, signatures checked, texts at once."""
    return {
        "DATABASE_URL": f"sqlite:///{database}",
        "PUBLIC_BASE_URL": f"http://{HOST}:{port}",
        "TWILIO_AUTH_TOKEN": auth_token,
        "SMS_BACKEND": "console",
        "SMS_DEV_ALLOW_UNSIGNED": "false",
        "SMS_QUIET_HOURS": "false",
        "SMS_RATE_PER_SECOND": "50",
        "DEMO_MODE": "true",
        "ENVIRONMENT": "development",
        # Re-plans that bookings queue in the background stay short on a small machine.
        "SCHEDULER_TIME_LIMIT_SECONDS": "5",
    }


class BackgroundServer:
    """The web app under uvicorn in a thread of this process (with its in-process worker)."""

    def __init__(self, port: int) -> None:
        from services.web import create_app

        config = uvicorn.Config(create_app(), host=HOST, port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="demo-web", daemon=True)

    def start(self, timeout: float = 30.0) -> None:
        """Start serving; return once the app accepts requests."""
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise ConfigurationError(
                    f"the demo web server did not start on port {self.server.config.port}; "
                    "is it free? (--port 0 takes any free port)"
                )
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop serving (the lifespan stops the worker) and wait for the thread."""
        self.server.should_exit = True
        self.thread.join(timeout=30)
        if self.thread.is_alive():
            logging.getLogger(__name__).warning("the demo web server is still stopping")


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def wait_for_interrupt(server: BackgroundServer) -> None:
    """Serve until Ctrl-C or SIGTERM (even when started with SIGINT ignored, as from a
    script's background job)."""
    before = signal.signal(signal.SIGINT, _interrupt), signal.signal(signal.SIGTERM, _interrupt)
    try:
        while server.thread.is_alive():
            server.thread.join(timeout=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, before[0])
        signal.signal(signal.SIGTERM, before[1])


def _prepare(database: Path, keep: bool) -> tuple[int, str]:
    """Migrate and seed (fresh unless ``keep``); the organisation id and the demo password."""
    if database.exists() and not keep:
        database.unlink()
    database.parent.mkdir(parents=True, exist_ok=True)
    run_migrations()
    password = secrets.token_urlsafe(12)
    with session_scope(get_engine()) as session:
        org = session.exec(
            select(Organisation).where(Organisation.slug == "toronto-newcomer-rides")
        ).first()
        if org is None:
            day = parse_day(None, "America/Toronto")
            _say(f"seeding the Toronto sample network (requests on {day} come by SMS)")
            # No requests of its own: the day's requests are the ones the demo books by SMS.
            org = seed_sample(session, "toronto", day, SampleSize(requests=0)).organisation
        user = session.exec(
            select(DispatcherUser).where(DispatcherUser.email == DEMO_EMAIL)
        ).first()
        if user is None:
            create_user(session, org, DEMO_EMAIL, Role.DISPATCHER, password, DEMO_ACTOR)
        else:
            user.password_hash = hash_password(password)
            session.add(user)
        assert org.id is not None
        return org.id, password


@app.command()
@friendly_errors
def demo(
    serve: bool = typer.Option(
        True, "--serve/--no-serve", help="Keep serving after the scripted day (until Ctrl-C)."
    ),
    keep: bool = typer.Option(False, "--keep", help="Keep the demo database of the last run."),
    port: int = typer.Option(8000, min=0, max=65535, help="Port to serve on (0: any free one)."),
    database: Annotated[Path, typer.Option(help="The demo's SQLite file.")] = DEMO_DATABASE,
    time_limit: float = typer.Option(5.0, min=1, help="Seconds for each planning run."),
) -> None:
    """Run the whole system on a scripted day: SMS bookings, plan, publish, a decline, re-plan.

    Then serve the dispatcher pages and the SMS simulator until Ctrl-C.
    """
    started = time.monotonic()
    port = port if serve and port else free_port()
    token = secrets.token_hex(16)
    os.environ.pop("REDIS_URL", None)
    os.environ.update(demo_environment(database.resolve(), port, token))
    reset_settings()
    dispose_engines()
    if logging.getLogger().level > logging.DEBUG:
        # Progress lines are the demo's output; the app's INFO lines would bury them
        # (`rides --verbose demo` shows them).
        logging.getLogger().setLevel(logging.WARNING)
    import services.worker  # noqa: F401  (declares every actor before the broker is bound)
    from notifier.actors import reset_runtime

    use_broker(build_broker(None))
    reset_runtime()
    settings = get_settings()
    _say(f"database: {settings.app.database_url} ({'kept' if keep else 'fresh'})")
    _say("queue: in-process; SMS: console (texts are shown here, nothing leaves the machine)")
    _say("loading the scheduler's compiled core (the first time after an install compiles it)")
    _say(f"scheduler core ready in {warm_up():.1f} s")
    org_id, password = _prepare(database.resolve(), keep)
    day = parse_day(None, "America/Toronto")
    server = BackgroundServer(port)
    server.start()
    base = settings.app.public_base_url
    _say(f"web app at {base} (webhook signatures checked with the demo's own auth token)")
    try:
        summary = DemoDay(org_id, day, base, token, _say).run(time_limit)
        _say(f"scripted day done in {time.monotonic() - started:.0f} s")
        if serve:
            _say(summary.line())
            _say("")
            _say(f"dispatcher pages: {base}/dispatch/{day.isoformat()}")
            _say(f"  log in as {DEMO_EMAIL}, password {password}")
            _say(f"SMS simulator:    {base}/simulator")
            _say("serving until Ctrl-C")
            wait_for_interrupt(server)
            _say("stopped")
        else:
            _say(summary.line())
    finally:
        server.stop()
        reset_runtime()
        dispose_engines()
