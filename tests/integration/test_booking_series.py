"""Weekly series through the terminal chat and the services: booked in one flow, each week
checked in the learner's wall-clock time (DST in either zone), answered by the expert with one
tap, each week cancelled on its own; two learners racing for overlapping series."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from bot.handlers.base import Incoming
from bot.handlers.router import Dispatcher
from db.uow import SqlAlchemyUnitOfWork
from domain.marketplace import bookings, experts, payments, series
from domain.marketplace.bookings import book_in
from domain.marketplace.commands import ActOnBooking, BookSlot, SetAvailability
from domain.marketplace.model import Action, Policy
from domain.marketplace.rules import series_policy
from domain.marketplace.series_commands import AnswerSeries
from domain.shared.errors import DomainError
from tests.integration.test_marketplace import _learner, _verified_expert
from tests.support import FakeClock, Learner


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))  # Monday 07:00 in Berlin


@pytest.fixture
def policy() -> Policy:
    return Policy()


@pytest.fixture
def dispatcher(engine: AsyncEngine, clock: FakeClock, policy: Policy) -> Dispatcher:
    return bootstrap(engine, clock=clock, policy=policy)


SIXTY = "60 min · 30.00 EUR"


async def add_series(
    engine: AsyncEngine,
    learner_id: uuid.UUID,
    expert_id: uuid.UUID,
    starts: list[datetime],
    now: datetime,
    policy: Policy,
) -> uuid.UUID:
    """A pending series of 30-minute weeks at ``starts``, booked as ``book_series`` books it
    (``book_in`` for each week, under the expert's lock), without the walk."""
    async with SqlAlchemyUnitOfWork(engine) as uow:
        series_id = await uow.series.add(
            learner_id=learner_id,
            expert_id=expert_id,
            weekday=starts[0].weekday(),
            local_time=starts[0].time(),
            timezone="UTC",
            weeks=len(starts),
            minutes=30,
        )
        for week, start in enumerate(starts, 1):
            slot = BookSlot(learner_id, expert_id, start, 30, series=(series_id, week))
            await book_in(uow, slot, now, series_policy(policy))
        await uow.commit()
    return series_id


async def _name_of(engine: AsyncEngine, user_id: uuid.UUID) -> str:
    async with engine.connect() as conn:
        return await conn.scalar(
            text("SELECT external_id FROM platform_identities WHERE user_id = :u"), {"u": user_id}
        )


async def held(engine: AsyncEngine, expert_id: uuid.UUID) -> list[tuple[datetime, int, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT session_date, series_index, status FROM bookings "
                "WHERE expert_id = :e ORDER BY session_date"
            ),
            {"e": expert_id},
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def to_series(learner: Learner, expert_id: uuid.UUID, day: str, time: str) -> str:
    """The walk up to 🔁 Repeat weekly: 60 minutes on ``day`` ("Tue 03 Mar") at ``time``."""
    await learner.say(f"/start e_{expert_id.hex}")
    await learner.press("📅 Book")
    await learner.press(SIXTY)
    await learner.press(day)
    await learner.press(time)
    return await learner.press("🔁 Repeat weekly")


async def test_a_six_week_series_is_booked_confirmed_with_one_tap_and_one_week_cancelled(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    expert_user, expert_id, _ = await _verified_expert(engine, clock, policy)
    ada = Learner(dispatcher)
    await ada.say("/timezone Europe/Berlin")
    weeks = await to_series(ada, expert_id, "Tue 03 Mar", "09:00")
    assert "for how many weeks?" in weeks
    listed = await ada.press("6 weeks")
    for day in ("03 Mar", "10 Mar", "17 Mar", "24 Mar", "31 Mar", "07 Apr"):
        assert f"Tue {day} 09:00 · ✅ open" in listed
    requested = await ada.press("✅ Book all weeks")
    assert "Requested 6 of 6 weeks" in requested
    assert [(i, s) for _, i, s in await held(engine, expert_id)] == [
        (i, "pending") for i in range(1, 7)
    ]

    # The expert gets one notice for the series, and confirms it all with one tap.
    expert = Learner(dispatcher, await _name_of(engine, expert_user))
    await expert.say("/help")
    requests = [n for n in expert.notices if "weekly booking request" in n.text]
    assert len(requests) == 1
    assert not any("New booking request" in n.text for n in expert.notices)
    confirmed = await expert.press("✅ Confirm all")
    assert "Confirmed 6 of the series" in confirmed
    assert {s for _, _, s in await held(engine, expert_id)} == {"scheduled"}
    told = await ada.say("/help")
    assert "confirmed 6 weeks of your weekly booking" in told

    # Both sides get the six weeks in one calendar file: an event per week, each with its own
    # booking's UID at version 0, so a week's later invite updates that week alone.
    async with engine.connect() as conn:
        ids = (
            await conn.scalars(
                text("SELECT id FROM bookings WHERE expert_id = :e ORDER BY session_date"),
                {"e": expert_id},
            )
        ).all()
    [learners] = [n for n in ada.notices if "confirmed 6 weeks" in n.text]
    for reply in (learners, expert.last[0]):
        assert reply.attachment is not None and reply.attachment.mime_type == "text/calendar"
        calendar = Calendar.from_ical(reply.attachment.content)
        assert str(calendar["METHOD"]) == "PUBLISH"
        events = calendar.walk("VEVENT")
        assert [str(e["UID"]) for e in events] == [f"{i}@syllabot" for i in ids]
        assert {int(e["SEQUENCE"]) for e in events} == {0}

    # /bookings labels each week; the learner cancels week 3 only.
    listing = await ada.say("/bookings")
    assert "week 3/6" in listing
    await ada.press("Tue 17 Mar 09:00 · " + (await _expert_name(engine, expert_id)))
    await ada.press("Cancel booking")
    cancelled = await ada.say("Skip")  # typed: as the button
    assert "Cancelled" in cancelled and "Reason:" not in cancelled
    states = [(i, s) for _, i, s in await held(engine, expert_id)]
    assert states == [(i, "cancelled" if i == 3 else "scheduled") for i in range(1, 7)]


async def test_a_series_is_nudged_as_a_whole_not_each_week_and_never_once_answered(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    expert_user, expert_id, _ = await _verified_expert(engine, clock, policy)
    ada = Learner(dispatcher)
    await to_series(ada, expert_id, "Tue 03 Mar", "09:00")
    await ada.press("4 weeks")
    await ada.press("✅ Book all weeks")
    async with engine.connect() as conn:
        planned = await conn.scalar(
            text(
                "SELECT count(*) FROM notifications WHERE kind = 'booking_nudge' AND user_id = :u"
            ),
            {"u": expert_user},
        )
    # For the series as a whole, not per week (which would be 1 + 2 + 2 + 2): week 1 lapses
    # when it starts, 26 hours from now, so only the 12-hour nudge comes before it.
    assert planned == 1

    expert = Learner(dispatcher, await _name_of(engine, expert_user))
    await expert.say("/help")
    clock.advance(hours=12)
    await expert.say("/help")
    [nudge] = [n for n in expert.notices if n.text.startswith("⏳")]
    assert "still waiting for your answer to their weekly request" in nudge.text
    assert "4 of 4 weeks" in nudge.text
    labels = [b.label for row in nudge.buttons for b in row]
    assert labels[:2] == ["✅ Confirm all", "❌ Decline all"]

    await expert.press("✅ Confirm all")
    clock.advance(hours=24)
    await expert.say("/help")
    assert len([n for n in expert.notices if n.text.startswith("⏳")]) == 1


async def test_a_week_card_offers_its_expert_confirm_all_while_other_weeks_wait(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    expert_user, expert_id, _ = await _verified_expert(engine, clock, policy)
    ada = Learner(dispatcher)
    await to_series(ada, expert_id, "Tue 10 Mar", "09:00")
    await ada.press("3 weeks")
    await ada.press("✅ Book all weeks")
    expert = Learner(dispatcher, await _name_of(engine, expert_user))
    await expert.say("/help")
    # Found by its text: the expert's "verified" notice is due at the same moment.
    [request] = [n for n in expert.notices if n.text.startswith("📨 New weekly booking")]
    weeks = [b.label for row in request.buttons for b in row if "/3 · " in b.label]
    assert len(weeks) == 3

    card = await expert.press(weeks[1])  # week 2's own card
    assert "week 2/3" in card
    assert expert.buttons()[:2] == ["✅ Confirm", "❌ Decline"]
    assert expert.buttons()[-2:] == ["✅ Confirm all", "❌ Decline all"]
    await expert.press("✅ Confirm")  # this week alone
    await expert.press(weeks[2])
    assert expert.buttons()[-2:] == ["✅ Confirm all", "❌ Decline all"]  # weeks 1 and 3 wait
    assert "Confirmed 2 of the series" in await expert.press("✅ Confirm all")
    assert {s for _, _, s in await held(engine, expert_id)} == {"scheduled"}
    await expert.press(weeks[0])
    assert "✅ Confirm all" not in expert.buttons()
    # The learner's week card has no series answers.
    await ada.say("/bookings")
    await ada.say("#1")
    assert "✅ Confirm all" not in ada.buttons() and "❌ Decline all" not in ada.buttons()


async def test_weeks_lapsing_together_are_told_once_to_each_side(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    """The weeks of an unanswered series lapse at the same moment: one notice each side, not
    one per week; week 1, starting inside the 48 hours, lapses on its own at its start."""
    expert_user, expert_id, _ = await _verified_expert(engine, clock, policy)
    ada = Learner(dispatcher)
    await to_series(ada, expert_id, "Tue 03 Mar", "09:00")
    await ada.press("4 weeks")
    await ada.press("✅ Book all weeks")
    expert = Learner(dispatcher, await _name_of(engine, expert_user))

    def lapsed(person: Learner) -> list[str]:
        return [n.text for n in person.notices if n.text.startswith("⌛")]

    clock.advance(hours=27, minutes=1)  # week 1 has started: it lapsed alone
    await bookings.expire_pending(SqlAlchemyUnitOfWork(engine), clock)
    states = [s for _, _, s in await held(engine, expert_id)]
    assert states == ["cancelled", "pending", "pending", "pending"]
    clock.advance(hours=22)  # 49 hours on: the other three lapse together
    await bookings.expire_pending(SqlAlchemyUnitOfWork(engine), clock)
    await ada.say("/help")
    await expert.say("/help")
    first, rest = lapsed(ada)
    assert "didn't answer your request in time" in first
    assert "didn't answer your weekly request (3 weeks, the first below) in time" in rest
    assert "Tue 10 Mar" in rest
    [_, theirs] = lapsed(expert)
    assert "weekly request (3 weeks, the first below) lapsed without your answer" in theirs
    assert "the times are free again" in theirs
    assert {s for _, _, s in await held(engine, expert_id)} == {"cancelled"}


async def _expert_name(engine: AsyncEngine, expert_id: uuid.UUID) -> str:
    async with engine.connect() as conn:
        return await conn.scalar(
            text("SELECT display_name FROM experts WHERE id = :e"), {"e": expert_id}
        )


async def test_the_learners_time_stays_across_their_dst_change_and_the_expert_sees_it_move(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    # New York changes on 8 March, Berlin on 29 March: 10:00 in New York is 16:00 in Berlin,
    # then 15:00 for three weeks, then 16:00 again.
    expert_user, expert_id, _ = await _verified_expert(engine, clock, policy)
    ny = Learner(dispatcher)
    await ny.say("/timezone America/New_York")
    await to_series(ny, expert_id, "Tue 03 Mar", "10:00")
    listed = await ny.press("6 weeks")
    for day in ("03 Mar", "10 Mar", "17 Mar", "24 Mar", "31 Mar", "07 Apr"):
        assert f"Tue {day} 10:00 · ✅ open" in listed
    await ny.press("✅ Book all weeks")
    starts = [s for s, _, _ in await held(engine, expert_id)]
    assert [s.astimezone(UTC).hour for s in starts] == [15, 14, 14, 14, 14, 14]
    expert = Learner(dispatcher, await _name_of(engine, expert_user))
    await expert.say("/help")
    notice = next(n.text for n in expert.notices if "weekly booking request" in n.text)
    for line in ("Tue 03 Mar 16:00", "Tue 10 Mar 15:00", "Tue 24 Mar 15:00", "Tue 31 Mar 16:00"):
        assert line in notice


async def test_weeks_the_experts_dst_change_takes_out_of_their_hours_are_marked_not_open(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    # Tokyo has no DST: 19:00 there is 11:00 in Berlin until 29 March, then 12:00, after the
    # expert's Tuesday hours (09:00-12:00). Those weeks are shown closed; the open ones book.
    _, expert_id, uow = await _verified_expert(engine, clock, policy)
    expert_user = (await experts.get_expert(expert_id, uow())).user_id
    await experts.set_availability(SetAvailability(expert_user, "tue 09:00-12:00"), uow())
    tokyo = Learner(dispatcher)
    await tokyo.say("/timezone Asia/Tokyo")
    await to_series(tokyo, expert_id, "Tue 03 Mar", "19:00")
    listed = await tokyo.press("6 weeks")
    assert "Tue 24 Mar 19:00 · ✅ open" in listed
    assert "Tue 31 Mar 19:00 · ❌ outside the expert's hours" in listed
    assert "Tue 07 Apr 19:00 · ❌ outside the expert's hours" in listed
    assert "Requested 4 of 6 weeks" in await tokyo.press("✅ Book 4 open")
    assert [i for _, i, _ in await held(engine, expert_id)] == [1, 2, 3, 4]


async def test_weeks_beyond_the_series_horizon_or_taken_are_marked_and_not_booked(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    short = Policy(horizon=timedelta(days=20), series_horizon=timedelta(days=20))
    walker = bootstrap(engine, clock=clock, policy=short)
    _, expert_id, _ = await _verified_expert(engine, clock, short)
    first = Learner(walker)
    await first.say("/timezone Europe/Berlin")
    await first.say(f"/start e_{expert_id.hex}")
    await first.press("📅 Book")
    await first.press(SIXTY)
    await first.press("Tue 10 Mar")
    await first.press("09:00")
    assert "Requested!" in await first.press("✅ Confirm")
    ada = Learner(walker)
    await ada.say("/timezone Europe/Berlin")
    await to_series(ada, expert_id, "Tue 03 Mar", "09:00")
    listed = await ada.press("4 weeks")
    assert "Tue 10 Mar 09:00 · ❌ taken" in listed
    assert "Tue 24 Mar 09:00 · ❌ beyond the booking horizon" in listed
    assert "Requested 2 of 4 weeks" in await ada.press("✅ Book 2 open")


async def test_two_learners_booking_overlapping_series_at_once_never_double_book(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    _, expert_id, _ = await _verified_expert(engine, clock, policy)
    ada, bob = Learner(dispatcher), Learner(dispatcher)
    for person, time, weeks in ((ada, "09:00", "6 weeks"), (bob, "09:30", "4 weeks")):
        await person.say("/timezone Europe/Berlin")
        await to_series(person, expert_id, "Tue 03 Mar", time)
        assert "✅ Book all weeks" in (await person.press(weeks)) + str(person.buttons())
    books = [
        person.chat.buttons[person.buttons().index("✅ Book all weeks")].payload
        for person in (ada, bob)
    ]
    answers = await asyncio.gather(
        *(
            dispatcher.handle(Incoming(person.chat._identity, payload=payload))
            for person, payload in zip((ada, bob), books, strict=True)
        )
    )
    heads = sorted(replies[0].text.split("\n")[0] for replies in answers)
    won = [h for h in heads if h.startswith("📨 Requested")]
    lost = [h for h in heads if "Nothing was booked" in h]
    assert len(won) == 1 and len(lost) == 1
    rows = await held(engine, expert_id)
    assert len(rows) in (4, 6)  # one series whole, nothing of the other
    async with engine.connect() as conn:
        overlaps = await conn.scalar(
            text(
                "SELECT count(*) FROM bookings a JOIN bookings b ON a.expert_id = b.expert_id "
                "AND a.id < b.id AND a.status IN ('pending', 'scheduled') "
                "AND b.status IN ('pending', 'scheduled') "
                "AND a.session_date < b.session_date + make_interval(mins => b.duration) "
                "AND b.session_date < a.session_date + make_interval(mins => a.duration) "
                "WHERE a.expert_id = :e"
            ),
            {"e": expert_id},
        )
    assert overlaps == 0


async def test_a_series_typed_in_one_line_shows_its_weeks_and_books_them(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    _, expert_id, _ = await _verified_expert(engine, clock, policy)
    name = await _expert_name(engine, expert_id)
    ada = Learner(dispatcher)
    await ada.say("/timezone Europe/Berlin")
    listed = await ada.say(f"/book {name.upper()} every tuesday 4pm for 3 weeks 30 min")
    assert f"Weekly with {name}, 30 min, 20.00 EUR each" in listed
    for day in ("03 Mar", "10 Mar", "17 Mar"):
        assert f"Tue {day} 16:00 · ✅ open" in listed
    assert ada.buttons() == ["✅ Book all weeks", "✖ Cancel"]  # nothing to go back to
    assert "Requested 3 of 3 weeks" in await ada.press("✅ Book all weeks")
    assert [i for _, i, _ in await held(engine, expert_id)] == [1, 2, 3]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/book", "Usage: /book"),
        ("/book someone tuesdays at six", "Usage: /book"),
        ("/book Nobody Known every tuesday 18:00 for 6 weeks", "can't find an expert"),
        ("/book {name} every blursday 18:00 for 6 weeks", "not a weekday"),
        ("/book {name} every tue 25:00 for 6 weeks", "25:00"),
        ("/book {name} every tue 18:00 for 40 weeks", "from 2 to 12 weeks"),
        ("/book {name} every tue 18:00 for 6 weeks 45 min", "30, 60, 90 minutes"),
    ],
)
async def test_a_badly_typed_series_gets_a_clear_message_and_books_nothing(
    dispatcher: Dispatcher,
    engine: AsyncEngine,
    clock: FakeClock,
    policy: Policy,
    line: str,
    expected: str,
) -> None:
    _, expert_id, _ = await _verified_expert(engine, clock, policy)
    name = await _expert_name(engine, expert_id)
    ada = Learner(dispatcher)
    assert expected in await ada.say(line.format(name=name))
    assert await held(engine, expert_id) == []


async def test_confirm_all_takes_the_weeks_still_pending_and_refuses_once_none_is(
    engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    expert_user, expert_id, uow = await _verified_expert(engine, clock, policy)
    learner = await _learner(uow)
    starts = [datetime(2026, 3, 3 + 7 * w, 9, 0, tzinfo=UTC) for w in range(4)]
    series_id = await add_series(engine, learner, expert_id, starts, clock.now(), policy)
    weeks = await series.occurrences_of(expert_user, series_id, uow())
    pay = payments.ManualPayments()
    # Week 1 confirmed on its own card, week 2 cancelled by the learner.
    await bookings.act(
        ActOnBooking(expert_user, weeks[0].id, Action.CONFIRM), uow(), clock, policy, pay
    )
    await bookings.act(
        ActOnBooking(learner, weeks[1].id, Action.CANCEL), uow(), clock, policy, pay
    )
    assert series.series_actions(
        await series.occurrences_of(expert_user, series_id, uow()),
        expert_user,
        clock.now(),
        policy,
    ) == {Action.CONFIRM, Action.DECLINE}

    done = await series.answer(
        AnswerSeries(expert_user, series_id, True), uow(), clock, policy, pay
    )
    assert [b.series_index for b in done.changed] == [3, 4] and done.left == ()
    states = [(i, s) for _, i, s in await held(engine, expert_id)]
    assert states == [(1, "scheduled"), (2, "cancelled"), (3, "scheduled"), (4, "scheduled")]
    with pytest.raises(DomainError, match="can't be declined now"):
        await series.answer(AnswerSeries(expert_user, series_id, False), uow(), clock, policy, pay)


async def test_pending_weeks_lapse_by_the_usual_expiry_and_confirm_all_then_says_so(
    engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    expert_user, expert_id, uow = await _verified_expert(engine, clock, policy)
    learner = await _learner(uow)
    starts = [datetime(2026, 3, 10 + 7 * w, 9, 0, tzinfo=UTC) for w in range(2)]
    series_id = await add_series(engine, learner, expert_id, starts, clock.now(), policy)
    clock.advance(hours=48, seconds=1)
    pay = payments.ManualPayments()
    with pytest.raises(DomainError, match="lapsed before it was confirmed"):
        await series.answer(AnswerSeries(expert_user, series_id, True), uow(), clock, policy, pay)
    assert await bookings.expire_pending(uow(), clock) >= 2
    assert {s for _, _, s in await held(engine, expert_id)} == {"cancelled"}


async def test_reminders_follow_each_confirmed_week(
    engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    expert_user, expert_id, uow = await _verified_expert(engine, clock, policy)
    learner = await _learner(uow)
    starts = [datetime(2026, 3, 3 + 7 * w, 9, 0, tzinfo=UTC) for w in range(3)]
    series_id = await add_series(engine, learner, expert_id, starts, clock.now(), policy)
    pay = payments.ManualPayments()
    await series.answer(AnswerSeries(expert_user, series_id, True), uow(), clock, policy, pay)
    weeks = await series.occurrences_of(learner, series_id, uow())
    await bookings.act(
        ActOnBooking(learner, weeks[1].id, Action.CANCEL), uow(), clock, policy, pay
    )
    async with engine.connect() as conn:
        planned = await conn.execute(
            text(
                "SELECT data->>'booking_id' FROM notifications WHERE kind = 'booking_reminder' "
                "AND status = 'pending' AND user_id = :u"
            ),
            {"u": learner},
        )
        reminded = {uuid.UUID(row[0]) for row in planned}
    assert reminded == {weeks[0].id, weeks[2].id}


async def test_back_walks_from_the_list_to_the_weeks_and_the_quote_and_decline_all_declines(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    expert_user, expert_id, _ = await _verified_expert(engine, clock, policy)
    ada = Learner(dispatcher)
    await ada.say("/timezone Europe/Berlin")
    await to_series(ada, expert_id, "Tue 03 Mar", "11:00")
    await ada.press("3 weeks")
    assert "for how many weeks?" in await ada.press("◀ Back")
    assert "Book 60 min with" in await ada.press("◀ Back")
    await ada.press("🔁 Repeat weekly")
    await ada.press("2 weeks")
    assert "Requested 2 of 2 weeks" in await ada.press("✅ Book all weeks")
    expert = Learner(dispatcher, await _name_of(engine, expert_user))
    await expert.say("/help")
    assert "Declined 2 of the series" in await expert.press("❌ Decline all")
    assert "declined 2 weeks of your weekly booking" in await ada.say("/help")
    assert {s for _, _, s in await held(engine, expert_id)} == {"cancelled"}
    # Nothing is left to answer: the notice was edited without its buttons, and Confirm all
    # is refused by the rules of each week.
    assert expert.buttons() == []
    async with engine.connect() as conn:
        series_id = await conn.scalar(
            text("SELECT series_id FROM bookings WHERE expert_id = :e LIMIT 1"), {"e": expert_id}
        )
    with pytest.raises(DomainError, match="can't be confirmed now"):
        await series.answer(
            AnswerSeries(expert_user, series_id, True),
            dispatcher.ctx.uow(),
            clock,
            policy,
            payments.ManualPayments(),
        )


async def test_a_week_beyond_the_booking_horizon_is_moved_on_its_own_within_the_series_horizon(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    expert_user, expert_id, _ = await _verified_expert(engine, clock, policy)
    ada = Learner(dispatcher)
    await ada.say("/timezone Europe/Berlin")
    await to_series(ada, expert_id, "Tue 03 Mar", "09:00")
    await ada.press("8 weeks")  # week 8 is Tue 21 Apr, beyond the 30-day booking horizon
    assert "Requested 8 of 8 weeks" in await ada.press("✅ Book all weeks")
    await ada.say("/bookings")
    await ada.press(f"Tue 21 Apr 09:00 · {await _expert_name(engine, expert_id)}")
    days = await ada.press("🗓 Reschedule")
    assert "Which day?" in days
    while "Wed 22 Apr" not in ada.buttons():
        await ada.press("later ▶")
    await ada.press("Wed 22 Apr")
    await ada.press("10:00")
    assert "Moved from Tue 21 Apr 2026, 09:00 to Wed 22 Apr 2026, 10:00" in await ada.press(
        "✅ Confirm"
    )
    rows = await held(engine, expert_id)
    assert [(s.day, i) for s, i, _ in rows][-2:] == [(14, 7), (22, 8)]  # still week 8/8
