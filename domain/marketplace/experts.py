"""Expert services: onboarding, profile edits, verification, availability and search."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.learning.matching import find_subject
from domain.marketplace.availability import WeeklyAvailability, parse_timeoff, parse_weekly
from domain.marketplace.commands import (
    AddTimeOff,
    BecomeExpert,
    EditProfile,
    HoursReplaced,
    RemoveTimeOff,
    SetAvailability,
)
from domain.marketplace.model import (
    REVIEWED_FIELDS,
    Expert,
    ExpertProfile,
    Policy,
    ProfileChange,
    SearchFilters,
    Verification,
)
from domain.marketplace.parsing import (
    parse_languages,
    parse_meeting_link,
    parse_rate_range,
    parse_specialties,
)
from domain.marketplace.ports import NO_CACHE, SearchCache
from domain.marketplace.rules import price_for
from domain.marketplace.slots import open_slots_for, open_slots_of
from domain.marketplace.verification import tell_admins
from domain.marketplace.verification import verify_expert as verify_expert  # the old home
from domain.shared.clock import Clock
from domain.shared.errors import InvalidInput, NotFound
from domain.shared.text import clean_text
from domain.shared.timezones import local_date, resolve_zone
from domain.unit_of_work import UnitOfWork

PAGE_SIZE = 5
NOT_AN_EXPERT = "You don't have an expert profile yet. Create one with /become_expert."


async def is_admin(user_id: UUID, uow: UnitOfWork, policy: Policy) -> bool:
    """True when one of the user's platform identities is named in ``SYLLABOT_ADMINS``."""
    async with uow:
        return user_id in await uow.users.ids_for_identities(policy.admins)


async def become_expert(
    cmd: BecomeExpert, uow: UnitOfWork, clock: Clock, policy: Policy
) -> Expert:
    """Create the user's expert profile, pending verification, and tell the admins."""
    async with uow:
        if await uow.experts.by_user(cmd.user_id) is not None:
            raise InvalidInput("You already have an expert profile; see /expert to edit it.")
        expert_id = await uow.experts.add(cmd.user_id, cmd.draft, policy.currency)
        await tell_admins(uow, expert_id, clock, policy)
        expert = await uow.experts.get(expert_id)
        await uow.commit()
    assert expert is not None
    return expert


async def _own(uow: UnitOfWork, user_id: UUID) -> Expert:
    """The asker's own expert profile (inside an open unit of work)."""
    expert = await uow.experts.by_user(user_id)
    if expert is None:
        raise NotFound(NOT_AN_EXPERT)
    return expert


async def get_expert(expert_id: UUID, uow: UnitOfWork) -> Expert:
    async with uow:
        expert = await uow.experts.get(expert_id, changes=True)
    if expert is None:
        raise NotFound("There is no such expert.")
    return expert


async def my_profile(user_id: UUID, uow: UnitOfWork) -> Expert:
    async with uow:
        return await _own(uow, user_id)


FIELDS = ("name", "bio", "credentials", "rate", "timezone", "languages", "specialties", "link")
OPTIONAL_FIELDS = ("bio", "credentials", "link")  # "-" removes them
# What people type to clear a field.
CLEARING = frozenset({"", "-", "–", "—", "none", "clear", "remove", "delete", "nothing", "n/a"})
_REQUIRED_WHY = {
    "name": "learners need a name to find and book you",
    "rate": "learners need your rate to book you",
    "timezone": "your hours and bookings are in it",
    "languages": "learners filter experts by language",
    "specialties": "search finds you by them",
}


def clears(text: str) -> bool:
    """Whether ``text`` asks to clear a field ("-", "none", "remove", nothing)."""
    return text.strip().lower() in CLEARING


def _edit_values(field: str, text: str, currency: str) -> dict[str, Any]:
    """The column values a field's new text becomes (checked, in canonical form)."""
    if field not in FIELDS:
        raise InvalidInput(f"You can set: {', '.join(FIELDS)}.")
    if clears(text):
        if field not in OPTIONAL_FIELDS:
            raise InvalidInput(
                f"Your {field} can't be removed: {_REQUIRED_WHY[field]}. Change it instead: "
                f"/expert {field} <new value>. Nothing was changed."
            )
        column = "meeting_link" if field == "link" else field
        return {column: None}
    if field == "name":
        return {"display_name": clean_text(text, what="name", limit=100)}
    if field == "bio":
        return {"bio": clean_text(text, what="bio", limit=2000, required=False)}
    if field == "credentials":
        return {"credentials": clean_text(text, what="credentials", limit=2000, required=False)}
    if field == "rate":
        low, high = parse_rate_range(text, currency=currency)
        return {"hourly_rate_min": low, "hourly_rate_max": high}
    if field == "timezone":
        return {"timezone": resolve_zone(text)}
    if field == "languages":
        return {"languages": list(parse_languages(text))}
    if field == "specialties":
        return {"specialties": parse_specialties(text)}
    return {"meeting_link": parse_meeting_link(text)}


async def edit_profile(cmd: EditProfile, uow: UnitOfWork, clock: Clock, policy: Policy) -> Expert:
    """Change one field of the user's own expert profile.

    Once the profile has been approved (verified or suspended), a change to a reviewed field
    (credentials, specialties) waits for an admin (``Expert.changes``) and the approved value
    stays public until then; the admins are told. A required field can't be cleared.
    """
    async with uow:
        expert = await _own(uow, cmd.user_id)
        values = _edit_values(cmd.field, cmd.text, expert.currency)
        top = values.get("hourly_rate_max")
        if top is not None and expert.trial_price is not None and expert.trial_price > top:
            raise InvalidInput(
                f"Your trial lesson costs {expert.trial_price} {expert.currency}, above that top "
                "rate: lower it first (/expert trial <price>) or stop it (/expert trial off). "
                "Nothing was changed."
            )
        approved = expert.status in (Verification.VERIFIED, Verification.SUSPENDED)
        if approved and cmd.field in REVIEWED_FIELDS:
            await _submit_change(uow, expert, values, clock, policy)
        elif "specialties" in values:
            await uow.experts.replace_specialties(expert.id, values["specialties"])
        else:
            await uow.experts.update(expert.id, **values)
        if "timezone" in values:  # the weekly pattern is kept in the expert's zone
            await uow.experts.set_weekly_rows(
                expert.id, await uow.experts.weekly_rows(expert.id), values["timezone"]
            )
        updated = await uow.experts.by_user(cmd.user_id)
        await uow.commit()
    assert updated is not None
    return updated


async def _submit_change(
    uow: UnitOfWork, expert: Expert, values: dict[str, Any], clock: Clock, policy: Policy
) -> None:
    """A verified expert's change to a reviewed field: kept apart for an admin's review (or
    dropped when it comes back to the approved value)."""
    if "specialties" in values:
        change = ProfileChange("specialties", specialties=values["specialties"])
        unchanged = {(s.subject.lower(), s.proficiency) for s in change.specialties} == {
            (s.subject.lower(), s.proficiency) for s in expert.specialties
        }
    else:
        change = ProfileChange("credentials", credentials=values["credentials"])
        unchanged = change.credentials == expert.credentials
    if unchanged:
        await uow.experts.drop_changes(expert.id, change.field)
        return
    await uow.experts.put_change(expert.id, change)
    await tell_admins(uow, expert.id, clock, policy)


async def set_availability(cmd: SetAvailability, uow: UnitOfWork) -> HoursReplaced:
    """Replace the expert's weekly availability; says what it was and what it is now."""
    weekly = parse_weekly(cmd.text)
    async with uow:
        expert = await _own(uow, cmd.user_id)
        before = WeeklyAvailability.from_rows(await uow.experts.weekly_rows(expert.id))
        await uow.experts.set_weekly_rows(expert.id, weekly.to_rows(), expert.timezone)
        await uow.commit()
    return HoursReplaced(before.format(), weekly.format())


async def weekly_availability(user_id: UUID, uow: UnitOfWork) -> tuple[Expert, str]:
    async with uow:
        expert = await _own(uow, user_id)
        rows = await uow.experts.weekly_rows(expert.id)
    return expert, WeeklyAvailability.from_rows(rows).format()


async def add_time_off(cmd: AddTimeOff, uow: UnitOfWork, clock: Clock) -> list[tuple[Any, Any]]:
    """Block whole local dates (``2026-12-24..2026-12-31``); returns all time off."""
    async with uow:
        expert = await _own(uow, cmd.user_id)
        start, end = parse_timeoff(cmd.text, today=local_date(clock.now(), expert.timezone))
        await uow.experts.add_time_off(expert.id, start, end)
        periods = await uow.experts.time_off(expert.id)
        await uow.commit()
    return periods


async def time_off(user_id: UUID, uow: UnitOfWork, clock: Clock) -> list[tuple[Any, Any]]:
    """The expert's days off that have not ended yet (dates in their zone), soonest first."""
    async with uow:
        expert = await _own(uow, user_id)
        periods = await uow.experts.time_off(expert.id)
    today = local_date(clock.now(), expert.timezone)
    return [(start, end) for start, end in periods if end >= today]


async def remove_time_off(
    cmd: RemoveTimeOff, uow: UnitOfWork, clock: Clock
) -> list[tuple[Any, Any]]:
    """Remove days off as ``/timeoff`` lists them: a stretch (``2026-12-24..2026-12-31``) or a
    single day; a day inside a longer stretch is refused with the stretch to remove. Returns
    the time off left."""
    start, end = parse_timeoff(cmd.text, today=date.min)
    async with uow:
        expert = await _own(uow, cmd.user_id)
        if not await uow.experts.remove_time_off(expert.id, start, end):
            periods = await uow.experts.time_off(expert.id)
            around = [(a, b) for a, b in periods if a <= end and start <= b]
            shown = ", ".join(_stretch(a, b) for a, b in around)
            if around:
                raise InvalidInput(
                    f"{_stretch(start, end)} is part of your time off {shown}; remove that "
                    f"whole stretch (/timeoff remove {_stretch(*around[0])}) and add back the "
                    "days you still want off. Nothing was changed."
                )
            raise InvalidInput(
                f"You have no time off on {_stretch(start, end)}; /timeoff lists your days off."
            )
        periods = await uow.experts.time_off(expert.id)
        await uow.commit()
    today = local_date(clock.now(), expert.timezone)
    return [(a, b) for a, b in periods if b >= today]


def _stretch(start: date, end: date) -> str:
    return str(start) if start == end else f"{start}..{end}"


async def anyone_teaches(subject: str, uow: UnitOfWork) -> bool:
    """Whether any verified expert teaches ``subject``, whatever the other filters."""
    known = find_subject(subject)
    names = () if known is None else (known.name, *known.aliases)
    filters = SearchFilters(subject, known_as=names)
    async with uow:
        return bool(await uow.experts.search(filters, limit=1, offset=0))


def _now_for(cache: SearchCache, clock: Clock, policy: Policy) -> datetime:
    """ "Now" for a cached read: rounded up to the slot grid, so that one entry serves a whole
    grid step (slots start on it, so none shows that is too soon to book)."""
    now = clock.now()
    if not cache.caching:
        return now
    step = policy.grid.total_seconds()
    rounded = math.ceil(now.timestamp() / step) * step
    return datetime.fromtimestamp(rounded, tz=UTC)


def _ids(profiles: list[ExpertProfile] | ExpertProfile) -> list[UUID]:
    found = profiles if isinstance(profiles, list) else [profiles]
    return [card.expert.id for card in found]


async def search(
    filters: SearchFilters,
    uow: UnitOfWork,
    clock: Clock,
    policy: Policy,
    page: int = 0,
    cache: SearchCache = NO_CACHE,
) -> list[ExpertProfile]:
    """A page of verified experts for a subject, best rated (then most booked) first, each with
    recent reviews and the next free hours in the coming week.

    With ``free_within_days`` only experts with an open slot in that many days are listed.
    The result is the same for every viewer (times in UTC), read through ``cache``.
    """
    now = _now_for(cache, clock, policy)
    known = find_subject(filters.subject)
    if known is not None and not filters.known_as:
        filters = replace(filters, known_as=(known.name, *known.aliases))
    return await cache.read(
        ("search", filters, page, now, policy),
        lambda: _search(filters, uow, now, policy, page),
        experts=_ids,
        free_time=filters.free_within_days is not None,
    )


async def _search(
    filters: SearchFilters, uow: UnitOfWork, now: datetime, policy: Policy, page: int
) -> list[ExpertProfile]:
    week = timedelta(days=7)
    async with uow:
        if filters.free_within_days is None:
            found = await uow.experts.search(filters, limit=PAGE_SIZE, offset=page * PAGE_SIZE)
            slots = await open_slots_for(uow, found, 60, now, policy, week, limit=3)
        else:
            found, slots = await _with_free_time(filters, uow, now, policy, page)
        reviews = await uow.experts.reviews([e.id for e in found], 3)
    return [ExpertProfile(e, tuple(reviews[e.id]), tuple(slots[e.id][:3])) for e in found]


async def _with_free_time(
    filters: SearchFilters, uow: UnitOfWork, now: datetime, policy: Policy, page: int
) -> tuple[list[Expert], dict[UUID, list[datetime]]]:
    """Walk the ranked matches a batch at a time, keeping those with a free hour soon enough."""
    assert filters.free_within_days is not None
    within = timedelta(days=filters.free_within_days)
    wanted = (page + 1) * PAGE_SIZE
    kept: list[Expert] = []
    slots: dict[UUID, list[datetime]] = {}
    offset = 0
    while len(kept) < wanted:
        batch = await uow.experts.search(filters, limit=2 * PAGE_SIZE, offset=offset)
        if not batch:
            break
        offset += len(batch)
        found = await open_slots_for(uow, batch, 60, now, policy, max(within, timedelta(days=7)))
        for expert in batch:
            if any(slot <= now + within for slot in found[expert.id]):
                kept.append(expert)
                slots[expert.id] = found[expert.id]
    page_of = kept[page * PAGE_SIZE : wanted]
    return page_of, {e.id: slots[e.id] for e in page_of}


async def profile(
    expert_id: UUID,
    uow: UnitOfWork,
    clock: Clock,
    policy: Policy,
    *,
    slots: int = 3,
    cache: SearchCache = NO_CACHE,
) -> ExpertProfile:
    """A verified expert's card: the profile, recent reviews and the next free hours (read
    through ``cache``; the same for every viewer)."""
    now = _now_for(cache, clock, policy)
    return await cache.read(
        ("card", expert_id, slots, now, policy),
        lambda: _profile(expert_id, uow, now, policy, slots),
        experts=_ids,
    )


async def _profile(
    expert_id: UUID, uow: UnitOfWork, now: datetime, policy: Policy, slots: int
) -> ExpertProfile:
    async with uow:
        expert = await uow.experts.get(expert_id)
        if expert is None or not expert.status.listed:
            raise NotFound("That expert isn't available.")
        reviews = await uow.experts.reviews([expert_id], 3)
        next_slots = await open_slots_of(
            uow, expert, 60, now, policy, timedelta(days=7), limit=slots
        )
    return ExpertProfile(expert, tuple(reviews[expert_id]), tuple(next_slots))


async def available_slots(
    expert_id: UUID,
    minutes: int,
    uow: UnitOfWork,
    clock: Clock,
    policy: Policy,
    within: timedelta = timedelta(days=14),
) -> list[datetime]:
    """Open slot starts (UTC) of a verified expert for a session of ``minutes``."""
    price_for(Decimal(1), Decimal(1), minutes)  # refuses durations we don't offer
    async with uow:
        expert = await uow.experts.get(expert_id, specialties=False)
        if expert is None or not expert.status.listed:
            raise NotFound("That expert isn't available.")
        return await open_slots_of(uow, expert, minutes, clock.now(), policy, within)
