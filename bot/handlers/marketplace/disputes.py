"""After a session: "Did your session happen?" (👍 Yes / ⚠️ There was a problem), a problem
reported by either side (the button, or ``/problem <ref> [what happened]``), the other side's
account (✍️ Give your account, or ``/dispute <ref> <text>``) and the admins' decision under
``/admin disputes`` (↩️ Refund learner / 💶 Pay expert / ⚖️ Split). Which of these a person
may do now is the domain's (``rules.refusal``); every press is checked there again."""

from __future__ import annotations

from collections.abc import Callable
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
from bot.handlers.formatting import local_time, plural
from bot.handlers.marketplace.booking_card import BUTTONS as ACTION_BUTTONS
from bot.handlers.marketplace.booking_card import action_buttons, decision_text, summary
from bot.handlers.wizard import skipped
from domain.accounts import conversations
from domain.accounts.model import Conversation
from domain.accounts.registration import get_user
from domain.marketplace import bookings, disputes
from domain.marketplace.dispute_model import (
    KINDS_OF,
    AnswerDispute,
    ConfirmHappened,
    Disputed,
    ProblemKind,
    ReportProblem,
    ResolveDispute,
)
from domain.marketplace.model import Action, Booking, BookingStatus, Decision, Role
from domain.marketplace.rules import available_actions
from domain.shared.errors import InvalidInput
from domain.unit_of_work import UnitOfWork

PROBLEM = "problem"  # the words about a reported problem (data: booking, kind)
ACCOUNT = "account"  # the other side's account of it (data: booking)

KIND_BUTTONS: dict[ProblemKind, tuple[str, str]] = {
    ProblemKind.EXPERT_ABSENT: ("🚫 The expert didn't come", "ea"),
    ProblemKind.CUT_SHORT: ("✂️ It was cut short", "cs"),
    ProblemKind.OTHER: ("❓ Something else", "ot"),
}
KIND_CODES = {code: kind for kind, (_, code) in KIND_BUTTONS.items()}
KIND_WORDS = {
    ProblemKind.EXPERT_ABSENT: "the expert did not come",
    ProblemKind.CUT_SHORT: "the session was cut short",
    ProblemKind.OTHER: "something else went wrong",
    ProblemKind.NO_SHOW_DISPUTED: "the learner says they were there (the no-show is disputed)",
}
DECISION_BUTTONS: dict[Decision, tuple[str, str]] = {
    Decision.REFUND: ("↩️ Refund learner", "r"),
    Decision.PAY: ("💶 Pay expert", "p"),
    Decision.SPLIT: ("⚖️ Split", "s"),
}
DECISION_CODES = {code: decision for decision, (_, code) in DECISION_BUTTONS.items()}
CARDS_MAX = 10  # dispute cards in one /admin disputes answer
HELD = "{whose} earnings for it are held until an admin decides."


def _party(booking: Booking, role: Role) -> str:
    """ "the learner, Ada" or "the expert, Grace Hopper"."""
    if role is Role.LEARNER:
        return f"the learner, {booking.learner_name}"
    return f"the expert, {booking.expert_name}"


async def _zone(ctx: Context, user_id: UUID, booking: Booking) -> str:
    return booking.zone_of(user_id, (await get_user(user_id, ctx.uow())).timezone)


# -- the learner's yes, a problem reported ----------------------------------------------------


async def confirm_button(req: Request, booking_id: UUID) -> Reply:
    """👍 Yes, it happened."""
    ctx = req.ctx
    booking = await disputes.confirm_happened(
        ConfirmHappened(req.user_id, booking_id), ctx.uow(), ctx.clock, ctx.policy
    )
    zone = await _zone(ctx, req.user_id, booking)
    return Reply(
        f"👍 Thank you! {booking.expert_name} gets paid for booking {booking.ref}.\n"
        f"{summary(booking, req.user_id, zone, ctx.policy)}",
        action_buttons(booking, req.user_id, ctx.clock.now(), ctx.policy),
        edit=True,
    )


async def problem_button(req: Request, booking_id: UUID) -> Reply:
    """⚠️ There was a problem: what kind (a learner disputing a no-show goes straight on)."""
    ctx = req.ctx
    booking, role = await disputes.may_report(
        req.user_id, booking_id, ctx.uow(), ctx.clock, ctx.policy
    )
    if role is Role.LEARNER and booking.status is BookingStatus.NO_SHOW:
        return await _details_question(req, booking_id, ProblemKind.NO_SHOW_DISPUTED)
    choices = [
        Button(label, payloads.encode(req.user_id, "dk", booking_id.hex, code))
        for kind, (label, code) in KIND_BUTTONS.items()
        if kind in KINDS_OF[role]
    ]
    return Reply(f"⚠️ Booking {booking.ref}: what went wrong?", rows(*choices, per_row=1))


async def kind_button(req: Request) -> Reply:
    """A kind of problem under "what went wrong?": ask for the words."""
    if len(req.button_args) != 2 or req.button_args[1] not in KIND_CODES:
        raise InvalidInput(payloads.STALE)
    booking_id = payloads.uuid_arg(req.button_args[0])
    return await _details_question(req, booking_id, KIND_CODES[req.button_args[1]])


async def _details_question(req: Request, booking_id: UUID, kind: ProblemKind) -> Reply:
    ctx = req.ctx
    booking, _, asked = await bookings.ask_about(
        req.user_id,
        booking_id,
        Action.REPORT_PROBLEM,
        PROBLEM,
        Action.REPORT_PROBLEM.value,
        ctx.uow(),
        ctx.clock,
        ctx.policy,
        {"kind": kind.value},
    )
    return _problem_question(req.user_id, booking.ref, asked)


def _problem_question(user_id: UUID, ref: str, asked: Conversation) -> Reply:
    kind = ProblemKind(str(asked.data["kind"]))
    return Reply(
        f"⚠️ Booking {ref}: {KIND_WORDS[kind]}. In a few words, what happened? The other side "
        "and the admins read it (or Skip).",
        rows(Button("Skip", payloads.encode(user_id, "dz", asked.token))),
        ask=Ask("What happened", "A few words for the admins", asked.token),
    )


async def problem_answer(req: Request, conversation: Conversation, text: str | None) -> Replies:
    """The words about a problem (``None``: skipped): reported as the question ends."""
    text = skipped(text)
    booking_id = payloads.uuid_arg(str(conversation.data["booking"]))
    kind = ProblemKind(str(conversation.data["kind"]))
    ending = conversations.ending(req.ctx.uow, req.user_id, conversation.token)
    return await _report(req, ReportProblem(req.user_id, booking_id, kind, text), ending)


async def _report(req: Request, command: ReportProblem, uow: Callable[[], UnitOfWork]) -> Reply:
    ctx = req.ctx
    booking = await disputes.report_problem(command, uow(), ctx.clock, ctx.policy)
    by_learner = req.user_id == booking.learner_id
    other = _party(booking, Role.EXPERT if by_learner else Role.LEARNER)
    held = HELD.format(whose="The expert's" if by_learner else "Your")
    return Reply(
        f"⚠️ Problem reported with booking {booking.ref}. I've asked {other}, for their account; "
        f"an admin decides what happens to the money. {held}"
    )


async def problem_command(req: Request) -> Reply:
    """/problem <ref> [what happened]: report a problem with a session (either side)."""
    ref, _, text = req.args.strip().partition(" ")
    if not ref:
        return Reply(
            "Usage: /problem <booking reference> [what happened], e.g. /problem 3f2a9c1b The "
            "session ended after 10 minutes. Until 7 days after the session; an admin decides."
        )
    ctx = req.ctx
    booking = await bookings.find_booking(req.user_id, ref, ctx.uow())
    if not text.strip():
        return await problem_button(req, booking.id)
    report = ReportProblem(req.user_id, booking.id, ProblemKind.OTHER, text)
    return await _report(req, report, ctx.uow)


# -- the other side's account -----------------------------------------------------------------


async def account_button(req: Request, booking_id: UUID) -> Reply:
    """✍️ Give your account: ask for it."""
    ctx = req.ctx
    booking, _, asked = await bookings.ask_about(
        req.user_id,
        booking_id,
        Action.ANSWER_DISPUTE,
        ACCOUNT,
        Action.ANSWER_DISPUTE.value,
        ctx.uow(),
        ctx.clock,
        ctx.policy,
    )
    return _account_question(req.user_id, booking.ref, asked)


def _account_question(user_id: UUID, ref: str, asked: Conversation) -> Reply:
    return Reply(
        f"✍️ Your account of what happened in booking {ref}? The admins read it before they "
        "decide.",
        rows(Button("Cancel", payloads.encode(user_id, "dz", asked.token))),
        ask=Ask("Your account", "What happened, as you saw it", asked.token),
    )


async def account_answer(req: Request, conversation: Conversation, text: str | None) -> Replies:
    """The other side's account (``None``: cancelled), saved as the question ends."""
    if text is None:
        await conversations.end(req.user_id, req.ctx.uow())
        return Reply("OK, nothing was sent. Give your account later with /dispute <ref> <text>.")
    booking_id = payloads.uuid_arg(str(conversation.data["booking"]))
    ending = conversations.ending(req.ctx.uow, req.user_id, conversation.token)
    return await _answer(req, AnswerDispute(req.user_id, booking_id, text), ending)


async def _answer(req: Request, command: AnswerDispute, uow: Callable[[], UnitOfWork]) -> Reply:
    ctx = req.ctx
    booking = await disputes.answer_dispute(command, uow(), ctx.clock, ctx.policy)
    return Reply(f"✍️ Thank you. Your account of booking {booking.ref} is with the admins.")


async def dispute_command(req: Request) -> Reply:
    """/dispute <ref> <your account>: answer a problem the other side reported."""
    ref, _, text = req.args.strip().partition(" ")
    if not ref:
        return Reply(
            "Usage: /dispute <booking reference> <your account>, when the other side reported a "
            "problem with a session, e.g. /dispute 3f2a9c1b I waited 20 minutes in the call."
        )
    ctx = req.ctx
    booking = await bookings.find_booking(req.user_id, ref, ctx.uow())
    if not text.strip():
        return await account_button(req, booking.id)
    return await _answer(req, AnswerDispute(req.user_id, booking.id, text), ctx.uow)


async def skip_button(req: Request) -> Replies:
    """Skip under the problem's question, Cancel under the account's."""
    if len(req.button_args) != 1:
        raise InvalidInput(payloads.STALE)
    conversation = await flow_of_button(req, req.button_args[0], PROBLEM, ACCOUNT)
    if conversation.flow == PROBLEM:
        return await problem_answer(req, conversation, None)
    return await account_answer(req, conversation, None)


async def _resume(req: Request, conversation: Conversation) -> Reply:
    """The problem's or the account's question again, after the chat restarted."""
    booking_id = payloads.uuid_arg(str(conversation.data["booking"]))
    booking = await bookings.get_booking(req.user_id, booking_id, req.ctx.uow())
    if conversation.flow == PROBLEM:
        return _problem_question(req.user_id, booking.ref, conversation)
    return _account_question(req.user_id, booking.ref, conversation)


# -- admins -----------------------------------------------------------------------------------


def dispute_card(admin_id: UUID, found: Disputed, zone: str, ctx: Context) -> Reply:
    """A dispute as an admin sees it, with a button for each decision while it is open."""
    booking, dispute = found.booking, found.dispute
    by = _party(booking, dispute.opened_by)
    other = _party(booking, Role.EXPERT if dispute.opened_by is Role.LEARNER else Role.LEARNER)
    lines = [
        f"⚖️ Booking {booking.ref}: {by}, reported a problem on "
        f"{local_time(dispute.opened_at, zone)} ({zone}): {KIND_WORDS[dispute.kind]}.",
        f"Their words: “{dispute.details}”" if dispute.details else "Their words: —",
        f"Account of {other}: “{dispute.answer}”"
        if dispute.answer
        else f"Account of {other}: not given yet",
        summary(booking, admin_id, zone, ctx.policy),
    ]
    buttons: tuple[tuple[Button, ...], ...] = ()
    now = ctx.clock.now()
    if Action.RESOLVE_DISPUTE in available_actions(booking, Role.ADMIN, now, ctx.policy):
        buttons = rows(
            *(
                Button(label, payloads.encode(admin_id, "dd", booking.id.hex, code))
                for label, code in DECISION_BUTTONS.values()
            ),
            per_row=3,
        )
    return Reply("\n".join(lines), buttons)


async def admin_disputes(req: Request) -> Replies:
    """/admin disputes: every open dispute, the oldest first, with its decisions."""
    ctx = req.ctx
    found = await disputes.open_disputes(req.user_id, ctx.uow(), ctx.policy, CARDS_MAX + 1)
    if not found:
        return Reply("No open disputes.")
    zone = (await get_user(req.user_id, ctx.uow())).timezone
    cards = [dispute_card(req.user_id, d, zone, ctx) for d in found[:CARDS_MAX]]
    if len(found) > CARDS_MAX:
        return [*cards, Reply(f"The oldest {CARDS_MAX} open disputes; decide them to see more.")]
    return [*cards, Reply(f"{plural(len(found), 'open dispute')}, the oldest first.")]


async def decide_button(req: Request) -> Reply:
    """↩️ Refund learner / 💶 Pay expert / ⚖️ Split under a dispute."""
    if len(req.button_args) != 2 or req.button_args[1] not in DECISION_CODES:
        raise InvalidInput(payloads.STALE)
    booking_id = payloads.uuid_arg(req.button_args[0])
    ctx = req.ctx
    command = ResolveDispute(req.user_id, booking_id, DECISION_CODES[req.button_args[1]])
    done = await disputes.resolve_dispute(command, ctx.uow(), ctx.clock, ctx.policy)
    zone = (await get_user(req.user_id, ctx.uow())).timezone
    card = dispute_card(req.user_id, done, zone, ctx)
    return Reply(f"Decided. Both sides have been told.\n{card.text}", card.buttons, edit=True)


# -- what people are told ---------------------------------------------------------------------


def _only(booking: Booking, user_id: UUID, ctx: Context, *wanted: Action) -> Any:
    """The card's buttons of the ``wanted`` actions the viewer may take now (None: none)."""
    allowed = available_actions(booking, booking.role_of(user_id), ctx.clock.now(), ctx.policy)
    found = [
        Button(ACTION_BUTTONS[a][0], payloads.encode(user_id, "bx", booking.id.hex, code))
        for a in wanted
        if a in allowed
        for code in (ACTION_BUTTONS[a][1],)
    ]
    return rows(*found) if found else None


async def happened_notice(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
    """To the learner, once a session ended: did it happen? (no longer asked once answered)."""
    booking = await bookings.get_booking(user_id, UUID(data["booking_id"]), ctx.uow())
    buttons = _only(booking, user_id, ctx, Action.CONFIRM_HAPPENED, Action.REPORT_PROBLEM)
    if buttons is None or Action.CONFIRM_HAPPENED not in available_actions(
        booking, Role.LEARNER, ctx.clock.now(), ctx.policy
    ):
        return None
    zone = await _zone(ctx, user_id, booking)
    return Reply(
        f"Did your session with {booking.expert_name} ({local_time(booking.starts_at, zone)}, "
        f"{zone}) happen?",
        buttons,
    )


async def opened_notice(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
    """To the other side (asked for their account) or an admin (the dispute's card)."""
    found = await disputes.dispute_of(user_id, UUID(data["booking_id"]), ctx.uow(), ctx.policy)
    booking, dispute = found.booking, found.dispute
    zone = await _zone(ctx, user_id, booking)
    if booking.role_of(user_id) is Role.OTHER:
        if dispute.decision is not None:
            return None  # another admin decided meanwhile
        return dispute_card(user_id, found, zone, ctx)
    buttons = _only(booking, user_id, ctx, Action.ANSWER_DISPUTE)
    if buttons is None:
        return None  # answered or decided meanwhile
    said = f": “{dispute.details}”" if dispute.details else "."
    return Reply(
        f"⚠️ T{_party(booking, dispute.opened_by)[1:]}, reported a problem with booking "
        f"{booking.ref} ({local_time(booking.starts_at, zone)}, {zone}): "
        f"{KIND_WORDS[dispute.kind]}{said}\nAn admin decides what happens to the money. Give "
        f"your account first: ✍️ below, or /dispute {booking.ref} <text>.",
        buttons,
    )


async def answered_notice(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
    """To an admin: the other side gave their account (the dispute's card, while open)."""
    found = await disputes.dispute_of(user_id, UUID(data["booking_id"]), ctx.uow(), ctx.policy)
    if found.dispute.decision is not None:
        return None
    zone = await _zone(ctx, user_id, found.booking)
    card = dispute_card(user_id, found, zone, ctx)
    return Reply(f"✍️ The other side gave their account:\n{card.text}", card.buttons)


async def decided_notice(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
    """To both sides and the other admins: what an admin decided."""
    booking = await bookings.get_booking(user_id, UUID(data["booking_id"]), ctx.uow(), ctx.policy)
    decision = Decision(data["decision"])
    return Reply(
        f"⚖️ An admin decided the problem with booking {booking.ref} "
        f"({booking.learner_name} with {booking.expert_name}): "
        f"{decision_text(booking, decision, ctx.policy)}."
    )


BUTTONS = {"dk": kind_button, "dz": skip_button, "dd": decide_button}
FLOWS = {PROBLEM: problem_answer, ACCOUNT: account_answer}
PROMPTS = {PROBLEM: _resume, ACCOUNT: _resume}
