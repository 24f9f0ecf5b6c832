"""IANA time-zone names: case-insensitive lookup and "did you mean" suggestions."""

from __future__ import annotations

import difflib
import re
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from domain.shared.errors import InvalidInput


class UnknownTimeZone(InvalidInput):
    """The text is not an IANA zone; ``suggestions`` holds the closest real ones."""

    def __init__(self, text: str, suggestions: list[str]) -> None:
        shown = text if len(text) <= 60 else text[:57] + "..."
        message = f"“{shown}” is not a time zone I know."
        if suggestions:
            message += " Did you mean " + ", ".join(suggestions) + "?"
        else:
            message += " Use an IANA name such as Europe/Berlin or America/New_York."
        super().__init__(message)
        self.suggestions = suggestions


@cache
def _zones_by_key() -> dict[str, str]:
    """Lower-cased name -> canonical name, for every zone this machine knows."""
    return {name.lower(): name for name in available_timezones() if "/" in name or name == "UTC"}


def resolve_zone(text: str) -> str:
    """Return the canonical IANA name for ``text`` (any case, spaces as underscores).

    Raises:
        UnknownTimeZone: with up to five close matches.
    """
    key = text.strip().replace(" ", "_").lower()
    zones = _zones_by_key()
    if key in zones:
        return zones[key]
    raise UnknownTimeZone(text.strip(), suggest_zones(key))


def suggest_zones(text: str, limit: int = 5) -> list[str]:
    """Zones for ``text``, as typed so far or mistyped: first those with a word starting with
    it (``"los"``: America/Los_Angeles; ``"europe/"``: every Europe/...), alphabetically, then
    those whose name, or whose city part, is closest to it."""
    key = text.strip().replace(" ", "_").lower()[:64]
    if not key:
        return []
    zones = _zones_by_key()
    word = re.compile(r"(?:^|[/_])" + re.escape(key))
    found = [zones[lowered] for lowered in sorted(zones) if word.search(lowered)][:limit]
    by_city = _zones_by_city()
    city = key.rsplit("/", 1)[-1]
    for match in difflib.get_close_matches(city, by_city, n=limit, cutoff=0.75):
        found.extend(sorted(by_city[match]))
    for match in difflib.get_close_matches(key, zones, n=limit, cutoff=0.6):
        found.append(zones[match])
    if not found:  # nothing close: still offer the least distant few
        found = [zones[m] for m in difflib.get_close_matches(key, zones, n=3, cutoff=0.4)]
    return list(dict.fromkeys(found))[:limit]


@cache
def _zones_by_city() -> dict[str, list[str]]:
    """Lower-cased city part (``berlin``) -> the zones ending in it."""
    by_city: dict[str, list[str]] = {}
    for lowered, name in _zones_by_key().items():
        by_city.setdefault(lowered.rsplit("/", 1)[-1], []).append(name)
    return by_city


def local_date(at: datetime, zone: str) -> date:
    """The calendar date of the aware instant ``at`` in the IANA zone ``zone``."""
    if at.tzinfo is None:
        raise ValueError("naive datetime: pass an aware instant")
    return at.astimezone(ZoneInfo(zone)).date()
