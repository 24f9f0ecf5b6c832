"""Expert services: onboarding, profile edits, verification, availability and search."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.learning.matching import find_subject
from domain.marketplace.availability import WeeklyAvailability, parse_timeoff, parse_weekly
from domain.marketplace.commands import (
    AddTimeOff,
    BecomeExpert,
    EditProfile,
    SetAvailability,
    VerifyExpert,
)
from domain.marketplace.model import (
    Expert,
    ExpertProfile,
    Policy,
    SearchFilters,
    Verification,
)
from domain.marketplace.parsing import (
    parse_languages,
    parse_meeting_link,
    parse_rate_range,
    parse_specialties,
)
from domain.marketplace.rules import price_for
from domain.marketplace.slots import open_slots_for, open_slots_of
from domain.notifications.model import NotificationKind
from domain.shared.clock import Clock
from domain.shared.errors import InvalidInput, NotAllowed, NotFound
from domain.shared.text import clean_text
from domain.shared.timezones import local_date, resolve_zone
from domain.unit_of_work import UnitOfWork

PAGE_SIZE = 5
NOT_AN_EXPERT = "You don't have an expert profile yet. Create one with /become_expert."


async def is_admin(user_id: UUID, uow: UnitOfWork, policy: Policy) -> bool:
    """True when one of the user's platform identities is named in ``SYLLABOT_ADMINS``."""
    async with uow:
        return user_id in await uow.users.ids_for_identities(policy.admins)


async def _require_admin(uow: UnitOfWork, user_id: UUID, policy: Policy) -> None:
    """Refuse a non-admin (inside an open unit of work)."""
    if user_id not in await uow.users.ids_for_identities(policy.admins):
        raise NotAllowed("Only admins can do that. Nothing was changed.")


async def become_expert(
    cmd: BecomeExpert, uow: UnitOfWork, clock: Clock, policy: Policy
) -> Expert:
    """Create the user's expert profile, pending verification, and tell the admins."""
    async with uow:
        if await uow.experts.by_user(cmd.user_id) is not None:
            raise InvalidInput("You already have an expert profile; see /expert to edit it.")
        expert_id = await uow.experts.add(cmd.user_id, cmd.draft, policy.currency)
        for admin in await uow.users.ids_for_identities(policy.admins):
            await uow.notifications.add(
                admin, NotificationKind.EXPERT_PENDING, {"expert_id": str(expert_id)}, clock.now()
            )
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
        expert = await uow.experts.get(expert_id)
    if expert is None:
        raise NotFound("There is no such expert.")
    return expert


async def my_profile(user_id: UUID, uow: UnitOfWork) -> Expert:
    async with uow:
        return await _own(uow, user_id)


# field name -> (how to parse the text, the column values it becomes)
def _edit_values(field: str, text: str) -> dict[str, Any]:
    if field == "name":
        return {"display_name": clean_text(text, what="name", limit=100)}
    if field == "bio":
        return {"bio": clean_text(text, what="bio", limit=2000, required=False)}
    if field == "credentials":
        return {"credentials": clean_text(text, what="credentials", limit=2000, required=False)}
    if field == "rate":
        low, high = parse_rate_range(text)
        return {"hourly_rate_min": low, "hourly_rate_max": high}
    if field == "timezone":
        return {"timezone": resolve_zone(text)}
    if field == "languages":
        return {"languages": list(parse_languages(text))}
    if field == "link":
        return {"meeting_link": None if text.strip() in ("", "-") else parse_meeting_link(text)}
    raise InvalidInput(
        "You can set: name, bio, credentials, rate, timezone, languages, link, specialties."
    )


async def edit_profile(cmd: EditProfile, uow: UnitOfWork) -> Expert:
    """Change one field of the user's own expert profile."""
    specialties = parse_specialties(cmd.text) if cmd.field == "specialties" else None
    values = {} if specialties is not None else _edit_values(cmd.field, cmd.text)
    async with uow:
        expert = await _own(uow, cmd.user_id)
        if specialties is not None:
            await uow.experts.replace_specialties(expert.id, specialties)
        else:
            await uow.experts.update(expert.id, **values)
        if "timezone" in values:  # the weekly pattern is kept in the expert's zone
            await uow.experts.set_weekly_rows(
                expert.id, await uow.experts.weekly_rows(expert.id), values["timezone"]
            )
        updated = await uow.experts.get(expert.id)
        await uow.commit()
    assert updated is not None
    return updated


async def pending_experts(user_id: UUID, uow: UnitOfWork, policy: Policy) -> list[Expert]:
    async with uow:
        await _require_admin(uow, user_id, policy)
        return await uow.experts.pending()


async def verify_expert(
    cmd: VerifyExpert, uow: UnitOfWork, clock: Clock, policy: Policy
) -> Expert:
    """Approve or reject a pending expert. ``actor`` None means the command line (an operator)."""
    approve, expert_id = cmd.approve, cmd.expert_id
    async with uow:
        if cmd.actor is not None:
            await _require_admin(uow, cmd.actor, policy)
        expert = await uow.experts.get(expert_id)
        if expert is None:
            raise NotFound("There is no such expert.")
        target = Verification.VERIFIED if approve else Verification.REJECTED
        if expert.status is not Verification.PENDING:
            raise InvalidInput(f"{expert.display_name} is already {expert.status.value}.")
        now = clock.now()
        await uow.experts.set_verification(expert_id, target, now if approve else None)
        await uow.notifications.add(
            expert.user_id,
            NotificationKind.EXPERT_VERIFIED if approve else NotificationKind.EXPERT_REJECTED,
            {},
            now,
        )
        await uow.commit()
    return replace(expert, status=target, approval_date=now if approve else None)


async def set_availability(cmd: SetAvailability, uow: UnitOfWork) -> str:
    """Replace the expert's weekly availability; returns it in canonical form."""
    weekly = parse_weekly(cmd.text)
    async with uow:
        expert = await _own(uow, cmd.user_id)
        await uow.experts.set_weekly_rows(expert.id, weekly.to_rows(), expert.timezone)
        await uow.commit()
    return weekly.format()


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


async def search(
    filters: SearchFilters, uow: UnitOfWork, clock: Clock, policy: Policy, page: int = 0
) -> list[ExpertProfile]:
    """A page of verified experts for a subject, best rated (then most booked) first, each with
    recent reviews and the next free hours in the coming week.

    With ``free_within_days`` only experts with an open slot in that many days are listed.
    """
    now = clock.now()
    week = timedelta(days=7)
    known = find_subject(filters.subject)
    if known is not None and not filters.known_as:
        filters = replace(filters, known_as=(known.name, *known.aliases))
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
    expert_id: UUID, uow: UnitOfWork, clock: Clock, policy: Policy, *, slots: int = 3
) -> ExpertProfile:
    """A verified expert's card: the profile, recent reviews and the next free hours."""
    async with uow:
        expert = await uow.experts.get(expert_id)
        if expert is None or expert.status is not Verification.VERIFIED:
            raise NotFound("That expert isn't available.")
        reviews = await uow.experts.reviews([expert_id], 3)
        next_slots = await open_slots_of(
            uow, expert, 60, clock.now(), policy, timedelta(days=7), limit=slots
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
        if expert is None or expert.status is not Verification.VERIFIED:
            raise NotFound("That expert isn't available.")
        return await open_slots_of(uow, expert, minutes, clock.now(), policy, within)
