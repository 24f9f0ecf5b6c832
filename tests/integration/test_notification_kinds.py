"""Every notification kind has one renderer that works, and a kind this code does not know is
dropped, not a crash."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from bot.handlers.base import Reply
from bot.handlers.notifications.notices import RENDERERS, render
from bot.handlers.router import Dispatcher
from db.uow import SqlAlchemyUnitOfWork
from domain.marketplace import bookings, experts, messages
from domain.marketplace.commands import BookSlot, SendMessage
from domain.marketplace.model import Policy
from domain.notifications.model import NotificationKind
from tests.integration.test_booking_series import add_series
from tests.integration.test_marketplace import onboard
from tests.support import FakeClock, Learner, user_id


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))  # Monday 07:00 in Berlin


@pytest.fixture
def admin_name() -> str:
    return f"admin-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def dispatcher(engine: AsyncEngine, clock: FakeClock, admin_name: str) -> Dispatcher:
    return bootstrap(
        engine, clock=clock, policy=Policy(admins=frozenset({("terminal", admin_name)}))
    )


def test_every_notification_kind_has_exactly_one_renderer() -> None:
    assert sorted(RENDERERS) == sorted(NotificationKind)  # a dict: one each, none left over
    assert len(RENDERERS) == len(NotificationKind)


async def test_every_kind_renders_a_reply_for_a_real_booking_expert_and_learner(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, admin_name: str
) -> None:
    admin = Learner(dispatcher, admin_name)
    await admin.say("/start")
    subject = f"Kinds{uuid.uuid4().hex[:6]}"
    expert = await onboard(dispatcher, admin, subject)
    ada = Learner(dispatcher)
    await ada.say("/timezone Europe/Berlin")
    await ada.say("/new Go | 3 | 30 | beginner")
    await ada.say("/done")  # Monday: a streak that Tuesday can lose
    # A week from Thursday to Wednesday: Tuesday is two days before it ends, 1 of 4 done
    await ada.say("/goal 4 sessions")
    await ada.say("/goal week starts thursday")
    await ada.say("/focus")  # over by Tuesday
    await ada.say("/card hola | hello")  # due at once: the review reminder has something to say
    await ada.say(f"/experts {subject}")
    # card, Book, 60 min, first day, first time, and share her plan with the expert
    for press in ("#1", "#1", "#2", "#1", "#1", "#1"):
        await ada.say(press)
    assert "Requested!" in await ada.say("#1")
    assert "New booking request" in await expert.say("/bookings")  # arrives with its buttons
    assert "Confirmed" in await expert.press("✅ Confirm")
    async with engine.connect() as conn:
        booking_id, expert_id = (
            await conn.execute(
                text(
                    "SELECT b.id, b.expert_id FROM bookings b JOIN expert_specialties s"
                    " ON s.expert_id = b.expert_id WHERE s.subject = :s"
                ),
                {"s": subject},
            )
        ).one()
    assert "Saved for review" in await expert.say("/expert credentials PhD")  # admins review it
    clock.set(datetime(2026, 3, 3, 6, 0, tzinfo=UTC))  # Tuesday 07:00, before the session
    learner, admin_id = await user_id(engine, ada), await user_id(engine, admin)
    async with engine.connect() as conn:
        timer_id = await conn.scalar(
            text("SELECT id FROM focus_timers WHERE user_id = :u"), {"u": learner}
        )
    on_tuesday = {"day": "2026-03-03", "at": "2026-03-03T18:00:00+00:00"}
    weeks = [datetime(2026, 3, d, 9, 0, tzinfo=UTC) for d in (4, 11)]
    series_id = await add_series(
        engine, learner, expert_id, weeks, clock.now(), dispatcher.ctx.policy
    )
    expert_user = await user_id(engine, expert)

    def uow() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(engine)

    sent = await messages.send(
        SendMessage(await user_id(engine, expert), booking_id, "See you soon!"),
        SqlAlchemyUnitOfWork(engine),
        clock,
        dispatcher.ctx.policy,
    )
    async with engine.connect() as conn:
        message_id = await conn.scalar(
            text("SELECT id FROM booking_messages WHERE booking_id = :b"), {"b": sent.id}
        )

    # Homework the expert sent on it, answered (as if the session were over).
    async with engine.begin() as conn:
        homework_id = await conn.scalar(
            text(
                "INSERT INTO homework (booking_id, curriculum_id, title, proposed_position,"
                " answered_at, accepted) SELECT id, shared_curriculum_id, 'Pointers', 2, now(),"
                " true FROM bookings WHERE id = :b AND shared_curriculum_id IS NOT NULL"
                " RETURNING id"
            ),
            {"b": booking_id},
        )
    assert homework_id is not None

    # A request still unanswered, for the expert's nudge about it.
    policy = dispatcher.ctx.policy
    [free, *_] = await experts.available_slots(expert_id, 30, uow(), clock, policy)
    waiting = await bookings.book(BookSlot(admin_id, expert_id, free, 30), uow(), clock, policy)
    expert_user = await user_id(engine, expert)
    # Two sessions that ended an hour ago: one to ask about, one with a problem reported.
    async with engine.begin() as conn:
        ended, disputed = list(
            await conn.scalars(
                text(
                    "INSERT INTO bookings (user_id, expert_id, session_date, duration, status,"
                    " payment_status, price, currency) SELECT :l, :e, :at, 60, 'scheduled',"
                    " 'paid', 30, 'EUR' FROM generate_series(1, 2) RETURNING id"
                ),
                {"l": learner, "e": expert_id, "at": datetime(2026, 3, 3, 4, 0, tzinfo=UTC)},
            )
        )
        await conn.execute(
            text(
                "INSERT INTO booking_disputes (booking_id, opened_by, kind, opened_at)"
                " VALUES (:b, 'learner', 'expert_absent', :at)"
            ),
            {"b": disputed, "at": clock.now()},
        )
    after_session = {
        NotificationKind.SESSION_HAPPENED_ASK: (learner, ended),
        NotificationKind.DISPUTE_OPENED: (expert_user, disputed),
        NotificationKind.DISPUTE_ANSWERED: (admin_id, disputed),
        NotificationKind.DISPUTE_DECIDED: (learner, disputed),
    }

    def data(kind: NotificationKind) -> tuple[uuid.UUID, dict[str, Any]]:
        if kind in after_session:
            who, which = after_session[kind]
            return who, {"booking_id": str(which), "decision": "split"}
        if kind is NotificationKind.BOOKING_NUDGE:
            return expert_user, {"booking_id": str(waiting.id), "after_hours": 12}
        if kind is NotificationKind.WAITLIST_FREED:
            freed = {"expert_id": str(expert_id), "day": "2026-03-04", "minutes": 60}
            return learner, freed
        if kind is NotificationKind.EXPERT_PENDING:
            return admin_id, {"expert_id": str(expert_id)}
        if kind is NotificationKind.BACKUP_ALERT:
            return admin_id, {"problem": "the backup failed: disk full"}
        if kind in (
            NotificationKind.STUDY_REMINDER,
            NotificationKind.STREAK_REMINDER,
            NotificationKind.GOAL_REMINDER,
            NotificationKind.REVIEW_REMINDER,
        ):
            return learner, on_tuesday
        if kind is NotificationKind.BOOKING_MESSAGE:
            return learner, {"booking_id": str(booking_id), "message_id": str(message_id)}
        if kind is NotificationKind.ACCOUNT_INACTIVE:
            return learner, {"delete_on": "2026-04-02"}
        if kind is NotificationKind.FOCUS_END:
            return learner, {"timer_id": str(timer_id)}
        if kind is NotificationKind.PAYOUT_MADE:
            return learner, {"amount": "25.50", "currency": "EUR", "sessions": 1}
        if kind is NotificationKind.SERIES_REQUESTED:
            return expert_user, {"series_id": str(series_id)}
        if kind is NotificationKind.HOMEWORK_SENT:
            return learner, {"homework_id": str(homework_id)}
        if kind in (NotificationKind.HOMEWORK_ANSWERED, NotificationKind.PLAN_SHARED):
            return expert_user, {"homework_id": str(homework_id), "booking_id": str(booking_id)}
        if kind in (NotificationKind.SERIES_CONFIRMED, NotificationKind.SERIES_DECLINED):
            return learner, {"series_id": str(series_id), "bookings": []}
        return learner, {"booking_id": str(booking_id), "before_minutes": 60}

    for kind in NotificationKind:
        recipient, payload = data(kind)
        reply = await render(dispatcher.ctx, recipient, kind, payload)
        assert isinstance(reply, Reply), kind
        assert reply.text.strip(), kind


async def test_a_kind_this_code_does_not_know_is_dropped_with_one_log_line(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    ann = Learner(dispatcher)
    await ann.say("/start")
    async with engine.begin() as conn:
        notification = await conn.scalar(
            text(
                "INSERT INTO notifications (user_id, kind, data, due_at)"
                " VALUES (:u, 'carrier_pigeon', '{}'::jsonb, :due) RETURNING id"
            ),
            {"u": await user_id(engine, ann), "due": clock.now()},
        )
    with caplog.at_level(logging.INFO):
        assert await ann.worker.drain() == 0  # nothing to deliver
    assert ann.notices == []
    mentions = [r for r in caplog.records if "carrier_pigeon" in r.getMessage()]
    assert len(mentions) == 1 and mentions[0].levelno == logging.WARNING
    assert "Traceback" not in caplog.text
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT status, last_error FROM notifications WHERE id = :id"),
                {"id": notification},
            )
        ).one()
    assert row == ("dropped", "unknown kind 'carrier_pigeon'")
