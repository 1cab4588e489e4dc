"""Match what a rider wrote to the organisation's place catalogue.

Riders write "T and T", "tnt", "T&T", "大統華", "nofrills", "no frils". Each catalogue entry is
expanded once into compact keys (lower case, "&" spelled out or dropped, no spaces or
punctuation); a message is cut into runs of one to four words that are compared with those keys,
exactly for short keys and with rapidfuzz for longer ones. Chinese names are found as
substrings, since Chinese has no spaces to cut words on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

from services.booking.conversation._text import has_cjk, normalise


@dataclass(frozen=True)
class PlaceEntry:
    """One destination riders can book: a store, clinic, legal aid office, ..."""

    id: str
    kind: str
    name_en: str
    name_zh: str
    aliases: tuple[str, ...] = ()
    address: str = ""


@dataclass(frozen=True)
class PlaceMatch:
    """The entries that best match a message: one means found, several mean ambiguous."""

    places: tuple[PlaceEntry, ...] = ()
    span: tuple[int, int] | None = None
    score: float = 0.0

    @property
    def found(self) -> PlaceEntry | None:
        """The single matching place, or None when there is none or several."""
        return self.places[0] if len(self.places) == 1 else None


# Below this many characters a key must match exactly: "tnt" is close to too many words.
_FUZZY_MIN_LEN = 5
_FUZZY_CUTOFF = 86.0
_MAX_WORDS = 4
# Words riders leave off the end of a name: "Bright Smile" for Bright Smile Dental, "Shoppers"
# for Shoppers Drug Mart.
_GENERIC_SUFFIXES = (
    "supermarket",
    "supermarkets",
    "market",
    "store",
    "grocery",
    "foods",
    "dental",
    "clinic",
    "medical",
    "centre",
    "center",
    "hospital",
    "office",
    "mart",
    "drug",
    "pharmacy",
)
_WORD = re.compile(r"[a-z0-9&']+")
_NON_ALNUM = re.compile(r"[^a-z0-9]")
_PARENTHESES = re.compile(r"\s*[(\[].*?[)\]]\s*")


def _compact(text: str) -> str:
    return _NON_ALNUM.sub("", text.replace("&", "and"))


def _latin_keys(name: str) -> set[str]:
    base = normalise(name)
    forms = {base, _PARENTHESES.sub(" ", base).strip()}
    for form in list(forms):
        words = form.split()
        while len(words) > 1 and words[-1] in _GENERIC_SUFFIXES:
            words = words[:-1]
            forms.add(" ".join(words))
        full = form.split()
        if len(full) >= 3:
            # "cultural centre" for Chinese Cultural Centre.
            forms.add(" ".join(full[1:]))
    keys: set[str] = set()
    for form in forms:
        keys.update(
            {
                _compact(form),
                _compact(form.replace("&", "n")),
                _compact(form.replace("&", "")),
                _compact(form.replace(" and ", "n")),
            }
        )
    return {key for key in keys if key}


# What riders leave out of a Chinese name: 北約克綜合醫院 is 北約克醫院 or just 北約克,
# 百信超市 is 百信. Short forms match a little below full names, so a full name still wins.
_ZH_GENERIC = re.compile(r"(?:綜合)?(?:醫院|診所|醫務所|超級市場|超市|中心|牙科|藥房)$")
_ZH_MIDDLE = "綜合"
_SHORT_RANK = 95.0


def _cjk_keys(name: str) -> set[str]:
    base = normalise(name).replace(" ", "")
    stripped = _PARENTHESES.sub("", base)
    return {key for key in (base, stripped) if key and has_cjk(key)}


def _cjk_short_keys(name: str) -> set[str]:
    keys: set[str] = set()
    for key in _cjk_keys(name):
        bare = _ZH_GENERIC.sub("", key)
        if len(bare) >= 2 and bare != key:
            keys.add(bare)
        if _ZH_MIDDLE in key:
            keys.add(key.replace(_ZH_MIDDLE, ""))
    return {key for key in keys if has_cjk(key)}


_INITIALS_SKIP = frozenset({"the", "of", "and", "&"})


def _acronym(name: str) -> str | None:
    """ "North York General Hospital" -> "nygh": the short form hospitals go by."""
    words = [w for w in _PARENTHESES.sub(" ", normalise(name)).split() if w not in _INITIALS_SKIP]
    letters = "".join(word[0] for word in words if word[0].isalpha())
    return letters if len(words) >= 3 and len(letters) >= 3 else None


@dataclass(frozen=True)
class _Index:
    latin: dict[str, tuple[int, ...]] = field(default_factory=dict)
    cjk: dict[str, tuple[int, ...]] = field(default_factory=dict)
    cjk_short: dict[str, tuple[int, ...]] = field(default_factory=dict)
    acronyms: dict[str, tuple[int, ...]] = field(default_factory=dict)


@lru_cache(maxsize=16)
def _index(catalogue: tuple[PlaceEntry, ...]) -> _Index:
    # Cached: the catalogue changes rarely and every message of a conversation matches it.
    latin: dict[str, list[int]] = {}
    cjk: dict[str, list[int]] = {}
    short: dict[str, list[int]] = {}
    acronyms: dict[str, list[int]] = {}
    for position, entry in enumerate(catalogue):
        for name in (entry.name_en, entry.name_zh, *entry.aliases):
            for key in _cjk_keys(name):
                cjk.setdefault(key, []).append(position)
            for key in _cjk_short_keys(name):
                short.setdefault(key, []).append(position)
            if not has_cjk(name):
                for key in _latin_keys(name):
                    latin.setdefault(key, []).append(position)
        acronym = _acronym(entry.name_en)
        if acronym is not None:
            acronyms.setdefault(acronym, []).append(position)

    def freeze(table: dict[str, list[int]]) -> dict[str, tuple[int, ...]]:
        return {key: tuple(dict.fromkeys(v)) for key, v in table.items()}

    # A short form that is also a full name, or an acronym that is a full key, is not needed.
    short = {key: v for key, v in short.items() if key not in cjk}
    acronyms = {key: v for key, v in acronyms.items() if key not in latin}
    return _Index(freeze(latin), freeze(cjk), freeze(short), freeze(acronyms))


def _ngrams(text: str) -> list[tuple[str, tuple[int, int]]]:
    words = [(m.group(), m.span()) for m in _WORD.finditer(text)]
    grams: list[tuple[str, tuple[int, int]]] = []
    for start in range(len(words)):
        for end in range(start + 1, min(start + _MAX_WORDS, len(words)) + 1):
            joined = _compact("".join(word for word, _ in words[start:end]))
            if joined:
                grams.append((joined, (words[start][1][0], words[end - 1][1][1])))
    return grams


def find_place(
    text: str, catalogue: Sequence[PlaceEntry], *, normalised: bool = False
) -> PlaceMatch:
    """Find the catalogue place(s) that ``text`` names best; an empty match if none does.

    Among equally good matches the one matched by the longest key wins, so "No Frills Dundas"
    picks that branch while a bare "No Frills" with two branches is ambiguous.
    """
    text = text if normalised else normalise(text)
    if not catalogue or not text:
        return PlaceMatch()
    index = _index(tuple(catalogue))
    # (score, key length) per catalogue position, and the span that earned it.
    best: dict[int, tuple[tuple[float, int], tuple[int, int]]] = {}

    def offer(positions: tuple[int, ...], rank: tuple[float, int], span: tuple[int, int]) -> None:
        for position in positions:
            if position not in best or rank > best[position][0]:
                best[position] = (rank, span)

    for key, positions in index.cjk.items():
        start = text.find(key)
        if start >= 0:
            offer(positions, (100.0, len(key)), (start, start + len(key)))
    for key, positions in index.cjk_short.items():
        start = text.find(key)
        if start >= 0:
            offer(positions, (_SHORT_RANK, len(key)), (start, start + len(key)))
    for word in _WORD.finditer(text):
        if word.group() in index.acronyms:
            offer(index.acronyms[word.group()], (_SHORT_RANK, len(word.group())), word.span())
    long_keys = [key for key in index.latin if len(key) >= _FUZZY_MIN_LEN]
    for gram, span in _ngrams(text):
        if gram in index.latin:
            offer(index.latin[gram], (100.0, len(gram)), span)
        elif len(gram) >= _FUZZY_MIN_LEN - 1 and long_keys:
            hit = process.extractOne(gram, long_keys, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
            if hit is not None:
                offer(index.latin[hit[0]], (float(hit[1]), len(hit[0])), span)
    if not best:
        return PlaceMatch()
    top_rank = max(rank for rank, _ in best.values())
    winners = sorted(position for position, (rank, _) in best.items() if rank == top_rank)
    places = tuple(catalogue[position] for position in winners)
    if len(places) > 1:
        narrowed = narrow(text, places)
        places = (narrowed,) if narrowed is not None else places
    return PlaceMatch(places=places, span=best[winners[0]][1], score=top_rank[0])


_LATIN_TOKEN = re.compile(r"[a-z0-9]{3,}")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")


def _marks(entry: PlaceEntry) -> tuple[set[str], set[str]]:
    """Latin words and two-character Chinese pieces of an entry's names."""
    latin = set(_LATIN_TOKEN.findall(normalise(f"{entry.name_en} {' '.join(entry.aliases)}")))
    runs = _CJK_RUN.findall(normalise(entry.name_zh))
    pieces = {run[i : i + 2] for run in runs for i in range(len(run) - 1)}
    return latin, pieces


def _mentions(words: set[str], own: set[str]) -> bool:
    """True if a word of the text is one of ``own``, allowing a typo in longer words."""
    for word in words:
        if word in own:
            return True
        if len(word) >= 5 and any(fuzz.ratio(word, mark) >= _FUZZY_CUTOFF for mark in own):
            return True
    return False


def narrow(text: str, candidates: Sequence[PlaceEntry]) -> PlaceEntry | None:
    """The one candidate the text singles out by a word only its name has ("on Dundas").

    Returns None when no candidate, or more than one, is singled out.
    """
    text = normalise(text)
    words = set(_LATIN_TOKEN.findall(text))
    marks = [_marks(entry) for entry in candidates]
    singled_out = []
    for position, (latin, pieces) in enumerate(marks):
        others = [mark for index, mark in enumerate(marks) if index != position]
        own_latin = latin.difference(*(mark[0] for mark in others))
        own_pieces = pieces.difference(*(mark[1] for mark in others))
        if _mentions(words, own_latin) or any(piece in text for piece in own_pieces):
            singled_out.append(candidates[position])
    return singled_out[0] if len(singled_out) == 1 else None


def suggest_places(
    text: str, catalogue: Sequence[PlaceEntry], *, limit: int = 3
) -> list[PlaceEntry]:
    """Catalogue places that look most like ``text``, for an "I don't know that place" reply.

    Falls back to the first entries of the catalogue when nothing is even loosely similar.
    """
    if not catalogue:
        return []
    text = normalise(text)
    names = [f"{entry.name_en} {entry.name_zh} {' '.join(entry.aliases)}" for entry in catalogue]
    hits = process.extract(
        text, [normalise(name) for name in names], scorer=fuzz.WRatio, limit=limit
    )
    chosen = [catalogue[position] for _, score, position in hits if score >= 60]
    for entry in catalogue:
        if len(chosen) >= limit:
            break
        if entry not in chosen:
            chosen.append(entry)
    return chosen[:limit]


_STREET = re.compile(
    r"^\s*\d+[a-z]?\s+(?:[a-z]+\s+)?([a-z][a-z'.]+(?:\s+[a-z][a-z'.]+)?)\s+"
    r"(?:st|street|ave|avenue|rd|road|blvd|boulevard|dr|drive|way|cres|crescent|pkwy|lane|ln)\b"
)
_STREET_NEAR = (
    r"\b(?:on|at|near|by|off|along)\s+{street}\b|{street}\s+(?:st|street|ave|avenue|rd|road)\b"
)


def street_of(entry: PlaceEntry) -> str | None:
    """The street name in a catalogue address ("4002 Sheppard Ave E" -> "sheppard")."""
    found = _STREET.match(normalise(entry.address))
    return found.group(1) if found is not None else None


def find_by_street(
    text: str, catalogue: Sequence[PlaceEntry], *, kinds: tuple[str, ...] = ()
) -> PlaceEntry | None:
    """The one place of ``kinds`` on the street the text names ("the clinic on Sheppard").

    Only a text that names a kind of place and a street in the catalogue's addresses counts;
    None unless exactly one place fits.
    """
    if not kinds:
        return None
    text = normalise(text)
    fitting = []
    for entry in catalogue:
        street = street_of(entry)
        if street is None or entry.kind.lower() not in kinds:
            continue
        if re.search(_STREET_NEAR.format(street=re.escape(street)), text):
            fitting.append(entry)
    return fitting[0] if len(fitting) == 1 else None


def street_span(text: str, entry: PlaceEntry) -> tuple[int, int]:
    """Where the text names ``entry``'s street (an empty span if it does not)."""
    street = street_of(entry)
    found = re.search(re.escape(street), text) if street else None
    return found.span() if found is not None else (0, 0)
