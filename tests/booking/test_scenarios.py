"""Every scripted conversation in ``scenarios.py`` plays through ``handle`` as written."""

from __future__ import annotations

import pytest

from tests.booking.harness import run_scenario
from tests.booking.scenarios import SCENARIOS, Scenario


def test_there_are_at_least_thirty_scenarios_with_unique_names() -> None:
    """The brief asks for 30+ conversations; unique names keep test ids readable."""
    names = [scenario.name for scenario in SCENARIOS]
    assert len(names) >= 30
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scripted_conversation_plays_as_written(scenario: Scenario) -> None:
    """Each reply contains its fragments, stays within two SMS, and the actions match."""
    run_scenario(scenario)
