"""Multi-step flows (wizards) whose state lives in the database, not in process memory.

Each step gets a fresh random ``token`` that the step's buttons carry, so a button from an
earlier step, an expired flow, or somebody else's chat is recognised as stale.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from uuid import UUID

from domain.accounts.model import Conversation
from domain.shared.clock import Clock
from domain.unit_of_work import UnitOfWork

FLOW_TTL = timedelta(hours=12)


def new_token() -> str:
    return secrets.token_hex(4)


async def current(user_id: UUID, uow: UnitOfWork, clock: Clock) -> Conversation | None:
    """The user's unfinished flow, or None (an expired one is treated as gone)."""
    async with uow:
        conversation = await uow.conversations.get(user_id)
    if conversation is None or conversation.expires_at <= clock.now():
        return None
    return conversation


async def save(
    user_id: UUID, flow: str, step: str, data: dict[str, object], uow: UnitOfWork, clock: Clock
) -> Conversation:
    """Start a flow or move it to ``step``, replacing any other flow of the user."""
    conversation = Conversation(flow, step, data, new_token(), clock.now() + FLOW_TTL)
    async with uow:
        await uow.conversations.put(user_id, conversation)
        await uow.commit()
    return conversation


async def end(user_id: UUID, uow: UnitOfWork) -> None:
    async with uow:
        await uow.conversations.clear(user_id)
        await uow.commit()
