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
   them), ``edit`` replies to a button press edit that message in place. A reply's ``choose``
   buttons become one select menu (:class:`PayloadMenu`), its ``ask`` a button opening a form
   (:class:`AskButton`, a modal whose text is handled as if typed).

As a notification courier (:meth:`DiscordAdapter.send`) it writes direct messages.
"""

from __future__ import annotations

import asyncio
import logging
import re
import zoneinfo
from collections.abc import Iterator, Sequence
from dataclasses import replace
from types import TracebackType
from typing import Any

import discord
from discord import app_commands

from bot.adapters.text import split_text
from bot.handlers.base import Ask, Button, Command, Incoming, Reply
from bot.handlers.courier import BLOCKED, SENT, Delivery
from bot.handlers.payloads import NOT_YOURS
from bot.handlers.router import FAILURE, Dispatcher
from domain.accounts import inbound
from domain.accounts.model import Identity

logger = logging.getLogger(__name__)

PLATFORM = "discord"
MAX_TEXT = 2000  # characters in one message
MAX_PER_ROW = 5  # buttons in an action row
MAX_ROWS = 5  # action rows under a message
MAX_LABEL = 80  # characters on a button
MAX_DESCRIPTION = 100  # characters of a slash command's or parameter's description
CUSTOM_ID_PREFIX = "sb:"
MENU_ID = "sbm:0"  # the one select menu under a message; its options carry the payloads
MAX_OPTIONS = 25  # options in a select menu
MAX_PLACEHOLDER = 150
ASK_PREFIX = "sbt:"  # a button opening a form: sbt:<t|c>:<token or command>:<field label>
FORM_LABEL = "✍️ "
MAX_FORM_TEXT = 45  # characters in a modal's title and a field's label
MAX_FORM_INPUT = 4000  # characters typed into a modal's field
FORM_TIMEOUT = 900.0  # seconds discord.py remembers an open form (we never need it to)
PRIVATE_CHAT_LABEL = "💬 Open our private chat"
ARGS_DESCRIPTION = "Everything after the command, as you would type it"
ZONES_SHOWN = 25  # Discord's limit on autocomplete choices
MAX_CHOICE = 100  # characters in an autocomplete choice's name and value


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
        return await _shown_to(interaction)

    async def callback(self, interaction: discord.Interaction[discord.Client]) -> None:
        adapter = _adapter_of(interaction)
        if adapter is not None:
            await adapter.pressed(interaction, self.payload)


class PayloadMenu(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=re.escape(MENU_ID),
):
    """A select menu whose options carry handler payloads: a reply's ``choose`` buttons.

    Like :class:`PayloadButton` it lives only on the message (rebuilt from it when used, so it
    works after a restart); the chosen option's payload goes through the handlers' checks.
    """

    def __init__(self, menu: discord.ui.Select[Any]) -> None:
        super().__init__(menu)

    @classmethod
    def of(cls, choices: Sequence[Button], prompt: str) -> PayloadMenu:
        options = [
            discord.SelectOption(label=b.label[:MAX_LABEL], value=b.payload or "") for b in choices
        ]
        menu: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=MENU_ID, placeholder=prompt[:MAX_PLACEHOLDER], options=options
        )
        return cls(menu)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[discord.Client],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PayloadMenu:
        if not isinstance(item, discord.ui.Select):
            raise TypeError("a menu's custom_id on something that is not a select menu")
        return cls(item)

    async def interaction_check(self, interaction: discord.Interaction[discord.Client]) -> bool:
        """Only the person a message was shown to may choose in its menu."""
        return await _shown_to(interaction)

    async def callback(self, interaction: discord.Interaction[discord.Client]) -> None:
        adapter = _adapter_of(interaction)
        offered = {option.value for option in self.item.options}
        chosen = [value for value in self.item.values if value in offered]
        if adapter is not None:
            # Nothing offered was chosen: an empty payload, which the handlers call stale.
            await adapter.pressed(interaction, chosen[0] if len(chosen) == 1 else "")


class AskButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.escape(ASK_PREFIX)
    + r"(?P<kind>[tc]):(?P<key>[a-z0-9_ ]{1,40}):(?P<label>.{1,45})",
):
    """A button opening a form (a modal with one long text field) for a reply's ``ask``.

    Its ``custom_id`` says what the text answers (a flow step's token, or a command to run
    with it) and the field's label; the modal gets the same ``custom_id``, so its submission
    is understood without anything in memory (see :meth:`DiscordAdapter.form_sent`).
    """

    def __init__(self, custom_id: str, title: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=(FORM_LABEL + title)[:MAX_LABEL],
                style=discord.ButtonStyle.primary,
                custom_id=custom_id,
            )
        )
        self.title = title

    @classmethod
    def of(cls, ask: Ask) -> AskButton:
        kind, key = ("t", ask.token) if ask.token is not None else ("c", ask.command)
        return cls(f"{ASK_PREFIX}{kind}:{key}:{ask.label[:MAX_FORM_TEXT]}", ask.title)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[discord.Client],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> AskButton:
        label = item.label if isinstance(item, discord.ui.Button) and item.label else ""
        return cls(match.string, label.removeprefix(FORM_LABEL) or "Write")

    async def interaction_check(self, interaction: discord.Interaction[discord.Client]) -> bool:
        """Only the person a message was shown to may open its form."""
        return await _shown_to(interaction)

    async def callback(self, interaction: discord.Interaction[discord.Client]) -> None:
        match = self.template.fullmatch(self.custom_id)
        assert match is not None  # the template found this button
        form: discord.ui.Modal = discord.ui.Modal(
            title=self.title[:MAX_FORM_TEXT] or "Write",
            custom_id=self.custom_id,
            timeout=FORM_TIMEOUT,
        )
        form.add_item(
            discord.ui.TextInput(
                label=match["label"], style=discord.TextStyle.long, max_length=MAX_FORM_INPUT
            )
        )
        try:  # a form must be the first answer to the press: no deferring here
            await interaction.response.send_modal(form)
        except discord.HTTPException as error:
            logger.info("Discord: could not open a form for %s: %s", interaction.id, error)


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
        self.add_dynamic_items(PayloadButton, PayloadMenu, AskButton)

    async def on_message(self, message: discord.Message) -> None:
        await self.adapter.on_message(message)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type == discord.InteractionType.modal_submit:
            await self.adapter.form_sent(interaction)


def _adapter_of(interaction: discord.Interaction[Any]) -> DiscordAdapter | None:
    client = interaction.client
    return client.adapter if isinstance(client, SyllabotClient) else None


async def _shown_to(interaction: discord.Interaction[Any]) -> bool:
    """Whether the person interacting may use the message's buttons, menus and forms."""
    adapter = _adapter_of(interaction)
    return adapter is not None and await adapter.may_press(interaction)


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
    ) -> None:
        self._dispatcher = dispatcher
        self._serve = serve
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
        if not self._serve:  # a courier only (``syllabot worker``): HTTP, no gateway
            logger.info("Discord: %s ready to send", self.username)
            return
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
        elif command.suggest is not None:

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
        ][:ZONES_SHOWN]

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

    async def form_sent(self, interaction: discord.Interaction) -> None:
        """A form (opened by an :class:`AskButton`) was sent: its text goes to the flow step
        it answers, or runs as its command, as if typed."""
        data: Any = interaction.data or {}
        match = AskButton.__discord_ui_compiled_template__.fullmatch(str(data.get("custom_id")))
        if match is None:
            return
        text = next(_typed(data.get("components")), "")
        identity = _identity(interaction.user)
        if match["kind"] == "t":
            incoming = Incoming(identity, text=text, answers=match["key"])
        else:
            incoming = Incoming(identity, text=f"/{match['key']} {text}")
        await self._interact(interaction, incoming)

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
            first = await inbound.first_delivery(PLATFORM, snowflake, ctx.uow(), ctx.clock)
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
        """Rows of buttons (at most 5 a row and 5 rows); ``choose`` buttons as a select menu in
        the first row, ``ask`` as a button opening a form in the last."""
        button_rows = [row for row in reply.buttons if row]
        choices = [b for row in button_rows for b in row if b.payload is not None]
        items: list[list[discord.ui.Item[Any]]] = []
        if reply.choose and 0 < len(choices) <= MAX_OPTIONS:
            items.append([PayloadMenu.of(choices, reply.choose)])
            button_rows = [kept for row in button_rows if (kept := tuple(b for b in row if b.url))]
        if reply.open_private is not None:
            button_rows.append((Button(PRIVATE_CHAT_LABEL, url=self.private_link()),))
        items += [
            [_item(button) for button in row[i : i + MAX_PER_ROW]]
            for row in button_rows
            for i in range(0, len(row), MAX_PER_ROW)
        ]
        if reply.ask is not None:
            items.append([AskButton.of(reply.ask)])
        if len(items) > MAX_ROWS:
            logger.warning("Discord: %d rows of buttons; showing the first 5", len(items))
            items = items[: MAX_ROWS - 1] + items[-1:] if reply.ask else items[:MAX_ROWS]
        if not items:
            return None
        view = discord.ui.View(timeout=None)
        for number, row_items in enumerate(items):
            for item in row_items:
                item.row = number
                view.add_item(item)
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


def _item(button: Button) -> discord.ui.Item[Any]:
    if button.url is not None:
        return discord.ui.Button(label=button.label[:MAX_LABEL], url=button.url)
    assert button.payload is not None
    return PayloadButton(button.payload, button.label)


def _typed(components: Any) -> Iterator[str]:
    """The values typed into a submitted form's text fields, in order (any nesting)."""
    for component in components or []:
        if isinstance(component, dict):
            if component.get("type") == 4 and isinstance(component.get("value"), str):
                yield component["value"]
            yield from _typed(component.get("components"))
            yield from _typed([component.get("component")])


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
