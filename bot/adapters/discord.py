"""Discord: the platform-neutral handlers on discord.py 2.x.

How one interaction travels:

1. The gateway delivers ``INTERACTION_CREATE`` (or ``MESSAGE_CREATE`` for a direct message);
   discord.py's connection state turns it into an :class:`discord.Interaction`.
2. A slash command (every :class:`~bot.handlers.base.Command`, with one optional, described
   ``args`` parameter) or a button (a :class:`PayloadButton`, found by its ``custom_id``
   template, so buttons keep working after a restart) reaches :class:`DiscordAdapter`.
3. The interaction is deferred at once, well within Discord's 3 seconds; then one user's
   interactions and messages run one at a time, in order, while different users run
   concurrently; the :class:`~bot.handlers.router.Dispatcher` answers with platform-neutral
   replies.
4. The replies are rendered here: split at 2,000 characters on line boundaries, buttons at
   most 5 a row and 5 rows, ephemeral in a server channel (only the person who asked sees
   them), ``edit`` replies to a button press edit that message in place.
"""

from __future__ import annotations

import asyncio
import logging
import re
import zoneinfo
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import discord
from discord import app_commands

from bot.adapters.text import split_text
from bot.handlers.base import Button, Command, Incoming, Reply
from bot.handlers.payloads import NOT_YOURS
from bot.handlers.router import FAILURE, Dispatcher
from domain import delivery
from domain.model import Identity

logger = logging.getLogger(__name__)

PLATFORM = "discord"
MAX_TEXT = 2000  # characters in one message
MAX_PER_ROW = 5  # buttons in an action row
MAX_ROWS = 5  # action rows under a message
MAX_LABEL = 80  # characters on a button
MAX_DESCRIPTION = 100  # characters of a slash command's or parameter's description
CUSTOM_ID_PREFIX = "sb:"
PRIVATE_CHAT_LABEL = "💬 Open our private chat"
ARGS_DESCRIPTION = "Everything after the command, as you would type it"
ZONES_SHOWN = 25  # Discord's limit on autocomplete choices


class DiscordUnavailable(Exception):
    """The bot cannot start on Discord; the message says why in one line."""


class PayloadButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.escape(CUSTOM_ID_PREFIX) + r"(?P<payload>[^\s]{1,97})",
):
    """A button carrying a handler payload in its ``custom_id`` (``sb:<payload>``).

    Nothing about it is kept in memory: after a restart discord.py finds this class by the
    template and rebuilds the button from the pressed message, so old buttons keep working.
    """

    def __init__(self, payload: str, label: str = "…") -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:MAX_LABEL],
                style=discord.ButtonStyle.secondary,
                custom_id=CUSTOM_ID_PREFIX + payload,
            )
        )
        self.payload = payload

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[discord.Client],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PayloadButton:
        label = item.label if isinstance(item, discord.ui.Button) and item.label else "…"
        return cls(match["payload"], label)

    async def interaction_check(self, interaction: discord.Interaction[discord.Client]) -> bool:
        """Only the person a message was shown to may press its buttons."""
        adapter = _adapter_of(interaction)
        return adapter is not None and await adapter.may_press(interaction)

    async def callback(self, interaction: discord.Interaction[discord.Client]) -> None:
        adapter = _adapter_of(interaction)
        if adapter is not None:
            await adapter.pressed(interaction, self.payload)


class SyllabotClient(discord.Client):
    """discord.py's client with its command tree and our persistent buttons."""

    def __init__(self, adapter: DiscordAdapter) -> None:
        intents = discord.Intents.default()  # direct messages carry their text without more
        discord.VoiceClient.warn_nacl = False  # no voice here: no warnings about its libraries
        discord.VoiceClient.warn_dave = False
        super().__init__(intents=intents)
        self.adapter = adapter
        self.tree = app_commands.CommandTree(self)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(PayloadButton)

    async def on_message(self, message: discord.Message) -> None:
        await self.adapter.on_message(message)


def _adapter_of(interaction: discord.Interaction[Any]) -> DiscordAdapter | None:
    client = interaction.client
    return client.adapter if isinstance(client, SyllabotClient) else None


class Lines:
    """Per user, a line: their interactions run one at a time, in the order they arrived."""

    def __init__(self) -> None:
        self._last: dict[int, asyncio.Future[None]] = {}

    def join(self, user: int) -> tuple[asyncio.Future[None] | None, asyncio.Future[None]]:
        """Take a place in ``user``'s line (call before anything can suspend)."""
        previous = self._last.get(user)
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._last[user] = mine
        return previous, mine

    def leave(self, user: int, mine: asyncio.Future[None]) -> None:
        mine.set_result(None)
        if self._last.get(user) is mine:
            del self._last[user]


class DiscordAdapter:
    """The bot on Discord: ``async with DiscordAdapter(dispatcher, token): ...``.

    Start-up logs in, syncs the slash commands (to ``guild_id`` only when given: instant, for
    development; otherwise globally) and connects to the gateway in a background task;
    leaving the block closes the connection.
    """

    def __init__(
        self,
        dispatcher: Dispatcher,
        token: str,
        *,
        guild_id: int | None = None,
        connect: bool = True,
    ) -> None:
        self._dispatcher = dispatcher
        self._token = token
        self._guild = discord.Object(guild_id) if guild_id else None
        self._connect = connect
        self.client = SyllabotClient(self)
        self._gateway: asyncio.Task[None] | None = None
        self._lines = Lines()
        for command in dispatcher.commands.values():
            if _valid_command(command.name):
                self.client.tree.add_command(self._slash(command))

    # -- life cycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> DiscordAdapter:
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
        user = self.client.user
        return user.name if user is not None else ""

    async def start(self) -> None:
        """Log in, sync the slash commands, and connect to the gateway in the background."""
        try:
            await self.client.login(self._token)
        except discord.LoginFailure:
            await self.client.close()
            raise DiscordUnavailable("Discord rejected the bot token") from None
        except BaseException:
            await self.client.close()
            raise
        await self._sync_commands()
        if self._connect:
            self._gateway = asyncio.create_task(self._run_gateway(), name="discord-gateway")
        logger.info("Discord: %s is connected", self.username)

    async def stop(self) -> None:
        """Close the gateway and the HTTP session."""
        await self.client.close()
        if self._gateway is not None:
            self._gateway.cancel()
            try:
                await self._gateway
            except asyncio.CancelledError:
                pass
            self._gateway = None

    async def _run_gateway(self) -> None:
        try:
            await self.client.connect(reconnect=True)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("Discord: the gateway connection ended")

    async def _sync_commands(self) -> None:
        tree = self.client.tree
        try:
            if self._guild is not None:
                tree.copy_global_to(guild=self._guild)
                await tree.sync(guild=self._guild)
            else:
                await tree.sync()
        except discord.HTTPException as error:
            logger.warning("Discord: could not sync the slash commands: %s", error)

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
        if command.name == "timezone":
            slash.autocomplete("args")(_zones)
        return slash

    async def command(self, interaction: discord.Interaction, name: str, args: str) -> None:
        """A slash command: defer, then answer as if ``/name args`` had been typed."""
        text = f"/{name} {args}".strip()
        await self._interact(interaction, Incoming(_identity(interaction.user), text=text))

    # -- buttons -------------------------------------------------------------------------------

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
        incoming = Incoming(_identity(interaction.user), payload=payload)
        await self._interact(interaction, incoming, pressed=True)

    # -- direct messages -----------------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        """Text in a direct message (wizard answers, commands typed out)."""
        if message.author.bot or message.guild is not None or not message.content:
            return
        user = message.author.id
        previous, mine = self._lines.join(user)
        try:
            if previous is not None:
                await asyncio.shield(previous)
            if not await self._first_delivery(message.id):
                return
            incoming = Incoming(_identity(message.author), text=message.content)
            replies = await self._dispatcher.handle(incoming)
            for reply in replies:
                for part, view in self.messages(reply):
                    await message.channel.send(part, view=view or discord.utils.MISSING)
        except discord.HTTPException:
            logger.exception("Discord: could not answer message %s", message.id)
        finally:
            self._lines.leave(user, mine)

    # -- the common path -----------------------------------------------------------------------

    async def _interact(
        self, interaction: discord.Interaction, incoming: Incoming, *, pressed: bool = False
    ) -> None:
        user = interaction.user.id
        previous, mine = self._lines.join(user)
        ephemeral = interaction.guild_id is not None
        try:
            try:
                if pressed:
                    await interaction.response.defer()
                else:
                    await interaction.response.defer(ephemeral=ephemeral, thinking=True)
            except discord.HTTPException as error:  # expired or already answered
                logger.info("Discord: could not defer interaction %s: %s", interaction.id, error)
                return
            if previous is not None:
                await asyncio.shield(previous)
            if not await self._first_delivery(interaction.id):
                return
            replies = await self._dispatcher.handle(incoming)
            await self._deliver(interaction, replies, ephemeral=ephemeral, pressed=pressed)
        finally:
            self._lines.leave(user, mine)

    async def _first_delivery(self, snowflake: int) -> bool:
        ctx = self._dispatcher.ctx
        try:
            first = await delivery.first_delivery(PLATFORM, snowflake, ctx.uow(), ctx.clock)
        except Exception:
            logger.exception("Discord: could not claim %s", snowflake)
            return False
        if not first:
            logger.info("Discord: %s was delivered again; skipped", snowflake)
        return first

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
                    may_edit = False
                    continue
                may_edit = False
                for text, view in messages:
                    if original_open:
                        await interaction.edit_original_response(content=text, view=view)
                        original_open = False
                    else:
                        await interaction.followup.send(
                            text, view=view or discord.utils.MISSING, ephemeral=ephemeral
                        )
        except discord.HTTPException:
            logger.exception(
                "Discord: could not deliver a reply to interaction %s", interaction.id
            )

    # -- rendering -----------------------------------------------------------------------------

    def messages(self, reply: Reply) -> list[tuple[str, discord.ui.View | None]]:
        """The reply as Discord messages: its text in parts, the buttons under the last."""
        parts = [p for p in split_text(reply.text, MAX_TEXT, length=len) if p.strip()] or ["…"]
        view = self._view(reply)
        return [(part, view if n == len(parts) else None) for n, part in enumerate(parts, 1)]

    def _view(self, reply: Reply) -> discord.ui.View | None:
        button_rows = [row for row in reply.buttons if row]
        if reply.open_private is not None:
            button_rows.append((Button(PRIVATE_CHAT_LABEL, url=self.private_link()),))
        laid_out = [row[i : i + MAX_PER_ROW] for row in button_rows for i in range(0, len(row), 5)]
        if len(laid_out) > MAX_ROWS:
            logger.warning("Discord: %d rows of buttons; showing the first 5", len(laid_out))
            laid_out = laid_out[:MAX_ROWS]
        if not laid_out:
            return None
        view = discord.ui.View(timeout=None)
        for number, row in enumerate(laid_out):
            for button in row:
                view.add_item(_item(button, number))
        # Stopped before it is sent, so discord.py keeps no copy of it in memory: presses reach
        # PayloadButton through its template, the same before and after a restart.
        view.stop()
        return view

    def private_link(self) -> str:
        """A link to the bot's profile, where a direct message starts."""
        user = self.client.user
        return (
            f"https://discord.com/users/{user.id}" if user is not None else "https://discord.com"
        )


def _item(button: Button, row: int) -> discord.ui.Item[Any]:
    if button.url is not None:
        return discord.ui.Button(label=button.label[:MAX_LABEL], url=button.url, row=row)
    assert button.payload is not None
    item = PayloadButton(button.payload, button.label)
    item.row = row
    return item


def _identity(user: discord.User | discord.Member) -> Identity:
    # A user is reached by a direct message, opened with their user id.
    name = user.display_name or user.name
    return Identity(PLATFORM, str(user.id), chat_id=str(user.id), display_name=name)


def _valid_command(name: str) -> bool:
    return re.fullmatch(r"[a-z0-9_-]{1,32}", name) is not None


async def _zones(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Time zones containing what has been typed so far (any case)."""
    typed = current.strip().lower().replace(" ", "_")
    found = sorted(z for z in zoneinfo.available_timezones() if typed in z.lower())
    return [app_commands.Choice(name=z, value=z) for z in found[:ZONES_SHOWN]]
