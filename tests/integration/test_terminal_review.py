"""/card and /review in the terminal chat, fed by a pipe as ``syllabot chat`` is: the card's
front, Show answer, a rating, and the end of today's review, as printed."""

from __future__ import annotations

import io
import uuid

from bot.adapters.terminal import PLATFORM, TerminalChat
from bot.handlers.router import Dispatcher
from bot.worker import NotificationWorker


async def chat(dispatcher: Dispatcher, name: str, lines: str) -> str:
    out = io.StringIO()
    terminal = TerminalChat(dispatcher, name, stdin=io.StringIO(lines), stdout=out)
    worker = NotificationWorker(dispatcher.ctx, {PLATFORM: terminal}, chats={terminal.chat_id})
    await terminal.run(catch_up=worker.drain)
    return out.getvalue()


async def test_a_piped_chat_adds_a_card_and_reviews_it_to_the_end(dispatcher: Dispatcher) -> None:
    name = f"cards-{uuid.uuid4().hex[:6]}"
    # /card, /review, Show answer (#2.1), Good (#2.3): again in 10 minutes, so the card comes
    # back today; Show answer, Easy (#2.4): all done for today.
    shown = await chat(
        dispatcher, name, "/card el gato | the cat\n/review\n#2.1\n#2.3\n#2.1\n#2.4\n/progress\n"
    )
    assert "bot> 🃏 Card added: “el gato”." in shown
    assert "[#1.1 🃏 Review now]" in shown
    front, rest = shown.split("[#2.1 Show answer]", 1)
    assert "bot> 🃏 el gato" in front and "the cat" not in front.split("bot> 🃏 el gato")[1]
    assert "bot (updated)> 🃏 el gato\n     \n     the cat" in rest
    assert "[#2.1 Again]  [#2.2 Hard]  [#2.3 Good]  [#2.4 Easy]" in rest
    assert "✓ Good: back in 10 minutes." in rest
    assert "✓ Easy: back on " in rest
    assert "🎉 All done for today: 2 reviews today" in rest
    assert "🃏 Review cards: 0 due today · 2 reviewed this week · retention 100%" in rest


async def test_a_malformed_card_says_how_and_adds_nothing(dispatcher: Dispatcher) -> None:
    name = f"cards-{uuid.uuid4().hex[:6]}"
    shown = await chat(dispatcher, name, "/card just a front\n/review\n")
    assert "Usage: /card <front> | <back>" in shown
    assert "Nothing to review today" in shown
