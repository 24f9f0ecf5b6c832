"""Control characters in what people type are taken out at the edge (``Dispatcher.handle``):
nothing that stores text ever sees one, no reply echoes one, and nothing logs a traceback."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers.base import Incoming
from bot.handlers.router import FAILURE, Dispatcher
from domain.accounts.model import Identity

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")  # tabs and newlines may stay


def strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


async def stored_controls(engine: AsyncEngine) -> list[str]:
    """Every stored string (each row of each table, JSON columns opened) with a control."""
    found = []
    async with engine.connect() as conn:
        tables = await conn.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        )
        for table in list(tables):
            rows = await conn.scalars(text(f'SELECT to_jsonb(t) FROM "{table}" t'))
            found += [s for row in rows for s in strings(row) if CONTROL.search(s)]
    return found


class Person:
    def __init__(self, dispatcher: Dispatcher, name: str | None = None) -> None:
        self.dispatcher = dispatcher
        self.external_id = f"ctl-{uuid.uuid4().hex[:8]}"
        self.identity = Identity("fake", self.external_id, self.external_id, name or "Ctl")
        self.replies: list[str] = []

    async def say(self, line: str, *, answers: str | None = None) -> str:
        incoming = Incoming(self.identity, text=line, answers=answers)
        said = [reply.text for reply in await self.dispatcher.handle(incoming)]
        self.replies += said
        return "\n".join(said)


CASES = [
    (["/new Go\x00lang\x1b[1m | 3 | 30 | beginner | be\x07 fluent\x85"], "Created “Golang[1m"),
    (["/new Go | 3 | 30 | beginner", "/done 20 felt\x00 good\x9f"], "Note saved"),
    (["/new Go | 3 | 30 | beginner", "/done", "/note a\x00b\r\nc\x0bd\te\ud800"], "Noted on"),
    (
        ["/experts under\x00water\x01 basketry max=40"],
        "No verified expert teaches “underwater basketry”",
    ),
    (["/new", "Span\x00ish\x9b\x7f"], "step 2 of 6"),
    (["/timezone Europe/Ber\x00lin"], "Time zone set to Europe/Berlin"),
]


@pytest.mark.parametrize(("lines", "expected"), CASES)
async def test_control_characters_in_typed_text_are_never_stored_echoed_or_a_failure(
    dispatcher: Dispatcher,
    engine: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
    lines: list[str],
    expected: str,
) -> None:
    person = Person(dispatcher)
    for line in lines:
        last = await person.say(line)
    assert expected in last
    assert FAILURE not in person.replies
    assert not [r for r in person.replies if CONTROL.search(r)]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert await stored_controls(engine) == []


async def test_a_form_answer_and_a_display_name_lose_their_control_characters(
    dispatcher: Dispatcher, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    person = Person(dispatcher, name="Ada\x00\x1b Lovelace\x9c")
    assert "Hi Ada Lovelace!" in await person.say("/start")
    await person.say("/new")
    async with engine.connect() as conn:
        token = await conn.scalar(
            text(
                "SELECT c.token FROM conversation_states c JOIN platform_identities i"
                " USING (user_id) WHERE i.external_id = :id"
            ),
            {"id": person.external_id},
        )
    assert "step 2 of 6" in await person.say("Lin\x00ear\x0c algebra", answers=token)
    assert not [r for r in person.replies if CONTROL.search(r)]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert await stored_controls(engine) == []
