"""Keeping the outbox's planned reminders in step with preferences, time zones and bookings.

Each user with a daily reminder switched on has its next occurrence waiting in the outbox as a
``pending`` notification. When a worker settles one (sent, skipped or dropped), the next is
planned in the same transaction, so the chain never breaks and never forks (occurrences are
named by ``dedupe_key``). A change of preferences or time zone re-plans the user; a booking's
reminders are planned when it is confirmed and withdrawn or re-planned when it changes.
``ensure_planned`` (daily) repairs any user whose chain is missing, e.g. after an import.

Whether a reminder still applies (the learner studied today, the streak is already safe, they
are on vacation, the weekly goal is on track, the booking was cancelled) is decided when it is
due, by ``study_facts`` and the renderer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from uuid import UUID

from domain.learning import goals, schedule, streaks
from domain.learning.cards import cards_due
from domain.learning.model import CurriculumStatus
from domain.marketplace.model import Booking, BookingStatus
from domain.notifications import preferences
from domain.notifications.model import (
    BOOKING,
    RECURRING,
    ChangePreferences,
    NotificationKind,
    Planned,
    PreferencesChanged,
    StudyFacts,
    ToggleReminder,
)
from domain.notifications.planning import (
    DAILY_SWITCHES,
    LATE_AFTER,
    booking_reminders,
    daily_reminders,
    next_daily,
)
from domain.notifications.preferences import NotificationPreferences
from domain.shared.clock import Clock
from domain.shared.errors import NotFound
from domain.unit_of_work import UnitOfWork


async def get_preferences(user_id: UUID, uow: UnitOfWork) -> tuple[str, NotificationPreferences]:
    """The user's time zone and notification preferences."""
    async with uow:
        zone = (await uow.users.get(user_id)).timezone
        return zone, preferences.load(await uow.users.preferences(user_id))


async def change_preferences(
    cmd: ChangePreferences | ToggleReminder, uow: UnitOfWork, clock: Clock
) -> PreferencesChanged:
    """Set (``ChangePreferences``) or flip (``ToggleReminder``) some of a person's preferences.

    The stored document is read under a row lock (two changes at once lose neither), the
    result validated (``InvalidInput`` naming the field, nothing changed), and the person's
    reminders re-planned in the same transaction.
    """
    async with uow:
        current = preferences.load(await uow.users.preferences(cmd.user_id, lock=True))
        document = current.model_dump(mode="json")
        if isinstance(cmd, ToggleReminder):
            section = getattr(current, cmd.section)
            document[cmd.section] = {**document[cmd.section], "enabled": not section.enabled}
        else:
            for key, value in cmd.changes.items():
                merge = isinstance(value, Mapping) and isinstance(document.get(key), dict)
                document[key] = {**document[key], **value} if merge else value
        updated = preferences.load(document)
        await uow.users.set_preferences(cmd.user_id, updated.as_json())
        await replan_user(cmd.user_id, uow, clock.now())
        zone = (await uow.users.get(cmd.user_id)).timezone
        await uow.commit()
    return PreferencesChanged(updated, zone)


async def replan_user(user_id: UUID, uow: UnitOfWork, now: datetime) -> None:
    """Withdraw and re-plan one user's reminders (inside the caller's transaction)."""
    profiles = await uow.users.reminder_profiles([user_id])
    if user_id not in profiles:
        return
    zone, raw = profiles[user_id]
    prefs = preferences.load(raw)
    await uow.notifications.withdraw([user_id], [*RECURRING, BOOKING])
    planned = daily_reminders(user_id, zone, prefs, now)
    for booking in await uow.bookings.for_user(user_id):
        if booking.status is BookingStatus.SCHEDULED and booking.starts_at > now:
            planned += booking_reminders(user_id, booking.id, booking.starts_at, zone, prefs, now)
    await uow.notifications.plan(planned)


async def replan_booking(booking: Booking, uow: UnitOfWork, now: datetime) -> None:
    """Withdraw a booking's pending reminders; plan them again if it is (still) scheduled."""
    parties = [booking.learner_id, booking.expert_user_id]
    await uow.notifications.withdraw(parties, [BOOKING], booking_id=booking.id)
    if booking.status is not BookingStatus.SCHEDULED or booking.starts_at <= now:
        return
    planned: list[Planned] = []
    for user_id, (zone, raw) in (await uow.users.reminder_profiles(parties)).items():
        planned += booking_reminders(
            user_id, booking.id, booking.starts_at, zone, preferences.load(raw), now
        )
    await uow.notifications.plan(planned)


async def plan_following(
    settled: Iterable[tuple[UUID, NotificationKind, datetime]], uow: UnitOfWork, now: datetime
) -> None:
    """After daily reminders were settled: plan each one's next occurrence.

    ``settled`` holds (user, kind, the instant the settled one was meant for) of daily
    reminders (``model.RECURRING``) only. The next one is
    the first after that instant, or after an hour ago if the worker is catching up after
    downtime, so a long outage is skipped over rather than replayed day by day.
    """
    settled = list(settled)
    if not settled:
        return
    profiles = await uow.users.reminder_profiles(sorted({user for user, _, _ in settled}))
    planned = []
    for user_id, kind, meant_for in settled:
        if user_id not in profiles:
            continue
        zone, raw = profiles[user_id]
        after = max(meant_for, now - LATE_AFTER)
        following = next_daily(user_id, kind, zone, preferences.load(raw), after)
        if following is not None:
            planned.append(following)
    await uow.notifications.plan(planned)


async def ensure_planned(uow: UnitOfWork, clock: Clock, *, batch: int = 200) -> int:
    """Plan daily reminders for users who want them and have none waiting; returns how many.

    Pages through users by id, so it runs in bounded memory over any number of users, in
    small pages so that a worker sharing the event loop keeps sending in between.
    """
    total, after = 0, None
    while True:
        async with uow:
            missing = await uow.users.without_daily_reminders(after, batch, DAILY_SWITCHES)
            if not missing:
                return total
            now = clock.now()
            planned = []
            for user_id, zone, raw in missing:
                planned += daily_reminders(user_id, zone, preferences.load(raw), now)
            total += await uow.notifications.plan(planned)
            await uow.commit()
        after = missing[-1][0]


async def study_facts(user_id: UUID, day: date, uow: UnitOfWork, now: datetime) -> StudyFacts:
    """The learner's standing on local ``day``, for a study, streak, goal or review reminder."""
    async with uow:
        raw = await uow.users.preferences(user_id)
        zone = (await uow.users.get(user_id)).timezone
        due = await cards_due(user_id, day, zone, uow)
        curricula = [
            c for c in await uow.curricula.list_for(user_id) if c.status is CurriculumStatus.ACTIVE
        ]
        current_id = await uow.curricula.current_id(user_id)
        try:
            current = (
                None
                if current_id is None
                else await uow.curricula.get_owned(current_id, owner=user_id)
            )
        except NotFound:
            current = None
        by_plan = await uow.habits.days_by_plan(user_id)
        off = streaks.vacation_days(await uow.habits.vacations(user_id))
        habits = await uow.habits.habits(user_id)
        week = None
        if habits.goal_minutes or habits.goal_sessions:
            since = goals.week_start(day, habits.week_starts)
            week = goals.week_standing(
                habits, await uow.curricula.study_tallies(user_id, since=since), day
            )
    states = [streaks.streak_state(by_plan.get(c.id, ()), off, day) for c in curricula]
    return StudyFacts(
        streak=max((state.length for state in states), default=0),
        studied=any(state.studied_today for state in states),
        at_risk=any(state.at_risk for state in states),
        curriculum_title=None if current is None else current.title,
        next_session=None if current is None else current.next_session,
        session_minutes=0 if current is None else current.session_minutes,
        muted=preferences.load(raw).muted(now),
        schedule=None
        if current is None or current.schedule is None
        else schedule.standing(
            current.schedule,
            total_sessions=current.total_sessions,
            completed=current.progress.sessions_completed,
            today=day,
            studied_today=current.progress.last_local_date == day,
        ),
        on_vacation=day in off,
        freezes_held=streaks.streak_state(
            {d for days in by_plan.values() for d in days}, off, day
        ).freezes_held,
        week=week,
        goal_reminder_day=goals.is_reminder_day(day, habits.week_starts),
        cards_due=due,
    )
