"""``syllabot run`` and ``syllabot worker`` as processes, talking Discord to the fake (REST and
the gateway WebSocket): the learner journey, the marketplace confirmed from a direct message,
a person who accepts no direct messages, a dropped gateway connection resumed, and shards
spread over two processes."""

from __future__ import annotations

import asyncio
import re
import signal
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import discord.gateway
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.discord import DiscordAdapter
from bot.bootstrap import open_turns
from bot.config import Settings
from bot.handlers.router import Dispatcher
from db.turns import PgTurns
from db.uow import SqlAlchemyUnitOfWork
from domain.accounts.model import Identity
from domain.accounts.ports import LocalTurns
from domain.accounts.registration import register
from domain.marketplace import experts
from domain.marketplace.commands import BecomeExpert, SetAvailability, VerifyExpert
from domain.marketplace.model import BookingStatus, Policy
from domain.shared.clock import SystemClock
from tests.adapters.discord_fake import Call, DiscordFake
from tests.adapters.discord_process import Launch, Person, eventually, syllabot, syllabots
from tests.support import FakeClock, expert_draft, private_database, queue

WEEKDAYS = "mon 09:00-17:00; tue 09:00-17:00; wed 09:00-17:00; thu 09:00-17:00; fri 09:00-17:00"


@pytest.fixture(scope="module")
async def database(server_url: str) -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A database of this module's own: the processes' workers claim every due row."""
    async with private_database(server_url) as engine:
        url = engine.url.render_as_string(hide_password=False)
        yield url, engine


async def user_of(engine: AsyncEngine, person: Person) -> uuid.UUID:
    async with engine.connect() as conn:
        found = await conn.scalar(
            text(
                "SELECT user_id FROM platform_identities "
                "WHERE platform = 'discord' AND external_id = :id"
            ),
            {"id": person.user["id"]},
        )
    assert found is not None
    return found


async def test_a_learner_plans_studies_and_sees_progress_through_a_running_bot(
    fake: DiscordFake, database: tuple[str, AsyncEngine]
) -> None:
    url, engine = database
    async with syllabot(fake, url):
        ada = Person(fake, "Ada")
        await ada.slash("start", expect="Hi Ada! I'm Syllabot")
        await ada.slash("new", expect="step 1 of 6")
        await ada.say("Spanish 🇪🇸", expect="step 2")
        await ada.say("10", expect="step 3")
        await ada.say("45", expect="What is your level?")
        await ada.press("Beginner", expect="step 5")
        await ada.say("order food in Madrid", expect="step 6")
        await ada.press("Skip", expect="Created “Spanish 🇪🇸 (beginner)”: 10 sessions × 45 min")
        done = await ada.slash("done", "30 learned greetings", expect="Session 1 of 10 done")
        assert "Note saved" in done
        await ada.slash("progress", expect="1/10 sessions · 10%")
        # In a server channel the answer is only for her (ephemeral).
        bea = Person(fake, "Bea", guild=True)
        await bea.slash("start", expect="Hi Bea!")
        assert all(m["flags"] & 64 for m in fake.channel_messages(fake.guild_channel_id))
    assert ada.answered_once() and bea.answered_once()
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT sessions_completed, total_time_spent FROM user_progress "
                    "WHERE user_id = :u"
                ),
                {"u": await user_of(engine, ada)},
            )
        ).one()
    assert tuple(row) == (1, 30)
    assert not [c for c in fake.calls if c.status >= 400]


async def expert_on_discord(engine: AsyncEngine, fake: DiscordFake, subject: str) -> Person:
    """A verified expert with weekday hours in Berlin, who uses Discord (made through the
    services, as an admin would have verified her)."""
    grace = Person(fake, "Grace")
    uid = grace.user["id"]
    clock, policy = SystemClock(), Policy()
    uow = lambda: SqlAlchemyUnitOfWork(engine)  # noqa: E731
    user, _ = await register(Identity("discord", uid, uid, "Grace"), uow(), clock)
    draft = expert_draft("Grace Hopper", subject)
    expert = await experts.become_expert(BecomeExpert(user.id, draft), uow(), clock, policy)
    await experts.verify_expert(VerifyExpert(None, expert.id, True), uow(), clock, policy)
    await experts.set_availability(SetAvailability(user.id, WEEKDAYS), uow())
    return grace


async def test_a_booking_is_requested_and_the_expert_confirms_from_a_direct_message(
    fake: DiscordFake, database: tuple[str, AsyncEngine]
) -> None:
    url, engine = database
    subject = f"Rust{uuid.uuid4().hex[:6]}"
    grace = await expert_on_discord(engine, fake, subject)
    async with syllabots(fake, url, Launch("run"), Launch("worker")):
        ada = Person(fake, "Ada", guild=True)  # she searches from a server channel
        await ada.slash("experts", subject, expect="Grace Hopper")
        await ada.press("Grace Hopper", expect="20.00 EUR – 40.00 EUR per hour")
        await ada.press("📅 Book", expect="How long should the session be?")
        assert "60 min · 30.00 EUR" in ada.buttons()
        await ada.press("60 min · 30.00 EUR", expect="Which day?")
        await ada.choose(ada.options()[0], expect="Which time on")
        await ada.choose(ada.options()[0], expect="Book 60 min with Grace Hopper")
        await ada.press("✅ Confirm", expect="Requested!")

        # A worker delivers the request to Grace by direct message, with its buttons.
        def request() -> bool:
            return any(
                m["content"].startswith("📨 New booking request")
                for m in fake.channel_messages(grace.channel_id)
            )

        await fake.wait_for(request)
        alert = grace.keyboard_message()
        assert alert["content"].startswith("📨 New booking request")
        confirmed = await grace.press("✅ Confirm", alert, expect="Confirmed")
        assert "https://meet.jit.si/syllabot-" in confirmed

        ada_dm = fake.dm_channel(ada.user["id"])["id"]
        await fake.wait_for(
            lambda: any(
                "Your booking is confirmed" in m["content"] for m in fake.channel_messages(ada_dm)
            )
        )
    assert ada.answered_once() and grace.answered_once()
    async with engine.connect() as conn:
        status = await conn.scalar(
            text("SELECT status FROM bookings WHERE user_id = :u"),
            {"u": await user_of(engine, ada)},
        )
    assert status == BookingStatus.SCHEDULED  # confirmed
    assert not [c for c in fake.calls if c.status >= 400]


async def test_a_person_who_accepts_no_direct_messages_is_marked_blocked_by_the_worker(
    fake: DiscordFake, database: tuple[str, AsyncEngine]
) -> None:
    url, engine = database
    bo = Person(fake, "Bo")
    bo_id = bo.user["id"]
    user, _ = await register(
        Identity("discord", bo_id, bo_id, "Bo"), SqlAlchemyUnitOfWork(engine), SystemClock()
    )
    user_id = user.id
    fake.refuses_dms.add(bo_id)  # 403, 50007: "Cannot send messages to this user"
    await queue(engine, [user_id], 1, FakeClock(datetime.now(UTC)))
    async with syllabot(fake, url, "worker"):  # the worker only: no gateway, no commands

        async def blocked() -> object:
            async with engine.connect() as conn:
                return await conn.scalar(
                    text("SELECT blocked_at FROM platform_identities WHERE user_id = :u"),
                    {"u": user_id},
                )

        await eventually(blocked)
    [refused] = [c for c in fake.calls if c.status == 403]  # tried once
    assert "Your expert profile is verified" in refused.body["content"]
    assert not fake.gateway.connections and not fake.commands
    async with engine.connect() as conn:
        outcome = (
            await conn.execute(
                text(
                    "SELECT status, last_error FROM notifications "
                    "WHERE user_id = :u AND kind = 'expert_verified'"
                ),
                {"u": user_id},
            )
        ).one()
    assert tuple(outcome) == ("dropped", "blocked on discord")


async def test_a_dropped_gateway_connection_is_resumed_and_no_event_is_lost_or_doubled(
    fake: DiscordFake, database: tuple[str, AsyncEngine]
) -> None:
    url, _engine = database
    async with syllabot(fake, url):
        cy = Person(fake, "Cy")
        await cy.slash("start", expect="Hi Cy!")
        [session] = await fake.gateway.drop()  # resumable: 4000, "unknown error"
        # Pushed while the bot is away: Discord keeps it and replays it on RESUME.
        await cy.slash("progress", expect="You have no curriculum yet")
        assert session.resumes == [3]  # READY, GUILD_CREATE, /start: it had seen 3 events
        assert [c.path for c in fake.gateway.connections] == ["/", "/resume/"]
        await cy.slash("help", expect="/progress")  # and after the resume, as ever
        said = [p for c in fake.gateway.connections for p in c.received]
        assert [p["op"] for p in said if p["op"] in (2, 6)] == [2, 6]  # one IDENTIFY, one RESUME
    assert cy.answered_once()
    assert not [c for c in fake.calls if c.status >= 400]


async def test_two_processes_each_run_one_of_two_shards_and_answer_their_servers(
    fake: DiscordFake, database: tuple[str, AsyncEngine]
) -> None:
    url, _engine = database
    first, second = fake.add_guild(shard=0, count=2), fake.add_guild(shard=1, count=2)
    sharded = {"DISCORD_SHARD_COUNT": "2"}
    async with syllabots(
        fake,
        url,
        Launch(env={**sharded, "DISCORD_SHARD_IDS": "0"}, shards=(0,)),
        Launch(env={**sharded, "DISCORD_SHARD_IDS": "1"}, shards=(1,)),
    ) as [zero, one]:
        assert b"shard 0 of 2" in zero.out and b"shard 1 of 2" in one.out
        assert sorted(fake.gateway.identified()) == [(0, 2), (1, 2)]
        for session in fake.gateway.sessions.values():
            servers = [e["d"]["id"] for e in session.dispatched if e["t"] == "GUILD_CREATE"]
            shard_id, _count = session.shard
            assert servers == [g.id for g in fake.guilds if g.shard(2) == shard_id]
            assert session.identify["shard"] == [shard_id, 2]
        dee = Person(fake, "Dee", guild=first)
        eve = Person(fake, "Eve", guild=second)
        await dee.slash("start", expect="Hi Dee!")
        await eve.slash("start", expect="Hi Eve!")
        fay = Person(fake, "Fay")  # a direct message: shard 0's
        await fay.slash("start", expect="Hi Fay!")
    assert dee.answered_once() and eve.answered_once() and fay.answered_once()
    assert not [c for c in fake.calls if c.status >= 400]


async def test_one_persons_direct_messages_and_server_commands_on_two_shards_keep_their_order(
    fake: DiscordFake, database: tuple[str, AsyncEngine]
) -> None:
    """Ada's direct messages reach shard 0's process, her server's interactions shard 1's:
    each event is answered, to the last part, before her next one is handled, even when
    answering a direct message is slow and the other process is idle."""
    url, engine = database
    server = fake.add_guild(shard=1, count=2)
    sharded = {"DISCORD_SHARD_COUNT": "2"}
    async with syllabots(
        fake,
        url,
        Launch(env={**sharded, "DISCORD_SHARD_IDS": "0"}, shards=(0,)),
        Launch(env={**sharded, "DISCORD_SHARD_IDS": "1"}, shards=(1,)),
    ):
        ada = Person(fake, "Ada")
        await ada.slash("start", expect="Hi Ada!")
        fake.slow["POST messages"] = 0.3  # her direct messages' answers take a while
        start = len(fake.calls)
        events: list[dict[str, object]] = []
        for n in range(1, 11):  # each pushed once its process has claimed the one before
            if n % 2:
                events.append(fake.direct_message(ada.user, f"/zq{n:02d}"))
                await fake.push("MESSAGE_CREATE", events[-1])
            else:
                events.append(fake.slash(ada.user, "help", guild=server))
                await fake.push("INTERACTION_CREATE", events[-1])
            await eventually(lambda: arrived(engine, str(events[-1]["id"])))
        dm = fake.dm_channel(ada.user["id"])["id"]

        def answered_by(call: Call) -> int | None:
            if call.method not in ("POST", "PATCH") or call.status != 200:
                return None
            if "/callback" in call.path:  # the deferral, at once on arrival
                return None
            for n, event in enumerate(events, 1):
                if "token" in event and str(event["token"]) in call.path:
                    return n
            found = re.search(r"/zq(\d\d)", str((call.body or {}).get("content", "")))
            return int(found.group(1)) if found and f"/channels/{dm}/" in call.path else None

        def everyone_answered() -> bool:
            return {answered_by(c) for c in fake.calls[start:]} >= set(range(1, 11))

        await fake.wait_for(everyone_answered, within=30)
        order = [n for c in fake.calls[start:] if (n := answered_by(c)) is not None]
        assert [n for i, n in enumerate(order) if i == 0 or order[i - 1] != n] == list(
            range(1, 11)
        )
    assert ada.answered_once()


async def arrived(engine: AsyncEngine, event_id: str) -> bool:
    async with engine.connect() as conn:
        found = await conn.scalar(
            text("SELECT 1 FROM processed_updates WHERE platform = 'discord' AND update_id = :id"),
            {"id": int(event_id)},
        )
    return found is not None


async def test_a_stopped_process_first_answers_the_interactions_it_took(
    fake: DiscordFake, database: tuple[str, AsyncEngine]
) -> None:
    url, _engine = database
    payloads: list[dict[str, object]] = []
    async with syllabot(fake, url) as bot:  # it must stop with status 0 and no traceback

        async def people_keep_coming() -> None:
            while bot.process.returncode is None:
                payloads.append(fake.slash(fake.user(f"Pat{len(payloads)}"), "start"))
                await fake.push("INTERACTION_CREATE", payloads[-1])
                await asyncio.sleep(0.02)

        coming = asyncio.create_task(people_keep_coming())
        await fake.wait_for(lambda: sum(map(fake.answered, payloads)) >= 5)
        bot.process.send_signal(signal.SIGTERM)  # while some are being handled
        await bot.process.wait()
        await coming
    taken = {p["token"] for p in payloads if fake.answered(p)}
    edited = {c.path.split("/")[3] for c in fake.calls if c.path.endswith("/@original")}
    assert len(taken) >= 5 and taken <= edited  # each one deferred was answered too
    assert not [c for c in fake.calls if c.status >= 400]


@pytest.mark.parametrize(("configured", "connected_to"), [(True, "/"), (False, "/gateway-bot/")])
async def test_the_gateway_is_the_configured_one_and_discord_says_how_many_shards(
    fake: DiscordFake,
    dispatcher: Dispatcher,
    monkeypatch: pytest.MonkeyPatch,
    configured: bool,
    connected_to: str,
) -> None:
    websocket = discord.gateway.DiscordWebSocket
    monkeypatch.setattr(websocket, "DEFAULT_GATEWAY", websocket.DEFAULT_GATEWAY)  # restored
    gateway = fake.gateway_url if configured else None
    adapter = DiscordAdapter(dispatcher, fake.token, api_base_url=fake.base, gateway_url=gateway)
    async with adapter:  # in this process: the gateway in the test's own loop
        await fake.wait_for(lambda: fake.gateway.identified() == [(0, 1)])
        assert [c.path for c in fake.gateway.connections] == [connected_to]
        ada = fake.user("Ada")
        payload = fake.slash(ada, "start")
        await fake.push("INTERACTION_CREATE", payload)
        dm = fake.dm_channel(ada["id"])["id"]
        await fake.wait_for(
            lambda: any("Hi Ada!" in m["content"] for m in fake.channel_messages(dm))
        )
    assert adapter.client.shard_count == fake.shards == 1
    assert [c.path for c in fake.calls].count("/gateway/bot") == 1


@pytest.mark.parametrize(("shard_ids", "across"), [("1", True), (None, False)])
async def test_discord_sharded_over_processes_takes_turns_across_them(
    database: tuple[str, AsyncEngine], tmp_path: Path, shard_ids: str | None, across: bool
) -> None:
    url, engine = database
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        DATABASE_URL=url,
        SYLLABOT_DATA_DIR=tmp_path,
        DISCORD_BOT_TOKEN="fake-discord-token",
        DISCORD_SHARD_COUNT=2,
        DISCORD_SHARD_IDS=shard_ids,
    )
    async with open_turns(settings, engine) as turns:
        assert isinstance(turns, PgTurns) is across
        assert isinstance(turns, LocalTurns) is not across
