"""Parsing what people type in the marketplace: an expert's rates, languages, specialties and
links, and a learner's ``/experts`` search."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from domain.marketplace.model import (
    CENT,
    ISO_639_1,
    RATE_MAX,
    Proficiency,
    SearchFilters,
    Specialty,
)
from domain.shared.errors import InvalidInput
from domain.shared.text import clean_text, parse_int

SEARCH_USAGE = (
    "Usage: /experts <subject> [max=<rate>] [lang=<code>] [level=<level>] [within=<days>]\n"
    "e.g. /experts python max=40 lang=en level=advanced within=7"
)
_FILTER = re.compile(r"\b(max|lang|level|within)=(\S+)", re.IGNORECASE)


def parse_rate_range(text: str) -> tuple[Decimal, Decimal]:
    """``"25-40"`` or ``"25.50 - 40"`` -> (min, max); positive, min <= max, two decimals."""
    parts = [p.strip() for p in re.split(r"\s*(?:-|–|to)\s*", text.strip(), maxsplit=1)]
    if len(parts) != 2 or not all(parts):
        raise InvalidInput("Give your hourly rate as a range, for example 25-40.")
    low, high = (_money(p) for p in parts)
    if low > high:
        raise InvalidInput(f"The minimum rate ({low}) is above the maximum ({high}).")
    return low, high


def _money(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(
            f"“{text[:20]}” is not an amount; use numbers like 25 or 25.50."
        ) from None
    if not value.is_finite() or value <= 0:
        raise InvalidInput("Rates must be positive amounts.")
    if value > RATE_MAX:
        raise InvalidInput(f"Rates above {RATE_MAX} per hour are not accepted.")
    if value != value.quantize(CENT):
        raise InvalidInput("Rates can have at most two decimals.")
    return value.quantize(CENT)


def parse_languages(text: str) -> tuple[str, ...]:
    """``"en, de"`` -> ("en", "de"): ISO 639-1 codes, at most 10, no repeats."""
    codes = [c for c in re.split(r"[\s,;]+", text.strip().lower()) if c]
    if not codes:
        raise InvalidInput("List at least one language as an ISO 639-1 code, e.g. en, de.")
    unknown = [c for c in codes if c not in ISO_639_1]
    if unknown:
        shown = ", ".join(c[:10] for c in unknown[:3])
        raise InvalidInput(f"Not ISO 639-1 language codes: {shown}. Use two letters, e.g. en, de.")
    if len(codes) > 10:
        raise InvalidInput("List at most 10 languages.")
    return tuple(dict.fromkeys(codes))


def parse_specialties(text: str) -> tuple[Specialty, ...]:
    """``"python: expert; data science: advanced"`` -> specialties (at most 10)."""
    items = [item.strip() for item in re.split(r"[;\n]+", text) if item.strip()]
    if not items:
        raise InvalidInput(
            "List specialties as subject: level, e.g. python: expert; statistics: advanced."
        )
    found: dict[str, Specialty] = {}
    levels = ", ".join(p.value for p in Proficiency)
    for item in items:
        subject, sep, level = item.rpartition(":")
        subject = " ".join(subject.split())
        if not sep or not subject:
            raise InvalidInput(f"“{item[:40]}” needs a level: subject: {levels}.")
        if len(subject) > 100:
            raise InvalidInput("A specialty's subject must be under 100 characters.")
        try:
            proficiency = Proficiency(level.strip().lower())
        except ValueError:
            raise InvalidInput(f"The level of “{subject[:40]}” must be one of {levels}.") from None
        found.setdefault(subject.lower(), Specialty(subject, proficiency))
    if len(found) > 10:
        raise InvalidInput("List at most 10 specialties.")
    return tuple(found.values())


def parse_meeting_link(text: str) -> str:
    link = text.strip()
    if not re.fullmatch(r"https://[^\s<>\"']{4,490}", link):
        raise InvalidInput(
            "A meeting link must be a https:// address, e.g. https://meet.example/me."
        )
    return link


def parse_search(text: str) -> SearchFilters:
    """``"python max=40 lang=en level=advanced within=7"`` -> filters (subject required).

    Control characters are dropped first, so nothing unprintable is searched for or stored.
    """
    text = clean_text(text, what="search", limit=1000, required=False) or ""
    options = {key.lower(): value for key, value in _FILTER.findall(text)}
    subject = " ".join(_FILTER.sub(" ", text).split())
    if not subject:
        raise InvalidInput(SEARCH_USAGE)
    if len(subject) > 100:
        raise InvalidInput("Search for a subject of under 100 characters.")
    max_rate = None
    if "max" in options:
        max_rate, _ = parse_rate_range(f"{options['max']}-{options['max']}")
    language = parse_languages(options["lang"])[0] if "lang" in options else None
    proficiency = None
    if "level" in options:
        try:
            proficiency = Proficiency(options["level"].lower())
        except ValueError:
            raise InvalidInput(
                "level must be one of beginner, intermediate, advanced, expert."
            ) from None
    within = None
    if "within" in options:
        within = parse_int(options["within"], what="within (days)", low=1, high=30)
    return SearchFilters(subject, max_rate, language, proficiency, within)


def search_text(filters: SearchFilters) -> str:
    """The filters as ``parse_search`` reads them back (to keep a search for its next page)."""
    options = {
        "max": filters.max_rate,
        "lang": filters.language,
        "level": None if filters.proficiency is None else filters.proficiency.value,
        "within": filters.free_within_days,
    }
    return " ".join([filters.subject, *(f"{k}={v}" for k, v in options.items() if v is not None)])
