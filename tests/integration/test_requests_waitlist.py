"""Requests that do not rot: the expert is nudged at 12 and 36 hours, a lapsed request tells
the learner with other times and similar experts, and a fully booked day has a waitlist whose
learners are told once when a time frees up (the first to book it wins)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import bootstrap
from bot.handlers import payloads
from bot.handlers.base import Incoming
from bot.handlers.notifications.notices import render
from bot.handlers.router import Dispatcher
from db.uow import SqlAlchemyUnitOfWork
from domain.accounts.conversations import STALE
from domain.accounts.model import Identity
from domain.accounts.registration import register
from domain.marketplace import bookings, experts, moves, waitlist
from domain.marketplace.commands import (
    ActOnBooking,
    AnswerMove,
    BecomeExpert,
    BookSlot,
    RescheduleBooking,
    SetAvailability,
    VerifyExpert,
)
from domain.marketplace.model import Action, Policy
from domain.marketplace.payments import ManualPayments
from domain.notifications.model import NotificationKind
from tests.support import FakeClock, Learner, expert_draft, user_id

SIXTY = "60 min · 30.00 EUR"  # 60 minutes at the middle of 20-40 an hour
NUDGE = NotificationKind.BOOKING_NUDGE


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))  # Monday 07:00 in Berlin


@pytest.fixture
def policy() -> Policy:
    return Policy()


@pytest.fixture
def dispatcher(engine: AsyncEngine, clock: FakeClock, policy: Policy) -> Dispatcher:
    return bootstrap(engine, clock=clock, policy=policy)


def uow_of(engine: AsyncEngine):
    def uow() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(engine)

    return uow


async def an_expert(
    engine: AsyncEngine,
    clock: FakeClock,
    policy: Policy,
    hours: str,
    *,
    zone: str = "Europe/Berlin",
    subject: str = "Go",
    name: str | None = None,
) -> tuple[uuid.UUID, uuid.UUID, str]:
    """A verified expert with ``hours`` in ``zone``: (user id, expert id, chat name)."""
    uow = uow_of(engine)
    chat = f"ex-{uuid.uuid4().hex[:8]}"
    user, _ = await register(Identity("terminal", chat, chat, chat), uow(), FakeClock())
    draft = replace(expert_draft(name or chat, subject), timezone=zone)
    expert = await experts.become_expert(BecomeExpert(user.id, draft), uow(), clock, policy)
    await experts.verify_expert(VerifyExpert(None, expert.id, True), uow(), clock, policy)
    await experts.set_availability(SetAvailability(user.id, hours), uow())
    return user.id, expert.id, chat


async def a_learner(engine: AsyncEngine) -> uuid.UUID:
    name = f"l-{uuid.uuid4().hex[:8]}"
    user, _ = await register(Identity("terminal", name, name, name), uow_of(engine)(), FakeClock())
    return user.id


async def waiting(engine: AsyncEngine, expert_id: uuid.UUID) -> list[tuple[object, ...]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT user_id, starts_on, ends_on, minutes, expires_at FROM waitlist_entries"
                " WHERE expert_id = :e ORDER BY created_at, user_id"
            ),
            {"e": expert_id},
        )
        return [tuple(row) for row in rows]


async def nudges(engine: AsyncEngine, booking_id: uuid.UUID) -> list[tuple[object, ...]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT due_at, expires_at, status FROM notifications WHERE kind = :k"
                " AND data->>'booking_id' = :b ORDER BY due_at"
            ),
            {"k": NUDGE.value, "b": str(booking_id)},
        )
        return [tuple(row) for row in rows]


async def pressed(dispatcher: Dispatcher, person: Learner, payload: str) -> str:
    """``person`` sending a button press with ``payload`` (forged or not)."""
    replies = await dispatcher.handle(Incoming(person.chat._identity, payload=payload))
    return "\n".join(reply.text for reply in replies)


async def wait_for(person: Learner, expert_id: uuid.UUID, day: str) -> str:
    """``person`` taps 🔔 on the expert's fully booked ``day`` ("Tue 03 Mar"), 60 minutes."""
    await person.say(f"/start e_{expert_id.hex}")
    await person.press("📅 Book")
    await person.press(SIXTY)
    await person.press(f"{day} · full")
    return await person.press("🔔 Tell me if a slot frees up")


async def cancel(engine, clock, policy, who: uuid.UUID, booking_id: uuid.UUID) -> None:
    command = ActOnBooking(who, booking_id, Action.CANCEL)
    await bookings.act(command, uow_of(engine)(), clock, policy, ManualPayments())


# -- nudges -----------------------------------------------------------------------------------


async def test_a_request_made_before_a_dst_change_nudges_the_expert_12_and_36_real_hours_later(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    # Saturday 28 March 2026, 20:00 in Berlin; the clocks go forward at 02:00 that night.
    clock.set(datetime(2026, 3, 28, 19, 0, tzinfo=UTC))
    expert_user, expert_id, chat = await an_expert(engine, clock, policy, "wed 09:00-17:00")
    ada = await a_learner(engine)
    start = datetime(2026, 4, 1, 7, 0, tzinfo=UTC)  # Wednesday 09:00 in Berlin (CEST)
    booking = await bookings.book(
        BookSlot(ada, expert_id, start, 60), uow_of(engine)(), clock, policy
    )
    lapses = clock.now() + timedelta(hours=48)
    assert await nudges(engine, booking.id) == [
        (clock.now() + timedelta(hours=12), lapses, "pending"),
        (clock.now() + timedelta(hours=36), lapses, "pending"),
    ]
    berlin = ZoneInfo("Europe/Berlin")
    twelve = (clock.now() + timedelta(hours=12)).astimezone(berlin)
    assert twelve.strftime("%a %H:%M %Z") == "Sun 09:00 CEST"  # 13 wall-clock hours after 20:00

    expert = Learner(dispatcher, chat)
    await expert.say("/start")
    clock.advance(hours=12)
    await expert.say("/waitlist")
    [nudge] = [n for n in expert.notices if n.text.startswith("⏳")]
    assert "is still waiting for your answer" in nudge.text
    assert "lapses on Mon 30 Mar 2026, 21:00 (Europe/Berlin)" in nudge.text  # 48 h: 21:00 CEST
    assert [b.label for row in nudge.buttons for b in row][:2] == ["✅ Confirm", "❌ Decline"]

    # Answered before 36 hours: the second nudge is not sent (it no longer applies).
    clock.advance(hours=8)
    await bookings.act(
        ActOnBooking(expert_user, booking.id, Action.CONFIRM),
        uow_of(engine)(),
        clock,
        policy,
        ManualPayments(),
    )
    clock.advance(hours=16)
    await expert.say("/waitlist")
    assert [n for n in expert.notices if n.text.startswith("⏳")] == [nudge]
    assert [status for *_, status in await nudges(engine, booking.id)] == ["sent", "dropped"]


async def test_a_request_lapsing_before_a_nudge_is_due_plans_only_those_before_it(
    engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    _, expert_id, _ = await an_expert(engine, clock, policy, "tue 09:00-17:00")
    ada = await a_learner(engine)
    start = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # 27 hours away: it lapses at its start
    booking = await bookings.book(
        BookSlot(ada, expert_id, start, 60), uow_of(engine)(), clock, policy
    )
    assert await nudges(engine, booking.id) == [
        (clock.now() + timedelta(hours=12), start, "pending")
    ]


async def test_a_request_refused_for_a_taken_slot_plans_no_nudges(
    engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    """The nudges are written by the booking's own insert: when held time refuses it (a rival
    committed first, under the lock), none is written."""
    expert_user, expert_id, _ = await an_expert(engine, clock, policy, "tue 09:00-17:00")
    start = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    await bookings.book(
        BookSlot(await a_learner(engine), expert_id, start, 60), uow_of(engine)(), clock, policy
    )
    rival, learner, now = uuid.uuid4(), await a_learner(engine), clock.now()
    expires = now + policy.pending_expiry
    async with uow_of(engine)() as uow:
        await uow.experts.lock_for_booking(expert_id, learner)
        added = await uow.bookings.add_if_free(
            booking_id=rival,
            learner_id=learner,
            expert_user_id=expert_user,
            expert_id=expert_id,
            starts_at=start,
            minutes=60,
            price=Decimal("30.00"),
            currency="EUR",
            expires_at=expires,
            now=now,
            buffer=policy.buffer,
            planned=waitlist.request_nudges(rival, expert_user, now, expires, policy),
        )
        await uow.commit()
    assert added is None
    async with engine.connect() as conn:
        planned = await conn.scalar(
            text("SELECT count(*) FROM notifications WHERE kind = :k AND user_id = :u"),
            {"k": NUDGE.value, "u": expert_user},
        )
    assert planned == 1  # the first request's 12-hour nudge alone


# -- the lapse notice -------------------------------------------------------------------------


async def test_a_lapsed_request_offers_the_experts_next_times_and_similar_experts_as_buttons(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    subject = f"Lapse{uuid.uuid4().hex[:6]}"
    hours = "mon-fri 09:00-17:00"
    ann_user, expert_id, _ = await an_expert(
        engine, clock, policy, hours, subject=subject, name="Ann"
    )
    for other in ("Bea", "Cy"):
        await an_expert(engine, clock, policy, hours, subject=subject, name=other)
    await an_expert(engine, clock, policy, hours, name="Dee")  # teaches Go
    ada = Learner(dispatcher)
    await ada.say(f"/start e_{expert_id.hex}")
    await ada.press("📅 Book")
    await ada.press(SIXTY)
    await ada.press("Wed 04 Mar")
    await ada.press("12:00")
    assert "Requested!" in await ada.press("✅ Confirm")
    async with engine.connect() as conn:
        first_id = await conn.scalar(
            text("SELECT id FROM bookings WHERE expert_id = :e"), {"e": expert_id}
        )
    lapsed_data = {"booking_id": str(first_id)}

    clock.advance(hours=48)  # nobody answered
    assert await bookings.expire_pending(uow_of(engine)(), clock) >= 1
    await ada.say("/waitlist")
    lapsed = ada.notices[-1]
    assert lapsed.text.startswith("⌛ Ann didn't answer your request in time, so it lapsed")
    assert "Ann's next free times (UTC), one tap to book:" in lapsed.text
    assert "Similar experts: Bea, Cy." in lapsed.text or "Similar experts: Cy, Bea." in lapsed.text
    labels = [b.label for row in lapsed.buttons for b in row]
    assert labels[:3] == ["📅 Thu 05 Mar 08:00", "📅 Thu 05 Mar 08:30", "📅 Thu 05 Mar 09:00"]
    assert sorted(labels[3:5]) == ["Bea", "Cy"]  # equally rated: in either order

    quote = await ada.press("📅 Thu 05 Mar 08:30")
    assert "Book 60 min with Ann on Thu 05 Mar 2026, 08:30 (UTC) for 30.00 EUR?" in quote
    assert "Requested!" in await ada.press("✅ Confirm")
    card = await ada.press("Bea")
    assert card.startswith("Bea") and "📅 Book" in ada.buttons()
    assert "Dee" not in labels  # Dee teaches another subject

    # The expert is told too, with the card.
    assert await _notices_of(engine, expert_id) == ["booking_expired"]
    told = await render(dispatcher.ctx, ann_user, NotificationKind.BOOKING_EXPIRED, lapsed_data)
    assert told is not None
    assert told.text.startswith(f"⌛ {ada.name}'s request lapsed without your answer")
    assert "· lapsed ·" in told.text


async def _notices_of(engine: AsyncEngine, expert_id: uuid.UUID) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT n.kind FROM notifications n JOIN experts e ON e.user_id = n.user_id"
                " WHERE e.id = :e AND n.kind = 'booking_expired'"
            ),
            {"e": expert_id},
        )
        return [kind for (kind,) in rows]


# -- the waitlist -----------------------------------------------------------------------------


async def test_two_waitlisted_learners_are_told_once_and_the_first_to_book_the_freed_time_wins(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    _, expert_id, _ = await an_expert(
        engine, clock, policy, "tue 09:00-10:00; wed 09:00-10:00", name="Ann"
    )
    first = await a_learner(engine)
    tuesday = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # Tuesday 09:00 Berlin: the day's one hour
    taken = await bookings.book(
        BookSlot(first, expert_id, tuesday, 60), uow_of(engine)(), clock, policy
    )
    ada, bob = Learner(dispatcher), Learner(dispatcher)
    for person in (ada, bob):
        await person.say(f"/start e_{expert_id.hex}")
        await person.press("📅 Book")
        await person.press(SIXTY)
        assert person.buttons()[:2] == ["Tue 03 Mar · full", "Wed 04 Mar"]
        full = await person.press("Tue 03 Mar · full")
        assert full.startswith("Tue 03 Mar is fully booked with Ann.")
        assert person.buttons() == ["🔔 Tell me if a slot frees up", "◀ Back", "✖ Cancel"]
        bell = person.payloads()[0]
        joined = await person.press("🔔 Tell me if a slot frees up")
        assert joined.startswith("🔔 You're on the waitlist for Tue 03 Mar with Ann")
        assert person.buttons() == ["🔕 Leave the waitlist"]
    # A double tap (the 🔔 again) adds nothing.
    assert await pressed(dispatcher, bob, bell) == STALE
    ada_id, bob_id = await user_id(engine, ada), await user_id(engine, bob)
    ends = datetime(2026, 3, 3, 23, 0, tzinfo=UTC)  # Berlin's midnight after Tuesday
    assert sorted(await waiting(engine, expert_id)) == sorted(
        [
            (ada_id, date(2026, 3, 3), date(2026, 3, 3), 60, ends),
            (bob_id, date(2026, 3, 3), date(2026, 3, 3), 60, ends),
        ]
    )
    assert "Ann · Tue 03 Mar · 60 min" in await ada.say("/waitlist")

    await cancel(engine, clock, policy, first, taken.id)  # the hour frees up
    assert await waiting(engine, expert_id) == []  # each entry is told once, then gone
    for person in (ada, bob):
        assert "You're on no waitlist" in await person.say("/waitlist")
        freed = person.notices[-1]
        assert freed.text.startswith("🔔 A time freed up with Ann (Tue 03 Mar in Europe/Berlin)")
        assert [b.label for row in freed.buttons for b in row] == ["📅 Tue 03 Mar 08:00"]
        quote = await person.press("📅 Tue 03 Mar 08:00")
        assert "Book 60 min with Ann on Tue 03 Mar 2026, 08:00 (UTC)" in quote
    # Both press ✅ Confirm at the same moment: the expert's lock decides, one books.
    confirms = [person.payloads()[0] for person in (ada, bob)]
    answers = await asyncio.gather(
        *(pressed(dispatcher, p, c) for p, c in zip((ada, bob), confirms, strict=True))
    )
    assert sorted("Requested!" in answer for answer in answers) == [False, True]
    [lost] = [answer for answer in answers if "Requested!" not in answer]
    assert "Sorry, that slot was just taken. Nothing was booked." in lost
    assert "That day has no free time left" in lost
    async with engine.connect() as conn:
        booked = await conn.scalar(
            text("SELECT count(*) FROM bookings WHERE expert_id = :e AND status = 'pending'"),
            {"e": expert_id},
        )
    assert booked == 1


async def test_the_waitlist_day_is_the_experts_local_date_in_another_zone_than_the_learners(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    # Tokyo's Tuesday 08:00-09:00 is Monday 18:00-19:00 in New York (14 hours behind).
    _, expert_id, _ = await an_expert(
        engine, clock, policy, "tue 08:00-09:00", zone="Asia/Tokyo", name="Kei"
    )
    first, later = await a_learner(engine), await a_learner(engine)
    tokyo_tuesday = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    taken = await bookings.book(
        BookSlot(first, expert_id, tokyo_tuesday, 60), uow_of(engine)(), clock, policy
    )
    next_week = await bookings.book(
        BookSlot(later, expert_id, tokyo_tuesday + timedelta(days=7), 60),
        uow_of(engine)(),
        clock,
        policy,
    )
    ada = Learner(dispatcher)
    await ada.say("/timezone America/New_York")
    await ada.say(f"/start e_{expert_id.hex}")
    await ada.press("📅 Book")
    await ada.press(SIXTY)
    assert ada.buttons()[0] == "Mon 02 Mar · full"  # her Monday evening
    await ada.press("Mon 02 Mar · full")
    await ada.press("🔔 Tell me if a slot frees up")
    ada_id = await user_id(engine, ada)
    tokyo_midnight = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # Wednesday 00:00 in Tokyo
    assert await waiting(engine, expert_id) == [
        (ada_id, date(2026, 3, 3), date(2026, 3, 3), 60, tokyo_midnight)
    ]
    await cancel(engine, clock, policy, later, next_week.id)  # another Tokyo Tuesday
    assert len(await waiting(engine, expert_id)) == 1
    await cancel(engine, clock, policy, first, taken.id)
    assert await waiting(engine, expert_id) == []
    await ada.say("/waitlist")
    freed = ada.notices[-1]
    assert freed.text.startswith("🔔 A time freed up with Kei (Tue 03 Mar in Asia/Tokyo)")
    assert "times in your zone, America/New_York" in freed.text
    assert [b.label for row in freed.buttons for b in row] == ["📅 Mon 02 Mar 18:00"]


def test_a_wait_ends_at_the_experts_next_local_midnight_across_dst_changes() -> None:
    # Europe/Berlin's 25-hour Sunday (clocks back) and 23-hour Sunday (clocks forward).
    assert waitlist.expires(date(2026, 10, 25), "Europe/Berlin") == datetime(
        2026, 10, 25, 23, 0, tzinfo=UTC
    )
    assert waitlist.expires(date(2026, 3, 29), "Europe/Berlin") == datetime(
        2026, 3, 29, 22, 0, tzinfo=UTC
    )
    assert waitlist.expires(date(2026, 3, 28), "Europe/Berlin") == datetime(
        2026, 3, 28, 23, 0, tzinfo=UTC
    )


async def test_a_wait_whose_day_passed_is_not_told_and_is_purged(
    engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    _, expert_id, _ = await an_expert(engine, clock, policy, "tue 09:00-10:00")
    ada = await a_learner(engine)
    async with SqlAlchemyUnitOfWork(engine) as uow:
        await uow.waitlist.join(
            ada,
            expert_id,
            date(2026, 3, 3),
            date(2026, 3, 3),
            60,
            now=clock.now(),
            expires_at=waitlist.expires(date(2026, 3, 3), "Europe/Berlin"),
        )
        await uow.commit()
    clock.set(datetime(2026, 3, 3, 23, 0, tzinfo=UTC))
    async with SqlAlchemyUnitOfWork(engine) as uow:
        assert await uow.waitlist.take(expert_id, date(2026, 3, 3), clock.now()) == []
    assert await waitlist.purge(uow_of(engine)(), clock) >= 1
    assert await waiting(engine, expert_id) == []


async def test_leaving_a_waitlist_takes_only_ones_own_entry_and_forged_presses_change_nothing(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    _, expert_id, expert_chat = await an_expert(engine, clock, policy, "tue 09:00-10:00")
    first = await a_learner(engine)
    tuesday = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    await bookings.book(BookSlot(first, expert_id, tuesday, 60), uow_of(engine)(), clock, policy)
    ada, eve = Learner(dispatcher), Learner(dispatcher)
    await wait_for(ada, expert_id, "Tue 03 Mar")
    [leave] = ada.payloads()
    entry_hex = leave.rsplit(":", 1)[1]
    await eve.say("/start")
    eve_id = await user_id(engine, eve)
    before = await waiting(engine, expert_id)

    # Eve presses Ada's button, then forges one of her own for Ada's entry: neither leaves it.
    assert "meant for someone else" in await pressed(dispatcher, eve, leave)
    forged = payloads.encode(eve_id, "wx", entry_hex)
    assert "You're not on that waitlist" in await pressed(dispatcher, eve, forged)
    assert await pressed(dispatcher, eve, payloads.encode(eve_id, "wx", "nonsense")) == STALE
    # A 📅 time the expert does not offer books nothing: "just taken", the free times instead.
    stamp = str(int(datetime(2026, 3, 3, 8, 10, tzinfo=UTC).timestamp()) // 60)
    odd = await pressed(dispatcher, eve, payloads.encode(eve_id, "bw", expert_id.hex, "60", stamp))
    assert "Sorry, that time was just taken." in odd
    assert STALE == await pressed(  # a length not offered
        dispatcher, eve, payloads.encode(eve_id, "bw", expert_id.hex, "45", stamp)
    )
    # The expert pressing a 📅 time of their own is told they can't book themselves.
    expert = Learner(dispatcher, expert_chat)
    await expert.say("/start")
    own = payloads.encode(await user_id(engine, expert), "bw", expert_id.hex, "60", stamp)
    assert "you can't book a session with yourself" in await pressed(dispatcher, expert, own)
    assert await waiting(engine, expert_id) == before
    async with engine.connect() as conn:
        assert (
            await conn.scalar(
                text("SELECT count(*) FROM bookings WHERE expert_id = :e"), {"e": expert_id}
            )
            == 1
        )

    assert "You left the waitlist for Tue 03 Mar" in await ada.press("🔕 Leave the waitlist")
    assert await waiting(engine, expert_id) == []
    assert "You're not on that waitlist" in await pressed(dispatcher, ada, leave)  # a second tap


@pytest.mark.parametrize("mover", ["learner", "expert"])
async def test_a_booking_moved_off_a_full_day_tells_its_waitlist(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy, mover: str
) -> None:
    """Moving frees the old time as a cancel does: by the learner at once, by the expert once
    the learner accepts the proposal (until then the time is still held)."""
    expert_user, expert_id, _ = await an_expert(
        engine, clock, policy, "tue 09:00-10:00; wed 09:00-10:00", name="Ann"
    )
    first = await a_learner(engine)
    tuesday = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # the Tuesday's one hour
    wednesday = tuesday + timedelta(days=1)
    taken = await bookings.book(
        BookSlot(first, expert_id, tuesday, 60), uow_of(engine)(), clock, policy
    )
    await bookings.act(
        ActOnBooking(expert_user, taken.id, Action.CONFIRM),
        uow_of(engine)(),
        clock,
        policy,
        ManualPayments(),
    )
    ada = Learner(dispatcher)
    await wait_for(ada, expert_id, "Tue 03 Mar")

    if mover == "learner":
        move = RescheduleBooking(first, taken.id, wednesday)
        await moves.reschedule(move, uow_of(engine)(), clock, policy)
    else:
        move = RescheduleBooking(expert_user, taken.id, wednesday, reason="A clash")
        await moves.reschedule(move, uow_of(engine)(), clock, policy)
        assert len(await waiting(engine, expert_id)) == 1  # only proposed: still held
        answer = AnswerMove(first, taken.id, wednesday, True)
        await moves.answer_move(answer, uow_of(engine)(), clock, policy)
    assert await waiting(engine, expert_id) == []
    await ada.say("/waitlist")
    freed = ada.notices[-1]
    assert freed.text.startswith("🔔 A time freed up with Ann (Tue 03 Mar in Europe/Berlin)")
    assert [b.label for row in freed.buttons for b in row] == ["📅 Tue 03 Mar 08:00"]


async def test_a_learner_deleting_their_account_frees_their_time_for_the_waitlist(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    _, expert_id, _ = await an_expert(engine, clock, policy, "tue 09:00-10:00", name="Ann")
    leaving, ada = Learner(dispatcher), Learner(dispatcher)
    await leaving.say("/start")
    tuesday = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    booking = BookSlot(await user_id(engine, leaving), expert_id, tuesday, 60)
    await bookings.book(booking, uow_of(engine)(), clock, policy)
    await wait_for(ada, expert_id, "Tue 03 Mar")
    await leaving.say("/delete_me")
    await leaving.press("🗑 Delete everything")
    await ada.say("/waitlist")
    assert ada.notices[-1].text.startswith("🔔 A time freed up with Ann")


async def test_a_full_day_is_shown_again_after_a_restart_and_back_returns_to_the_days(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock, policy: Policy
) -> None:
    _, expert_id, _ = await an_expert(engine, clock, policy, "tue 09:00-10:00", name="Ann")
    first = await a_learner(engine)
    tuesday = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    await bookings.book(BookSlot(first, expert_id, tuesday, 60), uow_of(engine)(), clock, policy)
    ada = Learner(dispatcher)
    await ada.say(f"/start e_{expert_id.hex}")
    await ada.press("📅 Book")
    await ada.press(SIXTY)
    await ada.press("Tue 03 Mar · full")
    resumed = await dispatcher.resume(ada.chat._identity)
    assert resumed is not None and resumed.text.startswith("Tue 03 Mar is fully booked")
    assert [b.label for row in resumed.buttons for b in row][0] == "🔔 Tell me if a slot frees up"
    days = await ada.press("◀ Back")
    assert "Which day?" in days and ada.buttons()[0] == "Tue 03 Mar · full"
