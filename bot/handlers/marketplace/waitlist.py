"""Requests that do not rot, as people see them: the expert's nudge about an unanswered
request, the learner's lapse notice with the expert's next free times and similar experts, the
waitlist of a fully booked day (🔔, /waitlist, 🔕 Leave) and its notice when a time frees up.

A free time offered in a notice is a 📅 button (``bw``) that opens the booking walk at its
confirmation (``walk_entries.start_at``): the slot is checked again there and booked under the
expert's lock, so of two learners told about one freed time the first to confirm gets it and
the other is told it was just taken, with the times still free.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from bot.handlers import payloads
from bot.handlers.base import Button, Command, Context, Reply, Request, rows
from bot.handlers.formatting import local_time, short_time
from bot.handlers.marketplace import booking_walk
from bot.handlers.marketplace import series as series_chat
from bot.handlers.marketplace.booking_card import booking_card
from bot.handlers.marketplace.booking_invites import on_notice
from bot.handlers.marketplace.booking_walk import leave_button
from domain.accounts.registration import get_user
from domain.marketplace import bookings, waitlist, walk_entries
from domain.marketplace.commands import StartAtSlot
from domain.marketplace.model import DURATIONS, BookingStatus, Expert, WaitlistEntry
from domain.shared.errors import InvalidInput

FREED_SHOWN = 8  # free times of a freed day offered as buttons


def slot_button(
    user_id: UUID, expert_id: UUID, minutes: int, start: datetime, zone: str
) -> Button:
    """📅 <time>: the booking walk at the confirmation of this time (``bw``)."""
    stamp = str(int(start.timestamp()) // 60)  # slots start on whole minutes
    label = f"📅 {short_time(start, zone)}"
    return Button(label, payloads.encode(user_id, "bw", expert_id.hex, str(minutes), stamp))


def profile_button(user_id: UUID, expert: Expert) -> Button:
    """An expert's name: their profile card, as under search results (``ep``)."""
    return Button(expert.display_name[:28], payloads.encode(user_id, "ep", expert.id.hex))


async def book_at(req: Request) -> Reply:
    """📅 A free time under a notice: the walk at its confirmation (or the times still free)."""
    if len(req.button_args) != 3:
        raise InvalidInput(payloads.STALE)
    expert_id = payloads.uuid_arg(req.button_args[0])
    minutes = payloads.int_arg(req.button_args[1], low=min(DURATIONS), high=max(DURATIONS))
    stamp = payloads.int_arg(req.button_args[2], low=0, high=10**9)
    start = datetime.fromtimestamp(stamp * 60, UTC)
    ctx = req.ctx
    command = StartAtSlot(req.user_id, expert_id, minutes, start)
    result = await walk_entries.start_at(command, ctx.uow(), ctx.clock, ctx.policy)
    return replace(booking_walk.render(req, result), edit=False)  # the notice stays


async def leave(req: Request) -> Reply:
    """🔕 Leave the waitlist (only one's own entry)."""
    if len(req.button_args) != 1:
        raise InvalidInput(payloads.STALE)
    entry = await waitlist.leave(req.user_id, payloads.uuid_arg(req.button_args[0]), req.ctx.uow())
    return Reply(f"🔕 You left the waitlist for {_dates(entry)}. Nothing else changed.")


async def list_waitlist(req: Request) -> Reply:
    """Your waitlist entries, each with 🔕 Leave."""
    found = await waitlist.entries(req.user_id, req.ctx.uow(), req.ctx.clock)
    if not found:
        return Reply(
            "You're on no waitlist. On a fully booked day of an expert's calendar (📅 Book), "
            "tap 🔔 Tell me if a slot frees up."
        )
    lines = ["🔔 You're waiting for a time to free up (the expert's own dates):"]
    buttons = []
    for number, (entry, name) in enumerate(found, start=1):
        lines.append(f"{number}. {name} · {_dates(entry)} · {entry.minutes} min")
        button = leave_button(req.user_id, entry.id)
        buttons.append(replace(button, label=f"🔕 Leave {number}"))
    return Reply("\n".join(lines), rows(*buttons, per_row=3))


def _dates(entry: WaitlistEntry) -> str:
    if entry.starts_on == entry.ends_on:
        return f"{entry.starts_on:%a %d %b}"
    return f"{entry.starts_on:%a %d %b}–{entry.ends_on:%a %d %b}"


# -- notices --------------------------------------------------------------------------------


async def nudge_notice(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
    """To the expert: a request still unanswered (None once answered, moved on or lapsed)."""
    booking = await bookings.get_booking(user_id, UUID(data["booking_id"]), ctx.uow())
    if booking.series_id is not None and user_id == booking.expert_user_id:
        request = await series_chat.request_notice(
            ctx, user_id, {"series_id": booking.series_id.hex}
        )
        if request is None:
            return None  # every week answered (or lapsed) meanwhile
        head = (
            f"⏳ {booking.learner_name} is still waiting for your answer to their weekly request."
        )
        return Reply(f"{head}\n{request.text}", request.buttons)
    now = ctx.clock.now()
    pending = booking.status is BookingStatus.PENDING and booking.holds_time(now)
    if not pending or user_id != booking.expert_user_id or booking.expires_at is None:
        return None
    zone = booking.zone_of(user_id, "UTC")
    card = booking_card(booking, user_id, zone, now, ctx.policy)
    head = (
        f"⏳ {booking.learner_name} is still waiting for your answer. Unanswered, the request "
        f"lapses on {local_time(booking.expires_at, zone)} ({zone}) and frees the time."
    )
    return Reply(f"{head}\n{card.text}", card.buttons)


async def lapsed_notice(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
    """A request lapsed: the expert reads the card; the learner also gets the expert's next
    free times and similar experts, as buttons."""
    booking = await bookings.get_booking(user_id, UUID(data["booking_id"]), ctx.uow())
    zone = booking.zone_of(user_id, (await get_user(user_id, ctx.uow())).timezone)
    card = booking_card(booking, user_id, zone, ctx.clock.now(), ctx.policy)
    weeks = len(data.get("bookings", ()))  # the weeks of a series that lapsed together
    what = f"weekly request ({weeks} weeks, the first below)" if weeks > 1 else "request"
    if user_id != booking.learner_id:
        freed = "times are" if weeks > 1 else "time is"
        head = (
            f"⌛ {booking.learner_name}'s {what} lapsed without your answer; the {freed} free "
            "again (they were offered your next free times):"
        )
        return on_notice(Reply(f"{head}\n{card.text}", card.buttons), booking, user_id, data)
    found = await waitlist.alternatives(booking, ctx.uow(), ctx.clock, ctx.policy)
    lines = [
        f"⌛ {booking.expert_name} didn't answer your {what} in time, so it lapsed; nothing "
        f"is charged.\n{card.text}"
    ]
    buttons: list[tuple[Button, ...]] = []
    if found.times and found.expert is not None:
        lines.append(f"{booking.expert_name}'s next free times ({zone}), one tap to book:")
        times = [
            slot_button(user_id, found.expert.id, booking.minutes, t, zone) for t in found.times
        ]
        buttons += rows(*times, per_row=3)
    if found.similar:
        names = ", ".join(e.display_name for e in found.similar)
        lines.append(f"Similar experts: {names}.")
        buttons += rows(*(profile_button(user_id, e) for e in found.similar), per_row=3)
    if not found.times and not found.similar:
        lines.append("Try /experts <subject> to find another expert.")
    reply = Reply("\n".join(lines), (*buttons, *card.buttons))
    return on_notice(reply, booking, user_id, data)  # a moved request once confirmed: cancelled


async def freed_notice(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
    """To a waitlisted learner: a time freed up on the day they waited for."""
    day, minutes = date.fromisoformat(data["day"]), int(data["minutes"])
    expert_id = UUID(data["expert_id"])
    found = await waitlist.freed_times(expert_id, day, minutes, ctx.uow(), ctx.clock, ctx.policy)
    zone = (await get_user(user_id, ctx.uow())).timezone
    name, theirs = found.expert.display_name, f"{day:%a %d %b} in {found.expert.timezone}"
    if not found.times:
        text = (
            f"🔔 A time with {name} freed up ({theirs}), but it was booked again already. "
            "Their other days:"
        )
        book = Button("📅 Book", payloads.encode(user_id, "bk", expert_id.hex))
        return Reply(text, ((book,),))
    text = (
        f"🔔 A time freed up with {name} ({theirs}), {minutes} min. The first to book it "
        f"gets it; times in your zone, {zone}:"
    )
    times = [slot_button(user_id, expert_id, minutes, t, zone) for t in found.times[:FREED_SHOWN]]
    return Reply(text, rows(*times, per_row=2))


COMMANDS = [
    Command("waitlist", list_waitlist, "the fully booked days you wait for, to leave them"),
]
BUTTONS = {"bw": book_at, "wx": leave}
