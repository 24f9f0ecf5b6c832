"""The terminal chat when it (re)starts: the wizard step left open comes back with working
buttons, what arrived meanwhile is shown first, and a piped /start is answered once."""

from __future__ import annotations

import io
import stat
import uuid
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.terminal import PLATFORM, TerminalChat
from bot.handlers.accounts.welcome import WELCOME
from bot.handlers.base import Attachment, Identity, Reply
from bot.handlers.router import Dispatcher
from bot.worker import NotificationWorker
from domain.accounts import conversations
from tests.support import FakeClock, Learner, queue, user_id


async def chat_again(dispatcher: Dispatcher, name: str, lines: str) -> str:
    """``syllabot chat --user name`` started afresh, reading ``lines``: what it printed."""
    out = io.StringIO()
    chat = TerminalChat(dispatcher, name, stdin=io.StringIO(lines), stdout=out)
    worker = NotificationWorker(dispatcher.ctx, {PLATFORM: chat}, chats={chat.chat_id})
    await chat.run(catch_up=worker.drain)
    return out.getvalue()


async def test_a_restarted_chat_shows_the_open_step_and_its_buttons_still_work(
    dispatcher: Dispatcher,
) -> None:
    ada = Learner(dispatcher)
    for line in ("/new", "Linear algebra", "4", "30"):
        await ada.say(line)
    assert ada.buttons() == ["Beginner", "Intermediate", "Advanced", "◀ Back", "✖ Cancel"]

    shown = await chat_again(dispatcher, ada.name, "#2\n")
    left_open, answered = shown.split("bot> New curriculum, step 5", 1)
    assert left_open.startswith("(Where we left off:)\nbot> New curriculum, step 4 of 6")
    assert "[#1.1 Beginner]  [#1.2 Intermediate]  [#1.3 Advanced]" in left_open
    assert "What do you want to be able to do at the end?" in answered  # #2 was Intermediate


async def test_nothing_is_resumed_when_no_step_is_open(dispatcher: Dispatcher) -> None:
    bo = Learner(dispatcher)
    await bo.say("/new")
    await bo.say("/cancel")
    identity = Identity(PLATFORM, bo.name, f"terminal:{bo.name}", bo.name)
    assert await dispatcher.resume(identity) is None
    assert await chat_again(dispatcher, bo.name, "") == ""  # a pipe: nothing it did not ask


async def test_a_piped_start_gets_the_welcome_once(dispatcher: Dispatcher) -> None:
    name = f"piped-{uuid.uuid4().hex[:6]}"
    shown = await chat_again(dispatcher, name, "/start\n")
    assert shown.count("I'm Syllabot, your study companion") == 1
    assert WELCOME.format(name=name).splitlines()[0] in shown


async def test_what_arrived_while_the_chat_was_closed_comes_before_the_open_step(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    cy = Learner(dispatcher)
    await cy.say("/new")
    await queue(engine, [await user_id(engine, cy)], 1, clock)
    shown = await chat_again(dispatcher, cy.name, "")
    assert shown.index("📬") < shown.index("(Where we left off:)\nbot> New curriculum, step 1")
    assert cy.notices == []  # delivered once, to the chat that was open


async def test_state_that_asks_nothing_is_not_resumed_as_a_question(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    di = Learner(dispatcher)
    await di.say("/start")
    ctx = dispatcher.ctx
    me = await user_id(engine, di)
    # a flow no module answers (retired, or a list's paging state): typing goes on as usual
    await conversations.save(me, "retired-flow", "step", {}, ctx.uow(), ctx.clock)
    assert await chat_again(dispatcher, di.name, "") == ""


async def test_a_saved_file_is_readable_by_its_owner_only(
    dispatcher: Dispatcher, tmp_path: Path
) -> None:
    folder = tmp_path / "files"
    chat = TerminalChat(dispatcher, "ivy", stdin=io.StringIO(), stdout=io.StringIO(), files=folder)
    await chat.send(chat.chat_id, Reply("Your data", attachment=Attachment("me.json", b"{}")))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "me.json").stat().st_mode) == 0o600  # an /export is private
