"""The warning before an inactive account is deleted, and its "Keep my account" button.

Writing anything at all also keeps the account (the dispatcher records every person's
activity); the button is the one-press way, and says so.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from bot.handlers import payloads
from bot.handlers.base import Button, Command, Context, Handler, Reply, Request, rows
from domain.accounts import retention

KEEP = "keep"  # the button's payload action


async def inactive_notice(ctx: Context, user_id: UUID, data: dict[str, Any]) -> Reply | None:
    """``account_inactive``: the account goes on ``data["delete_on"]`` unless kept."""
    on = date.fromisoformat(data["delete_on"])
    return Reply(
        "👋 You haven't used Syllabot for a long time, so I will delete your account and "
        f"everything in it on {on.day} {on:%B %Y}, unless you keep it: press the button, or "
        "write me anything. Want a copy first? Send /export.",
        rows(Button("Keep my account", payloads.encode(user_id, KEEP))),
    )


async def keep_button(req: Request) -> Reply:
    """The person keeps their account: it counts as activity, the warning is withdrawn."""
    await retention.keep_account(req.user_id, req.ctx.uow(), req.ctx.clock)
    return Reply("Glad you're staying! Your account and everything in it stay as they are.")


COMMANDS: list[Command] = []
BUTTONS: dict[str, Handler] = {KEEP: keep_button}
