"""Rendering the outbox: each notification kind becomes a Reply for its recipient.

Notifications are stored as facts (``booking_requested`` + the booking's id) in the same
transaction as the change, and rendered here at delivery time, so a message always shows the
booking as it is now and carries buttons made for its recipient.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any
from uuid import UUID

from bot.handlers.base import Context, Reply
from bot.handlers.formatting import duration
from bot.handlers.marketplace.booking_card import booking_card
from bot.handlers.marketplace.experts import admin_card
from domain.accounts.registration import get_user
from domain.marketplace import bookings, experts
from domain.marketplace.bookings import MARK_PROMPT
from domain.marketplace.model import BookingStatus
from domain.notifications.model import BOOKING, STREAK, STUDY
from domain.notifications.services import study_facts
from domain.shared.errors import DomainError

logger = logging.getLogger(__name__)


HEADLINES = {
    "booking_requested": "📨 New booking request — confirm or decline:",
    "booking_confirm": "✅ Your booking is confirmed:",
    "booking_decline": "Your booking request was declined:",
    "booking_cancel": "A booking was cancelled:",
    "booking_complete": "How was your session? Tap the stars to rate it:",
    "booking_no_show": "The expert marked this session as a no-show:",
    "booking_mark_paid": "💶 Payment recorded:",
    "booking_rescheduled": "🗓 A booking was moved:",
    "booking_expired": "A booking request lapsed without an answer:",
    "booking_rated": "⭐ A learner rated your session:",
    MARK_PROMPT: "Your session has ended. How did it go? Mark it:",
}


PLAIN = {
    "expert_verified": "🎉 Your expert profile is verified. Learners can now find and book you.",
    "expert_rejected": "Your expert profile was not approved. Reply to your admin for details.",
}


async def render(ctx: Context, user_id: UUID, kind: str, data: dict[str, Any]) -> Reply | None:
    """The message for one notification, or None when it no longer applies."""
    try:
        if kind in PLAIN:
            return Reply(PLAIN[kind])
        if kind == "expert_pending":
            expert = await experts.get_expert(UUID(data["expert_id"]), ctx.uow())
            return admin_card(user_id, expert)
        if kind in (STUDY, STREAK):
            return await _daily(ctx, user_id, kind, date.fromisoformat(data["day"]))
        if kind == BOOKING:
            return await _booking_reminder(ctx, user_id, UUID(data["booking_id"]))
        if kind in HEADLINES:
            booking = await bookings.get_booking(user_id, UUID(data["booking_id"]), ctx.uow())
            zone = (await get_user(user_id, ctx.uow())).timezone
            card = booking_card(booking, user_id, zone, ctx.clock.now(), ctx.policy)
            return Reply(f"{HEADLINES[kind]}\n{card.text}", card.buttons)
    except (DomainError, KeyError, ValueError):
        logger.info("notification %s for %s no longer applies", kind, user_id)
        return None
    logger.warning("no renderer for notification kind %r", kind)
    return None


async def _daily(ctx: Context, user_id: UUID, kind: str, day: date) -> Reply | None:
    """A study or streak reminder for local ``day``, or None if it no longer applies."""
    facts = await study_facts(user_id, day, ctx.uow(), ctx.clock.now())
    if facts.muted or facts.studied:
        return None
    if kind == STREAK:
        if not facts.at_risk:
            return None
        return Reply(
            f"🔥 Your {facts.streak}-day streak ends tonight unless you study today. "
            "Log a session with /done."
        )
    if facts.curriculum_title is None or facts.next_session is None:
        return None  # nothing active to study: no nagging
    session = facts.next_session
    return Reply(
        f"📚 Time to study “{facts.curriculum_title}”: session {session.number}, "
        f"{session.title} ({duration(facts.session_minutes)}).\n"
        "/next shows it in detail · /done when you have finished."
    )


async def _booking_reminder(ctx: Context, user_id: UUID, booking_id: UUID) -> Reply | None:
    booking = await bookings.get_booking(user_id, booking_id, ctx.uow())
    now = ctx.clock.now()
    if booking.status is not BookingStatus.SCHEDULED or booking.starts_at <= now:
        return None
    zone = (await get_user(user_id, ctx.uow())).timezone
    card = booking_card(booking, user_id, zone, now, ctx.policy)
    minutes = max(1, round((booking.starts_at - now).total_seconds() / 60))
    return Reply(f"⏰ Your session starts in {duration(minutes)}:\n{card.text}", card.buttons)
