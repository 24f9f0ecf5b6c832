"""/start says the full welcome once, on a person's first contact; after that (a restart of the
chat, /start again) it says welcome back, the next session of the current plan and the step
left open, with working buttons."""

from __future__ import annotations

import uuid

from bot.handlers.accounts.welcome import NO_PLAN, WELCOME_BACK
from bot.handlers.router import Dispatcher
from tests.integration.test_terminal_chat import chat_again
from tests.support import Learner

FULL_WELCOME = "I'm Syllabot, your study companion"


async def test_start_after_a_restart_is_welcome_back_with_the_next_session_and_the_open_step(
    dispatcher: Dispatcher,
) -> None:
    ada = Learner(dispatcher)
    await ada.say("/start")
    await ada.say("/new Python | 5 | 30 | beginner")
    for line in ("/new", "Linear algebra", "4", "30"):  # a second plan, left at its level step
        await ada.say(line)

    shown = await chat_again(dispatcher, ada.name, "/start\n#2\n")
    assert FULL_WELCOME not in shown
    greeting = shown[shown.index("bot> " + WELCOME_BACK.format(name=ada.name)) :]
    assert "Next up in “Python (beginner)”: session 1 of 5, " in greeting
    assert "/next shows it in detail" in greeting
    step = greeting[greeting.index("bot> New curriculum, step 4 of 6: What is your level?") :]
    assert "[#3.1 Beginner]  [#3.2 Intermediate]  [#3.3 Advanced]" in step  # 1: the resumed step
    assert "What do you want to be able to do at the end?" in step  # #2 was Intermediate


async def test_a_piped_first_start_is_the_welcome_and_a_second_one_welcome_back(
    dispatcher: Dispatcher,
) -> None:
    name = f"newcomer-{uuid.uuid4().hex[:6]}"
    shown = await chat_again(dispatcher, name, "/start\n/start\n")
    assert shown.count(FULL_WELCOME) == 1
    assert shown.count(WELCOME_BACK.format(name=name)) == 1
    assert NO_PLAN in shown
    again = await chat_again(dispatcher, name, "/start\n")  # the chat restarted
    assert FULL_WELCOME not in again and WELCOME_BACK.format(name=name) in again


async def test_opening_a_piped_chat_registers_nobody(dispatcher: Dispatcher) -> None:
    name = f"quiet-{uuid.uuid4().hex[:6]}"
    assert await chat_again(dispatcher, name, "") == ""
    assert FULL_WELCOME in await chat_again(dispatcher, name, "/start\n")  # still the first


async def test_a_finished_plan_is_said_so(dispatcher: Dispatcher) -> None:
    bo = Learner(dispatcher)
    await bo.say("/new Go | 1 | 30 | beginner")
    await bo.say("/done")
    assert "Every session of “Go (beginner)” is done" in await bo.say("/start")


async def test_a_list_left_open_is_not_an_unfinished_question_after_a_restart(
    dispatcher: Dispatcher,
) -> None:
    ada = Learner(dispatcher)
    await ada.say("/start")
    await ada.say("/experts underwater basket weaving")  # a list (its paging kept), no question
    shown = await chat_again(dispatcher, ada.name, "/progress\n")
    assert "unfinished" not in shown and "Where we left off" not in shown
