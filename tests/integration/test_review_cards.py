"""Review cards against real PostgreSQL: the repository, /card and /review through the
dispatcher, a double tap that rates once, another learner's card refused, the offers after a
note and /done, "due today" in the learner's zone, and the reminders that count due cards."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.terminal import PLATFORM
from bot.handlers import payloads
from bot.handlers.base import Incoming
from bot.handlers.notifications.notices import render
from bot.handlers.router import Dispatcher
from db.uow import SqlAlchemyUnitOfWork
from domain.accounts.model import Identity
from domain.learning.card_model import CardSource, Memory, NewCard, Rating
from domain.learning.cards import rate_card
from domain.learning.commands import RateCard
from domain.notifications.model import NotificationKind
from domain.shared.errors import NotFound
from tests.support import FakeClock, Learner, user_id


def identity(learner: Learner) -> Identity:
    return Identity(PLATFORM, learner.name, f"terminal:{learner.name}", learner.name)


async def cards_of(engine: AsyncEngine, owner: UUID) -> list[tuple[object, ...]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT front, back, source, reps, state, due, curriculum_id IS NOT NULL,"
                " session_id IS NOT NULL FROM review_cards WHERE user_id = :u ORDER BY created_at,"
                " front"
            ),
            {"u": owner},
        )
        return [tuple(row) for row in rows]


async def ratings_of(engine: AsyncEngine, owner: UUID) -> list[int]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT rating FROM review_logs WHERE user_id = :u ORDER BY reviewed_at"),
            {"u": owner},
        )
        return [row[0] for row in rows]


async def card_id_of(engine: AsyncEngine, owner: UUID, front: str) -> UUID:
    async with engine.connect() as conn:
        found = await conn.scalar(
            text("SELECT id FROM review_cards WHERE user_id = :u AND front = :f"),
            {"u": owner, "f": front},
        )
    assert isinstance(found, UUID)
    return found


async def test_card_then_review_show_answer_and_good_through_the_dispatcher(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    ada = Learner(dispatcher)
    assert "Card added: “ser (yo)”" in await ada.say("/card ser (yo) | soy")
    me = await user_id(engine, ada)
    assert await cards_of(engine, me) == [
        ("ser (yo)", "soy", "card", 0, 1, clock.now(), False, False)
    ]
    shown = await ada.say("/review")
    assert "🃏 ser (yo)" in shown and "soy" not in shown and "1 due today" in shown
    assert ada.buttons() == ["Show answer"]
    answer = await ada.press("Show answer")
    assert "soy" in answer and ada.buttons() == ["Again", "Hard", "Good", "Easy"]
    # Good: the ten-minute learning step, so the card is still due today and comes again
    again = await ada.press("Good")
    assert "✓ Good: back in 10 minutes." in again and "🃏 ser (yo)" in again
    assert "1 reviewed today" in again
    await ada.press("Show answer")
    done = await ada.press("Easy")
    assert "All done for today: 2 reviews today" in done
    assert await ratings_of(engine, me) == [int(Rating.GOOD), int(Rating.EASY)]
    (card,) = await cards_of(engine, me)
    assert card[3] == 2 and card[4] == 2  # two reps, in the Review state
    assert isinstance(card[5], datetime) and card[5] - clock.now() >= timedelta(days=1)
    assert "All done for today" in await ada.say("/review")  # /review again: still done
    clock.advance(days=1)
    assert "Nothing to review today" in await ada.say("/review")


async def test_a_double_tap_on_a_rating_rates_once(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    bo = Learner(dispatcher)
    await bo.say("/card uno | one")
    await bo.say("/card dos | two")
    await bo.say("/review")
    await bo.press("Show answer")
    good = bo.payloads()[2]
    first = await dispatcher.handle(Incoming(identity(bo), payload=good))
    second = await dispatcher.handle(Incoming(identity(bo), payload=good))
    assert "✓ Good" in first[0].text
    assert "rated already" in second[0].text and "🃏 dos" in second[0].text
    me = await user_id(engine, bo)
    assert await ratings_of(engine, me) == [int(Rating.GOOD)]


async def test_two_taps_at_the_same_moment_rate_once(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    cy = Learner(dispatcher)
    await cy.say("/card tres | three")
    await cy.say("/review")
    await cy.press("Show answer")
    again = cy.payloads()[0]
    replies = await asyncio.gather(
        *(dispatcher.handle(Incoming(identity(cy), payload=again)) for _ in range(4))
    )
    texts = [r[0].text for r in replies]
    assert sum("✓ Again" in t for t in texts) == 1, texts
    assert sum("rated already" in t for t in texts) == 3, texts
    assert await ratings_of(engine, await user_id(engine, cy)) == [int(Rating.AGAIN)]


async def test_another_learners_card_in_a_payload_is_refused_and_nothing_changes(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    di, eve = Learner(dispatcher), Learner(dispatcher)
    await di.say("/card secret | mine")
    await eve.say("/start")
    di_id, eve_id = await user_id(engine, di), await user_id(engine, eve)
    card = await card_id_of(engine, di_id, "secret")
    before = await cards_of(engine, di_id)
    # Eve's own tag on the payload (so it decodes for her), Di's card id in it
    for args in (("a", card.hex, "0"), ("r", card.hex, "0", "4")):
        payload = payloads.encode(eve_id, "rv", *args)
        (reply,) = await dispatcher.handle(Incoming(identity(eve), payload=payload))
        assert "can't find that card among yours" in reply.text
        assert "mine" not in reply.text
    # Di's payload pressed by Eve: not even decoded
    stolen = payloads.encode(di_id, "rv", "r", card.hex, "0", "4")
    (reply,) = await dispatcher.handle(Incoming(identity(eve), payload=stolen))
    assert reply.text == payloads.NOT_YOURS
    assert await cards_of(engine, di_id) == before
    assert await ratings_of(engine, di_id) == [] and await ratings_of(engine, eve_id) == []


async def test_the_rating_service_checks_ownership_itself(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    fay, gus = Learner(dispatcher), Learner(dispatcher)
    await fay.say("/card clave | key")
    await gus.say("/start")
    card = await card_id_of(engine, await user_id(engine, fay), "clave")
    command = RateCard(await user_id(engine, gus), card, 0, Rating.GOOD)
    with pytest.raises(NotFound, match="can't find that card"):
        await rate_card(command, SqlAlchemyUnitOfWork(engine), clock, dispatcher.ctx.reviews)
    assert await ratings_of(engine, await user_id(engine, fay)) == []


async def test_a_q_and_a_note_is_offered_as_a_card_and_one_tap_makes_one_card(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    hal = Learner(dispatcher)
    await hal.say("/new Spanish | 3 | 30 | beginner")
    await hal.say("/done")
    plain = await hal.say("/note learned greetings")
    assert "Noted on session 1" in plain and "review card" not in plain
    me = await user_id(engine, hal)
    offered = await hal.say("/note Q: What does hola mean? A: hello")
    assert "Make it a review card?" in offered and hal.buttons() == ["🃏 Make it a card"]
    assert await cards_of(engine, me) == []  # never silently
    tap = hal.payloads()[0]
    assert "1 review card added" in await hal.press("🃏 Make it a card")
    (again,) = await dispatcher.handle(Incoming(identity(hal), payload=tap))
    assert "already" in again.text
    assert await cards_of(engine, me) == [
        ("What does hola mean?", "hello", "note", 0, 1, await _due(engine, me), True, True)
    ]


async def _due(engine: AsyncEngine, owner: UUID) -> datetime:
    async with engine.connect() as conn:
        due = await conn.scalar(
            text("SELECT due FROM review_cards WHERE user_id = :u"), {"u": owner}
        )
    assert isinstance(due, datetime)
    return due


async def test_done_offers_cards_of_the_sessions_objectives_once(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    ivy = Learner(dispatcher)
    await ivy.say("/new Spanish | 3 | 30 | beginner")
    done = await ivy.say("/done")
    assert "Make review cards from this session's objectives?" in done
    me = await user_id(engine, ivy)
    assert await cards_of(engine, me) == []
    tap = next(p for p in ivy.payloads() if ":cd:s:" in p)
    made = await ivy.press("🃏 Make review cards")
    cards = await cards_of(engine, me)
    assert f"{len(cards)} review cards added" in made and len(cards) >= 2
    assert {c[2] for c in cards} == {"objective"} and all(c[6] and c[7] for c in cards)
    assert all("From session 1" in str(c[1]) for c in cards)
    (again,) = await dispatcher.handle(Incoming(identity(ivy), payload=tap))
    assert "already" in again.text and len(await cards_of(engine, me)) == len(cards)


async def test_due_today_is_the_learners_local_day(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    """At 20:00 in Tokyo (11:00 UTC), a card due at 23:30 Tokyo time is due today; one due at
    00:30 Tokyo time tomorrow is not, though both are before the end of the UTC day."""
    jo = Learner(dispatcher)
    await jo.say("/timezone Asia/Tokyo")
    clock.set(datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    me = await user_id(engine, jo)
    uow = SqlAlchemyUnitOfWork(engine)
    async with uow:
        await uow.cards.add(
            [
                NewCard(
                    me, "tonight", "a", CardSource.CARD, datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
                ),
                NewCard(
                    me, "tomorrow", "b", CardSource.CARD, datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
                ),
            ]
        )
        await uow.commit()
    shown = await jo.say("/review")
    assert "🃏 tonight" in shown and "1 due today" in shown
    assert "1 due today" in await jo.say("/progress")  # no plan: the cards line still shows
    await jo.say("/timezone Europe/London")  # 11:00 in London: both are due before midnight
    assert "2 due today" in await jo.say("/review")


async def test_the_repository_orders_by_due_and_records_state_and_log_in_one_go(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    kim = Learner(dispatcher)
    await kim.say("/start")
    me = await user_id(engine, kim)
    now = clock.now()
    uow = SqlAlchemyUnitOfWork(engine)
    async with uow:
        added = await uow.cards.add(
            [
                NewCard(me, "later", "x", CardSource.CARD, now + timedelta(hours=2)),
                NewCard(me, "sooner", "y", CardSource.CARD, now - timedelta(hours=2)),
            ]
        )
        await uow.commit()
    assert added == 2
    async with uow:
        first = await uow.cards.next_due(me, before=now + timedelta(days=1))
        assert first is not None and first.front == "sooner" and first.reps == 0
        assert await uow.cards.next_due(me, before=now - timedelta(days=1)) is None
        assert await uow.cards.counts(me, now + timedelta(days=1), now) == (2, 0)
        assert await uow.cards.queue(me, now + timedelta(days=1), now) == (first, 2, 0)
        assert await uow.cards.queue(me, now - timedelta(days=1), now) == (None, 0, 0)
        assert await uow.cards.zone(me) == "UTC"
        memory = Memory(first.memory.phase, 1, 2.5, 5.0, now + timedelta(minutes=10), now)
        await uow.cards.record_review(first, memory, Rating.HARD, now)
        await uow.commit()
    async with uow:
        after = await uow.cards.get_owned(first.id, owner=me)
        assert after is not None and after.reps == 1 and after.memory == memory
        assert await uow.cards.get_owned(first.id, owner=uuid4()) is None
        assert await uow.cards.counts(me, now + timedelta(days=1), now) == (2, 1)
        stats = await uow.cards.stats(
            me, now + timedelta(days=1), now - timedelta(days=1), now - timedelta(days=30)
        )
    assert stats == (2, 2, 1, 1, 1)  # cards, due, this week, 30 days, not Again
    assert await ratings_of(engine, me) == [int(Rating.HARD)]


async def test_reminders_count_due_cards_and_the_review_reminder_waits_for_some(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    lu = Learner(dispatcher)
    await lu.say("/new Spanish | 3 | 30 | beginner")
    me = await user_id(engine, lu)
    day = {"day": clock.now().date().isoformat(), "at": clock.now().isoformat()}
    ctx = dispatcher.ctx
    assert await render(ctx, me, NotificationKind.REVIEW_REMINDER, day) is None  # none due
    study = await render(ctx, me, NotificationKind.STUDY_REMINDER, day)
    assert study is not None and "review card" not in study.text
    await lu.say("/card uno | one")
    await lu.say("/card dos | two")
    study = await render(ctx, me, NotificationKind.STUDY_REMINDER, day)
    assert study is not None and "🃏 2 review cards due today: /review." in study.text
    review = await render(ctx, me, NotificationKind.REVIEW_REMINDER, day)
    assert review is not None and "2 review cards due today" in review.text
    assert [b.label for row in review.buttons for b in row] == ["🃏 Review now"]
    await lu.say("/mute 1d")
    assert await render(ctx, me, NotificationKind.REVIEW_REMINDER, day) is None


async def test_the_review_reminder_is_off_by_default_and_settings_turn_it_on(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    mo = Learner(dispatcher)
    assert "Review cards due: off" in await mo.say("/settings")
    me = await user_id(engine, mo)

    async def pending() -> int:
        async with engine.connect() as conn:
            count = await conn.scalar(
                text(
                    "SELECT count(*) FROM notifications WHERE user_id = :u AND kind = :k"
                    " AND status = 'pending'"
                ),
                {"u": me, "k": NotificationKind.REVIEW_REMINDER.value},
            )
        return int(count or 0)

    assert await pending() == 0
    assert "Review cards due: on at 09:00" in await mo.press("Review on")
    assert await pending() == 1
    assert "Review cards due: off" in await mo.press("Review off")
    assert await pending() == 0


async def test_remind_review_sets_the_time_of_the_review_reminder(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    no = Learner(dispatcher)
    await no.say("/timezone Europe/Berlin")
    assert "remind you at 07:15" in await no.say("/remind review 7:15am")
    assert "Review cards due: on at 07:15" in await no.say("/settings")
    assert "not a time of day" in await no.say("/remind review 25:00")
    assert "Usage: /remind review" in await no.say("/remind review 7:00 and later")
    assert "Usage: /remind review" in await no.say("/remind review")
    assert "Review cards due: on at 07:15" in await no.say("/settings")  # unchanged
    assert "Review card reminders are off." in await no.say("/remind review off")
    assert "Review cards due: off" in await no.say("/settings")
