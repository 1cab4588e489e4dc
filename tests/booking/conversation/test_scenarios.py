"""Every scripted conversation in ``scenarios.py`` plays through ``handle`` as written."""

from __future__ import annotations

import pytest

from tests.booking.conversation.harness import run_scenario
from tests.booking.scenarios import SCENARIOS, Scenario, scenario_phone


def test_there_are_at_least_thirty_scenarios_with_unique_names() -> None:
    """The brief asks for 30+ conversations; unique names keep test ids readable."""
    names = [scenario.name for scenario in SCENARIOS]
    assert len(names) >= 30
    assert len(set(names)) == len(names)


def test_unregistered_scenarios_get_distinct_phone_numbers() -> None:
    """A replay through the webhook must not mix two new numbers' conversations."""
    phones = [scenario_phone(s) for s in SCENARIOS if s.rider is None]
    assert len(set(phones)) == len(phones)
    assert all(phone.startswith("+1") and len(phone) == 12 for phone in phones)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scripted_conversation_plays_as_written(scenario: Scenario) -> None:
    """Each reply contains its fragments, stays within two SMS, and the actions match."""
    run_scenario(scenario)
