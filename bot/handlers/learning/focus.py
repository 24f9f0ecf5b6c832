"""The focus timer: /focus [minutes], its Stop button, and Log it / Different / No at its end
(the FOCUS_END notification, rendered here) or after Stop."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from bot.handlers import payloads
from bot.handlers.base import Ask, Button, Command, Context, Replies, Reply, Request, rows
from bot.handlers.formatting import duration, short_time
from bot.handlers.learning.progress import logged_reply
from bot.handlers.wizard import controls
from domain.accounts import conversations
from domain.accounts.model import Conversation
from domain.accounts.registration import get_user
from domain.learning.commands import LogFocus, StartFocus, StopFocus
from domain.learning.focus import (
    ALREADY_LOGGED,
    DEFAULT_MINUTES,
    FOCUS_RANGE,
    focus_minutes,
    focus_timer,
    log_focus,
    logged_minutes,
    start_focus,
    stop_focus,
)
from domain.learning.model import FocusTimer
from domain.shared.errors import InvalidInput

ACTION = "fo"  # fo:<s stop | l log it | d different | n no>:<timer hex>
STOP, LOG, DIFFERENT, NO = "s", "l", "d", "n"
FLOW = "focus"  # Different: how many minutes, typed


def _button(user_id: UUID, label: str, verb: str, timer: FocusTimer) -> Button:
    return Button(label, payloads.encode(user_id, ACTION, verb, timer.id.hex))


def _stop_row(user_id: UUID, timer: FocusTimer) -> tuple[tuple[Button, ...], ...]:
    return rows(_button(user_id, "⏹ Stop", STOP, timer))


def log_buttons(user_id: UUID, timer: FocusTimer) -> tuple[tuple[Button, ...], ...]:
    return rows(
        _button(user_id, "Log it", LOG, timer),
        _button(user_id, "Different", DIFFERENT, timer),
        _button(user_id, "No", NO, timer),
    )


def _session(timer: FocusTimer) -> str:
    return f"session {timer.session_number}, {timer.session_title}"


def _log_question(minutes: int, timer: FocusTimer) -> str:
    return f"Log {_minutes(minutes)} on {_session(timer)}?"


def _minutes(minutes: int) -> str:
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


async def focus(req: Request) -> Reply:
    """Start a focus timer on your next session: /focus [minutes] (default 25)."""
    minutes = focus_minutes(req.args)
    ctx = req.ctx
    started = await start_focus(StartFocus(req.user_id, minutes), ctx.uow(), ctx.clock)
    timer = started.timer
    zone = (await get_user(req.user_id, ctx.uow())).timezone
    until = short_time(timer.ends_at, zone)
    if started.already:
        left = max(1, round((timer.ends_at - ctx.clock.now()).total_seconds() / 60))
        return Reply(
            f"⏱ A focus timer is already running: {duration(timer.minutes)} on "
            f"{_session(timer)}, until {until} ({duration(left)} left). One at a time: "
            "Stop it to start another.",
            _stop_row(req.user_id, timer),
        )
    return Reply(
        f"⏱ Focus: {duration(timer.minutes)} on {_session(timer)} (“{timer.curriculum_title}”)."
        f"\nI'll tell you when it's over, at {until} ({zone}), and ask whether to log it. "
        "⏹ Stop ends it early.",
        _stop_row(req.user_id, timer),
    )


async def focus_button(req: Request) -> Replies:
    """Stop, Log it, Different or No under a timer (the timer re-read each time)."""
    if len(req.button_args) != 2 or req.button_args[0] not in (STOP, LOG, DIFFERENT, NO):
        raise InvalidInput(payloads.STALE)
    verb, timer_id = req.button_args[0], payloads.uuid_arg(req.button_args[1])
    ctx = req.ctx
    if verb == STOP:
        timer = await stop_focus(StopFocus(req.user_id, timer_id), ctx.uow(), ctx.clock)
        return _stopped(req, timer)
    if verb == LOG:
        logged = await log_focus(LogFocus(req.user_id, timer_id), ctx.uow(), ctx.clock)
        return logged_reply(req, logged, edit=True)
    timer = await focus_timer(req.user_id, timer_id, ctx.uow())
    if timer.logged_at is not None:
        return Reply(ALREADY_LOGGED, edit=True)
    if verb == NO:
        return Reply(f"OK, not logged. {_session(timer).capitalize()} is still next.", edit=True)
    if timer.running(ctx.clock.now()):
        raise InvalidInput("That timer is still running; Stop it first, or wait for its end.")
    asked = await conversations.save(
        req.user_id, FLOW, "minutes", {"timer": timer.id.hex}, ctx.uow(), ctx.clock
    )
    return await _prompt(req, asked)


def _stopped(req: Request, timer: FocusTimer) -> Reply:
    if timer.logged_at is not None:
        return Reply(ALREADY_LOGGED, edit=True)
    focused = timer.focused
    if focused < 1:
        return Reply("⏹ Stopped after less than a minute: nothing to log.", edit=True)
    head = (
        f"⏹ Stopped after {_minutes(focused)}."
        if timer.stopped_at is not None
        else f"⏱ That timer is over: {_minutes(focused)}."
    )
    return Reply(
        f"{head} {_log_question(focused, timer)}", log_buttons(req.user_id, timer), edit=True
    )


async def _prompt(req: Request, conversation: Conversation) -> Reply:
    """Different: the question, with ✖ Cancel (and a form where the platform has one)."""
    return Reply(
        "How many minutes did you focus? (e.g. 20, 45 min or 1h)",
        controls(req, conversation),
        ask=Ask("Log your focus time", "Minutes focused", token=conversation.token),
    )


async def different_answer(req: Request, conversation: Conversation, text: str | None) -> Replies:
    """The minutes typed after Different: logged on the timer's session as the step ends."""
    try:
        minutes = logged_minutes(text or "")
        timer_id = UUID(str(conversation.data["timer"]))
    except InvalidInput as error:
        return [Reply(error.message), await _prompt(req, conversation)]
    except (KeyError, ValueError):
        await conversations.end_step(req.user_id, conversation.token, req.ctx.uow())
        raise InvalidInput(payloads.STALE) from None
    ending = conversations.ending(req.ctx.uow, req.user_id, conversation.token)
    try:
        logged = await log_focus(LogFocus(req.user_id, timer_id, minutes), ending(), req.ctx.clock)
    except InvalidInput:  # already logged, or its session is no longer next: the step ends
        await conversations.end_step(req.user_id, conversation.token, req.ctx.uow())
        raise
    return logged_reply(req, logged)


async def focus_end_notice(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
    """FOCUS_END: the timer is over; log it? None once it was stopped or logged."""
    timer = await focus_timer(user_id, UUID(data["timer_id"]), ctx.uow())
    if timer.stopped_at is not None or timer.logged_at is not None:
        return None
    head = f"⏱ Time's up: {duration(timer.minutes)} of focus."
    if timer.session_done:
        return Reply(f"{head} {_session(timer).capitalize()} is already logged; well done.")
    return Reply(f"{head} {_log_question(timer.minutes, timer)}", log_buttons(user_id, timer))


COMMANDS = [
    Command(
        "focus",
        focus,
        f"a focus timer on your next session: /focus [minutes] (default {DEFAULT_MINUTES})",
        f"/focus [{FOCUS_RANGE[0]}-{FOCUS_RANGE[1]} minutes]",
    ),
]
BUTTONS = {ACTION: focus_button}
FLOWS = {FLOW: different_answer}
PROMPTS = {FLOW: _prompt}
