"""The marketplace on Discord, and reminders and alerts delivered there by direct message: the
real discord.py client against the fake Discord REST API, the notification worker as a courier's
caller, the same journey the terminal and Telegram tests take."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from uuid import UUID

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.discord import DiscordAdapter
from bot.bootstrap import bootstrap
from bot.handlers import payloads
from bot.handlers.router import Dispatcher
from bot.worker import NotificationWorker
from domain.accounts.model import Identity
from domain.accounts.registration import register
from domain.marketplace import experts
from domain.marketplace.commands import BecomeExpert, SetAvailability, VerifyExpert
from domain.marketplace.model import Policy
from tests.adapters.discord_fake import DiscordFake, menus
from tests.adapters.discord_harness import Member, running
from tests.support import FakeClock, expert_draft, queue, snapshot

WEEKDAYS = "mon 09:00-17:00; tue 09:00-17:00; wed 09:00-17:00; thu 09:00-17:00; fri 09:00-17:00"
ADMIN = "Root"


@pytest.fixture
def admin_user(fake: DiscordFake) -> dict[str, str]:
    return fake.user(ADMIN)


@pytest.fixture
def dispatcher(engine: AsyncEngine, clock: FakeClock, admin_user: dict[str, str]) -> Dispatcher:
    policy = Policy(admins=frozenset({("discord", admin_user["id"])}))
    return bootstrap(engine, clock=clock, policy=policy)


async def user_of(engine: AsyncEngine, member: Member) -> UUID:
    async with engine.connect() as conn:
        return await conn.scalar(
            text(
                "SELECT user_id FROM platform_identities "
                "WHERE platform = 'discord' AND external_id = :id"
            ),
            {"id": member.user["id"]},
        )


# A subject of this module's own: the database is shared with other tests' experts.
SUBJECT = f"Rust{uuid.uuid4().hex[:6]}"


async def outcomes(engine: AsyncEngine, user_id: UUID) -> list[tuple[str, str, str | None]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT kind, status, last_error FROM notifications WHERE user_id = :u "
                "ORDER BY created_at, id"
            ),
            {"u": user_id},
        )
        return [(row[0], row[1], row[2]) for row in rows]


async def onboard(adapter: DiscordAdapter, fake: DiscordFake, admin: Member) -> Member:
    """A verified expert with weekday hours in Berlin, through Discord."""
    ex = Member(fake, adapter, "Grace")
    assert "Europe/Berlin" in await ex.slash("timezone", "Europe/Berlin")
    assert "step 1 of 7" in await ex.slash("become_expert")
    assert "step 2" in await ex.say("Grace Hopper")
    assert "step 3" in await ex.say("I debug things.")
    assert "step 4" in await ex.press("Skip")
    assert "positive" in await ex.say("-5-10")
    assert "step 5" in await ex.say("20-40")
    assert "step 6" in await ex.press("Use Europe/Berlin")
    assert "don't know the language" in await ex.say("elvish")
    assert "step 7" in await ex.say("en, de")
    assert "waiting for an admin" in await ex.say(f"{SUBJECT}: expert; statistics: advanced")
    assert "Saved your weekly hours" in await ex.slash("availability", WEEKDAYS)
    assert "Waiting for verification:\nGrace Hopper" in await admin.slash("admin")
    card = await admin.press("Grace Hopper")  # the newest is listed first
    assert f"Specialties: {SUBJECT} (expert)" in card
    assert admin.buttons() == ["✅ Approve", "❌ Reject"]
    assert "Grace Hopper is now verified" in await admin.press("✅ Approve")
    assert "Status: verified" in await ex.slash("expert")
    return ex


async def test_an_expert_is_onboarded_found_booked_and_confirms_from_a_direct_message(
    fake: DiscordFake,
    dispatcher: Dispatcher,
    engine: AsyncEngine,
    admin_user: dict[str, str],
    clock: FakeClock,
) -> None:
    async with running(fake, dispatcher) as adapter:
        admin = Member(fake, adapter, ADMIN)
        admin.user = admin_user
        ex = await onboard(adapter, fake, admin)
        ada = Member(fake, adapter, "Ada", guild=True)  # she searches from a server channel
        await ada.slash("timezone", "America/New_York")
        found = await ada.slash(
            "experts", f"{SUBJECT.lower()} max=30 lang=de level=advanced within=7"
        )
        assert "Grace Hopper" in found
        card = await ada.press("Grace Hopper")  # the button carries the expert's name
        assert "20.00 EUR – 40.00 EUR per hour" in card
        assert "Next free hours (in your zone, America/New_York): Tue 03 Mar 03:00; Tue" in card
        await ada.press("📅 Book")
        assert ada.buttons()[:3] == [
            "30 min · 20.00 EUR",
            "60 min · 30.00 EUR",
            "90 min · 30.00 EUR",
        ]
        assert "Which day? (times in America/New_York)" in await ada.press("60 min · 30.00 EUR")
        # Days and times are select menus (one row each), chosen like the buttons they replace;
        # turning the page, Back and Cancel stay buttons under the menu.
        days = ada.keyboard_message()
        assert ada.buttons(days) == ["later ▶", "◀ Back", "✖ Cancel"]
        assert ada.options(days)[0] == "Tue 03 Mar" and "✖ Cancel" not in ada.options(days)
        [menu] = menus(days)
        assert menu["placeholder"] == "Pick a day" and len(menu["custom_id"]) <= 100
        assert all(len(o["value"]) <= 100 for o in menu["options"])
        assert "Which time on Tue 03 Mar?" in await ada.choose("Tue 03 Mar")
        assert ada.keyboard_message()["id"] == days["id"]  # edited in place
        assert ada.options()[:2] == ["03:00", "03:30"]
        confirm = await ada.choose("03:00")
        assert "Book 60 min with Grace Hopper on Tue 03 Mar 2026, 03:00" in confirm
        assert "Requested!" in await ada.press("✅ Confirm")
        assert all(m["flags"] & 64 for m in fake.channel_messages(fake.guild_channel_id))

        # The worker delivers the request to Grace by direct message, with its buttons.
        worker = NotificationWorker(dispatcher.ctx, {"discord": adapter})
        await worker.drain()
        dms = [m["content"] for m in fake.channel_messages(ex.channel_id)]
        assert any(m.startswith("🎉 Your expert profile is verified") for m in dms)
        alert = ex.keyboard_message()  # a direct message, so shown to nobody in particular
        assert alert["content"].startswith("📨 New booking request")
        assert ex.buttons(alert)[:2] == ["✅ Confirm", "❌ Decline"]
        assert all(len(b) <= 100 for b in ex.buttons(alert))

        # Someone else pressing the DM's button (a forged press) is refused by the payload.
        assert "meant for someone else" in await ada.press("✅ Confirm", alert)
        await fake.deliver(adapter.client, "INTERACTION_CREATE", fake.typing(ex.user, "paid", ""))
        [[choice]] = fake.choices  # the expert's one booking, by its reference
        assert "pending · Ada" in choice["name"] and len(choice["value"]) == 8
        confirmed = await ex.press("✅ Confirm", alert)
        assert "Confirmed" in confirmed and "https://meet.jit.si/syllabot-" in confirmed
        await worker.drain()
        ada_dm = fake.channel_messages(fake.dm_channel(ada.user["id"])["id"])
        assert "Your booking is confirmed" in ada_dm[-2]["content"]  # then the invite's file

        expert_id = await user_of(engine, ex)
        assert ("booking_requested", "sent", None) in await outcomes(engine, expert_id)

        # After the session: the expert marks it completed, Ada rates it from the direct
        # message that asks her to, and writes her review in a form.
        clock.set(datetime(2026, 3, 3, 10, 5, tzinfo=UTC))
        await ex.slash("bookings")
        await ex.press(ex.buttons()[0])
        assert "Marked completed" in await ex.press("Completed")
        await worker.drain()
        ada_dm = Member(fake, adapter, "Ada")
        ada_dm.user = ada.user
        assert "How was your session?" in ada_dm.keyboard_message()["content"]
        assert "Add a few words" in await ada_dm.press("★★★★★")
        assert "✍️ Your review" in ada_dm.buttons()
        assert "Thanks for the review" in await ada_dm.write("Clear and kind.\nRecommended.")
        async with engine.connect() as conn:
            review = await conn.scalar(
                text(
                    "SELECT f.review FROM session_feedback f JOIN bookings b "
                    "ON b.id = f.booking_id WHERE b.user_id = :u"
                ),
                {"u": await user_of(engine, ada)},
            )
        assert review == "Clear and kind.\nRecommended."
    assert not [c for c in fake.calls if c.status >= 500]


async def test_a_person_who_accepts_no_direct_messages_is_marked_blocked(
    fake: DiscordFake, dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    async with running(fake, dispatcher) as adapter:
        bo = Member(fake, adapter, "Bo")
        await bo.slash("start")
        user_id = await user_of(engine, bo)
        worker = NotificationWorker(dispatcher.ctx, {"discord": adapter})
        for _ in range(2):
            await queue(engine, [user_id], 1, clock)
            fake.fail["POST messages"] = (403, 50007)  # "Cannot send messages to this user"
            await worker.drain()
        refused = [c for c in fake.calls if c.status == 403]
        assert len(refused) == 1  # tried once; the second was not even attempted
        verified = [o for o in await outcomes(engine, user_id) if o[0] == "expert_verified"]
        assert verified == [
            ("expert_verified", "dropped", "blocked on discord"),
            ("expert_verified", "dropped", "no reachable chat"),
        ]
        async with engine.connect() as conn:
            blocked = await conn.scalar(
                text("SELECT blocked_at FROM platform_identities WHERE user_id = :u"),
                {"u": user_id},
            )
        assert blocked == clock.now()


async def verified_expert(dispatcher: Dispatcher, subject: str) -> None:
    """A verified expert with weekday hours in Berlin, made through the services."""
    ctx = dispatcher.ctx
    name = f"ex-{uuid.uuid4().hex[:8]}"
    user, _ = await register(Identity("terminal", name, name, name), ctx.uow(), ctx.clock)
    draft = expert_draft("Ida Expert", subject)
    expert = await experts.become_expert(
        BecomeExpert(user.id, draft), ctx.uow(), ctx.clock, ctx.policy
    )
    await experts.verify_expert(
        VerifyExpert(None, expert.id, True), ctx.uow(), ctx.clock, ctx.policy
    )
    await experts.set_availability(SetAvailability(user.id, WEEKDAYS), ctx.uow())


async def test_a_slot_menu_refuses_others_and_forged_choices_and_works_after_a_restart(
    fake: DiscordFake, dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    subject = f"Go{uuid.uuid4().hex[:6]}"
    await verified_expert(dispatcher, subject)
    async with running(fake, dispatcher) as adapter:
        ada = Member(fake, adapter, "Ada", guild=True)
        eve = Member(fake, adapter, "Eve", guild=True)
        await eve.slash("start")
        await ada.slash("experts", subject)
        await ada.press("Ida Expert")
        await ada.press("📅 Book")
        await ada.press("60 min · 30.00 EUR")
        days = ada.keyboard_message()
        [menu] = menus(days)
        first = menu["options"][0]
        before = await snapshot(engine)

        # Eve chooses in Ada's menu: refused before any handler runs.
        assert "meant for someone else" in await eve.choose_value(
            menu["custom_id"], first["value"], days
        )
        # A value that is not one of the options (however it looks) is stale.
        forged = first["value"][:-1] + ("1" if first["value"][-1] != "1" else "2")
        for value in (forged, "", "x" * 100):
            assert payloads.STALE in await ada.choose_value(menu["custom_id"], value, days)
        assert await snapshot(engine) == before
        assert fake.messages[days["id"]]["components"] == days["components"]  # untouched

    async with running(fake, dispatcher) as restarted:  # a new client: nothing in memory
        ada.adapter = restarted
        assert "Which time on" in await ada.choose(first["label"], days)


async def test_a_send_only_worker_delivers_by_direct_message_without_serving_commands(
    fake: DiscordFake, dispatcher: Dispatcher, engine: AsyncEngine, clock: FakeClock
) -> None:
    async with running(fake, dispatcher) as adapter:  # Cy talks to the bot process
        cy = Member(fake, adapter, "Cy")
        await cy.slash("start")
        user_id = await user_of(engine, cy)
    await queue(engine, [user_id], 1, clock)
    start = len(fake.calls)
    courier = DiscordAdapter(dispatcher, fake.token, serve=False)  # as `syllabot worker` does
    async with courier:
        await NotificationWorker(dispatcher.ctx, {"discord": courier}).drain()
    made = fake.calls[start:]
    assert not [c for c in made if c.path.endswith("/commands")]  # no command sync
    (sent,) = [c for c in made if c.method == "POST" and c.path.endswith("/messages")]
    assert "Your expert profile is verified" in sent.body["content"]
    assert sent.path == f"/channels/{fake.dm_channel(cy.user['id'])['id']}/messages"
