"""Each expert's own terms (issue 15): a free-cancellation window within the operator's limits,
a first-lesson trial and a reschedule limit, set under /expert, shown on the cards, kept with
each booking as it was made and enforced by the state machine."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from bot.handlers.router import Dispatcher
from db.uow import SqlAlchemyUnitOfWork
from domain.accounts.model import Identity
from domain.accounts.registration import register
from domain.marketplace import booking_walk, bookings, experts, moves, policies
from domain.marketplace.commands import (
    ActOnBooking,
    AnswerMove,
    BecomeExpert,
    BookSlot,
    RescheduleBooking,
    SetAvailability,
    SetPolicy,
    StartRescheduling,
    VerifyExpert,
)
from domain.marketplace.model import Action, Policy
from domain.marketplace.payments import ManualPayments
from domain.marketplace.rules import available_actions
from domain.shared.errors import InvalidInput
from tests.integration.test_marketplace import WEEKDAYS, _learner
from tests.integration.test_terminal_chat import chat_again
from tests.support import FakeClock, Learner, expert_draft, snapshot, user_id

NOON_BERLIN = datetime(2026, 3, 4, 11, 0, tzinfo=UTC)  # Wed 12:00 in Berlin


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))  # Monday 07:00 in Berlin


@pytest.fixture
def policy() -> Policy:
    return Policy()


@pytest.fixture
def dispatcher(engine: AsyncEngine, clock: FakeClock, policy: Policy) -> Dispatcher:
    return bootstrap(engine, clock=clock, policy=policy)


async def expert_teaching(
    engine: AsyncEngine, clock: FakeClock, policy: Policy, subject: str
) -> tuple[str, uuid.UUID, uuid.UUID]:
    """A verified expert (Berlin, 20-40 EUR/h, weekdays 9-17) teaching ``subject``: (their
    terminal name, user id, expert id)."""

    def uow() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(engine)

    name = f"ex-{uuid.uuid4().hex[:8]}"
    user, _ = await register(Identity("terminal", name, name, name), uow(), FakeClock())
    draft = expert_draft(name, subject)
    expert = await experts.become_expert(BecomeExpert(user.id, draft), uow(), clock, policy)
    await experts.verify_expert(VerifyExpert(None, expert.id, True), uow(), clock, policy)
    await experts.set_availability(SetAvailability(user.id, WEEKDAYS), uow())
    return name, user.id, expert.id


async def test_an_experts_terms_are_shown_and_a_first_lesson_books_as_a_trial(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    subject = f"Oboe{uuid.uuid4().hex[:6]}"
    name, _, expert_id = await expert_teaching(engine, clock, policy, subject)
    grace = Learner(dispatcher, name)
    saved = await grace.say("/expert cancel 24h")
    assert "Saved. Terms: free cancellation until 24 hours before" in saved
    assert "keep the terms they were made under" in saved
    assert "🎁 trial lesson 30 min 12.50 EUR" in await grace.say("/expert trial 12.50")
    assert "up to 1 reschedule per booking" in await grace.say("/expert reschedules 1")
    own = await grace.say("/expert")
    terms = (
        "Terms: free cancellation until 24 hours before · up to 1 reschedule per booking · "
        "🎁 trial lesson 30 min 12.50 EUR (first booking)"
    )
    assert terms in own and "/expert trial off" in own
    assert grace.buttons() == ["🚫 No trial lessons"]

    ada = Learner(dispatcher)
    await ada.say("/timezone Europe/Berlin")
    assert terms in await ada.say(f"/experts {subject}")
    assert terms in await ada.say("#1")  # the profile card
    asked = await ada.press("📅 Book")
    assert "can be a trial lesson" in asked
    assert ada.buttons()[0] == "🎁 Trial lesson, 30 min, 12.50 EUR"
    await ada.say("#1")  # the trial
    await ada.say("#1")  # the first free day
    quote = await ada.say("#1")  # its first time
    assert "Book a 30 min trial lesson with" in quote and "for 12.50 EUR?" in quote
    assert "(24 hours before the start)" in quote and "Up to 1 reschedule per booking." in quote
    assert "🔁 Repeat weekly" not in ada.buttons()  # a trial is one lesson, never a series
    done = await ada.press("✅ Confirm")
    assert "📨 Requested!" in done and "12.50 EUR" in done
    assert "🎁 Trial lesson · Free cancellation until" in done
    assert "(24 hours before) · up to 1 reschedule per booking" in done
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT price, trial, cancel_notice_hours, reschedule_limit, reschedules "
                    "FROM bookings WHERE expert_id = :e"
                ),
                {"e": expert_id},
            )
        ).one()
    assert tuple(row) == (Decimal("12.50"), True, 24, 1, 0)

    # Her next booking is not a first lesson: no trial offered, and a forged one is refused.
    await ada.say(f"/experts {subject}")
    await ada.say("#1")
    await ada.press("📅 Book")
    assert ada.buttons()[0] == "30 min · 20.00 EUR"
    learner = await user_id(engine, ada)
    before = await snapshot(engine)
    forged = BookSlot(learner, expert_id, NOON_BERLIN, 30, Decimal("12.50"), trial=True)
    with pytest.raises(InvalidInput, match="only for a first booking"):
        await bookings.book(forged, SqlAlchemyUnitOfWork(engine), clock, policy)
    assert await snapshot(engine) == before

    # A later change of the expert's terms leaves the booking made under the old ones.
    await grace.say("/expert cancel 48")
    await grace.press("🚫 No trial lessons")
    assert "trial lesson" not in await grace.say("/expert")
    await ada.say("/bookings")
    card = await ada.say("#1")
    assert "🎁 Trial lesson · Free cancellation until" in card and "(24 hours before)" in card


async def test_a_called_off_first_request_leaves_the_trial_open(
    engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    """A declined, cancelled or lapsed request gave no lesson: the next one is still a first."""
    _, expert_user, expert_id = await expert_teaching(engine, clock, policy, "Lute")

    def uow() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(engine)

    await policies.set_policy(SetPolicy(expert_user, "trial", "10"), uow(), policy)
    learner = await _learner(uow)
    trial = BookSlot(learner, expert_id, NOON_BERLIN, 30, Decimal("10.00"), trial=True)
    first = await bookings.book(trial, uow(), clock, policy)
    assert first.trial and first.price == Decimal("10.00")
    cancel = ActOnBooking(learner, first.id, Action.CANCEL)
    await bookings.act(cancel, uow(), clock, policy, ManualPayments())
    again = await bookings.book(trial, uow(), clock, policy)
    assert again.trial
    # A changed trial price is a changed quote, as for any price.
    await policies.set_policy(SetPolicy(expert_user, "trial", "11"), uow(), policy)
    other = await _learner(uow)
    later = NOON_BERLIN + timedelta(hours=2)
    with pytest.raises(bookings.QuoteChanged):
        await bookings.book(
            BookSlot(other, expert_id, later, 30, Decimal("10.00"), trial=True),
            uow(),
            clock,
            policy,
        )
    with pytest.raises(InvalidInput, match="only for a first booking"):  # a trial is 30 minutes
        await bookings.book(
            BookSlot(other, expert_id, later, 60, trial=True), uow(), clock, policy
        )


async def test_moves_count_against_the_limit_kept_with_the_booking(
    engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    """A learner's direct move and an accepted proposal both count; at the limit 🗓 Reschedule
    is neither offered nor accepted, and raising the limit later does not lift it."""
    _, expert_user, expert_id = await expert_teaching(engine, clock, policy, "Harp")

    def uow() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(engine)

    pay = ManualPayments()
    await policies.set_policy(SetPolicy(expert_user, "reschedules", "2"), uow(), policy)
    learner = await _learner(uow)
    booked = await bookings.book(
        BookSlot(learner, expert_id, NOON_BERLIN, 60), uow(), clock, policy
    )
    assert booked.reschedule_limit == 2
    await bookings.act(
        ActOnBooking(expert_user, booked.id, Action.CONFIRM), uow(), clock, policy, pay
    )
    one = NOON_BERLIN + timedelta(hours=2)
    moved = await moves.reschedule(
        RescheduleBooking(learner, booked.id, one), uow(), clock, policy
    )
    assert moved.reschedules == 1
    await bookings.act(
        ActOnBooking(expert_user, booked.id, Action.CONFIRM), uow(), clock, policy, pay
    )
    two = NOON_BERLIN + timedelta(days=1)
    ask = RescheduleBooking(expert_user, booked.id, two, "A concert")
    proposed = await moves.reschedule(ask, uow(), clock, policy)
    assert proposed.reschedules == 1  # a proposal is not a move yet
    answer = AnswerMove(learner, booked.id, two, accept=True)
    assert (await moves.answer_move(answer, uow(), clock, policy)).reschedules == 2

    await policies.set_policy(SetPolicy(expert_user, "reschedules", "any"), uow(), policy)
    final = await bookings.get_booking(learner, booked.id, uow())
    for who in (learner, expert_user):
        role = final.role_of(who)
        assert Action.RESCHEDULE not in available_actions(final, role, clock.now(), policy)
    before = await snapshot(engine)
    with pytest.raises(InvalidInput, match="has been moved 2 times already"):
        await moves.reschedule(RescheduleBooking(learner, booked.id, one), uow(), clock, policy)
    with pytest.raises(InvalidInput, match="has been moved 2 times already"):
        start = StartRescheduling(learner, booked.id)
        await booking_walk.start_rescheduling(start, uow(), clock, policy)
    assert await snapshot(engine) == before


async def test_in_the_terminal_an_expert_allows_no_moves_and_the_learner_is_offered_none(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    """``syllabot chat`` with piped input, for both sides."""
    name, expert_user, expert_id = await expert_teaching(engine, clock, policy, "Sitar")
    said = await chat_again(dispatcher, name, "/expert reschedules 0\n/expert reschedules 6\n")
    assert "Saved. Terms: free cancellation until 12 hours before · no rescheduling" in said
    assert "Reschedules per booking are 0 to 5, or any" in said

    learner = f"l-{uuid.uuid4().hex[:8]}"
    ada, _ = await register(
        Identity("terminal", learner, learner, learner), SqlAlchemyUnitOfWork(engine), clock
    )
    booked = await bookings.book(
        BookSlot(ada.id, expert_id, NOON_BERLIN, 60), SqlAlchemyUnitOfWork(engine), clock, policy
    )
    confirm = ActOnBooking(expert_user, booked.id, Action.CONFIRM)
    await bookings.act(confirm, SqlAlchemyUnitOfWork(engine), clock, policy, ManualPayments())
    shown = await chat_again(dispatcher, learner, "/bookings\n#1\n")
    card = shown.rsplit(f"Booking {booked.ref}", 1)[1]
    assert "(12 hours before) · no rescheduling" in card
    assert "Cancel booking" in card and "🗓 Reschedule" not in card


async def test_a_slot_already_inside_the_experts_window_says_so_before_it_is_booked(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    subject = f"Kora{uuid.uuid4().hex[:6]}"
    name, _, _ = await expert_teaching(engine, clock, policy, subject)
    assert "until 72 hours before" in await Learner(dispatcher, name).say("/expert cancel 72")
    ada = Learner(dispatcher)
    await ada.say("/timezone Europe/Berlin")
    await ada.say(f"/experts {subject}")
    await ada.say("#1")
    await ada.press("📅 Book")
    await ada.press("60 min · 30.00 EUR")
    await ada.say("#1")  # Tuesday, 26 hours from now
    quote = await ada.say("#1")
    assert "It starts in less than 72 hours, the free-cancellation window: once booked" in quote


async def test_a_top_rate_below_the_trial_price_is_refused(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    name, _, _ = await expert_teaching(engine, clock, policy, "Bansuri")
    ida = Learner(dispatcher, name)
    await ida.say("/expert trial 30")
    before = await snapshot(engine)
    assert "costs 30.00 EUR, above that top rate" in await ida.say("/expert rate 10-25")
    assert await snapshot(engine) == before
    assert "Saved." in await ida.say("/expert rate 10-30")
