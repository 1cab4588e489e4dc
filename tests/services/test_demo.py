"""``rides demo --no-serve``: the scripted day end to end, checked in the database afterwards.

The demo runs in this process as a user would run it: its own SQLite file, its own web server on
a loopback port, texts through the signed webhook, the in-process queue and the console sender.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from services.cli import app
from services.cli import commands as _commands  # noqa: F401  (registers the commands)
from services.cli._demo import demo_environment
from shared.db import dispose_engines, make_engine
from shared.models import (
    ConsentState,
    DriverException,
    InboundMessage,
    InboundState,
    Message,
    MessageStatus,
    Plan,
    PlanState,
    RequestSource,
    RequestStatus,
    ReviewState,
    Rider,
    RideRequest,
)
from shared.settings import reset_settings

runner = CliRunner()
SUMMARY = re.compile(
    r"^demo: (\d+) requests booked by SMS, (\d+) of (\d+) legs planned, (\d+) unserved, "
    r"(\d+) drivers, (\d+) texts sent, (\d+) failed$"
)


def give_back_demo_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Unset what ``rides demo`` sets, and have the test's end restore it (``delenv`` alone
    records nothing for a variable that is not set, and would let the demo's settings leak)."""
    for name in [*demo_environment(tmp_path, 0, "x"), "REDIS_URL"]:
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


@pytest.fixture
def demo_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Record the environment the demo changes, so the test gives it back afterwards."""
    give_back_demo_environment(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)
    yield tmp_path / "demo.sqlite3"
    reset_settings()
    dispose_engines()


def test_demo_no_serve_books_plans_publishes_and_replans_a_day(demo_env: Path) -> None:
    result = runner.invoke(
        app, ["demo", "--no-serve", "--database", str(demo_env), "--time-limit", "3"]
    )
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    match = SUMMARY.match(last)
    assert match, last
    booked, planned, total, unserved, drivers, sent, failed = map(int, match.groups())
    assert booked >= 20
    assert planned / total >= 0.9 and unserved == total - planned
    assert drivers >= 2 and sent > booked and failed == 0
    assert "declines by SMS" in result.output

    engine = make_engine(f"sqlite:///{demo_env}")
    with Session(engine) as session:
        requests = session.exec(
            select(RideRequest).where(col(RideRequest.outbound_request_id).is_(None))
        ).all()
        by_sms = [r for r in requests if r.source == RequestSource.SMS]
        assert len([r for r in by_sms if r.status != RequestStatus.CANCELLED]) == booked
        assert any(r.status == RequestStatus.CANCELLED for r in by_sms), "the cancellation"
        # Every text was signed and accepted by the webhook: none refused, none left unhandled.
        inbound = session.exec(select(InboundMessage)).all()
        assert len(inbound) >= 60
        assert all(m.processing_state != InboundState.RECEIVED for m in inbound)
        assert session.exec(
            select(Rider).where(Rider.consent_state == ConsentState.OPTED_OUT)
        ).first(), "the opt-out"
        assert session.exec(
            select(Rider).where(Rider.review_state == ReviewState.PENDING)
        ).first(), "the new number that signed up"
        # Two published versions: the second without the driver who declined.
        plans = session.exec(select(Plan).order_by(col(Plan.version))).all()
        assert [p.state for p in plans][-2:] == [PlanState.SUPERSEDED, PlanState.PUBLISHED]
        assert session.exec(select(DriverException)).one().available is False
        changed = session.exec(select(Message).where(Message.template == "booking_changed")).all()
        assert changed, "riders who moved are told"
        assert all(m.status == MessageStatus.SENT for m in session.exec(select(Message)))
    engine.dispose()


def test_demo_keep_reuses_the_database(demo_env: Path) -> None:
    demo_env.write_bytes(b"")  # not a database: a fresh run replaces it ...
    first = runner.invoke(
        app, ["demo", "--no-serve", "--database", str(demo_env), "--time-limit", "2"]
    )
    assert first.exit_code == 0, first.output
    assert "seeding the Toronto sample network" in first.output
    # ... and --keep keeps what the last run stored (the network is not seeded again).
    again = runner.invoke(
        app, ["demo", "--no-serve", "--keep", "--database", str(demo_env), "--time-limit", "2"]
    )
    assert again.exit_code == 0, again.output
    assert "seeding" not in again.output
    assert SUMMARY.match(again.output.strip().splitlines()[-1])
