"""Learner journeys on Telegram: the real Application over HTTP against the Bot API emulator."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers.router import Dispatcher
from tests.adapters.harness import Person, running
from tests.adapters.telegram_emulator import BotApiEmulator


async def progress_of(engine: AsyncEngine, person: Person) -> tuple[int, int, int]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    """SELECT p.sessions_completed, p.total_time_spent, p.current_streak
                         FROM user_progress p
                         JOIN platform_identities i ON i.user_id = p.user_id
                        WHERE i.platform = 'telegram' AND i.external_id = :id
                        ORDER BY p.created_at DESC LIMIT 1"""
                ),
                {"id": str(person.user.id)},
            )
        ).one()
    return (row[0], row[1], row[2])


async def test_a_learner_plans_studies_and_sees_progress_on_telegram(
    api: BotApiEmulator, dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    async with running(api, dispatcher) as adapter:
        ada = Person(api, adapter, "Ada")
        assert "Hi Ada Lovelace! I'm Syllabot" in await ada.say("/start")

        # An unknown zone: suggestions as buttons; pressing one edits that message in place.
        assert "not a time zone" in await ada.say("/timezone Berlin")
        suggestion = ada.keyboard_message()
        assert "Europe/Berlin" in ada.buttons()
        assert "Time zone set to Europe/Berlin" in await ada.press("Europe/Berlin")
        assert [c.method for c in ada.calls if c.method != "getUpdates"] == [
            "answerCallbackQuery",
            "editMessageText",
        ]
        assert ada.calls[-1].params["message_id"] == str(suggestion["message_id"])
        assert "reply_markup" not in ada.last_message()  # the suggestions are gone

        # The wizard, with its level and Skip buttons.
        assert "step 1 of 6" in await ada.say("/new")
        assert "step 2" in await ada.say("Spanish 🇪🇸")
        assert "from 1 to 365" in await ada.say("0")
        assert len(ada.sent()) == 2  # the refusal, then the same question again
        assert "step 3" in await ada.say("10")
        assert "What is your level?" in await ada.say("45")
        assert ada.buttons() == ["Beginner", "Intermediate", "Advanced"]
        assert "step 5" in await ada.press("Beginner")
        assert "step 6" in await ada.say("order food in Madrid")
        assert ada.buttons() == ["Skip"]
        assert "Created “Spanish 🇪🇸 (beginner)”: 10 sessions × 45 min" in await ada.press("Skip")

        # /plan pages are one message, edited in place.
        assert "page 1 of 2" in await ada.say("/plan")
        plan = ada.last_message()
        assert "page 2 of 2" in await ada.press("Next ▶")
        assert "page 1 of 2" in await ada.press("◀ Previous")
        edits = api.calls_to("editMessageText", ada.chat.id)
        assert [c.params["message_id"] for c in edits[-2:]] == [str(plan["message_id"])] * 2
        assert ada.last_message()["message_id"] == plan["message_id"]

        assert "Session 1:" in await ada.say("/next")

        done = await ada.say("/done 30 learned <b>greetings</b> & more")
        assert "Session 1 of 10 done" in done and "Note saved" in done
        assert await progress_of(engine, ada) == (1, 30, 1)

        notes = await ada.say("/notes")
        assert "learned <b>greetings</b> & more" in notes  # shown literally...
        sent_html = ada.sent()[0].params["text"]
        assert "learned &lt;b&gt;greetings&lt;/b&gt; &amp; more" in sent_html  # ...as sent
        assert ada.sent()[0].params["parse_mode"] == "HTML"

        assert "1/10 sessions · 10%" in await ada.say("/progress")
        assert "Undone: session 1" in await ada.say("/undo")
        assert await progress_of(engine, ada) == (0, 0, 0)

    # Every press was answered, each before anything else was done about it.
    assert all(q["answered_at"] is not None for q in api.queries.values())
    assert not [c for c in api.calls if c.status != 200 and c.method != "getUpdates"]
