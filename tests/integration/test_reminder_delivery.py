"""Reminders end to end: planned from preferences, sent by the worker at local times, re-planned
when anything they depend on changes, and caught up sensibly after downtime."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from bot.handlers.base import Reply
from bot.handlers.courier import SENT, Delivery
from bot.handlers.router import Dispatcher
from bot.worker import NotificationWorker
from domain.marketplace import bookings, experts, moves
from domain.marketplace.commands import (
    ActOnBooking,
    AnswerMove,
    BecomeExpert,
    BookSlot,
    RescheduleBooking,
    SetAvailability,
    VerifyExpert,
)
from domain.marketplace.model import Action, Booking, Policy
from domain.notifications.services import ensure_planned
from tests.support import FakeClock, Learner, expert_draft, private_database


@pytest.fixture(scope="module")
async def engine(server_url: str) -> AsyncIterator[AsyncEngine]:
    """This module's own database: the workers here claim every due row."""
    async with private_database(server_url) as engine:
        yield engine


class Phone:
    """A courier that records what reached whom, and when (by the test's clock)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.received: list[tuple[str, datetime, Reply]] = []

    async def send(self, chat_id: str, reply: Reply) -> Delivery:
        self.received.append((chat_id, self.clock.now(), reply))
        await asyncio.sleep(0)
        return SENT

    def of(self, person: Learner, containing: str = "") -> list[tuple[datetime, str]]:
        return [
            (at, reply.text)
            for chat, at, reply in self.received
            if chat == person.name and containing in reply.text
        ]


class World:
    """A dispatcher, a worker with a recording phone, and a clock the test moves."""

    def __init__(self, engine: AsyncEngine, start: datetime) -> None:
        self.engine = engine
        self.clock = FakeClock(start)
        self.policy = Policy()
        self.dispatcher: Dispatcher = bootstrap(engine, clock=self.clock, policy=self.policy)
        self.phone = Phone(self.clock)
        self.worker = NotificationWorker(self.dispatcher.ctx, {"terminal": self.phone})

    async def learner(self, zone: str, *lines: str) -> Learner:
        person = Learner(self.dispatcher)
        await person.say(f"/timezone {zone}")
        for line in lines:
            await person.say(line)
        return person

    async def user_id(self, person: Learner) -> uuid.UUID:
        async with self.engine.connect() as conn:
            return await conn.scalar(
                text("SELECT user_id FROM platform_identities WHERE external_id = :n"),
                {"n": person.name},
            )

    async def pending(self, person: Learner, kind: str | None = None) -> list[datetime]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT due_at FROM notifications WHERE user_id = :u AND status = 'pending'"
                    " AND (CAST(:kind AS text) IS NULL OR kind = :kind) ORDER BY due_at"
                ),
                {"u": await self.user_id(person), "kind": kind},
            )
            return [due for (due,) in rows]

    async def live_until(self, person: Learner, until: datetime) -> None:
        """A worker that never sleeps: jump to each of the person's due notifications in turn
        (delivering whatever else is due on the way) until ``until``."""
        while (due := await self.pending(person)) and due[0] <= until:
            self.clock.set(max(self.clock.now(), due[0]))
            await self.worker.drain()
        self.clock.set(max(self.clock.now(), until))
        await self.worker.drain()


def utc(text_: str) -> datetime:
    return datetime.fromisoformat(text_).replace(tzinfo=UTC)


STUDYING = "/new Python | 40 | 30 | beginner"


@pytest.mark.parametrize(
    ("zone", "at", "expected"),
    [
        # America/New_York: 19:00 is 00:00Z in winter and 23:00Z in summer.
        (
            "America/New_York",
            "19:00",
            ["2026-03-08 00:00", "2026-03-08 23:00", "2026-03-09 23:00"],
        ),
        (
            "America/New_York",
            "19:00",
            ["2026-10-31 23:00", "2026-11-02 00:00", "2026-11-03 00:00"],
        ),
        # 02:30 does not exist on 8 March: once, when the clocks jump to 03:00 EDT.
        (
            "America/New_York",
            "02:30",
            ["2026-03-07 07:30", "2026-03-08 07:00", "2026-03-09 06:30"],
        ),
        # 01:30 happens twice on 1 November: once, at the first (EDT).
        (
            "America/New_York",
            "01:30",
            ["2026-10-31 05:30", "2026-11-01 05:30", "2026-11-02 06:30"],
        ),
        ("Europe/London", "01:30", ["2026-03-28 01:30", "2026-03-29 01:00", "2026-03-30 00:30"]),
        ("Europe/London", "01:30", ["2026-10-24 00:30", "2026-10-25 00:30", "2026-10-26 01:30"]),
        ("Europe/London", "19:00", ["2026-03-28 19:00", "2026-03-29 18:00", "2026-03-30 18:00"]),
        # Sydney: 02:00 -> 03:00 on 4 October, 03:00 -> 02:00 on 5 April.
        (
            "Australia/Sydney",
            "02:30",
            ["2026-10-02 16:30", "2026-10-03 16:00", "2026-10-04 15:30"],
        ),
        (
            "Australia/Sydney",
            "02:30",
            ["2026-04-03 15:30", "2026-04-04 15:30", "2026-04-05 16:30"],
        ),
        # Lord Howe (+10:30 / +11:00) moves by half an hour: 02:00 -> 02:30 on 4 October.
        (
            "Australia/Lord_Howe",
            "02:15",
            ["2026-10-02 15:45", "2026-10-03 15:30", "2026-10-04 15:15"],
        ),
        # Adelaide, +09:30 -> +10:30.
        (
            "Australia/Adelaide",
            "19:00",
            ["2026-10-03 09:30", "2026-10-04 08:30", "2026-10-05 08:30"],
        ),
    ],
)
async def test_a_study_reminder_fires_once_a_day_at_the_local_time_across_dst_changes(
    engine: AsyncEngine, zone: str, at: str, expected: list[str]
) -> None:
    first = utc(expected[0])
    world = World(engine, first - timedelta(hours=12))
    ann = await world.learner(zone, STUDYING, f"/remind {at}")

    await world.live_until(ann, utc(expected[-1]) + timedelta(hours=2))

    sent = world.phone.of(ann, "Time to study")
    assert [at.strftime("%Y-%m-%d %H:%M") for at, _ in sent] == expected
    assert "session 1, " in sent[0][1]
    following = await world.pending(ann, "study_reminder")
    assert len(following) == 1 and following[0] > utc(expected[-1])  # the chain goes on


async def test_no_study_reminder_on_a_day_already_studied_and_it_names_the_next_session(
    engine: AsyncEngine,
) -> None:
    world = World(engine, utc("2026-06-01 08:00"))  # Monday, 10:00 in Berlin
    ann = await world.learner("Europe/Berlin", STUDYING, "/remind 19:00")
    await ann.say("/done")  # studied on Monday
    await world.live_until(ann, utc("2026-06-02 20:00"))

    sent = world.phone.of(ann, "Time to study")
    assert [at for at, _ in sent] == [utc("2026-06-02 17:00")]  # Tuesday only
    assert "session 2, " in sent[0][1]


async def test_the_streak_warning_comes_only_for_a_live_streak_and_never_while_muted(
    engine: AsyncEngine,
) -> None:
    world = World(engine, utc("2026-06-01 08:00"))
    ann = await world.learner("Europe/Berlin", STUDYING)
    await world.live_until(ann, utc("2026-06-01 20:00"))
    assert world.phone.of(ann) == []  # no streak yet: nothing to lose

    await ann.say("/done")  # Monday: a 1-day streak
    await world.live_until(ann, utc("2026-06-02 20:00"))  # Tuesday 20:00 Berlin = 18:00Z
    warned = world.phone.of(ann, "streak")
    assert [at for at, _ in warned] == [utc("2026-06-02 18:00")]
    assert "1-day streak ends tonight" in warned[0][1]

    await ann.say("/done")  # Tuesday
    await ann.say("/mute 3d")  # until Friday 22:00 in Berlin
    await world.live_until(ann, utc("2026-06-05 20:00"))
    assert len(world.phone.of(ann, "streak")) == 1  # silent while muted
    assert await world.pending(ann, "streak_reminder") == [utc("2026-06-06 18:00")]


async def test_changing_time_zone_or_reminder_time_re_plans_what_is_waiting(
    engine: AsyncEngine,
) -> None:
    world = World(engine, utc("2026-06-01 08:00"))
    ann = await world.learner("Europe/Berlin", STUDYING, "/remind 19:00")
    assert await world.pending(ann, "study_reminder") == [utc("2026-06-01 17:00")]
    await ann.say("/timezone America/New_York")
    assert await world.pending(ann, "study_reminder") == [utc("2026-06-01 23:00")]
    await ann.say("/remind 07:15")  # it is 04:00 in New York
    assert await world.pending(ann, "study_reminder") == [utc("2026-06-01 11:15")]
    assert await world.pending(ann, "streak_reminder") == [utc("2026-06-02 00:00")]
    await ann.say("/remind off")
    assert await world.pending(ann, "study_reminder") == []


async def test_after_downtime_late_daily_reminders_are_dropped_and_booking_ones_still_sent(
    engine: AsyncEngine,
) -> None:
    world = World(engine, utc("2026-06-01 08:00"))
    ann = await world.learner("Europe/Berlin", STUDYING, "/remind 19:00")
    expert, learner = await marketplace_pair(world, ann)
    booking = await book_and_confirm(world, expert, learner, utc("2026-06-03 07:00"))

    # The worker is down from Monday 10:00 until Wednesday 06:30 UTC: study reminders of Monday
    # and Tuesday evening are over an hour late; the booking's 1 h reminder (06:00Z) is late
    # but its session (07:00Z) has not started.
    world.clock.set(utc("2026-06-03 06:30"))
    restarted = NotificationWorker(world.dispatcher.ctx, {"terminal": world.phone})
    await restarted.drain()

    assert world.phone.of(ann, "Time to study") == []  # no burst of stale nudges
    reminded = world.phone.of(ann, "Your session starts in")
    assert [at for at, _ in reminded] == [utc("2026-06-03 06:30")]
    assert "30 min" in reminded[0][1] and "Meeting link: https://" in reminded[0][1]
    assert booking.ref in reminded[0][1]
    # The daily chain resumed from now: Wednesday's reminder is planned, not Monday's.
    assert await world.pending(ann, "study_reminder") == [utc("2026-06-03 17:00")]


async def test_booking_reminders_reach_both_sides_and_follow_the_booking(
    engine: AsyncEngine,
) -> None:
    world = World(engine, utc("2026-06-01 08:00"))
    ann = await world.learner("Europe/Berlin", STUDYING)
    expert, learner = await marketplace_pair(world, ann)
    starts = utc("2026-06-05 08:00")
    booking = await book_and_confirm(world, expert, learner, starts)
    expected = [starts - timedelta(hours=24), starts - timedelta(hours=1)]
    assert await world.pending(ann, "booking_reminder") == expected
    assert await world.pending(expert.person, "booking_reminder") == expected

    # The session starts at 10:00 Berlin time; the reminders are due at 09:00, in the learner's
    # new quiet hours 08:30-11:00. The day before, after them (11:00) is in time; on the day it
    # would be too late, so it comes just before they begin (08:29).
    await ann.say("/quiet 08:30-11:00")
    assert await world.pending(ann, "booking_reminder") == [
        utc("2026-06-04 09:00"),
        utc("2026-06-05 06:29"),
    ]

    moved = starts + timedelta(days=1)
    await moves.reschedule(
        RescheduleBooking(expert.user_id, booking.id, moved, reason="a clash"),
        world.dispatcher.ctx.uow(),
        world.clock,
        world.policy,
    )
    assert await world.pending(ann, "booking_reminder") != []  # proposed: nothing moves yet
    await moves.answer_move(
        AnswerMove(learner, booking.id, moved, accept=True),
        world.dispatcher.ctx.uow(),
        world.clock,
        world.policy,
    )
    assert await world.pending(expert.person, "booking_reminder") == [
        moved - timedelta(hours=24),
        moved - timedelta(hours=1),
    ]

    await bookings.act(
        ActOnBooking(learner, booking.id, Action.CANCEL, reason="ill"),
        world.dispatcher.ctx.uow(),
        world.clock,
        world.policy,
        world.dispatcher.ctx.payments,
    )
    assert await world.pending(ann, "booking_reminder") == []
    assert await world.pending(expert.person, "booking_reminder") == []


async def test_an_alert_during_quiet_hours_waits_until_they_end(engine: AsyncEngine) -> None:
    world = World(engine, utc("2026-06-01 21:00"))  # 23:00 in Berlin
    ann = await world.learner("Europe/Berlin", STUDYING)
    expert, learner = await marketplace_pair(world, ann)
    await expert.person.say("/quiet 22:00-07:30")
    await bookings.book(
        BookSlot(learner, expert.expert_id, utc("2026-06-04 08:00"), 60),
        world.dispatcher.ctx.uow(),
        world.clock,
        world.policy,
    )
    await world.worker.drain()
    assert world.phone.of(expert.person, "New booking request") == []
    world.clock.set(utc("2026-06-02 05:29"))
    await world.worker.drain()
    assert world.phone.of(expert.person, "New booking request") == []
    world.clock.set(utc("2026-06-02 05:30"))  # 07:30 in Berlin
    await world.worker.drain()
    assert len(world.phone.of(expert.person, "New booking request")) == 1


async def test_experts_are_asked_once_to_mark_an_ended_session(engine: AsyncEngine) -> None:
    world = World(engine, utc("2026-06-01 08:00"))
    ann = await world.learner("Europe/Berlin", STUDYING)
    expert, learner = await marketplace_pair(world, ann)
    booking = await book_and_confirm(world, expert, learner, utc("2026-06-02 08:00"))
    ctx = world.dispatcher.ctx
    assert await bookings.prompt_to_mark(ctx.uow(), world.clock) == 0  # not over yet

    world.clock.set(utc("2026-06-02 09:30"))
    assert await bookings.prompt_to_mark(ctx.uow(), world.clock) == 1
    assert await bookings.prompt_to_mark(ctx.uow(), world.clock) == 0  # once
    await world.worker.drain()
    (prompt,) = [
        reply for chat, _, reply in world.phone.received if "How did it go?" in reply.text
    ]
    assert booking.ref in prompt.text
    assert [b.label for row in prompt.buttons for b in row][:2] == ["Completed", "No-show"]


async def test_two_workers_settling_together_plan_each_next_reminder_once(
    engine: AsyncEngine,
) -> None:
    world = World(engine, utc("2026-07-01 08:00"))
    people = [await world.learner("Asia/Kolkata", STUDYING, "/remind 19:00") for _ in range(30)]
    world.clock.set(utc("2026-07-01 13:30"))  # 19:00 in Kolkata
    others = NotificationWorker(world.dispatcher.ctx, {"terminal": world.phone}, batch=7)
    mine = NotificationWorker(world.dispatcher.ctx, {"terminal": world.phone}, batch=5)
    await asyncio.gather(mine.drain(), others.drain())

    for person in people:
        assert len(world.phone.of(person, "Time to study")) == 1
        assert await world.pending(person, "study_reminder") == [utc("2026-07-02 13:30")]


async def test_missing_reminder_chains_are_repaired_once(engine: AsyncEngine) -> None:
    world = World(engine, utc("2026-08-03 08:00"))
    ann = await world.learner("Europe/Berlin", STUDYING, "/remind 19:00")
    async with engine.begin() as conn:  # e.g. users imported, or rows lost in a restore
        await conn.execute(
            text("DELETE FROM notifications WHERE user_id = :u"), {"u": await world.user_id(ann)}
        )
    ctx = world.dispatcher.ctx
    assert await ensure_planned(ctx.uow(), world.clock) >= 2
    assert await world.pending(ann, "study_reminder") == [utc("2026-08-03 17:00")]
    assert await world.pending(ann, "streak_reminder") == [utc("2026-08-03 18:00")]
    assert await ensure_planned(ctx.uow(), world.clock) == 0


async def test_messages_go_to_the_chosen_platform_or_where_the_person_last_wrote(
    engine: AsyncEngine,
) -> None:
    world = World(engine, utc("2026-09-07 08:00"))
    ann = await world.learner("Europe/Berlin", STUDYING, "/remind 19:00")
    async with engine.begin() as conn:  # Ann also uses Telegram, and wrote there last
        await conn.execute(
            text(
                "INSERT INTO platform_identities (user_id, platform, external_id, chat_id,"
                " display_name, updated_at) VALUES (:u, 'telegram', :n, :n, 'Ann',"
                " now() + interval '1 hour')"
            ),
            {"u": await world.user_id(ann), "n": f"tg-{ann.name}"},
        )
    telegram = Phone(world.clock)
    world.worker = NotificationWorker(
        world.dispatcher.ctx, {"terminal": world.phone, "telegram": telegram}
    )
    await world.live_until(ann, utc("2026-09-07 17:00"))
    assert [chat for chat, _, _ in telegram.received] == [f"tg-{ann.name}"]

    assert "Usage: /notify_on" in await ann.say("/notify_on pigeon")
    assert "go to Terminal" in await ann.say("/notify_on terminal")
    assert "Sent to: Terminal" in await ann.say("/settings")
    await world.live_until(ann, utc("2026-09-08 17:00"))
    assert len(telegram.received) == 1 and len(world.phone.of(ann, "Time to study")) == 1


# -- marketplace set-up ------------------------------------------------------------------------


class Expert:
    def __init__(self, person: Learner, user_id: uuid.UUID, expert_id: uuid.UUID) -> None:
        self.person, self.user_id, self.expert_id = person, user_id, expert_id


async def marketplace_pair(world: World, learner: Learner) -> tuple[Expert, uuid.UUID]:
    """A verified expert (Berlin, every day 06:00-22:00) and the learner's user id."""
    person = await world.learner("Europe/Berlin")
    user_id = await world.user_id(person)
    ctx = world.dispatcher.ctx
    draft = expert_draft(person.name, "Python")
    expert = await experts.become_expert(
        BecomeExpert(user_id, draft), ctx.uow(), world.clock, world.policy
    )
    await experts.verify_expert(
        VerifyExpert(None, expert.id, True), ctx.uow(), world.clock, world.policy
    )
    days = "; ".join(f"{day} 06:00-22:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat"))
    await experts.set_availability(SetAvailability(user_id, days + "; sun 06:00-22:00"), ctx.uow())
    return Expert(person, user_id, expert.id), await world.user_id(learner)


async def book_and_confirm(
    world: World, expert: Expert, learner: uuid.UUID, starts: datetime
) -> Booking:
    ctx = world.dispatcher.ctx
    booking = await bookings.book(
        BookSlot(learner, expert.expert_id, starts, 60), ctx.uow(), world.clock, world.policy
    )
    return await bookings.act(
        ActOnBooking(expert.user_id, booking.id, Action.CONFIRM),
        ctx.uow(),
        world.clock,
        world.policy,
        ctx.payments,
    )
