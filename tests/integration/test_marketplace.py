"""The expert marketplace through the real handlers, services and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from bot.handlers.router import Dispatcher
from db.uow import SqlAlchemyUnitOfWork
from domain.accounts.registration import register
from domain.marketplace import bookings, experts, feedback, moves, payments, policies
from domain.marketplace.commands import (
    ActOnBooking,
    AnnotateSession,
    BecomeExpert,
    BookSlot,
    EditProfile,
    RateSession,
    RescheduleBooking,
    SetAvailability,
    SetPolicy,
    VerifyExpert,
)
from domain.marketplace.model import Action, BookingStatus, CancelKind, PaymentState, Policy
from domain.marketplace.rules import cancelled_late, payment_state
from domain.shared.errors import DomainError, NotAllowed, NotFound
from tests.support import FakeClock, Learner, expert_draft, snapshot

WEEKDAYS = "mon 09:00-17:00; tue 09:00-17:00; wed 09:00-17:00; thu 09:00-17:00; fri 09:00-17:00"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))  # Monday 07:00 in Berlin


@pytest.fixture
def admin_name() -> str:
    return f"admin-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def policy(admin_name: str) -> Policy:
    return Policy(admins=frozenset({("terminal", admin_name)}))


@pytest.fixture
def dispatcher(engine: AsyncEngine, clock: FakeClock, policy: Policy) -> Dispatcher:
    return bootstrap(engine, clock=clock, policy=policy)


async def onboard(dispatcher: Dispatcher, admin: Learner, subject: str = "Python") -> Learner:
    """A verified expert with weekday hours in Berlin, through the chat."""
    ex = Learner(dispatcher)
    await ex.say("/timezone Europe/Berlin")
    assert "step 1 of 7" in await ex.say("/become_expert")
    await ex.say("Grace Hopper")
    await ex.say("I debug things.")
    asked = await ex.say(" Skip ")  # credentials: typed, as the tapped Skip
    assert "step 4 of 7: Your hourly rate in EUR: a range such as 25-40, or one" in asked
    assert "positive" in await ex.say("-5-10")
    assert "above the maximum" in await ex.say("50-20")
    await ex.say("20-40")
    assert "Use Europe/Berlin" in " ".join(ex.buttons())
    await ex.say("#1")
    assert "don't know the language “elvish”" in await ex.say("elvish")
    await ex.say("en, de")
    done = await ex.say(f"{subject}: expert; statistics: advanced")
    assert "waiting for an admin" in done
    assert "Saved your weekly hours" in await ex.say(f"/availability {WEEKDAYS}")
    # The admin hears of the new expert (📬) with Approve / Reject on the card.
    assert "Grace Hopper" in await admin.say("/admin")
    assert admin.last[-1].text.startswith("Waiting for verification:\nGrace Hopper")
    assert admin.notice_buttons() == ["✅ Approve", "❌ Reject"]
    assert "verified" in await admin.press("✅ Approve")
    profile = await ex.say("/expert")
    assert "profile is verified" in profile
    assert "Credentials:" not in profile  # the typed Skip stored nothing
    return ex


async def test_an_expert_is_found_booked_confirmed_completed_rated_and_paid(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, admin_name: str
) -> None:
    admin = Learner(dispatcher, admin_name)
    await admin.say("/start")
    subject = f"Rust{uuid.uuid4().hex[:6]}"
    ex = await onboard(dispatcher, admin, subject)
    ada = Learner(dispatcher)
    await ada.say("/timezone America/New_York")

    found = await ada.say(f"/experts {subject.lower()} max=30 lang=de level=advanced within=7")
    assert "Grace Hopper" in found
    assert "No one matches these filters (in French)" in await ada.say(
        f"/experts {subject} lang=fr"
    )
    card = await ada.say("#1")
    assert "20.00 EUR – 40.00 EUR per hour" in card and "Next free hours" in card
    async with engine.connect() as conn:
        expert_id = await conn.scalar(
            text("SELECT expert_id FROM expert_specialties WHERE subject = :s"), {"s": subject}
        )
    linked = await ada.say(f"/start e_{expert_id.hex}")  # t.me/<bot>?start=e_<id> deep link
    assert linked == card
    # 09:00 in Berlin (UTC+1), the first hour 12 h from now, is 03:00 in New York (UTC-5).
    assert "Next free hours (in your zone, America/New_York): Tue 03 Mar 03:00; Tue" in card
    await ada.say("#1")  # 📅 Book
    assert ada.buttons() == [  # what she would pay: the top, middle and bottom of 20-40 an hour
        "30 min · 20.00 EUR",
        "60 min · 30.00 EUR",
        "90 min · 30.00 EUR",
        "✖ Cancel",
    ]
    days = await ada.say("#2")
    assert "Which day? (times in America/New_York)" in days
    await ada.say("#1")
    assert ada.buttons()[0] == "03:00"
    confirm = await ada.say("#1")
    assert "Book 60 min with Grace Hopper on Tue 03 Mar 2026, 03:00" in confirm
    assert "30.00 EUR" in confirm  # 60 minutes at the middle of 20-40
    requested = await ada.say("#1")
    assert "Requested!" in requested and "pending" in requested

    alert = await ex.say("/bookings")  # the request arrives (📬) with Confirm / Decline
    assert "New booking request" in alert
    confirmed = await ex.press("✅ Confirm")
    assert "Confirmed" in confirmed and "https://meet.jit.si/syllabot-" in confirmed
    assert "Your booking is confirmed" in await ada.say("/progress")

    clock.set(datetime(2026, 3, 3, 10, 5, tzinfo=UTC))  # after the session's end
    await ex.say("/bookings")
    await ex.say("#1")
    assert "Marked completed" in await ex.press("Completed")
    rate = await ada.say("/start")
    assert "How was your session?" in rate
    await ada.press("★★★★★")
    assert "Thanks for the review" in await ada.say("Clear and kind.")

    assert "A learner rated your session" in await ex.say("/bookings")
    assert "Payment recorded" in await ex.press("💶 Mark paid")
    held = await ex.say("/earnings")  # until Ada says it happened (or 72 hours pass)
    assert "Mar 2026: held 25.50 EUR until the learner confirms, 72 hours pass" in held
    await ada.say("/bookings")
    await ada.say("#1")
    assert "Grace Hopper gets paid" in await ada.press("👍 Yes, it happened")
    earnings = await ex.say("/earnings")
    assert "Mar 2026: 1 session · gross 30.00 EUR · commission 4.50 EUR · earned 25.50 EUR" in (
        earnings
    )
    assert "★ 5.0 (1 rating)" in await ada.say(f"/experts {subject.lower()}")
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT e.average_rating, e.total_sessions, c.platform_commission, "
                    "c.expert_earnings, b.price FROM experts e JOIN bookings b "
                    "ON b.expert_id = e.id JOIN commissions c ON c.booking_id = b.id "
                    "WHERE e.display_name = 'Grace Hopper' AND b.user_id = ("
                    "SELECT user_id FROM platform_identities WHERE external_id = :n)"
                ),
                {"n": ada.name},
            )
        ).one()
    assert row == (Decimal("5.00"), 1, Decimal("4.50"), Decimal("25.50"), Decimal("30.00"))
    assert row[2] + row[3] == row[4]


async def _verified_expert(engine: AsyncEngine, clock: FakeClock, policy: Policy):
    """An expert created and verified through the services (fast set-up for race tests)."""
    from domain.accounts.model import Identity

    def uow() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(engine)

    name = f"ex-{uuid.uuid4().hex[:8]}"
    user, _ = await register(Identity("terminal", name, name, name), uow(), FakeClock())
    draft = expert_draft(name)
    expert = await experts.become_expert(BecomeExpert(user.id, draft), uow(), clock, policy)
    await experts.verify_expert(VerifyExpert(None, expert.id, True), uow(), clock, policy)
    await experts.set_availability(SetAvailability(user.id, WEEKDAYS), uow())
    return user.id, expert.id, uow


async def _learner(uow, name: str | None = None) -> uuid.UUID:
    from domain.accounts.model import Identity

    name = name or f"l-{uuid.uuid4().hex[:8]}"
    user, _ = await register(Identity("terminal", name, name, name), uow(), FakeClock())
    return user.id


async def test_fifty_learners_racing_for_one_slot_and_its_overlaps_book_it_exactly_once(
    engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    _, expert_id, uow = await _verified_expert(engine, clock, policy)
    learners = [await _learner(uow) for _ in range(50)]
    slot = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # Tue 10:00 Berlin
    # Every attempt wants the same hour or one overlapping it by half.
    starts = [slot + timedelta(minutes=30 * (i % 3 - 1)) for i in range(50)]

    async def attempt(i: int) -> str:
        try:
            await bookings.book(
                BookSlot(learners[i], expert_id, starts[i], 60), uow(), clock, policy
            )
            return "booked"
        except bookings.SlotTaken as taken:
            assert taken.alternatives, "the loser is shown alternatives"
            return "taken"

    results = await asyncio.gather(*(attempt(i) for i in range(50)))
    assert results.count("booked") == 1
    async with engine.connect() as conn:
        held = await conn.scalar(
            text("SELECT count(*) FROM bookings WHERE expert_id = :e AND status = 'pending'"),
            {"e": expert_id},
        )
    assert held == 1


async def test_concurrent_confirms_of_overlapping_pending_bookings_schedule_at_most_one(
    engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    expert_user, expert_id, uow = await _verified_expert(engine, clock, policy)
    start = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    ids = []
    # Overlapping pending requests can exist in data written before the rules (or by hand);
    # confirming must still never double-book. Write them directly.
    async with engine.begin() as conn:
        for i in range(50):
            learner = await _learner(uow)
            ids.append(
                await conn.scalar(
                    text(
                        "INSERT INTO bookings (user_id, expert_id, session_date, duration, "
                        "status, price, currency, expires_at) VALUES (:u, :e, :s, 60, "
                        "'pending', 30, 'EUR', :x) RETURNING id"
                    ),
                    {
                        "u": learner,
                        "e": expert_id,
                        "s": start + timedelta(minutes=i % 2 * 30),
                        "x": clock.now() + timedelta(hours=48),
                    },
                )
            )

    async def confirm(booking_id: uuid.UUID) -> bool:
        try:
            await bookings.act(
                ActOnBooking(expert_user, booking_id, Action.CONFIRM),
                uow(),
                clock,
                policy,
                payments.ManualPayments(),
            )
            return True
        except DomainError:
            return False

    results = await asyncio.gather(*(confirm(b) for b in ids))
    assert results.count(True) == 1
    async with engine.connect() as conn:
        scheduled = await conn.scalar(
            text("SELECT count(*) FROM bookings WHERE expert_id = :e AND status = 'scheduled'"),
            {"e": expert_id},
        )
    assert scheduled == 1


async def test_every_mutating_action_is_refused_to_who_may_not_take_it(
    engine: AsyncEngine, clock: FakeClock, policy: Policy, admin_name: str, dispatcher: Dispatcher
) -> None:
    expert_user, expert_id, uow = await _verified_expert(engine, clock, policy)
    other_expert_user, _, _ = await _verified_expert(engine, clock, policy)
    learner = await _learner(uow)
    stranger = await _learner(uow)
    admin = await _learner(uow, admin_name)
    pay = payments.ManualPayments()

    slots = iter(
        datetime(2026, 3, day, hour, 0, tzinfo=UTC)
        for day in (3, 4, 5, 6)
        for hour in range(8, 16)
    )

    async def fresh_booking() -> uuid.UUID:
        """A pending 30-minute request in a slot of its own (the slots are an hour apart)."""
        start = next(slots)
        return (
            await bookings.book(BookSlot(learner, expert_id, start, 30), uow(), clock, policy)
        ).id

    actors = {
        "learner": learner,
        "expert": expert_user,
        "other expert": other_expert_user,
        "stranger": stranger,
        "admin": admin,
    }
    allowed = {
        Action.CONFIRM: {"expert"},
        Action.DECLINE: {"expert"},
        Action.CANCEL: {"learner", "expert"},
        Action.MARK_PAID: {"expert", "admin"},
    }
    for action, who in allowed.items():
        for actor, user_id in actors.items():
            booking_id = await fresh_booking()
            before = await snapshot(engine)
            try:
                await bookings.act(
                    ActOnBooking(user_id, booking_id, action), uow(), clock, policy, pay
                )
                succeeded = True
            except (NotAllowed, NotFound):
                succeeded = False
            assert succeeded == (actor in who), (action, actor)
            if not succeeded:
                assert await snapshot(engine) == before

    # Weekly series: only the booked expert confirms or declines one (Confirm all / Decline
    # all); the learner, anyone else and a forged series id change nothing.
    from domain.marketplace import series
    from domain.marketplace.series_commands import AnswerSeries
    from tests.integration.test_booking_series import add_series

    weeks = iter((day, hour) for day in (9, 10, 11, 12, 13) for hour in range(8, 16))
    for confirm in (True, False):
        for actor, user_id in {**actors, "forged": expert_user}.items():
            day, hour = next(weeks)
            starts = [datetime(2026, 3, day + 7 * w, hour, 0, tzinfo=UTC) for w in (0, 1)]
            series_id = await add_series(engine, learner, expert_id, starts, clock.now(), policy)
            asked = uuid.uuid4() if actor == "forged" else series_id
            before = await _series_state(engine, series_id)
            try:
                command = AnswerSeries(user_id, asked, confirm)
                await series.answer(command, uow(), clock, policy, pay)
                succeeded = True
            except (NotAllowed, NotFound):
                succeeded = False
            assert succeeded == (actor == "expert"), (confirm, actor)
            after = await _series_state(engine, series_id)
            if succeeded:
                assert {s for s, _ in after} == {"scheduled" if confirm else "cancelled"}
            else:
                assert after == before

    # 📅 Add to calendar (Action.INVITE, read-only): the booking's two sides, once confirmed.
    booking_id = await fresh_booking()
    await bookings.act(
        ActOnBooking(expert_user, booking_id, Action.CONFIRM), uow(), clock, policy, pay
    )
    for actor, user_id in actors.items():
        try:
            await bookings.invite_of(user_id, booking_id, uow(), clock, policy)
            succeeded = True
        except (NotAllowed, NotFound):
            succeeded = False
        assert succeeded == (actor in {"learner", "expert"}), actor

    # Completion, no-show and feedback: only after the session, only the right side.
    booking_id = await fresh_booking()
    await bookings.act(
        ActOnBooking(expert_user, booking_id, Action.CONFIRM), uow(), clock, policy, pay
    )
    with pytest.raises(DomainError, match="after it has ended"):
        await bookings.act(
            ActOnBooking(expert_user, booking_id, Action.COMPLETE), uow(), clock, policy, pay
        )
    clock.advance(days=5)
    for actor in ("learner", "other expert", "stranger", "admin"):
        with pytest.raises((NotAllowed, NotFound)):
            await bookings.act(
                ActOnBooking(actors[actor], booking_id, Action.COMPLETE), uow(), clock, policy, pay
            )
    for actor in ("expert", "other expert", "stranger", "admin"):
        with pytest.raises(DomainError):
            await feedback.rate(RateSession(actors[actor], booking_id, 5), uow(), clock, policy)
    with pytest.raises(DomainError, match="scheduled; it can't be rated"):  # not completed yet
        await feedback.rate(RateSession(learner, booking_id, 5), uow(), clock, policy)
    await bookings.act(
        ActOnBooking(expert_user, booking_id, Action.NO_SHOW), uow(), clock, policy, pay
    )
    with pytest.raises(DomainError, match="no-show"):
        await bookings.act(
            ActOnBooking(expert_user, booking_id, Action.COMPLETE), uow(), clock, policy, pay
        )

    # An expert's own terms: only that expert sets them; a forged button naming their profile
    # (pressed by anyone else) changes nothing.
    own = await experts.get_expert(expert_id, uow())
    for actor, user_id in actors.items():
        before = await snapshot(engine)
        command = SetPolicy(user_id, "trial", "15", expert_id=expert_id)
        try:
            await policies.set_policy(command, uow(), policy)
            succeeded = True
        except (NotAllowed, NotFound):
            succeeded = False
        assert succeeded == (actor == "expert"), actor
        if not succeeded:
            assert await snapshot(engine) == before
    assert own.trial_price is None
    assert (await experts.get_expert(expert_id, uow())).trial_price == Decimal("15.00")

    # After the session: the learner's yes is theirs; either side reports a problem; the side
    # that did not report it answers; only an admin decides. Refused: nothing changes.
    from domain.marketplace import disputes as trust
    from domain.marketplace.dispute_model import (
        AnswerDispute,
        ConfirmHappened,
        ProblemKind,
        ReportProblem,
        ResolveDispute,
    )
    from domain.marketplace.model import Decision

    async def ended_session() -> uuid.UUID:
        """A paid, completed session that ended an hour ago, with its (held) ledger row."""
        async with engine.begin() as conn:
            booking_id = await conn.scalar(
                text(
                    "INSERT INTO bookings (user_id, expert_id, session_date, duration, status,"
                    " payment_status, price, currency) VALUES (:l, :e, :at, 60, 'completed',"
                    " 'paid', 30, 'EUR') RETURNING id"
                ),
                {"l": learner, "e": expert_id, "at": clock.now() - timedelta(hours=2)},
            )
            await conn.execute(
                text(
                    "INSERT INTO commissions (booking_id, platform_commission, expert_earnings,"
                    " rate, currency, payable_at) VALUES (:b, 4.5, 25.5, 0.15, 'EUR', :at)"
                ),
                {"b": booking_id, "at": clock.now() + timedelta(hours=71)},
            )
        return booking_id

    def report(user_id: uuid.UUID, booking_id: uuid.UUID) -> ReportProblem:
        kind = ProblemKind.CUT_SHORT  # a kind either side may report
        return ReportProblem(user_id, booking_id, kind, "it went wrong")

    aftercare = {
        Action.CONFIRM_HAPPENED: (
            {"learner"},
            lambda u, b: trust.confirm_happened(ConfirmHappened(u, b), uow(), clock, policy),
        ),
        Action.REPORT_PROBLEM: (
            {"learner", "expert"},
            lambda u, b: trust.report_problem(report(u, b), uow(), clock, policy),
        ),
        Action.ANSWER_DISPUTE: (  # the learner reported it first
            {"expert"},
            lambda u, b: trust.answer_dispute(
                AnswerDispute(u, b, "my side"), uow(), clock, policy
            ),
        ),
        Action.RESOLVE_DISPUTE: (
            {"admin"},
            lambda u, b: trust.resolve_dispute(
                ResolveDispute(u, b, Decision.SPLIT), uow(), clock, policy
            ),
        ),
    }
    for action, (who, attempt) in aftercare.items():
        for actor, user_id in actors.items():
            booking_id = await ended_session()
            if action in (Action.ANSWER_DISPUTE, Action.RESOLVE_DISPUTE):
                await trust.report_problem(report(learner, booking_id), uow(), clock, policy)
            before = await snapshot(engine)
            try:
                await attempt(user_id, booking_id)
                succeeded = True
            except (NotAllowed, NotFound):
                succeeded = False
            assert succeeded == (actor in who), (action, actor)
            if not succeeded:
                assert await snapshot(engine) == before

    # Verification: only admins.
    _, pending_id, _ = await _verified_expert(engine, clock, policy)
    for actor in ("learner", "expert", "stranger"):
        with pytest.raises(NotAllowed):
            await experts.verify_expert(
                VerifyExpert(actors[actor], pending_id, False), uow(), clock, policy
            )

    # A plan shared with the booked expert (share, stop sharing, view) and homework (send,
    # answer): each only to its own side of the booking, never to the other expert, a
    # stranger or an admin, and a refused one changes nothing.
    from domain.marketplace import homework, plan_shares
    from domain.marketplace.share_commands import (
        AnswerHomework,
        SendHomework,
        SharePlan,
        ViewSharedPlan,
    )
    from tests.integration.test_plan_shares import learner_with_plan, shares_and_homework

    _, sharer, plan = await learner_with_plan(dispatcher, engine)
    sides = {**actors, "learner": sharer}
    later = iter(
        datetime(2026, 3, day, hour, 0, tzinfo=UTC) for day in (23, 24) for hour in range(8, 16)
    )

    async def shared_booking(share: bool = True) -> uuid.UUID:
        booked = await bookings.book(
            BookSlot(sharer, expert_id, next(later), 30), uow(), clock, policy
        )
        if share:
            await plan_shares.share(SharePlan(sharer, booked.id, plan.hex), uow(), clock, policy)
        return booked.id

    async def share(who: uuid.UUID, booking_id: uuid.UUID) -> object:
        return await plan_shares.share(SharePlan(who, booking_id, plan.hex), uow(), clock, policy)

    async def unshare(who: uuid.UUID, booking_id: uuid.UUID) -> object:
        return await plan_shares.share(SharePlan(who, booking_id, None), uow(), clock, policy)

    async def view(who: uuid.UUID, booking_id: uuid.UUID) -> object:
        command = ViewSharedPlan(who, booking_id)
        return await plan_shares.shared_plan(command, uow(), clock, policy)

    sharing = {
        Action.SHARE_PLAN: (share, False, {"learner"}),
        Action.UNSHARE_PLAN: (unshare, True, {"learner"}),
        Action.VIEW_PLAN: (view, True, {"expert"}),  # read-only
    }
    for action, (run, shared_first, who) in sharing.items():
        for actor, user_id in sides.items():
            booking_id = await shared_booking(shared_first)
            before = await shares_and_homework(engine)
            try:
                await run(user_id, booking_id)
                succeeded = True
            except (NotAllowed, NotFound):
                succeeded = False
            assert succeeded == (actor in who), (action, actor)
            if not succeeded:
                assert await shares_and_homework(engine) == before

    done = await shared_booking()
    await bookings.act(ActOnBooking(expert_user, done, Action.CONFIRM), uow(), clock, policy, pay)
    clock.set(datetime(2026, 3, 24, 16, 0, tzinfo=UTC))  # after every one of these sessions
    await bookings.act(ActOnBooking(expert_user, done, Action.COMPLETE), uow(), clock, policy, pay)
    work = None
    for actor, user_id in sides.items():  # Action.SEND_HOMEWORK
        before = await shares_and_homework(engine)
        try:
            sent = await homework.send(SendHomework(user_id, done, "Maps"), uow(), clock, policy)
            work = sent.homework.id
        except (NotAllowed, NotFound):
            assert actor != "expert"
            assert await shares_and_homework(engine) == before
        else:
            assert actor == "expert"
    assert work is not None
    for actor, user_id in sides.items():  # Action.ANSWER_HOMEWORK (the learner last)
        if actor == "learner":
            continue
        before = await shares_and_homework(engine)
        with pytest.raises((NotAllowed, NotFound)):
            await homework.answer(AnswerHomework(user_id, work, True), uow(), clock, policy)
        assert await shares_and_homework(engine) == before
    answered = await homework.answer(AnswerHomework(sharer, work, True), uow(), clock, policy)
    assert answered.accepted and answered.session_number == 3


async def _series_state(engine: AsyncEngine, series_id: uuid.UUID) -> list[tuple[object, ...]]:
    """Each week's status, and how many notices its learner has."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT status, (SELECT count(*) FROM notifications n WHERE n.user_id = b.user_id)"
                " FROM bookings b WHERE series_id = :s ORDER BY session_date"
            ),
            {"s": series_id},
        )
        return [tuple(row) for row in rows]


async def test_unanswered_requests_lapse_after_48_hours_and_free_the_slot(
    engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    _, expert_id, uow = await _verified_expert(engine, clock, policy)
    first, second = await _learner(uow), await _learner(uow)
    slot = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    await bookings.book(BookSlot(first, expert_id, slot, 60), uow(), clock, policy)
    with pytest.raises(bookings.SlotTaken):
        await bookings.book(BookSlot(second, expert_id, slot, 60), uow(), clock, policy)
    clock.advance(hours=48, seconds=1)
    assert await bookings.expire_pending(uow(), clock) >= 1
    again = await bookings.book(BookSlot(second, expert_id, slot, 60), uow(), clock, policy)
    assert again.status is BookingStatus.PENDING


MARKETPLACE_BAD_INPUT = [
    ("/expert rate abc", "not an amount"),
    ("/expert rate abc-40", "not an amount"),
    ("/expert rate 50-20", "above the maximum"),
    ("/availability mon 25:00-26:00", "25:00"),
    ("/availability mon 09:00-12:00 11:00-13:00", "overlap"),
    ("/timeoff 2020-01-01..2020-01-02", "past"),
    ("/experts", "Usage: /experts"),
    ("/experts python max=abc", "not an amount"),
    ("/paid zzzz", "reference"),
    ("/admin", "Only admins"),
    # an expert's own terms (issue 15): outside the operator's limits, or nonsense
    ("/expert cancel 1h", "2 hours to 72 hours"),
    ("/expert cancel 100", "2 hours to 72 hours"),
    ("/expert cancel 90m", "whole hours"),
    ("/expert cancel soon", "not a length of time"),
    ("/expert cancel", "Usage: /expert cancel"),
    ("/expert trial 0", "positive"),
    ("/expert trial 40.01", "at most your top rate (40.00 EUR)"),
    ("/expert trial 10-20", "one amount"),
    ("/expert trial cheap", "not an amount"),
    ("/expert trial 9.999", "two decimals"),
    ("/expert reschedules 6", "0 to 5"),
    ("/expert reschedules -1", "0 to 5"),
    ("/expert reschedules lots", "0 to 5"),
]


@pytest.mark.parametrize(("line", "expected"), MARKETPLACE_BAD_INPUT)
async def test_bad_marketplace_input_gets_a_clear_message_and_changes_nothing(
    dispatcher: Dispatcher,
    engine: AsyncEngine,
    clock: FakeClock,
    policy: Policy,
    line: str,
    expected: str,
) -> None:
    expert_user, _, _ = await _verified_expert(engine, clock, policy)
    async with engine.connect() as conn:
        name = await conn.scalar(
            text("SELECT external_id FROM platform_identities WHERE user_id = :u"),
            {"u": expert_user},
        )
    ex = Learner(dispatcher, name)
    await ex.say("/start")
    before = await snapshot(engine)
    reply = await ex.say(line)
    assert expected.lower() in reply.lower()
    assert await snapshot(engine) == before


async def test_a_slot_in_the_past_or_off_the_grid_is_refused(
    engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    _, expert_id, uow = await _verified_expert(engine, clock, policy)
    learner = await _learner(uow)
    for start in (
        clock.now() - timedelta(days=1),
        datetime(2026, 3, 3, 9, 10, tzinfo=UTC),  # off the 30-minute grid
        datetime(2026, 3, 7, 9, 0, tzinfo=UTC),  # a Saturday: no hours
    ):
        with pytest.raises(bookings.SlotTaken):
            await bookings.book(BookSlot(learner, expert_id, start, 60), uow(), clock, policy)


async def test_search_matches_word_prefixes_and_whole_subjects_in_any_case(
    engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    from domain.marketplace.model import SearchFilters

    user, expert_id, uow = await _verified_expert(engine, clock, policy)
    tag = uuid.uuid4().hex[:6]
    await experts.edit_profile(
        EditProfile(user, "specialties", f"Data Science{tag}: expert; Node.js{tag}: advanced"),
        uow(),
        clock,
        policy,
    )  # a verified expert's new specialties are public once an admin approves them
    await experts.verify_expert(VerifyExpert(None, expert_id, True), uow(), clock, policy)

    async def names(query: str, **filters: object) -> list[uuid.UUID]:
        cards = await experts.search(SearchFilters(query, **filters), uow(), clock, policy)
        return [card.expert.id for card in cards]

    assert await names(f"data scien{tag[:3]}") == []  # "scien<tag>" begins no word here
    assert await names(f"dat science{tag}") == [expert_id]  # "dat" begins "data"
    assert await names(f"DATA science{tag}") == [expert_id]
    assert await names(f"node.js{tag}") == [expert_id]
    assert await names(f"science{tag} data") == [expert_id]
    assert await names(f"data science{tag}", language="fr") == []
    assert await names(f"data science{tag}", max_rate=Decimal("19.99")) == []
    cards = await experts.search(SearchFilters(f"data science{tag}"), uow(), clock, policy)
    assert cards[0].next_slots and all(
        s >= clock.now() + policy.min_notice for s in cards[0].next_slots
    )


async def test_cancelling_a_paid_booking_owes_a_refund_until_marked_and_late_learners_message(
    engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    expert_user, expert_id, uow = await _verified_expert(engine, clock, policy)
    learner = await _learner(uow)
    pay = payments.ManualPayments()
    start = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    booked = await bookings.book(BookSlot(learner, expert_id, start, 60), uow(), clock, policy)
    await bookings.act(
        ActOnBooking(expert_user, booked.id, Action.CONFIRM), uow(), clock, policy, pay
    )
    paid = await bookings.act(
        ActOnBooking(expert_user, booked.id, Action.MARK_PAID), uow(), clock, policy, pay
    )
    assert paid.payment_status.value == "paid"

    clock.set(start - timedelta(hours=11))  # inside the 12-hour notice
    for attempt in (
        bookings.act(ActOnBooking(learner, booked.id, Action.CANCEL), uow(), clock, policy, pay),
        moves.reschedule(
            RescheduleBooking(learner, booked.id, start + timedelta(days=1)), uow(), clock, policy
        ),
    ):
        with pytest.raises(DomainError, match=f"less than 12 hours.*/message {booked.ref}"):
            await attempt
    refund = ActOnBooking(expert_user, booked.id, Action.MARK_REFUNDED)
    with pytest.raises(DomainError, match="can.t be marked refunded"):  # nothing owed yet
        await bookings.act(refund, uow(), clock, policy, pay)
    cancel = ActOnBooking(expert_user, booked.id, Action.CANCEL, reason="ill, sorry")
    cancelled = await bookings.act(cancel, uow(), clock, policy, pay)
    assert cancelled.status is BookingStatus.CANCELLED
    assert cancelled.cancel_reason == "ill, sorry"
    # The manual provider sends nothing: the payment stays paid, a refund owed, until marked.
    assert cancelled.payment_status.value == "paid"
    assert payment_state(cancelled) is PaymentState.REFUND_OWED
    assert cancelled.cancel_kind is CancelKind.CANCELLED and cancelled_late(cancelled, policy)
    with pytest.raises(NotAllowed, match="booked expert"):  # not the learner
        await bookings.act(
            ActOnBooking(learner, booked.id, Action.MARK_REFUNDED), uow(), clock, policy, pay
        )
    refunded = await bookings.act(refund, uow(), clock, policy, pay)
    assert refunded.payment_status.value == "refunded"
    assert payment_state(refunded) is PaymentState.REFUNDED
    async with engine.connect() as conn:
        told = await conn.scalar(
            text("SELECT count(*) FROM notifications WHERE user_id = :u AND kind = :k"),
            {"u": learner, "k": "booking_refunded"},
        )
    assert told == 1


async def test_rescheduling_moves_the_booking_and_only_the_parties_may(
    engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    expert_user, expert_id, uow = await _verified_expert(engine, clock, policy)
    other_expert, _, _ = await _verified_expert(engine, clock, policy)
    learner, stranger = await _learner(uow), await _learner(uow)
    pay = payments.ManualPayments()
    start = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
    booked = await bookings.book(BookSlot(learner, expert_id, start, 60), uow(), clock, policy)
    await bookings.act(
        ActOnBooking(expert_user, booked.id, Action.CONFIRM), uow(), clock, policy, pay
    )
    later = start + timedelta(hours=1)  # overlaps its own old time: allowed for itself
    for intruder in (other_expert, stranger):
        with pytest.raises(NotFound):
            await moves.reschedule(
                RescheduleBooking(intruder, booked.id, later), uow(), clock, policy
            )
    moved = await moves.reschedule(
        RescheduleBooking(learner, booked.id, later), uow(), clock, policy
    )
    assert moved.starts_at == later and moved.status is BookingStatus.PENDING
    moved = await moves.reschedule(
        RescheduleBooking(expert_user, booked.id, start), uow(), clock, policy
    )
    assert moved.starts_at == start and moved.status is BookingStatus.PENDING

    clock.set(start + timedelta(hours=2))
    with pytest.raises(DomainError):  # a lapsed or past request can't be confirmed any more
        await bookings.act(
            ActOnBooking(expert_user, booked.id, Action.CONFIRM), uow(), clock, policy, pay
        )
    for intruder in (learner, other_expert, stranger):
        with pytest.raises((NotAllowed, NotFound)):
            await bookings.act(
                ActOnBooking(intruder, booked.id, Action.NO_SHOW), uow(), clock, policy, pay
            )
        with pytest.raises(DomainError):
            await feedback.add_expert_notes(
                AnnotateSession(intruder, booked.id, "notes"), uow(), clock, policy
            )


async def test_a_forged_booking_button_changes_nothing(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    expert_user, expert_id, uow = await _verified_expert(engine, clock, policy)
    owner = await _learner(uow)
    booked = await bookings.book(
        BookSlot(owner, expert_id, datetime(2026, 3, 12, 9, 0, tzinfo=UTC), 60),
        uow(),
        clock,
        policy,
    )
    mallory = Learner(dispatcher)
    await mallory.say("/timezone Mars/Base")  # any reply with buttons carries mallory's tag
    tag = mallory.payloads()[0].split(":")[1]
    before = await snapshot(engine)
    for code in ("cf", "dc", "cn", "cp", "ns", "pd", "r5", "rs", "zz"):
        from bot.handlers.base import Incoming

        forged = f"1:{tag}:bx:{booked.id.hex}:{code}"
        replies = await dispatcher.handle(Incoming(mallory.chat._identity, payload=forged))
        assert "can't find that booking" in replies[0].text or "isn't valid" in replies[0].text
    assert await snapshot(engine) == before


async def test_a_search_with_control_characters_is_read_without_them_and_never_stores_them(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    ada = Learner(dispatcher)
    reply = await ada.say("/experts py\x00th\x07on lang=en")
    assert "“python”" in reply and "\x00" not in reply
    async with engine.connect() as conn:
        kept = await conn.scalar(
            text(
                "SELECT c.data->>'args' FROM conversation_states c JOIN platform_identities i"
                " ON i.user_id = c.user_id WHERE i.external_id = :n"
            ),
            {"n": ada.name},
        )
    assert kept == "python lang=en"


async def test_search_knows_a_subject_by_its_catalogue_names_ml_finds_machine_learning(
    engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    from domain.marketplace.model import SearchFilters

    user, expert_id, uow = await _verified_expert(engine, clock, policy)
    edit = EditProfile(user, "specialties", "Machine learning: expert")
    await experts.edit_profile(edit, uow(), clock, policy)
    await experts.verify_expert(VerifyExpert(None, expert_id, True), uow(), clock, policy)

    async def found(query: str) -> bool:
        cards = await experts.search(SearchFilters(query), uow(), clock, policy)
        return expert_id in [card.expert.id for card in cards]

    assert await found("ML")
    assert await found("machine lerning")  # a typo, found through the catalogue
    assert not await found("MLOps pipelines")  # not a name of that subject
