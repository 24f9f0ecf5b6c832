"""How updates run: PTB's hook, with a first look at each update and one line per user."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.handlers.ordering import InOrder

# The first look at an update from a user, before it waits for their earlier ones: may it run?
Arrived = Callable[[Update, int], Awaitable[bool]]
# The user's turn across processes for an update (see bot.handlers.router.Dispatcher.turn).
Shared = Callable[[Update, int], AbstractAsyncContextManager[None]]


def _alone(update: Update, user: int) -> AbstractAsyncContextManager[None]:
    return nullcontext()


class UpdateProcessor(BaseUpdateProcessor):
    """PTB's hook for running updates. As an update arrives, ``arrived`` decides whether it
    runs (flood control; a button press is answered there, at once). Then it waits for the
    same user's earlier updates, so one user's updates run in order and one at a time, while
    different users' updates run concurrently. With ``shared`` (several processes receiving),
    an update then also waits for the user's turn across processes, held while it runs."""

    def __init__(self, arrived: Arrived, shared: Shared = _alone) -> None:
        super().__init__(max_concurrent_updates=65_536)  # arrivals are never held back
        self._arrived = arrived
        self._shared = shared
        self._lines = InOrder()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        user = sender(update)
        if not isinstance(update, Update) or user is None:
            await coroutine
            return
        admitted = False
        try:
            with self._lines.join(user) as turn:  # before anything suspends: arrival order
                admitted = await self._arrived(update, user)
                await turn.wait()
                async with self._shared(update, user):  # skipped ones end their turn too
                    if admitted:
                        await coroutine
        finally:
            if not admitted and asyncio.iscoroutine(coroutine):
                coroutine.close()  # skipped: never started


def sender(update: object) -> int | None:
    """The Telegram user (or, failing that, the chat) an update comes from."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    return update.effective_chat.id if update.effective_chat is not None else None
