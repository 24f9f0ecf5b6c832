"""The dispatcher: one entry point from every adapter, one place that renders errors."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import datetime, timedelta
from uuid import UUID

from bot.handlers import payloads
from bot.handlers.accounts import data_rights, link, retention, timezone
from bot.handlers.accounts.welcome import welcome, welcome_back
from bot.handlers.base import (
    Command,
    Context,
    Handler,
    Incoming,
    Prompt,
    Replies,
    Reply,
    Request,
    rows,
)
from bot.handlers.did_you_mean import SUGGESTED, close_names, command_button, unpack
from bot.handlers.learning import (
    cards,
    chart,
    curricula,
    editing,
    focus,
    habits,
    progress,
    quick_log,
    schedule,
)
from bot.handlers.marketplace import bookings, experts
from bot.handlers.notifications import reminders
from bot.handlers.retry import retry_transient
from bot.handlers.wizard import NAVIGATE, navigate
from domain.accounts import conversations, inbound
from domain.accounts import retention as account_retention
from domain.accounts.model import Identity
from domain.accounts.registration import find_user, register
from domain.shared.errors import DomainError, InvalidInput
from domain.shared.text import without_controls

logger = logging.getLogger(__name__)

SEEN_CACHE = 100_000  # people whose activity this process remembers recording
MAX_TEXT = 10_000  # longer messages are refused before any parsing

FAILURE = "Sorry, something went wrong on my side. Nothing was changed; please try again."
LINK_NOT_OPENED = (
    "(The link you followed doesn't lead to anything I can open for you, so here's the "
    "start instead. Nothing was changed.)"
)
TYPE_IN_PRIVATE = (
    "(Typed answers here don't reach me. Open our private chat with the button below and "
    "type your answer there: this step stays open.)"
)
NOT_UNDERSTOOD = "I answer commands. Send /help to see them, or /new to plan something."
PRIVATE_ONLY = (
    "/{name} is about you, so I answer it only in our private chat, not here. "
    "Open it with the button below and send /{name} there."
)


async def cancel(req: Request) -> Reply:
    """Leave the current wizard."""
    if await conversations.current(req.user_id, req.ctx.uow(), req.ctx.clock) is None:
        return Reply("There is nothing to cancel.")
    await conversations.end(req.user_id, req.ctx.uow())
    return Reply("Cancelled. Nothing was saved.")


class KnownIdentities:
    """Which user each recently seen identity belongs to, so a message skips that lookup.

    Keyed by everything ``register`` stores about an identity (a new chat id or display name
    is a miss, and ``register`` refreshes them). Entries live ``ttl`` seconds, so a change made
    by another bot process is picked up within that time; at most ``size`` are kept.
    """

    def __init__(self, size: int = 50_000, ttl: float = 300.0) -> None:
        self._size, self._ttl = size, ttl
        self._entries: OrderedDict[Identity, tuple[UUID, float]] = OrderedDict()

    def get(self, identity: Identity) -> UUID | None:
        entry = self._entries.get(identity)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def forget(self, user_id: UUID) -> None:
        """Drop every identity cached for ``user_id`` (its identities moved to another user)."""
        for identity in [i for i, (u, _) in self._entries.items() if u == user_id]:
            del self._entries[identity]

    def put(self, identity: Identity, user_id: UUID) -> None:
        self._entries[identity] = (user_id, time.monotonic() + self._ttl)
        self._entries.move_to_end(identity)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)


class Dispatcher:
    """Turns an :class:`Incoming` into replies. Adapters call :meth:`handle_update` (or, for a
    platform that never delivers twice, :meth:`handle`) and nothing else."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = replace(ctx, forget_user=self._forget_user)
        self.known = KnownIdentities()
        self.seen_at: dict[UUID, datetime] = {}  # when this process last recorded activity
        own = [
            Command("start", self.start, "what I do", personal=False),
            Command("help", self.help, "this list", personal=False),
            Command("cancel", cancel, "leave the current step-by-step flow"),
        ]
        modules = (
            curricula,
            editing,
            progress,
            habits,
            focus,
            quick_log,
            cards,
            chart,
            schedule,
            timezone,
            reminders,
            experts,
            bookings,
            link,
            data_rights,
            retention,
        )
        self.commands: dict[str, Command] = {
            c.name: c for c in [*own, *(c for m in modules for c in m.COMMANDS)]
        }
        self.buttons: dict[str, Handler] = {k: v for m in modules for k, v in m.BUTTONS.items()}
        self.buttons[SUGGESTED] = self._suggested
        self.buttons[NAVIGATE] = self._navigate  # ◀ Back and ✖ Cancel, in every flow
        self.flows = {k: v for m in modules for k, v in getattr(m, "FLOWS", {}).items()}
        # How a flow shows its current step again (``resume``): a module offers ``PROMPTS``.
        self.prompts: dict[str, Prompt] = {
            k: v for m in modules for k, v in getattr(m, "PROMPTS", {}).items()
        }
        # Deep links, ``/start <kind>_<arg>`` (t.me/<bot>?start=c_<curriculum hex>): a module
        # offers its kinds in ``DEEP_LINKS``; ``payloads.deep_link`` builds the argument.
        self.deep_links: dict[str, Handler] = {
            k: v for m in modules for k, v in getattr(m, "DEEP_LINKS", {}).items()
        }

    async def _navigate(self, req: Request) -> Reply:
        return await navigate(req, self.prompts)

    def _forget_user(self, user_id: UUID) -> None:
        self.known.forget(user_id)

    async def start(self, req: Request) -> Replies:
        """Welcome (first contact) or welcome back with the next session and the step left
        open; a deep link (``/start c_<id>``) opens what it names instead."""
        if not req.incoming.private:
            return welcome(req)
        if not req.args:
            return await self._greeting(req)
        link = payloads.parse_deep_link(req.args)
        handler = None if link is None else self.deep_links.get(link[0])
        if link is None or handler is None:
            return [*await self._greeting(req), Reply(LINK_NOT_OPENED)]
        try:
            return await handler(Request(self.ctx, req.user_id, req.incoming, args=link[1]))
        except DomainError:
            return [*await self._greeting(req), Reply(LINK_NOT_OPENED)]

    async def _greeting(self, req: Request) -> list[Reply]:
        if req.newcomer:
            return [welcome(req)]
        left_open = await self._open_step(req.user_id, req.incoming.identity)
        if left_open is None:
            return [await welcome_back(req)]
        return [await welcome_back(req, left_open=True), left_open]

    async def help(self, req: Request) -> Reply:
        """List the commands."""
        lines = ["Here's what I understand:"]
        lines += [f"/{c.name} — {c.summary}" for c in self.commands.values()]
        return Reply("\n".join(lines))

    async def resume(self, identity: Identity) -> Reply | None:
        """The open step of the person's wizard, with its buttons, to show it again when a chat
        (re)starts; None if nothing is open or the person never wrote (nobody is registered
        by this). Never raises (None, then)."""
        try:
            user_id = self.known.get(identity)
            if user_id is None:
                user = await find_user(identity, self.ctx.uow())
                if user is None:
                    return None
                user_id = user.id
            return await self._open_step(user_id, identity)
        except Exception:
            logger.exception("failed to resume the open step of %s", identity.external_id)
            return None

    async def _open_step(self, user_id: UUID, identity: Identity) -> Reply | None:
        conversation = await conversations.current(user_id, self.ctx.uow(), self.ctx.clock)
        if conversation is None:
            return None
        prompt = self.prompts.get(conversation.flow)
        if prompt is None:  # not a question (a list's paging state, a retired flow): every
            return None  # flow has a prompt (test_booking_walk checks flows <= prompts)
        return await prompt(Request(self.ctx, user_id, Incoming(identity)), conversation)

    async def suggest(self, identity: Identity, name: str, typed: str) -> list[tuple[str, str]]:
        """Suggestions for ``/name``'s argument as typed so far. Never raises (none, then)."""
        command = self.commands.get(name)
        if command is None or command.suggest is None:
            return []
        try:
            typed = without_controls(typed)
            user_id = await self._user_id(identity)
            request = Request(self.ctx, user_id, Incoming(identity, text=f"/{name} {typed}"))
            return list(await command.suggest(request, typed.strip()))
        except Exception:
            logger.exception("failed to suggest arguments of /%s", name)
            return []

    async def arrive(self, stream: str, update_id: int, identity: Identity) -> bool:
        """Claim an update as it arrives (before the webhook answers), to be handled later
        with ``handle_update(..., claimed=True)`` inside :meth:`turn`; False: it arrived
        before. Raises if the database cannot be reached (the platform should send it again)."""
        return await inbound.arrived(stream, update_id, identity, self.ctx.uow(), self.ctx.clock)

    def turn(self, stream: str, sender: str, update_id: int) -> AbstractAsyncContextManager[None]:
        """The sender's turn for an update claimed by :meth:`arrive`, across processes: no
        other process handles one of theirs meanwhile, and their earlier arrivals go first."""
        stale_before = self.ctx.clock.now() - inbound.ORDER_WAIT
        return self.ctx.turns.turn(stream, sender, update_id, stale_before)

    async def handle_update(
        self, stream: str, update_id: int, incoming: Incoming, *, claimed: bool = False
    ) -> list[Reply] | None:
        """Handle an update a platform may deliver more than once, at most once: it is claimed
        first (``stream`` names whose update ids these are), which also makes the sender
        reachable again if they had blocked the bot, unless :meth:`arrive` ``claimed`` it.
        None: it was claimed before, nothing to do. Never raises; a claim that fails is
        answered like any failure."""
        started = time.perf_counter()
        if _group_chatter(incoming):
            self._measured(incoming, "ignored", started)
            return []  # never handled, so nothing to claim
        if claimed:
            return await self.handle(incoming)
        try:
            first = await inbound.first_delivery(
                stream, update_id, incoming.identity, self.ctx.uow(), self.ctx.clock
            )
        except Exception:
            logger.exception(
                "failed to claim update %s of %s; nothing was done", update_id, stream
            )
            self._measured(incoming, "failed", started)
            return [Reply(FAILURE)]
        if not first:
            logger.info("update %s of %s was delivered again; skipped", update_id, stream)
            self._measured(incoming, "duplicate", started)
            return None
        return await self.handle(incoming)  # through handle, so a subclass's handle applies

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Handle one message or button press. Never raises; errors become friendly replies.

        Control characters are taken out of what was typed before anything reads it, so none
        is stored or echoed. A handler rolled back by a deadlock or serialization failure runs
        again (a use case is one transaction, so that is safe); it is never shown."""
        return await self._handle(incoming, time.perf_counter())

    async def _handle(self, incoming: Incoming, started: float) -> list[Reply]:
        if _group_chatter(incoming):
            self._measured(incoming, "ignored", started)
            return []
        incoming = _printable(incoming)
        try:
            replies = _as_list(await retry_transient(lambda: self._answer(incoming)))
            self._measured(incoming, "ok", started)
            return replies if incoming.hears_text else [_type_in_private(r) for r in replies]
        except DomainError as error:
            self._measured(incoming, "refused", started)
            return [Reply(error.message)]
        except Exception:
            logger.exception(
                "failed to handle %s message from %s:%s",
                "button" if incoming.payload else "text",
                incoming.identity.platform,
                incoming.identity.external_id,
            )
            self._measured(incoming, "failed", started)
            return [Reply(FAILURE)]

    def _measured(self, incoming: Incoming, outcome: str, started: float) -> None:
        seconds = time.perf_counter() - started
        self.ctx.meter.handled(incoming.identity.platform, outcome, seconds)

    async def _answer(self, incoming: Incoming) -> Replies:
        user_id, newcomer = await self._registered(incoming.identity)
        await self._seen(user_id)
        return await self._route(user_id, newcomer, incoming)

    async def _seen(self, user_id: UUID) -> None:
        """Record that the person is active (it keeps an inactive account): at most one
        write a day per person, and no round trip when this process recorded it that day."""
        now = self.ctx.clock.now()
        last = self.seen_at.get(user_id)
        if last is not None and timedelta(0) <= now - last < account_retention.SEEN_EVERY:
            return
        await account_retention.seen(user_id, self.ctx.uow(), self.ctx.clock)
        if len(self.seen_at) >= SEEN_CACHE:
            self.seen_at.clear()
        self.seen_at[user_id] = now

    async def _user_id(self, identity: Identity) -> UUID:
        return (await self._registered(identity))[0]

    async def _registered(self, identity: Identity) -> tuple[UUID, bool]:
        """The user behind ``identity`` and whether it was created just now."""
        user_id = self.known.get(identity)
        if user_id is not None:
            return user_id, False
        user, created = await register(identity, self.ctx.uow(), self.ctx.clock)
        self.known.put(identity, user.id)
        return user.id, created

    async def _route(self, user_id: UUID, newcomer: bool, incoming: Incoming) -> Replies:
        if incoming.payload is not None:
            action, args = payloads.decode(user_id, incoming.payload)
            handler = self.buttons.get(action)
            if handler is None:
                return Reply(payloads.STALE)
            return await handler(Request(self.ctx, user_id, incoming, button_args=args))
        text = (incoming.text or "").strip()
        if len(text) > MAX_TEXT:
            return Reply(
                f"That message is too long ({len(text):,} characters). Nothing was changed."
            )
        if incoming.answers is not None:  # a form's answer: only for the step it was made for
            conversation = await conversations.current(user_id, self.ctx.uow(), self.ctx.clock)
            if conversation is None or conversation.token != incoming.answers:
                return Reply(payloads.STALE)
        elif text.startswith("/"):
            name, _, rest = text[1:].partition(" ")
            name = name.split("@", 1)[0].lower()  # "/done@SyllabotBot" in groups
            command = self.commands.get(name)
            if command is None:
                if not incoming.private:  # groups: maybe another bot's command; stay quiet
                    return []
                return self._did_you_mean(user_id, name, rest.strip())
            if command.personal and not incoming.private:
                return Reply(PRIVATE_ONLY.format(name=command.name), open_private="")
            request = Request(self.ctx, user_id, incoming, args=rest.strip(), newcomer=newcomer)
            return await command.handler(request)
        conversation = await conversations.current(user_id, self.ctx.uow(), self.ctx.clock)
        if conversation is not None and conversation.flow in self.flows:
            request = Request(self.ctx, user_id, incoming, args=text)
            return await self.flows[conversation.flow](request, conversation, text)
        # A session told in plain words ("studied 40 min of verbs"): one tap to log it.
        told = await quick_log.plain_message(Request(self.ctx, user_id, incoming, args=text))
        if told is not None:
            return told
        return Reply(NOT_UNDERSTOOD)

    def _did_you_mean(self, user_id: UUID, name: str, args: str) -> Reply:
        """An unknown command: the registered ones closest to it, each as a button that runs
        it with what was typed after it (when that fits in a button)."""
        unknown = f"I don't know “/{name[:30]}”."
        names = close_names(name, list(self.commands))
        if not names:
            return Reply(f"{unknown} Send /help to see what I can do.")
        typed = [f"/{n} {args}".strip() for n in names]
        buttons = [command_button(user_id, n, args) for n in names]
        text = f"{unknown} Did you mean " + " or ".join(typed) + "?"
        if None in buttons:
            text += " Send it again with the right name."
        return Reply(text, rows(*(b for b in buttons if b is not None)))

    async def _suggested(self, req: Request) -> Replies:
        """A "did you mean" button: the command it names, with the arguments typed then, as if
        typed again (so every check of a typed command applies)."""
        name, *rest = req.button_args or ("",)
        if name not in self.commands or len(rest) > 1:
            raise InvalidInput(payloads.STALE)
        args = without_controls(unpack(rest[0])) if rest else ""
        text = f"/{name} {args}".strip()
        return await self._route(
            req.user_id, False, replace(req.incoming, text=text, payload=None)
        )


def _group_chatter(incoming: Incoming) -> bool:
    """Text in a group that is not a command: not meant for me, and never a wizard answer."""
    text = (incoming.text or "").lstrip()
    return not incoming.private and incoming.payload is None and not text.startswith("/")


def _printable(incoming: Incoming) -> Incoming:
    """``incoming`` without control characters in its text (typed or a form's) and name."""
    text, name = incoming.text, incoming.identity.display_name
    clean, clean_name = (text and without_controls(text)), without_controls(name)
    if clean == text and clean_name == name:
        return incoming
    identity = replace(incoming.identity, display_name=clean_name)
    return replace(incoming, text=clean, identity=identity)


def _type_in_private(reply: Reply) -> Reply:
    """A step waiting for typed text, shown where typing never reaches the bot: it says to
    answer in the private chat, with a button that opens it."""
    if not reply.awaits_text or reply.ask is not None:
        return reply
    return replace(reply, text=f"{reply.text}\n\n{TYPE_IN_PRIVATE}", open_private="")


def _as_list(replies: Replies) -> list[Reply]:
    if isinstance(replies, Reply):
        return [replies]
    assert isinstance(replies, Sequence)
    return list(replies)
