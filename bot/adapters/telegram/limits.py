"""Rate limits for outgoing requests: Telegram's overall and per-group limits (PTB's
:class:`AIORateLimiter`), one per private chat, the send budget shared by every process on the
token (``budget``: a message waits for its slot), and 429s passed back to the notification
worker, which paces notifications (and takes their budget) itself."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

from bot.handlers.courier import SendBudget

# What Telegram's ~30 a second counts: messages (edits and button answers are not taken).
MESSAGES = frozenset({"sendMessage", "sendPhoto", "sendDocument", "copyMessage", "forwardMessage"})


class ChatRateLimiter(AIORateLimiter):
    """PTB's :class:`AIORateLimiter` (overall and per-group limits, 429 retries) plus a limit
    per private chat: ``per_chat_burst`` messages at once, then ``per_chat_rate`` a second."""

    MAX_TRACKED = 4096

    def __init__(
        self,
        *,
        per_chat_rate: float = 1.0,
        per_chat_burst: int = 3,
        overall_max_rate: float = 30,
        group_max_rate: float = 20,
        max_retries: int = 3,
        on_429: Callable[[], None] = lambda: None,
        budget: SendBudget | None = None,
    ) -> None:
        super().__init__(
            overall_max_rate=overall_max_rate,
            group_max_rate=group_max_rate,
            max_retries=max_retries,
        )
        self._per_chat = (per_chat_rate, per_chat_burst)
        self._chats: dict[int, AsyncLimiter] = {}
        self._on_429 = on_429  # told of each 429 it retries (the worker counts its own)
        self._budget = budget

    async def process_request(
        self,
        callback: Callable[..., Any],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        limiter = self._chat_limiter(data.get("chat_id"))
        if _PACED_BY_WORKER.get():  # the worker waits out a 429 itself, holding all its sends
            callback = _not_retried(callback)
        else:
            callback = _counted(callback, self._on_429)
            if self._budget is not None and endpoint in MESSAGES:
                callback = _budgeted(callback, self._budget)
        try:
            if limiter is None:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            async with limiter:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
        except _NotRetried as passed:
            raise passed.error from None

    def _chat_limiter(self, chat_id: object) -> AsyncLimiter | None:
        rate, burst = self._per_chat
        try:
            chat = int(chat_id)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return None
        if chat <= 0 or not rate:  # groups and channels: AIORateLimiter's group limit
            return None
        limiter = self._chats.get(chat)
        if limiter is None:
            if len(self._chats) >= self.MAX_TRACKED:
                self._chats = {k: v for k, v in self._chats.items() if not v.has_capacity(burst)}
            limiter = self._chats[chat] = AsyncLimiter(burst, burst / rate)
        return limiter


# Set while the notification worker sends (it paces notifications itself, see bot.worker).
_PACED_BY_WORKER: ContextVar[bool] = ContextVar("paced_by_worker", default=False)


@contextmanager
def paced_by_worker() -> Iterator[None]:
    """Within: a 429 is not retried by :class:`ChatRateLimiter` but raised, for the worker."""
    paced = _PACED_BY_WORKER.set(True)
    try:
        yield
    finally:
        _PACED_BY_WORKER.reset(paced)


class _NotRetried(Exception):
    """Carries a 429 past AIORateLimiter's retries, to the caller that waits it out."""

    def __init__(self, error: RetryAfter) -> None:
        super().__init__(str(error))
        self.error = error


def _counted(callback: Callable[..., Any], on_429: Callable[[], None]) -> Callable[..., Any]:
    async def counted(*args: Any, **kwargs: Any) -> Any:
        try:
            return await callback(*args, **kwargs)
        except RetryAfter:
            on_429()
            raise

    return counted


def _budgeted(callback: Callable[..., Any], budget: SendBudget) -> Callable[..., Any]:
    """Each attempt (a retry after a 429 too) waits for its slot in the shared budget, taken
    after the per-chat limit let it through (so no slot is reserved and then left waiting)."""

    async def in_budget(*args: Any, **kwargs: Any) -> Any:
        wait = await budget.take()
        if wait:
            await asyncio.sleep(wait)
        return await callback(*args, **kwargs)

    return in_budget


def _not_retried(callback: Callable[..., Any]) -> Callable[..., Any]:
    async def once(*args: Any, **kwargs: Any) -> Any:
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as error:
            raise _NotRetried(error) from error

    return once
