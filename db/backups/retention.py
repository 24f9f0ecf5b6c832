"""Which backups to keep: the newest of each of the last 7 days, 4 weeks and 12 months that
have one (grandfather-father-son), the newest backup, and the newest verified one. Pure."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Keep:
    """How many daily, weekly (ISO weeks) and monthly backups to keep (UTC calendar)."""

    daily: int = 7
    weekly: int = 4
    monthly: int = 12


def _newest_per_bucket(
    backups: Sequence[tuple[str, datetime]], bucket: Callable[[datetime], Hashable], count: int
) -> set[str]:
    """The newest backup of each of the ``count`` most recent buckets that have one."""
    kept: dict[Hashable, str] = {}
    for name, at in backups:  # newest first, so each bucket's backups come together
        key = bucket(at)
        if key in kept:
            continue
        if len(kept) == count:
            break
        kept[key] = name
    return set(kept.values())


def to_delete(
    backups: Iterable[tuple[str, datetime]], keep: Keep, *, protected: str | None = None
) -> set[str]:
    """The names of the backups (name, UTC time) that ``keep`` lets go: never the newest, never
    ``protected`` (the newest verified one)."""
    ordered = sorted(backups, key=lambda item: (item[1], item[0]), reverse=True)
    if not ordered:
        return set()
    kept = {ordered[0][0]}
    if protected is not None:
        kept.add(protected)
    kept |= _newest_per_bucket(ordered, lambda at: at.date(), keep.daily)
    kept |= _newest_per_bucket(ordered, lambda at: at.isocalendar()[:2], keep.weekly)
    kept |= _newest_per_bucket(ordered, lambda at: (at.year, at.month), keep.monthly)
    return {name for name, _ in ordered} - kept
