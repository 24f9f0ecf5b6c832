"""Drive the real Discord adapter through the fake Discord, one event at a time.

``fake_discord`` starts the fake REST API and points discord.py at it (``Route.BASE``);
``running`` logs a :class:`DiscordAdapter` in there (no gateway connection: the tests deliver
gateway payloads themselves). A :class:`Member` is one Discord user talking to the bot.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import discord.http

from bot.adapters.discord import DiscordAdapter
from bot.handlers.router import Dispatcher
from tests.adapters.discord_fake import Call, DiscordFake, buttons, components, menus

REPLIES = {"PATCH", "POST"}


@asynccontextmanager
async def fake_discord() -> AsyncIterator[DiscordFake]:
    route = discord.http.Route
    saved = route.BASE
    async with DiscordFake() as fake:
        route.BASE = fake.base
        try:
            yield fake
        finally:
            route.BASE = saved


@asynccontextmanager
async def running(
    fake: DiscordFake,
    dispatcher: Dispatcher,
    *,
    guild_id: int | None = None,
    typing_after: float = 60.0,  # exact call lists stay free of typing unless a test asks
) -> AsyncIterator[DiscordAdapter]:
    adapter = DiscordAdapter(
        dispatcher, fake.token, guild_id=guild_id, connect=False, typing_after=typing_after
    )
    async with adapter:
        yield adapter


class Member:
    """One Discord user: slash commands, direct messages and button presses."""

    def __init__(
        self,
        fake: DiscordFake,
        adapter: DiscordAdapter | None,
        name: str = "Ada",
        *,
        guild: bool = False,
    ) -> None:
        self.fake, self.adapter, self.guild = fake, adapter, guild
        self.user = fake.user(name)
        self.calls: list[Call] = []  # what the bot did in answer to the last event

    @property
    def channel_id(self) -> str:
        return (
            self.fake.guild_channel_id
            if self.guild
            else self.fake.dm_channel(self.user["id"])["id"]
        )

    async def _deliver(self, event: str, *payloads: dict[str, Any]) -> str:
        start = len(self.fake.calls)
        assert self.adapter is not None, "a bot in another process: see discord_process.Person"
        await self.fake.deliver(self.adapter.client, event, *payloads)
        self.calls = self.fake.calls[start:]
        return self.texts()

    async def slash(self, name: str, args: str | None = None) -> str:
        """Use the slash command ``/name`` (with ``args``); the text of every message the bot
        sent or edited in answer."""
        payload = self.fake.slash(self.user, name, args, guild=self.guild)
        return await self._deliver("INTERACTION_CREATE", payload)

    async def say(self, *lines: str) -> str:
        """Write ``lines`` in the direct message channel, all delivered at once."""
        payloads = [self.fake.direct_message(self.user, line) for line in lines]
        return await self._deliver("MESSAGE_CREATE", *payloads)

    async def press(self, label: str, message: dict[str, Any] | None = None) -> str:
        message = message or self.keyboard_message()
        custom_id = next(
            (b["custom_id"] for b in buttons(message) if b.get("label") == label), None
        )
        assert custom_id is not None, f"no button {label!r} under {message['content'][:80]!r}"
        return await self.press_custom_id(custom_id, message)

    async def press_custom_id(self, custom_id: str, message: dict[str, Any]) -> str:
        payload = self.fake.press(self.user, message, custom_id)
        return await self._deliver("INTERACTION_CREATE", payload)

    async def choose(self, label: str, message: dict[str, Any] | None = None) -> str:
        """Choose the option ``label`` in the select menu under ``message``."""
        message = message or self.keyboard_message()
        found = [
            (menu["custom_id"], option["value"])
            for menu in menus(message)
            for option in menu["options"]
            if option["label"] == label
        ]
        assert found, f"no option {label!r} under {message['content'][:80]!r}"
        return await self.choose_value(found[0][0], found[0][1], message)

    async def choose_value(self, custom_id: str, value: str, message: dict[str, Any]) -> str:
        payload = self.fake.select(self.user, message, custom_id, [value])
        return await self._deliver("INTERACTION_CREATE", payload)

    async def write(self, text: str, message: dict[str, Any] | None = None) -> str:
        """Press the ✍️ button under ``message``, then type ``text`` into the form it opens
        and send it; what the bot answered to the form."""
        message = message or self.keyboard_message()
        opened = len(self.fake.forms)
        label = next(b["label"] for b in buttons(message) if b["label"].startswith("✍️"))
        await self.press(label, message)
        assert len(self.fake.forms) == opened + 1, "no form opened"
        return await self.submit(self.fake.forms[-1], text)

    async def submit(self, form: dict[str, Any], text: str) -> str:
        payload = self.fake.submit(self.user, form, text, guild=self.guild)
        return await self._deliver("INTERACTION_CREATE", payload)

    def texts(self) -> str:
        return "\n".join(filter(None, (shown(c) for c in self.replies())))

    def replies(self) -> list[Call]:
        """The bot's successful answers (responses, edits, followups, messages)."""
        return [c for c in self.calls if c.method in REPLIES and c.status == 200]

    def keyboard_message(self) -> dict[str, Any]:
        """The bot's latest message in this channel with buttons, as it is now."""
        for message in reversed(self.fake.channel_messages(self.channel_id)):
            shown_to = (message.get("interaction_metadata") or {}).get("user", self.user)
            if components(message) and shown_to["id"] == self.user["id"]:
                return message
        raise AssertionError("the bot has shown no buttons here")

    def buttons(self, message: dict[str, Any] | None = None) -> list[str]:
        return [b["label"] for b in buttons(message or self.keyboard_message())]

    def options(self, message: dict[str, Any] | None = None) -> list[str]:
        """The labels of the options in the select menus under the message."""
        message = message or self.keyboard_message()
        return [option["label"] for menu in menus(message) for option in menu["options"]]

    def last_message(self) -> dict[str, Any]:
        return self.fake.channel_messages(self.channel_id)[-1]


def shown(call: Call) -> str:
    """The text of the message a call sent or edited ("" for a bare acknowledgement)."""
    message = call.result.get("resource", {}).get("message") or call.result
    return message.get("content") or ""
