"""The place matcher finds catalogue places however riders spell them."""

from __future__ import annotations

import pytest

from services.booking.conversation.places import PlaceEntry, find_place, narrow, suggest_places
from tests.booking.scenarios import PLACES


@pytest.mark.parametrize(
    ("text", "place_id"),
    [
        ("T&T", "tnt-downsview"),
        ("T and T", "tnt-downsview"),
        ("t & t", "tnt-downsview"),
        ("tnt", "tnt-downsview"),
        ("TNT please", "tnt-downsview"),
        ("T&T Supermarket", "tnt-downsview"),
        ("大統華", "tnt-downsview"),
        ("大统华", "tnt-downsview"),
        ("去大統華買餸", "tnt-downsview"),
        ("grocery at T&T tomorrow 10am, back by 1", "tnt-downsview"),
        ("no frills dundas", "nofrills-dundas"),
        ("hong fook", "hongfook"),
        ("hongfook", "hongfook"),
        ("hong fok clinic", "hongfook"),
        ("康福", "hongfook"),
        ("ircc", "ircc"),
        ("移民局", "ircc"),
        ("immigration office", "ircc"),
        ("法律援助", "csalc"),
    ],
)
def test_spellings_match_the_catalogue_entry(text: str, place_id: str) -> None:
    """Names, Chinese names, aliases and near-misses all find the entry."""
    match = find_place(text, PLACES)
    assert match.found is not None, match
    assert match.found.id == place_id


@pytest.mark.parametrize("text", ["nofrills", "no frills", "No Frills", "no frils"])
def test_a_chain_with_two_branches_is_ambiguous(text: str) -> None:
    """Both No Frills branches match equally, so the conversation will ask which one."""
    match = find_place(text, PLACES)
    assert {place.id for place in match.places} == {"nofrills-dundas", "nofrills-bathurst"}
    assert match.found is None


@pytest.mark.parametrize(
    "text", ["no, saturday", "tomorrow 10am", "costco", "", "yes", "no", "😀", "好市多"]
)
def test_words_that_are_not_places_match_nothing(text: str) -> None:
    """Short words like "no" must never match "No Frills"."""
    assert find_place(text, PLACES).places == ()


def test_an_empty_catalogue_matches_nothing() -> None:
    """No catalogue, no match, no error."""
    assert find_place("T&T", []).places == ()


def test_suggestions_prefer_similar_names_and_fill_up_from_the_catalogue() -> None:
    """A near miss suggests its entry first; otherwise the first catalogue entries are offered."""
    assert suggest_places("T&T supermarkt", PLACES)[0].id == "tnt-downsview"
    assert len(suggest_places("zzzz", PLACES)) == 3
    assert suggest_places("zzzz", []) == []


def test_the_first_place_mentioned_wins_by_score_not_position() -> None:
    """An exact name beats a fuzzy near-miss elsewhere in the text."""
    extra = (*PLACES, PlaceEntry("nf-x", "grocery", "Nofrils Express", "超市"))
    match = find_place("nofrills", extra)
    assert "nf-x" not in {place.id for place in match.places}


@pytest.mark.parametrize(
    ("text", "place_id"),
    [
        ("No Frills on Dundas", "nofrills-dundas"),
        ("the no frills at bathurst", "nofrills-bathurst"),
        ("no frills bathrust", "nofrills-bathurst"),
        ("No Frills 巴富士街", "nofrills-bathurst"),
    ],
)
def test_a_branch_named_in_passing_is_picked(text: str, place_id: str) -> None:
    """A word only one branch has ("Dundas") decides between equally good chain matches."""
    match = find_place(text, PLACES)
    assert match.found is not None, match
    assert match.found.id == place_id


def test_narrowing_needs_exactly_one_branch_singled_out() -> None:
    """Naming both branches, or neither, leaves the choice to the rider."""
    branches = [place for place in PLACES if place.id.startswith("nofrills")]
    assert narrow("dundas or bathurst", branches) is None
    assert narrow("no frills", branches) is None
    assert narrow("巴富士", branches) == branches[1]
