"""At most once: a platform update that arrives a second time has no second effect.

Telegram delivers an update again when a webhook answer was lost or when the bot crashed before
confirming it to ``getUpdates``. The handler layer (``Dispatcher.handle_update``) claims
``(platform, update_id)`` in its own, committed transaction *before* handling the update, and
skips the update when the claim already existed. A first claim also makes the sender reachable
again (they wrote to us, so they no longer block the bot), whatever the bot has cached about them;
a redelivery does not (it was written before, perhaps before they blocked the bot).

That makes handling at-most-once: a crash between the claim and the reply loses that one
update (the learner sends it again), but nothing is ever done twice. Claims are kept for
:data:`KEEP` (Telegram keeps an undelivered update for at most 24 hours) and then forgotten,
which also matters because Telegram restarts update ids at a random value after a week
without updates.
"""

from __future__ import annotations

from datetime import timedelta

from domain.accounts.model import Identity
from domain.shared.clock import Clock
from domain.unit_of_work import UnitOfWork

KEEP = timedelta(hours=48)

# Several processes (webhook mode behind one address): an update is claimed as it *arrives*,
# before the webhook answers 200, and handled in the person's turn (``Turns``): not while an
# earlier update of theirs that arrived (in any process) waits to be handled. One that has
# waited this long is taken for lost (its process died: at most once, as above).
ORDER_WAIT = timedelta(seconds=15)


async def first_delivery(
    platform: str, update_id: int, sender: Identity, uow: UnitOfWork, clock: Clock
) -> bool:
    """Claim one update; the first time, also mark its sender reachable again.

    Args:
        platform: whose update ids these are, at most 20 characters; Telegram's are per bot,
            so its adapter uses ``"telegram:<bot id>"``.
        update_id: the platform's id of the update.
        sender: who sent it; if they had blocked the bot, they are reachable again.
        uow: a fresh unit of work; the claim is committed before this returns.
        clock: when the claim is made (and later forgotten).

    Returns:
        True the first time an update is claimed; False for every later delivery of it.
    """
    async with uow:
        first = await uow.deliveries.claim(platform, update_id, sender, at=clock.now())
        await uow.commit()
    return first


async def arrived(
    platform: str, update_id: int, sender: Identity, uow: UnitOfWork, clock: Clock
) -> bool:
    """Claim one update as it arrives, to be handled later in its sender's turn; like
    :func:`first_delivery` otherwise (True the first time, the sender reachable again).

    Arrival order, across processes, is the order of these claims: an update claimed before
    another of the same person started being handled is handled first, and of two waiting at
    once the lower update id goes first (Telegram numbers updates as they happen).
    """
    async with uow:
        first = await uow.deliveries.claim(
            platform, update_id, sender, at=clock.now(), waiting=True
        )
        await uow.commit()
    return first


async def forget_old_deliveries(uow: UnitOfWork, clock: Clock, keep: timedelta = KEEP) -> int:
    """Drop claims older than ``keep``; returns how many were dropped."""
    async with uow:
        dropped = await uow.deliveries.forget_before(clock.now() - keep)
        await uow.commit()
    return dropped
