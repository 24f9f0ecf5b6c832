"""Helpers shared by the integration and scenario tests."""

from __future__ import annotations

import io
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.terminal import PLATFORM, TerminalChat
from bot.handlers.base import Reply
from bot.handlers.courier import Delivery
from bot.handlers.router import Dispatcher
from bot.worker import NotificationWorker
from db.admin import create_database, drop_database
from db.engine import create_engine
from db.migrate import upgrade
from db.uow import SqlAlchemyUnitOfWork
from domain.accounts.model import Identity
from domain.accounts.registration import register
from domain.marketplace.model import ExpertDraft, Proficiency, Specialty

TABLES = (
    "users",
    "platform_identities",
    "conversation_states",
    "curricula",
    "sessions",
    "user_progress",
    "user_notes",
    "commissions",  # the ledger, and the disputes that hold its rows
    "booking_disputes",
)


@dataclass
class FakeClock:
    """A clock the test moves by hand."""

    current: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 12, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)

    def set(self, moment: datetime) -> None:
        assert moment.tzinfo is not None
        self.current = moment


class Learner:
    """One person chatting through the terminal adapter, with a unique identity, and the
    worker of ``syllabot chat`` delivering their notifications to that chat (📬)."""

    def __init__(self, dispatcher: Dispatcher, name: str | None = None) -> None:
        self.name = name or f"learner-{uuid.uuid4().hex[:8]}"
        self.out = io.StringIO()
        self.chat = TerminalChat(dispatcher, self.name, stdin=io.StringIO(), stdout=self.out)
        self.notices: list[Reply] = []  # every notification shown in the chat, oldest first
        self.worker = NotificationWorker(
            dispatcher.ctx, {PLATFORM: self}, chats={self.chat.chat_id}
        )
        self.last: list[Reply] = []

    async def send(self, chat_id: str, reply: Reply) -> Delivery:
        """The courier: what the worker delivers is shown in the chat, and remembered."""
        self.notices.append(reply)
        return await self.chat.send(chat_id, reply)

    async def say(self, text: str) -> str:
        """Send a line (``#N`` presses button N) and return the replies' text, followed by
        the notifications that arrived meanwhile (delivered by the worker, as in the chat)."""
        replies = await self.chat.enter(text)
        shown = len(self.notices)
        await self.worker.drain()
        self.last = [*replies, *self.notices[shown:]]
        return "\n".join(reply.text for reply in self.last)

    async def press(self, label: str) -> str:
        """Press the button labelled ``label`` on the latest answer that had buttons (``#N``),
        else the newest message showing one (by its full label ``#M.N``, as for a notice)."""
        labels = self.buttons()
        if label in labels:
            return await self.say(f"#{labels.index(label) + 1}")
        shown = [(full, b.label) for full, b in self.chat.labelled().items()]
        full = next((full for full, name in reversed(shown) if name == label), None)
        assert full is not None, f"no button {label!r} in {labels} nor in {shown}"
        return await self.say(full)

    def buttons(self) -> list[str]:
        """Labels of the buttons ``#N`` presses now (the latest message that had buttons)."""
        return [b.label for b in self.chat.buttons]

    def notice_buttons(self) -> list[str]:
        """Labels of the newest notice's buttons (pressed by their full label, ``press`` finds
        them: a notice never takes over what ``#N`` presses)."""
        return [b.label for row in self.notices[-1].buttons for b in row] if self.notices else []

    def payloads(self) -> list[str]:
        return [b.payload or "" for b in self.chat.buttons]


async def user_id(engine: AsyncEngine, person: Learner) -> uuid.UUID:
    """The user behind a terminal ``Learner``."""
    async with engine.connect() as conn:
        return await conn.scalar(
            text("SELECT user_id FROM platform_identities WHERE external_id = :n"),
            {"n": person.name},
        )


async def snapshot(engine: AsyncEngine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the learner tables, for "nothing changed" assertions."""
    result = {}
    async with engine.connect() as conn:
        for table in TABLES:
            rows = await conn.execute(text(f"SELECT * FROM {table} ORDER BY 1"))  # noqa: S608
            result[table] = [tuple(row) for row in rows]
    return result


@asynccontextmanager
async def private_database(server_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated database of the caller's own, for tests whose workers claim every due row."""
    url = await create_database(server_url)
    await upgrade(url)
    engine = create_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()
        await drop_database(server_url, url)


def expert_draft(name: str, subject: str = "Go") -> ExpertDraft:
    """A valid expert profile: Berlin, 20-40 EUR/h, English, expert in ``subject``."""
    return ExpertDraft(
        name,
        None,
        None,
        Decimal("20"),
        Decimal("40"),
        "Europe/Berlin",
        ("en",),
        (Specialty(subject, Proficiency.EXPERT),),
    )


# -- the outbox -------------------------------------------------------------------------------


async def people(engine: AsyncEngine, count: int) -> list[uuid.UUID]:
    """``count`` new users on the "fake" platform."""
    found = []
    for _ in range(count):
        name = f"fake-{uuid.uuid4().hex[:8]}"
        identity = Identity("fake", name, f"chat-{name}", name)
        user, _ = await register(identity, SqlAlchemyUnitOfWork(engine), FakeClock())
        found.append(user.id)
    return found


async def queue(
    engine: AsyncEngine, users: list[uuid.UUID], per_user: int, clock: FakeClock, **columns: object
) -> None:
    """``per_user`` due alerts ("your profile is verified") for each of ``users`` (who may
    repeat), due a minute ago, as one INSERT ... SELECT."""
    extra = ", ".join(columns)
    values = ", ".join(f":{name}" for name in columns)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO notifications (user_id, kind, data, due_at"
                + (", " + extra if extra else "")
                + ") SELECT u, 'expert_verified', '{}'::jsonb, :due"
                + (", " + values if values else "")
                + " FROM unnest(CAST(:users AS uuid[])) AS u, generate_series(1, :n)"
            ),
            {"users": users, "n": per_user, "due": clock.now() - timedelta(minutes=1), **columns},
        )


async def statuses(engine: AsyncEngine, users: list[uuid.UUID]) -> Counter[str]:
    """How many of the users' alerts (the ones ``queue`` writes) are in each status."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT status, count(*) FROM notifications"
                " WHERE user_id = ANY(:u) AND kind = 'expert_verified' GROUP BY 1"
            ),
            {"u": users},
        )
        return Counter({status: count for status, count in rows})
