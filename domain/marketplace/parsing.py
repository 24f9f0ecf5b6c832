"""Parsing what people type in the marketplace: an expert's rates, languages, specialties and
links, and a learner's ``/experts`` search."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import langcodes

from domain.marketplace.model import (
    CENT,
    DURATIONS,
    ISO_639_1,
    RATE_MAX,
    SEARCH_MINUTES,
    Proficiency,
    SearchFilters,
    Specialty,
)
from domain.marketplace.series_commands import SeriesAsked
from domain.shared.errors import InvalidInput
from domain.shared.text import clean_text, parse_int
from domain.shared.timetext import day_index, read_clock, read_duration

SEARCH_USAGE = (
    "Usage: /experts <subject> [max=<price>] [lang=<language>] [level=<level>] [within=<days>]"
    f"\nmax= is the most you'd pay for a {SEARCH_MINUTES}-minute session."
    "\ne.g. /experts python max=40 lang=en level=advanced within=7"
)
FILTERS = ("max", "lang", "level", "within")
_FILTER = re.compile(r"\b(max|lang|level|within)=(\S+)", re.IGNORECASE)
_ANY_FILTER = re.compile(r"(?<!\S)([^\s=]+)=\S*")


_CURRENCY_SIGNS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR", "₽": "RUB"}
_PER_HOUR = re.compile(r"\s*(?:/\s*h(?:our|r)?|(?:per|an?)\s+hour|hourly)\s*$", re.IGNORECASE)
_CURRENCY_CODES = frozenset(
    "EUR USD GBP CHF JPY CNY INR RUB CAD AUD NZD SEK NOK DKK PLN CZK HUF RON BGN TRY BRL MXN "
    "ZAR KRW SGD HKD ILS UAH".split()
)
_CURRENCY_CODE = re.compile(r"(?<![A-Za-z])[A-Za-z]{3}(?![A-Za-z])")
_RATE_SEPARATOR = re.compile(r"\s*(?:\.\.|[-\u2010-\u2015\u2212]|\bto\b)\s*", re.IGNORECASE)
RATE_EXAMPLE = "a range such as 25-40, or one rate such as 30"


def parse_rate_range(text: str, *, currency: str | None = None) -> tuple[Decimal, Decimal]:
    """An hourly rate as people write it -> (min, max), positive, min <= max, two decimals.

    ``25-40``, ``25.50 - 40``, ``20–40``, ``20 to 40``, ``€20 - €40``, ``20-40 EUR/h``; a
    single rate ``30`` is the range 30-30. A currency sign or code other than ``currency``
    (when given) is refused rather than read as if it were that currency.
    """
    cleaned = _PER_HOUR.sub("", text.strip())
    named = {_CURRENCY_SIGNS[sign] for sign in cleaned if sign in _CURRENCY_SIGNS}
    named |= {c.upper() for c in _CURRENCY_CODE.findall(cleaned) if _is_currency(c, currency)}
    if currency is not None and named - {currency}:
        other = ", ".join(sorted(named - {currency}))
        raise InvalidInput(f"Rates are in {currency}, not {other}; e.g. 25-40.")
    for sign in _CURRENCY_SIGNS:
        cleaned = cleaned.replace(sign, " ")
    cleaned = _CURRENCY_CODE.sub(lambda m: " " if _is_currency(m[0], currency) else m[0], cleaned)
    cleaned = cleaned.strip()
    if not cleaned:
        raise InvalidInput(f"Give your hourly rate as {RATE_EXAMPLE}.")
    if cleaned[0] in "-\u2212":
        raise InvalidInput("Rates must be positive amounts.")
    parts = _RATE_SEPARATOR.split(cleaned, maxsplit=1)
    if not all(parts):
        raise InvalidInput(f"Give your hourly rate as {RATE_EXAMPLE}.")
    low, high = _money(parts[0]), _money(parts[-1])
    if low > high:
        raise InvalidInput(f"The minimum rate ({low}) is above the maximum ({high}).")
    return low, high


def _is_currency(word: str, currency: str | None) -> bool:
    return word.upper() in _CURRENCY_CODES or word.upper() == currency


def parse_budget(text: str) -> Decimal:
    """``max=`` of a search: one amount, with or without a currency sign (``40``, ``€40``)."""
    low, high = parse_rate_range(text)
    if low != high:
        raise InvalidInput("max= takes one amount, e.g. max=40.")
    return low


def _money(text: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace(",", "."))
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


_LANGUAGE_LIST = re.compile(r"\s*(?:[,;/&+\n]|\band\b)\s*", re.IGNORECASE)


def parse_languages(text: str) -> tuple[str, ...]:
    """Languages by name or code -> ISO 639-1 codes, at most 10, no repeats.

    ``"en, de"``, ``"Spanish, English"``, ``"Spanish and English"``; names in other languages
    work too (``Deutsch``), and three-letter codes become two-letter ones (``deu`` -> ``de``).
    """
    chunks = [c for c in _LANGUAGE_LIST.split(text.strip()) if c.strip()]
    if not chunks:
        raise InvalidInput("List at least one language, e.g. English, German (or en, de).")
    codes: list[str] = []
    unknown: list[str] = []
    for chunk in chunks:
        whole = _language_code(chunk)
        if whole is not None:
            codes.append(whole)
            continue
        words = [_language_code(word) for word in chunk.split()]
        if len(words) > 1 and all(words):
            codes.extend(code for code in words if code)
        else:
            unknown.append(chunk)
    if unknown:
        shown = ", ".join(f"“{c[:20]}”" for c in unknown[:3])
        raise InvalidInput(
            f"I don't know the language {shown}. Name languages in English or by their ISO "
            "639-1 code, e.g. Spanish, English (or es, en)."
        )
    unique = tuple(dict.fromkeys(codes))
    if len(unique) > 10:
        raise InvalidInput("List at most 10 languages.")
    return unique


@lru_cache(maxsize=1024)
def _language_code(text: str) -> str | None:
    """The ISO 639-1 code of a language named or coded in ``text``, or None."""
    word = " ".join(text.split()).lower()
    if not word or len(word) > 40:
        return None
    try:
        if len(word) <= 3 and word.isalpha():
            found = langcodes.Language.get(word)
            if not found.is_valid():
                return None
        else:
            found = langcodes.find(word)
        code = langcodes.standardize_tag(found.language or "", macro=True)
    except (LookupError, ValueError):
        return None
    return code if code in ISO_639_1 else None


@lru_cache(maxsize=256)
def language_name(code: str) -> str:
    """How a stored ISO 639-1 code is shown: ``"es"`` -> ``"Spanish"`` (the code if unknown)."""
    try:
        name = langcodes.Language.get(code).display_name()
    except ValueError:
        return code
    return code if name.startswith("Unknown") else name


def language_names(codes: tuple[str, ...] | list[str]) -> str:
    """``("es", "en")`` -> ``"Spanish, English"``."""
    return ", ".join(language_name(code) for code in codes)


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

    ``max`` is the most the learner would pay for a session of ``SEARCH_MINUTES``; ``lang`` a
    language by name or code. A word with ``=`` that is not one of these filters is refused
    (``price=20``), never searched for as part of the subject.
    Control characters are dropped first, so nothing unprintable is searched for or stored.
    """
    text = clean_text(text, what="search", limit=1000, required=False) or ""
    unknown = [m[0] for m in _ANY_FILTER.finditer(text) if m[1].lower() not in FILTERS]
    if unknown:
        shown = ", ".join(f"“{u[:20]}”" for u in unknown[:3])
        raise InvalidInput(
            f"I don't know the filter {shown}. The filters are max=<price>, lang=<language>, "
            f"level=<level> and within=<days>.\n{SEARCH_USAGE}"
        )
    options = {key.lower(): value for key, value in _FILTER.findall(text)}
    subject = " ".join(_FILTER.sub(" ", text).split())
    if not subject:
        raise InvalidInput(SEARCH_USAGE)
    if len(subject) > 100:
        raise InvalidInput("Search for a subject of under 100 characters.")
    max_rate = parse_budget(options["max"]) if "max" in options else None
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


SERIES_USAGE = (
    "Usage: /book <expert's name> every <weekday> <time> for <n> weeks [30|60|90 min], "
    "e.g. /book Ida Lee every tuesday 18:00 for 6 weeks"
)
_SERIES = re.compile(
    r"^(?P<expert>.+?)\s+every\s+(?P<day>[a-z]+)\s+(?:at\s+)?(?P<time>.+?)\s+for\s+"
    r"(?P<weeks>\d{1,3})\s+weeks?\b\s*[,;]?\s*(?P<length>.*)$",
    re.IGNORECASE,
)


def parse_series(text: str) -> SeriesAsked:
    """``Ida Lee every tuesday 18:00 for 6 weeks [90 min]``: who, which weekday and time (the
    learner's), how many weeks and how long (default 60 minutes)."""
    match = _SERIES.match(" ".join(text.split()))
    if match is None:
        raise InvalidInput(SERIES_USAGE)
    day = day_index(match["day"])
    if day is None:
        raise InvalidInput(f"“{match['day']}” is not a weekday. {SERIES_USAGE}")
    minutes = SEARCH_MINUTES
    if match["length"]:
        minutes = read_duration(match["length"], what="session", low=30, high=90)
        if minutes not in DURATIONS:
            raise InvalidInput(f"Sessions are {', '.join(map(str, DURATIONS))} minutes long.")
    return SeriesAsked(
        match["expert"].strip(), day, read_clock(match["time"]), int(match["weeks"]), minutes
    )
