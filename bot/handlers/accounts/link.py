"""/link: one account on several platforms (Telegram, Discord, the terminal)."""

from __future__ import annotations

from bot.handlers.base import Command, Handler, Reply, Request
from domain.accounts import linking

SHOW = (
    "🔗 Your link code: {code}\n\n"
    "On your other platform (Telegram, Discord or the terminal), send /link {code} within "
    "10 minutes. It works once; a new /link replaces it. Both accounts become one: "
    "curricula, notes, streaks, bookings and settings are merged. Keep the code to yourself."
)


LINKED = (
    "🔗 Linked: {platforms} are now one account. Your curricula, progress, notes, bookings "
    "and settings are together; use either."
)


async def link(req: Request) -> Reply:
    """Show a code to enter on another platform, or enter one: /link [code]."""
    if not req.args:
        code = await linking.new_code(req.user_id, req.ctx.uow(), req.ctx.clock)
        return Reply(SHOW.format(code=code.code))
    linked = await linking.link(req.user_id, req.args, req.ctx.uow(), req.ctx.clock)
    req.ctx.forget_user(linked.merged)
    return Reply(LINKED.format(platforms=" and ".join(p.title() for p in linked.platforms)))


COMMANDS = [
    Command("link", link, "use one account on Telegram and Discord: /link [code]", "[code]"),
]


BUTTONS: dict[str, Handler] = {}
