"""What discord.py calls: the client, and the buttons, menus and forms under our messages.

None of these is kept in memory: each is a :class:`discord.ui.DynamicItem` whose ``custom_id``
says everything it needs, so after a restart discord.py finds the class by its template and
rebuilds the item from the pressed message, and old buttons keep working. What they do goes
to the adapter, the client's :class:`Host`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from typing import Any, Protocol, Self

import discord
from discord import app_commands

from bot.handlers.base import Ask, Button

logger = logging.getLogger(__name__)

CUSTOM_ID_PREFIX = "sb:"
MENU_ID = "sbm:0"  # the one select menu under a message; its options carry the payloads
ASK_PREFIX = "sbt:"  # a button opening a form: sbt:<t|c>:<token or command>:<field label>
MAX_LABEL = 80  # characters on a button
MAX_PLACEHOLDER = 150
FORM_LABEL = "✍️ "
MAX_FORM_TEXT = 45  # characters in a modal's title and a field's label
MAX_FORM_INPUT = 4000  # characters typed into a modal's field
FORM_TIMEOUT = 900.0  # seconds discord.py remembers an open form (we never need it to)


class Host(Protocol):
    """What the client and its components hand on: the adapter."""

    async def may_press(self, interaction: discord.Interaction[Any]) -> bool: ...

    async def pressed(self, interaction: discord.Interaction[Any], payload: str) -> None: ...

    async def form_sent(self, interaction: discord.Interaction[Any]) -> None: ...

    async def on_message(self, message: discord.Message) -> None: ...


class SyllabotClient(discord.AutoShardedClient):
    """discord.py's client with its command tree and our persistent components.

    Sharded: ``shard_ids`` of ``shard_count`` run here (other processes run the rest); with
    neither, every shard, as many as Discord recommends (one for a bot in fewer than 2,500
    servers)."""

    def __init__(
        self,
        host: Host,
        *,
        shard_count: int | None = None,
        shard_ids: Sequence[int] | None = None,
    ) -> None:
        intents = discord.Intents.default()  # direct messages carry their text without more
        discord.VoiceClient.warn_nacl = False  # no voice here: no warnings about its libraries
        discord.VoiceClient.warn_dave = False
        if shard_ids is None:
            super().__init__(intents=intents, shard_count=shard_count)
        else:
            super().__init__(intents=intents, shard_count=shard_count, shard_ids=list(shard_ids))
        self.host = host
        self.tree = app_commands.CommandTree(self)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(PayloadButton, PayloadMenu, AskButton)

    async def on_message(self, message: discord.Message) -> None:
        await self.host.on_message(message)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type == discord.InteractionType.modal_submit:
            await self.host.form_sent(interaction)


def _host_of(interaction: discord.Interaction[Any]) -> Host | None:
    client = interaction.client
    return client.host if isinstance(client, SyllabotClient) else None


class _Rebuilt:
    """What the three components share: rebuilt from the pressed message by ``rebuild``, and
    used only by the person the message was shown to."""

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[discord.Client],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls.rebuild(item, match)

    @classmethod
    def rebuild(cls, item: discord.ui.Item[Any], match: re.Match[str]) -> Self:
        raise NotImplementedError

    async def interaction_check(self, interaction: discord.Interaction[discord.Client]) -> bool:
        """Only the person a message was shown to may use its buttons, menus and forms."""
        host = _host_of(interaction)
        return host is not None and await host.may_press(interaction)


class PayloadButton(
    _Rebuilt,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.escape(CUSTOM_ID_PREFIX) + r"(?P<payload>[^\s]{1,97})",
):
    """A button carrying a handler payload in its ``custom_id`` (``sb:<payload>``)."""

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
    def rebuild(cls, item: discord.ui.Item[Any], match: re.Match[str]) -> Self:
        label = item.label if isinstance(item, discord.ui.Button) and item.label else "…"
        return cls(match["payload"], label)

    async def callback(self, interaction: discord.Interaction[discord.Client]) -> None:
        host = _host_of(interaction)
        if host is not None:
            await host.pressed(interaction, self.payload)


class PayloadMenu(
    _Rebuilt,
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=re.escape(MENU_ID),
):
    """A select menu whose options carry handler payloads: a reply's ``choose`` buttons. The
    chosen option's payload goes through the handlers' checks like a pressed button's."""

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
    def rebuild(cls, item: discord.ui.Item[Any], match: re.Match[str]) -> Self:
        if not isinstance(item, discord.ui.Select):
            raise TypeError("a menu's custom_id on something that is not a select menu")
        return cls(item)

    async def callback(self, interaction: discord.Interaction[discord.Client]) -> None:
        host = _host_of(interaction)
        offered = {option.value for option in self.item.options}
        chosen = [value for value in self.item.values if value in offered]
        if host is not None:
            # Nothing offered was chosen: an empty payload, which the handlers call stale.
            await host.pressed(interaction, chosen[0] if len(chosen) == 1 else "")


class AskButton(
    _Rebuilt,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.escape(ASK_PREFIX)
    + r"(?P<kind>[tc]):(?P<key>[a-z0-9_ ]{1,40}):(?P<label>.{1,45})",
):
    """A button opening a form (a modal with one long text field) for a reply's ``ask``.

    Its ``custom_id`` says what the text answers (a flow step's token, or a command to run
    with it) and the field's label; the modal gets the same ``custom_id``, so its submission
    is understood without anything in memory (see :meth:`answer`).
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
    def rebuild(cls, item: discord.ui.Item[Any], match: re.Match[str]) -> Self:
        label = item.label if isinstance(item, discord.ui.Button) and item.label else ""
        return cls(match.string, label.removeprefix(FORM_LABEL) or "Write")

    @classmethod
    def answer(cls, data: Any) -> tuple[str, str, str] | None:
        """What a submitted form (``interaction.data``) answers: ("t", a flow step's token,
        the text) or ("c", a command, the text); None if it is not one of our forms."""
        data = data or {}
        match = cls.__discord_ui_compiled_template__.fullmatch(str(data.get("custom_id")))
        if match is None:
            return None
        return match["kind"], match["key"], next(_typed(data.get("components")), "")

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


def _typed(components: Any) -> Iterator[str]:
    """The values typed into a submitted form's text fields, in order (any nesting)."""
    for component in components or []:
        if isinstance(component, dict):
            if component.get("type") == 4 and isinstance(component.get("value"), str):
                yield component["value"]
            yield from _typed(component.get("components"))
            yield from _typed([component.get("component")])
