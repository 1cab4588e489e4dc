"""``rides user create|list|disable`` and ``rides publish``."""

from __future__ import annotations

from sqlmodel import Session, select
from typer.testing import CliRunner

from services.cli import app
from services.cli import commands as _commands  # noqa: F401  (registers the commands)
from shared.models import AuditEvent, DispatcherUser, Plan, PlanState, Role
from tests.dispatch.conftest import DAY, Scenario, login, make_client

runner = CliRunner()
SLUG = "toronto-newcomer-rides"


def _create(email: str, role: str, password: str = "a-long-enough-password\n") -> str:
    result = runner.invoke(
        app,
        [
            "user",
            "create",
            "--organisation",
            SLUG,
            "--email",
            email,
            "--role",
            role,
            "--password-stdin",
        ],
        input=password,
    )
    return f"{result.exit_code}:{result.output}"


def test_a_user_created_from_stdin_can_log_in(scenario: Scenario) -> None:
    assert _create("New.Admin@Example.org", "admin").startswith("0:")
    with Session(scenario.engine) as session:
        user = session.exec(
            select(DispatcherUser).where(DispatcherUser.email == "new.admin@example.org")
        ).one()
        assert user.role == Role.ADMIN
        assert user.password_hash.startswith("$argon2id$")
        assert "a-long-enough-password" not in user.password_hash
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "create_user")).all()
    assert (
        login(make_client(scenario.engine), "new.admin@example.org", "a-long-enough-password")
        == 303
    )


def test_a_user_is_created_from_a_prompt_with_confirmation(scenario: Scenario) -> None:
    result = runner.invoke(
        app,
        ["user", "create", "--organisation", SLUG, "--email", "p@example.org", "--role", "viewer"],
        input="a-long-enough-password\na-long-enough-password\n",
    )
    assert result.exit_code == 0, result.output
    assert "a-long-enough-password" not in result.output


def test_bad_input_gets_a_clear_error(scenario: Scenario) -> None:
    short = _create("short@example.org", "viewer", "short\n")
    assert short.startswith("1:") and "too short" in short
    duplicate = _create("dispatcher@example.org", "viewer")
    assert duplicate.startswith("1:") and "already an account" in duplicate
    not_email = _create("not-an-email", "viewer")
    assert not_email.startswith("1:") and "not an email" in not_email
    bad_role = _create("x@example.org", "boss")
    assert bad_role.startswith("2:")
    result = runner.invoke(
        app,
        [
            "user",
            "create",
            "--organisation",
            "nowhere",
            "--email",
            "n@example.org",
            "--role",
            "viewer",
            "--password-stdin",
        ],
        input="a-long-enough-password\n",
    )
    assert result.exit_code == 1 and "no organisation 'nowhere'" in result.output


def test_users_are_listed_and_disabled(scenario: Scenario) -> None:
    listed = runner.invoke(app, ["user", "list"])
    assert listed.exit_code == 0
    assert "viewer@example.org" in listed.output and "calgary-rides" in listed.output
    disabled = runner.invoke(app, ["user", "disable", "viewer@example.org"])
    assert disabled.exit_code == 0, disabled.output
    assert login(make_client(scenario.engine), "viewer@example.org") == 401
    missing = runner.invoke(app, ["user", "disable", "ghost@example.org"])
    assert missing.exit_code == 1 and "no account" in missing.output


def test_rides_publish_publishes_the_newest_draft(scenario: Scenario) -> None:
    result = runner.invoke(app, ["publish", "--date", DAY.isoformat(), "--organisation", SLUG])
    assert result.exit_code == 0, result.output
    with Session(scenario.engine) as session:
        plan = session.get(Plan, scenario.plan_id)
        assert plan is not None and plan.state == PlanState.PUBLISHED
    again = runner.invoke(app, ["publish", "--date", DAY.isoformat(), "--organisation", SLUG])
    assert again.exit_code == 1 and "no draft plan" in again.output
