"""Learner journeys on Telegram: the real Application over HTTP against the Bot API emulator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers import payloads
from bot.handlers.router import Dispatcher
from tests.adapters.harness import Person, running
from tests.adapters.telegram_emulator import BotApiEmulator
from tests.support import FakeClock, snapshot


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


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
        assert ada.buttons() == ["Beginner", "Intermediate", "Advanced", "◀ Back", "✖ Cancel"]
        assert "step 5" in await ada.press("Beginner")
        assert "step 6" in await ada.say("order food in Madrid")
        assert ada.buttons() == ["Skip", "◀ Back", "✖ Cancel"]
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


async def test_the_command_menu_is_published_and_groups_get_only_the_public_commands(
    api: BotApiEmulator, dispatcher: Dispatcher
) -> None:
    async with running(api, dispatcher):
        pass
    menu = {c["command"]: c["description"] for c in api.commands["default"]}
    assert menu == {name: c.summary for name, c in dispatcher.commands.items()}
    assert [c["command"] for c in api.commands["all_group_chats"]] == ["start", "help"]


async def test_a_failing_command_menu_is_logged_and_the_bot_still_starts(
    api: BotApiEmulator, dispatcher: Dispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    api.fail_next("setMyCommands", 2, code=500)
    async with running(api, dispatcher) as adapter:
        assert "Syllabot" in await Person(api, adapter).say("/start")
    assert "could not publish the command menu" in caplog.text


async def test_one_users_quick_messages_are_handled_in_order(
    api: BotApiEmulator, dispatcher: Dispatcher
) -> None:
    async with running(api, dispatcher) as adapter:
        bo = Person(api, adapter, "Bo")
        start = len(api.calls)
        for line in ("/new", "Go", "3", "30"):  # all queued before the bot sees the first
            last = await api.send_text(bo.user, line)
        await bo.settle(last, start)
        assert [m["text"].split(":")[0] for m in api.bot_messages(bo.chat.id)] == [
            "New curriculum, step 1 of 6",
            "New curriculum, step 2 of 6",
            "New curriculum, step 3 of 6",
            "New curriculum, step 4 of 6",
        ]


async def test_personal_commands_in_a_group_answer_with_a_button_to_the_private_chat(
    api: BotApiEmulator, dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    group = api.group(-1001234567890)
    async with running(api, dispatcher) as adapter:
        cy = Person(api, adapter, "Cy")
        await cy.say("/new Go | 3 | 30 | beginner")
        await cy.say("/done 20 my private note")
        in_group = Person(api, adapter, chat=group, user=cy.user)
        before = await snapshot(engine)

        for command in ("/progress", "/notes@SyllabotTestBot", "/done", "/plan"):
            answer = await in_group.say(command)
            assert "private chat" in answer and "my private note" not in answer
            assert "1/3" not in answer
            (sent,) = in_group.sent()
            assert _json(sent.params["reply_markup"]) == {
                "inline_keyboard": [
                    [{"text": "💬 Open our private chat", "url": "https://t.me/SyllabotTestBot"}]
                ]
            }
            assert _json(sent.params["reply_parameters"])["message_id"] > 0  # a reply to them
        assert await snapshot(engine) == before  # nothing was done, nothing was logged

        assert "Here's what I understand" in await in_group.say("/help")  # public commands
        assert "Syllabot" in await in_group.say("/start c_whatever")  # a link in a group: welcome
        for ignored in ("hello everyone", "/done@OtherBot", "/frobnicate", "3"):
            assert await in_group.say(ignored) == ""  # not for me, or not a command
            assert not in_group.sent()
        assert await snapshot(engine) == before


async def test_a_deep_link_opens_your_own_curriculum_and_anything_else_gets_the_welcome(
    api: BotApiEmulator, dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    async with running(api, dispatcher) as adapter:
        di, eve = Person(api, adapter, "Di"), Person(api, adapter, "Eve")
        await di.say("/new Piano | 12 | 30 | beginner")
        await di.say("/new Chess | 3 | 30 | beginner")  # now the current one
        async with engine.connect() as conn:
            piano = await conn.scalar(  # Di's: the newest Piano (other tests plan Piano too)
                text("SELECT id FROM curricula WHERE subject = 'Piano' ORDER BY created_at DESC")
            )
        link = payloads.deep_link("c", piano.hex)
        assert link == f"c_{piano.hex}" and len(link) <= 64

        opened = await di.say(f"/start {link}")
        assert opened.startswith("▶ “Piano (beginner)” is now your current plan")
        assert "\nPiano (beginner) · active · 0/12 done · page 1 of 2" in opened
        assert "Hi " not in opened
        assert "Piano" in await di.say("/next")  # it is the current curriculum now

        await eve.say("/start")
        before = await snapshot(engine)
        for forged in (link, "c_not-a-uuid", "c_" + "f" * 32, "zz_123", "hello", "c_", "_" * 64):
            answer = await eve.say(f"/start {forged}")
            assert "Welcome back to Syllabot, Eve" in answer  # she wrote before: not "Hi" again
            assert "doesn't lead to anything I can open" in answer
            assert "Piano" not in answer and "Traceback" not in answer
        assert await snapshot(engine) == before


async def test_forged_callback_data_and_another_users_button_change_nothing(
    api: BotApiEmulator, dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    async with running(api, dispatcher) as adapter:
        fay, gus = Person(api, adapter, "Fay"), Person(api, adapter, "Gus")
        await fay.say("/new Go | 12 | 30 | beginner")
        await gus.say("/new Rust | 12 | 30 | beginner")
        await fay.say("/plans")
        fays_buttons = fay.keyboard_message()
        open_payload = fays_buttons["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        await gus.say("/plan")
        before = await snapshot(engine)

        # Gus sends Fay's payload from his own chat: refused by the payload's owner tag.
        assert "meant for someone else" in await gus.press_data(open_payload, gus.last_message())
        # Gus presses a button under a message in Fay's private chat: only answered.
        assert await gus.press_data(open_payload, fays_buttons) == ""
        assert [c.method for c in gus.calls if c.method != "getUpdates"] == ["answerCallbackQuery"]
        # Forged data, however it looks.
        for forged in ("", "garbage", "1:zz:co", "2" + open_payload[1:], "1:" + "x" * 62, "💥"):
            answer = await fay.press_data(forged, fays_buttons)
            assert "Nothing was changed" in answer
        assert await snapshot(engine) == before
    assert all(q["answered_at"] is not None for q in api.queries.values())


async def test_pressing_a_button_whose_answer_is_already_shown_edits_nothing(
    api: BotApiEmulator, dispatcher: Dispatcher
) -> None:
    async with running(api, dispatcher) as adapter:
        hal = Person(api, adapter, "Hal")
        await hal.say("/timezone Tokyo")
        suggestions = hal.keyboard_message()
        data = suggestions["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        assert "Time zone set" in await hal.press_data(data, suggestions)
        # The same press again (e.g. a double tap): "message is not modified", quietly ignored.
        assert await hal.press_data(data, suggestions) == ""
        assert [c.status for c in hal.calls if c.method == "editMessageText"] == [400]
        assert not hal.sent()


async def test_an_edit_that_fails_is_sent_as_a_new_message(
    api: BotApiEmulator, dispatcher: Dispatcher
) -> None:
    async with running(api, dispatcher) as adapter:
        ida = Person(api, adapter, "Ida")
        await ida.say("/new Go | 20 | 30 | beginner")
        await ida.say("/plan")
        plan = ida.last_message()
        del ida.chat.messages[plan["message_id"]]  # deleted meanwhile: "message to edit not found"
        assert "page 2 of 3" in await ida.press("Next ▶", plan)
        (sent,) = ida.sent()
        assert "page 2 of 3" in sent.result["text"] and "reply_markup" in sent.result


async def test_a_press_and_a_message_right_after_it_are_handled_in_that_order(
    api: BotApiEmulator, dispatcher: Dispatcher
) -> None:
    async with running(api, dispatcher) as adapter:
        uma = Person(api, adapter, "Uma")
        for line in ("/new", "Go", "3", "30"):
            await uma.say(line)
        levels = uma.keyboard_message()
        beginner = levels["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        start = len(api.calls)
        await api.press(uma.user, levels, beginner)  # answered first, with an HTTP call...
        last = await api.send_text(uma.user, "be able to read Go code")  # ...this must wait
        await uma.settle(last, start)
        assert [m["text"].split(":")[0] for m in api.bot_messages(uma.chat.id)][-2:] == [
            "New curriculum, step 5 of 6",
            "New curriculum, step 6 of 6",
        ]


async def test_pausing_archiving_reopening_and_finishing_a_curriculum_on_telegram(
    api: BotApiEmulator, dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    async with running(api, dispatcher) as adapter:
        vi = Person(api, adapter, "Vi")
        assert "Created “Go (beginner)”: 2 sessions × 30 min" in await vi.say(
            "/new Go | 2 | 30 | beginner"
        )
        assert "now paused" in await vi.say("/pause")
        assert "/resume" in await vi.say("/done")
        assert "now active" in await vi.say("/resume")
        assert "now archived" in await vi.say("/archive")
        assert "archived" in await vi.say("/plans")
        assert "Go (beginner) · archived" in await vi.press("Open 1. Go (beginner)")  # edited
        assert "now active" in await vi.say("/resume")
        assert "1-day streak" in await vi.say("/done")
        clock.advance(days=1)
        finished = await vi.say("/done")
        assert "2-day streak" in finished and "You finished “Go (beginner)”" in finished
        assert await progress_of(engine, vi) == (2, 60, 2)
        clock.advance(hours=25)
        assert "more than 24 hours ago" in await vi.say("/undo")


async def test_plans_change_on_telegram_with_plan_edit_replan_and_the_how_did_it_go_tap(
    api: BotApiEmulator, dispatcher: Dispatcher
) -> None:
    async with running(api, dispatcher) as adapter:
        eve = Person(api, adapter, "Eve")
        await eve.say("/start")
        assert "Created" in await eve.say("/new Linear algebra | 6 | 30 | beginner")
        assert "How did it go?" in await eve.say("/done")
        assert eve.buttons() == ["😌 Easy", "🙂 Fine", "😓 Hard", "🃏 Make review cards"]
        assert "I added a review as session 2" in await eve.press("😓 Hard")

        assert "open sessions" in await eve.say("/plan edit")
        listing = eve.keyboard_message()
        assert eve.buttons()[0] == "✎ 2"
        assert "session 3:" in await eve.press("✎ 3")
        assert "Deleted" in await eve.press("🗑 Delete")
        assert eve.last_message()["message_id"] == listing["message_id"]  # edited in place
        assert "has 6 sessions" in eve.last_message()["text"]

        replanned = await eve.say("/replan 9 | intermediate")
        assert "Re-planned “Linear algebra (intermediate)”: 9 sessions" in replanned
