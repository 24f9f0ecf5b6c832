"""A plan shared with a booking's expert, and homework, through the services and PostgreSQL:
every view and every answer is checked against the share (the expert of another booking, an
expert after the session, a stranger), and a refused one changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from bot.handlers.marketplace.booking_card import booking_card
from bot.handlers.router import Dispatcher
from db.uow import SqlAlchemyUnitOfWork
from domain.marketplace import bookings, experts, homework, plan_shares
from domain.marketplace.commands import (
    ActOnBooking,
    BecomeExpert,
    BookSlot,
    SetAvailability,
    VerifyExpert,
)
from domain.marketplace.model import Action
from domain.marketplace.payments import ManualPayments
from domain.marketplace.share_commands import (
    AnswerHomework,
    SendHomework,
    SharePlan,
    ViewSharedPlan,
)
from domain.shared.errors import InvalidInput, NotAllowed, NotFound
from tests.support import FakeClock, Learner, expert_draft, user_id

WEEKDAYS = "mon 09:00-17:00; tue 09:00-17:00; wed 09:00-17:00; thu 09:00-17:00; fri 09:00-17:00"
TUESDAY = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # 10:00 in Berlin


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))  # Monday 07:00 in Berlin


@pytest.fixture
def dispatcher(engine: AsyncEngine, clock: FakeClock) -> Dispatcher:
    return bootstrap(engine, clock=clock)


async def expert_in(
    dispatcher: Dispatcher, engine: AsyncEngine, person: Learner | None = None
) -> tuple[uuid.UUID, uuid.UUID]:
    """A verified expert with weekday hours, chatting in the terminal (``person``, or someone
    new): (user id, expert id)."""
    person = person or Learner(dispatcher)
    await person.say("/start")
    uid = await user_id(engine, person)
    ctx = dispatcher.ctx
    tag = uuid.uuid4().hex[:6]
    draft = expert_draft(f"Ex {tag}", f"Go{tag}")  # a subject of their own, found alone
    made = await experts.become_expert(BecomeExpert(uid, draft), ctx.uow(), ctx.clock, ctx.policy)
    await experts.verify_expert(
        VerifyExpert(None, made.id, True), ctx.uow(), ctx.clock, ctx.policy
    )
    await experts.set_availability(SetAvailability(uid, WEEKDAYS), ctx.uow())
    return uid, made.id


async def learner_with_plan(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> tuple[Learner, uuid.UUID, uuid.UUID]:
    """A learner with the active plan “Go (beginner)” of 4 sessions, one done with a note:
    (the person, their id, the plan's id)."""
    ada = Learner(dispatcher)
    await ada.say("/timezone Europe/Berlin")
    assert "Created" in await ada.say("/new Go | 4 | 30 | beginner")
    await ada.say("/done 25 slices")
    await ada.say("/note slices share their array")
    uid = await user_id(engine, ada)
    async with engine.connect() as conn:
        plan = await conn.scalar(text("SELECT id FROM curricula WHERE user_id = :u"), {"u": uid})
    return ada, uid, plan


async def shares_and_homework(engine: AsyncEngine) -> list[tuple[object, ...]]:
    """Every booking's shared plan and every homework with its answer; and the sessions."""
    async with engine.connect() as conn:
        shared = await conn.execute(
            text("SELECT id, shared_curriculum_id FROM bookings ORDER BY id")
        )
        work = await conn.execute(
            text("SELECT booking_id, title, answered_at, accepted FROM homework ORDER BY 1")
        )
        sessions = await conn.execute(
            text("SELECT curriculum_id, session_number, title FROM sessions ORDER BY 1, 2")
        )
        return [*map(tuple, shared), *map(tuple, work), *map(tuple, sessions)]


def uow_of(dispatcher: Dispatcher) -> SqlAlchemyUnitOfWork:
    return dispatcher.ctx.uow()  # type: ignore[return-value]


async def test_a_shared_plan_is_seen_by_its_expert_only_and_only_until_the_session_ends(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    ctx = dispatcher.ctx
    expert_user, expert_id = await expert_in(dispatcher, engine)
    other_expert, other_id = await expert_in(dispatcher, engine)
    _, ada, plan = await learner_with_plan(dispatcher, engine)
    _, bea, beas_plan = await learner_with_plan(dispatcher, engine)
    stranger = (await learner_with_plan(dispatcher, engine))[1]
    booked = await bookings.book(
        BookSlot(ada, expert_id, TUESDAY, 60), ctx.uow(), clock, ctx.policy
    )
    # Bea's booking with the other expert shares Bea's plan: nothing of Ada's.
    beas = await bookings.book(BookSlot(bea, other_id, TUESDAY, 60), ctx.uow(), clock, ctx.policy)
    await plan_shares.share(
        SharePlan(bea, beas.id, beas_plan.hex[:8]), ctx.uow(), clock, ctx.policy
    )

    def view(who: uuid.UUID, booking_id: uuid.UUID = booked.id) -> object:
        return plan_shares.shared_plan(
            ViewSharedPlan(who, booking_id), ctx.uow(), clock, ctx.policy
        )

    with pytest.raises(InvalidInput, match="shares no plan"):  # not shared (the default)
        await view(expert_user)
    before = await shares_and_homework(engine)
    forged = [
        (stranger, plan.hex[:8], NotFound),  # somebody else's booking
        (other_expert, plan.hex[:8], NotFound),
        (expert_user, plan.hex[:8], NotAllowed),  # the learner shares, not the expert
        (ada, beas_plan.hex[:8], InvalidInput),  # another learner's plan
        (ada, "0000", InvalidInput),  # too short to name a plan
    ]
    for who, named, error in forged:
        with pytest.raises(error):
            await plan_shares.share(SharePlan(who, booked.id, named), ctx.uow(), clock, ctx.policy)
    assert await shares_and_homework(engine) == before

    shared = await plan_shares.share(
        SharePlan(ada, booked.id, plan.hex[:8]), ctx.uow(), clock, ctx.policy
    )
    assert shared.shared_plan_title == "Go (beginner)"
    seen = await plan_shares.shared_plan(
        ViewSharedPlan(expert_user, booked.id), ctx.uow(), clock, ctx.policy
    )
    assert seen.curriculum.id == plan and seen.curriculum.progress.sessions_completed == 1
    assert seen.streak == 1 and seen.daily_streak == 1
    assert sorted(n.content for n in seen.notes) == ["slices", "slices share their array"]
    assert [s.number for s in seen.page.sessions] == [1, 2, 3, 4]
    for who, error in ((ada, NotAllowed), (other_expert, NotFound), (stranger, NotFound)):
        with pytest.raises(error):
            await view(who)
    with pytest.raises(NotFound):  # the other expert's own booking shows Bea's plan, not Ada's
        await view(expert_user, beas.id)
    other_view = await view(other_expert, beas.id)
    assert other_view.curriculum.id == beas_plan  # type: ignore[attr-defined]

    clock.set(booked.ends_at - timedelta(minutes=1))  # during the session: still shared
    assert (await view(expert_user)).booking.id == booked.id  # type: ignore[attr-defined]
    clock.set(booked.ends_at)  # from its end, nothing
    with pytest.raises(InvalidInput, match="no longer shared"):
        await view(expert_user)
    theirs = booking_card(shared, expert_user, "UTC", clock.now(), ctx.policy)
    assert "shared the plan “Go (beginner)” with you until the session ended" in theirs.text
    assert "📖 Learner's plan" not in [b.label for row in theirs.buttons for b in row]
    hers = booking_card(shared, ada, "UTC", clock.now(), ctx.policy)
    assert (
        "📎 You shared “Go (beginner)” with" in hers.text
        and "until the session ended" in hers.text
    )
    with pytest.raises(InvalidInput, match="only until the session ends"):
        await plan_shares.share(SharePlan(ada, booked.id, None), ctx.uow(), clock, ctx.policy)


async def test_stopping_sharing_hides_the_plan_and_a_cancelled_booking_shows_nothing(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    ctx = dispatcher.ctx
    expert_user, expert_id = await expert_in(dispatcher, engine)
    _, ada, plan = await learner_with_plan(dispatcher, engine)
    booked = await bookings.book(
        BookSlot(ada, expert_id, TUESDAY, 60), ctx.uow(), clock, ctx.policy
    )
    await plan_shares.share(SharePlan(ada, booked.id, plan.hex), ctx.uow(), clock, ctx.policy)
    with pytest.raises(InvalidInput, match="already share"):
        await plan_shares.share(SharePlan(ada, booked.id, plan.hex), ctx.uow(), clock, ctx.policy)
    stopped = await plan_shares.share(
        SharePlan(ada, booked.id, None), ctx.uow(), clock, ctx.policy
    )
    assert stopped.shared_curriculum_id is None
    view = ViewSharedPlan(expert_user, booked.id)
    with pytest.raises(InvalidInput, match="shares no plan"):
        await plan_shares.shared_plan(view, ctx.uow(), clock, ctx.policy)
    await plan_shares.share(SharePlan(ada, booked.id, plan.hex), ctx.uow(), clock, ctx.policy)
    cancel = ActOnBooking(ada, booked.id, Action.CANCEL, "changed my mind")
    await bookings.act(cancel, ctx.uow(), clock, ctx.policy, ManualPayments())
    with pytest.raises(InvalidInput, match="no longer shared"):
        await plan_shares.shared_plan(view, ctx.uow(), clock, ctx.policy)


async def completed_with_share(
    dispatcher: Dispatcher,
    clock: FakeClock,
    learner: uuid.UUID,
    plan: uuid.UUID | None,
    expert_user: uuid.UUID,
    expert_id: uuid.UUID,
    start: datetime = TUESDAY,
) -> uuid.UUID:
    """A booking of ``learner`` (sharing ``plan``, if any) confirmed, held and marked completed;
    the clock is left just after its end."""
    ctx, pay = dispatcher.ctx, ManualPayments()
    booked = await bookings.book(
        BookSlot(learner, expert_id, start, 60), ctx.uow(), clock, ctx.policy
    )
    if plan is not None:
        await plan_shares.share(
            SharePlan(learner, booked.id, plan.hex), ctx.uow(), clock, ctx.policy
        )
    confirm = ActOnBooking(expert_user, booked.id, Action.CONFIRM)
    await bookings.act(confirm, ctx.uow(), clock, ctx.policy, pay)
    clock.set(booked.ends_at + timedelta(minutes=5))
    complete = ActOnBooking(expert_user, booked.id, Action.COMPLETE)
    await bookings.act(complete, ctx.uow(), clock, ctx.policy, pay)
    return booked.id


async def test_homework_is_sent_once_by_the_expert_and_answered_once_by_the_learner(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    ctx = dispatcher.ctx
    expert_user, expert_id = await expert_in(dispatcher, engine)
    other_expert, _ = await expert_in(dispatcher, engine)
    _, ada, plan = await learner_with_plan(dispatcher, engine)
    stranger = (await learner_with_plan(dispatcher, engine))[1]
    # Before the session ends, no homework.
    early = await bookings.book(
        BookSlot(ada, expert_id, TUESDAY, 60), ctx.uow(), clock, ctx.policy
    )
    await plan_shares.share(SharePlan(ada, early.id, plan.hex), ctx.uow(), clock, ctx.policy)
    with pytest.raises(InvalidInput, match="once it is marked completed"):
        await homework.send(
            SendHomework(expert_user, early.id, "Maps"), ctx.uow(), clock, ctx.policy
        )
    booking_id = await completed_with_share(
        dispatcher, clock, ada, plan, expert_user, expert_id, TUESDAY + timedelta(hours=2)
    )

    def send(who: uuid.UUID, title: str = "Maps and sets") -> object:
        command = SendHomework(who, booking_id, title, "Build a word count\nCompare with sort")
        return homework.send(command, ctx.uow(), clock, ctx.policy)

    before = await shares_and_homework(engine)
    for who, error in ((ada, NotAllowed), (other_expert, NotFound), (stranger, NotFound)):
        with pytest.raises(error):
            await send(who)
    with pytest.raises(InvalidInput, match="can't be empty"):
        await send(expert_user, "   ")
    assert await shares_and_homework(engine) == before

    sent = await send(expert_user)
    assert sent.homework.proposed_position == 3  # type: ignore[attr-defined]  # after the next
    with pytest.raises(InvalidInput, match="already sent homework"):
        await send(expert_user, "Another one")
    work_id = sent.homework.id  # type: ignore[attr-defined]

    def answer(who: uuid.UUID, accept: bool = True) -> object:
        return homework.answer(AnswerHomework(who, work_id, accept), ctx.uow(), clock, ctx.policy)

    before = await shares_and_homework(engine)
    for who, error in ((expert_user, NotAllowed), (other_expert, NotFound), (stranger, NotFound)):
        with pytest.raises(error):
            await answer(who)
    with pytest.raises(NotFound):  # a forged homework id
        await homework.answer(
            AnswerHomework(ada, uuid.uuid4(), True), ctx.uow(), clock, ctx.policy
        )
    assert await shares_and_homework(engine) == before

    # 📝 Homework under the learner's card shows it again, to her only, until answered.
    work, _, title = await homework.offer_of(ada, booking_id, ctx.uow(), clock, ctx.policy)
    assert (work.id, title) == (work_id, "Go (beginner)")
    for who, error in ((expert_user, NotAllowed), (other_expert, NotFound), (stranger, NotFound)):
        with pytest.raises(error):
            await homework.offer_of(who, booking_id, ctx.uow(), clock, ctx.policy)
    done = await answer(ada)
    assert done.session_number == 3  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput, match="already accepted"):
        await homework.offer_of(ada, booking_id, ctx.uow(), clock, ctx.policy)
    async with engine.connect() as conn:
        titles = (
            await conn.execute(
                text(
                    "SELECT session_number, title, objectives FROM sessions"
                    " WHERE curriculum_id = :c ORDER BY 1"
                ),
                {"c": plan},
            )
        ).all()
        total = await conn.scalar(
            text("SELECT total_sessions FROM curricula WHERE id = :c"), {"c": plan}
        )
    assert [n for n, _, _ in titles] == [1, 2, 3, 4, 5] and total == 5
    assert titles[2][1:] == ("Maps and sets", ["Build a word count", "Compare with sort"])
    after = await shares_and_homework(engine)
    for again in (True, False):  # a second tap, either way, changes nothing
        with pytest.raises(InvalidInput, match="already accepted"):
            await answer(ada, again)
    assert await shares_and_homework(engine) == after


async def test_declined_homework_leaves_the_plan_and_a_booking_without_a_share_gets_none(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    ctx = dispatcher.ctx
    expert_user, expert_id = await expert_in(dispatcher, engine)
    _, ada, plan = await learner_with_plan(dispatcher, engine)
    private = await completed_with_share(dispatcher, clock, ada, None, expert_user, expert_id)
    with pytest.raises(InvalidInput, match="shared no plan"):
        await homework.send(
            SendHomework(expert_user, private, "Maps"), ctx.uow(), clock, ctx.policy
        )
    clock.set(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    shared = await completed_with_share(
        dispatcher, clock, ada, plan, expert_user, expert_id, TUESDAY + timedelta(days=1)
    )
    sent = await homework.send(
        SendHomework(expert_user, shared, "Maps"), ctx.uow(), clock, ctx.policy
    )
    before = await shares_and_homework(engine)
    no = await homework.answer(
        AnswerHomework(ada, sent.homework.id, False), ctx.uow(), clock, ctx.policy
    )
    assert not no.accepted and no.session_number is None
    after = await shares_and_homework(engine)
    assert [r for r in after if len(r) == 3] == [r for r in before if len(r) == 3]  # sessions
    with pytest.raises(InvalidInput, match="already declined"):
        await homework.answer(
            AnswerHomework(ada, sent.homework.id, True), ctx.uow(), clock, ctx.policy
        )
    async with engine.connect() as conn:
        kinds = (
            (
                await conn.execute(
                    text("SELECT kind FROM notifications WHERE user_id = :u ORDER BY created_at"),
                    {"u": expert_user},
                )
            )
            .scalars()
            .all()
        )
    assert kinds.count("homework_answered") == 1


async def test_a_plan_shared_while_booking_a_weekly_series_is_shared_on_every_week(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    ida = Learner(dispatcher)
    _, expert_id = await expert_in(dispatcher, engine, ida)
    ada, ada_id, plan = await learner_with_plan(dispatcher, engine)
    async with engine.connect() as conn:
        subject = await conn.scalar(
            text("SELECT subject FROM expert_specialties WHERE expert_id = :e"), {"e": expert_id}
        )
        name = await conn.scalar(
            text("SELECT display_name FROM experts WHERE id = :e"), {"e": expert_id}
        )
    await ada.say(f"/experts {subject}")
    await ada.press(name)
    await ada.press("📅 Book")
    await ada.press("60 min · 30.00 EUR")
    await ada.press("Tue 03 Mar")
    asked = await ada.press("10:00")
    assert f"Share a plan with {name}?" in asked
    await ada.press("📎 Go (beginner)")
    await ada.press("🔁 Repeat weekly")
    await ada.press("3 weeks")
    assert "Requested 3 of 3 weeks" in await ada.press("✅ Book all weeks")
    async with engine.connect() as conn:
        shared = (
            (
                await conn.execute(
                    text("SELECT shared_curriculum_id FROM bookings WHERE user_id = :u"),
                    {"u": ada_id},
                )
            )
            .scalars()
            .all()
        )
    assert shared == [plan, plan, plan]
    told = await ida.say("/bookings")  # the series' one request notice says so
    assert "📨 New weekly booking request" in told
    assert "shares the plan “Go (beginner)” with you until each session ends" in told


async def test_from_the_booking_card_a_learner_shares_a_plan_and_stops_and_the_expert_is_told(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    expert_user, expert_id = await expert_in(dispatcher, engine)
    ada, ada_id, _ = await learner_with_plan(dispatcher, engine)
    ctx = dispatcher.ctx
    await bookings.book(BookSlot(ada_id, expert_id, TUESDAY, 60), ctx.uow(), clock, ctx.policy)
    await ada.say("/bookings")
    await ada.say("#1")
    assert "📎 Share a plan" in ada.buttons() and "Stop sharing" not in ada.buttons()
    offered = await ada.press("📎 Share a plan")
    assert "📎 Share a plan with Ex" in offered and "read-only, until the session ends" in offered
    assert ada.buttons() == ["📎 Go (beginner)", "🔒 Don't share"]
    assert "OK, no plan shared" in await ada.press("🔒 Don't share")
    await ada.say("/bookings")
    await ada.say("#1")
    await ada.press("📎 Share a plan")
    shared = await ada.press("📎 Go (beginner)")
    assert "📎 Shared “Go (beginner)” with Ex" in shared
    assert "📎 You share “Go (beginner)” with Ex" in shared and "Stop sharing" in ada.buttons()
    async with engine.connect() as conn:
        told = await conn.scalar(
            text("SELECT count(*) FROM notifications WHERE user_id = :u AND kind = 'plan_shared'"),
            {"u": expert_user},
        )
    assert told == 1
    stopped = await ada.press("Stop sharing")
    assert "🔒 Stopped sharing" in stopped and "📎 Share a plan" in ada.buttons()
    async with engine.connect() as conn:
        assert (
            await conn.scalar(
                text("SELECT shared_curriculum_id FROM bookings WHERE user_id = :u"), {"u": ada_id}
            )
            is None
        )


async def test_learner_plan_shows_the_expert_the_shared_plan_by_reference_and_no_one_else(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    ida = Learner(dispatcher)
    _, expert_id = await expert_in(dispatcher, engine, ida)
    _, ada_id, plan = await learner_with_plan(dispatcher, engine)
    ctx = dispatcher.ctx
    booked = await bookings.book(
        BookSlot(ada_id, expert_id, TUESDAY, 60), ctx.uow(), clock, ctx.policy
    )
    assert "Usage: /learner_plan <booking reference>" in await ida.say("/learner_plan")
    assert "shares no plan" in await ida.say(f"/learner_plan {booked.ref}")
    await plan_shares.share(SharePlan(ada_id, booked.id, plan.hex), ctx.uow(), clock, ctx.policy)
    shown = await ida.say(f"/learner_plan {booked.ref}")
    assert "'s plan “Go (beginner)”" in shown
    assert "1/4 sessions · 25%" in shown and "➡️ 2." in shown and "slices" in shown
    assert "page must be a whole number" in await ida.say(f"/learner_plan {booked.ref} two")
    stranger = Learner(dispatcher)
    refused = await stranger.say(f"/learner_plan {booked.ref}")
    assert "can't find that booking" in refused and "Go (beginner)" not in refused


async def test_homework_accepted_into_a_finished_plan_comes_last_and_opens_the_plan_again(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    ctx = dispatcher.ctx
    expert_user, expert_id = await expert_in(dispatcher, engine)
    ada, ada_id, plan = await learner_with_plan(dispatcher, engine)
    booking_id = await completed_with_share(
        dispatcher, clock, ada_id, plan, expert_user, expert_id
    )
    for _ in range(3):  # sessions 2-4: the plan is done
        await ada.say("/done")
    async with engine.connect() as conn:
        status = await conn.scalar(text("SELECT status FROM curricula WHERE id = :c"), {"c": plan})
    assert status == "completed"
    sent = await homework.send(
        SendHomework(expert_user, booking_id, "Go further"), ctx.uow(), clock, ctx.policy
    )
    assert sent.homework.proposed_position == 5
    done = await homework.answer(
        AnswerHomework(ada_id, sent.homework.id, True), ctx.uow(), clock, ctx.policy
    )
    assert done.session_number == 5
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT status, total_sessions FROM curricula WHERE id = :c"), {"c": plan}
            )
        ).one()
    assert tuple(row) == ("active", 5)
    assert "Go further" in await ada.say("/next")


async def test_back_from_the_quote_asks_the_share_question_again_and_back_again_the_time(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    _, expert_id = await expert_in(dispatcher, engine)
    ada, _, _ = await learner_with_plan(dispatcher, engine)
    async with engine.connect() as conn:
        subject = await conn.scalar(
            text("SELECT subject FROM expert_specialties WHERE expert_id = :e"), {"e": expert_id}
        )
    await ada.say(f"/experts {subject}")
    await ada.say("#1")  # the card
    await ada.press("📅 Book")
    await ada.press("60 min · 30.00 EUR")
    await ada.press("Tue 03 Mar")
    await ada.press("10:00")
    assert "Book 60 min" in await ada.press("🔒 Don't share")
    assert "Share a plan with" in await ada.press("◀ Back")
    assert "Which time on Tue 03 Mar?" in await ada.press("◀ Back")
    await ada.press("11:00")
    quote = await ada.press("📎 Go (beginner)")
    assert "will see “Go (beginner)”" in quote and "11:00" in quote
