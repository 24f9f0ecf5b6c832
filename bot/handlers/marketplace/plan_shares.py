"""A plan shared with a booking's expert, and homework: 📎 Share a plan and Stop sharing
under the learner's booking (and the booking walk's share step), 📖 Learner's plan under the
expert's (and ``/learner_plan <ref>``), 📝 Send homework after the session, and the learner's
Accept / Decline under the homework's notice.

What each may do, and until when, is the domain's (``domain.marketplace.plan_shares`` and
``homework``, asking the state machine); a payload names a booking or a homework and nothing
else, so every press is read again and checked again there.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from bot.handlers import payloads
from bot.handlers.base import (
    Ask,
    Button,
    Context,
    Replies,
    Reply,
    Request,
    flow_of_button,
    rows,
)
from bot.handlers.formatting import bar, duration, local_time, plural, short_time
from bot.handlers.learning.curricula import daily_streak_words, session_line, streak_words
from bot.handlers.marketplace.booking_card import action_buttons, booking_card, summary
from bot.handlers.wizard import control_row, skipped
from domain.accounts import conversations
from domain.accounts.model import Conversation
from domain.accounts.registration import get_user
from domain.learning.model import StudySession
from domain.marketplace import bookings, homework, plan_shares
from domain.marketplace.model import Action, Booking
from domain.marketplace.share_commands import (
    AnswerHomework,
    SendHomework,
    SharePlan,
    ViewSharedPlan,
)
from domain.marketplace.share_model import Homework, SharedPlan
from domain.shared.errors import InvalidInput

HOMEWORK = "homework"
NOT_SHARED = "-"
ANSWERS = {"a": True, "d": False}
WHAT_IS_SEEN = (
    "its sessions, progress, streak and recent notes, read-only, until the session ends; "
    "nothing after."
)


async def card_press(req: Request, booking_id: UUID, action: Action) -> Replies:
    """A press of 📎 Share a plan, Stop sharing, 📖 Learner's plan or 📝 Send homework."""
    if action is Action.SHARE_PLAN:
        return await _choices(req, booking_id)
    if action is Action.UNSHARE_PLAN:
        return await _shared(req, SharePlan(req.user_id, booking_id, None))
    if action is Action.VIEW_PLAN:
        return await _view(req, ViewSharedPlan(req.user_id, booking_id))
    if action is Action.ANSWER_HOMEWORK:
        ctx = req.ctx
        work, booking, plan = await homework.offer_of(
            req.user_id, booking_id, ctx.uow(), ctx.clock, ctx.policy
        )
        return homework_offer(req.user_id, work, booking, plan)
    return await _start_homework(req, booking_id)


CARD_ACTIONS = frozenset(
    {
        Action.SHARE_PLAN,
        Action.UNSHARE_PLAN,
        Action.VIEW_PLAN,
        Action.SEND_HOMEWORK,
        Action.ANSWER_HOMEWORK,
    }
)


# --- sharing -----------------------------------------------------------------------------------


def plan_button(user_id: UUID, booking_id: UUID, plan_hex: str, title: str) -> Button:
    return Button(f"📎 {title}"[:60], payloads.encode(user_id, "bs", booking_id.hex, plan_hex[:8]))


async def _choices(req: Request, booking_id: UUID) -> Reply:
    ctx = req.ctx
    booking, plans = await plan_shares.plans_to_share(
        req.user_id, booking_id, ctx.uow(), ctx.clock, ctx.policy
    )
    keep = Button("🔒 Don't share", payloads.encode(req.user_id, "bs", booking_id.hex, NOT_SHARED))
    buttons = [plan_button(req.user_id, booking_id, c.id.hex, c.title) for c in plans]
    return Reply(
        f"📎 Share a plan with {booking.expert_name} (booking {booking.ref})? They see "
        + WHAT_IS_SEEN,
        rows(*buttons, keep, per_row=1),
    )


async def share_button(req: Request) -> Replies:
    """A plan (or 🔒 Don't share) under 📎 Share a plan."""
    if len(req.button_args) != 2:
        raise InvalidInput(payloads.STALE)
    booking_id, plan = payloads.uuid_arg(req.button_args[0]), req.button_args[1]
    if plan == NOT_SHARED:
        return Reply("🔒 OK, no plan shared.", edit=True)
    return await _shared(req, SharePlan(req.user_id, booking_id, plan))


async def _shared(req: Request, command: SharePlan) -> Reply:
    ctx = req.ctx
    booking = await plan_shares.share(command, ctx.uow(), ctx.clock, ctx.policy)
    zone = booking.zone_of(req.user_id, (await get_user(req.user_id, ctx.uow())).timezone)
    if command.plan is None:
        head = f"🔒 Stopped sharing: {booking.expert_name} no longer sees your plan."
    else:
        head = f"📎 Shared “{booking.shared_plan_title}” with {booking.expert_name}: " + (
            "they see " + WHAT_IS_SEEN
        )
    return Reply(
        f"{head}\n{summary(booking, req.user_id, zone, ctx.policy)}",
        action_buttons(booking, req.user_id, ctx.clock.now(), ctx.policy),
        edit=True,
    )


# --- the expert's view ---------------------------------------------------------------------


async def _view(req: Request, command: ViewSharedPlan, *, edit: bool = False) -> Reply:
    ctx = req.ctx
    shared = await plan_shares.shared_plan(command, ctx.uow(), ctx.clock, ctx.policy)
    return shared_plan_reply(req.user_id, shared, edit=edit)


def shared_plan_reply(user_id: UUID, shared: SharedPlan, *, edit: bool = False) -> Reply:
    """What the booked expert sees of the learner's shared plan (one page of sessions)."""
    b, c, zone, page = shared.booking, shared.curriculum, shared.timezone, shared.page
    p = c.progress
    upcoming = c.next_session.id if c.next_session is not None else None

    def line(session: StudySession) -> str:
        shown = session_line(session)
        return f"➡️{shown[1:]} (next)" if session.id == upcoming else shown

    lines = [
        f"📖 {b.learner_name}'s plan “{c.title}” ({c.status.value}) · booking {b.ref}, shared "
        f"until the session ends {local_time(b.ends_at, zone)} ({zone})",
        f"{bar(p.sessions_completed, c.total_sessions)} {p.sessions_completed}/"
        f"{plural(c.total_sessions, 'session')} · {c.percent_done}% · "
        f"{duration(p.total_time_spent)} spent",
        f"{streak_words(shared.streak)} in this plan · {daily_streak_words(shared.daily_streak)}",
        f"Sessions (page {page.page + 1} of {page.pages}):",
        *(line(s) for s in page.sessions),
    ]
    if shared.notes:
        lines.append("Recent notes:")
        lines += [
            f"• {short_time(n.created_at, zone)} · session {n.session_number}: {n.content[:300]}"
            for n in shared.notes
        ]
    else:
        lines.append("No notes in this plan yet.")
    lines.append("(read-only; you see it until the session ends)")
    turn = []
    for label, to in (("◀ Previous", page.page - 1), ("Next ▶", page.page + 1)):
        if 0 <= to < page.pages:
            turn.append(Button(label, payloads.encode(user_id, "bp", b.id.hex, str(to))))
    return Reply("\n".join(lines), rows(*turn), edit=edit)


async def page_button(req: Request) -> Reply:
    """◀ / ▶ under the learner's plan (the share checked again)."""
    if len(req.button_args) != 2:
        raise InvalidInput(payloads.STALE)
    booking_id = payloads.uuid_arg(req.button_args[0])
    page = payloads.int_arg(req.button_args[1], low=0, high=999)
    return await _view(req, ViewSharedPlan(req.user_id, booking_id, page), edit=True)


async def learner_plan(req: Request) -> Reply:
    """/learner_plan <ref> [page]: the plan a booking's learner shares with you (experts)."""
    ref, _, page = req.args.strip().partition(" ")
    if not ref:
        return Reply(
            "Usage: /learner_plan <booking reference> [page]: the plan the learner shares with "
            "you on that booking, until the session ends."
        )
    if page.strip() and not page.strip().isdigit():
        raise InvalidInput(f"The page must be a whole number, not “{page.strip()[:20]}”.")
    ctx = req.ctx
    booking = await bookings.find_booking(req.user_id, ref, ctx.uow())
    number = int(page) - 1 if page.strip() else None
    return await _view(req, ViewSharedPlan(req.user_id, booking.id, number))


# --- homework: the expert's wizard -------------------------------------------------------------


async def _start_homework(req: Request, booking_id: UUID) -> Reply:
    ctx = req.ctx
    booking, asked = await homework.compose(
        req.user_id, booking_id, HOMEWORK, ctx.uow(), ctx.clock, ctx.policy
    )
    return _title_question(req.user_id, booking, asked.token)


def _title_question(user_id: UUID, booking: Booking, token: str) -> Reply:
    return Reply(
        f"📝 Homework for {booking.learner_name} (booking {booking.ref}): what is its title? "
        f"It arrives as a session they can add to “{booking.shared_plan_title}” with one tap.",
        control_row(user_id, token, back=False),
        ask=Ask("Homework", "Its title", token),
    )


def _objectives_question(user_id: UUID, token: str, title: str) -> Reply:
    skip = Button("Skip", payloads.encode(user_id, "hs", token))
    return Reply(
        f"📝 “{title}”: its objectives? One per line, or separated by “;” (or Skip).",
        ((skip,), *control_row(user_id, token, back=True)),
        ask=Ask("Objectives", "One per line", token),
    )


async def homework_answer(req: Request, conversation: Conversation, text: str | None) -> Replies:
    """Text typed in the homework wizard: the title, then the objectives (``None``: Skip)."""
    ctx = req.ctx
    if conversation.step == "title":
        if text is None:
            raise InvalidInput("Type the homework's title, or press ✖ Cancel.")
        asked = await homework.give_title(
            req.user_id, conversation.token, text, HOMEWORK, ctx.uow(), ctx.clock
        )
        return _objectives_question(req.user_id, asked.token, str(asked.data["title"]))
    if conversation.step != "objectives":
        raise InvalidInput(payloads.STALE)
    booking_id = payloads.uuid_arg(str(conversation.data["booking"]))
    title = str(conversation.data["title"])
    command = SendHomework(req.user_id, booking_id, title, skipped(text))
    ending = conversations.ending(ctx.uow, req.user_id, conversation.token)
    sent = await homework.send(command, ending(), ctx.clock, ctx.policy)
    return Reply(
        f"📝 Sent to {sent.booking.learner_name}: “{sent.homework.title}”, proposed as session "
        f"{sent.homework.proposed_position} of “{sent.plan_title}”. I'll tell you their answer."
    )


async def skip_button(req: Request) -> Replies:
    """Skip under the objectives question."""
    if len(req.button_args) != 1:
        raise InvalidInput(payloads.STALE)
    conversation = await flow_of_button(req, req.button_args[0], HOMEWORK)
    return await homework_answer(req, conversation, None)


async def _resume(req: Request, conversation: Conversation) -> Reply:
    """The wizard's question again (after a restart, or ◀ Back)."""
    if conversation.step == "objectives":
        title = str(conversation.data["title"])
        return _objectives_question(req.user_id, conversation.token, title)
    booking_id = payloads.uuid_arg(str(conversation.data["booking"]))
    booking = await bookings.get_booking(req.user_id, booking_id, req.ctx.uow())
    return _title_question(req.user_id, booking, conversation.token)


# --- homework: the learner's answer and the notices --------------------------------------------


async def answer_button(req: Request) -> Reply:
    """✅ Add it / ❌ Decline under a homework notice (the homework's id, nothing else)."""
    if len(req.button_args) != 2 or req.button_args[1] not in ANSWERS:
        raise InvalidInput(payloads.STALE)
    homework_id = payloads.uuid_arg(req.button_args[0])
    ctx = req.ctx
    command = AnswerHomework(req.user_id, homework_id, ANSWERS[req.button_args[1]])
    done = await homework.answer(command, ctx.uow(), ctx.clock, ctx.policy)
    expert, title = done.booking.expert_name, done.homework.title
    if done.accepted:
        text = (
            f"✅ Added “{title}” to “{done.plan_title}” as session {done.session_number}. "
            f"{expert} has been told. /plan shows it."
        )
    else:
        text = f"Declined: “{title}” was not added to your plan. {expert} has been told."
    return Reply(text, edit=True)


def answer_buttons(user_id: UUID, homework_id: UUID) -> tuple[tuple[Button, ...], ...]:
    return rows(
        Button("✅ Add it to my plan", payloads.encode(user_id, "ha", homework_id.hex, "a")),
        Button("❌ Decline", payloads.encode(user_id, "ha", homework_id.hex, "d")),
    )


async def plan_shared_notice(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
    """To the expert: the learner shares a plan on a booking (gone if they stopped since)."""
    booking = await bookings.get_booking(user_id, payloads.uuid_arg(data["booking_id"]), ctx.uow())
    if booking.shared_plan_title is None:
        return None
    zone = booking.zone_of(user_id, (await get_user(user_id, ctx.uow())).timezone)
    card = booking_card(booking, user_id, zone, ctx.clock.now(), ctx.policy)
    head = (
        f"📎 {booking.learner_name} shares their plan “{booking.shared_plan_title}” with you "
        f"for booking {booking.ref}, until the session ends:"
    )
    return Reply(f"{head}\n{card.text}", card.buttons)


async def homework_sent_notice(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
    """To the learner: the expert's homework, with ✅ Add it / ❌ Decline until answered."""
    work, booking, plan = await homework.homework_of(
        user_id, payloads.uuid_arg(data["homework_id"]), ctx.uow()
    )
    if user_id != booking.learner_id:
        return None
    return homework_offer(user_id, work, booking, plan)


def homework_offer(user_id: UUID, work: Homework, booking: Booking, plan: str | None) -> Reply:
    """The homework as its learner reads it: ✅ Add it / ❌ Decline until answered."""
    lines = [f"📝 {booking.expert_name} sent homework: {work.title}."]
    if work.description:
        lines += [f"• {line}" for line in work.description.splitlines()]
    if work.answered_at is not None:
        said = "added it to your plan" if work.accepted else "declined it"
        return Reply("\n".join([*lines, f"You {said}."]))
    if plan is None:
        return Reply("\n".join([*lines, "The plan it was for is gone, so it can't be added."]))
    lines.append(f"Add it to “{plan}” as session {work.proposed_position}?")
    return Reply("\n".join(lines), answer_buttons(user_id, work.id))


async def homework_answered_notice(
    ctx: Context, user_id: UUID, data: dict[str, Any]
) -> Reply | None:
    """To the expert: the learner accepted or declined the homework."""
    work, booking, plan = await homework.homework_of(
        user_id, payloads.uuid_arg(data["homework_id"]), ctx.uow()
    )
    if user_id != booking.expert_user_id or work.answered_at is None:
        return None
    if work.accepted:
        where = f" “{plan}”" if plan else ""
        return Reply(
            f"✅ {booking.learner_name} added your homework “{work.title}” to their plan{where}."
        )
    return Reply(f"{booking.learner_name} declined your homework “{work.title}”.")


BUTTONS = {"bs": share_button, "bp": page_button, "hs": skip_button, "ha": answer_button}
FLOWS = {HOMEWORK: homework_answer}
PROMPTS = {HOMEWORK: _resume}
