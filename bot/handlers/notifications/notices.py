"""Rendering the outbox: each notification kind becomes a Reply for its recipient.

Notifications are stored as facts (``booking_requested`` + the booking's id) in the same
transaction as the change, and rendered here at delivery time, so a message always shows the
booking as it is now and carries buttons made for its recipient. ``RENDERERS`` holds one
renderer for every ``NotificationKind`` (a test checks that).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from bot.handlers import payloads
from bot.handlers.accounts.retention import inactive_notice
from bot.handlers.base import Button, Context, Reply
from bot.handlers.formatting import (
    duration,
    local_time,
    money,
    plural,
    schedule_standing,
    week_bar,
)
from bot.handlers.learning.focus import focus_end_notice
from bot.handlers.marketplace import admin, disputes, plan_shares, series
from bot.handlers.marketplace.booking_card import booking_card
from bot.handlers.marketplace.booking_invites import on_notice
from bot.handlers.marketplace.booking_messages import relayed_notice
from bot.handlers.marketplace.waitlist import freed_notice, lapsed_notice, nudge_notice
from domain.accounts.registration import get_user
from domain.marketplace import bookings, experts, verification
from domain.marketplace.model import BookingStatus
from domain.notifications.model import NotificationKind as Kind
from domain.notifications.services import study_facts
from domain.shared.errors import DomainError

logger = logging.getLogger(__name__)

# (context, recipient, the notification's data) -> the message, or None if it no longer applies
Renderer = Callable[[Context, UUID, dict[str, Any]], Awaitable[Reply | None]]


async def render(ctx: Context, user_id: UUID, kind: Kind, data: dict[str, Any]) -> Reply | None:
    """The message for one notification, or None when it no longer applies."""
    renderer = RENDERERS[kind]
    try:
        return await renderer(ctx, user_id, data)
    except (DomainError, KeyError, ValueError):
        logger.info("notification %s for %s no longer applies", kind, user_id)
        return None


def _plain(text: str) -> Renderer:
    async def plain(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
        return Reply(text)

    return plain


def _booking(headline: str) -> Renderer:
    """The booking's card as its recipient sees it now, under ``headline``."""

    async def card(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
        booking = await bookings.get_booking(user_id, UUID(data["booking_id"]), ctx.uow())
        zone = booking.zone_of(user_id, (await get_user(user_id, ctx.uow())).timezone)
        shown = booking_card(booking, user_id, zone, ctx.clock.now(), ctx.policy)
        return on_notice(Reply(f"{headline}\n{shown.text}", shown.buttons), booking, user_id, data)

    return card


def _moved(what: str) -> Renderer:
    """A move of a booking (``what``: "moved", "asks to move"...): who, from when to when (the
    times the notice was written with, in the recipient's zone), above the booking's card."""

    async def card(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
        if not {"from", "to", "by"} <= data.keys():  # written before moves said so
            return await _booking("🗓 A booking was moved:")(ctx, user_id, data)
        booking = await bookings.get_booking(user_id, UUID(data["booking_id"]), ctx.uow())
        zone = booking.zone_of(user_id, (await get_user(user_id, ctx.uow())).timezone)
        name = booking.learner_name if data["by"] == "learner" else booking.expert_name
        was = local_time(datetime.fromisoformat(data["from"]), zone)
        new = local_time(datetime.fromisoformat(data["to"]), zone)
        shown = booking_card(booking, user_id, zone, ctx.clock.now(), ctx.policy)
        head = f"🗓 {name} {what} booking {booking.ref} from {was} to {new} ({zone})."
        if what == "asks to move":
            head += f"\nReason: {booking.move_reason or '—'}\nAccept the new time or decline it"
            head += " (the booking keeps its time until you accept):"
        return on_notice(Reply(f"{head}\n{shown.text}", shown.buttons), booking, user_id, data)

    return card


async def _expert_pending(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
    expert = await experts.get_expert(UUID(data["expert_id"]), ctx.uow())
    if not verification.needs_review(expert):
        return None  # another admin (or the command line) decided meanwhile
    return admin.admin_card(user_id, expert)


async def _study(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
    """A study reminder for local ``day``: the next session, unless already studied."""
    facts = await study_facts(user_id, date.fromisoformat(data["day"]), ctx.uow(), ctx.clock.now())
    if facts.muted or facts.studied or facts.on_vacation:
        return None
    if facts.curriculum_title is None or facts.next_session is None:
        return None  # nothing active to study: no nagging
    session = facts.next_session
    planned = ""
    if facts.schedule is not None and facts.schedule.dates:
        when = facts.schedule.dates[0]
        planned = (
            "📅 Today's session on your schedule"
            if when == date.fromisoformat(data["day"])
            else f"📅 On your schedule for {when:%a %d %b}"
        ) + f" · {schedule_standing(facts.schedule)}.\n"
    cards = ""
    if facts.cards_due:
        cards = f"🃏 {plural(facts.cards_due, 'review card')} due today: /review.\n"
    return Reply(
        f"📚 Time to study “{facts.curriculum_title}”: session {session.number}, "
        f"{session.title} ({duration(facts.session_minutes)}).\n{planned}{cards}"
        "/next shows it in detail · /done when you have finished."
    )


async def _review(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
    """The daily review reminder for local ``day``: only when cards are due, never muted."""
    facts = await study_facts(user_id, date.fromisoformat(data["day"]), ctx.uow(), ctx.clock.now())
    if facts.muted or not facts.cards_due:
        return None
    start = Button("🃏 Review now", payloads.encode(user_id, "rv", "go"))
    return Reply(
        f"🃏 {plural(facts.cards_due, 'review card')} due today. A few minutes now keeps "
        "them in memory: /review.",
        ((start,),),
    )


async def _streak(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
    """A streak warning for local ``day``, if the streak would end with it."""
    facts = await study_facts(user_id, date.fromisoformat(data["day"]), ctx.uow(), ctx.clock.now())
    if facts.muted or facts.studied or facts.on_vacation or not facts.at_risk:
        return None
    if facts.freezes_held:
        return Reply(
            f"🔥 Your {facts.streak}-day streak needs a session today, or it uses one of your "
            f"{plural(facts.freezes_held, 'streak freeze')}. Log a session with /done."
        )
    return Reply(
        f"🔥 Your {facts.streak}-day streak ends tonight unless you study today. "
        "Log a session with /done."
    )


async def _goal(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
    """The weekly goal at risk, on the week's reminder day (two days before it ends)."""
    facts = await study_facts(user_id, date.fromisoformat(data["day"]), ctx.uow(), ctx.clock.now())
    week = facts.week
    if facts.muted or week is None or not facts.goal_reminder_day or not week.at_risk:
        return None
    return Reply(
        f"🎯 Two days left this week: {week_bar(week)}. "
        f"{week.goal - week.done} {week.unit} to go; /done logs a session."
    )


async def _booking_reminder(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
    booking = await bookings.get_booking(user_id, UUID(data["booking_id"]), ctx.uow())
    now = ctx.clock.now()
    if booking.status is not BookingStatus.SCHEDULED or booking.starts_at <= now:
        return None
    zone = booking.zone_of(user_id, (await get_user(user_id, ctx.uow())).timezone)
    card = booking_card(booking, user_id, zone, now, ctx.policy)
    minutes = max(1, round((booking.starts_at - now).total_seconds() / 60))
    return Reply(f"⏰ Your session starts in {duration(minutes)}:\n{card.text}", card.buttons)


async def _payout(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
    amount = money(Decimal(data["amount"]), data["currency"])
    sessions = plural(int(data["sessions"]), "session")
    return Reply(f"💸 Payout made: {amount} for {sessions} was paid out to you. See /earnings.")


async def _backup_alert(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
    """To an admin: what went wrong with the backups (``syllabot db backups`` shows more)."""
    return Reply(
        f"⚠️ Backups need you: {data['problem']}.\n"
        "See `syllabot db backups` and the README's “Operating Syllabot”."
    )


RENDERERS: dict[Kind, Renderer] = {
    Kind.STUDY_REMINDER: _study,
    Kind.STREAK_REMINDER: _streak,
    Kind.GOAL_REMINDER: _goal,
    Kind.REVIEW_REMINDER: _review,
    Kind.BOOKING_REMINDER: _booking_reminder,
    Kind.BOOKING_REQUESTED: _booking("📨 New booking request — confirm or decline:"),
    Kind.BOOKING_CONFIRM: _booking("✅ Your booking is confirmed:"),
    Kind.BOOKING_DECLINE: _booking("Your booking request was declined:"),
    Kind.BOOKING_CANCEL: _booking("A booking was cancelled:"),
    Kind.BOOKING_COMPLETE: _booking("How was your session? Tap the stars to rate it:"),
    Kind.BOOKING_NO_SHOW: _booking("The expert marked this session as a no-show:"),
    Kind.BOOKING_MARK_PAID: _booking("💶 Payment recorded:"),
    Kind.BOOKING_RESCHEDULED: _moved("moved"),
    Kind.BOOKING_MOVE_PROPOSED: _moved("asks to move"),
    Kind.BOOKING_MOVE_ACCEPTED: _moved("accepted moving"),
    Kind.BOOKING_MOVE_DECLINED: _moved("declined moving"),
    Kind.BOOKING_EXPIRED: lapsed_notice,  # the learner's with other times and experts
    Kind.BOOKING_RATED: _booking("⭐ A learner rated your session (their stars below):"),
    Kind.BOOKING_REVIEWED: _booking("📝 A learner wrote a review of your session:"),
    Kind.BOOKING_MARK_PROMPT: _booking("Your session has ended. How did it go? Mark it:"),
    Kind.BOOKING_REFUNDED: _booking("↩️ Your payment was refunded:"),
    Kind.BOOKING_NOTES: _booking("📝 Your expert added notes on your session:"),
    Kind.BOOKING_MESSAGE: relayed_notice,
    Kind.PAYOUT_MADE: _payout,
    Kind.EXPERT_PENDING: _expert_pending,
    Kind.EXPERT_VERIFIED: admin.verified_notice,
    Kind.EXPERT_REJECTED: admin.rejected_notice,
    Kind.EXPERT_SUSPENDED: admin.suspended_notice,
    Kind.EXPERT_REINSTATED: admin.reinstated_notice,
    Kind.ACCOUNT_INACTIVE: inactive_notice,
    Kind.BACKUP_ALERT: _backup_alert,
    Kind.FOCUS_END: focus_end_notice,
    Kind.BOOKING_NUDGE: nudge_notice,
    Kind.WAITLIST_FREED: freed_notice,
    Kind.SERIES_REQUESTED: series.request_notice,
    Kind.SERIES_CONFIRMED: series.answer_notice(confirmed=True),
    Kind.SERIES_DECLINED: series.answer_notice(confirmed=False),
    Kind.SESSION_HAPPENED_ASK: disputes.happened_notice,
    Kind.DISPUTE_OPENED: disputes.opened_notice,
    Kind.DISPUTE_ANSWERED: disputes.answered_notice,
    Kind.DISPUTE_DECIDED: disputes.decided_notice,
    Kind.PLAN_SHARED: plan_shares.plan_shared_notice,
    Kind.HOMEWORK_SENT: plan_shares.homework_sent_notice,
    Kind.HOMEWORK_ANSWERED: plan_shares.homework_answered_notice,
}
