"""Forgiving input through the real handlers and PostgreSQL: lengths, times and ranges as
people type them, zones suggested rather than guessed, "did you mean" for a mistyped command,
and a bare /note that takes the next message."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers.base import Incoming
from bot.handlers.router import Dispatcher
from tests.support import Learner, snapshot


async def _logged_minutes(engine: AsyncEngine, learner: Learner) -> list[tuple[int, str | None]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                """SELECT s.minutes_spent, n.content FROM sessions s
                     JOIN curricula c ON c.id = s.curriculum_id
                     JOIN platform_identities i ON i.user_id = c.user_id
                LEFT JOIN user_notes n ON n.session_id = s.id
                    WHERE i.external_id = :n AND s.completed_at IS NOT NULL
                 ORDER BY s.session_number"""
            ),
            {"n": learner.name},
        )
        return [(row[0], row[1]) for row in rows]


async def test_done_with_a_length_logs_that_length_and_the_rest_as_the_note(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    ada = Learner(dispatcher)
    await ada.say("/new Go | 5 | 45 | beginner")
    assert "(25 min)" in await ada.say("/done 25min")
    assert "(25 min)" in await ada.say("/done 25 min reviewed chapter 3")
    assert "(1 h 15 min)" in await ada.say("/done 1h15")
    assert "(1 h 30 min)" in await ada.say("/done 1.5h")
    assert await _logged_minutes(engine, ada) == [
        (25, None),
        (25, "reviewed chapter 3"),
        (75, None),
        (90, None),
    ]


async def test_a_done_whose_note_is_too_long_says_the_session_was_not_logged(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    bo = Learner(dispatcher)
    await bo.say("/new Go | 5 | 45 | beginner")
    before = await snapshot(engine)
    reply = await bo.say("/done 30 " + "x" * 4_001)
    assert "The session was not logged" in reply and "under 4,000" in reply
    assert await snapshot(engine) == before


async def test_quiet_hours_as_settings_shows_them_are_taken_back(
    dispatcher: Dispatcher,
) -> None:
    cy = Learner(dispatcher)
    assert "Quiet from 22:00 to 07:30" in await cy.say("/quiet 22:00–07:30")
    shown = await cy.say("/settings")
    line = next(line for line in shown.splitlines() if "Quiet hours" in line)
    assert line.endswith("22:00–07:30")
    assert "Quiet from 22:00 to 07:30" in await cy.say("/quiet " + line.split(": ")[1])
    assert "Quiet from 23:00 to 06:00" in await cy.say("/quiet 11pm to 6am")
    assert "at 19:30" in await cy.say("/remind 7:30pm")
    assert "at 19:00, mon,wed" in await cy.say("/remind 7 pm mon, wed")
    answer = await cy.say("/remind 19:30 every day")  # as /remind and /settings print days
    assert "at 19:30, every day" in answer
    assert "at 19:30, every day" in await cy.say("/remind " + answer.split(" at ")[1][:16])
    assert "until Mon 16 Mar 2026" in await cy.say("/mute 2w")


async def test_a_schedule_takes_the_time_as_people_write_it(dispatcher: Dispatcher) -> None:
    ju = Learner(dispatcher)
    await ju.say("/new Go | 5 | 45 | beginner")
    assert "19:00" in await ju.say("/schedule mon,wed,fri 7 pm")
    assert "not a time of day" in await ju.say("/schedule mon,wed 25:00")


async def test_a_zone_abbreviation_or_offset_is_answered_with_zones_to_press(
    dispatcher: Dispatcher,
) -> None:
    di = Learner(dispatcher)
    reply = await di.say("/timezone CET")
    assert "abbreviation" in reply and "Europe/Berlin" in reply
    assert di.buttons()[0] == "Europe/Berlin"
    assert "Your time zone is UTC" in await di.say("/timezone")  # nothing guessed
    await di.say("/timezone UTC+2")
    assert "Etc/GMT-2" in di.buttons()
    assert "Time zone set to Europe/Berlin" in await di.press("Europe/Berlin")
    await di.say("/timezone Munich")
    assert di.buttons() == ["Europe/Berlin"]


async def test_a_mistyped_command_offers_the_right_one_with_what_was_typed(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    ed = Learner(dispatcher)
    await ed.say("/start")
    before = await snapshot(engine)
    reply = await ed.say("/timezon Europe/Paris")
    assert "I don't know “/timezon”. Did you mean /timezone Europe/Paris?" in reply
    assert await snapshot(engine) == before
    assert "Time zone set to Europe/Paris" in await ed.press("/timezone Europe/Paris")
    assert "Did you mean /progress?" in await ed.say("/progrss")
    assert "Did you mean" not in await ed.say("/frobnicate")


async def test_a_suggested_command_button_is_checked_like_a_typed_command(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    fe, eve = Learner(dispatcher), Learner(dispatcher)
    await eve.say("/start")
    await fe.say("/timezon Asia/Tokyo")
    [payload] = fe.payloads()
    before = await snapshot(engine)
    stolen = await dispatcher.handle(Incoming(eve.chat._identity, payload=payload))
    assert "meant for someone else" in stolen[0].text
    forged = payload.rsplit(":", 2)[0] + ":nosuchcommand"
    assert (
        "Nothing was changed"
        in (await dispatcher.handle(Incoming(fe.chat._identity, payload=forged)))[0].text
    )
    assert await snapshot(engine) == before


async def test_a_bare_note_asks_for_the_text_and_takes_the_next_message(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    gu = Learner(dispatcher)
    await gu.say("/new Go | 5 | 45 | beginner")
    await gu.say("/done")
    assert "What's your note?" in await gu.say("/note")
    resumed = await dispatcher.resume(gu.chat._identity)  # the chat restarts: asked again
    assert resumed is not None and "What's your note?" in resumed.text
    assert "📝 Noted on session 1" in await gu.say("channels are pipes")
    assert await _logged_minutes(engine, gu) == [(45, "channels are pipes")]
    assert "I answer commands" in await gu.say("and this is not a note")  # one step only

    assert "What's your note?" in await gu.say("/note")
    assert "Cancelled" in await gu.say("/cancel")
    assert "I answer commands" in await gu.say("not a note either")
    assert await _logged_minutes(engine, gu) == [(45, "channels are pipes")]


async def test_a_bare_note_before_any_session_says_so_and_asks_nothing_more(
    dispatcher: Dispatcher,
) -> None:
    ha = Learner(dispatcher)
    await ha.say("/new Go | 5 | 45 | beginner")
    await ha.say("/note")
    assert "Log one with /done first" in await ha.say("my note")
    assert await dispatcher.resume(ha.chat._identity) is None
