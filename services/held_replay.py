"""The web app's watch on the database: it notices an outage ending and replays what was kept.

Every ``HELD_REPLAY_INTERVAL_SECONDS`` a thread in each web process asks the database a trivial
query, remembers the answer (``/healthz`` reports it without touching the database) and, when
the database answers, hands webhooks kept during the outage (``shared.held``) back to the same
code the webhooks run: inbound texts through ``receive`` with the reply sent as a text (the
rider already had the short "we got your message"), status callbacks through
``record_callback``. A text is stored once: a second replay of the same MessageSid finds it
stored and changes nothing. Nothing here needs a restart: SQLAlchemy drops the connections the
outage broke and opens new ones.
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from notifier.status import record_callback
from services.booking.sms._limits import RateLimit
from services.booking.sms._receive import receive
from services.booking.sms.webhook import BadInbound, parse_inbound
from shared import held, metrics
from shared.db import DATABASE_AWAY, database_problem, get_engine
from shared.held import DatabaseAway, HeldWebhook
from shared.models import utcnow
from shared.phones import mask
from shared.settings import get_settings

log = logging.getLogger(__name__)


def handle(engine: Engine, webhook: HeldWebhook) -> None:
    """Process one kept webhook; ``DatabaseAway`` when the database went away again."""
    try:
        if webhook.kind == "status":
            record_callback(engine, webhook.params)
            return
        try:
            sms = parse_inbound(webhook.params)
        except BadInbound as exc:  # checked before it was kept; only a changed rule gets here
            raise ValueError(str(exc)) from exc
        outcome = receive(
            engine,
            sms,
            now=webhook.received_at,
            limit=RateLimit.from_settings(),
            rng=random.SystemRandom,
            reply_by_text=True,
        )
    except DATABASE_AWAY as exc:
        raise DatabaseAway(str(type(exc).__name__)) from exc
    if outcome is None:
        log.warning("held SMS to %s dropped: no organisation uses that number", mask(sms.to_number))
        return
    metrics.inbound_text("handled_later")
    log.info(
        "held SMS %s from %s handled%s",
        sms.sid,
        mask(sms.from_number),
        " (already stored)" if outcome.replayed else "",
    )


@dataclass
class DatabaseWatch:
    """What the last check found: None while the database answers, else why not."""

    problem: str | None = "not checked yet"
    checked_at: datetime | None = None
    held: int | None = 0


class Replayer:
    """The thread that checks the database and replays kept webhooks, in one web process."""

    def __init__(self, engine: Engine | None = None, interval: float | None = None) -> None:
        self._engine = engine
        self.interval = interval or get_settings().app.held_replay_interval_seconds
        self.watch = DatabaseWatch()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """Check the database and replay what waits for it; how many webhooks were handled."""
        engine = self._engine or get_engine()
        problem = database_problem(engine)
        done = 0
        if problem is None:
            try:
                done = held.replay(lambda webhook: handle(engine, webhook))
            except DatabaseAway as exc:
                problem = f"unreachable ({exc})"
        self.watch = DatabaseWatch(problem, utcnow(), held.held_count())
        if done:
            log.info("replayed %d webhook(s) kept while the database was away", done)
        return done

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("checking the database and replaying held webhooks failed")
            self._stop.wait(self.interval)

    def start(self) -> None:
        """Run the checks on a daemon thread until ``stop``."""
        self._thread = threading.Thread(target=self._loop, name="held-replay", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread after its current round."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
