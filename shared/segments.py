"""Count SMS segments the way carriers (and Twilio's bill) do.

A text is GSM-7 when every character is in the GSM 03.38 default alphabet or its extension
table; otherwise the whole text is sent as UCS-2. One GSM-7 SMS holds 160 septets; once a text
is split, each part loses 7 septets to the concatenation header (153 left). Extension characters
are an escape plus a character, 2 septets, and a carrier never splits that pair across parts.
UCS-2 holds 70 UTF-16 code units in one SMS and 67 per part; characters outside the BMP (most
emoji) take 2 code units, and a surrogate pair is never split either.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

# GSM 03.38 default alphabet, in code-point order (0x1B, the escape, is not a character).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each costs the escape septet plus itself.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE = 160
GSM7_PART = 153
UCS2_SINGLE = 70
UCS2_PART = 67


def encoding(text: str) -> Encoding:
    """Return the encoding a carrier uses for ``text``: GSM-7 if every character allows it."""
    for char in text:
        if char not in GSM7_BASIC and char not in GSM7_EXTENSION:
            return "UCS-2"
    return "GSM-7"


def _units(text: str, enc: Encoding) -> list[int]:
    """Cost of each character in the encoding's units (septets or UTF-16 code units)."""
    if enc == "GSM-7":
        return [2 if char in GSM7_EXTENSION else 1 for char in text]
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def _split_points(units: list[int], part_size: int) -> list[int]:
    """Indices where each part after the first starts, filling parts greedily.

    A character that does not fit whole in what is left of a part starts the next part,
    which is how carriers keep escape pairs and surrogate pairs intact.
    """
    starts: list[int] = []
    used = 0
    for index, cost in enumerate(units):
        if used + cost > part_size:
            starts.append(index)
            used = 0
        used += cost
    return starts


def split_segments(text: str) -> list[str]:
    """Split ``text`` into the parts a carrier would send (one part if it fits in one SMS).

    An empty text is one (empty) SMS: it still costs a message if it is ever sent.
    """
    enc = encoding(text)
    units = _units(text, enc)
    single = GSM7_SINGLE if enc == "GSM-7" else UCS2_SINGLE
    if sum(units) <= single:
        return [text]
    part = GSM7_PART if enc == "GSM-7" else UCS2_PART
    bounds = [0, *_split_points(units, part), len(text)]
    return [text[start:end] for start, end in pairwise(bounds)]


def segment_count(text: str) -> int:
    """Return how many SMS segments ``text`` is billed and sent as."""
    return len(split_segments(text))


def units_used(text: str) -> int:
    """Return the length in the encoding's units: septets for GSM-7, code units for UCS-2."""
    return sum(_units(text, encoding(text)))
