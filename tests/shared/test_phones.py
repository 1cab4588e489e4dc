"""Phone numbers are stored in E.164 and masked in logs."""

from __future__ import annotations

import pytest

from shared.errors import InvalidPhoneNumber
from shared.phones import mask, to_e164


@pytest.mark.parametrize(
    "typed", ["416-555-0123", "(416) 555 0123", "+1 416 555 0123", "1.416.555.0123"]
)
def test_common_north_american_forms_become_e164(typed: str) -> None:
    assert to_e164(typed) == "+14165550123"


def test_a_hong_kong_number_keeps_its_country_code() -> None:
    assert to_e164("+852 9123 4567") == "+85291234567"


@pytest.mark.parametrize("typed", ["", "hello", "12", "+1 416 555 01234567"])
def test_a_number_that_is_not_one_is_refused_clearly(typed: str) -> None:
    with pytest.raises(InvalidPhoneNumber, match="like \\+1 416 555 0123"):
        to_e164(typed)


def test_masking_keeps_only_the_country_and_area_code_and_last_two_digits() -> None:
    assert mask("+14165550123") == "+1416*****23"
