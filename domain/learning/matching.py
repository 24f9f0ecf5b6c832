"""Finding a catalogue subject from what a learner typed: any case, word order, typos and
extra words ("pyhton", "linear algerba", "Spanish for travel", "ML").

Matching goes from strict to loose and stops at the first hit:

1. the whole text is a subject's name, key or alias (case and accents aside);
2. a name or alias stands in the text as whole words ("Python for data analysis"); the one
   starting earliest wins, then the longest;
3. a run of one to four words is close to a name or alias (rapidfuzz's Indel similarity, at
   least ``CLOSE`` for names of five letters or more; shorter names must match exactly, so
   "go" never finds "Goal setting").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

from rapidfuzz import fuzz, process

from domain.learning.catalogue import CatalogueSubject, catalogue

CLOSE = 80.0  # rapidfuzz ratio (0-100) of a typo'd name: "pyhton" ~ "python" is 83
_WORD = re.compile(r"[\w+#]+(?:[.'’-][\w+#]+)*", re.UNICODE)
MAX_WORDS = 4


def normalize(text: str) -> str:
    """Case-folded, accents removed ("Español" and "espanol" are one), words joined by single
    spaces."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(_WORD.findall(plain))


@dataclass(frozen=True)
class _Index:
    by_name: dict[str, CatalogueSubject]  # every normalized name, key and alias
    long_names: tuple[str, ...]  # those of five letters or more, for fuzzy matching


@cache
def _index() -> _Index:
    by_name: dict[str, CatalogueSubject] = {}
    for subject in catalogue():
        for name in (subject.name, subject.key.replace("-", " "), *subject.aliases):
            key = normalize(name)
            if key:
                by_name.setdefault(key, subject)
    return _Index(by_name, tuple(n for n in by_name if len(n.replace(" ", "")) >= 5))


def find_subject(text: str) -> CatalogueSubject | None:
    """The catalogue subject ``text`` names, or None (rules above)."""
    found = _find(text)
    return None if found is None else found[0]


def spelled(text: str) -> str:
    """How to call the subject ``text`` names: as typed, unless it was found only through a
    typo ("pyhton" is called "Python"; "Spanish for travel" stays as it is)."""
    found = _find(text)
    return found[0].name if found is not None and not found[1] else text


@lru_cache(maxsize=4096)  # a /new asks several times; /experts asks on every search
def _find(text: str) -> tuple[CatalogueSubject, bool] | None:
    """The subject and whether ``text`` holds one of its names as it is (rules 1 and 2)."""
    index = _index()
    wanted = normalize(text)
    if not wanted:
        return None
    if wanted in index.by_name:
        return index.by_name[wanted], True
    words = wanted.split()
    found = [
        (start, -length, index.by_name[" ".join(words[start : start + length])])
        for start in range(len(words))
        for length in range(min(MAX_WORDS, len(words) - start), 0, -1)
        if " ".join(words[start : start + length]) in index.by_name
    ]
    if found:
        return min(found, key=lambda hit: hit[:2])[2], True
    best: tuple[float, int, str] | None = None
    for start in range(len(words)):
        for length in range(1, min(MAX_WORDS, len(words) - start) + 1):
            run = " ".join(words[start : start + length])
            if len(run.replace(" ", "")) < 5:
                continue
            hit = process.extractOne(run, index.long_names, scorer=fuzz.ratio, score_cutoff=CLOSE)
            if hit is not None and (best is None or (hit[1], -start) > best[:2]):
                best = (hit[1], -start, hit[0])
    return None if best is None else (index.by_name[best[2]], False)
