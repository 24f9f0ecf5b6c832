"""The focus timer and logging by plain message, end to end over the terminal adapter: the
timer's end goes through the outbox (once, across worker restarts, in quiet hours too), every
press re-checks the timer, and a plain message logs nothing until its tap."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers import payloads
from bot.handlers.base import Incoming
from bot.handlers.router import Dispatcher
from bot.worker import NotificationWorker
from domain.accounts.model import Identity
from domain.notifications import delivery
from domain.notifications.model import Audience
from tests.support import FakeClock, Learner, snapshot, user_id

SPANISH = "/new Spanish | 10 | 30 | beginner"


async def progress(engine: AsyncEngine, person: Learner) -> list[tuple[int, int]]:
    """(sessions completed, minutes) of each of the person's plans, oldest first."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT p.sessions_completed, p.total_time_spent FROM user_progress p "
                "JOIN curricula c ON c.id = p.curriculum_id "
                "WHERE p.user_id = :u ORDER BY c.created_at"
            ),
            {"u": await user_id(engine, person)},
        )
        return [(row[0], row[1]) for row in rows]


async def focus_ends(engine: AsyncEngine, person: Learner) -> list[tuple[str, str | None]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT status, last_error FROM notifications "
                "WHERE user_id = :u AND kind = 'focus_end' ORDER BY created_at"
            ),
            {"u": await user_id(engine, person)},
        )
        return [(row[0], row[1]) for row in rows]


def identity(person: Learner) -> Identity:
    return Identity(
        "terminal", person.name, chat_id=f"terminal:{person.name}", display_name=person.name
    )


async def press_again(dispatcher: Dispatcher, person: Learner, payload: str) -> str:
    """The same button pressed once more (a double tap, an old message)."""
    replies = await dispatcher.handle(Incoming(identity(person), payload=payload))
    return "\n".join(reply.text for reply in replies)


async def test_a_timer_ends_through_the_outbox_once_across_a_worker_restart_and_logs_once(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    ada = Learner(dispatcher)
    await ada.say("/timezone Europe/Berlin")
    await ada.say(SPANISH)
    started = await ada.say("/focus")
    assert "Focus: 25 min on session 1" in started and ada.buttons() == ["⏹ Stop"]
    assert await focus_ends(engine, ada) == [("pending", None)]

    clock.advance(minutes=24)
    assert await ada.worker.drain() == 0  # not due yet
    clock.advance(minutes=1)
    # A worker claims the end and dies before sending it: the lease runs out...
    audience = Audience(frozenset({"terminal"}), frozenset({ada.chat.chat_id}))
    assert len(await delivery.claim(dispatcher.ctx.uow(), clock, limit=10, audience=audience)) == 1
    assert await ada.worker.drain() == 0  # leased to the dead worker
    clock.advance(minutes=3)
    # ...and a worker started afresh sends it, once.
    restarted = NotificationWorker(dispatcher.ctx, {"terminal": ada}, chats={ada.chat.chat_id})
    assert await restarted.drain() == 1
    assert await restarted.drain() == 0
    assert len(ada.notices) == 1
    notice = ada.notices[0]
    assert "Time's up: 25 min of focus. Log 25 minutes on session 1," in notice.text
    assert ada.notice_buttons() == ["Log it", "Different", "No"]
    assert await focus_ends(engine, ada) == [("sent", None)]

    log_it = notice.buttons[0][0].payload
    assert log_it is not None
    assert "Session 1 of 10 done" in await ada.press("Log it")
    assert await progress(engine, ada) == [(1, 25)]
    assert "already logged" in await press_again(dispatcher, ada, log_it)
    assert await progress(engine, ada) == [(1, 25)]


async def test_stop_early_offers_the_minutes_focused_and_different_asks_for_them(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    bo = Learner(dispatcher)
    await bo.say(SPANISH)
    await bo.say("/focus 40")
    stop = bo.payloads()[0]
    again = await bo.say("/focus 20")
    assert "already running" in again and bo.buttons() == ["⏹ Stop"]

    clock.advance(minutes=12, seconds=30)
    stopped = await bo.press("⏹ Stop")
    assert "Stopped after 12 minutes. Log 12 minutes on session 1," in stopped
    assert bo.buttons() == ["Log it", "Different", "No"]
    log_it = bo.payloads()[0]
    # A double tap of Stop: the same offer, nothing else changed.
    assert "Stopped after 12 minutes" in await press_again(dispatcher, bo, stop)

    clock.advance(minutes=30)  # past the timer's planned end: it was stopped, so no notice
    await bo.worker.drain()
    assert bo.notices == []
    assert await focus_ends(engine, bo) == [("dropped", "no longer applies")]

    assert "How many minutes did you focus?" in await bo.press("Different")
    assert "from 1 to 720" in await bo.say("a lot")  # asked again
    assert "Session 1 of 10 done" in await bo.say("15")
    assert await progress(engine, bo) == [(1, 15)]
    assert "already logged" in await press_again(dispatcher, bo, log_it)
    assert await progress(engine, bo) == [(1, 15)]

    # A new timer once the old one is stopped; No dismisses it.
    await bo.say("/focus 5")
    clock.advance(minutes=6)
    await bo.worker.drain()
    assert "Log 5 minutes on session 2," in bo.notices[-1].text
    assert "not logged" in await bo.press("No")
    assert await progress(engine, bo) == [(1, 15)]


async def test_another_persons_timer_cannot_be_stopped_or_logged(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    cy, eve = Learner(dispatcher), Learner(dispatcher)
    await cy.say(SPANISH)
    await eve.say(SPANISH)
    await cy.say("/focus 10")
    timer_hex = cy.payloads()[0].split(":")[-1]
    clock.advance(minutes=11)
    before = await snapshot(engine)
    eve_id = await user_id(engine, eve)
    for verb in "sldn":
        forged = payloads.encode(eve_id, "fo", verb, timer_hex)
        assert "expired or isn't valid" in await press_again(dispatcher, eve, forged)
    # Cy's own button, pressed by Eve, is not even hers.
    assert "meant for someone else" in await press_again(dispatcher, eve, cy.payloads()[0])
    assert await snapshot(engine) == before


async def test_a_timers_end_comes_in_quiet_hours(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    dee = Learner(dispatcher)
    await dee.say("/timezone UTC")
    await dee.say("/quiet 11:00-13:00")  # the tests' clock is at 12:00 UTC
    await dee.say(SPANISH)
    await dee.say("/focus 5")
    clock.advance(minutes=5)
    assert await dee.worker.drain() == 1
    assert "Time's up" in dee.notices[-1].text


async def test_a_plain_message_logs_nothing_until_its_tap_and_only_once(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    fay = Learner(dispatcher)
    await fay.say(SPANISH)
    before = await snapshot(engine)
    asked = await fay.say("studied 40 min of verbs")
    assert "Log 40 min on session 1, " in asked and fay.buttons() == ["Log it", "No"]
    log_it = fay.payloads()[0]
    snap = await snapshot(engine)
    assert {k: v for k, v in snap.items() if k != "conversation_states"} == {
        k: v for k, v in before.items() if k != "conversation_states"
    }
    assert "Session 1 of 10 done" in await fay.press("Log it")
    assert await progress(engine, fay) == [(1, 40)]
    assert "expired" in await press_again(dispatcher, fay, log_it)  # a double tap
    assert await progress(engine, fay) == [(1, 40)]

    assert "I answer commands" in await fay.say("I will study 30 min tomorrow")
    assert "nothing logged" in (await fay.say("did 20 min"), await fay.press("No"))[1]
    assert await progress(engine, fay) == [(1, 40)]

    # The session moved on meanwhile: the tap logs nothing.
    await fay.say("did 20 min")
    stale = fay.payloads()[0]
    await fay.say("/done")
    assert "no longer the next one" in await press_again(dispatcher, fay, stale)
    assert await progress(engine, fay) == [(2, 70)]


async def test_several_plans_are_chosen_by_subject_or_by_a_button_each(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    gus = Learner(dispatcher)
    await gus.say(SPANISH)
    await gus.say("/new Calculus | 10 | 45 | beginner")
    named = await gus.say("did 1h15 of spanish today")
    assert "Log 1 h 15 min on session 1," in named and "of “Spanish (beginner)”" in named
    assert gus.buttons() == ["Log it", "No"]
    assert "Session 1 of 10 done" in await gus.press("Log it")
    assert await progress(engine, gus) == [(1, 75), (0, 0)]

    unnamed = await gus.say("45 minutes, chapter 3 exercises")
    assert "on which plan?" in unnamed
    assert [b.split(" · ")[0] for b in gus.buttons()] == [
        "Spanish (beginner)",  # the current plan first (studied last)
        "Calculus (beginner)",
        "No",
    ]
    assert "Session 1 of 10 done" in await gus.press(gus.buttons()[1])
    assert await progress(engine, gus) == [(1, 75), (1, 45)]


async def test_text_typed_in_an_open_wizard_goes_to_the_wizard(dispatcher: Dispatcher) -> None:
    hal = Learner(dispatcher)
    assert "step 1 of" in await hal.say("/new")
    assert "step 2" in await hal.say("studied 40 min of verbs")  # the subject, not a log


async def test_focus_timers_are_in_the_export_and_go_with_the_account(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    ivy = Learner(dispatcher)
    await ivy.say(SPANISH)
    await ivy.say("/focus 30")
    await ivy.say("/export")
    (document,) = [
        r.attachment for r in ivy.last if r.attachment and r.attachment.filename.endswith("json")
    ]
    (timer,) = json.loads(document.content)["focus_timers"]
    assert timer["minutes"] == 30 and timer["stopped_at"] is None
    me = await user_id(engine, ivy)
    await ivy.say("/delete_me")
    await ivy.press("🗑 Delete everything")
    async with engine.connect() as conn:
        left = await conn.scalar(
            text("SELECT count(*) FROM focus_timers WHERE user_id = :u"), {"u": me}
        )
    assert left == 0


async def test_the_timers_end_is_told_in_local_time_across_the_spring_forward_jump(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    """Berlin, 29 March 2026: 01:50 CET plus 25 minutes is 03:15 CEST (02:xx never happens)."""
    jo = Learner(dispatcher)
    await jo.say("/timezone Europe/Berlin")
    await jo.say(SPANISH)
    clock.set(datetime(2026, 3, 29, 0, 50, tzinfo=UTC))
    assert "at Sun 29 Mar 03:15 (Europe/Berlin)" in await jo.say("/focus")
    clock.advance(minutes=25)
    assert await jo.worker.drain() == 1
    assert "Log 25 minutes on session 1," in jo.notices[-1].text


async def test_two_taps_at_the_same_moment_log_once(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    kim = Learner(dispatcher)
    await kim.say(SPANISH)
    await kim.say("/focus 10")
    clock.advance(minutes=10)
    await kim.worker.drain()
    log_it = kim.notices[-1].buttons[0][0].payload
    assert log_it is not None
    said = await asyncio.gather(*(press_again(dispatcher, kim, log_it) for _ in range(3)))
    assert sum("Session 1 of 10 done" in text for text in said) == 1
    assert await progress(engine, kim) == [(1, 10)]

    await kim.say("did 30 min of verbs")
    confirm = kim.payloads()[0]
    said = await asyncio.gather(*(press_again(dispatcher, kim, confirm) for _ in range(3)))
    assert sum("Session 2 of 10 done" in text for text in said) == 1
    assert await progress(engine, kim) == [(2, 40)]
