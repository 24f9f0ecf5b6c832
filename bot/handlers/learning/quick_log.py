"""Logging by plain message: "studied 40 min of verbs" is answered with one tap to confirm
("Log 40 min on session 3, Irregular verbs?"), or a button per plan when it is not clear
which plan; nothing is logged without the tap."""

from __future__ import annotations

from bot.handlers import payloads
from bot.handlers.base import Button, Command, Handler, Reply, Request, rows
from bot.handlers.formatting import duration
from bot.handlers.learning.progress import logged_reply
from domain.learning import quick_log
from domain.learning.model import PlanChoiceToLog
from domain.learning.plain_log import parse_plain_log
from domain.shared.errors import InvalidInput

ACTION = "ql"  # ql:<token>:<plan index | n>
NO = "n"


def _session(plan: PlanChoiceToLog) -> str:
    return f"session {plan.session_number}, {plan.session_title}"


async def plain_message(req: Request) -> Reply | None:
    """A plain message that tells of a session: the proposal to confirm; None when it does
    not (the dispatcher answers as before)."""
    told = parse_plain_log(req.args)
    if told is None:
        return None
    proposal = await quick_log.propose(req.user_id, told, req.ctx.uow, req.ctx.clock)

    def button(label: str, choice: str) -> Button:
        return Button(label, payloads.encode(req.user_id, ACTION, proposal.token, choice))

    no = button("No", NO)
    note = "" if proposal.note is None else f"\nNote: “{proposal.note}”"
    what = duration(proposal.minutes)
    if len(proposal.named) == 1:
        plan = proposal.plans[proposal.named[0]]
        where = _session(plan)
        if len(proposal.plans) > 1:
            where += f" of “{plan.curriculum_title}”"
        return Reply(
            f"Log {what} on {where}?{note}",
            rows(button("Log it", str(proposal.named[0])), no),
        )
    offered = proposal.named or tuple(range(len(proposal.plans)))
    choices = [
        button(
            f"{proposal.plans[i].curriculum_title} · {proposal.plans[i].session_number}. "
            f"{proposal.plans[i].session_title}"[:60],
            str(i),
        )
        for i in offered
    ]
    return Reply(
        f"Log {what} on which plan? Its next session gets it.{note}",
        rows(*choices, no, per_row=1),
    )


async def confirm_button(req: Request) -> Reply:
    """Log it (a plan's button) or No under a proposal."""
    if len(req.button_args) != 2:
        raise InvalidInput(payloads.STALE)
    token, choice = req.button_args
    ctx = req.ctx
    if choice == NO:
        await quick_log.dismiss(req.user_id, token, ctx.uow, ctx.clock)
        return Reply("OK, nothing logged.", edit=True)
    index = payloads.int_arg(choice, low=0, high=quick_log.MAX_PLANS - 1)
    logged = await quick_log.confirm(req.user_id, token, index, ctx.uow, ctx.clock)
    return logged_reply(req, logged, edit=True)


COMMANDS: list[Command] = []
BUTTONS: dict[str, Handler] = {ACTION: confirm_button}
