"""The Telegram adapter: life cycle, the first look at each update, the handlers, the courier."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeDefault,
    CallbackQuery,
    Message,
    Update,
)
from telegram.constants import ChatAction, ChatType
from telegram.error import Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.adapters.lifecycle import Lifecycle, PlatformUnavailable
from bot.adapters.telegram import render
from bot.adapters.telegram.flood import FloodGate, FloodLimit, Verdict
from bot.adapters.telegram.limits import ChatRateLimiter, paced_by_worker
from bot.adapters.telegram.processor import UpdateProcessor
from bot.adapters.telegram.webhook import Webhook, WebhookServer
from bot.adapters.typing import typing_while_slow
from bot.handlers.base import Identity, Incoming, Reply
from bot.handlers.courier import BLOCKED, SENT, Delivery, SendBudget
from bot.handlers.router import FAILURE, Dispatcher

logger = logging.getLogger(__name__)

PLATFORM = "telegram"
ALLOWED_UPDATES = ("message", "callback_query")
SLOW_DOWN = (
    "You're sending messages faster than I can answer them, so I'm skipping some. "
    "Please wait a few seconds, then carry on."
)
SLOW_DOWN_TOAST = "Slow down a little, please; that press was skipped."
# HTTP connections to the Bot API. PTB's default of 256 makes httpcore's pool bookkeeping
# (quadratic in connections) the bottleneck under load; Telegram's 30 messages a second need few.
CONNECTIONS = 16
# Updates in the handlers at once (claim, dispatch; sending replies is not counted). No more
# than the database has connections: more would only queue there, and a crowd of runnable
# tasks slows everything else on the event loop (button answers, the next getUpdates).
WORKING = 10
TYPING_AFTER = 1.0  # seconds an answer may take before the chat shows "typing…"
TYPING_EVERY = 4.5  # Telegram shows a chat action for about five seconds
POLL_FAILED_FOR = 60.0  # seconds after a getUpdates failure that the adapter counts as down


class TelegramUnavailable(PlatformUnavailable):
    """The bot cannot start on Telegram; the message says why in one line."""


class TelegramAdapter(Lifecycle):
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
        typing_after: float = TYPING_AFTER,
        budget: SendBudget | None = None,
    ) -> None:
        self._dispatcher = dispatcher
        self._typing_after = typing_after
        self._receive = receive  # False: only send (a `syllabot worker` delivering reminders)
        self._webhook = webhook
        self._poll_timeout = poll_timeout
        self._flood = FloodGate(flood, monotonic) if flood is not None else None
        self._poll_failed_at: float | None = None  # when getUpdates last failed
        self._started = False  # initialized (getMe answered), until stopped
        self._monotonic = monotonic

        def counted() -> None:
            dispatcher.ctx.meter.rate_limited(PLATFORM)

        builder = (
            Application.builder()
            .token(token)
            .job_queue(None)
            .concurrent_updates(UpdateProcessor(self.arrived, self._shared_turn))
            .rate_limiter(
                rate_limiter
                if rate_limiter is not None
                else ChatRateLimiter(on_429=counted, budget=budget)
            )
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
        self._server: WebhookServer | None = None
        self._working = asyncio.Semaphore(max_working)
        self._arrivals: set[int] = set()  # claimed on arrival (webhook), not yet handled

    # -- life cycle ---------------------------------------------------------------------------

    @property
    def username(self) -> str:
        return self.application.bot.username

    @property
    def connected(self) -> bool:
        """Started and, when it takes updates, fetching them (or serving the webhook) with no
        getUpdates failure in the last ``POLL_FAILED_FOR`` seconds (PTB retries a failure
        within 30 s, so a connection still down fails again within that)."""
        app = self.application
        if not self._started:
            return False
        if not self._receive:
            return True
        if self._webhook is not None:
            return app.running and self._server is not None
        failed = self._poll_failed_at
        recent = failed is not None and self._monotonic() - failed < POLL_FAILED_FOR
        return app.running and app.updater is not None and app.updater.running and not recent

    @property
    def stream(self) -> str:
        """Whose update ids these are (they are numbered per bot)."""
        return f"{PLATFORM}:{self.application.bot.id}"

    async def start(self) -> None:
        """Connect (``getMe``), publish the commands, start fetching (or serve the webhook)."""
        app = self.application
        try:
            await app.initialize()
        except InvalidToken:
            raise TelegramUnavailable("Telegram rejected the bot token") from None
        except NetworkError as error:  # httpx's connection errors and timeouts, wrapped
            where = app.bot.base_url.replace(app.bot.token, "<token>")
            raise TelegramUnavailable(
                f"Could not reach Telegram at {where}: {error}. "
                "Check the network (or TELEGRAM_API_BASE_URL)."
            ) from None
        self._started = True
        if not self._receive:
            logger.info("Telegram: @%s, sending only", self.username)
            return
        try:
            await self._publish_commands()
            await app.start()  # handles what the webhook or getUpdates puts in its queue
            if self._webhook is not None:
                await self._serve_webhook(self._webhook)
            else:
                assert app.updater is not None
                await app.updater.start_polling(
                    poll_interval=0.0,
                    timeout=timedelta(seconds=self._poll_timeout),
                    allowed_updates=ALLOWED_UPDATES,
                    error_callback=self._polling_failed,
                )
        except BaseException:
            await self.stop()
            raise
        logger.info(
            "Telegram: @%s is %s", self.username, "on its webhook" if self._webhook else "polling"
        )

    async def stop(self) -> None:
        """Stop fetching, let the updates already taken finish, and close the connections."""
        app = self.application
        self._started = False
        if self._server is not None:
            await self._server.stop()
            self._server = None
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    async def _serve_webhook(self, webhook: Webhook) -> None:
        """Listen first, then tell Telegram where to post (it may post at once)."""
        self._server = WebhookServer(
            webhook, self.application.bot, self.application.update_queue, self._arrive
        )
        self._server.listen()
        await self.application.bot.set_webhook(
            url=webhook.url, secret_token=webhook.secret, allowed_updates=ALLOWED_UPDATES
        )

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

    def _polling_failed(self, error: TelegramError) -> None:
        self._poll_failed_at = self._monotonic()
        logger.warning("Telegram: getUpdates failed (retrying): %s", error)

    # -- arrival: the claim, flood control and button answers ----------------------------------

    async def _arrive(self, update: Update) -> bool:
        """Webhook mode: claim an update as it arrives, before the 200 (several processes may
        receive one user's updates); False: it arrived before."""
        user = update.effective_user
        if user is None:
            return True  # nobody's turn: claimed when handled, as in polling mode
        fresh = await self._dispatcher.arrive(self.stream, update.update_id, _identity(user))
        if fresh:
            self._arrivals.add(update.update_id)
        return fresh

    def _shared_turn(
        self, update: Update, user: int
    ) -> contextlib.AbstractAsyncContextManager[None]:
        if update.update_id not in self._arrivals:
            return contextlib.nullcontext()
        return self._turn(update.update_id, user)

    @contextlib.asynccontextmanager
    async def _turn(self, update_id: int, user: int) -> AsyncIterator[None]:
        try:
            async with self._dispatcher.turn(self.stream, str(user), update_id):
                yield
        finally:
            self._arrivals.discard(update_id)

    async def arrived(self, update: Update, user: int) -> bool:
        """First look at an update, before it waits for the user's earlier ones: may it run?"""
        verdict = self._flood.admit(user) if self._flood is not None else Verdict.ALLOW
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
        async with self._working, self._typing(message.chat.id):
            replies = await self._dispatcher.handle_update(
                self.stream, update.update_id, incoming, claimed=update.update_id in self._arrivals
            )
        await self._deliver(update, replies or [], message.chat.id, quote=message)

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
        async with self._working, self._typing(chat.id):
            replies = await self._dispatcher.handle_update(
                self.stream, update.update_id, incoming, claimed=update.update_id in self._arrivals
            )
        await self._deliver(update, replies or [], chat.id, pressed=query.message)

    def _typing(self, chat_id: int) -> contextlib.AbstractAsyncContextManager[None]:
        """Show "typing…" in the chat while an answer is slow (``typing_while_slow``)."""
        bot = self.application.bot
        return typing_while_slow(
            lambda: bot.send_chat_action(chat_id, ChatAction.TYPING),
            after=self._typing_after,
            every=TYPING_EVERY,
            where=f"Telegram chat {chat_id}",
        )

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

    def _for_another_bot(self, text: str) -> bool:
        """``/done@OtherBot`` in a group is meant for another bot."""
        if not text.startswith("/"):
            return False
        _, at, bot = text.split(maxsplit=1)[0].partition("@")
        return bool(at) and bot.lower() != (self.username or "").lower()

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
                await render.render(
                    self.application.bot, reply, chat_id, quote=quote, pressed=pressed
                )
            except TelegramError:
                logger.exception(
                    "Telegram: could not deliver a reply to update %s", update.update_id
                )
                return
            pressed = None  # only the first reply may replace the pressed message

    # -- the courier ---------------------------------------------------------------------------

    async def send(self, recipient: str, reply: Reply) -> Delivery:
        """Courier for notifications: write to the person's private chat with the bot.

        The worker paces notifications (``bot.worker.PACES``), so a 429 comes straight back
        as a retry for the worker to wait out (the rate limiter, shared with the replies to
        updates, still counts these messages but does not retry them). A 403 means the
        person blocked the bot.
        """
        try:
            with paced_by_worker():
                await render.render(
                    self.application.bot, replace(reply, edit=False), int(recipient)
                )
        except Forbidden:
            return BLOCKED
        except RetryAfter as error:
            after = error.retry_after
            seconds = after.total_seconds() if isinstance(after, timedelta) else float(after)
            return Delivery(retry_after=seconds)
        return SENT

    def private_link(self, start: str = "") -> str:
        """``https://t.me/<bot>``, opening the private chat (with ``/start <start>``)."""
        return render.private_link(self.username, start)


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
