"""The booking walk's share step, between the time and the quote: "Share a plan with
<expert>?" with each of the learner's active plans and Don't share (the default: a learner
with no active plan is not asked). The choice rides in the walk to ✅ Confirm, where the plan
is shared with the booking in the booking's transaction (``plan_shares.share_in``, which checks
again that it is the learner's own active plan)."""

from __future__ import annotations

from domain.accounts import conversations
from domain.marketplace.booking_walk import _at, _quote
from domain.marketplace.commands import QuoteShown
from domain.marketplace.model import Policy
from domain.marketplace.share_commands import ChooseShare
from domain.shared.clock import Clock
from domain.shared.errors import InvalidInput
from domain.unit_of_work import UnitOfWork


async def choose_share(
    cmd: ChooseShare, uow: UnitOfWork, clock: Clock, policy: Policy
) -> QuoteShown:
    """A plan to share (or none): then the confirmation question, with the quote."""
    now = clock.now()
    async with uow:
        walk = await _at(uow, cmd.user_id, cmd.token, "share", now)
        plans = walk.data.get("plans")
        share, note = None, "🔒 No plan shared. "
        if cmd.index is not None:
            if not isinstance(plans, list) or not 0 <= cmd.index < len(plans):
                raise InvalidInput(conversations.STALE)
            share = str(plans[cmd.index][0])
            name = str(walk.data["name"])
            note = f"📎 {name} will see “{plans[cmd.index][1]}” until the session ends. "
        data = {**walk.data, "share": share}
        walk = await conversations.advance(uow, cmd.user_id, walk, "confirm", data, now)
        await uow.commit()
    return _quote(walk, policy, note=note)
