"""IANA time-zone names: case-insensitive lookup and "did you mean" suggestions.

Only an IANA name is taken as it is. For what people also type, the right zones are suggested
(as buttons) rather than one guessed silently: an abbreviation (``CET``, ``EST``, ``IST``
means three places), an offset (``UTC+2``, ``GMT-5``: which places are at it changes with
summer time), or a city that is not in a zone's name or is mistyped (``Munich``, ``Pariss``).
"""

from __future__ import annotations

import difflib
import re
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from domain.shared.errors import InvalidInput


class UnknownTimeZone(InvalidInput):
    """The text is not an IANA zone; ``suggestions`` holds the closest real ones."""

    def __init__(self, text: str, suggestions: list[str], why: str | None = None) -> None:
        shown = text if len(text) <= 60 else text[:57] + "..."
        message = f"“{shown}” is not a time zone I know."
        if why and suggestions:
            message = f"{why} Which one is yours: " + ", ".join(suggestions) + "?"
        elif suggestions:
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
    shown = text.strip()
    offset = parse_offset(shown)
    if offset is not None:
        fixed = fixed_zone(offset)
        raise UnknownTimeZone(
            shown,
            zones_at_offset(offset),
            f"{shown} is an offset, and most places change theirs for summer, so tell me the"
            " place" + (f" ({fixed} stays at {offset_text(offset)} all year)." if fixed else "."),
        )
    if key.upper() in ABBREVIATIONS:
        raise UnknownTimeZone(
            shown,
            list(ABBREVIATIONS[key.upper()]),
            f"{key.upper()} is an abbreviation, not a place, so tell me the place.",
        )
    raise UnknownTimeZone(shown, suggest_zones(key))


def suggest_zones(text: str, limit: int = 5) -> list[str]:
    """Zones for ``text``, as typed so far or mistyped: first those with a word starting with
    it (``"los"``: America/Los_Angeles; ``"europe/"``: every Europe/...), alphabetically, then
    those whose name, or whose city part, is closest to it."""
    key = text.strip().replace(" ", "_").lower()[:64]
    if not key:
        return []
    offset = parse_offset(text)
    if offset is not None:
        return zones_at_offset(offset)[:limit]
    if key.upper() in ABBREVIATIONS:
        return list(ABBREVIATIONS[key.upper()])[:limit]
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
    for zone, cities in CITIES.items():
        for city in cities:
            by_city.setdefault(city.replace(" ", "_"), []).append(zone)
    return by_city


_OFFSET = re.compile(
    r"(?:utc|gmt|z)?\s*([+\-\u2212])\s*([0-9]{1,2})(?:(?::|h)?([0-9]{2}))?(?:h)?", re.I
)
_SUMMER, _WINTER = datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)


def parse_offset(text: str) -> int | None:
    """Minutes east of UTC in ``UTC+2``, ``GMT-5``, ``UTC+05:30``, ``+0100``; else None."""
    match = _OFFSET.fullmatch(text.strip())
    if match is None:
        return None
    hours, minutes = int(match[2]), int(match[3] or 0)
    if hours > 14 or minutes > 59:
        return None
    return (hours * 60 + minutes) * (-1 if match[1] in "-\u2212" else 1)


def offset_text(minutes: int) -> str:
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'-' if minutes < 0 else '+'}{hours}" + (f":{rest:02d}" if rest else "")


def fixed_zone(minutes: int) -> str | None:
    """The zone that stays ``minutes`` east of UTC all year (Etc/GMT-2 is UTC+2), if any."""
    if minutes == 0:
        return "UTC"
    if minutes % 60:
        return None
    name = f"Etc/GMT{'+' if minutes < 0 else '-'}{abs(minutes) // 60}"
    return _zones_by_key().get(name.lower())


def zones_at_offset(minutes: int) -> list[str]:
    """The well-known zones whose winter or summer offset is ``minutes`` east of UTC, then the
    zone fixed at that offset (:func:`fixed_zone`) when there is one."""
    fixed = fixed_zone(minutes)
    found = [
        zone
        for zone in CITIES
        if zone != fixed
        and any(
            (ZoneInfo(zone).utcoffset(at) or timedelta()) == timedelta(minutes=minutes)
            for at in (_WINTER, _SUMMER)
        )
    ]
    return found[:5] if fixed is None else [*found[:4], fixed]


# What people call their zone, for the zones they most often mean.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "CET": ("Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Rome", "Europe/Warsaw"),
    "EET": ("Europe/Athens", "Europe/Helsinki", "Europe/Kyiv", "Europe/Bucharest", "Africa/Cairo"),
    "WET": ("Europe/Lisbon", "Atlantic/Canary"),
    "GMT": ("Europe/London", "Europe/Dublin", "UTC"),
    "BST": ("Europe/London",),
    "EST": ("America/New_York", "America/Toronto", "America/Detroit"),
    "CST": ("America/Chicago", "America/Mexico_City", "Asia/Shanghai"),
    "MST": ("America/Denver", "America/Phoenix", "America/Edmonton"),
    "PST": ("America/Los_Angeles", "America/Vancouver", "America/Tijuana"),
    "AKST": ("America/Anchorage",),
    "HST": ("Pacific/Honolulu",),
    "IST": ("Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"),
    "JST": ("Asia/Tokyo",),
    "KST": ("Asia/Seoul",),
    "AEST": ("Australia/Sydney", "Australia/Melbourne", "Australia/Brisbane"),
    "ACST": ("Australia/Adelaide", "Australia/Darwin"),
    "AWST": ("Australia/Perth",),
    "NZST": ("Pacific/Auckland",),
    "MSK": ("Europe/Moscow",),
    "SGT": ("Asia/Singapore",),
    "HKT": ("Asia/Hong_Kong",),
    "BRT": ("America/Sao_Paulo",),
    "ART": ("America/Argentina/Buenos_Aires",),
    "SAST": ("Africa/Johannesburg",),
    "WAT": ("Africa/Lagos",),
    "EAT": ("Africa/Nairobi",),
    "PKT": ("Asia/Karachi",),
    "ICT": ("Asia/Bangkok", "Asia/Ho_Chi_Minh"),
    "WIB": ("Asia/Jakarta",),
    "PHT": ("Asia/Manila",),
    "GST": ("Asia/Dubai",),
}
for _standard, _summer in (
    ("CET", "CEST"),
    ("EET", "EEST"),
    ("WET", "WEST"),
    ("EST", "EDT"),
    ("CST", "CDT"),
    ("MST", "MDT"),
    ("PST", "PDT"),
    ("AKST", "AKDT"),
    ("AEST", "AEDT"),
    ("ACST", "ACDT"),
    ("NZST", "NZDT"),
):
    ABBREVIATIONS[_summer] = ABBREVIATIONS[_standard]
for _short, _standard in (("ET", "EST"), ("CT", "CST"), ("MT", "MST"), ("PT", "PST")):
    ABBREVIATIONS[_short] = ABBREVIATIONS[_standard]

# Well-known zones (the order in which places at an offset are offered) and the big cities
# people name that are not in a zone's name.
CITIES: dict[str, tuple[str, ...]] = {
    "Pacific/Honolulu": ("honolulu", "hawaii"),
    "America/Anchorage": ("alaska",),
    "America/Los_Angeles": ("san francisco", "seattle", "san diego", "portland", "las vegas"),
    "America/Vancouver": (),
    "America/Denver": ("salt lake city", "calgary"),
    "America/Phoenix": ("arizona",),
    "America/Chicago": ("houston", "dallas", "austin", "minneapolis", "new orleans"),
    "America/Mexico_City": ("guadalajara", "monterrey"),
    "America/New_York": ("boston", "washington", "miami", "atlanta", "philadelphia", "nyc"),
    "America/Toronto": ("montreal", "ottawa"),
    "America/Bogota": ("medellin",),
    "America/Lima": (),
    "America/Santiago": (),
    "America/Sao_Paulo": ("rio de janeiro", "rio", "brasilia"),
    "America/Argentina/Buenos_Aires": ("buenos aires",),
    "Atlantic/Azores": (),
    "UTC": (),
    "Europe/London": ("manchester", "edinburgh", "birmingham", "glasgow", "uk", "england"),
    "Europe/Dublin": ("ireland",),
    "Europe/Lisbon": ("porto", "portugal"),
    "Africa/Lagos": ("abuja",),
    "Europe/Berlin": ("munich", "hamburg", "frankfurt", "cologne", "germany", "stuttgart"),
    "Europe/Paris": ("lyon", "marseille", "toulouse", "france"),
    "Europe/Madrid": ("barcelona", "valencia", "seville", "spain"),
    "Europe/Rome": ("milan", "naples", "turin", "florence", "italy"),
    "Europe/Amsterdam": ("rotterdam", "netherlands"),
    "Europe/Warsaw": ("krakow", "poland"),
    "Europe/Zurich": ("geneva", "bern", "basel", "switzerland"),
    "Europe/Vienna": ("austria",),
    "Europe/Stockholm": ("sweden",),
    "Africa/Johannesburg": ("cape town", "pretoria", "durban"),
    "Africa/Cairo": ("egypt",),
    "Europe/Athens": ("greece",),
    "Europe/Helsinki": ("finland",),
    "Europe/Kyiv": ("kiev", "ukraine"),
    "Europe/Bucharest": ("romania",),
    "Asia/Jerusalem": ("tel aviv",),
    "Europe/Istanbul": ("ankara", "turkey"),
    "Europe/Moscow": ("saint petersburg", "st petersburg"),
    "Africa/Nairobi": ("kenya",),
    "Asia/Dubai": ("abu dhabi",),
    "Asia/Karachi": ("lahore", "islamabad", "pakistan"),
    "Asia/Kolkata": ("delhi", "new delhi", "mumbai", "bangalore", "bengaluru", "india"),
    "Asia/Dhaka": ("bangladesh",),
    "Asia/Bangkok": ("thailand",),
    "Asia/Jakarta": ("indonesia",),
    "Asia/Shanghai": ("beijing", "shenzhen", "guangzhou", "china"),
    "Asia/Singapore": (),
    "Asia/Hong_Kong": (),
    "Asia/Manila": ("philippines",),
    "Australia/Perth": (),
    "Asia/Tokyo": ("osaka", "kyoto", "japan"),
    "Asia/Seoul": ("busan", "korea"),
    "Australia/Adelaide": (),
    "Australia/Brisbane": (),
    "Australia/Sydney": ("canberra",),
    "Australia/Melbourne": (),
    "Pacific/Auckland": ("wellington", "new zealand"),
}


def local_date(at: datetime, zone: str) -> date:
    """The calendar date of the aware instant ``at`` in the IANA zone ``zone``."""
    if at.tzinfo is None:
        raise ValueError("naive datetime: pass an aware instant")
    return at.astimezone(ZoneInfo(zone)).date()
