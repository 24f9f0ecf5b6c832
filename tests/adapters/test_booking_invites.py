"""A booking's calendar invite on every platform: the expert's Confirm press answers with the
.ics, the learner's confirmation notice (delivered by the worker) carries it, a move sends the
same event one version on, a cancellation the cancelling one; 📅 Add to calendar gives it on
demand. Telegram sends a document, Discord uploads a file, the terminal saves it and prints
where; each file is read back from what the platform got and parsed with icalendar."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from icalendar import Calendar
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers.router import Dispatcher
from bot.worker import NotificationWorker
from domain.marketplace import bookings, experts, moves
from domain.marketplace.commands import (
    ActOnBooking,
    BecomeExpert,
    BookSlot,
    RescheduleBooking,
    SetAvailability,
    VerifyExpert,
)
from domain.marketplace.model import Action
from domain.marketplace.payments import ManualPayments
from tests.adapters.discord_fake import DiscordFake
from tests.adapters.discord_harness import Member
from tests.adapters.discord_harness import running as discord_running
from tests.adapters.harness import Person, running, user_of
from tests.adapters.telegram_emulator import BotApiEmulator, Upload
from tests.support import Learner, expert_draft

WEEKDAYS = "mon-fri 09:00-17:00"
START = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # Wed 11:00 in Berlin, the expert's zone
MOVED = START + timedelta(hours=3)


async def make_expert(dispatcher: Dispatcher, user_id: UUID) -> UUID:
    """A verified expert with weekday hours in Berlin, made through the services; their id."""
    ctx = dispatcher.ctx
    draft = expert_draft("Grace Hopper", f"Go{uuid.uuid4().hex[:6]}")
    expert = await experts.become_expert(
        BecomeExpert(user_id, draft), ctx.uow(), ctx.clock, ctx.policy
    )
    await experts.verify_expert(
        VerifyExpert(None, expert.id, True), ctx.uow(), ctx.clock, ctx.policy
    )
    await experts.set_availability(SetAvailability(user_id, WEEKDAYS), ctx.uow())
    return expert.id


async def book(dispatcher: Dispatcher, learner: UUID, expert_id: UUID) -> UUID:
    ctx = dispatcher.ctx
    booked = await bookings.book(
        BookSlot(learner, expert_id, START, 60), ctx.uow(), ctx.clock, ctx.policy
    )
    return booked.id


async def act(dispatcher: Dispatcher, who: UUID, booking_id: UUID, action: Action) -> None:
    ctx = dispatcher.ctx
    command = ActOnBooking(who, booking_id, action)
    await bookings.act(command, ctx.uow(), ctx.clock, ctx.policy, ManualPayments())


async def move(dispatcher: Dispatcher, learner: UUID, booking_id: UUID) -> None:
    ctx = dispatcher.ctx
    moved = RescheduleBooking(learner, booking_id, MOVED)
    await moves.reschedule(moved, ctx.uow(), ctx.clock, ctx.policy)


def invite(content: bytes) -> tuple[str, Any]:
    """(METHOD, the VEVENT) of an .ics file, checked to be a calendar applications import."""
    assert content.startswith(b"BEGIN:VCALENDAR\r\n") and content.endswith(b"END:VCALENDAR\r\n")
    assert all(line.endswith(b"\r") for line in content.split(b"\n")[:-1])  # CRLF throughout
    calendar = Calendar.from_ical(content)
    assert str(calendar["VERSION"]) == "2.0" and "PRODID" in calendar
    (event,) = calendar.walk("VEVENT")
    for required in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "SUMMARY"):
        assert required in event, required
    return str(calendar["METHOD"]), event


def check_journey(
    learner: str,
    confirmed_expert: bytes,
    confirmed_learner: bytes,
    moved_expert: bytes,
    cancelled_learner: bytes,
    booking_id: UUID,
) -> None:
    """What both sides' calendars got: one event, in rising versions."""
    uid = f"{booking_id}@syllabot"
    for content, other in ((confirmed_expert, learner), (confirmed_learner, "Grace Hopper")):
        method, event = invite(content)
        assert (method, str(event["UID"]), event["SEQUENCE"]) == ("REQUEST", uid, 0)
        assert event.decoded("DTSTART") == START
        assert event.decoded("DTEND") == START + timedelta(hours=1)
        assert str(event["URL"]).startswith("https://meet.jit.si/syllabot-")
        assert str(event["LOCATION"]) == str(event["URL"])
        assert str(event["SUMMARY"]).startswith(f"Session with {other}")
    method, event = invite(moved_expert)
    assert (method, str(event["UID"]), event["SEQUENCE"]) == ("REQUEST", uid, 1)
    assert event.decoded("DTSTART") == MOVED
    method, event = invite(cancelled_learner)
    assert (method, str(event["UID"]), event["STATUS"]) == ("CANCEL", uid, "CANCELLED")
    assert event["SEQUENCE"] == 3  # after the confirmation again (2)


async def test_telegram_sends_each_version_of_the_invite_as_a_document(
    api: BotApiEmulator, dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    async with running(api, dispatcher) as adapter:
        ada, grace = Person(api, adapter, "Ada"), Person(api, adapter, "Grace")
        await ada.say("/start")
        await grace.say("/start")
        learner = await user_of(engine, "telegram", str(ada.user.id))
        expert = await user_of(engine, "telegram", str(grace.user.id))
        booking_id = await book(dispatcher, learner, await make_expert(dispatcher, expert))
        worker = NotificationWorker(dispatcher.ctx, {"telegram": adapter})

        def documents(person: Person) -> list[bytes]:
            sent = [c.params["document"] for c in api.calls_to("sendDocument", person.chat.id)]
            assert all(isinstance(d, Upload) and d.filename.endswith(".ics") for d in sent)
            return [d.content for d in sent]

        await worker.drain()
        assert "Confirmed" in await grace.press("✅ Confirm", grace.keyboard_message())
        await worker.drain()
        notice = ada.keyboard_message()
        assert "Your booking is confirmed" in notice["text"]
        assert ada.buttons(notice)[-1] == "📅 Add to calendar"
        assert "open the file" in await ada.press("📅 Add to calendar", notice)
        assert [c.method for c in ada.calls if c.status == 200][-2:] == [
            "sendMessage",
            "sendDocument",
        ]
        assert documents(ada)[0] == documents(ada)[1]  # the same version, the same file
        await move(dispatcher, learner, booking_id)
        await worker.drain()
        await act(dispatcher, expert, booking_id, Action.CONFIRM)
        await act(dispatcher, expert, booking_id, Action.CANCEL)
        await worker.drain()
        # Ada's second confirmation was delivered after the cancellation: no stale file.
        assert len(documents(ada)) == 3
        (confirmed, moved) = documents(grace)
        check_journey("Ada", confirmed, documents(ada)[0], moved, documents(ada)[-1], booking_id)


async def test_discord_uploads_each_version_of_the_invite_as_a_file(
    fake: DiscordFake, dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    async with discord_running(fake, dispatcher) as adapter:
        ada, grace = Member(fake, adapter, "Ada"), Member(fake, adapter, "Grace")
        await ada.say("/start")
        await grace.say("/start")
        learner = await user_of(engine, "discord", ada.user["id"])
        expert = await user_of(engine, "discord", grace.user["id"])
        booking_id = await book(dispatcher, learner, await make_expert(dispatcher, expert))
        worker = NotificationWorker(dispatcher.ctx, {"discord": adapter})

        def files(member: Member) -> list[bytes]:
            found = []
            for message in fake.channel_messages(member.channel_id):
                for name, content in fake.uploads.get(message["id"], []):
                    assert name.endswith(".ics")
                    found.append(content)
            return found

        await worker.drain()
        assert "Confirmed" in await grace.press("✅ Confirm", grace.keyboard_message())
        await worker.drain()
        assert "Your booking is confirmed" in ada.keyboard_message()["content"]
        await move(dispatcher, learner, booking_id)
        await worker.drain()
        await act(dispatcher, expert, booking_id, Action.CONFIRM)
        await act(dispatcher, expert, booking_id, Action.CANCEL)
        await worker.drain()
        assert len(files(ada)) == 2  # the confirmation and the cancellation, nothing stale
        (confirmed, moved) = files(grace)
        check_journey("Ada", confirmed, files(ada)[0], moved, files(ada)[-1], booking_id)


async def test_the_terminal_saves_each_version_of_the_invite_and_prints_where(
    dispatcher: Dispatcher, engine: AsyncEngine
) -> None:
    ada, grace = Learner(dispatcher, f"Ada-{uuid.uuid4().hex[:6]}"), Learner(dispatcher)
    await ada.say("/start")
    await grace.say("/start")
    learner = await user_of(engine, "terminal", ada.name)
    expert = await user_of(engine, "terminal", grace.name)
    booking_id = await book(dispatcher, learner, await make_expert(dispatcher, expert))
    saved: dict[str, list[bytes]] = {ada.name: [], grace.name: []}

    async def kept(person: Learner, answer: Awaitable[str]) -> str:
        """What ``answer`` (a line typed, a button pressed) showed; a copy of every file the
        chat saved meanwhile, as it was then (a newer version is saved over it)."""
        shown = len(person.out.getvalue())
        said = await answer
        for path in re.findall(r"📎 File saved: (\S+)", person.out.getvalue()[shown:]):
            saved[person.name].append(Path(path).read_bytes())  # noqa: ASYNC240
        return said

    await kept(grace, grace.say("/bookings"))  # the request arrives (📬)
    assert "Confirmed" in await kept(grace, grace.press("✅ Confirm"))
    assert "Your booking is confirmed" in await kept(ada, ada.say("/help"))
    await move(dispatcher, learner, booking_id)
    await kept(grace, grace.say("/help"))
    await act(dispatcher, expert, booking_id, Action.CONFIRM)
    await act(dispatcher, expert, booking_id, Action.CANCEL)
    await kept(ada, ada.say("/help"))
    assert len(saved[ada.name]) == 2
    (confirmed, moved) = saved[grace.name]
    check_journey(ada.name, confirmed, saved[ada.name][0], moved, saved[ada.name][-1], booking_id)
