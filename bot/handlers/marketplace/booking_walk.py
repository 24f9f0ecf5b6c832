"""The booking walk's buttons: 📅 Book -> length -> day -> time -> ✅ Confirm (and 🗓
Reschedule from the day on). Each press is one use case of ``domain.marketplace.booking_walk``;
this module only turns its results into messages and buttons."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from uuid import UUID
from zoneinfo import ZoneInfo

from bot.handlers import payloads
from bot.handlers.base import Button, Replies, Reply, Request, rows
from bot.handlers.formatting import local_time, money, short_time
from bot.handlers.marketplace.booking_card import summary
from domain.accounts.model import Conversation
from domain.marketplace import booking_walk
from domain.marketplace.commands import (
    ChooseDay,
    ChooseLength,
    ChooseTime,
    DaysOffered,
    LengthAsked,
    QuoteShown,
    StartBooking,
    StartRescheduling,
    SubmitWalk,
    TimesOffered,
    WalkDone,
    WalkEnded,
    WalkResult,
)
from domain.marketplace.model import BookingStatus
from domain.shared.errors import InvalidInput

DAYS_SHOWN = 9


async def start_booking(req: Request) -> Reply:
    """📅 Book on a profile card: choose the session's length."""
    if len(req.button_args) != 1:
        raise InvalidInput(payloads.STALE)
    command = StartBooking(req.user_id, payloads.uuid_arg(req.button_args[0]))
    return render(req, await booking_walk.start(command, req.ctx.uow(), req.ctx.clock))


async def start_rescheduling(req: Request, booking_id: UUID) -> Reply:
    """🗓 Reschedule under a booking: the days with free time."""
    command = StartRescheduling(req.user_id, booking_id)
    ctx = req.ctx
    return render(
        req, await booking_walk.start_rescheduling(command, ctx.uow(), ctx.clock, ctx.policy)
    )


async def book_button(req: Request) -> Replies:
    """A choice in the walk: a length (``30``), a day (``d20261231``), a time (``s3``) or ✅."""
    if len(req.button_args) != 2:
        raise InvalidInput(payloads.STALE)
    token, choice = req.button_args
    ctx, user = req.ctx, req.user_id
    result: WalkResult
    if choice.isdigit():
        length = ChooseLength(user, token, int(choice))
        result = await booking_walk.choose_length(length, ctx.uow(), ctx.clock, ctx.policy)
    elif choice.startswith("d") and len(choice) == 9 and choice[1:].isdigit():
        day = _day(choice[1:])
        result = await booking_walk.choose_day(ChooseDay(user, token, day), ctx.uow(), ctx.clock)
    elif choice.startswith("s") and choice[1:].isdigit():
        command = ChooseTime(user, token, int(choice[1:]))
        result = await booking_walk.choose_time(command, ctx.uow(), ctx.clock)
    elif choice == "ok":
        result = await booking_walk.submit(
            SubmitWalk(user, token), ctx.uow(), ctx.clock, ctx.policy
        )
    else:
        raise InvalidInput(payloads.STALE)
    return render(req, result)


def render(req: Request, result: WalkResult) -> Reply:
    """The message for one step of the walk."""
    if isinstance(result, LengthAsked):
        return Reply(
            "How long should the session be?",
            rows(
                *(Button(f"{m} min", _choice(req, result.token, str(m))) for m in result.durations)
            ),
        )
    if isinstance(result, DaysOffered):
        if not result.days:
            return Reply(
                result.note + "No free slots in the next two weeks, sorry. Try another expert."
            )
        buttons = [
            Button(day.strftime("%a %d %b"), _choice(req, result.token, day.strftime("d%Y%m%d")))
            for day in result.days[:DAYS_SHOWN]
        ]
        text = f"{result.note}Which day? (times in {result.zone})"
        return Reply(text, rows(*buttons), edit=True, choose="Pick a day")
    if isinstance(result, TimesOffered):
        zone = result.zone
        buttons = [
            Button(
                t.astimezone(ZoneInfo(zone)).strftime("%H:%M"), _choice(req, result.token, f"s{i}")
            )
            for i, t in enumerate(result.times)
        ]
        day = short_time(result.times[0], zone).rsplit(" ", 1)[0] if result.times else ""
        text = f"{result.note}Which time on {day}? ({zone})"
        return Reply(text, rows(*buttons, per_row=4), edit=True, choose="Pick a time")
    if isinstance(result, QuoteShown):
        verb = "Move the booking to" if result.moving else "Book"
        text = (
            f"{result.note}{verb} {result.minutes} min with {result.expert_name} on "
            f"{local_time(result.starts_at, result.zone)} ({result.zone})"
        )
        if not result.moving:
            text += f" for {money(result.price, result.currency)}"
        ok = Button("✅ Confirm", _choice(req, result.token, "ok"))
        return Reply(text + "?", rows(ok), edit=True)
    if isinstance(result, WalkDone):
        booking = result.booking
        head = "🗓 Moved." if result.moved else "📨 Requested!"
        if booking.status is BookingStatus.PENDING:
            head += " The expert will confirm it; I'll tell you."
        return Reply(f"{head}\n{summary(booking, req.user_id, result.zone)}", edit=True)
    assert isinstance(result, WalkEnded)
    return Reply(result.note, edit=True)


async def resume(req: Request, walk: Conversation) -> Reply:
    """The walk's open question again, as a new message (after the chat restarted)."""
    return replace(render(req, booking_walk.current_step(walk)), edit=False)


def _choice(req: Request, token: str, choice: str) -> str:
    return payloads.encode(req.user_id, "bf", token, choice)


def _day(digits: str) -> date:
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise InvalidInput(payloads.STALE) from None


BUTTONS = {"bk": start_booking, "bf": book_button}
PROMPTS = {booking_walk.FLOW: resume}
