"""The shared ride-request vocabulary: reference codes and the named status sets."""

from __future__ import annotations

import random

from shared.models import RequestStatus
from shared.ride_requests import (
    CHANGEABLE_STATUSES,
    PLANNABLE_STATUSES,
    REFERENCE_ALPHABET,
    REFERENCE_LENGTH,
    UNCONFIRMED_STATUSES,
    reference_code,
)


def test_a_reference_code_is_six_characters_that_cannot_be_misread() -> None:
    """No 0/O or 1/I, six characters, and a seeded generator repeats its codes."""
    code = reference_code(random.Random(3))
    assert len(code) == REFERENCE_LENGTH == 6
    assert set(code) <= set(REFERENCE_ALPHABET)
    assert not set("01IO") & set(REFERENCE_ALPHABET)
    assert reference_code(random.Random(3)) == code


def test_the_planner_takes_every_changeable_request_and_the_unmet_ones() -> None:
    """Unmet requests stay plannable (a re-plan may find room); finished ones never are."""
    assert CHANGEABLE_STATUSES | {RequestStatus.UNMET} == PLANNABLE_STATUSES
    finished = {RequestStatus.COMPLETED, RequestStatus.CANCELLED, RequestStatus.NO_SHOW}
    assert not finished & PLANNABLE_STATUSES
    assert RequestStatus.IN_PROGRESS not in PLANNABLE_STATUSES


def test_publishing_leaves_confirmed_requests_alone() -> None:
    """A plan's publication moves only requests the rider has not confirmed yet."""
    assert RequestStatus.CONFIRMED not in UNCONFIRMED_STATUSES
    assert {
        RequestStatus.REQUESTED,
        RequestStatus.SCHEDULED,
        RequestStatus.UNMET,
    } == UNCONFIRMED_STATUSES
