"""Telegram: the platform-neutral handlers on python-telegram-bot v22.

How one update travels:

1. Long polling (``getUpdates``) or PTB's webhook server (which answers 403 to a request
   without the right ``X-Telegram-Bot-Api-Secret-Token``) puts it in the Application's queue.
2. :class:`UpdateProcessor`, as it arrives: flood control per user (a token bucket; a user over
   the limit gets one polite notice and is then skipped), and a button press is answered with
   ``answerCallbackQuery`` at once, before any database work. After that one user's updates
   run one at a time and in order, while different users run concurrently.
3. The message or button handler claims the update id (``first_delivery``);
   an update delivered a second time stops there.
4. The :class:`~bot.handlers.router.Dispatcher` answers with platform-neutral replies, rendered
   here: text HTML-escaped and split at 4,096 characters on line boundaries, buttons as inline
   keyboards, ``edit`` replies to a button press edit that message in place.

Every outgoing request goes through :class:`ChatRateLimiter` (about 30 messages a second
overall, 20 a minute per group, about one a second per private chat; a 429 is waited out and
the request retried, except for notifications: the worker paces those and waits out 429s).
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import Enum
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from aiolimiter import AsyncLimiter
from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeDefault,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType, MessageLimit, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.adapters.text import split_text
from bot.handlers.base import Button, Incoming, Reply
from bot.handlers.courier import BLOCKED, SENT, Delivery
from bot.handlers.router import FAILURE, Dispatcher
from domain.accounts import inbound
from domain.accounts.model import Identity

logger = logging.getLogger(__name__)

PLATFORM = "telegram"
ALLOWED_UPDATES = ("message", "callback_query")
SLOW_DOWN = (
    "You're sending messages faster than I can answer them, so I'm skipping some. "
    "Please wait a few seconds, then carry on."
)
SLOW_DOWN_TOAST = "Slow down a little, please; that press was skipped."
PRIVATE_CHAT_LABEL = "💬 Open our private chat"
PRUNE_EVERY = 3600.0  # seconds between two sweeps of old update claims
# HTTP connections to the Bot API. PTB's default of 256 makes httpcore's pool bookkeeping
# (quadratic in connections) the bottleneck under load; Telegram's 30 messages a second need few.
CONNECTIONS = 16
# Updates in the handlers at once (claim, dispatch; sending replies is not counted). No more
# than the database has connections: more would only queue there, and a crowd of runnable
# tasks slows everything else on the event loop (button answers, the next getUpdates).
WORKING = 10


class TelegramUnavailable(Exception):
    """The bot cannot start on Telegram; the message says why in one line."""


@dataclass(frozen=True)
class Webhook:
    """Webhook mode: Telegram posts updates to ``url``; PTB's server listens on listen:port."""

    url: str
    secret: str
    listen: str = "127.0.0.1"
    port: int = 8443

    @property
    def path(self) -> str:
        """The path PTB's server answers on: the URL's own (a proxy forwards it unchanged)."""
        return urlsplit(self.url).path or "/"


@dataclass(frozen=True)
class FloodLimit:
    """Per user: a burst of ``burst`` updates, refilled at ``per_second``."""

    burst: int = 8
    per_second: float = 1.0


class Verdict(Enum):
    ALLOW = "allow"
    NOTICE = "notice"  # over the limit for the first time: say so once
    DROP = "drop"  # over the limit again: skip silently


class FloodGate:
    """Token buckets per user, kept in memory (one bot process sees all of a user's updates)."""

    MAX_TRACKED = 10_000

    def __init__(self, limit: FloodLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self._clock = clock
        self._buckets: dict[int, tuple[float, float, bool]] = {}  # tokens, at, noticed

    def admit(self, user: int) -> Verdict:
        now = self._clock()
        tokens, at, noticed = self._buckets.get(user, (float(self._limit.burst), now, False))
        tokens = min(float(self._limit.burst), tokens + (now - at) * self._limit.per_second)
        if tokens >= 1.0:
            self._remember(user, (tokens - 1.0, now, False))
            return Verdict.ALLOW
        self._remember(user, (tokens, now, True))
        return Verdict.DROP if noticed else Verdict.NOTICE

    def _remember(self, user: int, bucket: tuple[float, float, bool]) -> None:
        self._buckets[user] = bucket
        if len(self._buckets) > self.MAX_TRACKED:  # forget the users whose bucket is full again
            now, limit = self._clock(), self._limit
            self._buckets = {
                key: (tokens, at, noticed)
                for key, (tokens, at, noticed) in self._buckets.items()
                if tokens + (now - at) * limit.per_second < limit.burst
            }


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
    ) -> None:
        super().__init__(
            overall_max_rate=overall_max_rate,
            group_max_rate=group_max_rate,
            max_retries=max_retries,
        )
        self._per_chat = (per_chat_rate, per_chat_burst)
        self._chats: dict[int, AsyncLimiter] = {}

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


class _NotRetried(Exception):
    """Carries a 429 past AIORateLimiter's retries, to the caller that waits it out."""

    def __init__(self, error: RetryAfter) -> None:
        super().__init__(str(error))
        self.error = error


def _not_retried(callback: Callable[..., Any]) -> Callable[..., Any]:
    async def once(*args: Any, **kwargs: Any) -> Any:
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as error:
            raise _NotRetried(error) from error

    return once


def _sender(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    return update.effective_chat.id if update.effective_chat is not None else None


class UpdateProcessor(BaseUpdateProcessor):
    """PTB's hook for running updates. As an update arrives: flood control, and a button press
    is answered. Then it waits for the same user's earlier updates, so one user's updates run
    in order and one at a time, while different users' updates run concurrently."""

    def __init__(self, adapter: TelegramAdapter) -> None:
        super().__init__(max_concurrent_updates=65_536)  # arrivals are never held back
        self._adapter = adapter
        self._last: dict[int, asyncio.Future[None]] = {}  # per user: done when its last is

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        user = _sender(update)
        if user is None:
            await coroutine
            return
        # Take a place in the user's line before anything can suspend: arrival order is kept.
        previous = self._last.get(user)
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._last[user] = mine
        admitted = False
        try:
            admitted = await self._adapter.arrived(update, user)
            if previous is not None:
                await asyncio.shield(previous)
            if admitted:
                await coroutine
        finally:
            if not admitted and asyncio.iscoroutine(coroutine):
                coroutine.close()  # skipped: never started
            mine.set_result(None)
            if self._last.get(user) is mine:
                del self._last[user]


class TelegramAdapter:
    """The bot on Telegram: ``async with TelegramAdapter(dispatcher, token): ...``.

    Start-up publishes the command menu, then polls (or, with ``webhook``, serves the webhook);
    leaving the block stops fetching, finishes the updates already taken and closes everything.
    """

    def __init__(
        self,
        dispatcher: Dispatcher,
        token: str,
        *,
        base_url: str | None = None,
        webhook: Webhook | None = None,
        poll_timeout: float = 10.0,
        flood: FloodLimit | None = FloodLimit(),
        rate_limiter: AIORateLimiter | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        connection_pool_size: int = CONNECTIONS,
        max_working: int = WORKING,
        receive: bool = True,
    ) -> None:
        self._dispatcher = dispatcher
        self._receive = receive  # False: only send (a `syllabot worker` delivering reminders)
        self._webhook = webhook
        self._poll_timeout = poll_timeout
        self._flood = FloodGate(flood, monotonic) if flood is not None else None
        builder = (
            Application.builder()
            .token(token)
            .job_queue(None)
            .concurrent_updates(UpdateProcessor(self))
            .rate_limiter(rate_limiter if rate_limiter is not None else ChatRateLimiter())
            .connection_pool_size(connection_pool_size)
        )
        if base_url:
            builder = builder.base_url(base_url)
        self.application: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        self.application.add_handler(
            MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT, self._on_text)
        )
        self.application.add_handler(CallbackQueryHandler(self._on_button))
        self.application.add_error_handler(self._on_error)
        self._pruner: asyncio.Task[None] | None = None
        self._working = asyncio.Semaphore(max_working)

    # -- life cycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> TelegramAdapter:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def username(self) -> str:
        return self.application.bot.username

    @property
    def stream(self) -> str:
        """Whose update ids these are (they are numbered per bot)."""
        return f"{PLATFORM}:{self.application.bot.id}"

    async def start(self) -> None:
        """Connect (``getMe``), publish the commands, forget old update claims, start fetching."""
        app = self.application
        try:
            await app.initialize()
        except InvalidToken:
            raise TelegramUnavailable("Telegram rejected the bot token") from None
        if not self._receive:
            logger.info("Telegram: @%s, sending only", self.username)
            return
        try:
            await self._publish_commands()
            await self._forget_old_deliveries()
            updater = app.updater
            assert updater is not None
            if self._webhook is not None:
                await updater.start_webhook(
                    listen=self._webhook.listen,
                    port=self._webhook.port,
                    url_path=self._webhook.path,
                    webhook_url=self._webhook.url,
                    secret_token=self._webhook.secret,
                    allowed_updates=ALLOWED_UPDATES,
                )
            else:
                await updater.start_polling(
                    poll_interval=0.0,
                    timeout=timedelta(seconds=self._poll_timeout),
                    allowed_updates=ALLOWED_UPDATES,
                    error_callback=self._polling_failed,
                )
            await app.start()
        except BaseException:
            await self._close()
            raise
        self._pruner = asyncio.create_task(self._prune_periodically(), name="telegram-prune")
        logger.info(
            "Telegram: @%s is %s", self.username, "on its webhook" if self._webhook else "polling"
        )

    async def stop(self) -> None:
        """Stop fetching, let the updates already taken finish, and close the connections."""
        if self._pruner is not None:
            self._pruner.cancel()
            self._pruner = None
        await self._close()

    async def _close(self) -> None:
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    async def _publish_commands(self) -> None:
        commands = [c for c in self._dispatcher.commands.values() if _valid_command(c.name)]
        menus = (
            (BotCommandScopeDefault(), commands),
            (BotCommandScopeAllGroupChats(), [c for c in commands if not c.personal]),
        )
        for scope, listed in menus:
            try:
                await self.application.bot.set_my_commands(
                    [BotCommand(c.name, c.summary[:256] or c.name) for c in listed], scope=scope
                )
            except TelegramError as error:
                logger.warning("Telegram: could not publish the command menu: %s", error)

    async def _forget_old_deliveries(self) -> None:
        ctx = self._dispatcher.ctx
        try:
            dropped = await inbound.forget_old_deliveries(ctx.uow(), ctx.clock)
        except Exception:
            logger.exception("Telegram: could not forget old update claims")
            return
        logger.debug("Telegram: forgot %d old update claims", dropped)

    async def _prune_periodically(self) -> None:
        while True:
            await asyncio.sleep(PRUNE_EVERY)
            await self._forget_old_deliveries()

    def _polling_failed(self, error: TelegramError) -> None:
        logger.warning("Telegram: getUpdates failed (retrying): %s", error)

    # -- arrival: flood control and button answers ---------------------------------------------

    async def arrived(self, update: object, user: int) -> bool:
        """First look at an update, before it waits for the user's earlier ones: may it run?"""
        verdict = self._flood.admit(user) if self._flood is not None else Verdict.ALLOW
        if not isinstance(update, Update):
            return verdict is Verdict.ALLOW
        query = update.callback_query
        if query is not None:
            await _answer(query, None if verdict is Verdict.ALLOW else SLOW_DOWN_TOAST)
        if verdict is Verdict.NOTICE and query is None and update.effective_chat is not None:
            logger.info("Telegram: user %s is flooding; skipping their updates for now", user)
            try:
                await self.application.bot.send_message(update.effective_chat.id, SLOW_DOWN)
            except TelegramError as error:
                logger.warning("Telegram: could not send the slow-down notice: %s", error)
        return verdict is Verdict.ALLOW

    # -- handlers ------------------------------------------------------------------------------

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is None or message.text is None or message.from_user is None:
            return
        if self._for_another_bot(message.text):
            return
        incoming = Incoming(
            identity=_identity(message.from_user),
            text=message.text,
            private=message.chat.type == ChatType.PRIVATE,
        )
        async with self._working:
            if not await self._first_delivery(update):
                return
            replies = await self._dispatcher.handle(incoming)
        await self._deliver(update, replies, message.chat.id, quote=message)

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or query.data is None or not isinstance(query.message, Message):
            return  # no chat to answer in (inline messages are not used)
        chat = query.message.chat
        private = chat.type == ChatType.PRIVATE
        if private and chat.id != query.from_user.id:
            return  # a private chat's buttons can only be pressed by its user: forged
        incoming = Incoming(
            identity=_identity(query.from_user), payload=query.data, private=private
        )
        async with self._working:
            if not await self._first_delivery(update):
                return
            replies = await self._dispatcher.handle(incoming)
        await self._deliver(update, replies, chat.id, pressed=query.message)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log an unexpected error with its update id; tell the user nothing was changed."""
        update_id = update.update_id if isinstance(update, Update) else None
        logger.error(
            "Telegram: update %s failed; the user was told nothing was changed",
            update_id,
            exc_info=context.error,
        )
        if isinstance(update, Update) and update.effective_chat is not None:
            try:
                await self.application.bot.send_message(update.effective_chat.id, FAILURE)
            except TelegramError as error:
                logger.warning(
                    "Telegram: could not report the failure of %s: %s", update_id, error
                )

    async def _first_delivery(self, update: Update) -> bool:
        ctx = self._dispatcher.ctx
        first = await inbound.first_delivery(self.stream, update.update_id, ctx.uow(), ctx.clock)
        if not first:
            logger.info("Telegram: update %s was delivered again; skipped", update.update_id)
        return first

    def _for_another_bot(self, text: str) -> bool:
        """``/done@OtherBot`` in a group is meant for another bot."""
        if not text.startswith("/"):
            return False
        _, at, bot = text.split(maxsplit=1)[0].partition("@")
        return bool(at) and bot.lower() != (self.username or "").lower()

    # -- rendering -----------------------------------------------------------------------------

    async def _deliver(
        self,
        update: Update,
        replies: Sequence[Reply],
        chat_id: int,
        *,
        quote: Message | None = None,
        pressed: Message | None = None,
    ) -> None:
        """Send (or edit) the replies in order. A failure to deliver is logged: the handler's
        work is done by now, so the user must not be told that nothing was changed."""
        for reply in replies:
            try:
                await self._render(reply, chat_id, quote=quote, pressed=pressed)
            except TelegramError:
                logger.exception(
                    "Telegram: could not deliver a reply to update %s", update.update_id
                )
                return
            pressed = None  # only the first reply may replace the pressed message

    async def _render(
        self,
        reply: Reply,
        chat_id: int,
        *,
        quote: Message | None,
        pressed: Message | None,
    ) -> None:
        bot = self.application.bot
        parts = [p for p in split_text(reply.text, MessageLimit.MAX_TEXT_LENGTH) if p.strip()]
        parts = parts or ["…"]
        markup = self._markup(reply)
        if reply.edit and pressed is not None:
            first, parts = parts[0], parts[1:]
            try:
                await bot.edit_message_text(
                    _html(first),
                    chat_id=chat_id,
                    message_id=pressed.message_id,
                    parse_mode=ParseMode.HTML,
                    reply_markup=None if parts else markup,
                    link_preview_options=NO_PREVIEW,
                )
            except BadRequest as error:
                if "not modified" not in str(error).lower():
                    logger.info("Telegram: edit failed (%s); sending instead", error)
                    parts = [first, *parts]
        reply_to = (
            ReplyParameters(quote.message_id, allow_sending_without_reply=True)
            if quote is not None and quote.chat.type != ChatType.PRIVATE
            else None
        )
        for number, part in enumerate(parts, start=1):
            await bot.send_message(
                chat_id,
                _html(part),
                parse_mode=ParseMode.HTML,
                reply_markup=markup if number == len(parts) else None,
                reply_parameters=reply_to if number == 1 else None,
                link_preview_options=NO_PREVIEW,
            )

    async def send(self, recipient: str, reply: Reply) -> Delivery:
        """Courier for notifications: write to the person's private chat with the bot.

        The worker paces notifications (``bot.worker.PACES``), so a 429 comes straight back
        as a retry for the worker to wait out (the rate limiter, shared with the replies to
        updates, still counts these messages but does not retry them). A 403 means the
        person blocked the bot.
        """
        paced = _PACED_BY_WORKER.set(True)
        try:
            await self._render(
                replace(reply, edit=False), int(recipient), quote=None, pressed=None
            )
        except Forbidden:
            return BLOCKED
        except RetryAfter as error:
            after = error.retry_after
            seconds = after.total_seconds() if isinstance(after, timedelta) else float(after)
            return Delivery(retry_after=seconds)
        finally:
            _PACED_BY_WORKER.reset(paced)
        return SENT

    def _markup(self, reply: Reply) -> InlineKeyboardMarkup | None:
        keyboard = [[self._button(button) for button in row] for row in reply.buttons if row]
        if reply.open_private is not None:
            keyboard.append(
                [
                    InlineKeyboardButton(
                        PRIVATE_CHAT_LABEL, url=self.private_link(reply.open_private)
                    )
                ]
            )
        return InlineKeyboardMarkup(keyboard) if keyboard else None

    @staticmethod
    def _button(button: Button) -> InlineKeyboardButton:
        if button.url is not None:
            return InlineKeyboardButton(button.label, url=button.url)
        return InlineKeyboardButton(button.label, callback_data=button.payload)

    def private_link(self, start: str = "") -> str:
        """``https://t.me/<bot>``, opening the private chat (with ``/start <start>``)."""
        link = f"https://t.me/{self.username}"
        return f"{link}?start={start}" if start else link


NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def _html(text: str) -> str:
    """Handlers write plain text: every ``<``, ``>`` and ``&`` shows literally."""
    return html.escape(text, quote=False)


def _identity(user: Any) -> Identity:
    # A user's private chat with the bot has the user's id: that is where they are reached.
    name = user.full_name or user.username or ""
    return Identity(PLATFORM, str(user.id), chat_id=str(user.id), display_name=name)


def _valid_command(name: str) -> bool:
    return re.fullmatch(r"[a-z0-9_]{1,32}", name) is not None


async def _answer(query: CallbackQuery, text: str | None) -> None:
    try:
        await query.answer(text)
    except TelegramError as error:  # too old (e.g. pressed before a restart): nothing to do
        logger.debug("Telegram: could not answer callback query %s: %s", query.id, error)
