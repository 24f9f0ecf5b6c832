"""The booking walk's buttons: 📅 Book -> length -> day -> time -> ✅ Confirm (and 🗓
Reschedule from the day on), and the answer to a proposed new time. Each press is one use case
of ``domain.marketplace.booking_walk`` (or ``moves``); this module only turns its results into
messages and buttons. Every step has ◀ Back and ✖ Cancel (``wizard.control_row``), and every
screen of a reschedule says which booking it moves and when it is now."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from bot.handlers import payloads
from bot.handlers.base import Button, Replies, Reply, Request, flow_of_button, rows
from bot.handlers.formatting import local_time, money, short_time
from bot.handlers.marketplace import series as series_chat
from bot.handlers.marketplace.booking_card import MOVE_ANSWERS, proposal_of, summary
from bot.handlers.marketplace.booking_invites import with_invite
from bot.handlers.wizard import control_row
from domain.accounts.model import Conversation
from domain.accounts.registration import get_user
from domain.marketplace import booking_walk, moves, series, walk_entries, walk_share
from domain.marketplace.commands import (
    AnswerMove,
    ChooseDay,
    ChooseLength,
    ChooseTime,
    DayFull,
    DaysOffered,
    GiveReason,
    JoinWaitlist,
    LengthAsked,
    Moving,
    QuoteShown,
    ReasonAsked,
    ShareAsked,
    StartBooking,
    StartRescheduling,
    SubmitWalk,
    TimesOffered,
    WaitlistJoined,
    WalkDone,
    WalkEnded,
    WalkResult,
)
from domain.marketplace.model import Action, BookingStatus, Policy
from domain.marketplace.share_commands import ChooseShare
from domain.marketplace.terms import TRIAL_MINUTES, hours_text, moves_text
from domain.shared.errors import InvalidInput

DAYS_SHOWN = 9  # a page of the day picker; "later ▶" and "◀ earlier" turn it


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
    """A choice in the walk: a length (``30``), a day (``d20261231``), a page of days
    (``p1``), a time (``s3``) or ✅."""
    if len(req.button_args) != 2:
        raise InvalidInput(payloads.STALE)
    token, choice = req.button_args
    ctx, user = req.ctx, req.user_id
    result: WalkResult
    if choice.isdigit() or choice == f"t{TRIAL_MINUTES}":
        trial = choice.startswith("t")
        length = ChooseLength(user, token, int(choice.lstrip("t")), trial=trial)
        result = await booking_walk.choose_length(length, ctx.uow(), ctx.clock, ctx.policy)
    elif choice.startswith("d") and len(choice) == 9 and choice[1:].isdigit():
        day = _day(choice[1:])
        result = await booking_walk.choose_day(ChooseDay(user, token, day), ctx.uow(), ctx.clock)
    elif choice.startswith("p") and choice[1:].isdigit():
        walk = await flow_of_button(req, token, booking_walk.FLOW)
        if walk.step != "day":
            raise InvalidInput(payloads.STALE)
        return render(req, booking_walk.current_step(walk, ctx.policy), page=int(choice[1:]))
    elif choice.startswith("s") and choice[1:].isdigit():
        command = ChooseTime(user, token, int(choice[1:]))
        result = await booking_walk.choose_time(command, ctx.uow(), ctx.clock, ctx.policy)
    elif choice == "ok":
        result = await booking_walk.submit(
            SubmitWalk(user, token), ctx.uow(), ctx.clock, ctx.policy
        )
    elif choice.startswith("h") and (choice[1:].isdigit() or choice == "h-"):  # share a plan?
        index = None if choice == "h-" else payloads.int_arg(choice[1:], low=0, high=99)
        share = ChooseShare(user, token, index)
        result = await walk_share.choose_share(share, ctx.uow(), ctx.clock, ctx.policy)
    elif choice == "w":  # 🔔 on a full day
        result = await walk_entries.join_waitlist(JoinWaitlist(user, token), ctx.uow(), ctx.clock)
    else:
        found = await series_chat.walk_choice(req, token, choice)
        if found is None:
            raise InvalidInput(payloads.STALE)
        return found
    return render(req, result)


async def typed(req: Request, walk: Conversation, text: str | None) -> Replies:
    """Text typed during the walk: the reason, at the reason step; elsewhere a pointer to the
    buttons."""
    if walk.step != "reason" or text is None:
        return Reply("Please choose with the buttons above, or press ✖ Cancel to stop.")
    ctx = req.ctx
    command = GiveReason(req.user_id, walk.token, text)
    return replace(
        render(req, await booking_walk.give_reason(command, ctx.uow(), ctx.clock, ctx.policy)),
        edit=False,
    )


def render(req: Request, result: WalkResult, *, page: int = 0) -> Reply:
    """The message for one step of the walk."""
    if isinstance(result, LengthAsked):
        buttons = [
            Button(
                f"{m} min · {money(price, result.currency)}", _choice(req, result.token, str(m))
            )
            for m, price in zip(result.durations, result.prices, strict=True)
        ]
        text = "How long should the session be?\nEach length shows the price you would pay."
        if result.trial_price is not None:
            trial = money(result.trial_price, result.currency)
            label = f"🎁 Trial lesson, {TRIAL_MINUTES} min, {trial}"
            buttons.insert(0, Button(label, _choice(req, result.token, f"t{TRIAL_MINUTES}")))
            text += "\nYour first lesson with this expert can be a trial lesson."
        return Reply(text, (*rows(*buttons), *control_row(req.user_id, result.token, back=False)))
    if isinstance(result, DaysOffered):
        return _days(req, result, page)
    if isinstance(result, TimesOffered):
        zone = result.zone
        buttons = [
            Button(
                t.astimezone(ZoneInfo(zone)).strftime("%H:%M"), _choice(req, result.token, f"s{i}")
            )
            for i, t in enumerate(result.times)
        ]
        day = short_time(result.times[0], zone).rsplit(" ", 1)[0] if result.times else ""
        text = f"{_head(result.moving, zone)}{result.note}Which time on {day}? ({zone})"
        controls = control_row(req.user_id, result.token, back=result.back)
        return Reply(
            text,
            (*rows(*buttons, per_row=4), *controls),
            edit=True,
            choose="Pick a time",
            controls=len(controls),
        )
    if isinstance(result, ReasonAsked):
        text = (
            f"{_head(result.moving, result.zone)}{result.note}Why are you moving it to "
            f"{local_time(result.starts_at, result.zone)}? Type the reason: "
            f"{result.other_name} will read it with your request."
        )
        return Reply(text, control_row(req.user_id, result.token, back=True), edit=True)
    if isinstance(result, ShareAsked):
        return _share(req, result)
    if isinstance(result, QuoteShown):
        return _quote(req, result)
    if isinstance(result, WalkDone):
        return _done(req, result)
    if isinstance(result, DayFull | WaitlistJoined):
        return _waiting(req, result)
    assert isinstance(result, WalkEnded)
    return Reply(result.note, edit=True)


def _days(req: Request, result: DaysOffered, page: int) -> Reply:
    head = _head(result.moving, result.zone)
    controls = control_row(req.user_id, result.token, back=result.back)
    if not result.days and not result.full:
        text = f"{head}{result.note}No free times within the booking horizon, sorry."
        return Reply(text + " Try another expert.", controls, edit=True)
    days = sorted({*result.days, *result.full})
    pages = (len(days) + DAYS_SHOWN - 1) // DAYS_SHOWN
    page = min(page, pages - 1)
    shown = days[page * DAYS_SHOWN : (page + 1) * DAYS_SHOWN]
    full = set(result.full)
    buttons = [
        Button(
            day.strftime("%a %d %b") + (" · full" if day in full else ""),
            _choice(req, result.token, day.strftime("d%Y%m%d")),
        )
        for day in shown
    ]
    turn = []
    if page > 0:
        turn.append(Button("◀ earlier", _choice(req, result.token, f"p{page - 1}")))
    if page < pages - 1:
        turn.append(Button("later ▶", _choice(req, result.token, f"p{page + 1}")))
    text = f"{head}{result.note}Which day? (times in {result.zone})"
    if pages > 1:
        text += f" · {shown[0]:%d %b}–{shown[-1]:%d %b}"
    controls = (*((tuple(turn),) if turn else ()), *controls)
    return Reply(
        text, (*rows(*buttons), *controls), edit=True, choose="Pick a day", controls=len(controls)
    )


def _waiting(req: Request, result: DayFull | WaitlistJoined) -> Reply:
    """A full day (🔔 Tell me if a slot frees up), and the answer to that tap."""
    day = f"{result.day:%a %d %b}"
    if isinstance(result, DayFull):
        text = (
            f"{day} is fully booked with {result.other_name}. I can tell you when a time that "
            "day frees up (a cancellation, a move, a declined or lapsed request): the first to "
            "book it gets it."
        )
        ask = Button("🔔 Tell me if a slot frees up", _choice(req, result.token, "w"))
        return Reply(text, ((ask,), *control_row(req.user_id, result.token, back=True)), edit=True)
    text = (
        f"🔔 You're on the waitlist for {day} with {result.other_name}: when a time frees up "
        "that day I'll tell you, with a button to book it. /waitlist shows your waits."
    )
    return Reply(text, ((leave_button(req.user_id, result.entry_id),),), edit=True)


def leave_button(user_id: UUID, entry_id: UUID) -> Button:
    """🔕 Leave the waitlist (``wx``, ``waitlist.leave``)."""
    return Button("🔕 Leave the waitlist", payloads.encode(user_id, "wx", entry_id.hex))


def _share(req: Request, result: ShareAsked) -> Reply:
    """The step before the quote: share one of the learner's active plans with the expert?"""
    plans = [
        Button(f"📎 {title}"[:60], _choice(req, result.token, f"h{i}"))
        for i, (_, title) in enumerate(result.plans)
    ]
    keep = Button("🔒 Don't share", _choice(req, result.token, "h-"))
    text = (
        f"Share a plan with {result.other_name}? They would see its sessions, progress, streak "
        "and recent notes, read-only, until the session ends; nothing after. Not shared "
        "unless you pick one."
    )
    controls = control_row(req.user_id, result.token, back=True)
    return Reply(text, (*rows(*plans, keep, per_row=1), *controls), edit=True)


def _quote(req: Request, result: QuoteShown) -> Reply:
    zone, moving = result.zone, result.moving
    when = f"{local_time(result.starts_at, zone)} ({zone})"
    price = money(result.price, result.currency)
    if moving is None:
        what = f"a {result.minutes} min trial lesson" if result.trial else f"{result.minutes} min"
        text = f"{result.note}Book {what} with {result.other_name} on {when}"
        text += f" for {price}?"
    elif moving.proposes:
        text = (
            f"{_head(moving, zone)}{result.note}Ask {result.other_name} to move the "
            f"{result.minutes} min session to {when}?\nYour reason: {result.reason}\n"
            f"{result.other_name} accepts or declines; until then it stays at "
            f"{local_time(moving.starts_at, zone)}."
        )
    else:
        text = (
            f"{_head(moving, zone)}{result.note}Move it to {when}, {result.minutes} min with "
            f"{result.other_name}? The price stays {price}."
        )
    text += "\n" + _policy(req.ctx.policy, result, zone, req.ctx.clock.now())
    ok = Button("✅ Confirm", _choice(req, result.token, "ok"))
    single = moving or result.trial  # a trial is one lesson, never a series (``series.repeat``)
    first = (ok,) if single else (ok, series_chat.repeat_button(req, result.token))
    return Reply(text, (first, *control_row(req.user_id, result.token, back=True)), edit=True)


def _policy(policy: Policy, result: QuoteShown, zone: str, now: datetime) -> str:
    """The terms of this booking: the expert's window (else the operator's) and moves."""
    notice = policy.free_cancellation_notice if result.notice is None else result.notice
    moves = f"{moves_text(result.reschedule_limit).capitalize()}."
    if result.free_until <= now:
        return (
            f"It starts in less than {hours_text(notice)}, the free-cancellation window: once "
            f"booked, it can't be cancelled or moved here. {moves}"
        )
    return (
        f"Free cancellation until {local_time(result.free_until, zone)} ({hours_text(notice)} "
        f"before the start); after that it can't be cancelled or moved here. {moves}"
    )


def _done(req: Request, result: WalkDone) -> Reply:
    booking, moving, zone = result.booking, result.moving, result.zone
    if moving is None:
        head = "📨 Requested!"
    elif moving.proposes:
        head = (
            f"📨 New time proposed to {booking.learner_name}; the booking stays at "
            f"{local_time(moving.starts_at, zone)} until they accept."
        )
    else:
        was, now = local_time(moving.starts_at, zone), local_time(booking.starts_at, zone)
        head = f"🗓 Moved from {was} to {now}."
    if booking.status is BookingStatus.PENDING:
        head += " The expert will confirm it; I'll tell you."
    reply = Reply(f"{head}\n{summary(booking, req.user_id, zone)}", edit=True)
    if moving is not None and not moving.proposes:  # moved: the updated invite
        return with_invite(reply, booking, req.user_id)
    return reply


def _head(moving: Moving | None, zone: str) -> str:
    """The line every screen of a reschedule starts with."""
    if moving is None:
        return ""
    verb = "Proposing a new time for" if moving.proposes else "Rescheduling"
    return f"🗓 {verb} booking {moving.ref} (now {local_time(moving.starts_at, zone)})\n"


async def move_answer(req: Request) -> Reply:
    """✅ Accept or ❌ Decline under a proposed new time (the proposal named in the payload)."""
    if len(req.button_args) != 3 or req.button_args[1] not in MOVE_ANSWERS.values():
        raise InvalidInput(payloads.STALE)
    booking_id = payloads.uuid_arg(req.button_args[0])
    accept = req.button_args[1] == MOVE_ANSWERS[Action.ACCEPT_MOVE]
    proposed = proposal_of(req.button_args[2])
    ctx = req.ctx
    command = AnswerMove(req.user_id, booking_id, proposed, accept)
    booking = await moves.answer_move(command, ctx.uow(), ctx.clock, ctx.policy)
    zone = (await get_user(req.user_id, ctx.uow())).timezone
    head = "✅ Accepted: the session moved." if accept else "Declined: the session keeps its time."
    reply = Reply(f"{head} The other side has been told.\n{summary(booking, req.user_id, zone)}")
    return with_invite(reply, booking, req.user_id) if accept else reply


async def resume(req: Request, walk: Conversation) -> Reply:
    """The walk's open question again, as a new message (after the chat restarted)."""
    if walk.step in series.STEPS:
        return replace(series_chat.render(req, series.current(walk)), edit=False)
    return replace(render(req, booking_walk.current_step(walk, req.ctx.policy)), edit=False)


def _choice(req: Request, token: str, choice: str) -> str:
    return payloads.encode(req.user_id, "bf", token, choice)


def _day(digits: str) -> date:
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise InvalidInput(payloads.STALE) from None


BUTTONS = {"bk": start_booking, "bf": book_button, "bm": move_answer}
FLOWS = {booking_walk.FLOW: typed}
PROMPTS = {booking_walk.FLOW: resume}
