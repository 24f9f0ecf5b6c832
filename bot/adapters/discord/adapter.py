"""The Discord adapter: life cycle, slash commands, presses, forms, direct messages, the
courier."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from typing import Any

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl
from discord import app_commands

from bot.adapters.discord import render
from bot.adapters.discord.components import AskButton, SyllabotClient
from bot.adapters.lifecycle import Lifecycle, PlatformUnavailable
from bot.adapters.typing import typing_while_slow
from bot.handlers.base import Command, Identity, Incoming, Reply
from bot.handlers.courier import BLOCKED, SENT, Delivery
from bot.handlers.ordering import InOrder
from bot.handlers.payloads import NOT_YOURS
from bot.handlers.router import FAILURE, Dispatcher

logger = logging.getLogger(__name__)

TYPING_AFTER = 1.0  # seconds an answer to a direct message may take before "typing…" shows
TYPING_EVERY = 8.0  # Discord shows typing for about ten seconds
STOP_GRACE = 10.0  # seconds the events being handled get to be answered at shutdown

PLATFORM = "discord"
MAX_DESCRIPTION = 100  # characters of a slash command's or parameter's description
ARGS_DESCRIPTION = "Everything after the command, as you would type it"
MAX_CHOICES = 25  # autocomplete choices Discord shows
MAX_CHOICE = 100  # characters in an autocomplete choice's name and value


class DiscordUnavailable(PlatformUnavailable):
    """The bot cannot start on Discord; the message says why in one line."""


class DiscordAdapter(Lifecycle):
    """The bot on Discord: ``async with DiscordAdapter(dispatcher, token): ...``.

    Start-up logs in, syncs the slash commands (to ``guild_id`` only when given: instant, for
    development; otherwise globally) and connects to the gateway in a background task, with
    ``shard_ids`` of ``shard_count`` (none: every shard, as many as Discord recommends);
    leaving the block closes the connection. With ``serve=False`` it only logs in, to send
    notifications (no commands, no gateway); ``connect=False`` skips only the gateway.
    """

    def __init__(
        self,
        dispatcher: Dispatcher,
        token: str,
        *,
        guild_id: int | None = None,
        connect: bool = True,
        serve: bool = True,
        typing_after: float = TYPING_AFTER,
        api_base_url: str | None = None,
        gateway_url: str | None = None,
        shard_count: int | None = None,
        shard_ids: Sequence[int] | None = None,
    ) -> None:
        self._dispatcher = dispatcher
        self._api_base_url, self._gateway_url = api_base_url, gateway_url
        self._typing_after = typing_after
        self._serve = serve
        self._token = token
        self._guild = discord.Object(guild_id) if guild_id else None
        self._connect = connect
        self.client = SyllabotClient(self, shard_count=shard_count, shard_ids=shard_ids)
        self._gateway: asyncio.Task[None] | None = None
        # Why the slash commands could not be synced at start-up (None: they were).
        self.sync_problem: str | None = None
        self._lines = InOrder()
        # Sharded over processes, a person's DMs (shard 0) and server's interactions part ways
        self._shared = shard_ids is not None  # so their turn is taken across processes
        self._working: set[asyncio.Task[Any]] = set()  # tasks handling an event now
        for command in dispatcher.commands.values():
            if _valid_command(command.name):
                self.client.tree.add_command(self._slash(command))

    # -- life cycle ---------------------------------------------------------------------------

    @property
    def username(self) -> str:
        user = self.client.user
        return user.name if user is not None else ""

    async def start(self) -> None:
        """Log in, sync the slash commands, and connect to the gateway in the background."""
        # discord.py keeps both per process, on classes (DISCORD_API_BASE_URL and
        # DISCORD_GATEWAY_URL: a Discord of one's own, such as the tests' fake).
        if self._api_base_url:
            discord.http.Route.BASE = self._api_base_url.rstrip("/")
        if self._gateway_url:
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self._gateway_url)
        try:
            await self.client.login(self._token)
        except discord.LoginFailure:
            await self.client.close()
            raise DiscordUnavailable("Discord rejected the bot token") from None
        except (aiohttp.ClientError, OSError, discord.DiscordServerError) as error:
            await self.client.close()
            raise DiscordUnavailable(
                f"Could not reach Discord at {discord.http.Route.BASE}: {error}. "
                "Check the network."
            ) from None
        except BaseException:
            await self.client.close()
            raise
        if not self._serve:  # a courier only (``syllabot worker``): HTTP, no gateway
            logger.info("Discord: %s ready to send", self.username)
            return
        await self._sync_commands()
        if self._connect:
            await self._count_shards()
            self._gateway = asyncio.create_task(self._run_gateway(), name="discord-gateway")
        logger.info("Discord: %s is connected", self.username)

    @property
    def connected(self) -> bool:
        """Logged in and, when it serves, on the gateway now (READY seen, socket open)."""
        client = self.client
        if client.is_closed() or client.user is None:
            return False
        if not self._serve or not self._connect:
            return True
        ws = client.ws
        return client.is_ready() and ws is not None and ws.open

    async def stop(self) -> None:
        """Take no more events (the gateway is closed), give the interactions and messages
        being handled up to ``STOP_GRACE`` seconds to be answered, then close the HTTP
        session."""
        for shard in self.client.shards.values():
            await shard.disconnect()
        if self._working:
            _done, late = await asyncio.wait(set(self._working), timeout=STOP_GRACE)
            if late:
                logger.warning("Discord: stopping with %d answer(s) not sent", len(late))
        await self.client.close()
        if self._gateway is not None:
            self._gateway.cancel()
            try:
                await self._gateway
            except asyncio.CancelledError:
                pass
            self._gateway = None

    @contextmanager
    def _at_work(self) -> Iterator[None]:
        """The current task is handling an event: :meth:`stop` waits for it."""
        task = asyncio.current_task()
        assert task is not None
        self._working.add(task)
        try:
            yield
        finally:
            self._working.discard(task)

    async def _run_gateway(self) -> None:
        try:
            await self.client.connect(reconnect=True)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("Discord: the gateway connection ended")

    async def _count_shards(self) -> None:
        """With DISCORD_GATEWAY_URL and no shard count, ask for the count here: discord.py
        would connect to the gateway GET /gateway/bot names instead of the one configured."""
        if self._gateway_url is None or self.client.shard_count is not None:
            return
        try:
            count, _url, _limits = await self.client.http.get_bot_gateway()
        except discord.GatewayNotFound:
            return  # discord.py asks again when it connects, and retries
        self.client.shard_count = count

    async def _sync_commands(self) -> None:
        tree = self.client.tree
        try:
            if self._guild is not None:
                tree.copy_global_to(guild=self._guild)
                await tree.sync(guild=self._guild)
            else:
                await tree.sync()
        except discord.HTTPException as error:
            self.sync_problem = _sync_refused(error, self._guild)
            logger.warning("Discord: %s", self.sync_problem)

    # -- slash commands ------------------------------------------------------------------------

    def _slash(self, command: Command) -> app_commands.Command[Any, ..., None]:
        adapter = self

        async def run(interaction: discord.Interaction, args: str | None = None) -> None:
            await adapter.command(interaction, command.name, args or "")

        slash: app_commands.Command[Any, ..., None] = app_commands.Command(
            name=command.name,
            description=(command.summary or command.name)[:MAX_DESCRIPTION],
            callback=run,
        )
        usage = f"{ARGS_DESCRIPTION}: {command.usage}" if command.usage else ARGS_DESCRIPTION
        app_commands.describe(args=usage[:MAX_DESCRIPTION])(slash)
        if command.suggest is not None:

            async def suggest(
                interaction: discord.Interaction, current: str
            ) -> list[app_commands.Choice[str]]:
                return await adapter.suggestions(interaction, command.name, current)

            slash.autocomplete("args")(suggest)
        return slash

    async def suggestions(
        self, interaction: discord.Interaction, name: str, current: str
    ) -> list[app_commands.Choice[str]]:
        """Autocomplete for ``/name``'s argument: the handler's suggestions, within Discord's
        limits (25 choices; names and values of 1 to 100 characters)."""
        found = await self._dispatcher.suggest(_identity(interaction.user), name, current)
        return [
            app_commands.Choice(name=shown[:MAX_CHOICE], value=value[:MAX_CHOICE])
            for shown, value in found
            if shown and value
        ][:MAX_CHOICES]

    async def command(self, interaction: discord.Interaction, name: str, args: str) -> None:
        """A slash command: defer, then answer as if ``/name args`` had been typed."""
        text = f"/{name} {args}".strip()
        incoming = Incoming(_identity(interaction.user), text=text, hears_text=_hears(interaction))
        await self._interact(interaction, incoming)

    # -- buttons and forms ---------------------------------------------------------------------

    async def may_press(self, interaction: discord.Interaction) -> bool:
        """A message made for somebody (an answer to their command) is theirs to press."""
        message = interaction.message
        shown_to = message.interaction_metadata if message is not None else None
        if shown_to is None or shown_to.user.id == interaction.user.id:
            return True
        logger.info("Discord: %s pressed a button meant for someone else", interaction.user.id)
        try:
            await interaction.response.send_message(NOT_YOURS, ephemeral=True)
        except discord.HTTPException as error:
            logger.debug("Discord: could not refuse a press: %s", error)
        return False

    async def pressed(self, interaction: discord.Interaction, payload: str) -> None:
        """A button: defer (the message stays as it is), then answer the payload."""
        incoming = Incoming(
            _identity(interaction.user), payload=payload, hears_text=_hears(interaction)
        )
        await self._interact(interaction, incoming, pressed=True)

    async def form_sent(self, interaction: discord.Interaction) -> None:
        """A form (opened by an :class:`AskButton`) was sent: its text goes to the flow step
        it answers, or runs as its command, as if typed."""
        answer = AskButton.answer(interaction.data)
        if answer is None:
            return
        kind, key, text = answer
        identity = _identity(interaction.user)
        hears = _hears(interaction)
        if kind == "t":
            incoming = Incoming(identity, text=text, answers=key, hears_text=hears)
        else:
            incoming = Incoming(identity, text=f"/{key} {text}", hears_text=hears)
        await self._interact(interaction, incoming)

    # -- direct messages -----------------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        """Text in a direct message (wizard answers, commands typed out)."""
        if message.author.bot or message.guild is not None or not message.content:
            return
        with self._at_work(), self._lines.join(message.author.id) as turn:
            incoming = Incoming(_identity(message.author), text=message.content)
            claimed = await self._arrive(message.id, incoming.identity)
            if claimed is None:
                return
            await turn.wait()
            async with self._turn(message.id, message.author.id, claimed):
                async with typing_while_slow(
                    message.channel.typing,  # awaited, it shows typing once (for ten seconds)
                    after=self._typing_after,
                    every=TYPING_EVERY,
                    where=f"Discord channel {message.channel.id}",
                ):
                    replies = await self._dispatcher.handle_update(
                        PLATFORM, message.id, incoming, claimed=claimed
                    )
                try:
                    for reply in replies or []:
                        for part, view in self.messages(reply):
                            await message.channel.send(part, view=view or discord.utils.MISSING)
                        if (file := render.file_of(reply)) is not None:
                            await message.channel.send(file=file)
                except discord.HTTPException:
                    logger.exception("Discord: could not answer message %s", message.id)

    # -- notifications -------------------------------------------------------------------------

    async def send(self, chat_id: str, reply: Reply) -> Delivery:
        """Courier for notifications: a direct message to the person (``chat_id`` is their
        user id; the DM channel is opened, or found, by it).

        discord.py waits out 429s itself. A 403 (code 50007: they accept no direct messages
        from the bot) or an unknown user means blocked; other errors raise, to be retried.
        """
        try:
            channel = await self.client.create_dm(discord.Object(int(chat_id)))
            for text, view in self.messages(replace(reply, edit=False)):
                await channel.send(text, view=view or discord.utils.MISSING)
            if (file := render.file_of(reply)) is not None:
                await channel.send(file=file)
        except (discord.Forbidden, discord.NotFound) as error:
            logger.info("Discord: cannot write to %s: %s", chat_id, error)
            return BLOCKED
        except discord.RateLimited as error:
            return Delivery(retry_after=error.retry_after)
        return SENT

    # -- the common path -----------------------------------------------------------------------

    async def _interact(
        self, interaction: discord.Interaction, incoming: Incoming, *, pressed: bool = False
    ) -> None:
        ephemeral = interaction.guild_id is not None
        with self._at_work(), self._lines.join(interaction.user.id) as turn:
            try:  # at once, before waiting: Discord wants an answer within 3 seconds
                if pressed:
                    await interaction.response.defer()
                else:
                    await interaction.response.defer(ephemeral=ephemeral, thinking=True)
            except discord.HTTPException as error:  # expired or already answered
                logger.info("Discord: could not defer interaction %s: %s", interaction.id, error)
                return
            claimed = await self._arrive(interaction.id, incoming.identity)
            if claimed is None:
                return
            await turn.wait()
            async with self._turn(interaction.id, interaction.user.id, claimed):
                replies = await self._dispatcher.handle_update(
                    PLATFORM, interaction.id, incoming, claimed=claimed
                )
                if replies is not None:
                    await self._deliver(interaction, replies, ephemeral=ephemeral, pressed=pressed)

    async def _arrive(self, event_id: int, identity: Identity) -> bool | None:
        """Sharded over processes: claim the event on arrival, so the person's earlier ones
        (snowflakes grow with time) go first, in any process. True: claimed; None: seen
        before; False: claimed when handled (one process, or the claim failed)."""
        if not self._shared:
            return False
        try:
            return True if await self._dispatcher.arrive(PLATFORM, event_id, identity) else None
        except Exception:
            logger.warning("Discord: could not claim event %s on arrival", event_id)
            return False

    @asynccontextmanager
    async def _turn(self, event_id: int, user: int, claimed: bool) -> AsyncIterator[None]:
        """The person's turn across processes while a claimed event is handled and answered."""
        if not claimed:
            yield
            return
        async with self._dispatcher.turn(PLATFORM, str(user), event_id):
            yield

    async def _deliver(
        self,
        interaction: discord.Interaction,
        replies: Sequence[Reply],
        *,
        ephemeral: bool,
        pressed: bool,
    ) -> None:
        """Send the replies in order: the first part of a command's answer fills the deferred
        response, an ``edit`` reply to a press replaces the pressed message, the rest follow.
        A failure to deliver is logged: the handler's work is done by now."""
        original_open = not pressed  # the "thinking…" response still waits for its text
        may_edit = pressed
        try:
            for reply in replies or [Reply(FAILURE)]:
                messages = self.messages(reply)
                if reply.edit and may_edit and len(messages) == 1:
                    text, view = messages[0]
                    await interaction.edit_original_response(content=text, view=view)
                    messages = []  # an edit in place; its file, if any, follows below
                may_edit = False
                for text, view in messages:
                    if original_open:
                        await interaction.edit_original_response(content=text, view=view)
                        original_open = False
                    else:
                        await interaction.followup.send(
                            text, view=view or discord.utils.MISSING, ephemeral=ephemeral
                        )
                if (file := render.file_of(reply)) is not None:
                    await interaction.followup.send(file=file, ephemeral=ephemeral)
        except discord.HTTPException:
            logger.exception(
                "Discord: could not deliver a reply to interaction %s", interaction.id
            )

    # -- rendering -----------------------------------------------------------------------------

    def messages(self, reply: Reply) -> list[tuple[str, discord.ui.View | None]]:
        """The reply as Discord messages: its text in parts, the buttons under the last."""
        return render.messages(reply, self.private_link())

    def private_link(self) -> str:
        """A link to the bot's profile, where a direct message starts."""
        user = self.client.user
        return (
            f"https://discord.com/users/{user.id}" if user is not None else "https://discord.com"
        )


def _hears(interaction: discord.Interaction) -> bool:
    """Whether typed messages from where ``interaction`` happened reach the bot: in direct
    messages yes; in a server channel only commands, buttons and forms do."""
    return interaction.guild_id is None


def _identity(user: discord.User | discord.Member) -> Identity:
    # A user is reached by a direct message, opened with their user id.
    name = user.display_name or user.name
    return Identity(PLATFORM, str(user.id), chat_id=str(user.id), display_name=name)


MISSING_ACCESS = 50001  # Discord's error code: the bot is not in that server (or lacks scope)


def _sync_refused(error: discord.HTTPException, guild: discord.Object | None) -> str:
    """Why syncing the slash commands failed, with what to do about it, in one line."""
    said = f"{error.status} {error.text or error}".strip()
    if guild is not None and (error.code == MISSING_ACCESS or error.status == 403):
        return (
            f"the slash commands were NOT synced: Discord refused them for the server "
            f"DISCORD_GUILD_ID={guild.id} ({said}). Is that the right server id, and was the "
            "bot invited there with the applications.commands scope?"
        )
    return f"the slash commands were NOT synced: Discord answered {said}"


def _valid_command(name: str) -> bool:
    return re.fullmatch(r"[a-z0-9_-]{1,32}", name) is not None
