"""A booking's calendar invite: issued on confirmation, updated by a move (same UID, higher
SEQUENCE), cancelled by a cancellation or a lapse, rendered from the stored version only (a
notice delivered after a later change sends no stale file), and given on demand to the
booking's two sides only."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from bot.handlers import payloads
from bot.handlers.base import Incoming, Reply
from bot.handlers.notifications import notices
from bot.handlers.router import Dispatcher
from domain.accounts.model import Identity
from domain.marketplace import bookings, moves
from domain.marketplace.commands import ActOnBooking, AnswerMove, BookSlot, RescheduleBooking
from domain.marketplace.model import Action, Booking, Policy
from domain.marketplace.payments import ManualPayments
from domain.notifications.model import NotificationKind as Kind
from domain.shared.errors import InvalidInput, NotFound
from tests.integration.test_marketplace import _learner, _verified_expert
from tests.support import FakeClock

NOON_BERLIN = datetime(2026, 3, 4, 11, 0, tzinfo=UTC)  # Wed 12:00 in Berlin
LATER = NOON_BERLIN + timedelta(hours=3)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))


@pytest.fixture
def policy() -> Policy:
    return Policy()


@pytest.fixture
def dispatcher(engine: AsyncEngine, clock: FakeClock, policy: Policy) -> Dispatcher:
    return bootstrap(engine, clock=clock, policy=policy)


async def booked(
    engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> tuple[Booking, uuid.UUID, Any]:
    """A pending hour at 12:00 Berlin with a new expert: (booking, expert's user, uow)."""
    expert_user, expert_id, uow = await _verified_expert(engine, clock, policy)
    learner = await _learner(uow)
    made = await bookings.book(BookSlot(learner, expert_id, NOON_BERLIN, 60), uow(), clock, policy)
    return made, expert_user, uow


async def act(
    uow: Any, clock: FakeClock, policy: Policy, who: uuid.UUID, b: Booking, a: Action
) -> Booking:
    return await bookings.act(ActOnBooking(who, b.id, a), uow(), clock, policy, ManualPayments())


async def notice(
    engine: AsyncEngine, dispatcher: Dispatcher, user: uuid.UUID, kind: Kind
) -> Reply | None:
    """The newest ``kind`` notice of ``user``, rendered as the worker would now."""
    async with engine.connect() as conn:
        data = await conn.scalar(
            text(
                "SELECT data FROM notifications WHERE user_id = :u AND kind = :k "
                "ORDER BY created_at DESC, id DESC LIMIT 1"
            ),
            {"u": user, "k": kind.value},
        )
    assert data is not None, kind
    return await notices.render(dispatcher.ctx, user, kind, data)


def event(reply: Reply | None) -> tuple[str, Any]:
    """(METHOD, the one VEVENT) of the reply's .ics."""
    assert reply is not None and reply.attachment is not None
    assert reply.attachment.mime_type == "text/calendar"
    assert reply.attachment.filename.endswith(".ics")
    calendar = Calendar.from_ical(reply.attachment.content)
    (found,) = calendar.walk("VEVENT")
    return str(calendar["METHOD"]), found


async def test_a_confirmation_move_and_cancellation_send_one_event_in_rising_versions(
    engine: AsyncEngine, clock: FakeClock, policy: Policy, dispatcher: Dispatcher
) -> None:
    booking, expert, uow = await booked(engine, clock, policy)
    learner = booking.learner_id
    assert (await notice(engine, dispatcher, expert, Kind.BOOKING_REQUESTED)).attachment is None

    confirmed = await act(uow, clock, policy, expert, booking, Action.CONFIRM)
    method, first = event(await notice(engine, dispatcher, learner, Kind.BOOKING_CONFIRM))
    assert method == "REQUEST" and first["STATUS"] == "CONFIRMED"
    assert str(first["UID"]) == f"{booking.id}@syllabot" and first["SEQUENCE"] == 0
    assert first.decoded("DTSTART") == NOON_BERLIN and first.decoded("DTEND") == NOON_BERLIN + (
        timedelta(hours=1)
    )
    assert first.decoded("DTSTART").tzinfo is not None  # UTC ("Z"), not floating
    assert str(first["URL"]) == confirmed.meeting_link == str(first["LOCATION"])
    assert str(first["SUMMARY"]) == f"Session with {confirmed.expert_name}"
    assert confirmed.meeting_link in str(first["DESCRIPTION"])
    assert first.decoded("DTSTAMP") == clock.now()
    # The same version renders the same file, later too.
    clock.advance(minutes=5)
    again = await notice(engine, dispatcher, learner, Kind.BOOKING_CONFIRM)
    assert again is not None and again.attachment is not None
    redo = await notice(engine, dispatcher, learner, Kind.BOOKING_CONFIRM)
    assert redo is not None and redo.attachment == again.attachment

    # The learner moves it: the expert's notice has the same event, one version on, new times;
    # the learner's confirmation, delivered only now, sends no stale file.
    moved = RescheduleBooking(learner, booking.id, LATER)
    await moves.reschedule(moved, uow(), clock, policy)
    method, second = event(await notice(engine, dispatcher, expert, Kind.BOOKING_RESCHEDULED))
    assert method == "REQUEST" and second["STATUS"] == "TENTATIVE"  # waits for the expert
    assert str(second["UID"]) == str(first["UID"]) and second["SEQUENCE"] == 1
    assert second.decoded("DTSTART") == LATER
    assert str(second["SUMMARY"]) == f"Session with {confirmed.learner_name}"
    stale = await notice(engine, dispatcher, learner, Kind.BOOKING_CONFIRM)
    assert stale is not None and stale.attachment is None

    await act(uow, clock, policy, expert, booking, Action.CONFIRM)  # confirmed again
    method, third = event(await notice(engine, dispatcher, learner, Kind.BOOKING_CONFIRM))
    assert (method, third["SEQUENCE"], third["STATUS"]) == ("REQUEST", 2, "CONFIRMED")

    await act(uow, clock, policy, learner, booking, Action.CANCEL)
    method, last = event(await notice(engine, dispatcher, expert, Kind.BOOKING_CANCEL))
    assert (method, last["SEQUENCE"], last["STATUS"]) == ("CANCEL", 3, "CANCELLED")
    assert str(last["UID"]) == str(first["UID"]) and last.decoded("DTSTART") == LATER


async def test_a_request_never_confirmed_has_no_invite_and_its_decline_sends_none(
    engine: AsyncEngine, clock: FakeClock, policy: Policy, dispatcher: Dispatcher
) -> None:
    booking, expert, uow = await booked(engine, clock, policy)
    with pytest.raises(InvalidInput, match="isn't confirmed yet"):
        await bookings.invite_of(booking.learner_id, booking.id, uow(), clock, policy)
    await act(uow, clock, policy, expert, booking, Action.DECLINE)
    declined = await notice(engine, dispatcher, booking.learner_id, Kind.BOOKING_DECLINE)
    assert declined is not None and declined.attachment is None


async def test_an_accepted_proposal_updates_and_a_lapsed_moved_request_cancels_the_invite(
    engine: AsyncEngine, clock: FakeClock, policy: Policy, dispatcher: Dispatcher
) -> None:
    booking, expert, uow = await booked(engine, clock, policy)
    learner = booking.learner_id
    await act(uow, clock, policy, expert, booking, Action.CONFIRM)
    proposal = RescheduleBooking(expert, booking.id, LATER, "Clash")
    await moves.reschedule(proposal, uow(), clock, policy)  # a proposal changes nothing yet
    proposed = await notice(engine, dispatcher, learner, Kind.BOOKING_MOVE_PROPOSED)
    assert proposed is not None and proposed.attachment is None
    await moves.answer_move(AnswerMove(learner, booking.id, LATER, True), uow(), clock, policy)
    method, accepted = event(await notice(engine, dispatcher, expert, Kind.BOOKING_MOVE_ACCEPTED))
    assert (method, accepted["SEQUENCE"], accepted.decoded("DTSTART")) == ("REQUEST", 1, LATER)

    # Moved again by the learner (it waits for the expert), then nobody answers: it lapses,
    # and both sides get the cancelling version.
    await moves.reschedule(
        RescheduleBooking(learner, booking.id, NOON_BERLIN), uow(), clock, policy
    )
    clock.advance(hours=49)
    assert await bookings.expire_pending(uow(), clock) >= 1
    for side in (learner, expert):
        method, lapsed = event(await notice(engine, dispatcher, side, Kind.BOOKING_EXPIRED))
        assert (method, lapsed["SEQUENCE"], lapsed["STATUS"]) == ("CANCEL", 3, "CANCELLED")


async def test_only_the_two_sides_get_the_invite_on_demand_and_a_forged_press_gets_nothing(
    engine: AsyncEngine, clock: FakeClock, policy: Policy, dispatcher: Dispatcher
) -> None:
    booking, expert, uow = await booked(engine, clock, policy)
    await act(uow, clock, policy, expert, booking, Action.CONFIRM)
    other_expert, _, _ = await _verified_expert(engine, clock, policy)
    name = f"l-{uuid.uuid4().hex[:8]}"
    stranger = await _learner(uow, name)
    for who in (booking.learner_id, expert):
        assert (await bookings.invite_of(who, booking.id, uow(), clock, policy)).id == booking.id
    for who in (stranger, other_expert):
        with pytest.raises(NotFound):
            await bookings.invite_of(who, booking.id, uow(), clock, policy)

    # 📅 Add to calendar pressed by a stranger: with the expert's button (signed for the
    # expert), and with a payload forged in the stranger's own name. Nothing is sent.
    as_stranger = Incoming(Identity("terminal", name, name, name))
    for payload in (
        payloads.encode(expert, "bx", booking.id.hex, "ic"),
        payloads.encode(stranger, "bx", booking.id.hex, "ic"),
    ):
        (reply,) = await dispatcher.handle(replace(as_stranger, payload=payload))
        assert reply.attachment is None
        assert "meant for someone else" in reply.text or "can't find that booking" in reply.text

    # The expert's own press gets the current version; once cancelled, a friendly refusal.
    as_expert = await _identity_of(engine, expert)
    press = payloads.encode(expert, "bx", booking.id.hex, "ic")
    (reply,) = await dispatcher.handle(Incoming(as_expert, payload=press))
    method, got = event(reply)
    assert (method, got["SEQUENCE"]) == ("REQUEST", 0)
    await act(uow, clock, policy, expert, booking, Action.CANCEL)
    (reply,) = await dispatcher.handle(Incoming(as_expert, payload=press))
    assert reply.attachment is None and "can't be added to a calendar now" in reply.text


async def _identity_of(engine: AsyncEngine, user: uuid.UUID) -> Identity:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT platform, external_id, chat_id, display_name "
                    "FROM platform_identities WHERE user_id = :u"
                ),
                {"u": user},
            )
        ).one()
    return Identity(*row)
