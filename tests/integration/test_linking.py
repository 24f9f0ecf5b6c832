"""/link through the real handlers, services and PostgreSQL: codes, guesses, and merging."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers.base import Incoming
from bot.handlers.router import Dispatcher
from db.uow import SqlAlchemyUnitOfWork
from domain.accounts import linking
from domain.accounts.model import Identity
from domain.marketplace import experts
from domain.marketplace.commands import BecomeExpert
from domain.marketplace.model import Policy
from tests.support import FakeClock, expert_draft, snapshot

CODE = re.compile(r"link code: ([A-Z2-9]{4}-[A-Z2-9]{4})")


class Account:
    """One person on one platform, talking to the dispatcher as an adapter would."""

    def __init__(self, dispatcher: Dispatcher, platform: str) -> None:
        self.dispatcher = dispatcher
        self.external_id = uuid.uuid4().hex[:12]
        self.identity = Identity(platform, self.external_id, self.external_id, platform.title())

    async def say(self, line: str) -> str:
        replies = await self.dispatcher.handle(Incoming(self.identity, text=line))
        return "\n".join(reply.text for reply in replies)

    async def code(self) -> str:
        found = CODE.search(await self.say("/link"))
        assert found is not None
        return found[1]

    async def user_id(self, engine: AsyncEngine) -> UUID | None:
        async with engine.connect() as conn:
            return await conn.scalar(
                text(
                    "SELECT user_id FROM platform_identities "
                    "WHERE platform = :p AND external_id = :e"
                ),
                {"p": self.identity.platform, "e": self.external_id},
            )


async def rows_of(engine: AsyncEngine, query: str, **params: object) -> list[tuple[object, ...]]:
    async with engine.connect() as conn:
        return [tuple(row) for row in await conn.execute(text(query), params)]


async def make_expert(engine: AsyncEngine, clock: FakeClock, user_id: UUID, name: str) -> UUID:
    draft = expert_draft(name)
    expert = await experts.become_expert(
        BecomeExpert(user_id, draft), SqlAlchemyUnitOfWork(engine), clock, Policy()
    )
    return expert.id


async def book(engine: AsyncEngine, clock: FakeClock, learner: UUID, expert_id: UUID) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO bookings (user_id, expert_id, session_date, duration, status, "
                "price, currency) VALUES (:u, :e, :at, 60, 'pending', 30, 'EUR')"
            ),
            {"u": learner, "e": expert_id, "at": clock.now() + timedelta(days=2)},
        )


async def test_a_code_joins_two_platforms_and_merges_curricula_notes_streaks_and_bookings(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    tg, dc = Account(dispatcher, "telegram"), Account(dispatcher, "discord")
    await tg.say("/new Ukulele | 12 | 30 | beginner")
    await tg.say("/done 30 scales")
    assert "Time zone set to Europe/Berlin" in await dc.say("/timezone Europe/Berlin")
    await dc.say("/new Origami | 3 | 30 | beginner")
    await dc.say("/done 20 openings")
    tg_user, dc_user = await tg.user_id(engine), await dc.user_id(engine)
    assert tg_user is not None and dc_user is not None
    teacher = Account(dispatcher, "terminal")
    await teacher.say("/start")
    teacher_user = await teacher.user_id(engine)
    assert teacher_user is not None
    expert_id = await make_expert(engine, clock, teacher_user, "Teacher")
    await book(engine, clock, dc_user, expert_id)

    code = await tg.code()
    assert "Linked: Discord and Telegram are now one account" in await dc.say(
        f"/link {code.lower()}"
    )

    # Both identities are the code's user now; the joining user is gone, nothing left behind.
    assert await dc.user_id(engine) == tg_user
    assert await rows_of(engine, "SELECT 1 FROM users WHERE id = :u", u=dc_user) == []
    for table in ("curricula", "user_progress", "user_notes", "bookings", "platform_identities"):
        assert await rows_of(engine, f"SELECT 1 FROM {table} WHERE user_id = :u", u=dc_user) == []  # noqa: S608
    # From either platform: both curricula with their progress and streaks, both notes.
    for account in (tg, dc):
        plans = await account.say("/plans")
        assert "Ukulele" in plans and "Origami" in plans
        notes = await account.say("/notes")
        assert "scales" in notes and "openings" in notes
    streaks = await rows_of(
        engine,
        "SELECT c.subject, p.current_streak, p.sessions_completed FROM user_progress p "
        "JOIN curricula c ON c.id = p.curriculum_id WHERE p.user_id = :u ORDER BY 1",
        u=tg_user,
    )
    assert streaks == [("Origami", 1, 1), ("Ukulele", 1, 1)]
    booked = "SELECT user_id FROM bookings WHERE expert_id = :e"
    assert await rows_of(engine, booked, e=expert_id) == [(tg_user,)]
    # The code's user had no zone of its own (UTC): it takes the joining account's.
    assert await rows_of(engine, "SELECT timezone FROM users WHERE id = :u", u=tg_user) == [
        ("Europe/Berlin",)
    ]
    # One set of reminders for the one user, planned in the zone it has now (20:00 Berlin).
    planned = await rows_of(
        engine,
        "SELECT kind, due_at FROM notifications WHERE user_id = :u AND status = 'pending'"
        " AND kind = 'streak_reminder'",
        u=tg_user,
    )
    assert [(kind, due.astimezone(ZoneInfo("Europe/Berlin")).hour) for kind, due in planned] == [
        ("streak_reminder", 20)
    ]

    # Single use: the same code again, from a third platform, is a wrong code.
    late = Account(dispatcher, "terminal")
    assert "wrong, used or expired" in await late.say(f"/link {code}")
    assert await late.user_id(engine) != tg_user


async def test_a_code_expires_after_ten_minutes_and_a_new_one_replaces_the_old(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    tg, dc = Account(dispatcher, "telegram"), Account(dispatcher, "discord")
    old = await tg.code()
    clock.advance(minutes=10, seconds=1)
    assert "wrong, used or expired" in await dc.say(f"/link {old}")
    fresh = await tg.code()
    replaced = await tg.code()
    assert fresh != replaced
    assert "wrong, used or expired" in await dc.say(f"/link {fresh}")
    clock.advance(minutes=9, seconds=59)
    assert "Linked" in await dc.say(f"/link {replaced}")
    assert await dc.user_id(engine) == await tg.user_id(engine)
    stored = await rows_of(engine, "SELECT code_hash FROM link_codes")
    assert all(h is None or (len(h) == 64 and replaced not in h) for (h,) in stored)


async def test_wrong_guesses_are_limited_to_five_per_ten_minutes(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    tg, dc = Account(dispatcher, "telegram"), Account(dispatcher, "discord")
    code = await tg.code()
    await dc.say("/start")
    left = ["4 tries left", "3 tries left", "2 tries left", "1 try left", "0 tries left"]
    for guess, words in zip(
        ("AAAA-AAAA", "not a code", "ABCD-EFG2", "💥", "2" * 500), left, strict=True
    ):
        reply = await dc.say(f"/link {guess}")
        assert "wrong, used or expired" in reply and f"({words}.)" in reply
    before = await snapshot(engine)
    refused = await dc.say(f"/link {code}")  # even the right one
    assert "Too many wrong codes. Please wait 10 minutes," in refused
    assert await snapshot(engine) == before
    clock.advance(minutes=10)  # a new window (and the code has expired meanwhile)
    assert "Linked" in await dc.say(f"/link {await tg.code()}")


async def test_own_code_and_a_second_account_on_the_same_platform_are_refused(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    tg, other_tg = Account(dispatcher, "telegram"), Account(dispatcher, "telegram")
    code = await tg.code()
    await other_tg.say("/start")
    before = await snapshot(engine)
    assert "this account's own code" in await tg.say(f"/link {code}")
    assert "Both accounts are on Telegram already" in await other_tg.say(f"/link {code}")
    assert await snapshot(engine) == before
    assert "Linked" in await Account(dispatcher, "discord").say(f"/link {code}")  # still valid


async def test_two_expert_profiles_are_refused_and_both_accounts_stay_as_they_were(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    tg, dc = Account(dispatcher, "telegram"), Account(dispatcher, "discord")
    await tg.say("/new Ukulele | 12 | 30 | beginner")
    await dc.say("/new Origami | 3 | 30 | beginner")
    await dc.say("/done 20 openings")
    tg_user, dc_user = await tg.user_id(engine), await dc.user_id(engine)
    assert tg_user is not None and dc_user is not None
    for user, name in ((tg_user, "Tee"), (dc_user, "Dee")):
        await make_expert(engine, clock, user, name)
    code = await tg.code()
    before = await snapshot(engine)
    experts_before = await rows_of(engine, "SELECT id, user_id FROM experts ORDER BY 1")

    assert "Both accounts have an expert profile" in await dc.say(f"/link {code}")
    assert await snapshot(engine) == before
    assert await rows_of(engine, "SELECT id, user_id FROM experts ORDER BY 1") == experts_before
    assert "Origami" in await dc.say("/plans") and "Ukulele" not in await dc.say("/plans")


async def test_an_account_that_booked_the_others_expert_profile_is_not_joined(
    dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    tg, dc = Account(dispatcher, "telegram"), Account(dispatcher, "discord")
    await tg.say("/start")
    await dc.say("/start")
    tg_user, dc_user = await tg.user_id(engine), await dc.user_id(engine)
    assert tg_user is not None and dc_user is not None
    await book(engine, clock, dc_user, await make_expert(engine, clock, tg_user, "Tee"))
    before = await snapshot(engine)
    assert "booked the other's expert profile" in await dc.say(f"/link {await tg.code()}")
    after = await snapshot(engine)
    assert after == before and await dc.user_id(engine) == dc_user


def test_codes_are_eight_unambiguous_characters_read_in_any_case() -> None:
    assert linking.normalize(" abcd-efgh ") == "ABCDEFGH"
    assert linking.normalize("ABCD EFG2") == "ABCDEFG2"
    for bad in ("ABCD-EFG0", "ABCDEFGHJ", "ABC", "", "ABCD-EFGI"):
        assert linking.normalize(bad) is None
