"""A booking's calendar invite as an .ics file: sent to both sides when the booking is
confirmed, moved or called off (to the one who did it with their reply, to the other with the
notice), and on demand with 📅 Add to calendar under the booking.

The file is an iTIP message calendar applications import (RFC 5546): METHOD:REQUEST for a
booking that holds its time, METHOD:CANCEL once it is called off; one event whose UID is the
booking's (so a newer file updates the event instead of adding one), whose SEQUENCE and
DTSTAMP are the stored version's (``domain.marketplace.invites``), with the start and end in
UTC and the meeting link as its LOCATION and URL. Rendered from the stored state only, the same
version always makes the same file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC
from typing import Any
from uuid import UUID

from icalendar import Calendar, Event

from bot.handlers.base import Attachment, Reply, Request
from bot.handlers.marketplace.booking_card import status_label
from domain.marketplace import bookings, invites
from domain.marketplace.model import Booking, BookingStatus

_STATUS = {BookingStatus.PENDING: "TENTATIVE", BookingStatus.CANCELLED: "CANCELLED"}


def invite_file(booking: Booking, viewer: UUID) -> Attachment:
    """The booking's invite, as ``viewer`` (one of its sides) imports it."""
    called_off = booking.status is BookingStatus.CANCELLED
    calendar = _calendar("CANCEL" if called_off else "REQUEST")
    calendar.add_component(_event(booking, viewer))
    return Attachment(f"syllabot-booking-{booking.ref}.ics", calendar.to_ical(), "text/calendar")


def series_file(weeks: Sequence[Booking], viewer: UUID) -> Attachment | None:
    """The invites of a weekly series' confirmed weeks in one file (None: none confirmed).

    METHOD:PUBLISH, as a set of events may be: each keeps its own booking's UID and version,
    so a week's later invite (moved, cancelled) updates that week's event alone."""
    confirmed = [b for b in weeks if b.invite_sequence is not None]
    if not confirmed:
        return None
    calendar = _calendar("PUBLISH")
    for booking in confirmed:
        calendar.add_component(_event(booking, viewer))
    name = f"syllabot-series-{confirmed[0].ref}.ics"
    return Attachment(name, calendar.to_ical(), "text/calendar")


def _calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Syllabot//booking invite//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def _event(booking: Booking, viewer: UUID) -> Event:
    """The booking's event at its stored version, as ``viewer`` (one of its sides) sees it."""
    assert booking.invite_sequence is not None and booking.invited_at is not None
    other = booking.learner_name if viewer == booking.expert_user_id else booking.expert_name
    called_off = booking.status is BookingStatus.CANCELLED
    event = Event()
    event.add("uid", f"{booking.id}@syllabot")
    event.add("sequence", booking.invite_sequence)
    event.add("dtstamp", booking.invited_at.astimezone(UTC))
    event.add("dtstart", booking.starts_at.astimezone(UTC))
    event.add("dtend", booking.ends_at.astimezone(UTC))
    event.add("summary", f"Session with {other}")
    event.add("status", _STATUS.get(booking.status, "CONFIRMED"))
    lines = [f"Syllabot booking {booking.ref}: {booking.minutes} min with {other}."]
    if called_off:
        lines.append(f"This session was {status_label(booking)}.")
    elif booking.meeting_link:
        event.add("location", booking.meeting_link)
        event.add("url", booking.meeting_link)
        lines.append(f"Join: {booking.meeting_link}")
    if booking.status is BookingStatus.PENDING:
        lines.append("Moved: it waits for the expert to confirm the new time.")
    lines.append(f"/bookings in the chat shows it; /message {booking.ref} reaches {other}.")
    event.add("description", "\n".join(lines))
    return event


def with_invite(reply: Reply, booking: Booking, viewer: UUID) -> Reply:
    """``reply`` to the one who just changed ``booking``, with the invite of the change (none
    for a booking never confirmed)."""
    if booking.invite_sequence is None:
        return reply
    return replace(reply, attachment=invite_file(booking, viewer))


def on_notice(reply: Reply, booking: Booking, viewer: UUID, data: dict[str, Any]) -> Reply:
    """A notice of a change with the invite it was written for, if that is still the
    booking's current version: after a later change the notice of that one carries it."""
    if not invites.is_current(booking, data):
        return reply
    return with_invite(reply, booking, viewer)


async def invite_button(req: Request, booking_id: UUID) -> Reply:
    """📅 Add to calendar under a booking: its current invite, for one of its two sides."""
    ctx = req.ctx
    booking = await bookings.invite_of(req.user_id, booking_id, ctx.uow(), ctx.clock, ctx.policy)
    return with_invite(
        Reply(
            f"📅 Booking {booking.ref} as a calendar invite: open the file to add it to your "
            "calendar. A move or a cancellation sends you an updated one."
        ),
        booking,
        req.user_id,
    )
