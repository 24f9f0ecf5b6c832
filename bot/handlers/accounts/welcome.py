"""What /start (and a chat that opens) says: the welcome on a person's first contact, then
"welcome back" with the next session of their current plan."""

from __future__ import annotations

from bot.handlers.base import Reply, Request
from domain.learning.curricula import current_curriculum
from domain.learning.model import CurriculumStatus
from domain.shared.errors import NotFound

WELCOME = (
    "👋 Hi {name}! I'm Syllabot, your study companion.\n"
    "Tell me what you want to learn and I'll plan it as numbered sessions. Log each session "
    "when you finish it, add notes, and I'll keep your progress and your daily streak.\n\n"
    "Start with /new, set your time zone with /timezone, and see /help for everything."
)
WELCOME_BACK = "👋 Welcome back to Syllabot, {name}!"
NO_PLAN = "You have no plan yet: /new plans one."
MORE = "/help lists everything I can do."
LEFT_OPEN = "Here is where we left off (/cancel leaves it):"


def _name(req: Request) -> str:
    return req.incoming.identity.display_name or "there"


def welcome(req: Request) -> Reply:
    """The full welcome, for someone who has never written before (or a group)."""
    return Reply(WELCOME.format(name=_name(req)))


async def welcome_back(req: Request, *, left_open: bool = False) -> Reply:
    """Welcome back, with the next session of the current plan (or how to make one);
    ``left_open``: the step of a wizard left open is shown next."""
    lines = [WELCOME_BACK.format(name=_name(req))]
    try:
        c = await current_curriculum(req.user_id, req.ctx.uow())
    except NotFound:
        lines.append(NO_PLAN)
    else:
        session = c.next_session
        if session is None:
            lines.append(f"Every session of “{c.title}” is done. 🎉 /new plans something new.")
        else:
            lines.append(
                f"Next up in “{c.title}”: session {session.number} of {c.total_sessions}, "
                f"{session.title}."
            )
            if c.status is CurriculumStatus.PAUSED:
                lines.append(f"“{c.title}” is paused; /resume it to log sessions.")
            else:
                lines.append("/next shows it in detail; /done logs it when you've finished.")
    lines.append(LEFT_OPEN if left_open else MORE)
    return Reply("\n".join(lines))
