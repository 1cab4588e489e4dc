"""The sample network is deterministic, realistic in shape, and stored once."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from shared.errors import Conflict, ValidationFailed
from shared.models import Driver, Language, Rider, RideRequest
from shared.sample import SampleSize, generate_network, seed_sample

DAY = date(2026, 12, 3)


def test_the_same_seed_gives_the_same_network() -> None:
    one, two = generate_network(DAY), generate_network(DAY)
    assert [d.name for d in one.drivers] == [d.name for d in two.drivers]
    assert [(r.rider_index, r.request.reference_code) for r in one.requests] == [
        (r.rider_index, r.request.reference_code) for r in two.requests
    ]


def test_the_toronto_network_has_the_expected_mix() -> None:
    net = generate_network(DAY)
    assert len(net.drivers) == 12 and len(net.riders) == 40 and len(net.places) == 15
    assert any(d.wheelchair_spaces > 0 for d in net.drivers)
    assert any("yue" in d.spoken for d in net.drivers)
    chinese = sum(r.preferred_language == Language.ZH_HANT for r in net.riders)
    assert chinese > len(net.riders) / 2
    assert any(r.wheelchair for r in net.riders)
    assert len({r.phone for r in net.riders}) == len(net.riders)


def test_a_large_synthetic_day_has_unique_phones_and_codes() -> None:
    net = generate_network(DAY, SampleSize(drivers=150, riders=600, requests=1000), seed=7)
    assert len({d.phone for d in net.drivers}) == 150
    assert len({r.phone for r in net.riders}) == 600
    assert len({r.request.reference_code for r in net.requests}) == 1000


def test_seeding_stores_every_row_with_its_links(session: Session) -> None:
    seed_sample(session, "toronto", DAY)
    session.commit()
    requests = session.exec(select(RideRequest)).all()
    assert len(requests) == 30
    rider_ids = {r.id for r in session.exec(select(Rider)).all()}
    assert all(r.rider_id in rider_ids and r.to_place_id is not None for r in requests)
    assert len(session.exec(select(Driver)).all()) == 12


def test_seeding_twice_is_refused_and_changes_nothing(session: Session) -> None:
    seed_sample(session, "toronto", DAY)
    session.commit()
    with pytest.raises(Conflict, match="already seeded"):
        seed_sample(session, "toronto", DAY)
    session.rollback()
    assert len(session.exec(select(Rider)).all()) == 40


def test_an_unknown_sample_is_named_in_the_error(session: Session) -> None:
    with pytest.raises(ValidationFailed, match="choose one of: toronto"):
        seed_sample(session, "atlantis", DAY)
