"""Building blocks of open-world name detection: words over morphemes, found names, generated ids, memory."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from operator import itemgetter
from typing import NamedTuple

from ..document import Morpheme

_NOMINAL = frozenset(("NNG", "NNP", "SL", "SN", "SH", "XPN", "XSN", "NP"))
_WORD_S = frozenset(("SL", "SN", "SH"))  # S-tags that are word material, not punctuation
_TITLE, _ORG, _PLACE, _COMPANY = 1, 2, 4, 8  # flags of a morpheme form (OpenWorld._flags)
_FORM = itemgetter(0)
_ACRONYM = re.compile(r"[A-Z][A-Za-z0-9&.-]{1,11}")
_HANGUL = re.compile(r"[가-힣]+")
_NAME_CHARS = re.compile(r"[가-힣A-Za-z0-9&.·-]+")


class Found(NamedTuple):
    """One mention: span, actor id, type, bloc, rule and whether the lexicon knows the id."""

    start: int
    end: int
    actor: str
    type: str
    bloc: str
    rule: str
    known: bool = True


class _Memo(dict):
    """A dict that computes and keeps missing values with ``fn``."""

    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn

    def __missing__(self, key):
        value = self[key] = self.fn(key)
        return value


class _Ends:
    """Which of a set of strings a word ends with, longest first, by slicing
    (one set lookup per distinct length instead of one ``endswith`` per entry)."""

    def __init__(self, items) -> None:
        self.items = frozenset(items)
        self.lengths = sorted({len(x) for x in self.items}, reverse=True)
        self.last = frozenset(x[-1] for x in self.items)

    def match(self, word: str, proper: bool = False) -> str | None:
        """The longest entry ``word`` ends with (``proper``: and is longer than)."""
        if not word or word[-1] not in self.last:
            return None
        n = len(word)
        for k in self.lengths:
            if k < n or (k == n and not proper):
                tail = word[n - k:]
                if tail in self.items:
                    return tail
        return None


class _Word:
    """A run of morphemes with no gap and no punctuation; ``morphs[:nom]`` is its nominal part."""

    __slots__ = ("start", "end", "morphs", "nom")

    def __init__(self, start: int, end: int, morphs: tuple[Morpheme, ...], nom: int) -> None:
        self.start, self.end, self.morphs, self.nom = start, end, morphs, nom

    @property
    def nom_end(self) -> int:
        return self.morphs[self.nom - 1].end if self.nom else self.start

    @property
    def bare(self) -> bool:
        return self.nom == len(self.morphs)

    @property
    def particles_only(self) -> bool:
        return all(m.tag.startswith("J") for m in self.morphs[self.nom:])


@dataclass
class Memory:
    """What one document has named so far (for coreference)."""

    acronyms: dict[str, Found] = field(default_factory=dict)
    surnames: dict[str, Found | None] = field(default_factory=dict)  # None: two people share it
    shorts: dict[str, Found] = field(default_factory=dict)
    first: dict[str, Found] = field(default_factory=dict)  # generated id -> its first mention
    names: dict[str, Found] = field(default_factory=dict)  # a generated person's full name -> its first mention


def generated_id(atype: str, name: str) -> str:
    """The id of a name the lexicon does not list: ``~<type>:<name>``.

    >>> generated_id("person", "지나  러몬도")
    '~person:지나_러몬도'
    """
    return f"~{atype}:" + "_".join(unicodedata.normalize("NFC", name).split())


def is_generated(actor: str) -> bool:
    """True for ids made by :func:`generated_id` (never a lexicon id)."""
    return actor.startswith("~")
