"""Segment counting matches what carriers bill: GSM-7 vs UCS-2, single vs concatenated."""

from __future__ import annotations

import pytest

from shared.segments import (
    GSM7_EXTENSION,
    encoding,
    segment_count,
    split_segments,
    units_used,
)


def test_plain_ascii_is_gsm7() -> None:
    """Ordinary English text with punctuation needs no UCS-2."""
    assert encoding("Pick-up 9:30-9:45am at 12 Main St. Reply here (any time)!") == "GSM-7"


def test_gsm7_accented_letters_and_extension_characters_stay_gsm7() -> None:
    """é, ñ, Ä are in the default alphabet; € [ ] { } are in the extension table."""
    assert encoding("Café Ñoño Äpfel €5 [x] {y} ~ ^ | \\") == "GSM-7"


@pytest.mark.parametrize("char", ["陳", "á", "ç", "\u2019", "\u2013", "😀", "\t"])
def test_one_character_outside_gsm7_makes_the_whole_text_ucs2(char: str) -> None:
    """á, ç, curly quotes, en dash, emoji and tab are not GSM-7 (Ç and é are, á is not)."""
    assert encoding("Hello " + char) == "UCS-2"


def test_empty_text_is_one_segment() -> None:
    """An empty body still occupies one SMS if sent."""
    assert segment_count("") == 1
    assert split_segments("") == [""]


@pytest.mark.parametrize(
    ("length", "expected"),
    [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_gsm7_boundaries_are_160_single_and_153_per_part(length: int, expected: int) -> None:
    """160 fits one SMS; from 161 each part carries 153 septets."""
    assert segment_count("a" * length) == expected


@pytest.mark.parametrize(
    ("length", "expected"),
    [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)],
)
def test_ucs2_boundaries_are_70_single_and_67_per_part(length: int, expected: int) -> None:
    """Chinese text: 70 characters fit one SMS; from 71 each part carries 67."""
    assert segment_count("車" * length) == expected


def test_extension_characters_count_two_septets() -> None:
    """80 euro signs are 160 septets (one SMS); 81 are 162 (two)."""
    assert units_used("€" * 80) == 160
    assert segment_count("€" * 80) == 1
    assert segment_count("€" * 81) == 2


def test_every_extension_character_costs_two_septets() -> None:
    """The whole extension table, not just the euro sign, is escaped."""
    for char in GSM7_EXTENSION:
        assert units_used(char) == 2, repr(char)


def test_extension_character_is_not_split_across_parts() -> None:
    """152 letters then '€': the escape pair cannot straddle parts, so € opens part two."""
    text = "a" * 152 + "€" + "b" * 10
    parts = split_segments(text)
    assert parts == ["a" * 152, "€" + "b" * 10]


def test_extension_character_pushed_to_next_part_can_add_a_segment() -> None:
    """Two full parts of 153 septets exactly, versus the same length with a misaligned €.

    306 septets fit two parts only when no escape pair lands on the boundary.
    """
    assert segment_count("a" * 151 + "€" + "a" * 153) == 2  # € ends part one exactly
    assert segment_count("a" * 152 + "€" + "a" * 152) == 3  # € pushed into part two


def test_emoji_counts_two_code_units() -> None:
    """35 emoji are 70 UTF-16 code units (one SMS); 36 are 72 (two)."""
    assert units_used("😀" * 35) == 70
    assert segment_count("😀" * 35) == 1
    assert segment_count("😀" * 36) == 2


def test_surrogate_pair_is_not_split_across_parts() -> None:
    """66 Chinese characters then an emoji: the emoji cannot start at unit 67, so it moves."""
    text = "車" * 66 + "😀" + "車" * 5
    parts = split_segments(text)
    assert parts == ["車" * 66, "😀" + "車" * 5]
    assert segment_count("車" * 65 + "😀" + "車" * 67) == 2  # pair ends part one exactly


def test_mixed_english_and_one_chinese_name_uses_ucs2_limits() -> None:
    """A single Chinese name turns a 100-character English text into 2 UCS-2 segments."""
    text = "Your driver 陳 will arrive at 9:30. " + "x" * 65
    assert len(text) == 100
    assert encoding(text) == "UCS-2"
    assert segment_count(text) == 2


def test_parts_join_back_to_the_original_text() -> None:
    """Splitting never drops or reorders characters."""
    text = "提提你\uff1a明天上午9:30接你往診所。😀 " * 12
    assert "".join(split_segments(text)) == text
    assert segment_count(text) == len(split_segments(text))
