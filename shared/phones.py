"""Phone numbers: parsed into E.164 at the edges, masked in logs."""

from __future__ import annotations

import phonenumbers

from shared.errors import InvalidPhoneNumber

DEFAULT_REGION = "CA"


def to_e164(raw: str, region: str = DEFAULT_REGION) -> str:
    """Parse a phone number as people type it and return it in E.164 (``+14165550123``).

    Raises ``InvalidPhoneNumber`` with a message a person can act on.
    """
    text = raw.strip()
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(
            f"{mask(text)!s} is not a phone number; use a form like +1 416 555 0123"
        ) from exc
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidPhoneNumber(
            f"{mask(text)} has the wrong number of digits; use a form like +1 416 555 0123"
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask(phone: str) -> str:
    """Hide all but the last two digits, for logs: ``+1416*****23``."""
    digits = [i for i, ch in enumerate(phone) if ch.isdigit()]
    if len(digits) <= 6:
        return "*" * len(phone)
    keep_head = set(digits[:4])
    keep_tail = set(digits[-2:])
    return "".join(
        ch if (not ch.isdigit() or i in keep_head or i in keep_tail) else "*"
        for i, ch in enumerate(phone)
    )
